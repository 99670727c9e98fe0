//! Authentication as a client meets it: every authenticated route refuses a missing, garbled,
//! forged or dead token with 401 and a Bearer challenge, writing nothing; a login answers a
//! bearer token, and its failures cannot be told apart.

use std::collections::BTreeSet;

use lambda_http::http::{StatusCode, header};
use serde_json::json;
use tenantry_http::{SigningKeys, Tokens};
use tenantry_tests::{Answer, PASSWORD, ROOT_PASSWORD, Request, SIGNING_KID, Stack, signing_keys};

use crate::support::{Sent, send_to_every_authenticated_route, table_keys};

/// A 401 `unauthenticated` with a Bearer challenge.
fn assert_unauthenticated(answer: &Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        answer.body
    );
    assert_eq!(answer.code(), "unauthenticated", "{what}");
    assert_eq!(
        answer.header(header::WWW_AUTHENTICATE),
        Some("Bearer"),
        "{what}"
    );
}

/// Sends every authenticated route with `authorization` (or none) and expects 401.
/// `user_id` is a real user of tenant "acme", so that only the token can be at fault.
async fn every_authenticated_route_refuses(
    stack: &Stack,
    user_id: &str,
    authorization: Option<&str>,
) {
    let before = table_keys(stack).await;
    for Sent { what, answer, .. } in
        send_to_every_authenticated_route(stack, user_id, authorization).await
    {
        assert_unauthenticated(&answer, &what);
    }
    assert_eq!(
        table_keys(stack).await,
        before,
        "a refused request wrote something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authenticated_route_refuses_a_missing_token_with_401_and_a_bearer_challenge() {
    let stack = Stack::new().await;
    let (owner_id, _) = stack.tenant("acme").await;
    every_authenticated_route_refuses(&stack, &owner_id, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authenticated_route_refuses_garbage_tokens() {
    let stack = Stack::new().await;
    let (owner_id, _) = stack.tenant("acme").await;
    for garbage in [
        "Bearer garbage",
        "Bearer not.a.jwt",
        "Bearer ",
        "Bearer",
        "Basic cm9vdDpyb290LXBhc3N3b3Jk",
        "garbage",
    ] {
        every_authenticated_route_refuses(&stack, &owner_id, Some(garbage)).await;
    }
    // A real token with a scheme that is not Bearer is no bearer token either.
    let token = format!("Token {}", stack.root_token);
    every_authenticated_route_refuses(&stack, &owner_id, Some(&token)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authenticated_route_refuses_a_token_signed_with_another_key() {
    let stack = Stack::new().await;
    let (owner_id, _) = stack.tenant("acme").await;
    let root_item = stack.user_item("platform", &stack.root_id).await.unwrap();
    let root = stack
        .app
        .accounts
        .open_session(&root_item)
        .await
        .unwrap()
        .principal;
    // The same principal signed with the harness key is accepted: only the key differs.
    let genuine = Tokens::new(&signing_keys(), "tenantry", "tenantry-api", 900)
        .issue(&root)
        .unwrap();
    assert_eq!(stack.me(&genuine).await["id"], stack.root_id);

    // Another Ed25519 key under the harness key's kid.
    let other = SigningKeys::generate(SIGNING_KID).unwrap();
    let forged = Tokens::new(&other, "tenantry", "tenantry-api", 900)
        .issue(&root)
        .unwrap();
    every_authenticated_route_refuses(&stack, &owner_id, Some(&format!("Bearer {forged}"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_a_deleted_user_is_refused_on_every_authenticated_route() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ann_id, ann) = stack.user("acme", &owner, "ann", "admin").await;
    stack
        .delete("acme", &ann_id, &stack.root_token)
        .await
        .expect(StatusCode::OK);
    every_authenticated_route_refuses(&stack, &ann_id, Some(&format!("Bearer {ann}"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_answers_a_bearer_token_that_expires_in_900_seconds() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ann", "user").await;
    let body = Request::post("/auth/login")
        .json(json!({"tenant": "acme", "username": "ann", "password": PASSWORD}))
        .send(&stack)
        .await
        .expect(StatusCode::OK)
        .body;
    let fields: BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from([
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "refresh_expires_in"
        ])
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    let me = stack.me(token).await;
    assert_eq!(me["username"], "ann");
    assert_eq!(me["tenant_id"], "acme");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_are_indistinguishable() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ann", "user").await;
    let (dora_id, _) = stack.user("acme", &owner, "dora", "user").await;
    stack
        .delete("acme", &dora_id, &owner)
        .await
        .expect(StatusCode::OK);

    let cases = [
        ("wrong password", "acme", "ann", "wrong-password-123"),
        ("unknown user", "acme", "nobody", PASSWORD),
        ("unknown tenant", "nope", "ann", PASSWORD),
        ("deleted user", "acme", "dora", PASSWORD),
        ("malformed username", "acme", "!", PASSWORD),
        ("user of another tenant", "acme", "root", ROOT_PASSWORD),
    ];
    let mut bodies = Vec::new();
    for (what, tenant, username, password) in cases {
        let answer = Request::post("/auth/login")
            .json(json!({"tenant": tenant, "username": username, "password": password}))
            .send(&stack)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            answer.body
        );
        assert_eq!(answer.code(), "invalid_credentials", "{what}");
        bodies.push((what, answer.body));
    }
    let (_, first) = &bodies[0];
    for (what, body) in &bodies {
        assert_eq!(
            body, first,
            "{what} answers differently from a wrong password"
        );
    }
}
