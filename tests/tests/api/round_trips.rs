//! DynamoDB round trips per operation, counted on the wire (every HTTP request the SDK sends).

use lambda_http::http::StatusCode;
use tenantry_tests::Stack;

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
            let (status, body) = $call.await;
            assert!(status.is_success(), "{}: {status} {body}", $name);
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
            body
        }};
    }
    measure!(
        "create tenant",
        2,
        stack.call(
            "POST",
            "/tenants",
            Some(&root),
            Some(serde_json::json!({"id": "globex", "name": "Globex", "owner": {"username": "gina", "email": "gina@globex.test", "password": tenantry_tests::PASSWORD}}))
        )
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
        stack.call("GET", "/tenants/acme/users", Some(&owner), None)
    );
    measure!("me", 1, stack.call("GET", "/me", Some(&owner), None));
    // The username's claim with its login guard, then the account, then the new session.
    measure!(
        "login",
        3,
        stack.call(
            "POST",
            "/auth/login",
            None,
            Some(serde_json::json!({"tenant": "acme", "username": "ben", "password": tenantry_tests::PASSWORD}))
        )
    );
    // Only the snapshot read and the transaction: no hidden extra reads on the happy path.
    stack.round_trips.reset();
    let (status, _) = stack.delete("acme", &ben_id, &owner).await;
    assert_eq!(status, StatusCode::OK);
    let ops = stack.round_trips.by_operation();
    assert_eq!(ops.get("BatchGetItem"), Some(&1));
    assert_eq!(ops.get("TransactWriteItems"), Some(&1));
    measure!(
        "purge user",
        2,
        stack.call(
            "POST",
            &format!("/tenants/acme/users/{ben_id}/purge"),
            Some(&owner),
            None
        )
    );
    measure!(
        "set retention",
        2,
        stack.call(
            "PATCH",
            "/tenants/acme",
            Some(&owner),
            Some(serde_json::json!({"retention_days": 10}))
        )
    );
    let (carl_id, _) = stack.user("acme", &owner, "carla", "user").await;
    measure!(
        "reset a password",
        2,
        stack.call(
            "POST",
            &format!("/tenants/acme/users/{carl_id}/password"),
            Some(&owner),
            Some(serde_json::json!({"new_password": "a-brand-new-long-password"}))
        )
    );
    // Your own: the login guard is read too, before the password is checked.
    let (carl, _) = stack.token_of("acme", &carl_id).await.unwrap();
    measure!(
        "change your own password",
        3,
        stack.call(
            "POST",
            &format!("/tenants/acme/users/{carl_id}/password"),
            Some(&carl),
            Some(serde_json::json!({"new_password": "yet-another-long-password", "current_password": "a-brand-new-long-password"}))
        )
    );
    let (_, session) = stack
        .call(
            "POST",
            "/auth/login",
            None,
            Some(serde_json::json!({"tenant": "acme", "username": "carla", "password": "yet-another-long-password"})),
        )
        .await;
    // The session, then its user, then the rotation.
    let body = measure!(
        "refresh",
        3,
        stack.call(
            "POST",
            "/auth/refresh",
            None,
            Some(serde_json::json!({"refresh_token": session["refresh_token"]}))
        )
    );
    let carl = body["access_token"].as_str().unwrap().to_owned();
    measure!(
        "logout",
        2,
        stack.call("POST", "/auth/logout", Some(&carl), None)
    );
    let (carl, _) = stack.token_of("acme", &carl_id).await.unwrap();
    measure!(
        "logout everywhere",
        2,
        stack.call("POST", "/auth/logout-all", Some(&carl), None)
    );
    println!("round trips per operation:\n  {}", report.join("\n  "));
}
