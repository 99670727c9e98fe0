//! Races with real concurrency on DynamoDB Local, repeated, checked on the table itself.

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_store::{ActorCheck, Deletion, Part, UserKey};
use tenantry_tests::{PASSWORD, Request, Stack};

const ROUNDS: usize = 40;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_creates_of_one_username_give_exactly_one_account() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (_, admin) = stack.user("acme", &owner, "alice", "admin").await;
    for round in 0..ROUNDS {
        let name = format!("twin{round}");
        // Same username, different emails: only the username claim can decide.
        let (a, b) = tokio::join!(
            Request::post("/tenants/acme/users")
                .token(&owner)
                .json(json!({"username": name, "email": format!("a{round}@acme.test"), "password": PASSWORD, "role": "user"}))
                .send(&stack),
            Request::post("/tenants/acme/users")
                .token(&admin)
                .json(json!({"username": name.to_uppercase(), "email": format!("b{round}@acme.test"), "password": PASSWORD, "role": "agent"}))
                .send(&stack),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "{a} {b}"
        );
        let loser = if a.status == StatusCode::CONFLICT {
            &a
        } else {
            &b
        };
        assert_eq!(loser.code(), "username_taken");
    }
    // On the table: one account per name, and no orphan email claim of a loser.
    let page = Request::get("/tenants/acme/users?state=all&limit=100")
        .token(&owner)
        .send(&stack)
        .await
        .body;
    let twins = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["username"].as_str().unwrap().starts_with("twin"))
        .count();
    assert_eq!(twins, ROUNDS);
    let created = stack
        .store
        .list_audit("acme")
        .await
        .unwrap()
        .iter()
        .filter(|e| e.action == "user.create")
        .count();
    assert_eq!(
        created,
        ROUNDS + 1,
        "one audit event per committed create (and alice)"
    );
    for round in 0..ROUNDS {
        // Each round's losing email is free again: it was never committed.
        let emails = [format!("a{round}@acme.test"), format!("b{round}@acme.test")];
        let mut taken = 0;
        for email in &emails {
            let status = Request::post("/tenants/acme/users")
                .token(&owner)
                .json(json!({"username": format!("probe{round}{}", email.as_bytes()[0] as char), "email": email, "password": PASSWORD, "role": "user"}))
                .send(&stack)
                .await
                .status;
            if status == StatusCode::CONFLICT {
                taken += 1;
            } else {
                assert_eq!(status, StatusCode::CREATED);
            }
        }
        assert_eq!(
            taken, 1,
            "round {round}: exactly the winner's email is claimed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_deletes_of_one_user_answer_one_deletion_with_one_audit_event() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (_, admin) = stack.user("acme", &owner, "alice", "admin").await;
    let mut ids = Vec::new();
    for round in 0..ROUNDS {
        let created = stack
            .create_user("acme", &owner, &format!("victim{round}"), "user")
            .await
            .expect(StatusCode::CREATED);
        ids.push(created.id());
    }
    for id in &ids {
        let (a, b) = tokio::join!(
            stack.delete("acme", id, &owner),
            stack.delete("acme", id, &admin)
        );
        assert_eq!(
            (a.status, b.status),
            (StatusCode::OK, StatusCode::OK),
            "{a} {b}"
        );
        assert_eq!(a.body, b.body, "both answer the same deletion");
        assert_eq!(
            stack.deletions_of("acme", id).await,
            1,
            "exactly one audit event for {id}"
        );
    }
}

/// A super admin deletes admin A while A deletes user U. A's delete must never commit after
/// A's own deletion. How the test knows: every commit is conditioned on the actor's item
/// being at the version the decision read, and records that version in its audit event.
/// The deletion of A moves A from version v to v+1 and records v as the target version.
/// Versions only grow, so if A's delete of U committed after A's deletion, A would have been
/// at v+1 or later at that commit, and its event would record a version greater than v.
/// So: U deleted by A  =>  A's event's actor_version == the deletion's target_version.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_being_deleted_never_deletes_after_their_own_deletion() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let root = stack.root_token.clone();
    let (mut first_admin, mut first_root) = (0, 0);
    for round in 0..ROUNDS {
        let (a_id, a_token) = stack
            .user("acme", &owner, &format!("admin{round}"), "admin")
            .await;
        let u_id = stack
            .create_user("acme", &owner, &format!("user{round}"), "user")
            .await
            .expect(StatusCode::CREATED)
            .id();

        let (by_root, by_admin) = tokio::join!(
            stack.delete("acme", &a_id, &root),
            stack.delete("acme", &u_id, &a_token)
        );
        assert_eq!(by_root.status, StatusCode::OK, "{by_root}");

        let events = stack.store.list_audit("acme").await.unwrap();
        let a_deleted: Vec<_> = events
            .iter()
            .filter(|e| e.action == "user.delete" && e.target_id == a_id)
            .collect();
        assert_eq!(a_deleted.len(), 1);
        let u_deleted: Vec<_> = events
            .iter()
            .filter(|e| e.action == "user.delete" && e.target_id == u_id)
            .collect();
        let u_now = stack.get("acme", &u_id, &owner).await.body;
        match by_admin.status {
            StatusCode::OK => {
                first_admin += 1;
                assert_eq!(u_deleted.len(), 1);
                assert_eq!(u_deleted[0].actor_id, a_id);
                assert_eq!(
                    u_deleted[0].actor_version, a_deleted[0].target_version,
                    "round {round}: A's delete committed against a version of A its deletion had already replaced"
                );
                assert_eq!(u_now["deleted_by"], a_id.as_str());
            }
            StatusCode::UNAUTHORIZED => {
                first_root += 1;
                assert!(
                    u_deleted.is_empty(),
                    "round {round}: a refused delete left an event"
                );
                assert_eq!(u_now["state"], "active");
            }
            other => panic!("round {round}: unexpected {other}: {by_admin}"),
        }
    }
    println!("admin first: {first_admin}, super admin first: {first_root}");
    assert_eq!(first_admin + first_root, ROUNDS);
}

