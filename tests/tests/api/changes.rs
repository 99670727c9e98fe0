//! Changing people: `PATCH` of a user (role and email), ownership transfer, and the audit
//! log that records both, told as stories against DynamoDB Local through the handlers.

use std::collections::{BTreeSet, HashSet};

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_tests::{Answer, PASSWORD, Request, Stack};

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

const USER_KEYS: [&str; 9] = [
    "id",
    "tenant_id",
    "username",
    "email",
    "role",
    "is_owner",
    "state",
    "created_at",
    "updated_at",
];

async fn patch(stack: &Stack, tenant: &str, user_id: &str, token: &str, body: Value) -> Answer {
    Request::patch(format!("/tenants/{tenant}/users/{user_id}"))
        .token(token)
        .json(body)
        .send(stack)
        .await
}

async fn transfer(stack: &Stack, tenant: &str, new_owner_id: &str, token: &str) -> Answer {
    Request::post(format!("/tenants/{tenant}/ownership"))
        .token(token)
        .json(json!({ "new_owner_id": new_owner_id }))
        .send(stack)
        .await
}

/// `GET /tenants/{tenant}/audit` with `query` (without the `?`).
async fn audit(stack: &Stack, tenant: &str, query: &str, token: &str) -> Answer {
    let path = if query.is_empty() {
        format!("/tenants/{tenant}/audit")
    } else {
        format!("/tenants/{tenant}/audit?{query}")
    };
    Request::get(path).token(token).send(stack).await
}

/// Every audit event of `tenant` in the table.
async fn event_count(stack: &Stack, tenant: &str) -> usize {
    stack.store.list_audit(tenant).await.unwrap().len()
}

/// Creates a user with an explicit email (the stack's helper derives it from the username).
async fn create_with_email(
    stack: &Stack,
    tenant: &str,
    token: &str,
    username: &str,
    email: &str,
) -> Answer {
    Request::post(format!("/tenants/{tenant}/users"))
        .token(token)
        .json(json!({"username": username, "email": email, "password": PASSWORD, "role": "user"}))
        .send(stack)
        .await
}

async fn view(stack: &Stack, tenant: &str, user_id: &str, token: &str) -> Value {
    stack
        .get(tenant, user_id, token)
        .await
        .expect(StatusCode::OK)
        .body
}

async fn me_status(stack: &Stack, token: &str) -> StatusCode {
    Request::get("/me").token(token).send(stack).await.status
}

/// The owners of a tenant's listing (`state=all`), as `token` sees it.
async fn owners(stack: &Stack, tenant: &str, token: &str) -> Vec<String> {
    let all = Request::get(format!("/tenants/{tenant}/users?state=all&limit=100"))
        .token(token)
        .send(stack)
        .await
        .expect(StatusCode::OK)
        .body;
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["is_owner"] == true)
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

