//! `make bench`: the functions measured side by side in one run, against the DynamoDB Local at
//! `TENANTRY_TEST_DYNAMODB_ENDPOINT` (the make target starts one and builds what is measured).
//! Prints a table and writes BENCHMARKS.md, keeping its hand-written notes: everything from
//! the line `<!-- notes: written by hand, kept by make bench -->` to the end (`tenantry_bench::notes`).
//!
//! 1. Cold start of `get-user` (and of the builds given by `--variant`) next to a Python
//!    function doing the same work (boto3 and `awslambdaric`), each run as its own process on
//!    a Lambda Runtime API (`tenantry_bench::runtime_api`): from spawning the process to its
//!    first request for an event, then one invocation; peak RSS from `/proc/PID/status`.
//! 2. Warm latency of get, list, delete and restore through that Runtime API, each invocation
//!    followed by the same DynamoDB calls issued bare (the floor).
//! 3. list-users with 1,000 and with 100,000 users in the tenant.
//! 4. The purge against raw conditional `DeleteItem`s (`tenantry_bench::purge_bench`).
//! 5. Sizes of the arm64 packages (`make package`'s sizes.tsv).
//!
//! bench --bin-dir DIR --python PYTHON --python-dir DIR [--variant LABEL=PATH]... \
//!       [--sizes TSV] [--out FILE] [--cold N] [--warm N] [--scale-users N] [--purge-users N]
//!
//! Exits 2 on bad arguments; panics when something measured does not do its work.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use serde_json::{Value, json};
use tenantry_accounts::{Principal, format_time};
use tenantry_bench::runtime_api::RuntimeApi;
use tenantry_bench::{notes, purge_bench};
use tenantry_store::{
    ActorCheck, AuditItem, Deletion, Store, StoreConfig, UserFilter, UserItem, UserKey, keys,
};
use tenantry_tests::{Request, SIGNING_KEYS, Stack, endpoint, seed};
use time::OffsetDateTime;

const USAGE: &str = "usage: bench --bin-dir DIR --python PYTHON --python-dir DIR \
[--variant LABEL=PATH]... [--sizes TSV] [--out FILE] [--cold N] [--warm N] \
[--scale-users N] [--purge-users N]";
const TENANT: &str = "bench";
/// Invocations per process that are not counted (the first connections, lazy statics).
const WARM_UP: usize = 20;
const LIST_LIMIT: usize = 50;
const TIMEOUT: Duration = Duration::from_secs(30);

struct Args {
    bin_dir: PathBuf,
    python: PathBuf,
    python_dir: PathBuf,
    variants: Vec<(String, PathBuf)>,
    sizes: Option<PathBuf>,
    out: PathBuf,
    cold: usize,
    warm: usize,
    scale_users: usize,
    purge_users: usize,
    command_line: String,
}

