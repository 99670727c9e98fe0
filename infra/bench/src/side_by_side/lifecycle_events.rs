//! Lifecycle events on the local stream: how fast the publisher drains a backlog of audit
//! items (events per second), and how long an event takes from the API's answer to the bus
//! (the lag, p50 and p99), with the publisher polling the stream as `make dev` does (every
//! 250 ms when idle, as Lambda's event source mapping polls about four times a second).
//!
//! The bus is in process and only notes the arrival time of each event, so the figures are
//! DynamoDB Local's stream, the filter, the handler and the publisher's batching, without any
//! EventBridge's latency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use tenantry_dev::events::{StreamPublisher, StreamSettings};
use tenantry_dev::template::{self, Template};
use tenantry_events::publisher::Outcomes;
use tenantry_events::{Bus, CloudEvent};
use tenantry_tests::Stack;

/// What the events bench measured.
#[derive(Clone, Debug)]
pub struct EventsFigures {
    /// Events in the backlog the publisher drained.
    pub backlog: usize,
    pub drain_seconds: f64,
    pub per_second: f64,
    /// From a change's answer to its event's arrival, one change at a time.
    pub lags: Vec<Duration>,
}

/// Notes when each event arrived, by (type, subject).
#[derive(Default)]
struct TimedBus(Mutex<HashMap<(String, String), Instant>>);

impl Bus for TimedBus {
    fn put<'a>(&'a self, events: &'a [CloudEvent]) -> BoxFuture<'a, Result<Outcomes, String>> {
        let now = Instant::now();
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for event in events {
            seen.entry((event.kind.clone(), event.subject.clone()))
                .or_insert(now);
        }
        Box::pin(async move { Ok(vec![Ok(()); events.len()]) })
    }
}

async fn publisher(stack: &Stack, bus: Arc<TimedBus>) -> StreamPublisher {
    let template = Template::load(&template::default_path()).expect("template.yaml");
    let settings = StreamSettings {
        table: stack.store.table().to_owned(),
        region: "us-east-1".into(),
        endpoint: tenantry_tests::endpoint(),
        filters: template
            .stream_filters("publish-events")
            .expect("the publisher's filter"),
        source: "urn:tenantry:bench".into(),
        checkpoint: None,
        failure_log: None,
        max_deliveries: 3,
        idle: Duration::from_millis(250),
    };
    StreamPublisher::start(settings, bus)
        .await
        .expect("the local publisher starts")
}

/// `backlog` events (deletions and restores of a few users) drained from the stream, then
/// `samples` deletions, one at a time, each timed from its answer to its event's arrival.
pub(super) async fn measure(backlog: usize, samples: usize) -> EventsFigures {
    let stack = Stack::with_events().await;
    let (_, mut owner) = stack.tenant("bench").await;
    // Access tokens live 15 minutes, and a backlog written on a busy machine can take longer:
    // sign in again every 10 minutes.
    let mut signed_in = Instant::now();
    let mut users = Vec::new();
    for i in 0..10 {
        users.push(
            stack
                .user("bench", &owner, &format!("cycler{i}"), "user")
                .await
                .0,
        );
    }
    // The backlog: before the publisher starts (the bootstrap, the tenant and the users count).
    let mut written = 2 + users.len();
    'cycles: loop {
        for id in &users {
            if written >= backlog {
                break 'cycles;
            }
            if signed_in.elapsed() > Duration::from_secs(600) {
                owner = stack
                    .login("bench", "bench-owner", tenantry_tests::PASSWORD)
                    .await;
                signed_in = Instant::now();
            }
            for answer in [
                stack.delete("bench", id, &owner).await,
                stack.restore("bench", id, &owner).await,
            ] {
                assert!(
                    answer.status.is_success(),
                    "the backlog's write of {id} failed: {} {}",
                    answer.status,
                    answer.body
                );
            }
            written += 2;
        }
    }
    let bus = Arc::new(TimedBus::default());
    let started = Instant::now();
    let running = publisher(&stack, Arc::clone(&bus)).await;
    let drained = running
        .wait_for(Duration::from_secs(300), |p| {
            p.published as usize >= written
        })
        .await;
    assert!(
        drained,
        "the backlog was not drained: {:?}",
        running.progress()
    );
    let drain_seconds = started.elapsed().as_secs_f64();

    // The lag, one change at a time, each on a user of its own, with a fresh token.
    let owner = stack
        .login("bench", "bench-owner", tenantry_tests::PASSWORD)
        .await;
    let mut targets = Vec::new();
    for i in 0..samples {
        targets.push(
            stack
                .user("bench", &owner, &format!("lag{i}"), "user")
                .await
                .0,
        );
    }
    let mut lags = Vec::new();
    for id in &targets {
        tokio::time::sleep(Duration::from_millis(rand::random_range(0..100))).await;
        assert!(stack.delete("bench", id, &owner).await.status.is_success());
        let answered = Instant::now();
        let key = ("tenantry.user.deleted".to_owned(), id.clone());
        let arrived = loop {
            if let Some(at) = bus.0.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
                break *at;
            }
            assert!(
                answered.elapsed() < Duration::from_secs(60),
                "the deletion of {id} did not reach the bus in 60 s: {:?}",
                running.progress()
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        lags.push(arrived.saturating_duration_since(answered));
    }
    running.stop().await.expect("the publisher stops");
    EventsFigures {
        backlog: written,
        drain_seconds,
        per_second: written as f64 / drain_seconds.max(1e-9),
        lags,
    }
}