/// URL-safe base64 without padding, as the API's cursors are written (for forged cursors).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The `(action, actor_id, target_id)` of every item of an audit page.
fn triples(page: &Value) -> Vec<(String, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_id"].as_str().unwrap().to_owned(),
                e["target_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn triple(action: &str, actor: &str, target: &str) -> (String, String, String) {
    (action.to_owned(), actor.to_owned(), target.to_owned())
}

// ------------------------------------------------------------------ PATCH a user

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
        json!({"previous_role": "agent", "role": "user", "email_changed": true})
    );
    assert_eq!(
        events[1].details,
        json!({"previous_role": "agent", "role": "agent", "email_changed": true})
    );
    assert_eq!(
        events[2].details,
        json!({"previous_role": "user", "role": "agent", "email_changed": false})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_body_is_strict_and_a_refused_one_changes_nothing() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let before = view(&stack, "acme", &ben_id, &owner).await;
    let events = event_count(&stack, "acme").await;

    let cases: Vec<(Value, &str)> = vec![
        // Server-owned or immutable fields are unknown here.
        (json!({"is_owner": true}), "is_owner"),
        (json!({"role": "agent", "is_owner": true}), "is_owner"),
        (
            json!({"deleted_at": "2030-01-01T00:00:00.000Z"}),
            "deleted_at",
        ),
        (json!({"tenant_id": "globex"}), "tenant_id"),
        (json!({"username": "mallory"}), "username"),
        (json!({"password": "a-brand-new-password"}), "password"),
        (
            json!({"email": "ben2@acme.test", "state": "deleted"}),
            "state",
        ),
        // Nothing to change.
        (json!({}), "body"),
        (json!({"role": null, "email": null}), "body"),
        // Values.
        (json!({"role": "owner"}), "role"),
        (json!({"role": "Admin"}), "role"),
        (json!({"role": ""}), "role"),
        (json!({"role": 3}), "role"),
        (json!({"email": "not-an-email"}), "email"),
        (json!({"email": "ben@acme"}), "email"),
        (json!({"email": ""}), "email"),
        (json!({"email": ["ben@acme.test"]}), "email"),
        // A valid part does not commit when another part is invalid.
        (
            json!({"role": "agent", "email": "bad address@acme.test"}),
            "email",
        ),
        (json!({"role": "root", "email": "ben2@acme.test"}), "role"),
    ];
    for (body, expected) in cases {
        let answer = patch(&stack, "acme", &ben_id, &owner, body.clone()).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", expected),
            "{body}: {answer}"
        );
    }
    // Not JSON at all, or not an object.
    for raw in ["not json", "[]", "{\"role\": \"agent\"} trailing"] {
        let answer = Request::patch(format!("/tenants/acme/users/{ben_id}"))
            .token(&owner)
            .body(Some("application/json"), raw)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, "validation_failed"),
            "{raw}: {answer}"
        );
    }

    assert_eq!(view(&stack, "acme", &ben_id, &owner).await, before);
    assert_eq!(event_count(&stack, "acme").await, events);
    assert_eq!(me_status(&stack, &ben).await, StatusCode::OK);
    // The email ben would have got is still free, and his own is still his.
    create_with_email(&stack, "acme", &owner, "benny", "ben2@acme.test")
        .await
        .expect(StatusCode::CREATED);
    let answer = create_with_email(&stack, "acme", &owner, "benno", "ben@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_change_moves_the_claim() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let (carl_id, _) = stack.user("acme", &owner, "carl", "user").await;
    let (dora_id, _) = stack.user("acme", &owner, "dora", "user").await;

    patch(
        &stack,
        "acme",
        &ben_id,
        &owner,
        json!({"email": "ben.new@acme.test"}),
    )
    .await
    .expect(StatusCode::OK);
    // The old address is free at once; the new one is taken, in any case.
    create_with_email(&stack, "acme", &owner, "benny", "ben@acme.test")
        .await
        .expect(StatusCode::CREATED);
    let answer = create_with_email(&stack, "acme", &owner, "benno", "BEN.NEW@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken")
    );

    // Moving onto an address an active user holds is refused, and changes nothing.
    let carl_before = view(&stack, "acme", &carl_id, &owner).await;
    let events = event_count(&stack, "acme").await;
    for taken in ["ben.new@acme.test", "Ben.New@ACME.test", "BEN@acme.test"] {
        let answer = patch(&stack, "acme", &carl_id, &owner, json!({"email": taken})).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::CONFLICT, "email_taken"),
            "{taken}: {answer}"
        );
    }

    // Onto an address a deleted user holds: refused, saying whose and until when.
    let deleted = stack
        .delete("acme", &dora_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    let events = events + 1;
    for held in ["dora@acme.test", "DORA@acme.test"] {
        let answer = patch(&stack, "acme", &carl_id, &owner, json!({"email": held})).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::CONFLICT, "email_held_by_deleted_user"),
            "{held}: {answer}"
        );
        assert_eq!(answer.body["frees_at"], deleted["purge_after"]);
        assert_eq!(answer.body["deleted_user_id"], dora_id.as_str());
    }
    assert_eq!(view(&stack, "acme", &carl_id, &owner).await, carl_before);
    assert_eq!(event_count(&stack, "acme").await, events);
    // Carl's address is still his: the refused moves released nothing.
    let answer = create_with_email(&stack, "acme", &owner, "carlo", "carl@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken")
    );

    // Changing only the case is a change of the address, not of the claim.
    let body = patch(
        &stack,
        "acme",
        &carl_id,
        &owner,
        json!({"email": "Carl@Acme.TEST"}),
    )
    .await
    .expect(StatusCode::OK)
    .body;
    assert_eq!(body["email"], "Carl@Acme.TEST");
    assert_eq!(
        view(&stack, "acme", &carl_id, &owner).await["email"],
        "Carl@Acme.TEST"
    );
    assert_eq!(event_count(&stack, "acme").await, events + 1);
    let answer = create_with_email(&stack, "acme", &owner, "carlo", "carl@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken"),
        "the claim stays carl's after a case-only change"
    );
    // Moving away from the mixed-case address frees its (lowercase) claim.
    patch(
        &stack,
        "acme",
        &carl_id,
        &owner,
        json!({"email": "carl2@acme.test"}),
    )
    .await
    .expect(StatusCode::OK);
    create_with_email(&stack, "acme", &owner, "carlo", "CARL@acme.test")
        .await
        .expect(StatusCode::CREATED);
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
    // As documented in changes.rs, a no-op needs no permission: an agent's no-op is a 200 too.
    let answer = patch(&stack, "acme", &ben_id, &agent, json!({"role": "user"})).await;
    assert_eq!((answer.status, &answer.body), (StatusCode::OK, &before));
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
        json!({"previous_role": "user", "role": "user", "email_changed": true})
    );
}

