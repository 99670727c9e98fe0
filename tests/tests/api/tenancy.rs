//! Tenancy: another tenant's users and listings are 404 for everyone but super admins, with
//! the very body of something that does not exist; ids that cannot exist never reach the table.

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_tests::{PASSWORD, ROOT_PASSWORD, Request, Stack};

use crate::support::table_keys;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_admin_gets_404_never_403_and_the_same_body_as_for_nothing() {
    let stack = Stack::new().await;
    let (_, acme_owner) = stack.tenant("acme").await;
    let (ann_id, _) = stack.user("acme", &acme_owner, "ann", "user").await;
    let (dora_id, _) = stack.user("acme", &acme_owner, "dora", "user").await;
    stack
        .delete("acme", &dora_id, &acme_owner)
        .await
        .expect(StatusCode::OK);
    let (_, beta_owner) = stack.tenant("beta").await;
    let before = table_keys(&stack).await;
    let nobody = uuid::Uuid::now_v7().to_string();

    // (what, method, path of A's real user, path of nobody in A, path of nobody in B)
    let user_cases = [
        (
            "get",
            "GET",
            format!("/tenants/acme/users/{ann_id}"),
            "".to_owned(),
        ),
        (
            "get deleted",
            "GET",
            format!("/tenants/acme/users/{dora_id}"),
            "".to_owned(),
        ),
        (
            "delete",
            "DELETE",
            format!("/tenants/acme/users/{ann_id}"),
            "".to_owned(),
        ),
        (
            "restore",
            "POST",
            format!("/tenants/acme/users/{dora_id}/restore"),
            "/restore".to_owned(),
        ),
    ];
    for (what, method, real, suffix) in &user_cases {
        let missing_in_a = format!("/tenants/acme/users/{nobody}{suffix}");
        let missing_in_b = format!("/tenants/beta/users/{nobody}{suffix}");
        let missing_tenant = format!("/tenants/nope/users/{nobody}{suffix}");
        let mut bodies = Vec::new();
        for path in [real, &missing_in_a, &missing_in_b, &missing_tenant] {
            let answer = Request::new(method, path)
                .token(&beta_owner)
                .send(&stack)
                .await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::NOT_FOUND, "user_not_found"),
                "{what} {path}: {answer}"
            );
            bodies.push(answer.body);
        }
        assert!(bodies.iter().all(|b| *b == bodies[0]), "{what}: {bodies:?}");
    }

    // Listings and creations in A are `matrix`'s (another tenant's owner on every tenant call,
    // each compared with the same call on a tenant that does not exist).

    // Nothing happened to A.
    assert_eq!(table_keys(&stack).await, before);
    let ann = stack
        .get("acme", &ann_id, &acme_owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(ann.body["state"], "active");
    let dora = stack
        .get("acme", &dora_id, &acme_owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(dora.body["state"], "deleted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_user_listing_another_or_a_missing_tenant_gets_the_same_404() {
    let stack = Stack::new().await;
    stack.tenant("acme").await;
    let (_, beta_owner) = stack.tenant("beta").await;
    let (_, bea) = stack.user("beta", &beta_owner, "bea", "user").await;
    let mut bodies = Vec::new();
    for tenant in ["nope", "acme"] {
        let path = format!("/tenants/{tenant}/users");
        let answer = Request::get(&path)
            .token(&bea)
            .send(&stack)
            .await
            .expect_code(StatusCode::NOT_FOUND, "tenant_not_found");
        bodies.push(answer.body);
    }
    assert_eq!(bodies[0], bodies[1]);
    // Her own tenant lists fine, and a super admin gets the same 404 for a missing tenant.
    assert_eq!(stack.list_ids("beta", "active", &bea).await.len(), 2);
    let answer = Request::get("/tenants/nope/users")
        .token(&stack.root_token)
        .send(&stack)
        .await
        .expect(StatusCode::NOT_FOUND);
    assert_eq!(answer.body, bodies[0]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_that_cannot_exist_answer_404_or_401_without_reaching_the_table() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let long = "x".repeat(3000);
    let root = stack.root_token.clone();
    for (token, path) in [
        (&owner, format!("/tenants/acme/users/{long}")),
        (&root, format!("/tenants/acme/users/{long}")),
        (&root, format!("/tenants/{long}/users/u1")),
        (&root, format!("/tenants/{long}/users")),
        (&root, "/tenants/acme/users/a%00b".to_owned()),
    ] {
        for method in ["GET", "DELETE"] {
            let method = if path.ends_with("/users") {
                "GET"
            } else {
                method
            };
            let answer = Request::new(method, &path).token(token).send(&stack).await;
            assert_eq!(
                answer.status,
                StatusCode::NOT_FOUND,
                "{method} {}: {answer}",
                &path[..40]
            );
        }
        let restore = format!("{path}/restore");
        if !path.ends_with("/users") {
            let answer = Request::post(&restore).token(token).send(&stack).await;
            assert_eq!(
                answer.status,
                StatusCode::NOT_FOUND,
                "{}: {answer}",
                &restore[..40]
            );
        }
    }
    Request::post(format!("/tenants/{long}/users"))
        .token(&root)
        .json(json!({"username": "carl", "email": "carl@acme.test", "password": PASSWORD, "role": "user"}))
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "tenant_not_found");
    Request::post("/auth/login")
        .json(json!({"tenant": long, "username": "root", "password": ROOT_PASSWORD}))
        .send(&stack)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "invalid_credentials");
}
