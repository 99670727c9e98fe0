//! Mass assignment: a body sets only what its endpoint lets a client set. Server-owned fields
//! (`is_owner`, `deleted_at`, `tenant_id`, `id`, `state`, `password_hash`, `token_epoch`,
//! `version`, ...) are unknown fields: `400 validation_failed` naming the field, with the
//! whole request refused (a legitimate field next to them is not applied either), and the
//! table is as it was: every refusal below re-reads what it aimed at, and the creations
//! compare the whole table's keys.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_store::TenantItem;
use tenantry_tests::{Answer, PASSWORD, Request, Stack};

use crate::support::table_keys;

/// Fields the server owns on a user, each with a value an attacker would like.
fn server_owned_user_fields(tenant: &str, id: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("is_owner", json!(true)),
        ("deleted_at", json!(null)),
        ("deleted_by", json!(id)),
        ("purge_after", json!("2000-01-01T00:00:00.000Z")),
        ("restorable_until", json!("2999-01-01T00:00:00.000Z")),
        ("tenant_id", json!(tenant)),
        ("id", json!(id)),
        ("state", json!("active")),
        (
            "password_hash",
            json!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        ),
        ("token_epoch", json!(0)),
        ("version", json!(1)),
        ("created_at", json!("2000-01-01T00:00:00.000Z")),
        ("updated_at", json!("2000-01-01T00:00:00.000Z")),
    ]
}

fn with(mut body: Value, pointer: &str, key: &str, value: Value) -> Value {
    body.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .unwrap()
        .insert(key.to_owned(), value);
    body
}

/// The answer must be `400 validation_failed` naming `field`.
fn refused(what: &str, answer: &Answer, field: &str) -> Option<String> {
    let ok = answer.status == StatusCode::BAD_REQUEST
        && answer.code() == "validation_failed"
        && answer.field() == field;
    (!ok).then(|| format!("{what}: expected 400 validation_failed on {field}, got {answer}"))
}

async fn tenant_item(stack: &Stack, tenant: &str) -> Option<TenantItem> {
    stack.store.get_tenant(tenant).await.unwrap()
}

