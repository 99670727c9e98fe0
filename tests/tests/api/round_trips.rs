//! DynamoDB round trips per operation, counted on the wire (every HTTP request the SDK sends).

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_tests::{PASSWORD, Request, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mutation_takes_at_most_two_round_trips() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let root = stack.root_token.clone();

    let mut report = Vec::new();
    macro_rules! measure {
        ($name:expr, $limit:expr, $call:expr) => {{
            stack.round_trips.reset();
            let answer = $call.await;
            assert!(answer.status.is_success(), "{}: {answer}", $name);
            let used = stack.round_trips.total();
            report.push(format!(
                "{}: {} {:?}",
                $name,
                used,
                stack.round_trips.by_operation()
            ));
            assert!(
                used <= $limit,
                "{} took {used} round trips: {:?}",
                $name,
                stack.round_trips.by_operation()
            );
            answer.body
        }};
    }
    measure!(
        "create tenant",
        2,
        Request::post("/tenants")
            .token(&root)
            .json(json!({"id": "globex", "name": "Globex", "owner": {"username": "gina", "email": "gina@globex.test", "password": PASSWORD}}))
            .send(&stack)
    );
    measure!(
        "create user",
        2,
        stack.create_user("acme", &owner, "carl", "user")
    );
    measure!("delete user", 2, stack.delete("acme", &ben_id, &owner));
    measure!("repeat delete", 1, stack.delete("acme", &ben_id, &owner));
    measure!("restore user", 2, stack.restore("acme", &ben_id, &owner));
    measure!("get user", 1, stack.get("acme", &ben_id, &owner));
    measure!(
        "list users",
        2,
        Request::get("/tenants/acme/users")
            .token(&owner)
            .send(&stack)
    );
    measure!("me", 1, Request::get("/me").token(&owner).send(&stack));
    // The username's claim with its login guard, the attempt counted (before the password is
    // checked), the account, the count given back (the password was right), the new session.
    measure!(
        "login",
        5,
        Request::post("/auth/login")
            .json(json!({"tenant": "acme", "username": "ben", "password": PASSWORD}))
            .send(&stack)
    );
    // Only the snapshot read and the transaction: no hidden extra reads on the happy path.
    stack.round_trips.reset();
    stack
        .delete("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK);
    let ops = stack.round_trips.by_operation();
    assert_eq!(ops.get("BatchGetItem"), Some(&1));
    assert_eq!(ops.get("TransactWriteItems"), Some(&1));
    measure!(
        "purge user",
        2,
        Request::post(format!("/tenants/acme/users/{ben_id}/purge"))
            .token(&owner)
            .send(&stack)
    );
    measure!(
        "set retention",
        2,
        Request::patch("/tenants/acme")
            .token(&owner)
            .json(json!({"retention_days": 10}))
            .send(&stack)
    );
    let (carl_id, _) = stack.user("acme", &owner, "carla", "user").await;
    measure!(
        "reset a password",
        2,
        Request::post(format!("/tenants/acme/users/{carl_id}/password"))
            .token(&owner)
            .json(json!({"new_password": "a-brand-new-long-password"}))
            .send(&stack)
    );
    // Your own: the login guard is read and the attempt counted before the password is
    // checked, and the count given back once it was right.
    let (carl, _) = stack.token_of("acme", &carl_id).await.unwrap();
    measure!(
        "change your own password",
        5,
        Request::post(format!("/tenants/acme/users/{carl_id}/password"))
            .token(&carl)
            .json(json!({"new_password": "yet-another-long-password", "current_password": "a-brand-new-long-password"}))
            .send(&stack)
    );
    let session = Request::post("/auth/login")
        .json(
            json!({"tenant": "acme", "username": "carla", "password": "yet-another-long-password"}),
        )
        .send(&stack)
        .await;
    // The session, then its user, then the rotation.
    let body = measure!(
        "refresh",
        3,
        Request::post("/auth/refresh")
            .json(json!({"refresh_token": session.body["refresh_token"]}))
            .send(&stack)
    );
    let carl = body["access_token"].as_str().unwrap().to_owned();
    measure!(
        "logout",
        2,
        Request::post("/auth/logout").token(&carl).send(&stack)
    );
    let (carl, _) = stack.token_of("acme", &carl_id).await.unwrap();
    measure!(
        "logout everywhere",
        2,
        Request::post("/auth/logout-all").token(&carl).send(&stack)
    );
    println!("round trips per operation:\n  {}", report.join("\n  "));
}
