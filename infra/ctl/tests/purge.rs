//! `tenantryctl purge` in-process against DynamoDB Local (`TENANTRY_TEST_DYNAMODB_ENDPOINT`):
//! previews, a limited run, a full run, on a fresh table seeded with deleted users.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use clap::Parser;
use tenantry_accounts::{PurgeSettings, PurgeSummary, Purger, Stop};
use tenantry_dev::template;
use tenantry_store::{Store, StoreConfig, UserItem};
use tenantry_tests::{endpoint, invariants, seed};
use tenantryctl::Cli;
use time::OffsetDateTime;

type Item = HashMap<String, AttributeValue>;

const DELETED_AT: &str = "2025-01-01T00:00:00.000Z";
const PAST: &str = "2025-01-31T00:00:00.000Z";
const FUTURE: &str = "2100-01-01T00:00:00.000Z";

async fn fresh_table() -> Store {
    let store = Store::connect(&StoreConfig {
        table: format!("ctl-{}", uuid::Uuid::now_v7().simple()),
        region: "us-east-1".into(),
        endpoint: Some(endpoint()),
        max_attempts: 3,
    })
    .await;
    let template = template::Template::load(&template::default_path()).unwrap();
    assert!(
        store
            .create_table(&template.table().unwrap())
            .await
            .unwrap()
    );
    store
}

async fn seed_users(
    store: &Store,
    tenant: &str,
    label: &str,
    purge_after: &str,
    n: usize,
) -> Vec<UserItem> {
    let seed = seed::Seed {
        tenant_id: tenant,
        label,
        deleted_at: DELETED_AT,
        purge_after,
    };
    seed::deleted_users(store, &seed, n, 4).await
}

/// Runs `tenantryctl purge --table T --endpoint E <extra>`; the result and the output.
async fn ctl(store: &Store, extra: &[&str]) -> (Result<PurgeSummary, String>, String) {
    let endpoint = endpoint();
    let mut args = vec![
        "tenantryctl",
        "purge",
        "--table",
        store.table(),
        "--endpoint",
        &endpoint,
    ];
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(args).unwrap();
    let mut out = Vec::new();
    let result = tenantryctl::run(cli, &mut out)
        .await
        .map(|report| report.into_purge().expect("a purge"));
    (result, String::from_utf8(out).unwrap())
}

/// The users a dry run listed: id -> (tenant, purge_after).
fn listed(output: &str) -> BTreeMap<String, (String, String)> {
    let mut users = BTreeMap::new();
    for line in output.lines().filter(|l| l.starts_with("would purge ")) {
        let field = |name: &str| {
            line.split(' ')
                .find_map(|f| f.strip_prefix(name))
                .unwrap_or_else(|| panic!("no {name} in {line:?}"))
                .to_owned()
        };
        let previous = users.insert(field("user="), (field("tenant="), field("purge_after=")));
        assert!(previous.is_none(), "listed twice: {line}");
    }
    users
}

fn expected(users: &[&[UserItem]]) -> BTreeMap<String, (String, String)> {
    users
        .iter()
        .flat_map(|batch| batch.iter())
        .map(|u| {
            (
                u.id.clone(),
                (u.tenant_id.clone(), u.purge_after.clone().unwrap()),
            )
        })
        .collect()
}

fn ids(users: &[&[UserItem]]) -> BTreeSet<String> {
    expected(users).into_keys().collect()
}

/// Every item of the table, ordered by key.
async fn scan(store: &Store) -> Vec<Item> {
    let mut items = invariants::scan_all(store).await;
    items.sort_by_key(|item| (text(item, "PK"), text(item, "SK")));
    items
}