fn parse(args: &[String]) -> Result<Args, String> {
    let (mut bin_dir, mut python, mut python_dir) = (None, None, None);
    let mut parsed = Args {
        bin_dir: PathBuf::new(),
        python: PathBuf::new(),
        python_dir: PathBuf::new(),
        variants: Vec::new(),
        sizes: None,
        out: PathBuf::from("BENCHMARKS.md"),
        cold: 30,
        warm: 1000,
        scale_users: 100_000,
        purge_users: 10_000,
        command_line: args.join(" "),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || -> Result<usize, String> {
            value
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(format!("{flag}: {value:?} is not a whole number above 0"))
        };
        match flag.as_str() {
            "--bin-dir" => bin_dir = Some(PathBuf::from(value)),
            "--python" => python = Some(PathBuf::from(value)),
            "--python-dir" => python_dir = Some(PathBuf::from(value)),
            "--variant" => {
                let (label, path) = value
                    .split_once('=')
                    .ok_or(format!("--variant {value:?}: expected LABEL=PATH"))?;
                parsed
                    .variants
                    .push((label.to_owned(), PathBuf::from(path)));
            }
            "--sizes" => parsed.sizes = Some(PathBuf::from(value)),
            "--out" => parsed.out = PathBuf::from(value),
            "--cold" => parsed.cold = number()?,
            "--warm" => parsed.warm = number()?,
            "--scale-users" => parsed.scale_users = number()?.max(2_000),
            "--purge-users" => parsed.purge_users = number()?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    // Absolute, not canonical: a venv's python must keep its own path.
    let absolute = |path: Option<PathBuf>, flag: &str| {
        let path = path.ok_or(format!("{flag} is required"))?;
        std::path::absolute(&path).map_err(|e| format!("{flag} {}: {e}", path.display()))
    };
    parsed.bin_dir = absolute(bin_dir, "--bin-dir")?;
    parsed.python = absolute(python, "--python")?;
    parsed.python_dir = absolute(python_dir, "--python-dir")?;
    for (_, path) in &mut parsed.variants {
        *path = absolute(Some(path.clone()), "--variant")?;
    }
    Ok(parsed)
}

// ------------------------------------------------------------------ statistics

/// Nearest-rank percentile (`p` in 0..=100) of a sample.
fn percentile(sample: &[Duration], p: f64) -> Duration {
    assert!(!sample.is_empty(), "an empty sample");
    let mut sorted = sample.to_vec();
    sorted.sort();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median_u64(sample: &[u64]) -> u64 {
    let mut sorted = sample.to_vec();
    sorted.sort_unstable();
    sorted[(sorted.len() - 1) / 2]
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2}")
    } else {
        format!("{ms:.1}")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.2}", bytes as f64 / f64::from(1 << 20))
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

// ------------------------------------------------------------------ processes

/// What a function process is started as: the Rust binary itself (its own `bootstrap`), or
/// Python's runtime interface client with a handler.
#[derive(Clone)]
struct Subject {
    label: String,
    program: PathBuf,
    args: Vec<String>,
    dir: Option<PathBuf>,
    /// The size of the file run (the Rust binaries; stripped as measured).
    size: Option<u64>,
}

impl Subject {
    fn rust(label: &str, path: &Path) -> Subject {
        Subject {
            label: label.to_owned(),
            program: path.to_owned(),
            args: Vec::new(),
            dir: None,
            size: fs::metadata(path).ok().map(|m| m.len()),
        }
    }
}

struct Running {
    api: RuntimeApi,
    child: Child,
    /// Spawn to first `/invocation/next`.
    init: Duration,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Env<'a> {
    table: &'a str,
    endpoint: &'a str,
    logs: &'a Path,
}

/// Starts `subject` on a new Runtime API with the environment Lambda gives a function
/// (plus the function's own variables) and waits for its first poll.
async fn start(subject: &Subject, env: &Env<'_>) -> Running {
    let mut api = RuntimeApi::start().await.expect("bind the runtime API");
    let log = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(env.logs.join(format!("{}.log", subject.label)))
        .expect("open the function's log");
    let task_root = subject
        .dir
        .clone()
        .unwrap_or_else(|| subject.program.parent().unwrap().to_owned());
    let mut command = Command::new(&subject.program);
    command
        .args(&subject.args)
        .current_dir(&task_root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("HOME", env.logs)
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", &subject.label)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_SESSION_TOKEN", "local")
        .env("LAMBDA_TASK_ROOT", &task_root)
        // Lambda's task root is read-only: Python finds no bytecode cache for the handler there.
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("TABLE_NAME", env.table)
        .env("DYNAMODB_ENDPOINT", env.endpoint)
        .env("TENANTRY_SIGNING_KEYS", SIGNING_KEYS)
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("the log"))
        .stderr(log);
    let spawned = Instant::now();
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("start {}: {e}", subject.program.display()));
    let polled = api.next_poll(TIMEOUT).await.unwrap_or_else(|| {
        panic!(
            "{} did not ask for an event within {TIMEOUT:?} (init errors: {:?}); see {}",
            subject.label,
            api.init_errors(),
            env.logs.display()
        )
    });
    Running {
        api,
        child,
        init: polled - spawned,
    }
}

/// Peak resident set size of a live process, in bytes.
fn peak_rss(child: &Child) -> u64 {
    let status = fs::read_to_string(format!("/proc/{}/status", child.id())).expect("/proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .expect("VmHWM in /proc/PID/status")
        * 1024
}

/// One invocation: its duration, after checking the function answered `status` with a body
/// for which `check` holds.
async fn invoke(
    running: &Running,
    event: &Value,
    status: u16,
    check: impl Fn(&Value) -> bool,
) -> Duration {
    let outcome = running
        .api
        .invoke(event.to_string().into_bytes(), TIMEOUT)
        .await
        .expect("an answer");
    let answer: Value = serde_json::from_slice(&outcome.body).expect("a JSON answer");
    let body: Value = answer["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    assert!(
        outcome.ok && answer["statusCode"] == status && check(&body),
        "unexpected answer to {} {}: {answer}",
        event["routeKey"],
        event["rawPath"]
    );
    outcome.duration
}

// ------------------------------------------------------------------ events

/// An API Gateway HTTP API (payload 2.0) event, as API Gateway sends it.
fn event(
    method: &str,
    route: &str,
    path: &str,
    params: &[(&str, &str)],
    query: &str,
    token: &str,
) -> Value {
    let query_map: serde_json::Map<String, Value> = form_pairs(query);
    let mut event = json!({
        "version": "2.0",
        "routeKey": format!("{method} {route}"),
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "application/json",
            "authorization": format!("Bearer {token}"),
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "tenantry-bench",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.7", "userAgent": "tenantry-bench"},
            "requestId": "bench",
            "routeKey": format!("{method} {route}"),
            "stage": "$default",
            "time": "24/Nov/2026:10:00:05 +0000",
            "timeEpoch": 1_795_514_405_822u64
        },
        "pathParameters": params.iter().map(|(k, v)| (k.to_string(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "isBase64Encoded": false
    });
    if !query_map.is_empty() {
        event["queryStringParameters"] = Value::Object(query_map);
    }
    event
}

fn form_pairs(query: &str) -> serde_json::Map<String, Value> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_owned(), json!(v)))
        .collect()
}

