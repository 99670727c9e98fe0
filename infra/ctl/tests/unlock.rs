//! `tenantryctl unlock` in-process against DynamoDB Local (`TENANTRY_TEST_DYNAMODB_ENDPOINT`):
//! the super admin `root`, locked out by anyone's wrong passwords, gets in again once an
//! operator clears the lock; names are folded as logins fold them; bad names are refused.

use clap::Parser;
use serde_json::json;
use tenantry_tests::{ROOT_PASSWORD, Request, Stack, endpoint};
use tenantryctl::{Cli, Report};

async fn login(stack: &Stack, username: &str, password: &str) -> u16 {
    Request::post("/auth/login")
        .json(json!({"tenant": "platform", "username": username, "password": password}))
        .send(stack)
        .await
        .status
        .as_u16()
}

/// Runs `tenantryctl unlock` on the stack's table: its output, or the error.
async fn unlock(stack: &Stack, tenant: &str, username: &str) -> Result<String, String> {
    let table = stack.store.table().to_owned();
    let endpoint = endpoint();
    let cli = Cli::try_parse_from([
        "tenantryctl",
        "unlock",
        "--table",
        &table,
        "--endpoint",
        &endpoint,
        "--tenant",
        tenant,
        "--username",
        username,
        "--guard-key",
        tenantry_tests::LOGIN_GUARD_KEY,
    ])
    .unwrap();
    let mut out = Vec::new();
    let report = tenantryctl::run(cli, &mut out).await?;
    assert!(matches!(report, Report::Unlock(_)));
    assert_eq!(report.exit_status(), 0);
    Ok(String::from_utf8(out).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_lets_a_locked_out_root_in_again() {
    let stack = Stack::new().await;
    // Anyone can lock root: five wrong passwords.
    let wrong: Vec<u16> = wrong_passwords(&stack, 5).await;
    assert_eq!(wrong, [401, 401, 401, 401, 429]);
    assert_eq!(login(&stack, "root", ROOT_PASSWORD).await, 429);

    // The name as typed, folded the way logins fold it.
    let out = unlock(&stack, "platform", " ROOT ").await.unwrap();
    assert!(
        out.starts_with("platform/root: unlocked (it was locked until 20"),
        "{out}"
    );
    assert_eq!(login(&stack, "root", ROOT_PASSWORD).await, 200);

    // Nothing left to clear; then a count without a lock.
    let out = unlock(&stack, "platform", "root").await.unwrap();
    assert_eq!(
        out,
        "platform/root: not locked, no failed attempt counted\n"
    );
    assert_eq!(login(&stack, "root", "wrong-password").await, 401);
    assert_eq!(login(&stack, "root", "wrong-password").await, 401);
    let out = unlock(&stack, "platform", "root").await.unwrap();
    assert_eq!(
        out,
        "platform/root: not locked; 2 counted attempts cleared\n"
    );

    // Names a login could never ask for are refused, naming the flag.
    let bad = unlock(&stack, "platform", "x").await.unwrap_err();
    assert!(bad.starts_with("--username "), "{bad}");
    let bad = unlock(&stack, "not a tenant", "root").await.unwrap_err();
    assert!(bad.starts_with("--tenant "), "{bad}");
}

/// `n` wrong passwords for root, one after another: their statuses.
async fn wrong_passwords(stack: &Stack, n: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for _ in 0..n {
        statuses.push(login(stack, "root", "wrong-password").await);
    }
    statuses
}
