//! The database unreachable: every route that needs it, a login included, answers 503
//! `service_unavailable` with `Retry-After: 1` and the cause kept out of the answer, as
//! infra/openapi.yaml documents it; health needs neither the database nor a token.

use lambda_http::http::{StatusCode, header};
use serde_json::json;
use tenantry_accounts::Principal;
use tenantry_tests::{Answer, ROOT_PASSWORD, Request, Stack};

use crate::spec::Spec;
use crate::support::{DEAD_ENDPOINT, Sent, send_to_every_authenticated_route};

/// A 503 `service_unavailable` with `Retry-After: 1`, its detail naming no host, as the spec
/// documents it for `method path` (a route's template).
fn assert_unavailable(spec: &Spec, method: &str, path: &str, answer: &Answer, what: &str) {
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
        "{what}: {answer}"
    );
    assert_eq!(answer.header(header::RETRY_AFTER), Some("1"), "{what}");
    // The cause stays in the log.
    let detail = answer.body["detail"].as_str().unwrap();
    assert!(!detail.contains("127.0.0.1"), "{what}: {detail}");
    if let Err(e) = spec.check_answer(method, path, answer) {
        panic!("{what}: the answer does not conform to the spec: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_answers_503_with_retry_after_and_health_still_answers() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let spec = Spec::load();
    assert!(stack.root_token.is_empty());
    let token = stack
        .app
        .tokens
        .issue(&Principal {
            user_id: "0199a000-0000-7000-8000-000000000000".into(),
            tenant_id: "acme".into(),
            token_epoch: 1,
            session_id: String::new(),
        })
        .unwrap();
    let me = Request::get("/me").token(&token).send(&stack).await;
    assert_unavailable(&spec, "GET", "/me", &me, "GET /me");

    // A person's token on the API's routes, a directory token (well formed: its check needs
    // the table) on the SCIM routes.
    let person = format!("Bearer {token}");
    let directory = format!(
        "Bearer tdt_0199a000-0000-7000-8000-000000000000.{}",
        "A".repeat(43)
    );
    let unknown_user = "0199a000-0000-7000-8000-000000000000";
    for authorization in [&person, &directory] {
        for Sent {
            route,
            what,
            answer,
        } in send_to_every_authenticated_route(&stack, unknown_user, Some(authorization)).await
        {
            if route.path.starts_with("/scim/") == (authorization == &directory) {
                assert_unavailable(&spec, &route.method, &route.path, &answer, &what);
            }
        }
    }

    let login = Request::post("/auth/login")
        .json(json!({"tenant": "platform", "username": "root", "password": ROOT_PASSWORD}))
        .send(&stack)
        .await;
    assert_unavailable(&spec, "POST", "/auth/login", &login, "POST /auth/login");

    // Liveness does not depend on the table, nor on a token.
    let health = Request::get("/health")
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));
    assert_eq!(
        health.header(header::CONTENT_TYPE),
        Some("application/json")
    );
    if let Err(e) = spec.check_answer("GET", "/health", &health) {
        panic!("GET /health: {e}");
    }
}
