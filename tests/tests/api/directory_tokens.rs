//! Directory (SCIM) tokens: the owner or a super admin creates, lists and revokes them; only a
//! hash is kept; a token acts for its own tenant only, as a directory, with the ranks of an
//! admin who is not the owner, and not once revoked.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tenantry_accounts::{DirectoryCredential, Error, UserListing, UserUpdate};
use tenantry_policy::{Denial, ListScope, Role};
use tenantry_tests::invariants::{self, TableDump};
use tenantry_tests::{Request, Stack};

/// Creates a directory token for `tenant` as `token`; returns the answer's body.
async fn create(stack: &Stack, tenant: &str, token: &str, name: &str) -> Value {
    Request::post(format!("/tenants/{tenant}/scim-tokens"))
        .token(token)
        .header("host", "api.example.test")
        .json(json!({ "name": name }))
        .send(stack)
        .await
        .expect(StatusCode::CREATED)
        .body
}

fn secret_of(created: &Value) -> String {
    created["token"].as_str().unwrap().to_owned()
}

fn listing() -> UserListing {
    UserListing {
        scope: ListScope::All,
        limit: 100,
        cursor: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_gets_the_secret_once_and_the_table_keeps_only_its_hash() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let created = create(&stack, "acme", &owner, "  Entra ID ").await;
    let secret = secret_of(&created);
    assert!(secret.starts_with("tdt_"), "{created}");
    assert_eq!(created["name"], "Entra ID");
    assert_eq!(created["created_by"], json!(owner_id));
    assert_eq!(
        created["scim_base_url"],
        "http://api.example.test/scim/v2/acme"
    );
    assert!(created.get("last_used_at").is_none());

    let listed = Request::get("/tenants/acme/scim-tokens")
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], created["id"]);
    let secret_part = secret.split_once('.').unwrap().1;
    assert!(!listed.body.to_string().contains(secret_part));

    // The table: the hash of the whole token, and nothing that holds the secret.
    let scan = stack
        .store
        .client()
        .scan()
        .table_name(stack.store.table())
        .send()
        .await
        .unwrap();
    let hex: String = Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut hashes = 0;
    for item in scan.items() {
        let text = format!("{item:?}");
        assert!(!text.contains(secret_part), "the secret is stored: {text}");
        if let Some(hash) = item.get("secret_hash") {
            assert_eq!(hash.as_s().unwrap(), &hex);
            hashes += 1;
        }
    }
    assert_eq!(hashes, 1);

    // A directory token is no access token: the people's API refuses it.
    Request::get("/me")
        .token(&secret)
        .send(&stack)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "unauthenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_owner_and_super_admins_manage_tokens_and_other_tenants_see_nothing() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (_, other_owner) = stack.tenant("beta").await;
    let (_, admin) = stack.user("acme", &owner, "ada", "admin").await;
    let (_, agent) = stack.user("acme", &owner, "alf", "agent").await;
    let created = create(&stack, "acme", &stack.root_token, "Okta").await;
    let id = created["id"].as_str().unwrap();
    let tokens = "/tenants/acme/scim-tokens";
    let one = format!("{tokens}/{id}");
    for token in [&admin, &agent] {
        Request::post(tokens)
            .token(token)
            .json(json!({"name": "x"}))
            .send(&stack)
            .await
            .expect_code(StatusCode::FORBIDDEN, "requires_owner");
        Request::get(tokens)
            .token(token)
            .send(&stack)
            .await
            .expect_code(StatusCode::FORBIDDEN, "requires_owner");
        Request::delete(&one)
            .token(token)
            .send(&stack)
            .await
            .expect_code(StatusCode::FORBIDDEN, "requires_owner");
    }
    Request::get(tokens)
        .token(&other_owner)
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "tenant_not_found");
    Request::delete(&one)
        .token(&other_owner)
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "tenant_not_found");
    // Beta's owner cannot reach acme's token through beta either.
    Request::delete(format!("/tenants/beta/scim-tokens/{id}"))
        .token(&other_owner)
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "directory_token_not_found");
    Request::get("/tenants/nope/scim-tokens")
        .token(&stack.root_token)
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "tenant_not_found");
    Request::post("/tenants/acme/scim-tokens")
        .token(&owner)
        .json(json!({"name": "x".repeat(65)}))
        .send(&stack)
        .await
        .expect_code(StatusCode::BAD_REQUEST, "validation_failed");
    Request::post("/tenants/acme/scim-tokens")
        .token(&owner)
        .json(json!({"name": "Okta", "secret": "mine"}))
        .send(&stack)
        .await
        .expect_code(StatusCode::BAD_REQUEST, "validation_failed");

    // The owner revokes it once; the second time there is nothing to revoke.
    let revoked = Request::delete(&one)
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert_eq!(revoked.body["revoked"]["id"], json!(id));
    Request::delete(&one)
        .token(&owner)
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "directory_token_not_found");
    let listed = Request::get(tokens)
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert_eq!(listed.body["items"], json!([]));
    let actions = stack.audit_actions("acme", id).await;
    assert_eq!(
        actions,
        ["directory_token.revoke", "directory_token.create"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_acts_for_its_own_tenant_only_and_not_once_revoked() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.tenant("beta").await;
    let created = create(&stack, "acme", &owner, "Entra ID").await;
    let secret = secret_of(&created);
    let accounts = &stack.app.accounts;

    let directory = DirectoryCredential::parse("acme", &secret).unwrap();
    let page = accounts
        .list_users(&directory, "acme", listing())
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1, "the owner");
    let used = Request::get("/tenants/acme/scim-tokens")
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    assert!(
        used.body["items"][0]["last_used_at"].is_string(),
        "{}",
        used.body
    );

    // The same token presented to another tenant's URL, and a forged one.
    let elsewhere = DirectoryCredential::parse("beta", &secret).unwrap();
    assert!(matches!(
        accounts.list_users(&elsewhere, "beta", listing()).await,
        Err(Error::Unauthenticated)
    ));
    let (id, _) = secret.split_once('.').unwrap();
    let forged = format!("{id}.{}", "A".repeat(43));
    let forged = DirectoryCredential::parse("acme", &forged).unwrap();
    assert!(matches!(
        accounts.list_users(&forged, "acme", listing()).await,
        Err(Error::Unauthenticated)
    ));
    // Its own tenant's URL, another tenant's data: as if it did not exist.
    assert!(matches!(
        accounts.list_users(&directory, "beta", listing()).await,
        Err(Error::TenantNotFound)
    ));

    Request::delete(format!(
        "/tenants/acme/scim-tokens/{}",
        created["id"].as_str().unwrap()
    ))
    .token(&owner)
    .send(&stack)
    .await
    .expect(StatusCode::OK);
    assert!(matches!(
        accounts.list_users(&directory, "acme", listing()).await,
        Err(Error::Unauthenticated)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_provisions_users_but_cannot_touch_admins_or_the_owner() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (admin_id, _) = stack.user("acme", &owner, "ada", "admin").await;
    let (user_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let created = create(&stack, "acme", &owner, "Okta").await;
    let directory = DirectoryCredential::parse("acme", &secret_of(&created)).unwrap();
    let accounts = &stack.app.accounts;
    let token_id = created["id"].as_str().unwrap();

    for (target, denial) in [
        (&owner_id, Denial::OwnerProtected),
        (&admin_id, Denial::AdminCannotDeleteAdmin),
    ] {
        let before = stack.user_item("acme", target).await.unwrap();
        let refused = accounts.delete_user(&directory, "acme", target).await;
        assert!(
            matches!(refused, Err(Error::Denied(d)) if d == denial),
            "{refused:?}"
        );
        assert_eq!(stack.user_item("acme", target).await.unwrap(), before);
    }
    let promote = UserUpdate {
        role: Some(Role::Admin),
        email: None,
        profile: None,
    };
    let refused = accounts
        .update_user(&directory, "acme", &user_id, promote)
        .await;
    assert!(
        matches!(refused, Err(Error::Denied(Denial::RequiresOwner))),
        "{refused:?}"
    );

    // A user it may delete and restore: the audit log names the directory by its token.
    let deleted = accounts
        .delete_user(&directory, "acme", &user_id)
        .await
        .unwrap();
    assert_eq!(deleted.state, "deleted");
    let item = stack.user_item("acme", &user_id).await.unwrap();
    let by = format!("directory:{token_id}");
    assert_eq!(item.deleted_by.as_deref(), Some(by.as_str()));
    accounts
        .restore_user(&directory, "acme", &user_id)
        .await
        .unwrap();
    let events = stack.store.list_audit("acme").await.unwrap();
    let by_directory: Vec<(&str, u64)> = events
        .iter()
        .filter(|e| e.actor_id == by)
        .map(|e| (e.action.as_str(), e.actor_version))
        .collect();
    assert_eq!(by_directory, [("user.restore", 1), ("user.delete", 1)]);
    assert_eq!(
        stack.audit_actions("acme", &owner_id).await.len(),
        0,
        "nothing was written about the owner"
    );
    // The replay of the audit log knows directories: every event was allowed, to whoever
    // committed it, on the state it committed against.
    let violations = invariants::check(&TableDump::read(&stack.store).await);
    assert!(violations.is_empty(), "{violations:#?}");
}
