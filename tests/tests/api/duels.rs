//! Targeted duels: two requests that the rules make incompatible, sent at the same moment,
//! 100 times each, once through the proxy without faults and once with them. Each round
//! checks that the outcome is one a serial order of the two would give; each duel ends with
//! the table invariants (one owner, claims, audit replay through the policy, in the order the
//! proxy saw the transactions commit).

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_tests::invariants::{self, TableDump};
use tenantry_tests::proxy::{FaultProxy, Schedule};
use tenantry_tests::{Answer, PASSWORD, Request, Stack};

const REPEATS: usize = 100;

/// A stormier mix than `Schedule::chaos`, so that 409 `conflict` and 503 answers happen.
fn storm(seed: u64) -> Schedule {
    Schedule {
        conflict: 0.15,
        throttle: 0.05,
        server_error: 0.03,
        drop_after_forward: 0.05,
        ..Schedule::chaos(seed)
    }
}

/// The duel's stack: a tenant "duel" whose owner is `duel-owner`, and its proxy: with faults
/// if `faulty`, else one that only records the order of the commits.
async fn arena(faulty: bool, seed: u64) -> (Stack, FaultProxy) {
    let schedule = if faulty {
        storm(seed)
    } else {
        Schedule::none(seed)
    };
    let (stack, proxy) = Stack::with_faults(Some(schedule)).await;
    stack.tenant("duel").await;
    (stack, proxy.expect("a proxy for a schedule"))
}

fn faults(proxy: &FaultProxy, on: bool) {
    proxy.set_enabled(on);
}

/// "ok" for a success, else the problem's code.
fn outcome(answer: &Answer) -> String {
    if answer.status.is_success() {
        "ok".into()
    } else {
        format!("{} {}", answer.status.as_u16(), answer.code())
    }
}

/// With faults, either side may also end in a clear 409 `conflict` or 503: never anything else.
fn unsettled(outcome: &str) -> bool {
    outcome == "409 conflict" || outcome == "503 service_unavailable"
}

/// Whether `effect` (seen on the table) agrees with what the client was told: a success must
/// show, a refusal must not, and an unsettled answer (503, 409 `conflict`) may go either way.
fn agrees(outcome: &str, effect: bool) -> bool {
    match outcome {
        "ok" => effect,
        o if unsettled(o) => true,
        _ => !effect,
    }
}

async fn token(stack: &Stack, tenant: &str, id: &str) -> String {
    stack.token_of(tenant, id).await.unwrap().0
}

async fn owner_id(stack: &Stack) -> String {
    stack
        .store
        .get_tenant("duel")
        .await
        .unwrap()
        .unwrap()
        .owner_id
}

async fn create(stack: &Stack, name: &str, role: &str) -> String {
    Request::post("/tenants/duel/users")
        .token(&stack.root_token)
        .json(json!({"username": format!("duelist-{name}"), "email": format!("{name}@duel.test"), "password": PASSWORD, "role": role}))
        .send(stack)
        .await
        .expect(StatusCode::CREATED)
        .id()
}

async fn user(stack: &Stack, id: &str) -> tenantry_store::UserItem {
    stack.token_of("duel", id).await.unwrap().1
}

fn user_path(id: &str) -> String {
    format!("/tenants/duel/users/{id}")
}

/// Ends a duel: no faults, then every invariant on the table.
async fn assert_invariants(stack: &Stack, proxy: &FaultProxy) {
    faults(proxy, false);
    let dump = TableDump::read(&stack.store).await;
    let violations = invariants::check_ordered(&dump, &proxy.commit_order().await);
    assert!(violations.is_empty(), "{violations:#?}");
}

async fn delete_vs_transfer(faulty: bool) {
    let (stack, proxy) = arena(faulty, 1).await;
    let mut wins = [0usize; 2];
    for i in 0..REPEATS {
        let b = create(&stack, &format!("b{i}"), "admin").await;
        let owner = owner_id(&stack).await;
        let owner_token = token(&stack, "duel", &owner).await;
        let root = stack.root_token.clone();
        faults(&proxy, true);
        let path_b = user_path(&b);
        let (delete, transfer) = tokio::join!(
            Request::delete(path_b).token(&root).send(&stack),
            Request::post("/tenants/duel/ownership")
                .token(&owner_token)
                .json(json!({"new_owner_id": b}))
                .send(&stack),
        );
        faults(&proxy, false);
        let (d, t) = (outcome(&delete), outcome(&transfer));
        let b_now = user(&stack, &b).await;
        match (d.as_str(), t.as_str()) {
            ("ok", "409 user_deleted") => wins[0] += 1,
            ("403 owner_protected", "ok") => wins[1] += 1,
            (d, t) if faulty && (unsettled(d) || unsettled(t)) => {}
            _ => panic!("round {i}: delete {d}, transfer {t}: no serial order gives that"),
        }
        assert!(!(b_now.is_deleted() && b_now.is_owner), "round {i}");
        assert!(agrees(&d, b_now.is_deleted()), "round {i}: delete {d}");
        assert!(agrees(&t, b_now.is_owner), "round {i}: transfer {t}");
    }
    println!(
        "delete vs transfer: delete first {}, transfer first {}",
        wins[0], wins[1]
    );
    assert_invariants(&stack, &proxy).await;
}

