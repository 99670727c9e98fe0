//! `make bench`: the functions measured side by side in one run, against the DynamoDB Local at
//! `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the make target starts one and builds what is measured).
//! Prints a table and writes BENCHMARKS.md, keeping its hand-written notes: everything from
//! the line `<!-- notes: written by hand, kept by make bench -->` to the end ([`crate::notes`]).
//!
//! 1. Cold start of `get-user` (and of the builds given by `--variant`) next to a Python
//!    function doing the same work (boto3 and `awslambdaric`), each run as its own process on
//!    a Lambda Runtime API ([`crate::runtime_api`]): from spawning the process to its
//!    first request for an event, then one invocation; peak RSS from `/proc/PID/status`
//!    (`cold_start`).
//! 2. Warm latency of get, list, delete and restore through that Runtime API, each invocation
//!    followed by the same DynamoDB calls issued bare (the floor: `floor`, `warm_latency`).
//! 3. list-users with 1,000 and with 100,000 users in the tenant (`scale`).
//! 4. The purge against raw conditional `DeleteItem`s ([`crate::purge_bench`]).
//! 5. Sizes of the arm64 packages (`make package`'s sizes.tsv: `sizes`).
//! 6. The builds of section 1 side by side; 7. lifecycle events (`lifecycle_events`);
//! 8. login timing, a wrong password against an unknown name (`login_timing`).
//! 9. The memory sweep (`memory_sweep`): each function at each memory size under the CPU
//!    quota Lambda gives that size (`cgroup`), after a check that the quotas bind
//!    (`busy_loop`); its subjects and their users (`sweep_subjects`); the size chosen for
//!    each function and its cost (`sizing`), written to `infra/memory-sizes.tsv`; the section
//!    (`sweep_report`) and its chart (`chart`). `--only sweep` runs it alone and replaces
//!    section 9 of the existing BENCHMARKS.md.
//!
//! `report` writes sections 1 to 8; the functions run as processes (`processes`) invoked with
//! the events API Gateway sends (`events`).

mod args;
mod busy_loop;
mod cgroup;
mod chart;
mod cold_start;
mod events;
mod floor;
mod lifecycle_events;
mod login_timing;
mod memory_sweep;
mod processes;
mod report;
mod scale;
mod sizes;
mod sizing;
mod stats;
mod sweep_report;
mod sweep_subjects;
mod warm_latency;

use std::fs;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
use tenantry_accounts::Principal;
use tenantry_store::{Store, StoreConfig, UserItem};
use tenantry_tests::{Stack, endpoint, seed};

pub use args::{Args, USAGE, parse};
pub use busy_loop::{FLAG as BUSY_LOOP_FLAG, child as busy_loop};
use cold_start::Cold;
use floor::Floor;
use processes::{Env, Subject};
use warm_latency::Warm;

use crate::{notes, purge_bench};

const TENANT: &str = "bench";
/// Invocations per process that are not counted (the first connections, lazy statics).
const WARM_UP: usize = 20;
const LIST_LIMIT: usize = 50;
const TIMEOUT: Duration = Duration::from_secs(30);
/// Audit events the local publisher drains at once, and changes whose lag is timed one by one.
const EVENT_BACKLOG: usize = 2_000;
const EVENT_SAMPLES: usize = 100;
/// Logins of each kind timed: a wrong password for an account, and a name with none.
const LOGIN_SAMPLES: usize = 200;

