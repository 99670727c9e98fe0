//! The race harness: many concurrent clients over a few small tenants, on purpose hot, issuing
//! random deletes, restores, role and email changes, ownership transfers, purges, retention
//! changes and creates with colliding usernames through the real handlers. After every round it checks the invariants
//! on the table itself (see `invariants`) and that every session older than a delete or a
//! role change is dead.
//!
//! The operations are seeded (each client draws from its own generator), so a run is
//! reproducible up to the interleaving, which is real concurrency on DynamoDB Local.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lambda_http::http::StatusCode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio::sync::Mutex;

use crate::events::EventsRig;
use crate::invariants::{self, TableDump};
use crate::proxy::{ProxyStats, Schedule};
use crate::{Answer, PASSWORD, Request, Stack};

/// What a run does.
#[derive(Clone, Debug)]
pub struct RaceConfig {
    pub seed: u64,
    pub tenants: usize,
    /// Users per tenant at the start, besides the owner (a mix of admins, agents and users).
    pub users_per_tenant: usize,
    pub clients: usize,
    /// Operations in total, or until `duration` has passed (whichever comes first).
    pub operations: u64,
    pub duration: Option<Duration>,
    pub round_size: u64,
    /// Answer DynamoDB's faults through the fault proxy on this schedule.
    pub faults: Option<Schedule>,
    /// Publish the table's stream to an EventBridge bus (moto's) during the run, and check at
    /// the end that the events delivered through a rule to a queue are the audit events.
    pub events: bool,
}

impl RaceConfig {
    pub fn quick(seed: u64) -> RaceConfig {
        RaceConfig {
            seed,
            tenants: 3,
            users_per_tenant: 6,
            clients: 12,
            operations: 1_000,
            duration: None,
            round_size: 250,
            faults: None,
            events: false,
        }
    }
}

/// What a run saw. `commits` are transactions DynamoDB applied (counted where DynamoDB Local
/// answered, once per client request token); `retries` are transaction attempts sent by the
/// handlers that did not commit (re-decisions after a cancellation, and SDK retries).
#[derive(Clone, Debug, Default)]
pub struct RaceReport {
    pub operations: u64,
    pub commits: u64,
    pub denials: u64,
    pub conflicts: u64,
    pub retries: u64,
    pub unavailable: u64,
    pub violations: Vec<String>,
    pub elapsed: Duration,
    pub rounds: u64,
    /// Answers by "status code" (e.g. "403 owner_protected"), for the curious.
    pub outcomes: HashMap<String, u64>,
    /// What the fault proxy injected, when the run went through one.
    pub faults: Option<ProxyStats>,
}

