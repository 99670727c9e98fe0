//! What the tests share: the routes as a client fills them in, bodies the API accepts, the
//! table's keys, a dead database, and the requests and reads of the stories about changing
//! people.

use std::collections::BTreeSet;

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_dev::template::RouteSpec;
use tenantry_tests::{Answer, PASSWORD, Request, Stack};

/// Nothing listens here: the store's requests fail to connect at once.
pub(crate) const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";
/// The largest body the API reads.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;

/// A route's path with its parameters filled in.
pub(crate) fn concrete(path: &str, tenant_id: &str, user_id: &str) -> String {
    path.split('/')
        .map(|segment| match segment {
            "{tenant_id}" => tenant_id.to_owned(),
            "{user_id}" => user_id.to_owned(),
            s if s.starts_with('{') && s.ends_with('}') => "some-value".to_owned(),
            s => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

pub(crate) fn user_body(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@acme.test"),
        "password": PASSWORD,
        "role": "user"
    })
}

pub(crate) fn tenant_body(id: &str) -> Value {
    json!({
        "id": id,
        "name": "New Co",
        "owner": {"username": "nora", "email": "nora@newco.test", "password": PASSWORD}
    })
}

/// A body the route would accept, so that only the point under test can be wrong.
pub(crate) fn valid_body(spec: &RouteSpec) -> Option<Value> {
    match spec.function.as_str() {
        "create-tenant" => Some(tenant_body("newco")),
        "create-user" => Some(user_body("zed")),
        "auth-login" => Some(json!({"tenant": "acme", "username": "ann", "password": PASSWORD})),
        "update-user" => Some(json!({"role": "agent"})),
        "update-tenant" => Some(json!({"retention_days": 7})),
        "create-directory-token" => Some(json!({"name": "Entra ID"})),
        "set-password" => Some(json!({"new_password": "a-brand-new-long-password"})),
        "transfer-ownership" => {
            Some(json!({"new_owner_id": "0199a000-0000-7000-8000-000000000000"}))
        }
        "scim-create-user" | "scim-replace-user" => Some(json!({
            "schemas": [crate::scim::USER_SCHEMA],
            "userName": "zed",
            "emails": [{"value": "zed@acme.test"}]
        })),
        "scim-patch-user" => Some(crate::scim::patch(
            json!([{"op": "replace", "path": "displayName", "value": "Zed"}]),
        )),
        "scim-search" => {
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}))
        }
        _ => None,
    }
}

pub(crate) fn is_public(spec: &RouteSpec) -> bool {
    [
        "/health",
        "/auth/login",
        "/auth/refresh",
        "/.well-known/jwks.json",
        "/console",
        "/console/{proxy+}",
    ]
    .contains(&spec.path.as_str())
}

/// Every item of the stack's table, as a set of their keys.
pub(crate) async fn table_keys(stack: &Stack) -> BTreeSet<(String, String)> {
    let key = |item: &tenantry_store::Item, name: &str| item[name].as_s().unwrap().clone();
    tenantry_tests::invariants::scan_all(&stack.store)
        .await
        .iter()
        .map(|item| (key(item, "PK"), key(item, "SK")))
        .collect()
}

/// One request of [`send_to_every_authenticated_route`]: its route, what was sent, the answer.
pub(crate) struct Sent {
    pub(crate) route: RouteSpec,
    pub(crate) what: String,
    pub(crate) answer: Answer,
}

/// Sends every authenticated route (a valid body where one is needed) with `authorization`,
/// or none, on tenant "acme" and `user_id`.
pub(crate) async fn send_to_every_authenticated_route(
    stack: &Stack,
    user_id: &str,
    authorization: Option<&str>,
) -> Vec<Sent> {
    let mut answers = Vec::new();
    for spec in stack.router.routes().filter(|s| !is_public(s)) {
        let path = concrete(&spec.path, "acme", user_id);
        let mut request = Request::new(&spec.method, &path);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let body = valid_body(spec).map_or_else(Vec::new, |b| b.to_string().into_bytes());
        let answer = request
            .body(Some("application/json"), body)
            .send(stack)
            .await;
        answers.push(Sent {
            route: spec.clone(),
            what: format!("{} {path} with {authorization:?}", spec.method),
            answer,
        });
    }
    assert!(
        answers.len() >= 7,
        "only {} authenticated routes were checked",
        answers.len()
    );
    answers
}

// ------------------------------------------------------------- changing people

pub(crate) fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect()
}

pub(crate) const USER_KEYS: [&str; 10] = [
    "id",
    "tenant_id",
    "username",
    "email",
    "role",
    "is_owner",
    "state",
    "created_at",
    "updated_at",
    "allowed_actions",
];

/// A user as the table has it, without what its viewer may do to it (`allowed_actions`
/// depends on who asks): for comparing one user's views by different callers.
pub(crate) fn stored(user: &Value) -> Value {
    let mut user = user.clone();
    if let Some(fields) = user.as_object_mut() {
        fields.remove("allowed_actions");
    }
    user
}

pub(crate) async fn patch(
    stack: &Stack,
    tenant: &str,
    user_id: &str,
    token: &str,
    body: Value,
) -> Answer {
    Request::patch(format!("/tenants/{tenant}/users/{user_id}"))
        .token(token)
        .json(body)
        .send(stack)
        .await
}

pub(crate) async fn transfer(
    stack: &Stack,
    tenant: &str,
    new_owner_id: &str,
    token: &str,
) -> Answer {
    Request::post(format!("/tenants/{tenant}/ownership"))
        .token(token)
        .json(json!({ "new_owner_id": new_owner_id }))
        .send(stack)
        .await
}

/// Every audit event of `tenant` in the table.
pub(crate) async fn event_count(stack: &Stack, tenant: &str) -> usize {
    stack.store.list_audit(tenant).await.unwrap().len()
}

/// Creates a user with an explicit email (the stack's helper derives it from the username).
pub(crate) async fn create_with_email(
    stack: &Stack,
    tenant: &str,
    token: &str,
    username: &str,
    email: &str,
) -> Answer {
    Request::post(format!("/tenants/{tenant}/users"))
        .token(token)
        .json(json!({"username": username, "email": email, "password": PASSWORD, "role": "user"}))
        .send(stack)
        .await
}

pub(crate) async fn view(stack: &Stack, tenant: &str, user_id: &str, token: &str) -> Value {
    stack
        .get(tenant, user_id, token)
        .await
        .expect(StatusCode::OK)
        .body
}

pub(crate) async fn me_status(stack: &Stack, token: &str) -> StatusCode {
    Request::get("/me").token(token).send(stack).await.status
}

/// The owners of a tenant's listing (`state=all`), as `token` sees it.
pub(crate) async fn owners(stack: &Stack, tenant: &str, token: &str) -> Vec<String> {
    let all = Request::get(format!("/tenants/{tenant}/users?state=all&limit=100"))
        .token(token)
        .send(stack)
        .await
        .expect(StatusCode::OK)
        .body;
    all["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["is_owner"] == true)
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}