/// What `matrix` cannot reach (its targets live in the tenant of the path, and are no super
/// admins): a change through another tenant's path, on another super admin, on a super admin
/// through the platform's path, on ids that are not there. Then the changes the rules allow:
/// applied, answered as stored, and only a role change ends its user's sessions.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_and_email_changes_follow_the_rank_rules() {
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
        assert_eq!(answer.body, shown, "{what}: the answer is the stored user");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_may_change_their_own_email() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (aggie_id, aggie) = stack.user("acme", &owner, "aggie", "agent").await;
    let (ursula_id, ursula) = stack.user("acme", &owner, "ursula", "user").await;
    let root = stack.root_token.clone();
    let root_id = stack.root_id.clone();
    let people = [
        ("owner", "acme", &owner_id, &owner, "admin"),
        ("admin", "acme", &alice_id, &alice, "admin"),
        ("agent", "acme", &aggie_id, &aggie, "agent"),
        ("user", "acme", &ursula_id, &ursula, "user"),
        ("super admin", "platform", &root_id, &root, "super_admin"),
    ];
    for (who, tenant, id, token, role) in people {
        let new = format!("{}.self@{tenant}.test", who.replace(' ', "-"));
        let events = event_count(&stack, tenant).await;
        let answer = patch(&stack, tenant, id, token, json!({ "email": new })).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{who} changes own email: {answer}"
        );
        assert_eq!(
            (answer.body["email"].as_str(), answer.body["role"].as_str()),
            (Some(new.as_str()), Some(role)),
            "{who}"
        );
        let me = stack.me(token).await;
        assert_eq!(
            me["email"],
            new.as_str(),
            "{who}: the old token still works"
        );
        assert_eq!(event_count(&stack, tenant).await, events + 1, "{who}");
    }
}

