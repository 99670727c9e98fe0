//! The fault proxy answers like DynamoDB would, and the SDK sees what it would see from
//! DynamoDB: conflicts, throttles, server errors, slow answers, and connections closed
//! after the write happened.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::RequestId;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put,
    ScalarAttributeType, TransactWriteItem,
};
use tenantry_tests::endpoint;
use tenantry_tests::proxy::{Fault, FaultProxy, ProxyStats, Schedule};

const THROTTLING_CODES: [&str; 2] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
];

/// A client of `endpoint` that retries up to `max_attempts` with short back-offs.
fn client(endpoint: &str, max_attempts: u32) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .http_client(tenantry_store::https_client())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new("local", "local", None, None, "static"))
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(max_attempts)
                .with_initial_backoff(Duration::from_millis(10)),
        )
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(Duration::from_secs(5))
                .operation_timeout(Duration::from_secs(20))
                .build(),
        )
        .build();
    Client::from_conf(config)
}

/// A proxy with `schedule` in front of a fresh table (created through it, faults off),
/// and the table's name.
async fn setup(schedule: Schedule) -> (FaultProxy, String) {
    let proxy = FaultProxy::start(&endpoint(), schedule).await;
    let table = format!("proxy-{}", uuid::Uuid::now_v7());
    proxy.set_enabled(false);
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    client(&proxy.endpoint(), 1)
        .create_table()
        .table_name(&table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("PK", KeyType::Hash))
        .key_schema(key("SK", KeyType::Range))
        .attribute_definitions(attribute("PK"))
        .attribute_definitions(attribute("SK"))
        .send()
        .await
        .expect("create the table through the proxy");
    proxy.set_enabled(true);
    (proxy, table)
}

fn item(pk: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
        ("SK".to_owned(), AttributeValue::S("item".to_owned())),
    ])
}

fn put(table: &str, pk: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item(pk)))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .unwrap(),
        )
        .build()
}

/// Whether the item is there, read straight from DynamoDB Local.
async fn exists(table: &str, pk: &str) -> bool {
    client(&endpoint(), 1)
        .get_item()
        .table_name(table)
        .set_key(Some(item(pk)))
        .consistent_read(true)
        .send()
        .await
        .expect("read DynamoDB Local directly")
        .item
        .is_some()
}

/// How many items the table holds, read straight from DynamoDB Local.
async fn count(table: &str) -> i32 {
    client(&endpoint(), 1)
        .scan()
        .table_name(table)
        .consistent_read(true)
        .send()
        .await
        .expect("scan DynamoDB Local directly")
        .count
}