fn key(user_id: &str) -> UserKey<'_> {
    UserKey {
        tenant_id: "acme",
        user_id,
    }
}

/// The mechanism under the race above, made deterministic: a decision taken on a snapshot
/// cannot commit once the actor's item, or the target's, has changed since; and the
/// cancellation reason names which one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_snapshot_cannot_commit_and_the_reason_names_the_stale_part() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (a_id, _) = stack.user("acme", &owner, "alice", "admin").await;
    let (u_id, _) = stack.user("acme", &owner, "ursula", "user").await;
    let snap = stack
        .store
        .snapshot(key(&a_id), None, Some(key(&u_id)), Some("acme"))
        .await
        .unwrap();
    let (actor, stale_target) = (snap.actor.unwrap(), snap.target.unwrap());
    let deletion = Deletion {
        deleted_at: "2026-01-01T00:00:00.000Z",
        deleted_by: &a_id,
        purge_after: "2026-01-31T00:00:00.000Z",
        by_directory: false,
    };
    let mut audit = stack.store.list_audit("acme").await.unwrap().remove(0);
    audit.sk.push_str("-stale");

    // Between A's snapshot and A's commit, a super admin deletes A.
    stack
        .delete("acme", &a_id, &stack.root_token)
        .await
        .expect(StatusCode::OK);
    let check = ActorCheck::user(key(&a_id), actor.version);
    let tx = stack
        .store
        .delete_user(&check, &stale_target, &deletion, &audit)
        .unwrap();
    let err = stack.store.commit(tx).await.unwrap_err();
    assert!(err.reason_for(Part::Actor).is_some(), "{err:?}");
    assert!(err.reason_for(Part::Target).is_none(), "{err:?}");
    assert_eq!(
        stack.get("acme", &u_id, &owner).await.body["state"],
        "active"
    );

    // Between the owner's snapshot and commit, the target changes (someone else deletes it).
    let owner_item = stack.store.get_user(key(&owner_id)).await.unwrap().unwrap();
    let owner_check = ActorCheck::user(key(&owner_id), owner_item.version);
    let (_, other_admin) = stack.user("acme", &owner, "bob", "admin").await;
    stack
        .delete("acme", &u_id, &other_admin)
        .await
        .expect(StatusCode::OK);
    let tx = stack
        .store
        .delete_user(&owner_check, &stale_target, &deletion, &audit)
        .unwrap();
    let err = stack.store.commit(tx).await.unwrap_err();
    assert!(err.reason_for(Part::Target).is_some(), "{err:?}");
    assert!(err.reason_for(Part::Actor).is_none(), "{err:?}");
    // Neither stale attempt left an audit event.
    let events = stack.store.list_audit("acme").await.unwrap();
    assert!(events.iter().all(|e| !e.sk.ends_with("-stale")));
}