// ------------------------------------------------------------- ownership transfer

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ownership_transfer_moves_the_crown_in_one_step() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (bob_id, bob) = stack.user("acme", &owner, "bob", "admin").await;
    let owner_before = view(&stack, "acme", &owner_id, &owner).await;

    let moved = transfer(&stack, "acme", &alice_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(
        keys(&moved),
        BTreeSet::from(["tenant", "previous_owner", "new_owner"])
    );
    assert_eq!(moved["tenant"]["id"], "acme");
    assert_eq!(moved["tenant"]["owner_id"], alice_id.as_str());
    let previous = &moved["previous_owner"];
    assert_eq!(keys(previous), BTreeSet::from(USER_KEYS));
    assert_eq!(
        (
            previous["id"].as_str(),
            previous["is_owner"].as_bool(),
            previous["role"].as_str(),
            previous["state"].as_str()
        ),
        (
            Some(owner_id.as_str()),
            Some(false),
            Some("admin"),
            Some("active")
        )
    );
    let new = &moved["new_owner"];
    assert_eq!(
        (
            new["id"].as_str(),
            new["is_owner"].as_bool(),
            new["role"].as_str()
        ),
        (Some(alice_id.as_str()), Some(true), Some("admin"))
    );
    assert!(previous["updated_at"].as_str() > owner_before["updated_at"].as_str());
    // The answer is what is stored.
    assert_eq!(&view(&stack, "acme", &owner_id, &bob).await, previous);
    assert_eq!(&view(&stack, "acme", &alice_id, &bob).await, new);

    // Exactly one owner, at every moment the table is read.
    assert_eq!(owners(&stack, "acme", &bob).await, [alice_id.as_str()]);

    // is_owner is not a role: no session ends, but the power moves at once (read from the table).
    let me = stack.me(&owner).await;
    assert_eq!(
        (me["is_owner"].as_bool(), me["role"].as_str()),
        (Some(false), Some("admin"))
    );
    assert_eq!(stack.me(&alice).await["is_owner"], true);
    let answer = stack.create_user("acme", &alice, "carol", "admin").await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "the new owner creates admins: {answer}"
    );
    let answer = stack.create_user("acme", &owner, "dave", "admin").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "requires_owner")
    );
    let answer = stack.create_user("acme", &owner, "dave", "agent").await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "the former owner is still an admin: {answer}"
    );
    let answer = transfer(&stack, "acme", &bob_id, &owner).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "requires_owner")
    );

    // The new owner is protected; the former one is an ordinary admin.
    for (who, token) in [("admin", &bob), ("root", &root), ("former owner", &owner)] {
        let answer = stack.delete("acme", &alice_id, token).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::FORBIDDEN, "owner_protected"),
            "{who} deletes the new owner"
        );
    }
    let answer = patch(&stack, "acme", &alice_id, &root, json!({"role": "agent"})).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "owner_protected")
    );
    let answer = stack.delete("acme", &owner_id, &bob).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "admin_cannot_delete_admin")
    );

    // The audit log names who handed what to whom, and where the crown came from.
    let events = stack.store.list_audit("acme").await.unwrap();
    let handover: Vec<_> = events
        .iter()
        .filter(|e| e.action == "tenant.transfer")
        .collect();
    assert_eq!(handover.len(), 1);
    assert_eq!(
        (
            handover[0].actor_id.as_str(),
            handover[0].target_id.as_str()
        ),
        (owner_id.as_str(), alice_id.as_str())
    );
    assert_eq!(handover[0].details["previous_owner_id"], owner_id.as_str());

    // A super admin can move it again, and now delete the former owner.
    let moved = transfer(&stack, "acme", &bob_id, &root)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(
        (
            moved["tenant"]["owner_id"].as_str(),
            moved["previous_owner"]["id"].as_str(),
            moved["previous_owner"]["is_owner"].as_bool(),
            moved["new_owner"]["id"].as_str()
        ),
        (
            Some(bob_id.as_str()),
            Some(alice_id.as_str()),
            Some(false),
            Some(bob_id.as_str())
        )
    );
    assert_eq!(
        stack.audit_actions("acme", &bob_id).await,
        ["tenant.transfer", "user.create"]
    );
    assert_eq!(
        stack.store.list_audit("acme").await.unwrap()[0].actor_id,
        stack.root_id
    );
    stack
        .delete("acme", &owner_id, &root)
        .await
        .expect(StatusCode::OK);
    assert_eq!(owners(&stack, "acme", &bob).await, [bob_id.as_str()]);
    assert_eq!(me_status(&stack, &alice).await, StatusCode::OK);
    assert_eq!(me_status(&stack, &bob).await, StatusCode::OK);
}

