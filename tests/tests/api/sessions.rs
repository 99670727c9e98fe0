//! Sessions: refresh tokens rotate once, a reused one revokes its whole session, logout ends
//! one session and logout-all every one, and whatever bumps the epoch (delete, role change,
//! password change) kills every access and refresh token at once. Password changes and
//! resets follow the rank rules.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use sha2::Digest;
use tenantry_tests::invariants::scan_all;
use tenantry_tests::{Answer, PASSWORD, Request, Stack};

use crate::support::me_status;

/// A login's answer: (access token, refresh token).
async fn login(stack: &Stack, username: &str, password: &str) -> (String, String) {
    let body = Request::post("/auth/login")
        .json(json!({"tenant": "acme", "username": username, "password": password}))
        .send(stack)
        .await
        .expect(StatusCode::OK)
        .body;
    assert!(
        body["refresh_expires_in"].as_u64().unwrap() > 29 * 86_400,
        "{body}"
    );
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn refresh(stack: &Stack, token: &str) -> Answer {
    Request::post("/auth/refresh")
        .json(json!({"refresh_token": token}))
        .send(stack)
        .await
}

/// The pair a successful refresh answers.
async fn refreshed(stack: &Stack, token: &str) -> (String, String) {
    let body = refresh(stack, token).await.expect(StatusCode::OK).body;
    (
        body["access_token"].as_str().unwrap().to_owned(),
        body["refresh_token"].as_str().unwrap().to_owned(),
    )
}

async fn assert_ended(stack: &Stack, access: &str, refresh_token: &str) {
    assert_eq!(me_status(stack, access).await, StatusCode::UNAUTHORIZED);
    refresh(stack, refresh_token)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "session_ended");
}