fn get_event(tenant: &str, user: &str, token: &str) -> Value {
    event(
        "GET",
        "/tenants/{tenant_id}/users/{user_id}",
        &format!("/tenants/{tenant}/users/{user}"),
        &[("tenant_id", tenant), ("user_id", user)],
        "",
        token,
    )
}

fn list_event(tenant: &str, token: &str) -> Value {
    event(
        "GET",
        "/tenants/{tenant_id}/users",
        &format!("/tenants/{tenant}/users"),
        &[("tenant_id", tenant)],
        &format!("limit={LIST_LIMIT}"),
        token,
    )
}

fn delete_event(tenant: &str, user: &str, token: &str) -> Value {
    event(
        "DELETE",
        "/tenants/{tenant_id}/users/{user_id}",
        &format!("/tenants/{tenant}/users/{user}"),
        &[("tenant_id", tenant), ("user_id", user)],
        "",
        token,
    )
}

fn restore_event(tenant: &str, user: &str, token: &str) -> Value {
    event(
        "POST",
        "/tenants/{tenant_id}/users/{user_id}/restore",
        &format!("/tenants/{tenant}/users/{user}/restore"),
        &[("tenant_id", tenant), ("user_id", user)],
        "",
        token,
    )
}

// ------------------------------------------------------------------ the floor

/// The same DynamoDB calls as a function makes, issued from this process through the store's
/// own request builders: no runtime, no event, no token, no policy, no response.
struct Floor {
    store: Store,
    principal: Principal,
}

impl Floor {
    fn actor(&self) -> UserKey<'_> {
        UserKey {
            tenant_id: &self.principal.tenant_id,
            user_id: &self.principal.user_id,
        }
    }

    /// get-user: one BatchGetItem of the caller, its session and the target.
    async fn get(&self, user_id: &str) -> Duration {
        let started = Instant::now();
        let snap = self
            .store
            .snapshot(
                self.actor(),
                Some(&self.principal.session_id),
                Some(UserKey {
                    tenant_id: TENANT,
                    user_id,
                }),
                None,
            )
            .await
            .expect("snapshot");
        let took = started.elapsed();
        assert!(snap.actor.is_some() && snap.session.is_some() && snap.target.is_some());
        took
    }

    /// The same BatchGetItem built by hand with the SDK, the answer not decoded.
    async fn get_raw(&self, user_id: &str) -> Duration {
        let key = |pk: String, sk: String| {
            HashMap::from([
                ("PK".to_owned(), AttributeValue::S(pk)),
                ("SK".to_owned(), AttributeValue::S(sk)),
            ])
        };
        let keys = KeysAndAttributes::builder()
            .keys(key(
                keys::tenant_pk(TENANT),
                keys::user_sk(&self.principal.user_id),
            ))
            .keys(key(
                keys::session_pk(&self.principal.session_id),
                keys::SESSION_SK.to_owned(),
            ))
            .keys(key(keys::tenant_pk(TENANT), keys::user_sk(user_id)))
            .consistent_read(true)
            .build()
            .expect("keys");
        let started = Instant::now();
        let out = self
            .store
            .client()
            .batch_get_item()
            .request_items(self.store.table(), keys)
            .send()
            .await
            .expect("BatchGetItem");
        let took = started.elapsed();
        assert_eq!(
            out.responses.unwrap_or_default()[self.store.table()].len(),
            3
        );
        took
    }

    /// list-users: the snapshot (caller, session, tenant) and the page, at once.
    async fn list(&self, tenant: &str, principal: &Principal) -> Duration {
        let started = Instant::now();
        let (snap, page) = tokio::join!(
            self.store.snapshot(
                UserKey {
                    tenant_id: &principal.tenant_id,
                    user_id: &principal.user_id
                },
                Some(&principal.session_id),
                None,
                Some(tenant)
            ),
            self.store
                .list_users(tenant, UserFilter::Active, LIST_LIMIT, None),
        );
        let took = started.elapsed();
        assert!(snap.expect("snapshot").tenant.is_some());
        assert_eq!(page.expect("page").items.len(), LIST_LIMIT);
        took
    }

    async fn snapshot_of(&self, user_id: &str) -> (UserItem, UserItem) {
        let snap = self
            .store
            .snapshot(
                self.actor(),
                Some(&self.principal.session_id),
                Some(UserKey {
                    tenant_id: TENANT,
                    user_id,
                }),
                Some(TENANT),
            )
            .await
            .expect("snapshot");
        (snap.actor.expect("actor"), snap.target.expect("target"))
    }

    fn audit(
        actor: &UserItem,
        target: &UserItem,
        at: &str,
        action: &str,
        details: Value,
    ) -> AuditItem {
        let id = uuid::Uuid::now_v7().to_string();
        AuditItem {
            pk: keys::audit_pk(TENANT),
            sk: keys::audit_sk(at, &id),
            id,
            at: at.to_owned(),
            tenant_id: TENANT.to_owned(),
            actor_id: actor.id.clone(),
            actor_version: actor.version,
            action: action.to_owned(),
            target_id: target.id.clone(),
            target_version: target.version,
            details,
        }
    }

    /// delete-user: the snapshot, then the guarded soft delete with its audit event.
    async fn delete(&self, user_id: &str) -> Duration {
        let started = Instant::now();
        let (actor, target) = self.snapshot_of(user_id).await;
        let now = OffsetDateTime::now_utc();
        let at = format_time(now);
        let purge_after = format_time(now + time::Duration::days(30));
        let audit = Floor::audit(
            &actor,
            &target,
            &at,
            "user.delete",
            json!({"purge_after": purge_after, "role": target.role}),
        );
        let check = ActorCheck {
            actor: self.actor(),
            version: actor.version,
        };
        let deletion = Deletion {
            deleted_at: &at,
            deleted_by: &actor.id,
            purge_after: &purge_after,
        };
        let tx = self
            .store
            .delete_user(&check, &target, &deletion, &audit)
            .expect("a delete transaction");
        self.store.commit(tx).await.expect("delete");
        started.elapsed()
    }

    /// restore-user: the snapshot, then the guarded restore with its audit event.
    async fn restore(&self, user_id: &str) -> Duration {
        let started = Instant::now();
        let (actor, target) = self.snapshot_of(user_id).await;
        let at = format_time(OffsetDateTime::now_utc());
        let audit = Floor::audit(&actor, &target, &at, "user.restore", json!({}));
        let check = ActorCheck {
            actor: self.actor(),
            version: actor.version,
        };
        let tx = self
            .store
            .restore_user(&check, &target, &at, &audit)
            .expect("a restore transaction");
        self.store.commit(tx).await.expect("restore");
        started.elapsed()
    }
}

