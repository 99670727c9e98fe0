//! The purge benchmark (`make bench-purge`, and the purge rows of `make bench`): how fast the
//! purge engine empties the trash, next to the simplest possible baseline on the same table:
//! one conditional `DeleteItem` per item; and, to tell the engine's cost from the
//! transaction's, bare transactions of the purge's shape (three conditional deletes and one
//! put) on plain items. Panics if a run does not do all its work.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use futures::{StreamExt, stream};
use tenantry_accounts::{PurgeRun, PurgeSettings, Purger, format_time};
use tenantry_dev::template;
use tenantry_store::{Store, StoreConfig};

use tenantry_tests::{endpoint, seed, table_spec};

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    pub users: usize,
    pub concurrency: usize,
    pub tenants: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            users: 100_000,
            concurrency: 16,
            tenants: 4,
        }
    }
}

/// What a run measured.
#[derive(Clone, Copy, Debug)]
pub struct Figures {
    pub config: Config,
    pub seed_time: Duration,
    pub purge_time: Duration,
    pub raw_time: Duration,
    pub tx_time: Duration,
}

impl Figures {
    pub fn purge_rate(&self) -> f64 {
        per_second(self.config.users, self.purge_time)
    }

    pub fn raw_rate(&self) -> f64 {
        per_second(self.config.users, self.raw_time)
    }

    pub fn tx_rate(&self) -> f64 {
        per_second(self.config.users, self.tx_time)
    }

    pub fn print(&self) {
        let config = self.config;
        println!("{:<34}{:>12}", "users (N)", config.users);
        println!("{:<34}{:>12}", "concurrency", config.concurrency);
        println!("{:<34}{:>12}", "tenants", config.tenants);
        println!(
            "{:<34}{:>12.1}",
            "seed time (s)",
            self.seed_time.as_secs_f64()
        );
        println!(
            "{:<34}{:>12.1}",
            "purge time (s)",
            self.purge_time.as_secs_f64()
        );
        println!(
            "{:<34}{:>12.1}",
            "raw delete time (s)",
            self.raw_time.as_secs_f64()
        );
        println!("{:<34}{:>12.0}", "purge users/s", self.purge_rate());
        println!(
            "{:<34}{:>12.0}",
            "raw conditional DeleteItem/s",
            self.raw_rate()
        );
        println!(
            "{:<34}{:>12.2}",
            "ratio purge/raw",
            self.purge_rate() / self.raw_rate()
        );
        println!(
            "{:<34}{:>12.0}",
            "bare 4-item transactions/s",
            self.tx_rate()
        );
        println!(
            "{:<34}{:>12.2}",
            "ratio purge/bare transactions",
            self.purge_rate() / self.tx_rate()
        );
    }
}

fn per_second(count: usize, elapsed: Duration) -> f64 {
    count as f64 / elapsed.as_secs_f64()
}

/// Seeds `config.users` deleted users on a new table of the DynamoDB Local at
/// `TENANTRY_TEST_DYNAMODB_ENDPOINT`, purges them, then runs the two baselines.
pub async fn run(config: Config) -> Figures {
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
    // Without the stream, which the purge does not read: with it, `make bench`'s next section
    // (lifecycle events) waited minutes for each poll of its own table's stream.
    store
        .create_table(&table_spec(&template, false))
        .await
        .expect("create the table");
    println!(
        "purge bench: {n} users over {} tenants, concurrency {concurrency}, table {} on {endpoint}",
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

    Figures {
        config,
        seed_time,
        purge_time,
        raw_time,
        tx_time,
    }
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