/// What `matrix` cannot reach (its new owners live in the tenant of the path): a transfer to
/// an id that is not there, or to another tenant's admin, or on a tenant that does not exist.
/// Bodies are strict. Nothing moves; a deleted admin, once restored, may take the tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ownership_goes_only_from_the_owner_to_an_active_admin() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, _) = stack.user("acme", &owner, "alice", "admin").await;
    let (bob_id, _) = stack.user("acme", &owner, "bob", "admin").await;
    stack
        .delete("acme", &bob_id, &root)
        .await
        .expect(StatusCode::OK);
    let (_, globex_owner) = stack.tenant("globex").await;
    let (gina_id, _) = stack.user("globex", &globex_owner, "gina", "admin").await;
    let nobody = uuid::Uuid::now_v7().to_string();

    let cases: Vec<(&str, &str, &str, &str, StatusCode, &str)> = vec![
        // (what, token, tenant, new owner, status, code)
        (
            "the owner to an unknown id",
            &owner,
            "acme",
            &nobody,
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "the owner to a malformed id",
            &owner,
            "acme",
            "no such user!",
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "the owner to an empty id",
            &owner,
            "acme",
            "",
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "the owner to another tenant's admin",
            &owner,
            "acme",
            &gina_id,
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "root on a tenant that does not exist",
            &root,
            "nowhere",
            &alice_id,
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
    ];
    let events = event_count(&stack, "acme").await;
    let globex_events = event_count(&stack, "globex").await;
    for (what, token, tenant, new_owner, status, expected) in cases {
        let answer = transfer(&stack, tenant, new_owner, token).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{what}: {answer}"
        );
    }
    // Bodies are strict.
    for (body, expected) in [
        (json!({}), "new_owner_id"),
        (json!({"new_owner_id": 7}), "new_owner_id"),
        (json!({"new_owner_id": alice_id, "force": true}), "force"),
        (json!({"owner_id": alice_id}), "owner_id"),
    ] {
        let answer = Request::post("/tenants/acme/ownership")
            .token(&owner)
            .json(body.clone())
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", expected),
            "{body}: {answer}"
        );
    }

    // Nothing moved and nothing was written.
    assert_eq!(event_count(&stack, "acme").await, events);
    assert_eq!(event_count(&stack, "globex").await, globex_events);
    assert_eq!(owners(&stack, "acme", &owner).await, [owner_id.as_str()]);
    assert_eq!(stack.me(&owner).await["is_owner"], true);
    // A deleted admin restored is an active admin again, and may then receive the tenant.
    stack
        .restore("acme", &bob_id, &root)
        .await
        .expect(StatusCode::OK);
    let moved = transfer(&stack, "acme", &bob_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(moved["tenant"]["owner_id"], bob_id.as_str());
}

