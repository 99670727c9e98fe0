//! Role changes (`PATCH` of a user's role): they answer the user as stored, end the user's
//! sessions (an email change does not), write one event; a change to the current value
//! writes nothing; and what the rank rules allow applies while what the matrix cannot reach
//! (other tenants' paths, super admins, missing ids) is refused.

use std::collections::BTreeSet;

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_tests::{PASSWORD, Request, Stack};

use crate::support::{USER_KEYS, event_count, keys, me_status, patch, stored, view};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_change_ends_the_targets_sessions_and_an_email_change_does_not() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let before = view(&stack, "acme", &ben_id, &owner).await;

    // A role change answers the user as it is now...
    let changed = patch(&stack, "acme", &ben_id, &owner, json!({"role": "agent"}))
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(keys(&changed), BTreeSet::from(USER_KEYS));
    assert_eq!(changed["id"], ben_id.as_str());
    assert_eq!(changed["role"], "agent");
    assert_eq!(changed["email"], "ben@acme.test");
    assert_eq!(changed["username"], "ben");
    assert_eq!(changed["is_owner"], false);
    assert_eq!(changed["state"], "active");
    assert_eq!(changed["created_at"], before["created_at"]);
    assert!(
        changed["updated_at"].as_str() > before["updated_at"].as_str(),
        "updated_at must move: {before} -> {changed}"
    );
    // ...and the table agrees.
    assert_eq!(view(&stack, "acme", &ben_id, &owner).await, changed);

    // Every session of ben from before the change is dead; a fresh login shows the new role.
    Request::get("/me")
        .token(&ben)
        .send(&stack)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "unauthenticated");
    let ben = stack.login("acme", "ben", PASSWORD).await;
    assert_eq!(stack.me(&ben).await["role"], "agent");

    // An email change alone keeps every session.
    let changed = patch(
        &stack,
        "acme",
        &ben_id,
        &owner,
        json!({"email": "ben.new@acme.test"}),
    )
    .await
    .expect(StatusCode::OK)
    .body;
    assert_eq!(
        (changed["email"].as_str(), changed["role"].as_str()),
        (Some("ben.new@acme.test"), Some("agent"))
    );
    let me = stack.me(&ben).await;
    assert_eq!(
        (me["email"].as_str(), me["role"].as_str()),
        (Some("ben.new@acme.test"), Some("agent"))
    );

    // Both at once: one event, and the role part ends the sessions again.
    let changed = patch(
        &stack,
        "acme",
        &ben_id,
        &owner,
        json!({"role": "user", "email": "ben@acme.test"}),
    )
    .await
    .expect(StatusCode::OK)
    .body;
    assert_eq!(
        (changed["email"].as_str(), changed["role"].as_str()),
        (Some("ben@acme.test"), Some("user"))
    );
    assert_eq!(me_status(&stack, &ben).await, StatusCode::UNAUTHORIZED);
    let ben = stack.login("acme", "ben", PASSWORD).await;
    assert_eq!(stack.me(&ben).await["role"], "user");

    // One `user.update` per change, by the owner, with roles and a flag, never the address.
    let events: Vec<_> = stack
        .store
        .list_audit("acme")
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.target_id == ben_id)
        .collect();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["user.update", "user.update", "user.update", "user.create"]
    );
    assert!(events[..3].iter().all(|e| e.actor_id == owner_id));
    assert_eq!(
        events[0].details,
        json!({"previous_role": "agent", "role": "user", "email_changed": true, "profile_changed": false})
    );
    assert_eq!(
        events[1].details,
        json!({"previous_role": "agent", "role": "agent", "email_changed": true, "profile_changed": false})
    );
    assert_eq!(
        events[2].details,
        json!({"previous_role": "user", "role": "agent", "email_changed": false, "profile_changed": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setting_a_field_to_its_current_value_writes_nothing() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let (_, agent) = stack.user("acme", &owner, "aggie", "agent").await;
    let before = view(&stack, "acme", &ben_id, &owner).await;
    let events = event_count(&stack, "acme").await;

    for body in [
        json!({"role": "user"}),
        json!({"email": "ben@acme.test"}),
        json!({"role": "user", "email": " ben@acme.test "}),
    ] {
        let answer = patch(&stack, "acme", &ben_id, &owner, body.clone()).await;
        assert_eq!(answer.status, StatusCode::OK, "{body}: {answer}");
        assert_eq!(
            answer.body, before,
            "{body}: nothing changed, updated_at included"
        );
    }
    assert_eq!(view(&stack, "acme", &ben_id, &owner).await, before);
    assert_eq!(event_count(&stack, "acme").await, events);
    assert_eq!(
        me_status(&stack, &ben).await,
        StatusCode::OK,
        "a role set to itself is no role change: sessions live"
    );
    // As tenantry-accounts documents it, a no-op needs no permission: an agent's no-op is a
    // 200 too.
    let answer = patch(&stack, "acme", &ben_id, &agent, json!({"role": "user"})).await;
    assert_eq!(
        (answer.status, stored(&answer.body)),
        (StatusCode::OK, stored(&before))
    );
    assert_eq!(event_count(&stack, "acme").await, events);

    // The role part of a real email change is still a no-op: one event, sessions live.
    let answer = patch(
        &stack,
        "acme",
        &ben_id,
        &owner,
        json!({"role": "user", "email": "ben2@acme.test"}),
    )
    .await
    .expect(StatusCode::OK)
    .body;
    assert_eq!(answer["email"], "ben2@acme.test");
    assert_eq!(me_status(&stack, &ben).await, StatusCode::OK);
    assert_eq!(
        stack.audit_actions("acme", &ben_id).await,
        ["user.update", "user.create"]
    );
    let latest = stack.store.list_audit("acme").await.unwrap().remove(0);
    assert_eq!(
        latest.details,
        json!({"previous_role": "user", "role": "user", "email_changed": true, "profile_changed": false})
    );
}

/// What `matrix` cannot reach (its targets live in the tenant of the path, and are no super
/// admins): a change through another tenant's path, on another super admin, on a super admin
/// through the platform's path, on ids that are not there. Then the changes the rules allow:
/// applied, answered as stored, and only a role change ends its user's sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_changes_apply_and_changes_across_tenants_to_super_admins_or_missing_ids_are_refused()
 {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let root_id = stack.root_id.clone();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (bob_id, bob) = stack.user("acme", &owner, "bob", "admin").await;
    let (aggie_id, aggie) = stack.user("acme", &owner, "aggie", "agent").await;
    let (ursula_id, ursula) = stack.user("acme", &owner, "ursula", "user").await;
    let (ulla_id, ulla) = stack.user("acme", &owner, "ulla", "user").await;
    let (_, globex_owner) = stack.tenant("globex").await;
    let nobody = uuid::Uuid::now_v7().to_string();
    // A second super admin, as an operator would bootstrap it.
    assert!(
        stack
            .app
            .accounts
            .bootstrap_super_admin("ops", "ops@platform.invalid", "operator-secret-1234")
            .await
            .unwrap()
    );
    let ops = stack.login("platform", "ops", "operator-secret-1234").await;
    let ops_id = stack.me(&ops).await["id"].as_str().unwrap().to_owned();

    let role = |r: &str| json!({ "role": r });
    let email = || json!({"email": "changed@acme.test"});
    let cases: Vec<(&str, &str, &str, &str, Value, StatusCode, &str)> = vec![
        // (what, token, tenant, target, body, status, code)
        (
            "another tenant's owner, through its own tenant",
            &globex_owner,
            "globex",
            &ursula_id,
            role("agent"),
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "root demotes another super admin",
            &root,
            "platform",
            &ops_id,
            role("admin"),
            StatusCode::FORBIDDEN,
            "super_admin_protected",
        ),
        (
            "root changes another super admin's email",
            &root,
            "platform",
            &ops_id,
            email(),
            StatusCode::FORBIDDEN,
            "super_admin_protected",
        ),
        (
            "owner changes root's email",
            &owner,
            "platform",
            &root_id,
            email(),
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "owner changes an unknown user",
            &owner,
            "acme",
            &nobody,
            role("agent"),
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "owner changes a malformed id",
            &owner,
            "acme",
            "not-a-user!",
            role("agent"),
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
    ];
    let ids = [
        &owner_id, &alice_id, &bob_id, &aggie_id, &ursula_id, &ulla_id,
    ];
    let mut before = Vec::new();
    for id in ids {
        before.push(view(&stack, "acme", id, &owner).await);
    }
    let events = event_count(&stack, "acme").await;
    for (what, token, tenant, target, body, status, expected) in cases {
        let answer = patch(&stack, tenant, target, token, body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{what}: {answer}"
        );
    }
    // Refusals change nobody, write no event, and end no session.
    for (id, was) in ids.iter().zip(&before) {
        assert_eq!(&view(&stack, "acme", id, &owner).await, was);
    }
    assert_eq!(event_count(&stack, "acme").await, events);
    assert_eq!(stack.me(&ops).await["email"], "ops@platform.invalid");
    for token in [&owner, &alice, &bob, &aggie, &ursula, &ulla] {
        assert_eq!(me_status(&stack, token).await, StatusCode::OK);
    }

    // What is allowed.
    let allowed: Vec<(&str, &str, &str, Value, &str, &str)> = vec![
        // (what, token, target, body, role after, email after)
        (
            "owner promotes a user to admin",
            &owner,
            &ursula_id,
            role("admin"),
            "admin",
            "ursula@acme.test",
        ),
        (
            "root demotes an admin",
            &root,
            &bob_id,
            role("agent"),
            "agent",
            "bob@acme.test",
        ),
        (
            "root changes an admin's email",
            &root,
            &alice_id,
            json!({"email": "alice@new.test"}),
            "admin",
            "alice@new.test",
        ),
        (
            "root changes the owner's email",
            &root,
            &owner_id,
            json!({"email": "boss@acme.test"}),
            "admin",
            "boss@acme.test",
        ),
        (
            "admin demotes an agent",
            &alice,
            &aggie_id,
            role("user"),
            "user",
            "aggie@acme.test",
        ),
        (
            "admin changes a user's email",
            &alice,
            &ulla_id,
            json!({"email": "ulla@new.test"}),
            "user",
            "ulla@new.test",
        ),
        (
            "admin makes a user an agent",
            &alice,
            &ulla_id,
            role("agent"),
            "agent",
            "ulla@new.test",
        ),
    ];
    let count = allowed.len();
    for (what, token, target, body, role_after, email_after) in allowed {
        let answer = patch(&stack, "acme", target, token, body).await;
        assert_eq!(answer.status, StatusCode::OK, "{what}: {answer}");
        let shown = view(&stack, "acme", target, &owner).await;
        assert_eq!(
            (shown["role"].as_str(), shown["email"].as_str()),
            (Some(role_after), Some(email_after)),
            "{what}"
        );
        assert_eq!(
            stored(&answer.body),
            stored(&shown),
            "{what}: the answer is the stored user"
        );
    }
    assert_eq!(event_count(&stack, "acme").await, events + count);
    // Role changes ended the sessions of those whose role changed, and only theirs.
    assert_eq!(me_status(&stack, &ursula).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&stack, &bob).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&stack, &aggie).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&stack, &ulla).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&stack, &alice).await, StatusCode::OK);
    assert_eq!(me_status(&stack, &owner).await, StatusCode::OK);
    // The demoted admin lost its power at once: bob, now an agent, changes nobody.
    let bob = stack.login("acme", "bob", PASSWORD).await;
    let answer = patch(&stack, "acme", &ulla_id, &bob, role("user")).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "insufficient_role")
    );
}