impl RaceReport {
    pub fn operations_per_second(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The one summary line, in the documented form.
    pub fn summary(&self) -> String {
        format!(
            "race: {} operations, {} commits, {} denials, {} conflicts, {} retries, {} violations",
            self.operations,
            self.commits,
            self.denials,
            self.conflicts,
            self.retries,
            self.violations.len()
        )
    }

    /// The lines a run prints: rates, outcomes, violations, then the summary line last.
    pub fn print(&self) {
        println!(
            "race: {} rounds in {:.1}s, {:.0} operations/s, {} unavailable (503)",
            self.rounds,
            self.elapsed.as_secs_f64(),
            self.operations_per_second(),
            self.unavailable
        );
        if let Some(f) = &self.faults {
            println!(
                "race: injected {} transaction conflicts, {} throttles, {} HTTP 500s, {} slow \
                 answers, {} connections dropped after the write (of {} requests)",
                f.conflicts, f.throttles, f.server_errors, f.slow, f.dropped, f.requests
            );
        }
        let mut outcomes: Vec<_> = self.outcomes.iter().collect();
        outcomes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (outcome, n) in outcomes {
            println!("  {n:>7}  {outcome}");
        }
        for violation in self.violations.iter().take(20) {
            println!("VIOLATION: {violation}");
        }
        println!("{}", self.summary());
    }
}

#[derive(Clone, Debug)]
struct Known {
    tenant: String,
    id: String,
}

/// Shared between the clients of a run.
struct World {
    stack: Stack,
    tenants: Vec<String>,
    /// Every user created and not purged, by tenant (deleted ones stay: they are targets too).
    users: Mutex<Vec<Known>>,
    next_op: AtomicU64,
    deadline: Option<Instant>,
}

#[derive(Clone, Copy, Debug)]
enum Op {
    Delete,
    Restore,
    ChangeRole,
    ChangeEmail,
    Transfer,
    Purge,
    Retention,
    Create,
}

impl Op {
    fn draw(rng: &mut StdRng) -> Op {
        match rng.random_range(0..100) {
            0..20 => Op::Delete,
            20..40 => Op::Restore,
            40..60 => Op::ChangeRole,
            60..70 => Op::ChangeEmail,
            70..80 => Op::Transfer,
            80..87 => Op::Purge,
            87..90 => Op::Retention,
            _ => Op::Create,
        }
    }
}

/// Runs the harness and checks the invariants after every round.
pub async fn run(config: &RaceConfig) -> RaceReport {
    // Always through the proxy (faults or none): it counts the commits DynamoDB Local made,
    // answered or not.
    let schedule = config.faults.clone().unwrap_or(Schedule::none(config.seed));
    let proxy = crate::proxy::FaultProxy::start(&crate::endpoint(), schedule).await;
    proxy.set_enabled(false);
    let stack = Stack::build(&proxy.endpoint(), 3, config.events).await;
    // The publisher reads DynamoDB Local's stream directly, not through the proxy.
    let mut rig = match config.events {
        true => Some(EventsRig::start(&stack).await),
        false => None,
    };
    let world = Arc::new(setup(stack, config).await);
    proxy.set_enabled(true);

    let mut report = RaceReport::default();
    let started = Instant::now();
    let start_dump = TableDump::read(&world.stack.store).await;
    report.violations.extend(invariants::check(&start_dump));
    let audit_at_start = start_dump.audit.len() as u64;
    let commits_at_start = proxy.committed_transactions();
    world.stack.round_trips.reset();
    let mut round = 0u64;
    loop {
        let done = world.next_op.load(Ordering::Relaxed);
        let out_of_time = world.deadline.is_some_and(|d| Instant::now() >= d);
        if done >= config.operations || out_of_time {
            break;
        }
        let round_end = (done + config.round_size).min(config.operations);
        let tokens = mint_tokens(&world).await;
        let mut clients = Vec::new();
        for client in 0..config.clients {
            let world = Arc::clone(&world);
            let seed = config.seed ^ (round << 32) ^ (client as u64 + 1);
            clients.push(tokio::spawn(async move {
                run_client(&world, seed, round_end).await
            }));
        }
        for client in clients {
            for (outcome, n) in client.await.expect("a client panicked") {
                *report.outcomes.entry(outcome).or_default() += n;
            }
        }
        round += 1;
        // Quiet now: check the table, then every session minted before the round.
        proxy.set_enabled(false);
        let dump = TableDump::read(&world.stack.store).await;
        let order = proxy.commit_order().await;
        report.violations.extend(
            invariants::check_ordered(&dump, &order)
                .into_iter()
                .map(|v| format!("round {round}: {v}")),
        );
        report
            .violations
            .extend(check_sessions(&world, &dump, tokens).await);
        // Audit events = committed mutations, exactly; clients were told of no more than that
        // (a commit whose every answer was lost ends in a 503).
        let committed = proxy.committed_transactions() - commits_at_start;
        let acknowledged = world.stack.round_trips.commits();
        let events = dump.audit.len() as u64 - audit_at_start;
        if events != committed || acknowledged > committed {
            report.violations.push(format!(
                "round {round}: {events} audit events, {committed} committed transactions, \
                 {acknowledged} acknowledged on the wire"
            ));
        }
        proxy.set_enabled(true);
    }
    report.elapsed = started.elapsed();
    if let Some(rig) = rig.as_mut() {
        let dump = TableDump::read(&world.stack.store).await;
        report.violations.extend(check_events(rig, &dump).await);
        rig.stop().await;
    }
    report.faults = config.faults.is_some().then(|| proxy.stats());
    report.rounds = round;
    report.operations = world.next_op.load(Ordering::Relaxed).min(config.operations);
    report.commits = proxy.committed_transactions() - commits_at_start;
    report.retries = world
        .stack
        .round_trips
        .by_operation()
        .get("TransactWriteItems")
        .copied()
        .unwrap_or(0)
        .saturating_sub(report.commits);
    for (outcome, n) in &report.outcomes {
        match outcome.split_once(' ') {
            Some(("409", "conflict")) => report.conflicts += n,
            Some(("503", _)) => report.unavailable += n,
            Some(("skipped", _)) => {}
            Some((status, _)) if status.starts_with('2') => {}
            Some(("401" | "403" | "404" | "409", _)) => report.denials += n,
            _ => report.violations.push(format!(
                "{n} answers were {outcome}: never a 500 or a 400 here"
            )),
        }
    }
    report
}

/// The events delivered are the audit events: none missing, none unknown, a duplicate only
/// with the same body, and for each subject the versions in the order of first arrival.
async fn check_events(rig: &mut EventsRig, dump: &TableDump) -> Vec<String> {
    let ids: BTreeSet<String> = dump.audit.iter().map(|a| a.id.clone()).collect();
    let mut violations = Vec::new();
    let missing = rig.subscriber.receive(&ids, Duration::from_secs(60)).await;
    if !missing.is_empty() {
        violations.push(format!(
            "{} audit events never published: {missing:?}",
            missing.len()
        ));
    }
    // Whatever else is on its way.
    while rig.subscriber.receive_once().await > 0 {}
    let mut first: HashMap<String, &serde_json::Value> = HashMap::new();
    let mut last_version: HashMap<String, u64> = HashMap::new();
    for delivered in &rig.subscriber.delivered {
        let event = &delivered.event;
        if !ids.contains(&event.id) {
            violations.push(format!("an event of no audit event: {}", delivered.detail));
        }
        if let Some(seen) = first.get(&event.id) {
            if **seen != delivered.detail {
                violations.push(format!(
                    "event {} arrived twice, different: {seen} / {}",
                    event.id, delivered.detail
                ));
            }
            continue;
        }
        first.insert(event.id.clone(), &delivered.detail);
        let version = event.data["version"].as_u64().unwrap_or(0);
        let key = format!("{}/{}", event.tenantid, event.subject);
        if let Some(before) = last_version.insert(key.clone(), version)
            && before >= version
        {
            violations.push(format!("{key}: version {version} arrived after {before}"));
        }
    }
    violations
}

async fn setup(stack: Stack, config: &RaceConfig) -> World {
    let mut tenants = Vec::new();
    let mut users = Vec::new();
    for t in 0..config.tenants {
        let tenant = format!("race{t}");
        let (owner_id, owner) = stack.tenant(&tenant).await;
        users.push(Known {
            tenant: tenant.clone(),
            id: owner_id,
        });
        for u in 0..config.users_per_tenant {
            let role = ["admin", "admin", "agent", "agent", "user", "user"][u % 6];
            let created = stack
                .create_user(&tenant, &owner, &format!("seed{u}"), role)
                .await
                .expect(StatusCode::CREATED);
            users.push(Known {
                tenant: tenant.clone(),
                id: created.id(),
            });
        }
        tenants.push(tenant);
    }
    World {
        stack,
        tenants,
        users: Mutex::new(users),
        next_op: AtomicU64::new(0),
        deadline: config.duration.map(|d| Instant::now() + d),
    }
}

/// (tenant, user id) -> (token, epoch it was minted at)
type Tokens = HashMap<(String, String), (String, u64)>;

async fn mint_tokens(world: &World) -> Tokens {
    let users = world.users.lock().await.clone();
    let mut tokens = HashMap::new();
    for user in users {
        if let Some((token, item)) = world.stack.token_of(&user.tenant, &user.id).await {
            tokens.insert((user.tenant, user.id), (token, item.token_epoch));
        }
    }
    tokens
}

/// A token minted before the round must work exactly when its user's epoch has not moved and
/// the user is not deleted.
async fn check_sessions(world: &World, dump: &TableDump, tokens: Tokens) -> Vec<String> {
    let mut violations = Vec::new();
    for user in &dump.users {
        let Some((token, epoch)) = tokens.get(&(user.tenant_id.clone(), user.id.clone())) else {
            continue;
        };
        let Answer { status, body, .. } = Request::get("/me").token(token).send(&world.stack).await;
        let alive = *epoch == user.token_epoch && !user.is_deleted();
        let expected = if alive {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        if status != expected {
            violations.push(format!(
                "user {} (epoch {epoch} -> {}, deleted {}): an old token got {status} {body}",
                user.id,
                user.token_epoch,
                user.is_deleted()
            ));
        }
    }
    violations
}

async fn run_client(world: &World, seed: u64, round_end: u64) -> HashMap<String, u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut outcomes: HashMap<String, u64> = HashMap::new();
    loop {
        let n = world.next_op.fetch_add(1, Ordering::Relaxed);
        if n >= round_end || world.deadline.is_some_and(|d| Instant::now() >= d) {
            // Give the number back: the next round starts from it.
            world.next_op.fetch_sub(1, Ordering::Relaxed);
            return outcomes;
        }
        let outcome = one_operation(world, &mut rng).await;
        if outcome.starts_with("skipped") {
            // Nothing was sent: not an operation.
            world.next_op.fetch_sub(1, Ordering::Relaxed);
        }
        *outcomes.entry(outcome).or_default() += 1;
    }
}

/// Draws and runs one operation; returns "STATUS CODE" (e.g. "403 owner_protected", "200 update").
async fn one_operation(world: &World, rng: &mut StdRng) -> String {
    let tenant = world.tenants[rng.random_range(0..world.tenants.len())].clone();
    let users = world.users.lock().await.clone();
    let in_tenant: Vec<&Known> = users.iter().filter(|u| u.tenant == tenant).collect();
    let pick = |rng: &mut StdRng| -> Known {
        // Now and then a user of another tenant: that must be a 404.
        if rng.random_bool(0.05) {
            users[rng.random_range(0..users.len())].clone()
        } else {
            in_tenant[rng.random_range(0..in_tenant.len())].clone()
        }
    };
    let op = Op::draw(rng);
    let target = pick(rng);
    let role = ["admin", "agent", "user"][rng.random_range(0..3)];
    let slot = rng.random_range(0..10);
    // Actors: the super admin, the tenant's current owner, or anyone known (deleted users
    // included, now and then: their tokens must fail).
    let draw = rng.random_range(0..100);
    let (actor_tenant, actor_id) = match draw {
        0..15 => ("platform".to_owned(), world.stack.root_id.clone()),
        15..35 => match world.stack.store.get_tenant(&tenant).await {
            Ok(Some(t)) => (tenant.clone(), t.owner_id),
            _ => return "skipped no-token".into(),
        },
        _ => {
            let actor = in_tenant[rng.random_range(0..in_tenant.len())];
            (actor.tenant.clone(), actor.id.clone())
        }
    };
    let Some((mut token, actor)) = world.stack.token_of(&actor_tenant, &actor_id).await else {
        return "skipped no-token".into();
    };
    // A deleted actor acts now and then (its token must fail); mostly the super admin steps in,
    // so the run keeps mutating.
    if actor.is_deleted() && rng.random_bool(0.8) {
        token = world.stack.root_token.clone();
    }
    let user_path = format!("/tenants/{}/users/{}", tenant, target.id);
    let (method, path, body) = match op {
        Op::Delete => ("DELETE", user_path, None),
        Op::Restore => ("POST", format!("{user_path}/restore"), None),
        Op::ChangeRole => ("PATCH", user_path, Some(json!({"role": role}))),
        Op::ChangeEmail => (
            "PATCH",
            user_path,
            Some(json!({"email": format!("mail{slot}@{tenant}.test")})),
        ),
        Op::Transfer => (
            "POST",
            format!("/tenants/{tenant}/ownership"),
            Some(json!({"new_owner_id": target.id})),
        ),
        Op::Purge => ("POST", format!("{user_path}/purge"), None),
        Op::Retention => (
            "PATCH",
            format!("/tenants/{tenant}"),
            Some(json!({"retention_days": 30 + slot})),
        ),
        Op::Create => (
            "POST",
            format!("/tenants/{tenant}/users"),
            Some(json!({
                "username": format!("name{slot}"),
                "email": format!("mail{}@{tenant}.test", rng.random_range(0..10)),
                "password": PASSWORD,
                "role": role,
            })),
        ),
    };
    let Answer {
        status,
        body: answer,
        ..
    } = Request::new(method, path)
        .token(&token)
        .maybe_json(body)
        .send(&world.stack)
        .await;
    if status == StatusCode::CREATED {
        world.users.lock().await.push(Known {
            tenant,
            id: answer["id"].as_str().unwrap_or_default().to_owned(),
        });
    } else if status == StatusCode::OK && matches!(op, Op::Purge) {
        // Gone for good: no longer worth drawing as a target or an actor.
        world.users.lock().await.retain(|u| u.id != target.id);
    }
    let code = answer["code"].as_str().unwrap_or(match op {
        Op::Delete => "delete",
        Op::Restore => "restore",
        Op::ChangeRole | Op::ChangeEmail => "update",
        Op::Transfer => "transfer",
        Op::Purge => "purge",
        Op::Retention => "retention",
        Op::Create => "create",
    });
    format!("{} {code}", status.as_u16())
}