// ------------------------------------------------------------------ set-up helpers

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

// ------------------------------------------------------------------ the measurements

#[derive(Default)]
struct Cold {
    init: Vec<Duration>,
    first: Vec<Duration>,
    rss: Vec<u64>,
}

#[derive(Default)]
struct Warm {
    handler: Vec<Duration>,
    floor: Vec<Duration>,
}

impl Warm {
    fn push(&mut self, handler: Duration, floor: Duration) {
        self.handler.push(handler);
        self.floor.push(floor);
    }

    fn ratio(&self, p: f64) -> f64 {
        ratio(percentile(&self.handler, p), percentile(&self.floor, p))
    }
}

struct Results {
    cold: Vec<(Subject, Cold)>,
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
    sizes: Vec<(String, u64, u64)>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let args = match parse(&raw) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("bench: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let bench = Bench::set_up(args).await;
    bench.warm_up_dynamodb().await;
    let cold = bench.cold_starts().await;
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
    let sizes = bench
        .args
        .sizes
        .as_deref()
        .map(read_sizes)
        .unwrap_or_default();
    let results = Results {
        cold,
        warm,
        python_warm,
        builds_warm,
        runtime_only,
        raw_get,
        round_trips,
        scale,
        clients,
        purge,
        sizes,
    };
    let report = report(&bench.args, &results);
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
        let per_side = args.warm + WARM_UP;
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

    /// DynamoDB Local runs on a JVM: its hot paths are compiled before anything is measured.
    async fn warm_up_dynamodb(&self) {
        let (floor, _) = self.owner().await;
        for _ in 0..500 {
            floor.get(&self.target).await;
            floor.list(TENANT, &floor.principal).await;
        }
    }

    /// Python, the earlier builds, the shipped build: one start of each in turn, round after
    /// round, after an unmeasured round (so every file is in the page cache alike).
    async fn cold_starts(&self) -> Vec<(Subject, Cold)> {
        let mut subjects = vec![self.python()];
        for (label, path) in &self.args.variants {
            subjects.push(Subject::rust(label, path));
        }
        subjects.push(self.shipped("get-user"));
        let (_, token) = self.owner().await;
        let get = get_event(TENANT, &self.target, &token);
        let mut samples: Vec<Cold> = subjects.iter().map(|_| Cold::default()).collect();
        println!(
            "cold starts: {} of each of {} functions",
            self.args.cold,
            subjects.len()
        );
        for round in 0..=self.args.cold {
            for (subject, sample) in subjects.iter().zip(&mut samples) {
                let running = start(subject, &self.env()).await;
                let first = invoke(&running, &get, 200, self.is_target()).await;
                let rss = peak_rss(&running.child);
                if round > 0 {
                    sample.init.push(running.init);
                    sample.first.push(first);
                    sample.rss.push(rss);
                }
            }
        }
        subjects.into_iter().zip(samples).collect()
    }

    /// Each function in one process; each invocation followed by its floor. Also the get's
    /// BatchGetItem by hand, as a check on the floor.
    async fn warm(&self) -> (Vec<(&'static str, Warm)>, Vec<Duration>) {
        let (floor, token) = self.owner().await;
        let n = self.args.warm;
        println!("warm: {n} invocations each of get, list, delete, restore, and their floors");
        let mut warm = Vec::new();
        let mut raw_get = Vec::new();

        let running = start(&self.shipped("get-user"), &self.env()).await;
        let mut sample = Warm::default();
        let get = get_event(TENANT, &self.target, &token);
        for i in 0..WARM_UP + n {
            let took = invoke(&running, &get, 200, self.is_target()).await;
            let floor_took = floor.get(&self.target).await;
            let raw_took = floor.get_raw(&self.target).await;
            if i >= WARM_UP {
                sample.push(took, floor_took);
                raw_get.push(raw_took);
            }
        }
        warm.push(("get", sample));
        drop(running);

        let running = start(&self.shipped("list-users"), &self.env()).await;
        let mut sample = Warm::default();
        let list = list_event(TENANT, &token);
        for i in 0..WARM_UP + n {
            let took = invoke(&running, &list, 200, full_page).await;
            let floor_took = floor.list(TENANT, &floor.principal).await;
            if i >= WARM_UP {
                sample.push(took, floor_took);
            }
        }
        warm.push(("list", sample));
        drop(running);

        let running = start(&self.shipped("delete-user"), &self.env()).await;
        let mut sample = Warm::default();
        let deleted = |body: &Value| body["deleted_at"].is_string();
        for (i, (user, floor_user)) in self.doomed.iter().zip(&self.doomed_floor).enumerate() {
            let took = invoke(&running, &delete_event(TENANT, user, &token), 200, deleted).await;
            let floor_took = floor.delete(floor_user).await;
            if i >= WARM_UP {
                sample.push(took, floor_took);
            }
        }
        warm.push(("delete", sample));
        drop(running);

        let running = start(&self.shipped("restore-user"), &self.env()).await;
        let mut sample = Warm::default();
        let restored = |body: &Value| body["state"] == "active";
        for (i, (user, floor_user)) in self.doomed.iter().zip(&self.doomed_floor).enumerate() {
            let took = invoke(
                &running,
                &restore_event(TENANT, user, &token),
                200,
                restored,
            )
            .await;
            let floor_took = floor.restore(floor_user).await;
            if i >= WARM_UP {
                sample.push(took, floor_took);
            }
        }
        warm.push(("restore", sample));
        (warm, raw_get)
    }

    /// Every get-user build (the earlier ones, then the shipped one) warm, one invocation of
    /// each in turn.
    async fn builds_warm(&self) -> Vec<Vec<Duration>> {
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
        let mut samples = vec![Vec::new(); running.len()];
        for i in 0..WARM_UP + self.args.warm {
            for (process, sample) in running.iter().zip(&mut samples) {
                let took = invoke(process, &get, 200, self.is_target()).await;
                if i >= WARM_UP {
                    sample.push(took);
                }
            }
        }
        samples
    }

    /// The Python function's warm get, for reference (no floor).
    async fn python_warm(&self) -> Vec<Duration> {
        let (_, token) = self.owner().await;
        let running = start(&self.python(), &self.env()).await;
        let get = get_event(TENANT, &self.target, &token);
        let mut sample = Vec::new();
        for i in 0..WARM_UP + self.args.warm {
            let took = invoke(&running, &get, 200, self.is_target()).await;
            if i >= WARM_UP {
                sample.push(took);
            }
        }
        sample
    }

    /// The Runtime API's own share: `health`, which reads no token and no table.
    async fn runtime_only(&self) -> Vec<Duration> {
        let running = start(&self.shipped("health"), &self.env()).await;
        let health = event("GET", "/health", "/health", &[], "", "none");
        let mut sample = Vec::new();
        for i in 0..WARM_UP + self.args.warm {
            let took = invoke(&running, &health, 200, |b| b["status"] == "ok").await;
            if i >= WARM_UP {
                sample.push(took);
            }
        }
        sample
    }

    /// DynamoDB requests per operation, counted by the stack's interceptor on one call each
    /// (through the dev router: the same use cases the functions run).
    async fn round_trips(&self) -> Vec<(&'static str, u64)> {
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

    /// list-users on a tenant of 1,000 users and on one of `--scale-users`, alternately.
    async fn scale(&self) -> Vec<(usize, Vec<Duration>)> {
        let sizes = [1_000, self.args.scale_users];
        let mut tenants = Vec::new();
        for size in sizes {
            let tenant = format!("scale-{size}");
            let (owner, _) = self.stack.tenant(&tenant).await;
            let started = Instant::now();
            seed_users(&self.stack, &tenant, "member", size - 1, false).await;
            println!(
                "scale: seeded {size} users in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            let (_, token) = session(&self.stack, &tenant, &owner).await;
            tenants.push(list_event(&tenant, &token));
        }
        let running = start(&self.shipped("list-users"), &self.env()).await;
        let first_page = |body: &Value| full_page(body) && body["next_cursor"].is_string();
        let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); sizes.len()];
        for i in 0..WARM_UP + self.args.warm / 2 {
            for (list, sample) in tenants.iter().zip(&mut samples) {
                let took = invoke(&running, list, 200, first_page).await;
                if i >= WARM_UP {
                    sample.push(took);
                }
            }
        }
        sizes.into_iter().zip(samples).collect()
    }

    /// A get with a client built for the call, against the client built once.
    async fn clients_once(&self) -> (Vec<Duration>, Vec<Duration>) {
        let (floor, _) = self.owner().await;
        let config = store_config(self.stack.store.table(), &self.endpoint);
        let (mut fresh, mut once) = (Vec::new(), Vec::new());
        for i in 0..WARM_UP + 200 {
            let started = Instant::now();
            let per_call = Floor {
                store: Store::connect(&config).await,
                principal: floor.principal.clone(),
            };
            per_call.get(&self.target).await;
            let fresh_took = started.elapsed();
            let once_took = floor.get(&self.target).await;
            if i >= WARM_UP {
                fresh.push(fresh_took);
                once.push(once_took);
            }
        }
        (fresh, once)
    }
}

fn store_config(table: &str, endpoint: &str) -> StoreConfig {
    StoreConfig {
        table: table.to_owned(),
        region: "us-east-1".into(),
        endpoint: Some(endpoint.to_owned()),
        max_attempts: 3,
    }
}

fn full_page(body: &Value) -> bool {
    body["items"]
        .as_array()
        .is_some_and(|items| items.len() == LIST_LIMIT)
}

fn read_sizes(path: &Path) -> Vec<(String, u64, u64)> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some((
                fields.next()?.to_owned(),
                fields.next()?.parse().ok()?,
                fields.next()?.parse().ok()?,
            ))
        })
        .collect()
}