/// The session item a refresh token names, straight from the table.
async fn session_item(stack: &Stack, refresh_token: &str) -> tenantry_store::SessionItem {
    let id = refresh_token.split('.').next().unwrap();
    stack.store.get_session(id).await.unwrap().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_works_once_and_is_stored_only_as_a_hash() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ben", "user").await;
    let (a0, r0) = login(&stack, "ben", PASSWORD).await;
    let (a1, r1) = refreshed(&stack, &r0).await;
    assert_ne!(r0, r1);
    assert_eq!(me_status(&stack, &a1).await, StatusCode::OK);
    // The first access token belongs to the same live session.
    assert_eq!(me_status(&stack, &a0).await, StatusCode::OK);
    let (a2, r2) = refreshed(&stack, &r1).await;
    assert_eq!(me_status(&stack, &a2).await, StatusCode::OK);

    // No refresh token, nor its random part, is on the table: only hashes.
    let table: Vec<String> = scan_all(&stack.store)
        .await
        .into_iter()
        .map(|item| format!("{item:?}"))
        .collect();
    for token in [&r0, &r1, &r2] {
        let secret = token.split('.').nth(1).unwrap();
        assert!(
            table.iter().all(|item| !item.contains(secret)),
            "a refresh token is stored in clear"
        );
    }
    let session = session_item(&stack, &r2).await;
    assert_eq!(session.rotated.len(), 2);
    assert_eq!(session.refresh_hash.len(), 64);
    assert!(session.revoked_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_revokes_its_whole_session_and_only_that_one() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ben", "user").await;
    let (a0, r0) = login(&stack, "ben", PASSWORD).await;
    let (other_access, other_refresh) = login(&stack, "ben", PASSWORD).await;
    let (a1, r1) = refreshed(&stack, &r0).await;

    // The stolen first token comes back: 401, and the whole family is over.
    refresh(&stack, &r0)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "session_ended");
    assert_ended(&stack, &a1, &r1).await;
    assert_eq!(me_status(&stack, &a0).await, StatusCode::UNAUTHORIZED);
    let session = session_item(&stack, &r1).await;
    assert_eq!(session.revoked_reason.as_deref(), Some("reuse"));

    // Ben's other session is untouched.
    assert_eq!(me_status(&stack, &other_access).await, StatusCode::OK);
    refreshed(&stack, &other_refresh).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_refreshes_of_one_token_have_one_winner_then_the_session_is_revoked() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ben", "user").await;
    let (_, r0) = login(&stack, "ben", PASSWORD).await;
    let answers = futures::future::join_all((0..8).map(|_| refresh(&stack, &r0))).await;
    let winners: Vec<&Value> = answers
        .iter()
        .filter(|a| a.status == StatusCode::OK)
        .map(|a| &a.body)
        .collect();
    assert_eq!(winners.len(), 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .filter(|a| a.status != StatusCode::OK)
            .all(|a| a.status == StatusCode::UNAUTHORIZED && a.code() == "session_ended"),
        "{answers:?}"
    );
    // Two parties held one token: neither keeps the session.
    let winner = winners[0];
    assert_ended(
        &stack,
        winner["access_token"].as_str().unwrap(),
        winner["refresh_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(
        session_item(&stack, &r0).await.revoked_reason.as_deref(),
        Some("reuse")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_and_guessed_refresh_tokens_get_401_and_revoke_nothing() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ben", "user").await;
    let (access, r0) = login(&stack, "ben", PASSWORD).await;
    let session = r0.split('.').next().unwrap();
    let guessed = format!("{session}.{}", "A".repeat(43));
    for token in [
        "",
        "x",
        "not.a.token",
        guessed.as_str(),
        &format!("{r0}x"),
        &format!("0199a000-0000-7000-8000-000000000000.{}", "B".repeat(43)),
    ] {
        let answer = refresh(&stack, token).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNAUTHORIZED, "session_ended"),
            "{token}: {answer}"
        );
    }
    // A guess at the secret of a real session is not a reuse: the session lives on.
    assert_eq!(me_status(&stack, &access).await, StatusCode::OK);
    refreshed(&stack, &r0).await;
    // Extra fields are refused like everywhere else.
    Request::post("/auth/refresh")
        .json(json!({"refresh_token": r0, "user_id": "x"}))
        .send(&stack)
        .await
        .expect(StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_ends_one_session_and_logout_all_ends_every_one() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let (a1, r1) = login(&stack, "ben", PASSWORD).await;
    let (a2, r2) = login(&stack, "ben", PASSWORD).await;
    let (a3, r3) = login(&stack, "ben", PASSWORD).await;

    let answer = Request::post("/auth/logout").token(&a1).send(&stack).await;
    assert_eq!(
        (answer.status, &answer.body),
        (StatusCode::OK, &json!({"sessions_revoked": "current"}))
    );
    assert_ended(&stack, &a1, &r1).await;
    // Logging out again with the dead token: 401.
    Request::post("/auth/logout")
        .token(&a1)
        .send(&stack)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    assert_eq!(me_status(&stack, &a2).await, StatusCode::OK);

    let epoch = stack.user_item("acme", &ben_id).await.unwrap().token_epoch;
    let answer = Request::post("/auth/logout-all")
        .token(&a2)
        .send(&stack)
        .await;
    assert_eq!(
        (answer.status, &answer.body),
        (StatusCode::OK, &json!({"sessions_revoked": "all"}))
    );
    assert_eq!(
        stack.user_item("acme", &ben_id).await.unwrap().token_epoch,
        epoch + 1
    );
    assert_ended(&stack, &a2, &r2).await;
    assert_ended(&stack, &a3, &r3).await;
    assert_eq!(
        stack
            .audit_actions("acme", &ben_id)
            .await
            .first()
            .map(String::as_str),
        Some("auth.logout_all")
    );
    // A new login works at once.
    let (a4, _) = login(&stack, "ben", PASSWORD).await;
    assert_eq!(me_status(&stack, &a4).await, StatusCode::OK);
    let violations = tenantry_tests::invariants::check(
        &tenantry_tests::invariants::TableDump::read(&stack.store).await,
    );
    assert!(violations.is_empty(), "{violations:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_role_change_and_password_change_end_every_session_at_once() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let path = format!("/tenants/acme/users/{ben_id}");

    // Delete, then restore: the sessions from before stay dead.
    let (access, refresh_token) = login(&stack, "ben", PASSWORD).await;
    stack
        .delete("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK);
    assert_ended(&stack, &access, &refresh_token).await;
    stack
        .restore("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK);
    assert_ended(&stack, &access, &refresh_token).await;

    // A role change.
    let (access, refresh_token) = login(&stack, "ben", PASSWORD).await;
    Request::patch(&path)
        .token(&owner)
        .json(json!({"role": "agent"}))
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert_ended(&stack, &access, &refresh_token).await;

    // A password reset by an admin.
    let (access, refresh_token) = login(&stack, "ben", PASSWORD).await;
    let answer = Request::post(format!("{path}/password"))
        .token(&owner)
        .json(json!({"new_password": "a-brand-new-long-password"}))
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert_eq!(
        answer.body,
        json!({"id": ben_id, "password_changed": true, "sessions_revoked": true})
    );
    assert_ended(&stack, &access, &refresh_token).await;
    // An email change is not a security event: sessions live on.
    let (access, refresh_token) = login(&stack, "ben", "a-brand-new-long-password").await;
    Request::patch(&path)
        .token(&owner)
        .json(json!({"email": "ben2@acme.test"}))
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert_eq!(me_status(&stack, &access).await, StatusCode::OK);
    refreshed(&stack, &refresh_token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ended_session_cannot_refresh_nor_act() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ben", "user").await;
    let (access, refresh_token) = login(&stack, "ben", PASSWORD).await;
    let id = refresh_token.split('.').next().unwrap();
    tenantry_tests::backdate(
        &stack.store,
        &format!("SESSION#{id}"),
        "SESSION",
        "expires_at",
    )
    .await;
    assert_ended(&stack, &access, &refresh_token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn your_own_password_needs_the_current_one_and_any_change_ends_the_sessions() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let (ada_id, ada) = stack.user("acme", &owner, "ada", "admin").await;
    let set = |token: String, user: String, body: Value| {
        Request::post(format!("/tenants/acme/users/{user}/password"))
            .token(&token)
            .json(body)
            .send(&stack)
    };
    let new = "a-brand-new-long-password";
    let cases = [
        // (who, whose, body, status, code); who may reset whose password at all is `matrix`'s.
        (
            &ben,
            &ben_id,
            json!({"new_password": new}),
            400,
            "validation_failed",
        ),
        (
            &ben,
            &ben_id,
            json!({"new_password": new, "current_password": "wrong-password"}),
            403,
            "wrong_password",
        ),
        (
            &ben,
            &ben_id,
            json!({"new_password": "short", "current_password": PASSWORD}),
            400,
            "validation_failed",
        ),
        (
            &ben,
            &ben_id,
            json!({"new_password": "ben-is-in-here-12", "current_password": PASSWORD}),
            400,
            "validation_failed",
        ),
        (
            &ben,
            &ben_id,
            json!({"new_password": new, "current_password": PASSWORD, "role": "admin"}),
            400,
            "validation_failed",
        ),
        (
            &ada,
            &ben_id,
            json!({"new_password": new, "current_password": PASSWORD}),
            400,
            "validation_failed",
        ),
    ];
    for (who, whose, body, status, code) in cases {
        let answer = set(who.clone(), whose.clone(), body.clone()).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{body}: {answer}"
        );
    }
    // A super admin resets an admin's password: the admin's sessions end.
    set(
        stack.root_token.clone(),
        ada_id.clone(),
        json!({"new_password": new}),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(me_status(&stack, &ada).await, StatusCode::UNAUTHORIZED);

    // Ben changes his own: the old password stops working, the new one logs in.
    set(
        ben.clone(),
        ben_id.clone(),
        json!({"new_password": new, "current_password": PASSWORD}),
    )
    .await
    .expect(StatusCode::OK);
    assert_eq!(me_status(&stack, &ben).await, StatusCode::UNAUTHORIZED);
    Request::post("/auth/login")
        .json(json!({"tenant": "acme", "username": "ben", "password": PASSWORD}))
        .send(&stack)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "invalid_credentials");
    login(&stack, "ben", new).await;
    assert!(
        stack
            .audit_actions("acme", &ben_id)
            .await
            .contains(&"user.set_password".to_owned())
    );
    let violations = tenantry_tests::invariants::check(
        &tenantry_tests::invariants::TableDump::read(&stack.store).await,
    );
    assert!(violations.is_empty(), "{violations:?}");
}

/// A session refreshed 10,000 times (34 days of refreshes every 5 minutes) keeps working: its
/// item keeps only the last `ROTATIONS_KEPT` exchanged hashes, so it never nears DynamoDB's
/// 400 KB item limit, and each read of it costs the same. A token exchanged within those
/// still revokes the session when it comes back; an older one is refused and, like a guessed
/// token, revokes nothing. The exchanges between the first and the last are made on the
/// store (the write a refresh commits), with tokens of the same shape, to keep the test short.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_refreshes_keep_the_session_small_and_working() {
    const REFRESHES: u64 = 10_000;
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ben", "user").await;
    let (_, ancient) = login(&stack, "ben", PASSWORD).await;
    let (_, first) = refreshed(&stack, &ancient).await;
    let mut item = session_item(&stack, &first).await;
    // `<session id>.<43 characters>`, stored as the SHA-256 of the whole token in hex.
    let id = item.id.clone();
    let token_of = |n: u64| format!("{id}.{n:0>43}");
    let digest = |token: &str| format!("{:x}", sha2::Sha256::digest(token.as_bytes()));
    let mut sizes = Vec::new();
    for n in 2..=REFRESHES {
        let token = token_of(n);
        // As the table stores time: fixed width, so the item's size cannot drift with it.
        let now = tenantry_accounts::format_time(time::OffsetDateTime::now_utc());
        assert!(
            stack
                .store
                .rotate_session(&item, &digest(&token), &now)
                .await
                .unwrap(),
            "exchange {n}"
        );
        // What the exchange should have left: the replaced hash kept, the oldest let go.
        item.rotated
            .push(std::mem::replace(&mut item.refresh_hash, digest(&token)));
        if item.rotated.len() > tenantry_store::ROTATIONS_KEPT {
            item.rotated.remove(0);
        }
        item.rotations += 1;
        if n % 1000 == 0 {
            let stored = session_item(&stack, &token).await;
            assert_eq!(stored.rotated, item.rotated, "exchange {n}");
            assert_eq!(stored.rotations, item.rotations, "exchange {n}");
            sizes.push(serde_json::to_string(&stored).unwrap().len());
        }
    }
    assert_eq!(item.rotations, REFRESHES);
    assert_eq!(item.rotated.len(), tenantry_store::ROTATIONS_KEPT);
    // Bounded: only the counter's digits vary.
    let (smallest, largest) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
    assert!(
        largest - smallest <= 2 && *largest < 4_096,
        "the item stays the same size: {sizes:?}"
    );

    // Through the API: the latest token refreshes, and its access token works.
    let current = token_of(REFRESHES);
    let (access, next) = refreshed(&stack, &current).await;
    assert_eq!(me_status(&stack, &access).await, StatusCode::OK);
    // The login's token, exchanged 10,000 refreshes ago: refused, and nothing revoked.
    refresh(&stack, &ancient)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "session_ended");
    assert_eq!(me_status(&stack, &access).await, StatusCode::OK);
    // A recent one coming back is a reuse: the whole session ends.
    refresh(&stack, &token_of(REFRESHES - 5))
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "session_ended");
    assert_ended(&stack, &access, &next).await;
    assert_eq!(
        session_item(&stack, &next).await.revoked_reason.as_deref(),
        Some("reuse")
    );
}
