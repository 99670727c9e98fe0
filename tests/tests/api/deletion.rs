//! Deleting and restoring a user: the office-politics story, an honest delete (sessions
//! revoked, names held, restored exactly), and the restore window.

use std::collections::HashMap;

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_tests::{PASSWORD, Request, Stack};

/// Office politics in one tenant: an admin cannot remove a rival admin nor the owner, and
/// neither can a super admin remove the owner; a super admin removes the admin, and admins
/// clear out agents and users. (`matrix` holds every actor and target kind; this is the story
/// as a tenant lives it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_rules_of_the_office_politics_story_hold() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (_, admin) = stack.user("acme", &owner, "alice", "admin").await;
    let (admin2_id, _) = stack.user("acme", &owner, "bob", "admin").await;
    let (agent_id, _) = stack.user("acme", &owner, "aggie", "agent").await;
    let (user_id, _) = stack.user("acme", &owner, "ursula", "user").await;
    let root = stack.root_token.clone();

    let cases: Vec<(&str, &str, &str, StatusCode, &str)> = vec![
        // (who, token, target, status, code)
        (
            "admin deletes an admin",
            &admin,
            &admin2_id,
            StatusCode::FORBIDDEN,
            "admin_cannot_delete_admin",
        ),
        (
            "admin deletes the owner",
            &admin,
            &owner_id,
            StatusCode::FORBIDDEN,
            "owner_protected",
        ),
        (
            "super admin deletes the owner",
            &root,
            &owner_id,
            StatusCode::FORBIDDEN,
            "owner_protected",
        ),
    ];
    for (what, token, target, status, expected) in cases {
        let answer = stack.delete("acme", target, token).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{what}: {answer}"
        );
    }
    // Nothing was deleted by any refused attempt, and nothing was audited.
    assert_eq!(
        stack.list_ids("acme", "deleted", &owner).await,
        Vec::<String>::new()
    );
    assert_eq!(
        stack.audit_actions("acme", &admin2_id).await,
        vec!["user.create"]
    );
    // The owner came with the tenant; its only event is the tenant's creation.
    assert!(stack.audit_actions("acme", &owner_id).await.is_empty());

    // What is allowed: an admin deletes an agent and a user; a super admin deletes an admin.
    stack
        .delete("acme", &agent_id, &admin)
        .await
        .expect(StatusCode::OK);
    stack
        .delete("acme", &user_id, &admin)
        .await
        .expect(StatusCode::OK);
    stack
        .delete("acme", &admin2_id, &root)
        .await
        .expect(StatusCode::OK);
    let mut trash = stack.list_ids("acme", "deleted", &owner).await;
    trash.sort();
    let mut expected = vec![agent_id, user_id, admin2_id];
    expected.sort();
    assert_eq!(trash, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_is_honest_revokes_sessions_holds_the_name_and_restores_exactly() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let (_, agent) = stack.user("acme", &owner, "aggie", "agent").await;
    let before = stack.get("acme", &ben_id, &owner).await.body;
    assert_eq!(before["state"], "active");

    // The delete says what happened and when.
    let deleted = stack
        .delete("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(deleted["id"], ben_id.as_str());
    assert_eq!(deleted["state"], "deleted");
    assert_eq!(deleted["sessions_revoked"], true);
    let deleted_at = deleted["deleted_at"].as_str().unwrap();
    let purge_after = deleted["purge_after"].as_str().unwrap();
    assert_eq!(deleted["restorable_until"], purge_after);
    assert!(purge_after > deleted_at);
    let parse = |t: &str| {
        time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap()
    };
    assert_eq!(
        parse(purge_after) - parse(deleted_at),
        time::Duration::days(30)
    );

    // Repeating it answers the same deletion and writes no second audit event.
    let again = stack.delete("acme", &ben_id, &owner).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body, deleted);
    assert_eq!(
        stack.audit_actions("acme", &ben_id).await,
        vec!["user.delete", "user.create"]
    );

    // Gone from the list, present in the trash with its purge date.
    assert!(
        !stack
            .list_ids("acme", "active", &owner)
            .await
            .contains(&ben_id)
    );
    let trash = Request::get("/tenants/acme/users?state=deleted")
        .token(&owner)
        .send(&stack)
        .await
        .body;
    let item = &trash["items"][0];
    assert_eq!(
        (item["id"].as_str(), item["state"].as_str()),
        (Some(ben_id.as_str()), Some("deleted"))
    );
    assert_eq!(item["purge_after"], purge_after);
    assert_eq!(item["deleted_by"], owner_id.as_str());
    // The trash is for admins only; agents and users do not see deleted accounts at all.
    Request::get("/tenants/acme/users?state=deleted")
        .token(&agent)
        .send(&stack)
        .await
        .expect_code(StatusCode::FORBIDDEN, "insufficient_role");
    stack
        .get("acme", &ben_id, &agent)
        .await
        .expect_code(StatusCode::NOT_FOUND, "user_not_found");
    let shown = stack
        .get("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(shown["state"], "deleted");
    assert!(shown.get("password_hash").is_none() && shown.get("token_epoch").is_none());

    // Every session died at once, and the account cannot log in.
    Request::get("/me")
        .token(&ben)
        .send(&stack)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    Request::post("/auth/login")
        .json(json!({"tenant": "acme", "username": "ben", "password": PASSWORD}))
        .send(&stack)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "invalid_credentials");

    // The name is held, and the answer says until when and by whom.
    for name in ["ben", "BEN", "ｂｅｎ"] {
        let answer = stack.create_user("acme", &owner, name, "user").await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::CONFLICT, "username_held_by_deleted_user"),
            "{name}"
        );
        assert_eq!(answer.body["frees_at"], purge_after);
        assert_eq!(answer.body["deleted_user_id"], ben_id.as_str());
    }
    let held = Request::post("/tenants/acme/users")
        .token(&owner)
        .json(json!({"username": "benjamin", "email": "ben@acme.test", "password": PASSWORD, "role": "user"}))
        .send(&stack)
        .await
        .expect_code(StatusCode::CONFLICT, "email_held_by_deleted_user");
    assert_eq!(held.body["frees_at"], purge_after);

    // Restore brings the account back exactly as it was; old tokens stay dead, login works.
    let restored = stack
        .restore("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    let strip = |v: &Value| {
        let mut map: HashMap<String, Value> = serde_json::from_value(v.clone()).unwrap();
        map.remove("updated_at");
        map
    };
    assert_eq!(strip(&restored), strip(&before));
    assert_eq!(
        strip(&stack.get("acme", &ben_id, &owner).await.body),
        strip(&before)
    );
    assert!(
        stack
            .list_ids("acme", "active", &owner)
            .await
            .contains(&ben_id)
    );
    let stale = Request::get("/me").token(&ben).send(&stack).await;
    assert_eq!(
        stale.status,
        StatusCode::UNAUTHORIZED,
        "a token from before the delete must stay dead"
    );
    let fresh = stack.login("acme", "ben", PASSWORD).await;
    assert_eq!(stack.me(&fresh).await["id"], ben_id.as_str());
    assert_eq!(
        stack.audit_actions("acme", &ben_id).await,
        vec!["user.restore", "user.delete", "user.create"]
    );

    // Restoring an active account is a conflict, not a silent success.
    stack
        .restore("acme", &ben_id, &owner)
        .await
        .expect_code(StatusCode::CONFLICT, "not_deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_after_the_purge_date_is_refused() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    stack
        .delete("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK);
    // Move the purge date into the past, as time would.
    tenantry_tests::backdate_purge(&stack.store, "acme", &ben_id).await;
    let refused = stack
        .restore("acme", &ben_id, &owner)
        .await
        .expect_code(StatusCode::CONFLICT, "restore_window_closed");
    assert_eq!(refused.body["purge_after"], tenantry_tests::LONG_AGO);
}
