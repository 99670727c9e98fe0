//! `make bench-purge`: how fast the purge engine empties the trash, against the DynamoDB
//! Local at `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the make target starts one), next to the
//! simplest possible baseline on the same table: one conditional `DeleteItem` per item; and,
//! to tell the engine's cost from the transaction's, bare transactions of the purge's shape
//! (three conditional deletes and one put) on plain items.
//!
//! bench-purge [--users N] [--concurrency N] [--tenants N]
//!
//! Exits 2 on bad arguments; panics if a run does not do all its work.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::{StreamExt, stream};
use tenantry_accounts::{PurgeRun, PurgeSettings, Purger, format_time};
use tenantry_dev::template;
use tenantry_store::{Store, StoreConfig};
use tenantry_tests::{endpoint, seed};

const USAGE: &str = "usage: bench-purge [--users N] [--concurrency N] [--tenants N]";

struct Config {
    users: usize,
    concurrency: usize,
    tenants: usize,
}

fn parse(args: &[String]) -> Result<Config, String> {
    let mut config = Config {
        users: 100_000,
        concurrency: 16,
        tenants: 4,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number: usize = value
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(format!("{flag}: {value:?} is not a whole number above 0"))?;
        match flag.as_str() {
            "--users" => config.users = number,
            "--concurrency" => config.concurrency = number,
            "--tenants" => config.tenants = number,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(config)
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("bench-purge: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let (n, concurrency) = (config.users, config.concurrency);
    let endpoint = endpoint();
    let store = Store::connect(&StoreConfig {
        table: format!("bench-{}", uuid::Uuid::now_v7().simple()),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.clone()),
        max_attempts: 3,
    })
    .await;
    let template = template::Template::load(&template::default_path()).expect("template.yaml");
    store
        .create_table(&template.table().expect("the table in template.yaml"))
        .await
        .expect("create the table");
    println!(
        "bench-purge: {n} users over {} tenants, concurrency {concurrency}, table {} on {endpoint}",
        config.tenants,
        store.table()
    );

    // Seed: N deleted users, due a month ago, spread over the tenants.
    let deleted_at = format_time(time::OffsetDateTime::now_utc() - time::Duration::days(60));
    let purge_after = format_time(time::OffsetDateTime::now_utc() - time::Duration::days(30));
    let started = Instant::now();
    for t in 0..config.tenants {
        let tenant = format!("bench-{t}");
        let count = n / config.tenants + usize::from(t < n % config.tenants);
        let seed = seed::Seed {
            tenant_id: &tenant,
            label: "bench",
            deleted_at: &deleted_at,
            purge_after: &purge_after,
        };
        seed::deleted_users(&store, &seed, count, concurrency).await;
    }
    let seed_time = started.elapsed();
    let purger = Purger::new(
        store.clone(),
        PurgeSettings {
            concurrency,
            ..PurgeSettings::default()
        },
    );
    let run = PurgeRun::now();
    let due = purger.count_due(run.as_of).await.expect("count due users");
    assert_eq!(due, n as u64, "seeded users due");
    println!(
        "seeded {n} deleted users ({} items) in {:.1} s",
        n * 3,
        seed_time.as_secs_f64()
    );

    // The purge engine: one 4-item transaction per user, read from the purge index.
    let started = Instant::now();
    let summary = purger.run(&run, |_| {}).await;
    let purge_time = started.elapsed();
    assert_eq!(
        (summary.purged, summary.failed),
        (n as u64, 0),
        "purge summary: {summary:?}"
    );
    let left = purger
        .count_due(time::OffsetDateTime::now_utc())
        .await
        .expect("count due users");
    assert_eq!(left, 0, "due users left after the purge");
    println!("purged {n} users in {:.1} s", purge_time.as_secs_f64());

    // The baseline: N plain items, each deleted by one conditional DeleteItem.
    let items: Vec<HashMap<String, AttributeValue>> = (0..n)
        .map(|i| plain_item(&format!("BENCH#{i}"), &deleted_at))
        .collect();
    seed::put_all(&store, items, concurrency).await;
    let started = Instant::now();
    let deleted = all_succeed(
        concurrency,
        stream::iter(0..n).map(|i| {
            let request = store
                .client()
                .delete_item()
                .table_name(store.table())
                .key("PK", AttributeValue::S(format!("BENCH#{i}")))
                .key("SK", AttributeValue::S("X".into()))
                .condition_expression("deleted_at = :seen")
                .expression_attribute_values(":seen", AttributeValue::S(deleted_at.clone()));
            async move { request.send().await.map_err(|e| e.into_service_error()) }
        }),
    )
    .await
    .expect("conditional DeleteItem");
    let raw_time = started.elapsed();
    assert_eq!(deleted, n, "conditional deletes");
    println!("deleted {n} plain items in {:.1} s", raw_time.as_secs_f64());

    // Bare transactions of the purge's shape: 3 conditional deletes and 1 put, no reads.
    let items: Vec<HashMap<String, AttributeValue>> = (0..n)
        .flat_map(|i| {
            ["a", "b", "c"].map(|part| plain_item(&format!("TX#{i}#{part}"), &deleted_at))
        })
        .collect();
    seed::put_all(&store, items, concurrency).await;
    let started = Instant::now();
    let committed = all_succeed(
        concurrency,
        stream::iter(0..n).map(|i| {
            let mut request = store.client().transact_write_items();
            for part in ["a", "b", "c"] {
                let delete = Delete::builder()
                    .table_name(store.table())
                    .key("PK", AttributeValue::S(format!("TX#{i}#{part}")))
                    .key("SK", AttributeValue::S("X".into()))
                    .condition_expression("deleted_at = :seen")
                    .expression_attribute_values(":seen", AttributeValue::S(deleted_at.clone()))
                    .build()
                    .expect("a delete");
                request =
                    request.transact_items(TransactWriteItem::builder().delete(delete).build());
            }
            let put = Put::builder()
                .table_name(store.table())
                .set_item(Some(plain_item(&format!("TX#{i}#tombstone"), &deleted_at)))
                .condition_expression("attribute_not_exists(PK)")
                .build()
                .expect("a put");
            request = request.transact_items(TransactWriteItem::builder().put(put).build());
            async move { request.send().await.map_err(|e| e.into_service_error()) }
        }),
    )
    .await
    .expect("bare transactions");
    let tx_time = started.elapsed();
    assert_eq!(committed, n, "bare transactions");
    println!(
        "committed {n} bare 4-item transactions in {:.1} s",
        tx_time.as_secs_f64()
    );

    let purge_rate = per_second(n, purge_time);
    let raw_rate = per_second(n, raw_time);
    let tx_rate = per_second(n, tx_time);
    println!();
    println!("{:<34}{:>12}", "users (N)", n);
    println!("{:<34}{:>12}", "concurrency", concurrency);
    println!("{:<34}{:>12}", "tenants", config.tenants);
    println!("{:<34}{:>12.1}", "seed time (s)", seed_time.as_secs_f64());
    println!("{:<34}{:>12.1}", "purge time (s)", purge_time.as_secs_f64());
    println!(
        "{:<34}{:>12.1}",
        "raw delete time (s)",
        raw_time.as_secs_f64()
    );
    println!("{:<34}{:>12.0}", "purge users/s", purge_rate);
    println!("{:<34}{:>12.0}", "raw conditional DeleteItem/s", raw_rate);
    println!("{:<34}{:>12.2}", "ratio purge/raw", purge_rate / raw_rate);
    println!("{:<34}{:>12.0}", "bare 4-item transactions/s", tx_rate);
    println!(
        "{:<34}{:>12.2}",
        "ratio purge/bare transactions",
        purge_rate / tx_rate
    );
    ExitCode::SUCCESS
}

/// An item outside the data model: just a key and the attribute the conditions look at.
fn plain_item(pk: &str, deleted_at: &str) -> HashMap<String, AttributeValue> {
    HashMap::from([
        ("PK".to_owned(), AttributeValue::S(pk.to_owned())),
        ("SK".to_owned(), AttributeValue::S("X".into())),
        (
            "deleted_at".to_owned(),
            AttributeValue::S(deleted_at.to_owned()),
        ),
    ])
}

/// Runs the requests `concurrency` at a time; the number that succeeded, or the first error.
async fn all_succeed<T, E>(
    concurrency: usize,
    requests: impl futures::Stream<Item = impl Future<Output = Result<T, E>>>,
) -> Result<usize, E> {
    requests
        .buffer_unordered(concurrency)
        .fold(Ok(0usize), |acc, result| async move {
            match (acc, result) {
                (Ok(count), Ok(_)) => Ok(count + 1),
                (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            }
        })
        .await
}
