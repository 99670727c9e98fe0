//! Warm latency (section 2, and the warm columns of section 6): functions kept in one
//! process and invoked again and again, each invocation of section 2 followed by its floor;
//! the first [`WARM_UP`] invocations of a process are not counted.

use std::time::{Duration, Instant};

use serde_json::Value;
use tenantry_store::Store;
use tenantry_tests::Request;

use super::events::{delete_event, event, full_page, get_event, list_event, restore_event};
use super::floor::Floor;
use super::processes::{Running, Subject, invoke, start};
use super::stats::{percentile, ratio};
use super::{Bench, LIST_LIMIT, TENANT, WARM_UP, seed_users, store_config};

/// A function's warm invocations (the handler, as the Runtime API saw it), each with its floor.
pub(super) struct Warm {
    pub(super) handler: Vec<Duration>,
    pub(super) floor: Vec<Duration>,
}

impl Warm {
    /// From (handler, floor) pairs.
    fn new(pairs: Vec<(Duration, Duration)>) -> Warm {
        let (handler, floor) = pairs.into_iter().unzip();
        Warm { handler, floor }
    }

    pub(super) fn ratio(&self, p: f64) -> f64 {
        ratio(percentile(&self.handler, p), percentile(&self.floor, p))
    }
}

/// What `step` measured, run [`WARM_UP`]` + n` times one after the other (`step(i)`), the
/// first [`WARM_UP`] left out.
pub(super) async fn counted<T>(n: usize, mut step: impl AsyncFnMut(usize) -> T) -> Vec<T> {
    let mut kept = Vec::with_capacity(n);
    for i in 0..WARM_UP + n {
        let measured = step(i).await;
        if i >= WARM_UP {
            kept.push(measured);
        }
    }
    kept
}

/// `calls` (a process and its event) invoked in turn, round after round (`n` counted): a
/// sample for each call.
pub(super) async fn interleaved(
    n: usize,
    calls: &[(&Running, &Value)],
    check: impl Fn(&Value) -> bool + Copy,
) -> Vec<Vec<Duration>> {
    let rounds = counted(n, async |_| {
        let mut round = Vec::with_capacity(calls.len());
        for (running, event) in calls {
            round.push(invoke(running, event, 200, check).await);
        }
        round
    })
    .await;
    let mut samples = vec![Vec::new(); calls.len()];
    for round in rounds {
        for (sample, took) in samples.iter_mut().zip(round) {
            sample.push(took);
        }
    }
    samples
}

impl Bench {
    /// `subject` started in a process of its own, and `step` run on it `--warm` times (and
    /// [`WARM_UP`] more), one after the other.
    async fn in_process<T>(
        &self,
        subject: &Subject,
        mut step: impl AsyncFnMut(&Running, usize) -> T,
    ) -> Vec<T> {
        let running = start(subject, &self.env()).await;
        counted(self.args.warm, async |i| step(&running, i).await).await
    }

    /// The shipped `function` warm: invoked with `event(i)` and answering 200 with a body
    /// for which `check` holds, then `floor(i)` (its floor, and whatever else it measures).
    async fn against_floor<F>(
        &self,
        function: &str,
        event: impl Fn(usize) -> Value,
        check: impl Fn(&Value) -> bool + Copy,
        mut floor: impl AsyncFnMut(usize) -> F,
    ) -> Vec<(Duration, F)> {
        self.in_process(&self.shipped(function), async |running, i| {
            let took = invoke(running, &event(i), 200, check).await;
            (took, floor(i).await)
        })
        .await
    }