async fn delete_by_admin_vs_demotion_of_that_admin(faulty: bool) {
    let (stack, proxy) = arena(faulty, 2).await;
    let mut wins = [0usize; 2];
    for i in 0..REPEATS {
        let a = create(&stack, &format!("a{i}"), "admin").await;
        let u = create(&stack, &format!("u{i}"), "user").await;
        let a_token = token(&stack, "duel", &a).await;
        let root = stack.root_token.clone();
        faults(&proxy, true);
        let path_u = user_path(&u);
        let path_a = user_path(&a);
        let (delete, demote) = tokio::join!(
            Request::delete(path_u).token(&a_token).send(&stack),
            Request::patch(path_a)
                .token(&root)
                .json(json!({"role": "agent"}))
                .send(&stack),
        );
        faults(&proxy, false);
        let (d, m) = (outcome(&delete), outcome(&demote));
        match (d.as_str(), m.as_str()) {
            ("ok", "ok") => wins[0] += 1,
            // Demoted first: the demotion ended A's sessions, so A's delete has no session.
            ("401 unauthenticated", "ok") => wins[1] += 1,
            (d, m) if faulty && (unsettled(d) || unsettled(m)) => {}
            _ => panic!("round {i}: delete {d}, demote {m}: no serial order gives that"),
        }
        assert!(agrees(&d, user(&stack, &u).await.is_deleted()), "round {i}");
        if d == "ok" {
            // The deletion was decided on A as an admin, and committed while A still was one.
            let events = stack.store.list_audit("duel").await.unwrap();
            let deletion = events
                .iter()
                .find(|e| e.action == "user.delete" && e.target_id == u)
                .unwrap();
            assert_eq!(deletion.actor_id, a);
            assert_eq!(deletion.actor_version, 1, "round {i}: A had been changed");
        }
    }
    println!(
        "delete vs demotion: delete first {}, demotion first {}",
        wins[0], wins[1]
    );
    assert_invariants(&stack, &proxy).await;
}

async fn promotion_vs_delete_by_admin(faulty: bool) {
    let (stack, proxy) = arena(faulty, 3).await;
    let admin = create(&stack, "admin-a", "admin").await;
    let mut wins = [0usize; 2];
    for i in 0..REPEATS {
        let u = create(&stack, &format!("u{i}"), "agent").await;
        let owner = owner_id(&stack).await;
        let owner_token = token(&stack, "duel", &owner).await;
        let admin_token = token(&stack, "duel", &admin).await;
        faults(&proxy, true);
        let path_u = user_path(&u);
        let (promote, delete) = tokio::join!(
            Request::patch(&path_u)
                .token(&owner_token)
                .json(json!({"role": "admin"}))
                .send(&stack),
            Request::delete(&path_u).token(&admin_token).send(&stack),
        );
        faults(&proxy, false);
        let (p, d) = (outcome(&promote), outcome(&delete));
        match (p.as_str(), d.as_str()) {
            ("ok", "403 admin_cannot_delete_admin") => wins[0] += 1,
            ("409 user_deleted", "ok") => wins[1] += 1,
            (p, d) if faulty && (unsettled(p) || unsettled(d)) => {}
            _ => panic!("round {i}: promote {p}, delete {d}: no serial order gives that"),
        }
        let now = user(&stack, &u).await;
        // Never an admin deleted by an admin.
        assert!(
            !(now.role == "admin" && now.is_deleted()),
            "round {i}: {now:?}"
        );
    }
    println!(
        "promotion vs delete: promotion first {}, delete first {}",
        wins[0], wins[1]
    );
    assert_invariants(&stack, &proxy).await;
}