fn forwarded(stats: &ProxyStats, operation: &str) -> u64 {
    stats
        .forwarded_by_operation
        .get(operation)
        .copied()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conflict_cancels_the_transaction_with_one_reason_per_item_and_writes_nothing() {
    let (proxy, table) = setup(Schedule {
        conflict: 1.0,
        ..Schedule::none(1)
    })
    .await;
    // Max 3 attempts: a cancelled transaction is not retried by the SDK.
    let err = client(&proxy.endpoint(), 3)
        .transact_write_items()
        .transact_items(put(&table, "a"))
        .transact_items(put(&table, "b"))
        .transact_items(put(&table, "c"))
        .send()
        .await
        .expect_err("the transaction is cancelled");

    let SdkError::ServiceError(service) = &err else {
        panic!("a service error expected, got {err:?}");
    };
    assert_eq!(service.raw().status().as_u16(), 400);
    let request_id = err.request_id().expect("x-amzn-RequestId is read");
    assert_eq!(request_id.len(), 52, "{request_id}");
    let TransactWriteItemsError::TransactionCanceledException(cancelled) = service.err() else {
        panic!("TransactionCanceledException expected, got {err:?}");
    };
    let codes: Vec<_> = cancelled
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or_default())
        .collect();
    assert_eq!(codes.len(), 3, "{codes:?}");
    assert_eq!(
        codes
            .iter()
            .filter(|&&c| c == "TransactionConflict")
            .count(),
        1,
        "{codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|&&c| c == "None").count(),
        2,
        "{codes:?}"
    );
    let Some(Fault::Conflict { index }) = proxy.decisions().first().map(|d| d.fault.clone()) else {
        panic!("a conflict decided: {:?}", proxy.decisions());
    };
    assert_eq!(codes[index], "TransactionConflict");
    let conflicting = &cancelled.cancellation_reasons()[index];
    assert_eq!(
        conflicting.message(),
        Some("Transaction is ongoing for the item")
    );
    assert!(
        cancelled
            .message()
            .is_some_and(|m| m.starts_with("Transaction cancelled")),
        "{cancelled:?}"
    );

    let stats = proxy.stats();
    assert_eq!(stats.conflicts, 1, "{stats:?}");
    assert_eq!(forwarded(&stats, "TransactWriteItems"), 0, "{stats:?}");
    for pk in ["a", "b", "c"] {
        assert!(!exists(&table, pk).await, "{pk} was written");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttle_is_a_throttling_code_retried_by_the_sdk_and_writes_nothing() {
    let (proxy, table) = setup(Schedule {
        throttle: 1.0,
        ..Schedule::none(2)
    })
    .await;
    let once = client(&proxy.endpoint(), 1);
    let mut codes = Vec::new();
    for i in 0..8 {
        let err = once
            .put_item()
            .table_name(&table)
            .set_item(Some(item(&format!("once-{i}"))))
            .send()
            .await
            .expect_err("throttled");
        assert!(matches!(err, SdkError::ServiceError(_)), "{err:?}");
        let code = err.code().unwrap_or_default().to_owned();
        assert!(THROTTLING_CODES.contains(&code.as_str()), "{err:?}");
        assert!(err.message().is_some_and(|m| !m.is_empty()), "{err:?}");
        codes.push(code);
    }
    // The generator picks both codes (seed 2 is known to do within eight requests).
    for code in THROTTLING_CODES {
        assert!(codes.iter().any(|c| c == code), "{code} never: {codes:?}");
    }
    assert_eq!(proxy.stats().throttles, 8);

    // The SDK's standard retry treats both as throttling: three attempts.
    let err = client(&proxy.endpoint(), 3)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("retried")))
        .send()
        .await
        .expect_err("throttled three times");
    assert!(THROTTLING_CODES.contains(&err.code().unwrap_or_default()));
    let stats = proxy.stats();
    assert_eq!(stats.throttles, 8 + 3, "{stats:?}");
    assert_eq!(forwarded(&stats, "PutItem"), 0, "{stats:?}");
    assert_eq!(count(&table).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_error_is_a_500_internal_server_error_retried_by_the_sdk() {
    let (proxy, table) = setup(Schedule {
        server_error: 1.0,
        ..Schedule::none(3)
    })
    .await;
    let err = client(&proxy.endpoint(), 1)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("a")))
        .send()
        .await
        .expect_err("a server error");
    let SdkError::ServiceError(service) = &err else {
        panic!("a service error expected, got {err:?}");
    };
    assert_eq!(service.raw().status().as_u16(), 500);
    assert_eq!(err.code(), Some("InternalServerError"), "{err:?}");
    assert!(
        service.err().is_internal_server_error(),
        "{:?}",
        service.err()
    );
    assert_eq!(proxy.stats().server_errors, 1);

    let err = client(&proxy.endpoint(), 3)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("b")))
        .send()
        .await
        .expect_err("three server errors");
    assert_eq!(err.code(), Some("InternalServerError"), "{err:?}");
    let stats = proxy.stats();
    assert_eq!(stats.server_errors, 1 + 3, "{stats:?}");
    assert_eq!(forwarded(&stats, "PutItem"), 0, "{stats:?}");
    assert_eq!(count(&table).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_succeeds_late() {
    let (proxy, table) = setup(Schedule {
        slow: 1.0,
        slow_max_ms: 60,
        ..Schedule::none(4)
    })
    .await;
    let started = Instant::now();
    client(&proxy.endpoint(), 1)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("a")))
        .send()
        .await
        .expect("a slow answer is an answer");
    let elapsed = started.elapsed();

    let Some(Fault::Slow { delay }) = proxy.decisions().first().map(|d| d.fault.clone()) else {
        panic!("a slow answer decided: {:?}", proxy.decisions());
    };
    assert!(
        (Duration::from_millis(20)..=Duration::from_millis(60)).contains(&delay),
        "{delay:?}"
    );
    assert!(elapsed >= delay, "{elapsed:?} < {delay:?}");
    let stats = proxy.stats();
    assert_eq!(
        (stats.slow, forwarded(&stats, "PutItem")),
        (1, 1),
        "{stats:?}"
    );
    assert!(exists(&table, "a").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_a_dispatch_failure_after_the_write() {
    let (proxy, table) = setup(Schedule {
        drop_after_forward: 1.0,
        ..Schedule::none(5)
    })
    .await;
    let err = client(&proxy.endpoint(), 1)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("a")))
        .send()
        .await
        .expect_err("no answer");
    let SdkError::DispatchFailure(failure) = &err else {
        panic!("a dispatch failure expected, got {err:?}");
    };
    // hyper's "connection closed before message completed", classified transient.
    assert!(failure.is_other(), "{err:?}");
    let mut source = failure
        .as_connector_error()
        .and_then(std::error::Error::source);
    let mut incomplete = false;
    while let Some(e) = source {
        incomplete |= e
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message);
        source = e.source();
    }
    assert!(incomplete, "{err:?}");
    assert!(err.code().is_none(), "{err:?}");
    assert!(exists(&table, "a").await, "the write happened");

    // The SDK retries a dropped connection on its own: three attempts, three writes.
    let err = client(&proxy.endpoint(), 3)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("b")))
        .send()
        .await
        .expect_err("no answer, three times");
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    let stats = proxy.stats();
    assert_eq!(stats.dropped, 1 + 3, "{stats:?}");
    assert_eq!(forwarded(&stats, "PutItem"), 1 + 3, "{stats:?}");
    assert!(exists(&table, "b").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_retried_after_a_dropped_connection_commits_once() {
    let (proxy, table) = setup(Schedule {
        drop_first: 1,
        ..Schedule::none(6)
    })
    .await;
    // The retry carries the same ClientRequestToken: DynamoDB answers it as a success
    // instead of failing the attribute_not_exists conditions the first attempt satisfied.
    client(&proxy.endpoint(), 3)
        .transact_write_items()
        .transact_items(put(&table, "a"))
        .transact_items(put(&table, "b"))
        .send()
        .await
        .expect("the retry succeeds");
    let stats = proxy.stats();
    assert_eq!(stats.dropped, 1, "{stats:?}");
    assert_eq!(forwarded(&stats, "TransactWriteItems"), 2, "{stats:?}");
    assert!(exists(&table, "a").await && exists(&table, "b").await);
    assert_eq!(count(&table).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conditional_put_retried_after_a_dropped_connection_fails_its_own_condition() {
    let (proxy, table) = setup(Schedule {
        drop_first: 1,
        ..Schedule::none(7)
    })
    .await;
    // No idempotency token on PutItem: the retry meets the item the first attempt wrote.
    let err = client(&proxy.endpoint(), 3)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("a")))
        .condition_expression("attribute_not_exists(PK)")
        .send()
        .await
        .expect_err("the retry fails the condition");
    assert_eq!(
        err.code(),
        Some("ConditionalCheckFailedException"),
        "{err:?}"
    );
    let stats = proxy.stats();
    assert_eq!(
        (stats.dropped, forwarded(&stats, "PutItem")),
        (1, 2),
        "{stats:?}"
    );
    assert!(exists(&table, "a").await);
}

/// What the SDK saw, in short.
fn outcome<E: ProvideErrorMetadata, R>(result: Result<impl Sized, SdkError<E, R>>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(SdkError::ServiceError(e)) => format!("service:{}", e.err().code().unwrap_or("?")),
        Err(SdkError::DispatchFailure(_)) => "dispatch".to_owned(),
        Err(other) => format!("other:{}", other.code().unwrap_or("?")),
    }
}

