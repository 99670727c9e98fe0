//! Tenants and their first people: a new tenant has exactly one owner, an admin; the root
//! account is bootstrapped once, however often or concurrently it is asked for.

use lambda_http::http::StatusCode;
use serde_json::Value;
use tenantry_tests::{ROOT_PASSWORD, Request, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tenant_has_exactly_one_owner_who_is_an_admin() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let me = stack.me(&owner).await;
    assert_eq!(me["id"], owner_id.as_str());
    assert_eq!(
        (me["role"].as_str(), me["is_owner"].as_bool()),
        (Some("admin"), Some(true))
    );
    let body = Request::get("/tenants/acme/users?state=all")
        .token(&owner)
        .send(&stack)
        .await
        .body;
    let owners: Vec<&Value> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["is_owner"] == true)
        .collect();
    assert_eq!(owners.len(), 1);
    let events = stack.store.list_audit("acme").await.unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["tenant.create"]);
    assert_eq!(events[0].actor_id, stack.root_id);
    assert_eq!(events[0].details["owner_id"], owner_id.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bootstrapping_root_again_or_concurrently_changes_nothing() {
    let stack = Stack::new().await;
    let accounts = &stack.app.accounts;
    // Again, with another password: refused quietly, the first password still works.
    assert!(
        !accounts
            .bootstrap_super_admin("root", "root@platform.invalid", "another-password-123")
            .await
            .unwrap()
    );
    stack.login("platform", "root", ROOT_PASSWORD).await;
    // Racing bootstraps of a new name: exactly one account.
    let passwords: Vec<String> = (0..6).map(|i| format!("operator-secret-{i:04}")).collect();
    let results = futures::future::join_all(
        passwords
            .iter()
            .map(|p| accounts.bootstrap_super_admin("ops", "ops@platform.invalid", p)),
    )
    .await;
    let created = results.iter().filter(|r| matches!(r, Ok(true))).count();
    assert_eq!(created, 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok()), "{results:?}");
    // The platform has no tenant item, so its listing is 404; read the table instead.
    Request::get("/tenants/platform/users?state=all")
        .token(&stack.root_token)
        .send(&stack)
        .await
        .expect(StatusCode::NOT_FOUND);
    let page = stack
        .store
        .list_users("platform", tenantry_store::UserFilter::All, 100, None)
        .await
        .unwrap();
    let mut names: Vec<&str> = page.items.iter().map(|u| u.username.as_str()).collect();
    names.sort();
    assert_eq!(names, ["ops", "root"]);
    let bootstraps = stack.store.list_audit("platform").await.unwrap();
    assert_eq!(bootstraps.len(), 2);
    assert!(bootstraps.iter().all(|e| e.actor_id == "system:bootstrap"));
}
