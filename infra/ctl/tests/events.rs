//! `tenantryctl events replay` in-process, against DynamoDB Local and moto's EventBridge
//! (`make test` starts both): it publishes again what the stream published, with the same ids
//! and bodies, a time range and types at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use clap::Parser;
use serde_json::Value;
use tenantry_tests::events::{EventsRig, Subscriber, audit_log, eventbridge_endpoint};
use tenantry_tests::{Stack, endpoint};
use tenantryctl::Cli;
use tenantryctl::events::ReplaySummary;

/// Runs `tenantryctl events replay` for tenant acme of the stack into `bus`; the result and
/// the output.
async fn replay(
    stack: &Stack,
    bus: &str,
    extra: &[&str],
) -> (Result<ReplaySummary, String>, String) {
    let (endpoint, eventbridge) = (endpoint(), eventbridge_endpoint());
    let mut args = vec![
        "tenantryctl",
        "events",
        "replay",
        "--table",
        stack.store.table(),
        "--endpoint",
        &endpoint,
        "--eventbridge-endpoint",
        &eventbridge,
        "--tenant",
        "acme",
        "--stack",
        "test",
        "--bus",
        bus,
    ];
    args.extend_from_slice(extra);
    let cli = Cli::try_parse_from(&args).unwrap();
    let mut out = Vec::new();
    let result = tenantryctl::run(cli, &mut out)
        .await
        .map(|report| match report {
            tenantryctl::Report::Events(summary) => summary,
            other => panic!("not a replay: {other:?}"),
        });
    (result, String::from_utf8(out).unwrap())
}

/// A story on acme: its creation, three users, two deletions and a restore.
async fn story(stack: &Stack) {
    let (_, owner) = stack.tenant("acme").await;
    let mut ids = Vec::new();
    for name in ["ben", "cyd", "dot"] {
        ids.push(stack.user("acme", &owner, name, "user").await.0);
    }
    stack.delete("acme", &ids[0], &owner).await;
    stack.delete("acme", &ids[1], &owner).await;
    stack.restore("acme", &ids[1], &owner).await;
}