/// 200 requests one after the other (puts, gets, two-item transactions) through a
/// chaos proxy seeded with `seed`: its decisions, its counts, and what the SDK saw.
async fn chaos_run(seed: u64) -> (Vec<Fault>, ProxyStats, Vec<String>) {
    let (proxy, table) = setup(Schedule::chaos(seed)).await;
    let sdk = client(&proxy.endpoint(), 1);
    let mut outcomes = Vec::new();
    for i in 0..200 {
        let pk = format!("item-{}", i / 3);
        let seen = match i % 3 {
            0 => outcome(
                sdk.put_item()
                    .table_name(&table)
                    .set_item(Some(item(&pk)))
                    .send()
                    .await,
            ),
            1 => outcome(
                sdk.get_item()
                    .table_name(&table)
                    .set_key(Some(item(&pk)))
                    .send()
                    .await,
            ),
            _ => outcome(
                sdk.transact_write_items()
                    .transact_items(put(&table, &format!("{pk}-x")))
                    .transact_items(put(&table, &format!("{pk}-y")))
                    .send()
                    .await,
            ),
        };
        outcomes.push(seen);
    }
    let faults = proxy.decisions().into_iter().map(|d| d.fault).collect();
    (faults, proxy.stats(), outcomes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_seed_decides_the_same_faults() {
    let (first, again, other) = tokio::join!(chaos_run(42), chaos_run(42), chaos_run(43));
    let (faults, stats, outcomes) = &first;
    assert_eq!(faults.len(), 200);
    assert_eq!(stats.requests, 200 + 1, "{stats:?}");
    // Every kind of fault happened, and the SDK saw each as it should.
    let seen = |what: &str| outcomes.iter().filter(|o| *o == what).count() as u64;
    assert!(
        stats.conflicts > 0
            && stats.throttles > 0
            && stats.server_errors > 0
            && stats.slow > 0
            && stats.dropped > 0,
        "{stats:?}"
    );
    assert_eq!(
        seen("service:TransactionCanceledException"),
        stats.conflicts
    );
    assert_eq!(
        seen("service:ProvisionedThroughputExceededException")
            + seen("service:ThrottlingException"),
        stats.throttles
    );
    assert_eq!(seen("service:InternalServerError"), stats.server_errors);
    assert_eq!(seen("dispatch"), stats.dropped);
    assert_eq!(
        seen("ok") as usize,
        faults
            .iter()
            .filter(|f| matches!(f, Fault::None | Fault::Slow { .. }))
            .count()
    );

    assert_eq!(first, again);
    assert_ne!(first.0, other.0, "another seed, other faults");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_answered_in_progress_has_committed_and_other_calls_pass() {
    let (proxy, table) = setup(Schedule {
        in_progress_after_forward: 1.0,
        ..Schedule::none(8)
    })
    .await;
    let err = client(&proxy.endpoint(), 3)
        .transact_write_items()
        .transact_items(put(&table, "a"))
        .send()
        .await
        .expect_err("answered in progress");
    assert_eq!(
        err.code(),
        Some("TransactionInProgressException"),
        "{err:?}"
    );
    // The SDK retries it with the same request token, 3 attempts in all, each answered in
    // progress; DynamoDB Local committed the first and answered the others from its
    // idempotency record: one item.
    assert_eq!(forwarded(&proxy.stats(), "TransactWriteItems"), 3);
    assert_eq!(proxy.stats().in_progress, 3);
    assert!(exists(&table, "a").await);
    assert_eq!(count(&table).await, 1);
    // Only transactions get it.
    client(&proxy.endpoint(), 3)
        .put_item()
        .table_name(&table)
        .set_item(Some(item("b")))
        .send()
        .await
        .expect("a put is forwarded untouched");
    assert_eq!(proxy.stats().in_progress, 3);
}