// --------------------------------------------------------------------- audit log

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_tells_the_story_newest_first_with_ids_only() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let root_id = stack.root_id.clone();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (bruno_id, _) = stack.user("acme", &owner, "bruno", "user").await;
    let ok = |answer: Answer| assert!(answer.status.is_success(), "{answer}");
    ok(patch(&stack, "acme", &bruno_id, &owner, json!({"role": "agent"})).await);
    ok(patch(
        &stack,
        "acme",
        &bruno_id,
        &alice,
        json!({"email": "bruno.new@acme.test"}),
    )
    .await);
    ok(transfer(&stack, "acme", &alice_id, &owner).await);
    ok(stack.delete("acme", &owner_id, &root).await);
    ok(stack.restore("acme", &owner_id, &root).await);

    // Denied attempts, on every endpoint that writes, leave no trace.
    let events = event_count(&stack, "acme").await;
    // Bruno's role changed and the owner was deleted: their old sessions are over.
    let bruno = stack.login("acme", "bruno", PASSWORD).await;
    let owner = stack.login("acme", "acme-owner", PASSWORD).await;
    let denied = [
        patch(
            &stack,
            "acme",
            &alice_id,
            &bruno,
            json!({"email": "x@acme.test"}),
        )
        .await,
        patch(&stack, "acme", &alice_id, &root, json!({"role": "user"})).await,
        transfer(&stack, "acme", &bruno_id, &alice).await,
        transfer(&stack, "acme", &owner_id, &bruno).await,
        stack.delete("acme", &alice_id, &root).await,
        stack.delete("acme", &bruno_id, &bruno).await,
        stack.restore("acme", &bruno_id, &alice).await,
        stack.create_user("acme", &bruno, "zed", "user").await,
        audit(&stack, "acme", "limit=100", &bruno).await,
    ];
    for answer in &denied {
        assert!(answer.status.is_client_error(), "{answer}");
    }
    assert_eq!(event_count(&stack, "acme").await, events);

    let page = audit(&stack, "acme", "limit=100", &alice)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(keys(&page), BTreeSet::from(["items", "next_cursor"]));
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(
        triples(&page),
        [
            triple("user.restore", &root_id, &owner_id),
            triple("user.delete", &root_id, &owner_id),
            triple("tenant.transfer", &owner_id, &alice_id),
            triple("user.update", &alice_id, &bruno_id),
            triple("user.update", &owner_id, &bruno_id),
            triple("user.create", &owner_id, &bruno_id),
            triple("user.create", &owner_id, &alice_id),
            triple("tenant.create", &root_id, "acme"),
        ]
    );
    let items = page["items"].as_array().unwrap();
    for item in items {
        assert_eq!(
            keys(item),
            BTreeSet::from(["id", "at", "actor_id", "action", "target_id", "details"]),
            "{item}"
        );
        assert!(
            uuid::Uuid::try_parse(item["id"].as_str().unwrap()).is_ok(),
            "{item}"
        );
        assert!(item["details"].is_object(), "{item}");
    }
    assert_eq!(
        items[4]["details"],
        json!({"previous_role": "user", "role": "agent", "email_changed": false})
    );
    assert_eq!(items[3]["details"]["email_changed"], true);
    assert_eq!(items[2]["details"]["previous_owner_id"], owner_id.as_str());
    assert_eq!(items[7]["details"]["owner_id"], owner_id.as_str());
    // The same events, in the same order, as the table holds.
    let stored: Vec<String> = stack
        .store
        .list_audit("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let shown: Vec<&str> = items.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(shown, stored);
    // The owner (now an ordinary admin) and a super admin read the same page.
    for token in [&owner, &root] {
        let same = audit(&stack, "acme", "limit=100", token).await;
        assert_eq!((same.status, &same.body), (StatusCode::OK, &page));
    }

    // No personal data anywhere in the page.
    let text = page.to_string();
    for personal in [
        "acme-owner",
        "alice",
        "bruno",
        "root",
        "acme-owner@acme.test",
        "alice@acme.test",
        "bruno@acme.test",
        "bruno.new@acme.test",
        "root@platform.invalid",
        "@acme.test",
        PASSWORD,
    ] {
        assert!(!text.contains(personal), "{personal:?} leaked into {text}");
    }
    // Reading the log writes nothing.
    assert_eq!(event_count(&stack, "acme").await, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_is_for_the_tenants_admins_and_super_admins() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let (_, owner) = stack.tenant("acme").await;
    let (_, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (_, globex_owner) = stack.tenant("globex").await;
    let (_, gina) = stack.user("globex", &globex_owner, "gina", "admin").await;

    // Who else is refused is `matrix`'s (agents, users, other tenants) and `contract`'s (no
    // token, a deleted admin's token); here, readers see their own tenant's log, and a tenant
    // that is not there is not found, for a super admin too.
    let cases: Vec<(&str, Option<&str>, &str, StatusCode, &str)> = vec![
        ("owner", Some(&owner), "acme", StatusCode::OK, ""),
        ("admin", Some(&alice), "acme", StatusCode::OK, ""),
        ("super admin", Some(&root), "acme", StatusCode::OK, ""),
        (
            "super admin, unknown tenant",
            Some(&root),
            "nowhere",
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
        (
            "super admin, impossible tenant",
            Some(&root),
            "No_Such!",
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
        (
            "owner, unknown tenant",
            Some(&owner),
            "nowhere",
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
    ];
    for (who, token, tenant, status, expected) in cases {
        let answer = Request::get(format!("/tenants/{tenant}/audit?limit=10"))
            .maybe_token(token)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{who}: {answer}"
        );
        if answer.status == StatusCode::OK {
            let targets: Vec<&str> = answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["target_id"].as_str().unwrap())
                .collect();
            assert_eq!(targets.last(), Some(&"acme"), "{who}: {answer}");
            assert!(!targets.contains(&"globex"), "{who}: {answer}");
        }
    }
    // Each tenant's log holds only its own events.
    let body = audit(&stack, "globex", "", &gina)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(
        triples(&body)
            .into_iter()
            .map(|(action, _, _)| action)
            .collect::<Vec<_>>(),
        ["user.create", "tenant.create"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_pages_walk_the_whole_log_without_gaps_or_repeats() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            stack
                .user("acme", &owner, &format!("user{i}"), "user")
                .await
                .0,
        );
    }
    for id in &ids[..5] {
        patch(&stack, "acme", id, &owner, json!({"role": "agent"}))
            .await
            .expect(StatusCode::OK);
    }
    let total = 1 + 6 + 5;
    assert_eq!(event_count(&stack, "acme").await, total);

    let whole = audit(&stack, "acme", "limit=100", &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(whole["next_cursor"], Value::Null);
    let all = whole["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), total);
    // Strictly newest first by time, ties broken by id; no event twice.
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|e| (e["at"].as_str().unwrap(), e["id"].as_str().unwrap()))
        .collect();
    for pair in order.windows(2) {
        assert!(pair[0] > pair[1], "not strictly descending: {pair:?}");
    }
    let unique: HashSet<&str> = order.iter().map(|(_, id)| *id).collect();
    assert_eq!(unique.len(), total);
    // The default limit (50) covers it all too.
    let default = audit(&stack, "acme", "", &owner).await;
    assert_eq!((default.status, &default.body), (StatusCode::OK, &whole));

    for limit in [1, 2, 3, 5, total - 1, total, 100] {
        let mut walked: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("limit={limit}&cursor={c}"),
                None => format!("limit={limit}"),
            };
            let page = audit(&stack, "acme", &query, &owner).await;
            assert_eq!(page.status, StatusCode::OK, "limit {limit}: {page}");
            pages += 1;
            assert!(pages <= total + 1, "limit {limit}: the walk does not end");
            let items = page.body["items"].as_array().unwrap();
            walked.extend(items.iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => {
                    assert_eq!(
                        items.len(),
                        limit,
                        "limit {limit}: a short page before the end"
                    );
                    cursor = Some(next.to_owned());
                }
                None => {
                    assert_eq!(page.body["next_cursor"], Value::Null);
                    assert!(
                        (1..=limit).contains(&items.len()),
                        "limit {limit}: last page of {}",
                        items.len()
                    );
                    break;
                }
            }
        }
        assert_eq!(pages, total.div_ceil(limit), "limit {limit}");
        assert_eq!(walked, all, "limit {limit}");
    }

    // A cursor is a position: events written after it was issued appear at the head only.
    let first = audit(&stack, "acme", "limit=4", &owner).await.body;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    patch(&stack, "acme", &ids[5], &owner, json!({"role": "agent"}))
        .await
        .expect(StatusCode::OK);
    let rest = audit(
        &stack,
        "acme",
        &format!("limit=100&cursor={cursor}"),
        &owner,
    )
    .await
    .expect(StatusCode::OK)
    .body;
    assert_eq!(rest["items"].as_array().unwrap()[..], all[4..]);
    let head = audit(&stack, "acme", "limit=1", &owner).await.body;
    assert_eq!(head["items"][0]["target_id"], ids[5].as_str());
    assert_eq!(head["items"][0]["action"], "user.update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_query_parameters_are_strict() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    for i in 0..3 {
        stack
            .user("acme", &owner, &format!("user{i}"), "user")
            .await;
    }
    let first = audit(&stack, "acme", "limit=1", &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let genuine = audit(&stack, "acme", &format!("limit=1&cursor={cursor}"), &owner).await;
    assert_eq!(genuine.status, StatusCode::OK, "the genuine cursor works");
    let users = Request::get("/tenants/acme/users?limit=1")
        .token(&owner)
        .send(&stack)
        .await
        .body;
    let user_cursor = users["next_cursor"].as_str().unwrap().to_owned();
    let sk = "2024-01-01T00:00:00.000Z";

    let mut cursors = vec![
        "not-a-cursor!".to_owned(),
        "!!!!".to_owned(),
        String::new(),
        format!("A{cursor}"),
        cursor[..cursor.len() - 3].to_owned(),
        format!("{cursor}=="),
        user_cursor,
        base64url(b"hello"),
        base64url(sk.as_bytes()),
        base64url(format!("{sk}#not-a-uuid").as_bytes()),
        base64url(format!("yesterday#{}", uuid::Uuid::now_v7()).as_bytes()),
    ];
    cursors.push(base64url(&[0xff, 0xfe, 0x23, 0x00]));
    for bad in &cursors {
        let answer = audit(&stack, "acme", &format!("cursor={bad}"), &owner).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", "cursor"),
            "cursor {bad:?}: {answer}"
        );
    }
    for bad in [
        "0",
        "101",
        "abc",
        "-1",
        "",
        "1.5",
        "10000",
        "99999999999999999999",
    ] {
        let answer = audit(&stack, "acme", &format!("limit={bad}"), &owner).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", "limit"),
            "limit {bad:?}: {answer}"
        );
    }
    for (query, expected) in [
        ("page=2", "page"),
        ("state=all", "state"),
        ("limit=5&offset=5", "offset"),
        ("limit=1&limit=2", "limit"),
    ] {
        let answer = audit(&stack, "acme", query, &owner).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", expected),
            "{query}: {answer}"
        );
    }
    // Limits at the edges are fine.
    for (limit, len) in [("1", 1), ("100", 4)] {
        let body = audit(&stack, "acme", &format!("limit={limit}"), &owner)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(body["items"].as_array().unwrap().len(), len);
    }
}