async fn two_transfers_at_once(faulty: bool) {
    let (stack, proxy) = arena(faulty, 4).await;
    let mut wins = [0usize; 2];
    for i in 0..REPEATS {
        let x = create(&stack, &format!("x{i}"), "admin").await;
        let y = create(&stack, &format!("y{i}"), "admin").await;
        let owner = owner_id(&stack).await;
        let owner_token = token(&stack, "duel", &owner).await;
        faults(&proxy, true);
        let (to_x, to_y) = tokio::join!(
            Request::post("/tenants/duel/ownership")
                .token(&owner_token)
                .json(json!({"new_owner_id": x}))
                .send(&stack),
            Request::post("/tenants/duel/ownership")
                .token(&owner_token)
                .json(json!({"new_owner_id": y}))
                .send(&stack),
        );
        faults(&proxy, false);
        let (a, b) = (outcome(&to_x), outcome(&to_y));
        match (a.as_str(), b.as_str()) {
            ("ok", "403 requires_owner") => wins[0] += 1,
            ("403 requires_owner", "ok") => wins[1] += 1,
            (a, b) if faulty && (unsettled(a) || unsettled(b)) => {}
            _ => panic!("round {i}: to x {a}, to y {b}: exactly one must win"),
        }
        let owner_now = owner_id(&stack).await;
        let (x_now, y_now) = (user(&stack, &x).await, user(&stack, &y).await);
        assert!(agrees(&a, owner_now == x && x_now.is_owner), "round {i}");
        assert!(agrees(&b, owner_now == y && y_now.is_owner), "round {i}");
        assert!(!(x_now.is_owner && y_now.is_owner), "round {i}: two owners");
    }
    println!("two transfers: to x {}, to y {}", wins[0], wins[1]);
    assert_invariants(&stack, &proxy).await;
}

async fn restore_vs_second_delete(faulty: bool) {
    let (stack, proxy) = arena(faulty, 5).await;
    let u = create(&stack, "target", "user").await;
    let owner_token = token(&stack, "duel", &owner_id(&stack).await).await;
    let root = stack.root_token.clone();
    let mut wins = [0usize; 2];
    for i in 0..REPEATS {
        if !user(&stack, &u).await.is_deleted() {
            Request::delete(user_path(&u))
                .token(&root)
                .send(&stack)
                .await
                .expect(StatusCode::OK);
        }
        let first = user(&stack, &u).await.deleted_at.unwrap();
        faults(&proxy, true);
        let path_u = user_path(&u);
        let restore_path = format!("{}/restore", user_path(&u));
        let (restore, delete) = tokio::join!(
            Request::post(restore_path).token(&owner_token).send(&stack),
            Request::delete(path_u).token(&root).send(&stack),
        );
        faults(&proxy, false);
        let (r, d) = (outcome(&restore), outcome(&delete));
        let now = user(&stack, &u).await;
        match (r.as_str(), d.as_str()) {
            ("ok", "ok") if delete.body["deleted_at"] == first.as_str() => {
                // The delete answered the first deletion: it came before the restore.
                assert!(!now.is_deleted(), "round {i}: {now:?}");
                wins[0] += 1;
            }
            ("ok", "ok") => {
                // A new deletion: it came after the restore, and it is the one on the table.
                assert_eq!(
                    now.deleted_at.as_deref(),
                    delete.body["deleted_at"].as_str(),
                    "round {i}"
                );
                wins[1] += 1;
            }
            (r, d) if faulty && (unsettled(r) || unsettled(d)) => {}
            _ => panic!("round {i}: restore {r}, delete {d}: no serial order gives that"),
        }
    }
    println!(
        "restore vs delete: delete first {}, restore first {}",
        wins[0], wins[1]
    );
    assert_invariants(&stack, &proxy).await;
}

macro_rules! duel {
    ($plain:ident, $faulty:ident, $duel:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $plain() {
            $duel(false).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $faulty() {
            $duel(true).await;
        }
    };
}

duel!(
    a_delete_races_a_transfer_to_the_same_admin,
    a_delete_races_a_transfer_to_the_same_admin_with_faults,
    delete_vs_transfer
);
duel!(
    an_admin_deletes_while_being_demoted,
    an_admin_deletes_while_being_demoted_with_faults,
    delete_by_admin_vs_demotion_of_that_admin
);
duel!(
    promotion_races_a_delete_by_an_admin,
    promotion_races_a_delete_by_an_admin_with_faults,
    promotion_vs_delete_by_admin
);
duel!(
    two_transfers_at_once_exactly_one_wins,
    two_transfers_at_once_exactly_one_wins_with_faults,
    two_transfers_at_once
);
duel!(
    restore_races_a_second_delete,
    restore_races_a_second_delete_with_faults,
    restore_vs_second_delete
);