fn report(wrong: Vec<String>) {
    assert!(
        wrong.is_empty(),
        "{} failures:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_user_refuses_server_owned_fields_and_creates_nobody() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let users_before = stack.list_ids("acme", "all", &owner).await;
    let keys_before = table_keys(&stack).await;
    let mut wrong = Vec::new();
    for (n, (field, value)) in server_owned_user_fields("globex", &owner_id)
        .into_iter()
        .enumerate()
    {
        let username = format!("mallory{n}");
        // `role` is the one role-like field a create may set; it rides along, valid.
        let body = with(
            json!({"username": username, "email": format!("{username}@acme.test"), "password": PASSWORD, "role": "user"}),
            "",
            field,
            value,
        );
        let answer = Request::post("/tenants/acme/users")
            .token(&owner)
            .json(body)
            .send(&stack)
            .await;
        wrong.extend(refused(&format!("create with {field}"), &answer, field));
        if stack
            .store
            .get_username_claim("acme", &username)
            .await
            .unwrap()
            .is_some()
        {
            wrong.push(format!("create with {field}: {username} was claimed"));
        }
    }
    if stack.list_ids("acme", "all", &owner).await != users_before {
        wrong.push("a refused create added a user".into());
    }
    if table_keys(&stack).await != keys_before {
        wrong.push("a refused create wrote something".into());
    }
    report(wrong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_user_refuses_server_owned_fields_and_changes_nothing() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "agent").await;
    let before = stack.user_item("acme", &ben_id).await.unwrap();
    let path = format!("/tenants/acme/users/{ben_id}");
    let mut fields = server_owned_user_fields("globex", &owner_id);
    fields.extend([
        ("username", json!("ben2")),
        ("password", json!("a-new-long-password")),
        // Keys are matched exactly: another case is another (unknown) field.
        ("Role", json!("admin")),
        ("EMAIL", json!("ben.new@acme.test")),
    ]);
    let mut wrong = Vec::new();
    for (field, value) in fields {
        // Alone, and next to a legitimate change that must not be applied either.
        for legit in [
            json!({}),
            json!({"role": "user", "email": "ben.new@acme.test"}),
        ] {
            let body = with(legit.clone(), "", field, value.clone());
            let answer = Request::patch(&path)
                .token(&owner)
                .json(body)
                .send(&stack)
                .await;
            wrong.extend(refused(
                &format!("PATCH {field} with {legit}"),
                &answer,
                field,
            ));
            if stack.user_item("acme", &ben_id).await.as_ref() != Some(&before) {
                wrong.push(format!("PATCH {field} with {legit} changed the user"));
            }
        }
    }
    report(wrong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_tenant_refuses_server_owned_fields_at_the_top_and_in_the_owner() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let valid = json!({
        "id": "newco",
        "name": "Newco",
        "owner": {"username": "nora", "email": "nora@newco.test", "password": PASSWORD}
    });
    let mut cases: Vec<(String, Value)> = [
        ("owner_id", json!(stack.root_id)),
        ("retention_days", json!(365)),
        ("version", json!(7)),
        ("created_at", json!("2000-01-01T00:00:00.000Z")),
        ("tenant_id", json!("platform")),
        ("role", json!("super_admin")),
        ("is_owner", json!(true)),
        ("deleted_at", json!("2000-01-01T00:00:00.000Z")),
    ]
    .into_iter()
    .map(|(field, value)| (field.to_owned(), with(valid.clone(), "", field, value)))
    .collect();
    for (field, value) in [
        ("role", json!("super_admin")),
        ("is_owner", json!(false)),
        ("tenant_id", json!("platform")),
        ("id", json!(stack.root_id)),
        ("deleted_at", json!("2000-01-01T00:00:00.000Z")),
        ("state", json!("active")),
        (
            "password_hash",
            json!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        ),
        ("token_epoch", json!(0)),
    ] {
        cases.push((
            format!("owner.{field}"),
            with(valid.clone(), "/owner", field, value),
        ));
    }
    let keys_before = table_keys(&stack).await;
    let mut wrong = Vec::new();
    for (field, body) in cases {
        let answer = Request::post("/tenants")
            .token(&root)
            .json(body)
            .send(&stack)
            .await;
        wrong.extend(refused(
            &format!("create tenant with {field}"),
            &answer,
            &field,
        ));
        if tenant_item(&stack, "newco").await.is_some()
            || stack
                .store
                .get_username_claim("newco", "nora")
                .await
                .unwrap()
                .is_some()
        {
            wrong.push(format!("create tenant with {field} created something"));
            break;
        }
    }
    if table_keys(&stack).await != keys_before {
        wrong.push("a refused create of a tenant wrote something".into());
    }
    // The valid body still goes through: the refusals were about the extra fields.
    let answer = Request::post("/tenants")
        .token(&root)
        .json(valid)
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(answer.body["owner"]["role"], "admin");
    report(wrong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_refuses_extra_fields_and_issues_no_token() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let before = stack.user_item("acme", &ben_id).await.unwrap();
    let valid = json!({"tenant": "acme", "username": "ben", "password": PASSWORD});
    let mut wrong = Vec::new();
    for (field, value) in [
        ("role", json!("super_admin")),
        ("is_owner", json!(true)),
        ("tenant_id", json!("platform")),
        ("user_id", json!(stack.root_id)),
        ("token_epoch", json!(0)),
        ("exp", json!(4_102_444_800u64)),
        ("expires_in", json!(31_536_000)),
        ("scope", json!("admin")),
    ] {
        let body = with(valid.clone(), "", field, value);
        let answer = Request::post("/auth/login").json(body).send(&stack).await;
        wrong.extend(refused(&format!("login with {field}"), &answer, field));
        if answer.body.get("access_token").is_some() {
            wrong.push(format!("login with {field} issued a token"));
        }
    }
    if stack.user_item("acme", &ben_id).await.as_ref() != Some(&before) {
        wrong.push("a refused login changed the user".into());
    }
    // The same credentials alone log in: the refusals were about the extra fields.
    Request::post("/auth/login")
        .json(valid)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    report(wrong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_refuses_extra_fields_and_the_owner_stays() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (ada_id, _) = stack.user("acme", &owner, "ada", "admin").await;
    let tenant_before = tenant_item(&stack, "acme").await.unwrap();
    let owner_before = stack.user_item("acme", &owner_id).await.unwrap();
    let ada_before = stack.user_item("acme", &ada_id).await.unwrap();
    let mut wrong = Vec::new();
    for (field, value) in [
        ("tenant_id", json!("globex")),
        ("previous_owner_id", json!(ada_id)),
        ("owner_id", json!(ada_id)),
        ("is_owner", json!(true)),
        ("role", json!("admin")),
        ("version", json!(1)),
    ] {
        let body = with(json!({"new_owner_id": ada_id}), "", field, value);
        let answer = Request::post("/tenants/acme/ownership")
            .token(&owner)
            .json(body)
            .send(&stack)
            .await;
        wrong.extend(refused(&format!("transfer with {field}"), &answer, field));
    }
    if tenant_item(&stack, "acme").await.as_ref() != Some(&tenant_before)
        || stack.user_item("acme", &owner_id).await.as_ref() != Some(&owner_before)
        || stack.user_item("acme", &ada_id).await.as_ref() != Some(&ada_before)
    {
        wrong.push("a refused transfer changed the tenant or its admins".into());
    }
    report(wrong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_tenant_refuses_everything_but_retention_and_changes_nothing() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ada_id, _) = stack.user("acme", &owner, "ada", "admin").await;
    let before = tenant_item(&stack, "acme").await.unwrap();
    let mut wrong = Vec::new();
    for (field, value) in [
        ("owner_id", json!(ada_id)),
        ("id", json!("globex")),
        ("name", json!("Renamed")),
        ("version", json!(1)),
        ("created_at", json!("2000-01-01T00:00:00.000Z")),
        ("updated_at", json!("2000-01-01T00:00:00.000Z")),
        ("tenant_id", json!("globex")),
    ] {
        for legit in [json!({}), json!({"retention_days": 5})] {
            let body = with(legit.clone(), "", field, value.clone());
            let answer = Request::patch("/tenants/acme")
                .token(&owner)
                .json(body)
                .send(&stack)
                .await;
            wrong.extend(refused(
                &format!("PATCH tenant {field} with {legit}"),
                &answer,
                field,
            ));
            if tenant_item(&stack, "acme").await.as_ref() != Some(&before) {
                wrong.push(format!(
                    "PATCH tenant {field} with {legit} changed the tenant"
                ));
            }
        }
    }
    report(wrong);
}