    /// Each function in one process; each invocation followed by its floor. Also the get's
    /// BatchGetItem by hand, as a check on the floor.
    pub(super) async fn warm(&self) -> (Vec<(&'static str, Warm)>, Vec<Duration>) {
        let (floor, token) = self.owner().await;
        let n = self.args.warm;
        println!("warm: {n} invocations each of get, list, delete, restore, and their floors");
        let get = get_event(TENANT, &self.target, &token);
        let get_floor = async |_| {
            let floor_took = floor.get(&self.target).await;
            (floor_took, floor.get_raw(&self.target).await)
        };
        let (gets, raw_get): (Vec<_>, Vec<_>) = self
            .against_floor("get-user", |_| get.clone(), self.is_target(), get_floor)
            .await
            .into_iter()
            .map(|(took, (floor_took, raw))| ((took, floor_took), raw))
            .unzip();
        let list = list_event(TENANT, &token);
        let list_floor = async |_| floor.list(TENANT, &floor.principal).await;
        let lists = self
            .against_floor("list-users", |_| list.clone(), full_page, list_floor)
            .await;
        // One user each, deleted by delete-user, then restored by restore-user; the floor
        // deletes and restores users of its own.
        let delete = |i: usize| delete_event(TENANT, &self.doomed[i], &token);
        let deleted = |body: &Value| body["deleted_at"].is_string();
        let delete_floor = async |i: usize| floor.delete(&self.doomed_floor[i]).await;
        let deletes = self
            .against_floor("delete-user", delete, deleted, delete_floor)
            .await;
        let restore = |i: usize| restore_event(TENANT, &self.doomed[i], &token);
        let restored = |body: &Value| body["state"] == "active";
        let restore_floor = async |i: usize| floor.restore(&self.doomed_floor[i]).await;
        let restores = self
            .against_floor("restore-user", restore, restored, restore_floor)
            .await;
        let warm = vec![
            ("get", Warm::new(gets)),
            ("list", Warm::new(lists)),
            ("delete", Warm::new(deletes)),
            ("restore", Warm::new(restores)),
        ];
        (warm, raw_get)
    }

    /// Every get-user build (the earlier ones, then the shipped one) warm, one invocation of
    /// each in turn.
    pub(super) async fn builds_warm(&self) -> Vec<Vec<Duration>> {
        let (_, token) = self.owner().await;
        let get = get_event(TENANT, &self.target, &token);
        let mut subjects: Vec<Subject> = (self.args.variants.iter())
            .map(|(label, path)| Subject::rust(label, path))
            .collect();
        subjects.push(self.shipped("get-user"));
        let mut running = Vec::new();
        for subject in &subjects {
            running.push(start(subject, &self.env()).await);
        }
        let calls: Vec<_> = running.iter().map(|process| (process, &get)).collect();
        interleaved(self.args.warm, &calls, self.is_target()).await
    }

    /// The Python function's warm get, for reference (no floor).
    pub(super) async fn python_warm(&self) -> Vec<Duration> {
        let (_, token) = self.owner().await;
        let get = get_event(TENANT, &self.target, &token);
        let is_target = self.is_target();
        let get_python = async |running: &Running, _| invoke(running, &get, 200, is_target).await;
        self.in_process(&self.python(), get_python).await
    }

    /// The Runtime API's own share: `health`, which reads no token and no table.
    pub(super) async fn runtime_only(&self) -> Vec<Duration> {
        let health = event("GET", "/health", "/health", &[], "", "none");
        let ok = |body: &Value| body["status"] == "ok";
        let get_health = async |running: &Running, _| invoke(running, &health, 200, ok).await;
        self.in_process(&self.shipped("health"), get_health).await
    }

    /// DynamoDB requests per operation, counted by the stack's interceptor on one call each
    /// (through the dev router: the same use cases the functions run).
    pub(super) async fn round_trips(&self) -> Vec<(&'static str, u64)> {
        let (_, token) = self.owner().await;
        let spare = seed_users(&self.stack, TENANT, "counted", 1, true)
            .await
            .remove(0);
        let calls = [
            ("get", "GET", format!("/tenants/{TENANT}/users/{spare}")),
            (
                "list",
                "GET",
                format!("/tenants/{TENANT}/users?limit={LIST_LIMIT}"),
            ),
            (
                "delete",
                "DELETE",
                format!("/tenants/{TENANT}/users/{spare}"),
            ),
            (
                "restore",
                "POST",
                format!("/tenants/{TENANT}/users/{spare}/restore"),
            ),
        ];
        let mut counts = Vec::new();
        for (op, method, path) in calls {
            self.stack.round_trips.reset();
            let answer = Request::new(method, path)
                .token(&token)
                .send(&self.stack)
                .await;
            assert_eq!(answer.status, 200, "{op}: {}", answer.body);
            let count = self.stack.round_trips.total();
            if op == "delete" || op == "restore" {
                assert!(count <= 2, "{op} took {count} round trips");
            }
            counts.push((op, count));
        }
        counts
    }

    /// A get with a client built for the call, against the client built once.
    pub(super) async fn clients_once(&self) -> (Vec<Duration>, Vec<Duration>) {
        let (floor, _) = self.owner().await;
        let config = store_config(self.stack.store.table(), &self.endpoint);
        let pairs = counted(200, async |_| {
            let started = Instant::now();
            let per_call = Floor {
                store: Store::connect(&config).await,
                principal: floor.principal.clone(),
            };
            per_call.get(&self.target).await;
            let fresh_took = started.elapsed();
            (fresh_took, floor.get(&self.target).await)
        })
        .await;
        pairs.into_iter().unzip()
    }
}
