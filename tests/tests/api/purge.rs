//! The purge: scheduled (the engine and the `purge-deleted` function), now (the API), and
//! retention. Everything runs on DynamoDB Local; races are real concurrency.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::StatusCode;
use rand::Rng;
use serde_json::json;
use tenantry_accounts::{PURGE_ACTOR, PurgeRun, PurgeSettings, PurgeSummary, Purger, Stop};
use tenantry_store::Store;
use tenantry_tests::invariants::{self, TableDump};
use tenantry_tests::seed::{self, Seed};
use tenantry_tests::{PASSWORD, Request, Stack};
use time::OffsetDateTime;

fn days_from_now(days: i64) -> OffsetDateTime {
    OffsetDateTime::now_utc() + time::Duration::days(days)
}

fn purger(stack: &Stack, concurrency: usize) -> Purger {
    Purger::new(
        stack.store.clone(),
        PurgeSettings {
            concurrency,
            page_size: 50,
        },
    )
}

async fn purge_as_of(stack: &Stack, as_of: OffsetDateTime) -> PurgeSummary {
    let run = PurgeRun {
        as_of,
        ..PurgeRun::now()
    };
    purger(stack, 8).run(&run, |_| {}).await
}

/// Every item of the table, each as one sorted line: for comparing two moments exactly.
async fn raw_scan(store: &Store) -> Vec<String> {
    let mut lines: Vec<String> = invariants::scan_all(store)
        .await
        .iter()
        .map(|item| {
            let sorted: BTreeMap<&String, String> =
                item.iter().map(|(k, v)| (k, flatten(v))).collect();
            format!("{sorted:?}")
        })
        .collect();
    lines.sort();
    lines
}

/// Every entry of the purge index, as `raw_scan` shows items.
async fn raw_index_scan(store: &Store) -> Vec<String> {
    let out = store
        .client()
        .scan()
        .table_name(store.table())
        .index_name(tenantry_store::keys::PURGE_INDEX)
        .send()
        .await
        .expect("scan the purge index");
    assert!(
        out.last_evaluated_key.is_none(),
        "one page is the whole index here"
    );
    out.items
        .unwrap_or_default()
        .iter()
        .map(|item| {
            let sorted: BTreeMap<&String, String> =
                item.iter().map(|(k, v)| (k, flatten(v))).collect();
            format!("{sorted:?}")
        })
        .collect()
}

