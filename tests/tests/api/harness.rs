//! The race harness in quick mode (`make race` runs the long one): at least 1,000 random
//! operations from concurrent clients, the invariants checked after every round.

use tenantry_tests::proxy::Schedule;
use tenantry_tests::race::{RaceConfig, run};

fn assert_clean(report: &tenantry_tests::race::RaceReport, operations: u64) {
    report.print();
    assert_eq!(report.operations, operations);
    assert!(report.violations.is_empty(), "{:#?}", report.violations);
    // The run really raced: things committed, the rules refused things, rounds were checked.
    assert!(report.commits > operations / 10, "{}", report.summary());
    assert!(report.denials > operations / 10, "{}", report.summary());
    assert!(report.rounds >= 4, "{}", report.summary());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quick_race_keeps_every_invariant() {
    let config = RaceConfig::quick(7);
    let report = run(&config).await;
    assert_clean(&report, config.operations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn quick_race_through_injected_faults_keeps_every_invariant_and_publishes_every_commit() {
    let config = RaceConfig {
        faults: Some(Schedule::chaos(11)),
        // Every committed change published, through EventBridge, to a subscriber's queue.
        events: true,
        ..RaceConfig::quick(11)
    };
    let report = run(&config).await;
    assert_clean(&report, config.operations);
    assert!(report.retries > 0, "{}", report.summary());
}