// ------------------------------------------------------------------ the report

fn machine() -> String {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let about = |name: &str| std::env::var(name).unwrap_or_else(|_| "unknown".into());
    format!(
        "{cpu}, {cores} cores, Linux {}; {}; {}; DynamoDB Local {} (in memory, same machine)",
        kernel.trim(),
        about("BENCH_RUSTC"),
        about("BENCH_PYTHON"),
        about("BENCH_DYNAMODB_LOCAL"),
    )
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

fn report(args: &Args, r: &Results) -> String {
    let mut out = String::new();
    let w = &mut out;
    let date = format_time(OffsetDateTime::now_utc());
    let _ = writeln!(w, "# Benchmarks\n");
    let _ = writeln!(
        w,
        "Written by `make bench` (`infra/scripts/bench.sh`) on {}.\n\nMachine: {}.\n\n\
         Every figure below comes from that one run: the things compared ran side by side, \
         interleaved, on the same DynamoDB Local. The bench command was\n\n    bench {}\n",
        &date[..10],
        machine(),
        args.command_line
    );

    // Cold.
    let (python, python_cold) = &r.cold[0];
    let (shipped, shipped_cold) = r.cold.last().unwrap();
    let py_init = percentile(&python_cold.init, 50.0);
    let py_rss = median_u64(&python_cold.rss);
    let _ = writeln!(
        w,
        "## 1. Cold start: `get-user` against Python\n\n\
         Each function runs as its own process on a Lambda Runtime API served by the bench \
         (`infra/bench/src/runtime_api.rs`, the real `2018-06-01` protocol). *Init* is the time from \
         spawning the process to its first `GET /runtime/invocation/next`; then one `GET \
         /tenants/{{t}}/users/{{u}}` is invoked (*first invocation*), and the peak RSS is read \
         from `/proc/PID/status` (`VmHWM`). {} cold starts of each, interleaved (`--cold`), after \
         one unmeasured start each. The Python function (`infra/bench/get_user.py`) does the \
         same work with boto3 and PyJWT under Amazon's `awslambdaric`: the token, one \
         BatchGetItem, the same checks, the same JSON.\n",
        args.cold
    );
    let _ = writeln!(
        w,
        "| function | init median (ms) | init p90 (ms) | first invocation median (ms) | peak RSS median (MiB) | file (MiB, x86_64) |\n|---|---:|---:|---:|---:|---:|"
    );
    for (subject, c) in &r.cold {
        let label = if subject.label == python.label {
            "Python 3 + boto3 + awslambdaric".to_owned()
        } else if subject.label == shipped.label {
            "`get-user` as shipped".to_owned()
        } else {
            format!("`get-user`, {}", subject.label)
        };
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {} | {} | {} |",
            ms(percentile(&c.init, 50.0)),
            ms(percentile(&c.init, 90.0)),
            ms(percentile(&c.first, 50.0)),
            mib(median_u64(&c.rss)),
            subject.size.map_or("—".into(), mib),
        );
    }
    let init_ratio = ratio(percentile(&shipped_cold.init, 50.0), py_init);
    let rss_ratio = median_u64(&shipped_cold.rss) as f64 / py_rss as f64;
    let _ = writeln!(
        w,
        "\nShipped `get-user` ÷ Python: init **{init_ratio:.3}×** (target ≤ 0.2×: {}), peak RSS \
         **{rss_ratio:.3}×** (target ≤ 0.5×: {}).\n",
        met(init_ratio <= 0.2),
        met(rss_ratio <= 0.5)
    );

    // Warm.
    let _ = writeln!(
        w,
        "## 2. Warm latency against the bare-call floor\n\n\
         One process per function; {} invocations each (`--warm`), after {WARM_UP} uncounted. \
         *Handler* is the Runtime API's view of an invocation: from handing the event over to \
         receiving the response (the event and response bodies, the runtime client, the token, \
         the policy, the DynamoDB calls, the JSON). Each invocation is followed by its *floor*: \
         the same DynamoDB calls issued from the bench process through the store's own request \
         builders (same requests on the wire), with nothing else around them. Round trips are \
         counted by an SDK interceptor on one call of each; mutations are asserted to take at \
         most 2 (also in `tests/tests/api/round_trips.rs`).\n",
        args.warm
    );
    let _ = writeln!(
        w,
        "| operation | handler p50 (ms) | handler p99 (ms) | floor p50 (ms) | floor p99 (ms) | p50 ÷ floor | p99 ÷ floor | DynamoDB round trips |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    let trips: BTreeMap<&str, u64> = r.round_trips.iter().copied().collect();
    for (op, s) in &r.warm {
        let _ = writeln!(
            w,
            "| {op} | {} | {} | {} | {} | {:.2} | {:.2} | {} |",
            ms(percentile(&s.handler, 50.0)),
            ms(percentile(&s.handler, 99.0)),
            ms(percentile(&s.floor, 50.0)),
            ms(percentile(&s.floor, 99.0)),
            s.ratio(50.0),
            s.ratio(99.0),
            trips.get(op).map_or("—".into(), |c| c.to_string()),
        );
    }
    let worst = r
        .warm
        .iter()
        .map(|(op, s)| (op, s.ratio(50.0)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap();
    let _ = writeln!(
        w,
        "\nFor scale: the Runtime API's own share, measured on `health` (no token, no table, \
         the same runtime client and event), was p50 {} ms, p99 {} ms. The get's BatchGetItem \
         built by hand with the SDK and not decoded took p50 {} ms, p99 {} ms (the store's \
         version: p50 {} ms). Python's warm get took p50 {} ms, p99 {} ms.\n\n\
         Worst p50 ratio: {} at **{:.2}×** (target ≤ 1.1×: {}).\n",
        ms(percentile(&r.runtime_only, 50.0)),
        ms(percentile(&r.runtime_only, 99.0)),
        ms(percentile(&r.raw_get, 50.0)),
        ms(percentile(&r.raw_get, 99.0)),
        ms(percentile(&r.warm[0].1.floor, 50.0)),
        ms(percentile(&r.python_warm, 50.0)),
        ms(percentile(&r.python_warm, 99.0)),
        worst.0,
        worst.1,
        met(worst.1 <= 1.1)
    );

    // Scale.
    let _ = writeln!(
        w,
        "## 3. Scale: list-users as the tenant grows\n\n\
         The same `list-users` process lists the first page ({LIST_LIMIT} users) of a tenant of \
         1,000 users and of one of {} (`--scale-users`), alternately, {} times each.\n\n\
         | users in the tenant | p50 (ms) | p99 (ms) |\n|---:|---:|---:|",
        r.scale[1].0,
        r.scale[0].1.len()
    );
    for (size, sample) in &r.scale {
        let _ = writeln!(
            w,
            "| {size} | {} | {} |",
            ms(percentile(sample, 50.0)),
            ms(percentile(sample, 99.0))
        );
    }
    let flat = ratio(
        percentile(&r.scale[1].1, 50.0),
        percentile(&r.scale[0].1, 50.0),
    );
    let _ = writeln!(
        w,
        "\np50 at {} ÷ p50 at 1,000: **{flat:.2}×**.\n",
        r.scale[1].0
    );

    // Purge.
    let p = &r.purge;
    let _ = writeln!(
        w,
        "## 4. Purge\n\n\
         `tenantry_bench::purge_bench` (also `make bench-purge`): {} deleted users due for \
         purge over {} tenants (`--purge-users`), purged by the engine at concurrency {}; then \
         the same number of plain items deleted by one conditional `DeleteItem` each, and bare \
         transactions of the purge's shape (3 conditional deletes and 1 put), at the same \
         concurrency.\n\n\
         | | per second |\n|---|---:|\n\
         | purge engine, users | {:.0} |\n\
         | raw conditional DeleteItem | {:.0} |\n\
         | bare 4-item transactions | {:.0} |\n\n\
         Purge ÷ raw DeleteItem: {:.2}×; purge ÷ bare transactions: {:.2}×. A user's purge is \
         one 4-item transaction (the user, two claims, a tombstone) after a read of the purge \
         index; DynamoDB Local serializes writes, so the transaction is the cost.\n",
        p.config.users,
        p.config.tenants,
        p.config.concurrency,
        p.purge_rate(),
        p.raw_rate(),
        p.tx_rate(),
        p.purge_rate() / p.raw_rate(),
        p.purge_rate() / p.tx_rate(),
    );

    // Sizes.
    let _ = writeln!(
        w,
        "## 5. Size: arm64 packages\n\n\
         From `make package` (`cargo lambda build --release --arm64`, then zipped): the stripped \
         `bootstrap` of each function, and its zip.\n\n\
         | function | bootstrap (bytes) | bootstrap (MiB) | zip (MiB) |\n|---|---:|---:|---:|"
    );
    for (name, boot, zip) in &r.sizes {
        let _ = writeln!(w, "| {name} | {boot} | {} | {} |", mib(*boot), mib(*zip));
    }
    let largest = r.sizes.iter().map(|s| s.1).max();
    if let Some(largest) = largest {
        let _ = writeln!(
            w,
            "\nLargest bootstrap: {largest} bytes ({:.2} MB) (target ≤ 8 MB: {}).\n",
            largest as f64 / 1e6,
            met(largest as f64 <= 8e6)
        );
    } else {
        let _ = writeln!(w, "\n(no sizes: run without `--sizes`)\n");
    }

    // Lean.
    let _ = writeln!(
        w,
        "## 6. Making it lean: each change, before and after\n\n\
         The `get-user` builds of section 1, from the least tuned to the shipped one, in the \
         same interleaved rounds; their warm gets interleaved too, one process each. Built by \
         `infra/scripts/bench.sh`: *default-profile* is cargo's own release settings \
         (`profile.untuned`: no LTO, 16 codegen units, unwinding); *tuned-profile* is \
         `profile.release`: thin LTO, one codegen unit, `panic = \"abort\"`, stripped; \
         *sdk-defaults* turns aws-config's and aws-sdk-dynamodb's default features back on \
         (SSO, process credentials, the default HTTP client on aws-lc-rs and a legacy one on \
         rustls 0.21), where *trimmed-sdk* has none of them, one HTTP client, rustls on ring; \
         *opt-level-z* is the size-optimised alternative (`profile.release-z`, argon2 and \
         blake2 kept at 3), measured and not shipped; *shipped* is trimmed-sdk on \
         `profile.release`.\n\n\
         | build | file (MiB, x86_64, stripped) | init median (ms) | peak RSS median (MiB) | first invocation median (ms) | warm get p50 (ms) | warm get p99 (ms) |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for ((subject, c), warm) in r.cold.iter().skip(1).zip(&r.builds_warm) {
        let label = if subject.label == shipped.label {
            format!("{}-shipped (profile.release)", r.cold.len() - 1)
        } else {
            subject.label.clone()
        };
        let _ = writeln!(
            w,
            "| {label} | {} | {} | {} | {} | {} | {} |",
            subject.size.map_or("—".into(), mib),
            ms(percentile(&c.init, 50.0)),
            mib(median_u64(&c.rss)),
            ms(percentile(&c.first, 50.0)),
            ms(percentile(warm, 50.0)),
            ms(percentile(warm, 99.0)),
        );
    }
    let (fresh, once) = &r.clients;
    let _ = writeln!(
        w,
        "\nBuilding the client once: a get with a DynamoDB client built for the call (config \
         load, credentials, new connection) took p50 {} ms, p99 {} ms; with the client built at \
         start, p50 {} ms, p99 {} ms ({} calls each, interleaved). Every function builds its \
         client once, before its first poll (`tenantry_http::run`).\n",
        ms(percentile(fresh, 50.0)),
        ms(percentile(fresh, 99.0)),
        ms(percentile(once, 50.0)),
        ms(percentile(once, 99.0)),
        fresh.len()
    );
    out
}