fn by_id(delivered: &[tenantry_tests::events::Delivered]) -> BTreeMap<String, Value> {
    delivered
        .iter()
        .map(|d| (d.event.id.clone(), d.detail.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_publishes_again_what_the_stream_published_with_the_same_ids_and_bodies() {
    let stack = Stack::with_events().await;
    let mut rig = EventsRig::start(&stack).await;
    story(&stack).await;
    let audits = audit_log(&stack, &["acme"]).await;
    let ids: BTreeSet<String> = audits.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids.len(), 7);
    assert!(
        rig.subscriber
            .receive(&ids, Duration::from_secs(30))
            .await
            .is_empty()
    );
    rig.stop().await;
    // The platform's bootstrap event was streamed too; the replay is of acme's.
    rig.subscriber
        .delivered
        .retain(|d| d.event.tenantid == "acme");
    let streamed = by_id(&rig.subscriber.delivered);

    let mut late = Subscriber::start(&format!("{}-late", stack.store.table())).await;
    let (summary, out) = replay(&stack, &late.bus_name, &["--since", "2020-01-01T00:00:00Z"]).await;
    let summary = summary.unwrap();
    assert_eq!(summary.replayed(), 7, "{out}");
    assert_eq!(summary.failed, None);
    assert!(late.receive(&ids, Duration::from_secs(30)).await.is_empty());
    let replayed: BTreeMap<String, Value> = by_id(&late.delivered);
    assert_eq!(
        replayed.keys().collect::<Vec<_>>(),
        streamed.keys().collect::<Vec<_>>()
    );
    for (id, body) in &replayed {
        assert_eq!(body, &streamed[id], "{id}");
    }
    // In commit order, as the stream delivered them.
    let order = |delivered: &[tenantry_tests::events::Delivered]| -> Vec<String> {
        delivered.iter().map(|d| d.event.id.clone()).collect()
    };
    assert_eq!(order(&late.delivered), order(&rig.subscriber.delivered));
    assert!(
        out.starts_with("replayed 7 events of tenant acme from 2020-01-01T00:00:00.000Z to "),
        "{out}"
    );
    assert!(out.contains("user.deleted                   2"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_takes_a_half_open_time_range_and_the_types_asked_for() {
    let stack = Stack::new().await;
    story(&stack).await;
    let audits = audit_log(&stack, &["acme"]).await;
    // The log is newest first; from the fourth oldest event on, until the newest (excluded).
    let oldest_first: Vec<_> = audits.iter().rev().collect();
    let since = &oldest_first[3].at;
    let until = &oldest_first[6].at;
    let expected: BTreeSet<String> = oldest_first
        .iter()
        .filter(|a| a.at.as_str() >= since.as_str() && a.at.as_str() < until.as_str())
        .map(|a| a.id.clone())
        .collect();
    assert!(!expected.is_empty());

    let mut ranged = Subscriber::start(&format!("{}-range", stack.store.table())).await;
    let (summary, out) = replay(
        &stack,
        &ranged.bus_name,
        &["--since", since, "--until", until],
    )
    .await;
    assert_eq!(summary.unwrap().replayed(), expected.len(), "{out}");
    assert!(
        ranged
            .receive(&expected, Duration::from_secs(30))
            .await
            .is_empty()
    );
    // Nothing else arrives.
    ranged.receive_once().await;
    let got: BTreeSet<String> = ranged
        .delivered
        .iter()
        .map(|d| d.event.id.clone())
        .collect();
    assert_eq!(got, expected);

    let mut deleted = Subscriber::start(&format!("{}-deleted", stack.store.table())).await;
    let (summary, out) = replay(
        &stack,
        &deleted.bus_name,
        &[
            "--since",
            "2020-01-01T00:00:00Z",
            "--type",
            "user.deleted",
            "--type",
            "tenantry.user.restored",
        ],
    )
    .await;
    let summary = summary.unwrap();
    assert_eq!(summary.replayed(), 3, "{out}");
    assert_eq!(
        summary.by_type.keys().collect::<Vec<_>>(),
        ["user.deleted", "user.restored"]
    );
    assert!(out.contains("of type user.deleted, user.restored"), "{out}");
    let wanted: BTreeSet<String> = audits
        .iter()
        .filter(|a| a.action == "user.delete" || a.action == "user.restore")
        .map(|a| a.id.clone())
        .collect();
    assert!(
        deleted
            .receive(&wanted, Duration::from_secs(30))
            .await
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_of_a_range_without_events_says_so_and_publishes_nothing() {
    let stack = Stack::new().await;
    story(&stack).await;
    let mut empty = Subscriber::start(&format!("{}-empty", stack.store.table())).await;
    let (summary, out) = replay(
        &stack,
        &empty.bus_name,
        &[
            "--since",
            "2021-01-01T00:00:00Z",
            "--until",
            "2021-02-01T00:00:00Z",
        ],
    )
    .await;
    assert_eq!(summary.unwrap().replayed(), 0);
    assert_eq!(
        out,
        "no events of tenant acme from 2021-01-01T00:00:00.000Z to 2021-02-01T00:00:00.000Z: nothing replayed\n"
    );
    assert_eq!(empty.receive_once().await, 0);

    // A range that ends before it starts, and an unknown type, are refused.
    let (result, _) = replay(
        &stack,
        &empty.bus_name,
        &[
            "--since",
            "2021-02-01T00:00:00Z",
            "--until",
            "2021-01-01T00:00:00Z",
        ],
    )
    .await;
    assert!(result.unwrap_err().contains("must be before --until"));
    let refused = Cli::try_parse_from([
        "tenantryctl",
        "events",
        "replay",
        "--table",
        "t",
        "--tenant",
        "acme",
        "--stack",
        "s",
        "--since",
        "2021-01-01T00:00:00Z",
        "--type",
        "user.erased",
    ]);
    let error = refused.unwrap_err().to_string();
    assert!(error.contains("expected one of tenant.created"), "{error}");
}