fn text(item: &Item, name: &str) -> String {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

async fn due_now(store: &Store) -> u64 {
    Purger::new(store.clone(), PurgeSettings::default())
        .count_due(OffsetDateTime::now_utc())
        .await
        .unwrap()
}

#[tokio::test]
async fn purge_previews_then_purges_in_steps() {
    let store = fresh_table().await;
    let north = seed_users(&store, "north", "due-n", PAST, 25).await;
    let south = seed_users(&store, "south", "due-s", PAST, 15).await;
    let later = seed_users(&store, "north", "later", FUTURE, 10).await;
    let due_ids = ids(&[&north, &south]);
    let later_ids = ids(&[&later]);
    assert_eq!((due_ids.len(), later_ids.len()), (40, 10));
    let before = scan(&store).await;
    assert_eq!(before.len(), 50 * 3);

    // A dry run lists exactly the due users, ids and times only, and changes nothing.
    let (result, output) = ctl(&store, &["--dry-run"]).await;
    let summary = result.unwrap();
    assert_eq!(listed(&output), expected(&[&north, &south]), "{output}");
    assert_eq!(
        (
            summary.due,
            summary.would_purge,
            summary.purged,
            summary.failed
        ),
        (40, 40, 0, 0)
    );
    assert!(summary.dry_run);
    assert_eq!(summary.stopped, Stop::Done);
    assert_eq!(tenantryctl::exit_status(&summary), 0);
    for private in ["@seed.test", "argon2", "due-n-", "due-s-"] {
        assert!(!output.contains(private), "{private} in\n{output}");
    }
    assert!(output.contains("  would purge         40\n"), "{output}");
    assert!(output.contains("  mode                dry run"), "{output}");
    assert_eq!(scan(&store).await, before);

    // --as-of with an offset: an hour before the future users are due (in UTC), then exactly then.
    let (result, output) = ctl(
        &store,
        &["--dry-run", "--as-of", "2100-01-01T04:00:00+05:00"],
    )
    .await;
    assert_eq!(result.unwrap().as_of, "2099-12-31T23:00:00.000Z");
    assert_eq!(listed(&output), expected(&[&north, &south]));
    let (result, output) = ctl(
        &store,
        &["--dry-run", "--as-of", "2100-01-01T05:30:00+05:30"],
    )
    .await;
    let summary = result.unwrap();
    assert_eq!(summary.as_of, FUTURE);
    assert_eq!(summary.would_purge, 50);
    assert_eq!(listed(&output), expected(&[&north, &south, &later]));
    assert_eq!(scan(&store).await, before);

    // A limited run takes 15 due users, no more.
    let (result, output) = ctl(&store, &["--limit", "15", "--concurrency", "4"]).await;
    let summary = result.unwrap();
    assert_eq!(
        (
            summary.due,
            summary.purged,
            summary.would_purge,
            summary.failed
        ),
        (15, 15, 0, 0),
        "{output}"
    );
    assert_eq!(summary.stopped, Stop::Limit);
    assert!(listed(&output).is_empty());
    assert!(output.contains("  purged              15\n"), "{output}");
    assert_eq!(due_now(&store).await, 25);
    let users: BTreeSet<String> = scan(&store)
        .await
        .iter()
        .filter(|i| text(i, "SK").starts_with("USER#"))
        .map(|i| text(i, "id"))
        .collect();
    assert_eq!(users.len(), 35);
    assert_eq!(users.intersection(&due_ids).count(), 25);
    assert!(later_ids.is_subset(&users));

    // The rest: nothing due remains; the future users and their claims stay.
    let (result, output) = ctl(&store, &[]).await;
    let summary = result.unwrap();
    assert_eq!(
        (summary.due, summary.purged, summary.failed),
        (25, 25, 0),
        "{output}"
    );
    assert_eq!(summary.stopped, Stop::Done);
    assert_eq!(tenantryctl::exit_status(&summary), 0);
    assert_eq!(due_now(&store).await, 0);

    let after = scan(&store).await;
    let users: BTreeSet<String> = after
        .iter()
        .filter(|i| text(i, "SK").starts_with("USER#"))
        .map(|i| text(i, "id"))
        .collect();
    assert_eq!(users, later_ids);
    let claimants: Vec<String> = after
        .iter()
        .filter(|i| text(i, "SK") == "CLAIM")
        .map(|i| text(i, "user_id"))
        .collect();
    assert_eq!(claimants.len(), 20);
    assert!(claimants.iter().all(|id| later_ids.contains(id)));
    // One tombstone per purged user.
    let tombstones: BTreeSet<String> = after
        .iter()
        .filter(|i| text(i, "PK").starts_with("AUDIT#"))
        .map(|i| text(i, "target_id"))
        .collect();
    assert_eq!(tombstones, due_ids);
    assert_eq!(after.len(), 10 * 3 + 40);

    // A second run finds nothing.
    let (result, _) = ctl(&store, &[]).await;
    let summary = result.unwrap();
    assert_eq!((summary.due, summary.purged), (0, 0));
}

#[tokio::test]
async fn a_missing_table_is_a_one_line_error() {
    let table = format!("ctl-missing-{}", uuid::Uuid::now_v7().simple());
    let endpoint = endpoint();
    let cli = Cli::try_parse_from([
        "tenantryctl",
        "purge",
        "--table",
        &table,
        "--endpoint",
        &endpoint,
    ])
    .unwrap();
    let mut out = Vec::new();
    let err = tenantryctl::run(cli, &mut out).await.unwrap_err();
    assert!(!err.contains('\n'), "{err}");
    assert!(
        err.contains(&table) && err.contains("does not exist"),
        "{err}"
    );
    assert!(out.is_empty());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_one_line_error() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}");
    let cli = Cli::try_parse_from([
        "tenantryctl",
        "purge",
        "--table",
        "tenantry",
        "--endpoint",
        &endpoint,
    ])
    .unwrap();
    let err = tenantryctl::run(cli, &mut Vec::new()).await.unwrap_err();
    assert!(!err.contains('\n'), "{err}");
    assert!(err.starts_with("cannot read table \"tenantry\""), "{err}");
}
