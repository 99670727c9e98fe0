//! The database unreachable: every route that needs it answers 503 with Retry-After, the
//! cause kept out of the answer; health does not need it.

use lambda_http::http::{StatusCode, header};
use serde_json::json;
use tenantry_accounts::Principal;
use tenantry_tests::{ROOT_PASSWORD, Request, Stack};

use crate::support::{DEAD_ENDPOINT, send_to_every_authenticated_route};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_ok_without_a_token() {
    let stack = Stack::new().await;
    let answer = Request::get("/health").send(&stack).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!({"status": "ok"}));
    assert_eq!(
        answer.header(header::CONTENT_TYPE),
        Some("application/json")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_answers_503_with_retry_after_not_500() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    assert!(stack.root_token.is_empty());
    let token = stack
        .app
        .tokens
        .issue(&Principal {
            user_id: "u".into(),
            tenant_id: "acme".into(),
            token_epoch: 1,
            session_id: String::new(),
        })
        .unwrap();
    Request::get("/me")
        .token(&token)
        .send(&stack)
        .await
        .expect_code(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable");

    let authorization = format!("Bearer {token}");
    let unknown_user = "0199a000-0000-7000-8000-000000000000";
    for (what, answer) in
        send_to_every_authenticated_route(&stack, unknown_user, Some(&authorization)).await
    {
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{what}: {}",
            answer.body
        );
        assert_eq!(answer.code(), "service_unavailable", "{what}");
        assert_eq!(answer.header(header::RETRY_AFTER), Some("1"), "{what}");
        // The cause stays in the log.
        let detail = answer.body["detail"].as_str().unwrap();
        assert!(!detail.contains("127.0.0.1"), "{what}: {detail}");
    }

    // Liveness does not depend on the table.
    let answer = Request::get("/health")
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert_eq!(answer.body, json!({"status": "ok"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_answers_503_when_the_database_is_unreachable() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let answer = Request::post("/auth/login")
        .json(json!({"tenant": "platform", "username": "root", "password": ROOT_PASSWORD}))
        .send(&stack)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        answer.body
    );
    assert_eq!(answer.code(), "service_unavailable");
    assert_eq!(answer.header(header::RETRY_AFTER), Some("1"));
}