struct Results {
    cold: Vec<(Subject, Cold)>,
    /// `health` and `console`, the functions that read nothing.
    pages_cold: Vec<(Subject, Cold)>,
    warm: Vec<(&'static str, Warm)>,
    python_warm: Vec<Duration>,
    runtime_only: Vec<Duration>,
    /// Warm gets of each build of section 6, in the order of `cold` after Python.
    builds_warm: Vec<Vec<Duration>>,
    raw_get: Vec<Duration>,
    round_trips: Vec<(&'static str, u64)>,
    scale: Vec<(usize, Vec<Duration>)>,
    clients: (Vec<Duration>, Vec<Duration>),
    purge: purge_bench::Figures,
    events: lifecycle_events::EventsFigures,
    logins: login_timing::LoginTiming,
    sizes: Vec<(String, u64, u64)>,
}

/// Measures everything, in order, prints the report and writes it to `--out`; with
/// `--only sweep`, the memory sweep alone, replacing its section of `--out`.
pub async fn run(args: Args) -> ExitCode {
    let bench = Bench::set_up(args).await;
    bench.warm_up_dynamodb().await;
    if bench.args.only_sweep {
        let section = bench.sweep_section().await;
        println!("\n{section}");
        let existing = fs::read_to_string(&bench.args.out).unwrap_or_default();
        let written = notes::replace_section(&existing, sweep_report::SECTION, &section);
        fs::write(&bench.args.out, written).expect("write the report");
        println!(
            "bench: replaced section {} of {}",
            sweep_report::SECTION,
            bench.args.out.display()
        );
        let _ = fs::remove_dir_all(&bench.logs);
        return ExitCode::SUCCESS;
    }
    let cold = bench.cold_starts().await;
    let pages_cold = bench.page_cold_starts().await;
    let (warm, raw_get) = bench.warm().await;
    let python_warm = bench.python_warm().await;
    let builds_warm = bench.builds_warm().await;
    let runtime_only = bench.runtime_only().await;
    let round_trips = bench.round_trips().await;
    let scale = bench.scale().await;
    let clients = bench.clients_once().await;
    println!("purge: {} users", bench.args.purge_users);
    let purge = purge_bench::run(purge_bench::Config {
        users: bench.args.purge_users,
        ..purge_bench::Config::default()
    })
    .await;
    println!("lifecycle events: a backlog of {EVENT_BACKLOG}, then {EVENT_SAMPLES} one at a time");
    let events = lifecycle_events::measure(EVENT_BACKLOG, EVENT_SAMPLES).await;
    println!("login timing: {LOGIN_SAMPLES} wrong passwords and {LOGIN_SAMPLES} unknown names");
    let (_, owner) = bench.owner().await;
    let logins = login_timing::measure(&bench.stack, &owner, LOGIN_SAMPLES).await;
    let sizes = bench
        .args
        .sizes
        .as_deref()
        .map(sizes::read_sizes)
        .unwrap_or_default();
    let results = Results {
        cold,
        pages_cold,
        warm,
        python_warm,
        builds_warm,
        runtime_only,
        raw_get,
        round_trips,
        scale,
        clients,
        purge,
        events,
        logins,
        sizes,
    };
    let mut report = report::report(&bench.args, &results);
    report.push('\n');
    report.push_str(&bench.sweep_section().await);
    println!("\n{report}");
    let existing = fs::read_to_string(&bench.args.out).ok();
    let written = notes::keep_notes(&report, existing.as_deref());
    fs::write(&bench.args.out, written).expect("write the report");
    println!("bench: wrote {}", bench.args.out.display());
    let _ = fs::remove_dir_all(&bench.logs);
    ExitCode::SUCCESS
}

/// The table, its tenant, and the users acted on.
struct Bench {
    args: Args,
    stack: Stack,
    endpoint: String,
    logs: PathBuf,
    floor_store: Store,
    owner_id: String,
    /// The user every get reads.
    target: String,
    /// Deleted then restored by the functions, one each.
    doomed: Vec<String>,
    /// Deleted then restored by the floor, one each.
    doomed_floor: Vec<String>,
}

impl Bench {
    async fn set_up(args: Args) -> Bench {
        let logs = std::env::temp_dir().join(format!("tenantry-bench-{}", std::process::id()));
        fs::create_dir_all(&logs).expect("a log directory");
        let endpoint = endpoint();
        let stack = Stack::new().await;
        println!(
            "bench: table {} on {endpoint}, function logs in {}",
            stack.store.table(),
            logs.display()
        );
        let (owner_id, _) = stack.tenant(TENANT).await;
        let target = seed_users(&stack, TENANT, "target", 1, true)
            .await
            .remove(0);
        // The memory sweep alone makes its own users.
        let per_side = if args.only_sweep {
            0
        } else {
            args.warm + WARM_UP
        };
        let doomed = seed_users(&stack, TENANT, "doomed", per_side, true).await;
        let doomed_floor = seed_users(&stack, TENANT, "floor", per_side, true).await;
        seed_users(&stack, TENANT, "member", LIST_LIMIT * 2, false).await;
        let floor_store = Store::connect(&store_config(stack.store.table(), &endpoint)).await;
        Bench {
            args,
            stack,
            endpoint,
            logs,
            floor_store,
            owner_id,
            target,
            doomed,
            doomed_floor,
        }
    }

    fn env(&self) -> Env<'_> {
        Env {
            table: self.stack.store.table(),
            endpoint: &self.endpoint,
            logs: &self.logs,
        }
    }

    fn shipped(&self, name: &str) -> Subject {
        Subject::rust(name, &self.args.bin_dir.join(name))
    }

    fn python(&self) -> Subject {
        Subject {
            label: "python-get-user".into(),
            program: self.args.python.clone(),
            args: vec![
                "-m".into(),
                "awslambdaric".into(),
                "get_user.handler".into(),
            ],
            dir: Some(self.args.python_dir.clone()),
            size: None,
        }
    }

    /// A new session of the tenant's owner (an admin): its floor and its token.
    async fn owner(&self) -> (Floor, String) {
        let (principal, token) = session(&self.stack, TENANT, &self.owner_id).await;
        let floor = Floor {
            store: self.floor_store.clone(),
            principal,
        };
        (floor, token)
    }

    fn is_target(&self) -> impl Fn(&Value) -> bool + Copy + '_ {
        |body: &Value| body["id"] == self.target.as_str()
    }