/// Every string and number inside an attribute value, for searching.
fn flatten(value: &AttributeValue) -> String {
    match value {
        AttributeValue::S(s) | AttributeValue::N(s) => s.clone(),
        AttributeValue::Bool(b) => b.to_string(),
        AttributeValue::Ss(v) | AttributeValue::Ns(v) => v.join(","),
        AttributeValue::L(list) => list.iter().map(flatten).collect::<Vec<_>>().join(","),
        AttributeValue::M(map) => {
            let sorted: BTreeMap<_, _> = map.iter().map(|(k, v)| (k, flatten(v))).collect();
            format!("{sorted:?}")
        }
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn due_users_are_purged_and_the_rest_kept() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let mut ids = BTreeMap::new();
    for name in ["ben", "cyd", "dee", "eve"] {
        let created = stack
            .create_user("acme", &owner, name, "user")
            .await
            .expect(StatusCode::CREATED);
        ids.insert(name, created.id());
    }
    // Ben and Cy are deleted under the default 30 days; Dee after the tenant moves to 1 day.
    for name in ["ben", "cyd"] {
        stack
            .delete("acme", &ids[name], &owner)
            .await
            .expect(StatusCode::OK);
    }
    Request::patch("/tenants/acme")
        .token(&owner)
        .json(json!({"retention_days": 1}))
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    let dee = stack.delete("acme", &ids["dee"], &owner).await.body;

    // Now: nobody is due.
    let summary = purge_as_of(&stack, OffsetDateTime::now_utc()).await;
    assert_eq!((summary.due, summary.purged), (0, 0), "{summary:?}");

    // In two days: only Dee.
    let summary = purge_as_of(&stack, days_from_now(2)).await;
    assert_eq!((summary.due, summary.purged, summary.failed), (1, 1, 0));
    assert_eq!(summary.stopped, Stop::Done);
    let gone = stack.user_item("acme", &ids["dee"]).await;
    assert!(gone.is_none(), "Dee was due on {}", dee["purge_after"]);
    for name in ["ben", "cyd"] {
        let answer = stack.get("acme", &ids[name], &owner).await;
        assert_eq!(answer.status, StatusCode::OK, "{name} was not due yet");
        assert_eq!(answer.body["state"], "deleted");
    }
    // Dee's name is free at once.
    stack
        .create_user("acme", &owner, "dee", "user")
        .await
        .expect(StatusCode::CREATED);

    // In 31 days: Ben and Cy too; Eve (active) and the owner stay.
    let summary = purge_as_of(&stack, days_from_now(31)).await;
    assert_eq!((summary.due, summary.purged, summary.failed), (2, 2, 0));
    let active = stack.list_ids("acme", "all", &owner).await;
    assert!(active.contains(&ids["eve"]));
    assert_eq!(active.len(), 3, "owner, eve and the new dee: {active:?}");
    // A purged user is gone for the API too.
    stack
        .restore("acme", &ids["ben"], &owner)
        .await
        .expect(StatusCode::NOT_FOUND);

    // Tombstones: one per purged user, by the system, ids and times only.
    let events = stack.store.list_audit("acme").await.unwrap();
    let tombstones: Vec<_> = events.iter().filter(|e| e.action == "user.purge").collect();
    assert_eq!(tombstones.len(), 3);
    for e in &tombstones {
        assert_eq!(e.actor_id, PURGE_ACTOR);
        let keys: HashSet<&str> = e
            .details
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, HashSet::from(["deleted_at", "purge_after", "role"]));
    }
    let dump = TableDump::read(&stack.store).await;
    assert_eq!(invariants::check(&dump), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_lists_what_it_would_purge_and_changes_nothing() {
    let stack = Stack::new().await;
    let now = OffsetDateTime::now_utc();
    let past = tenantry_accounts::format_time(now - time::Duration::days(40));
    let due_at = tenantry_accounts::format_time(now - time::Duration::days(10));
    let later = tenantry_accounts::format_time(now + time::Duration::days(10));
    let due = seed::deleted_users(
        &stack.store,
        &Seed {
            tenant_id: "acme",
            label: "due",
            deleted_at: &past,
            purge_after: &due_at,
        },
        30,
        4,
    )
    .await;
    seed::deleted_users(
        &stack.store,
        &Seed {
            tenant_id: "acme",
            label: "later",
            deleted_at: &past,
            purge_after: &later,
        },
        5,
        4,
    )
    .await;
    let before = raw_scan(&stack.store).await;
    let listed = std::sync::Mutex::new(Vec::new());
    let run = PurgeRun {
        dry_run: true,
        ..PurgeRun::now()
    };
    let summary = purger(&stack, 8)
        .run(&run, |p| listed.lock().unwrap().push(p.user.id.clone()))
        .await;
    assert_eq!(raw_scan(&stack.store).await, before, "a dry run wrote");
    assert_eq!(
        (summary.due, summary.would_purge, summary.purged),
        (30, 30, 0)
    );
    let mut listed = listed.into_inner().unwrap();
    listed.sort();
    let mut expected: Vec<String> = due.iter().map(|u| u.id.clone()).collect();
    expected.sort();
    assert_eq!(listed, expected);

    // The scheduled function's dry run: the same, and its summary line says so.
    let (summary, line) = purge_deleted::handle(
        &purger(&stack, 4),
        purge_deleted::Options {
            dry_run: true,
            limit: Some(12),
        },
        None,
    )
    .await;
    assert_eq!((summary.would_purge, summary.purged), (12, 0));
    assert_eq!(summary.stopped, Stop::Limit);
    assert_eq!(line["WouldPurge"], 12);
    assert_eq!(line["Purged"], 0);
    assert_eq!(raw_scan(&stack.store).await, before, "a dry run wrote");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_purge_nothing_of_the_person_is_left_on_the_table() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let mut people = Vec::new();
    for (username, email) in [
        ("zoe-pii-4471", "Zoe.Private-4471@Mail.test"),
        ("yan-pii-9053", "yan.secret-9053@mail.test"),
    ] {
        let id = Request::post("/tenants/acme/users")
            .token(&owner)
            .json(json!({"username": username, "email": email, "password": PASSWORD, "role": "agent"}))
            .send(&stack)
            .await
            .expect(StatusCode::CREATED)
            .id();
        // A history: a role change and an email change, then the delete.
        Request::patch(format!("/tenants/acme/users/{id}"))
            .token(&owner)
            .json(json!({"role": "user"}))
            .send(&stack)
            .await
            .expect(StatusCode::OK);
        let user = stack.user_item("acme", &id).await.unwrap();
        // A failed login: its guard is keyed by a hash of the name, and outlives the purge
        // holding nothing of it.
        Request::post("/auth/login")
            .json(json!({"tenant": "acme", "username": username, "password": "wrong-password"}))
            .send(&stack)
            .await
            .expect(StatusCode::UNAUTHORIZED);
        stack
            .delete("acme", &id, &owner)
            .await
            .expect(StatusCode::OK);
        people.push((username, email, user.password_hash, id));
    }
    let needles = |scan: &[String]| -> Vec<String> {
        let mut found = Vec::new();
        for (username, email, hash, _) in &people {
            for needle in [username.to_string(), email.to_lowercase(), hash.clone()] {
                if scan
                    .iter()
                    .any(|line| line.to_lowercase().contains(&needle.to_lowercase()))
                {
                    found.push(needle);
                }
            }
        }
        found
    };
    // Before: the scan does find them (the search works).
    assert_eq!(needles(&raw_scan(&stack.store).await).len(), 6);
    // The purge index lists both deleted users, and copies nothing of them but keys.
    let index = raw_index_scan(&stack.store).await;
    assert_eq!(index.len(), 2, "{index:#?}");
    let found = needles(&index);
    assert!(found.is_empty(), "copied into the purge index: {found:?}");

    // One purged now through the API, the other by the scheduled purge.
    Request::post(format!("/tenants/acme/users/{}/purge", people[0].3))
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    let summary = purge_as_of(&stack, days_from_now(31)).await;
    assert_eq!(summary.purged, 1);

    let found = needles(&raw_scan(&stack.store).await);
    assert!(found.is_empty(), "still on the table: {found:?}");
    let dump = TableDump::read(&stack.store).await;
    assert_eq!(invariants::check(&dump), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_now_frees_the_name_at_once_for_whoever_may_delete() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (_, admin) = stack.user("acme", &owner, "ada", "admin").await;
    let (_, agent) = stack.user("acme", &owner, "abe", "agent").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let (ari_id, _) = stack.user("acme", &owner, "ari", "admin").await;
    let (_, globex) = stack.tenant("globex").await;
    let stack = &stack;
    let purge = |id: &str, token: &str| {
        Request::post(format!("/tenants/acme/users/{id}/purge"))
            .token(token)
            .send(stack)
    };

    // Only deleted users are purged.
    purge(&ben_id, &admin)
        .await
        .expect_code(StatusCode::CONFLICT, "not_deleted");
    stack
        .delete("acme", &ben_id, &admin)
        .await
        .expect(StatusCode::OK);
    // The name is held until the purge...
    let answer = stack.create_user("acme", &owner, "ben", "user").await;
    assert_eq!(answer.code(), "username_held_by_deleted_user", "{answer}");

    // ...which follows the rights of delete (to an agent, a deleted user does not exist).
    purge(&ben_id, &agent)
        .await
        .expect_code(StatusCode::NOT_FOUND, "user_not_found");
    purge(&ben_id, &globex).await.expect(StatusCode::NOT_FOUND);
    let purged = purge(&ben_id, &admin).await.expect(StatusCode::OK);
    assert_eq!(purged.body["id"], ben_id.as_str());
    assert_eq!(purged.body["state"], "purged");

    // Gone: a second purge finds no one, the old session is dead, the name is free.
    purge(&ben_id, &admin).await.expect(StatusCode::NOT_FOUND);
    Request::get("/me")
        .token(&ben)
        .send(stack)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    let again = stack
        .create_user("acme", &owner, "ben", "user")
        .await
        .expect(StatusCode::CREATED);
    assert_ne!(again.body["id"], ben_id.as_str());

    // An admin is purged only by a super admin, like it is deleted.
    let root = stack.root_token.clone();
    stack
        .delete("acme", &ari_id, &root)
        .await
        .expect(StatusCode::OK);
    purge(&ari_id, &owner)
        .await
        .expect_code(StatusCode::FORBIDDEN, "admin_cannot_delete_admin");
    purge(&ari_id, &root).await.expect(StatusCode::OK);
    // The owner is never deleted, so never purged; asking is the owner rule's 403 first.
    purge(&owner_id, &root)
        .await
        .expect_code(StatusCode::FORBIDDEN, "owner_protected");

    let events = stack.store.list_audit("acme").await.unwrap();
    let purges: Vec<_> = events.iter().filter(|e| e.action == "user.purge").collect();
    assert_eq!(purges.len(), 2);
    assert!(purges.iter().all(|e| e.actor_id != PURGE_ACTOR));
    let dump = TableDump::read(&stack.store).await;
    assert_eq!(invariants::check(&dump), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_is_the_owners_call_and_applies_to_later_deletions() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let (cy_id, _) = stack.user("acme", &owner, "cyd", "user").await;
    let stack = &stack;
    let patch = |token: &str, body: serde_json::Value| {
        Request::patch("/tenants/acme")
            .token(token)
            .json(body)
            .send(stack)
    };

    // Ben is deleted under the default: 30 days.
    let before = stack.delete("acme", &ben_id, &owner).await.body;

    // Who may set it (the owner and super admins) is `matrix`'s.
    for bad in [
        json!({"retention_days": 0}),
        json!({"retention_days": 366}),
        json!({"retention_days": "7"}),
        json!({"retention_days": 7.5}),
        json!({"retention_days": -7}),
        json!({}),
        json!({"retention_days": 7, "name": "x"}),
    ] {
        let answer = patch(&owner, bad.clone()).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
    }
    let answer = patch(&owner, json!({"retention_days": 7}))
        .await
        .expect(StatusCode::OK);
    assert_eq!(answer.body["retention_days"], 7);
    let answer = patch(&stack.root_token, json!({"retention_days": 7})).await;
    assert_eq!(
        (answer.status, answer.body["retention_days"].as_u64()),
        (StatusCode::OK, Some(7))
    );

    // Cy, deleted now, gets 7 days; Ben keeps the 30 he was given.
    let after = stack.delete("acme", &cy_id, &owner).await.body;
    let span = |deletion: &serde_json::Value| {
        let at = |k: &str| {
            OffsetDateTime::parse(
                deletion[k].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
        };
        (at("purge_after") - at("deleted_at")).whole_days()
    };
    assert_eq!(span(&before), 30);
    assert_eq!(span(&after), 7);
    let ben = stack.get("acme", &ben_id, &owner).await.body;
    assert_eq!(ben["purge_after"], before["purge_after"]);

    // One change, one event (the repeat wrote nothing); the replay agrees.
    let events = stack.store.list_audit("acme").await.unwrap();
    assert_eq!(
        events
            .iter()
            .filter(|e| e.action == "tenant.update")
            .count(),
        1
    );
    let dump = TableDump::read(&stack.store).await;
    assert_eq!(invariants::check(&dump), Vec::<String>::new());
}

/// A restore and the purge race for the same deleted user, 100 times: exactly one wins,
/// and the loser leaves no trace; a restored user is never purged, a purged one never half there.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restore_racing_the_purge_has_one_winner_100_times() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let mut restored_wins = 0;
    let mut purge_wins = 0;
    let mut rng = rand::rng();
    for round in 0..100 {
        let id = stack
            .create_user("acme", &owner, &format!("racer{round}"), "user")
            .await
            .expect(StatusCode::CREATED)
            .id();
        stack
            .delete("acme", &id, &owner)
            .await
            .expect(StatusCode::OK);

        let (restore_delay, purge_delay) = (rng.random_range(0..4), rng.random_range(0..4));
        let restore = async {
            tokio::time::sleep(Duration::from_millis(restore_delay)).await;
            stack.restore("acme", &id, &owner).await
        };
        let purge = async {
            tokio::time::sleep(Duration::from_millis(purge_delay)).await;
            purge_as_of(&stack, days_from_now(31)).await
        };
        let (restored, summary) = tokio::join!(restore, purge);

        let user = stack.user_item("acme", &id).await;
        let username_claim = stack
            .store
            .get_username_claim("acme", &format!("racer{round}"))
            .await
            .unwrap();
        assert_eq!(summary.failed, 0, "round {round}: {summary:?}");
        if restored.status == StatusCode::OK {
            restored_wins += 1;
            assert_eq!(summary.purged, 0, "round {round}: restored and purged");
            let user = user.expect("a restored user is on the table");
            assert!(!user.is_deleted());
            assert_eq!(username_claim.map(|c| c.user_id), Some(id.clone()));
        } else {
            purge_wins += 1;
            assert_eq!(
                restored.status,
                StatusCode::NOT_FOUND,
                "round {round}: {restored}"
            );
            assert_eq!(summary.purged, 1, "round {round}: {summary:?}");
            assert!(user.is_none(), "round {round}: purged but still there");
            assert!(username_claim.is_none(), "round {round}: half purged");
        }
    }
    println!("restore vs purge, 100 rounds: restore won {restored_wins}, purge won {purge_wins}");
    // A race both ways: the test would prove little if one side always came first.
    assert!(restored_wins > 0 && purge_wins > 0);
    let dump = TableDump::read(&stack.store).await;
    assert_eq!(invariants::check(&dump), Vec::<String>::new());
}

/// The scheduled function past its deadline margin takes no one; the next run purges all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_scheduled_function_stops_at_its_deadline_and_the_next_run_resumes() {
    let stack = Stack::new().await;
    let now = OffsetDateTime::now_utc();
    let past = tenantry_accounts::format_time(now - time::Duration::days(40));
    let due_at = tenantry_accounts::format_time(now - time::Duration::days(10));
    let seed = Seed {
        tenant_id: "acme",
        label: "due",
        deleted_at: &past,
        purge_after: &due_at,
    };
    seed::deleted_users(&stack.store, &seed, 50, 4).await;
    let engine = purger(&stack, 4);
    let options = purge_deleted::Options::from_event(json!({})).unwrap();

    let (summary, line) = purge_deleted::handle(&engine, options, Some(Instant::now())).await;
    assert_eq!((summary.purged, summary.stopped), (0, Stop::Deadline));
    assert_eq!(line["summary"]["stopped"], "deadline");
    assert_eq!(engine.count_due(now).await.unwrap(), 50);

    let (summary, line) = purge_deleted::handle(&engine, options, None).await;
    assert_eq!((summary.purged, summary.failed), (50, 0), "{summary:?}");
    assert_eq!(summary.stopped, Stop::Done);
    assert_eq!(line["Purged"], 50);
    assert_eq!(line["Failed"], 0);
    assert_eq!(engine.count_due(now).await.unwrap(), 0);
}

/// Reads the table until two scans in a row agree (no write still landing).
async fn settled_scan(store: &Store) -> TableDump {
    let mut last = raw_scan(store).await;
    loop {
        tokio::time::sleep(Duration::from_millis(30)).await;
        let now = raw_scan(store).await;
        if now == last {
            return TableDump::read(store).await;
        }
        last = now;
    }
}

/// Each seeded user is whole (item and both claims, no tombstone) or gone (none of them, one
/// tombstone); returns how many are gone.
fn whole_or_gone(dump: &TableDump, seeded: &[tenantry_store::UserItem]) -> usize {
    let users: HashSet<&str> = dump.users.iter().map(|u| u.id.as_str()).collect();
    let mut claims: BTreeMap<&str, usize> = BTreeMap::new();
    for claim in &dump.claims {
        *claims.entry(claim.user_id.as_str()).or_default() += 1;
    }
    let mut tombstones: BTreeMap<&str, usize> = BTreeMap::new();
    for e in dump.audit.iter().filter(|e| e.action == "user.purge") {
        *tombstones.entry(e.target_id.as_str()).or_default() += 1;
    }
    let mut gone = 0;
    for user in seeded {
        let id = user.id.as_str();
        let state = (
            users.contains(id),
            claims.get(id).copied().unwrap_or(0),
            tombstones.get(id).copied().unwrap_or(0),
        );
        match state {
            (true, 2, 0) => {}
            (false, 0, 1) => gone += 1,
            other => panic!("user {id} is half there: (item, claims, tombstones) = {other:?}"),
        }
    }
    gone
}

/// Runs cut off at random points (the task aborted, or the deadline reached) 100 times, then
/// a full run: it converges, one tombstone per user, nothing orphaned.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn interrupted_purges_converge_with_nothing_orphaned() {
    let stack = Stack::new().await;
    let past = tenantry_accounts::format_time(OffsetDateTime::now_utc() - time::Duration::days(40));
    let due = tenantry_accounts::format_time(OffsetDateTime::now_utc() - time::Duration::days(1));
    let mut seeded = Vec::new();
    let mut batch = 0;
    let mut rng = rand::rng();
    let (mut aborted, mut deadlines) = (0, 0);
    for round in 0..100 {
        // Keep enough due users for every cut to land mid-run.
        if seeded.len() - whole_or_gone(&settled_scan(&stack.store).await, &seeded) < 40 {
            batch += 1;
            let label = format!("cut{batch}");
            seeded.extend(
                seed::deleted_users(
                    &stack.store,
                    &Seed {
                        tenant_id: ["acme", "globex"][batch % 2],
                        label: &label,
                        deleted_at: &past,
                        purge_after: &due,
                    },
                    120,
                    4,
                )
                .await,
            );
        }
        let engine = purger(&stack, 8);
        if round % 2 == 0 {
            let task = tokio::spawn(async move { engine.run(&PurgeRun::now(), |_| {}).await });
            tokio::time::sleep(Duration::from_millis(rng.random_range(1..25))).await;
            task.abort();
            if task.await.is_err() {
                aborted += 1;
            }
        } else {
            let run = PurgeRun {
                stop_taking_at: Some(
                    Instant::now() + Duration::from_millis(rng.random_range(0..25)),
                ),
                ..PurgeRun::now()
            };
            let summary = engine.run(&run, |_| {}).await;
            assert_eq!(summary.failed, 0, "{summary:?}");
            if summary.stopped == Stop::Deadline {
                deadlines += 1;
            }
        }
        whole_or_gone(&settled_scan(&stack.store).await, &seeded);
    }
    // Most cuts must really have cut a run short, or this proves nothing.
    assert!(
        aborted >= 25 && deadlines >= 25,
        "aborted {aborted}, deadlines {deadlines}"
    );

    let summary = purge_as_of(&stack, OffsetDateTime::now_utc()).await;
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(summary.stopped, Stop::Done);
    let dump = settled_scan(&stack.store).await;
    assert_eq!(whole_or_gone(&dump, &seeded), seeded.len());
    assert!(
        dump.claims.iter().all(|c| c.tenant_id == "platform"),
        "orphaned claims"
    );
    assert_eq!(
        purger(&stack, 2)
            .count_due(OffsetDateTime::now_utc())
            .await
            .unwrap(),
        0
    );
    println!(
        "{} users purged across 100 interrupted runs ({aborted} aborted, {deadlines} stopped \
         at the deadline) and one final run",
        seeded.len()
    );
}

/// 10,000 due users among 500 not yet due, in one run.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_due_users_are_purged_in_one_run() {
    let stack = Stack::new().await;
    let now = OffsetDateTime::now_utc();
    let past = tenantry_accounts::format_time(now - time::Duration::days(40));
    let due_at = tenantry_accounts::format_time(now - time::Duration::days(10));
    let later = tenantry_accounts::format_time(now + time::Duration::days(10));
    let mut due = Vec::new();
    for tenant in ["acme", "globex"] {
        due.extend(
            seed::deleted_users(
                &stack.store,
                &Seed {
                    tenant_id: tenant,
                    label: "due",
                    deleted_at: &past,
                    purge_after: &due_at,
                },
                5_000,
                16,
            )
            .await,
        );
    }
    let kept = seed::deleted_users(
        &stack.store,
        &Seed {
            tenant_id: "acme",
            label: "later",
            deleted_at: &past,
            purge_after: &later,
        },
        500,
        16,
    )
    .await;
    let engine = purger(&stack, 16);
    assert_eq!(engine.count_due(now).await.unwrap(), 10_000);

    let started = Instant::now();
    let summary = engine.run(&PurgeRun::now(), |_| {}).await;
    let elapsed = started.elapsed();
    assert_eq!(
        (summary.due, summary.purged, summary.failed),
        (10_000, 10_000, 0),
        "{summary:?}"
    );
    println!(
        "purged 10,000 users in {:.1}s: {:.0} users/s at concurrency 16",
        elapsed.as_secs_f64(),
        10_000.0 / elapsed.as_secs_f64()
    );
    assert_eq!(
        engine.count_due(OffsetDateTime::now_utc()).await.unwrap(),
        0
    );
    let dump = TableDump::read(&stack.store).await;
    let left: HashSet<&str> = dump.users.iter().map(|u| u.id.as_str()).collect();
    let expected: HashSet<&str> = kept
        .iter()
        .map(|u| u.id.as_str())
        .chain([stack.root_id.as_str()])
        .collect();
    assert_eq!(left, expected);
    assert_eq!(dump.claims.len(), 2 * expected.len());
    assert_eq!(whole_or_gone(&dump, &due), 10_000);
}

/// With the database unreachable, a run ends at once with every shard counted as failed and
/// the reason kept: no panic, nothing claimed to be purged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_index_fails_the_run_with_its_reason() {
    let stack = Stack::with_endpoint("http://127.0.0.1:9", 1).await;
    let (summary, line) =
        purge_deleted::handle(&purger(&stack, 4), purge_deleted::Options::default(), None).await;
    assert_eq!((summary.due, summary.purged), (0, 0));
    assert_eq!(
        summary.failed,
        u64::from(tenantry_store::keys::PURGE_SHARDS)
    );
    assert!(
        summary.errors[0].starts_with("reading the purge index"),
        "{:?}",
        summary.errors
    );
    assert_eq!(line["Failed"], 8);
}