    /// Section 9: the memory sweep, its files written (`--memory-sizes`, `--chart`).
    async fn sweep_section(&self) -> String {
        let sweep = self.memory_sweep().await;
        let rows = match &sweep {
            memory_sweep::Sweep::Done(figures) => {
                let choices = sweep_report::choices(figures);
                let rows = sweep_report::write_files(&self.args, &choices)
                    .unwrap_or_else(|e| panic!("memory sweep: {e}"));
                println!(
                    "bench: wrote {} and {}",
                    self.args.memory_sizes.display(),
                    self.args.chart.display()
                );
                rows
            }
            memory_sweep::Sweep::Skipped(_) => Vec::new(),
        };
        sweep_report::section(&self.args, &sweep, &rows)
    }

    /// DynamoDB Local runs on a JVM: its hot paths are compiled before anything is measured.
    async fn warm_up_dynamodb(&self) {
        let (floor, _) = self.owner().await;
        for _ in 0..500 {
            floor.get(&self.target).await;
            floor.list(TENANT, &floor.principal).await;
        }
    }
}

/// A new login session of `user_id`: its principal and access token.
async fn session(stack: &Stack, tenant: &str, user_id: &str) -> (Principal, String) {
    let user = stack.user_item(tenant, user_id).await.expect("the user");
    let session = stack
        .app
        .accounts
        .open_session(&user)
        .await
        .expect("a session");
    let token = stack.app.tokens.issue(&session.principal).expect("a token");
    (session.principal, token)
}

/// `count` active users of `tenant` written straight to the table; their ids.
async fn seed_users(
    stack: &Stack,
    tenant: &str,
    label: &str,
    count: usize,
    claims: bool,
) -> Vec<String> {
    let users: Vec<UserItem> = (0..count)
        .map(|n| seed::user(tenant, &format!("{label}-{n}"), "user", false))
        .collect();
    if claims {
        seed::put_users(&stack.store, &users, 16).await;
    } else {
        let items = users
            .iter()
            .map(|u| serde_dynamo::to_item(u).expect("an item"))
            .collect();
        seed::put_all(&stack.store, items, 32).await;
    }
    users.into_iter().map(|u| u.id).collect()
}

fn store_config(table: &str, endpoint: &str) -> StoreConfig {
    StoreConfig {
        table: table.to_owned(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.to_owned()),
        max_attempts: 3,
    }
}
