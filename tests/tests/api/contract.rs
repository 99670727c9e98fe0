//! The HTTP contract, as a client sees it: statuses, problem codes, the `field` member,
//! headers, routing as API Gateway answers it, and the dev server over real TCP.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use lambda_http::http::{StatusCode, header};
use serde_json::{Value, json};
use tenantry_accounts::Principal;
use tenantry_dev::Router;
use tenantry_dev::template::{self, RouteSpec, Template};
use tenantry_http::{SigningKeys, Tokens};
use tenantry_tests::{Answer, PASSWORD, ROOT_PASSWORD, Request, SIGNING_KID, Stack, signing_keys};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Nothing listens here: the store's requests fail to connect at once.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";
const MAX_BODY_BYTES: usize = 64 * 1024;

// ------------------------------------------------------------------------------- helpers

/// A route's path with its parameters filled in.
fn concrete(path: &str, tenant_id: &str, user_id: &str) -> String {
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

fn user_body(username: &str) -> Value {
    json!({
        "username": username,
        "email": format!("{username}@acme.test"),
        "password": PASSWORD,
        "role": "user"
    })
}

fn tenant_body(id: &str) -> Value {
    json!({
        "id": id,
        "name": "New Co",
        "owner": {"username": "nora", "email": "nora@newco.test", "password": PASSWORD}
    })
}

/// A body the route would accept, so that only the point under test can be wrong.
fn valid_body(spec: &RouteSpec) -> Option<Value> {
    match spec.function.as_str() {
        "create-tenant" => Some(tenant_body("newco")),
        "create-user" => Some(user_body("zed")),
        "auth-login" => Some(json!({"tenant": "acme", "username": "ann", "password": PASSWORD})),
        "update-user" => Some(json!({"role": "agent"})),
        "update-tenant" => Some(json!({"retention_days": 7})),
        "set-password" => Some(json!({"new_password": "a-brand-new-long-password"})),
        "transfer-ownership" => {
            Some(json!({"new_owner_id": "0199a000-0000-7000-8000-000000000000"}))
        }
        _ => None,
    }
}

fn is_public(spec: &RouteSpec) -> bool {
    [
        "/health",
        "/auth/login",
        "/auth/refresh",
        "/.well-known/jwks.json",
    ]
    .contains(&spec.path.as_str())
}

/// Every item of the stack's table, as a set of their keys.
async fn table_keys(stack: &Stack) -> BTreeSet<(String, String)> {
    let key = |item: &tenantry_store::Item, name: &str| item[name].as_s().unwrap().clone();
    tenantry_tests::invariants::scan_all(&stack.store)
        .await
        .iter()
        .map(|item| (key(item, "PK"), key(item, "SK")))
        .collect()
}

// ---------------------------------------------------------------------------------- health

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

// ---------------------------------------------------------------------- authentication

/// Sends every authenticated route (a valid body where one is needed) with `authorization`,
/// or none, on tenant "acme" and `user_id`; returns each request's description and answer.
async fn send_to_every_authenticated_route(
    stack: &Stack,
    user_id: &str,
    authorization: Option<&str>,
) -> Vec<(String, Answer)> {
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
        answers.push((
            format!("{} {path} with {authorization:?}", spec.method),
            answer,
        ));
    }
    assert!(
        answers.len() >= 7,
        "only {} authenticated routes were checked",
        answers.len()
    );
    answers
}

/// A 401 `unauthenticated` with a Bearer challenge.
fn assert_unauthenticated(answer: &Answer, what: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNAUTHORIZED,
        "{what}: {}",
        answer.body
    );
    assert_eq!(answer.code(), "unauthenticated", "{what}");
    assert_eq!(
        answer.header(header::WWW_AUTHENTICATE),
        Some("Bearer"),
        "{what}"
    );
}

/// Sends every authenticated route with `authorization` (or none) and expects 401.
/// `user_id` is a real user of tenant "acme", so that only the token can be at fault.
async fn every_authenticated_route_refuses(
    stack: &Stack,
    user_id: &str,
    authorization: Option<&str>,
) {
    let before = table_keys(stack).await;
    for (what, answer) in send_to_every_authenticated_route(stack, user_id, authorization).await {
        assert_unauthenticated(&answer, &what);
    }
    assert_eq!(
        table_keys(stack).await,
        before,
        "a refused request wrote something"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authenticated_route_refuses_a_missing_token_with_401_and_a_bearer_challenge() {
    let stack = Stack::new().await;
    let (owner_id, _) = stack.tenant("acme").await;
    every_authenticated_route_refuses(&stack, &owner_id, None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authenticated_route_refuses_garbage_tokens() {
    let stack = Stack::new().await;
    let (owner_id, _) = stack.tenant("acme").await;
    for garbage in [
        "Bearer garbage",
        "Bearer not.a.jwt",
        "Bearer ",
        "Bearer",
        "Basic cm9vdDpyb290LXBhc3N3b3Jk",
        "garbage",
    ] {
        every_authenticated_route_refuses(&stack, &owner_id, Some(garbage)).await;
    }
    // A real token with a scheme that is not Bearer is no bearer token either.
    let token = format!("Token {}", stack.root_token);
    every_authenticated_route_refuses(&stack, &owner_id, Some(&token)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authenticated_route_refuses_a_token_signed_with_another_key() {
    let stack = Stack::new().await;
    let (owner_id, _) = stack.tenant("acme").await;
    let root_item = stack.user_item("platform", &stack.root_id).await.unwrap();
    let root = stack
        .app
        .accounts
        .open_session(&root_item)
        .await
        .unwrap()
        .principal;
    // The same principal signed with the harness key is accepted: only the key differs.
    let genuine = Tokens::new(&signing_keys(), "tenantry", "tenantry-api", 900)
        .issue(&root)
        .unwrap();
    assert_eq!(stack.me(&genuine).await["id"], stack.root_id);

    // Another Ed25519 key under the harness key's kid.
    let other = SigningKeys::generate(SIGNING_KID).unwrap();
    let forged = Tokens::new(&other, "tenantry", "tenantry-api", 900)
        .issue(&root)
        .unwrap();
    every_authenticated_route_refuses(&stack, &owner_id, Some(&format!("Bearer {forged}"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_a_deleted_user_is_refused_on_every_authenticated_route() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ann_id, ann) = stack.user("acme", &owner, "ann", "admin").await;
    stack
        .delete("acme", &ann_id, &stack.root_token)
        .await
        .expect(StatusCode::OK);
    every_authenticated_route_refuses(&stack, &ann_id, Some(&format!("Bearer {ann}"))).await;
}

// ------------------------------------------------------------------------------- login

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_answers_a_bearer_token_that_expires_in_900_seconds() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ann", "user").await;
    let body = Request::post("/auth/login")
        .json(json!({"tenant": "acme", "username": "ann", "password": PASSWORD}))
        .send(&stack)
        .await
        .expect(StatusCode::OK)
        .body;
    let fields: BTreeSet<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from([
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "refresh_expires_in"
        ])
    );
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    let me = stack.me(token).await;
    assert_eq!(me["username"], "ann");
    assert_eq!(me["tenant_id"], "acme");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_failures_are_indistinguishable() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    stack.user("acme", &owner, "ann", "user").await;
    let (dora_id, _) = stack.user("acme", &owner, "dora", "user").await;
    stack
        .delete("acme", &dora_id, &owner)
        .await
        .expect(StatusCode::OK);

    let cases = [
        ("wrong password", "acme", "ann", "wrong-password-123"),
        ("unknown user", "acme", "nobody", PASSWORD),
        ("unknown tenant", "nope", "ann", PASSWORD),
        ("deleted user", "acme", "dora", PASSWORD),
        ("malformed username", "acme", "!", PASSWORD),
        ("user of another tenant", "acme", "root", ROOT_PASSWORD),
    ];
    let mut bodies = Vec::new();
    for (what, tenant, username, password) in cases {
        let answer = Request::post("/auth/login")
            .json(json!({"tenant": tenant, "username": username, "password": password}))
            .send(&stack)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            answer.body
        );
        assert_eq!(answer.code(), "invalid_credentials", "{what}");
        bodies.push((what, answer.body));
    }
    let (_, first) = &bodies[0];
    for (what, body) in &bodies {
        assert_eq!(
            body, first,
            "{what} answers differently from a wrong password"
        );
    }
}

// ---------------------------------------------------------------------- body validation

/// A refused body: (what, method, path, body bytes, content type, status, code, field).
struct Refusal {
    what: String,
    path: &'static str,
    body: Vec<u8>,
    content_type: Option<&'static str>,
    status: StatusCode,
    code: &'static str,
    field: Field,
}

/// What a refusal says about `field`.
enum Field {
    Named(&'static str),
    Absent,
}

fn bad(path: &'static str, what: &str, body: impl Into<Vec<u8>>, field: &'static str) -> Refusal {
    Refusal {
        what: what.to_owned(),
        path,
        body: body.into(),
        content_type: Some("application/json"),
        status: StatusCode::BAD_REQUEST,
        code: "validation_failed",
        field: Field::Named(field),
    }
}

const USERS: &str = "/tenants/acme/users";
const TENANTS: &str = "/tenants";

/// The owner of "acme" creates users, root creates tenants; all refused, nothing written,
/// and afterwards the names used are still free (no claim was left behind).
async fn refuse_all(cases: Vec<Refusal>) {
    assert!(!cases.is_empty());
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let users_before = stack.list_ids("acme", "all", &owner).await;
    let keys_before = table_keys(&stack).await;
    for case in &cases {
        let token = if case.path == TENANTS {
            &stack.root_token
        } else {
            &owner
        };
        let answer = Request::post(case.path)
            .token(token)
            .body(case.content_type, case.body.clone())
            .send(&stack)
            .await;
        let what = format!("POST {} {}", case.path, case.what);
        assert_eq!(
            (answer.status, answer.code()),
            (case.status, case.code),
            "{what}: {answer}"
        );
        match case.field {
            Field::Named(field) => assert_eq!(answer.field(), field, "{what}: {answer}"),
            Field::Absent => assert!(answer.body.get("field").is_none(), "{what}: {answer}"),
        }
        assert_eq!(
            stack.list_ids("acme", "all", &owner).await,
            users_before,
            "{what} changed the user list"
        );
    }
    assert_eq!(
        table_keys(&stack).await,
        keys_before,
        "a refused body wrote something"
    );
    Request::get("/tenants/newco/users")
        .token(&stack.root_token)
        .send(&stack)
        .await
        .expect_code(StatusCode::NOT_FOUND, "tenant_not_found");
    // The names every refused body carried are free: no partial claim survived.
    Request::post(USERS)
        .token(&owner)
        .json(user_body("ben"))
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
    Request::post(TENANTS)
        .token(&stack.root_token)
        .json(tenant_body("newco"))
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
}

fn with(mut base: Value, pointer: &str, value: Value) -> Vec<u8> {
    *base.pointer_mut(pointer).unwrap() = value;
    base.to_string().into_bytes()
}

fn without(mut base: Value, parent: &str, key: &str) -> Vec<u8> {
    base.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove(key)
        .unwrap();
    base.to_string().into_bytes()
}

fn plus(mut base: Value, parent: &str, key: &str, value: Value) -> Vec<u8> {
    base.pointer_mut(parent)
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(key.to_owned(), value);
    base.to_string().into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_bodies_are_rejected_and_write_nothing() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        let valid = if path == USERS {
            user_body("ben")
        } else {
            tenant_body("newco")
        };
        cases.push(bad(path, "not JSON", "not json at all", "body"));
        cases.push(bad(path, "a JSON array", "[]", "body"));
        cases.push(bad(path, "JSON null", "null", "body"));
        cases.push(bad(path, "a JSON string", "\"ben\"", "body"));
        cases.push(bad(path, "trailing data", format!("{valid}}}"), "body"));
        cases.push(bad(path, "two objects", format!("{valid} {valid}"), "body"));
        cases.push(bad(
            path,
            "a key without a colon",
            if path == USERS {
                r#"{"username" "ben"}"#
            } else {
                r#"{"id" "newco"}"#
            },
            "body",
        ));
    }
    // Cut inside a member's value, the member is named.
    cases.push(bad(USERS, "cut after a key", r#"{"username":"#, "username"));
    cases.push(bad(
        USERS,
        "cut inside a string",
        r#"{"username":"be"#,
        "username",
    ));
    cases.push(bad(
        TENANTS,
        "cut inside owner",
        r#"{"id":"newco","owner":{"username":"#,
        "owner.username",
    ));
    refuse_all(cases).await;
}

/// A syntax error between two members has no field of its own (serde_path_to_error says
/// `?`): the answer names the enclosing object, never a question mark.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_syntax_errors_between_members_name_the_body_not_a_question_mark() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let cases = [
        (USERS, r#"{"#, "body"),
        (USERS, r#"{"username":"ben","#, "body"),
        (USERS, r#"{"username":"ben""#, "body"),
        (USERS, r#"{"username":"ben",}"#, "body"),
        (USERS, r#"{"username":"ben" "email":"b@acme.test"}"#, "body"),
        (
            TENANTS,
            r#"{"id":"newco","owner":{"username":"nora","#,
            "owner",
        ),
    ];
    for (path, text, field) in cases {
        let token = if path == TENANTS {
            &stack.root_token
        } else {
            &owner
        };
        let answer = Request::post(path)
            .token(token)
            .body(Some("application/json"), text)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", field),
            "{text}: {answer}"
        );
    }
}

/// A member given twice is refused, naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_body_fields_are_rejected_naming_the_field() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let text = format!(
        r#"{{"username":"ben","username":"bob","email":"ben@acme.test","password":"{PASSWORD}","role":"user"}}"#
    );
    let answer = Request::post(USERS)
        .token(&owner)
        .body(Some("application/json"), text)
        .send(&stack)
        .await;
    assert_eq!(
        (answer.status, answer.code(), answer.field()),
        (StatusCode::BAD_REQUEST, "validation_failed", "username"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_body_fields_are_rejected_naming_the_field() {
    let mut cases = Vec::new();
    for field in ["is_owner", "deleted_at", "tenant_id"] {
        cases.push(bad(
            USERS,
            &format!("unknown {field}"),
            plus(user_body("ben"), "", field, json!(true)),
            field,
        ));
        cases.push(bad(
            TENANTS,
            &format!("unknown {field}"),
            plus(tenant_body("newco"), "", field, json!("x")),
            field,
        ));
    }
    cases.push(bad(
        TENANTS,
        "unknown owner.is_owner",
        plus(tenant_body("newco"), "/owner", "is_owner", json!(true)),
        "owner.is_owner",
    ));
    cases.push(bad(
        TENANTS,
        "unknown owner.role",
        plus(tenant_body("newco"), "/owner", "role", json!("admin")),
        "owner.role",
    ));
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_body_fields_are_rejected_naming_the_field() {
    let mut cases = Vec::new();
    for field in ["username", "email", "password", "role"] {
        cases.push(bad(
            USERS,
            &format!("missing {field}"),
            without(user_body("ben"), "", field),
            field,
        ));
    }
    cases.push(bad(USERS, "empty object", "{}", "username"));
    for field in ["id", "name", "owner"] {
        cases.push(bad(
            TENANTS,
            &format!("missing {field}"),
            without(tenant_body("newco"), "", field),
            field,
        ));
    }
    for (field, name) in [
        ("username", "owner.username"),
        ("email", "owner.email"),
        ("password", "owner.password"),
    ] {
        cases.push(bad(
            TENANTS,
            &format!("missing {name}"),
            without(tenant_body("newco"), "/owner", field),
            name,
        ));
    }
    cases.push(bad(TENANTS, "empty object", "{}", "id"));
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrongly_typed_body_fields_are_rejected_naming_the_field() {
    let cases = vec![
        bad(
            USERS,
            "numeric username",
            with(user_body("ben"), "/username", json!(5)),
            "username",
        ),
        bad(
            USERS,
            "object email",
            with(user_body("ben"), "/email", json!({})),
            "email",
        ),
        bad(
            USERS,
            "array password",
            with(user_body("ben"), "/password", json!([PASSWORD])),
            "password",
        ),
        bad(
            USERS,
            "null role",
            with(user_body("ben"), "/role", Value::Null),
            "role",
        ),
        bad(
            USERS,
            "boolean role",
            with(user_body("ben"), "/role", json!(true)),
            "role",
        ),
        bad(
            TENANTS,
            "numeric id",
            with(tenant_body("newco"), "/id", json!(7)),
            "id",
        ),
        bad(
            TENANTS,
            "null name",
            with(tenant_body("newco"), "/name", Value::Null),
            "name",
        ),
        bad(
            TENANTS,
            "string owner",
            with(tenant_body("newco"), "/owner", json!("nora")),
            "owner",
        ),
        bad(
            TENANTS,
            "numeric owner.email",
            with(tenant_body("newco"), "/owner/email", json!(5)),
            "owner.email",
        ),
        bad(
            TENANTS,
            "null owner.password",
            with(tenant_body("newco"), "/owner/password", Value::Null),
            "owner.password",
        ),
    ];
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_body_values_are_rejected_naming_the_field() {
    let user = |pointer: &str, value: &str| with(user_body("ben"), pointer, json!(value));
    let tenant = |pointer: &str, value: &str| with(tenant_body("newco"), pointer, json!(value));
    let cases = vec![
        bad(
            USERS,
            "too short username",
            user("/username", "ab"),
            "username",
        ),
        bad(
            USERS,
            "username starting with -",
            user("/username", "-ben"),
            "username",
        ),
        bad(
            USERS,
            "username with a space",
            user("/username", "be n"),
            "username",
        ),
        bad(
            USERS,
            "Cyrillic look-alike username",
            user("/username", "b\u{0435}n"),
            "username",
        ),
        bad(
            USERS,
            "too long username",
            user("/username", &"b".repeat(33)),
            "username",
        ),
        bad(
            USERS,
            "email without @",
            user("/email", "ben.acme.test"),
            "email",
        ),
        bad(
            USERS,
            "email without a dotted domain",
            user("/email", "ben@acme"),
            "email",
        ),
        bad(USERS, "empty email", user("/email", ""), "email"),
        bad(
            USERS,
            "short password",
            user("/password", "short"),
            "password",
        ),
        bad(
            USERS,
            "too long password",
            user("/password", &"p".repeat(257)),
            "password",
        ),
        bad(
            USERS,
            "password containing the username",
            user("/password", "my-BEN-password-1"),
            "password",
        ),
        bad(USERS, "unknown role", user("/role", "boss"), "role"),
        bad(USERS, "empty role", user("/role", ""), "role"),
        bad(USERS, "role in capitals", user("/role", "ADMIN"), "role"),
        bad(
            TENANTS,
            "tenant id with capitals",
            tenant("/id", "NewCo"),
            "id",
        ),
        bad(TENANTS, "tenant id with _", tenant("/id", "new_co"), "id"),
        bad(TENANTS, "too short tenant id", tenant("/id", "nc"), "id"),
        bad(
            TENANTS,
            "reserved tenant id",
            tenant("/id", "platform"),
            "id",
        ),
        bad(TENANTS, "blank tenant name", tenant("/name", "   "), "name"),
        bad(
            TENANTS,
            "invalid owner.username",
            tenant("/owner/username", "x"),
            "owner.username",
        ),
        bad(
            TENANTS,
            "invalid owner.email",
            tenant("/owner/email", "nope"),
            "owner.email",
        ),
        bad(
            TENANTS,
            "short owner.password",
            tenant("/owner/password", "short"),
            "owner.password",
        ),
        bad(
            TENANTS,
            "owner.password containing the owner's username",
            tenant("/owner/password", "password-of-\u{ff4e}ora-1"),
            "owner.password",
        ),
    ];
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn empty_bodies_are_rejected_naming_the_body() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        cases.push(Refusal {
            content_type: None,
            ..bad(path, "no body", "", "body")
        });
        cases.push(bad(path, "empty body with a JSON content type", "", "body"));
        cases.push(bad(path, "whitespace body", " \r\n\t ", "body"));
    }
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_64_kib_are_refused_with_413() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        // Valid JSON with valid fields, only too long: JSON allows whitespace anywhere.
        let padded = |extra: usize| {
            let valid = if path == USERS {
                user_body("ben")
            } else {
                tenant_body("newco")
            };
            let mut bytes = valid.to_string().into_bytes();
            bytes.extend(std::iter::repeat_n(
                b' ',
                MAX_BODY_BYTES + extra - bytes.len(),
            ));
            bytes
        };
        cases.push(Refusal {
            what: "65537 bytes".into(),
            path,
            body: padded(1),
            content_type: Some("application/json"),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            field: Field::Absent,
        });
        cases.push(Refusal {
            what: "a megabyte of JSON".into(),
            path,
            body: format!("{{\"username\": \"{}\"}}", "a".repeat(1 << 20)).into_bytes(),
            content_type: Some("application/json"),
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            field: Field::Absent,
        });
    }
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_of_exactly_64_kib_is_still_read() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let mut bytes = user_body("ben").to_string().into_bytes();
    bytes.extend(std::iter::repeat_n(b' ', MAX_BODY_BYTES - bytes.len()));
    assert_eq!(bytes.len(), MAX_BODY_BYTES);
    let answer = Request::post(USERS)
        .token(&owner)
        .body(Some("application/json"), bytes)
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(answer.body["username"], "ben");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_content_types_are_refused_with_415() {
    let mut cases = Vec::new();
    for path in [USERS, TENANTS] {
        let valid = if path == USERS {
            user_body("ben")
        } else {
            tenant_body("newco")
        };
        for kind in [
            "text/plain",
            "text/plain; charset=utf-8",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/jsonp",
        ] {
            cases.push(Refusal {
                what: format!("Content-Type: {kind}"),
                path,
                body: valid.to_string().into_bytes(),
                content_type: Some(kind),
                status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
                code: "unsupported_media_type",
                field: Field::Absent,
            });
        }
    }
    refuse_all(cases).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_bodies_are_validated_like_every_other_body() {
    let stack = Stack::new().await;
    let login = json!({"tenant": "platform", "username": "root", "password": ROOT_PASSWORD});
    let cases = vec![
        (
            "missing password",
            without(login.clone(), "", "password"),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("password"),
        ),
        (
            "unknown field",
            plus(login.clone(), "", "otp", json!("123456")),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("otp"),
        ),
        (
            "numeric tenant",
            with(login.clone(), "/tenant", json!(1)),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("tenant"),
        ),
        (
            "not JSON",
            b"tenant=platform".to_vec(),
            "application/json",
            StatusCode::BAD_REQUEST,
            "validation_failed",
            Some("body"),
        ),
        (
            "form body",
            b"tenant=platform&username=root".to_vec(),
            "application/x-www-form-urlencoded",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        ),
    ];
    for (what, body, kind, status, expected, field) in cases {
        let answer = Request::post("/auth/login")
            .body(Some(kind), body)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{what}: {answer}"
        );
        assert_eq!(
            answer.body.get("field").and_then(Value::as_str),
            field,
            "{what}"
        );
    }
    // Media types with a +json suffix or parameters are JSON.
    for kind in [
        "application/json; charset=utf-8",
        "Application/JSON",
        "application/vnd.api+json",
    ] {
        let answer = Request::post("/auth/login")
            .body(Some(kind), login.to_string())
            .send(&stack)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{kind}: {answer}");
        assert_eq!(answer.body["token_type"], "Bearer");
    }
}

// ------------------------------------------------------------------- listing and paging

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_listing_refuses_bad_query_parameters_naming_them() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let cases = [
        ("state=bogus", "state"),
        ("state=", "state"),
        ("state=ACTIVE", "state"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("limit=-1", "limit"),
        ("limit=", "limit"),
        ("limit=1.5", "limit"),
        ("limit=%2B5", "limit"),
        ("limit=1&limit=2", "limit"),
        ("state=all&state=active", "state"),
        ("foo=1", "foo"),
        ("limit=10&page=2", "page"),
        ("cursor=!!!", "cursor"),
        ("cursor=", "cursor"),
        // Base64 of a byte that is not UTF-8.
        ("cursor=_w", "cursor"),
        // Base64 of 100 bytes: longer than any id.
        (
            "cursor=YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYQ",
            "cursor",
        ),
    ];
    for (query, field) in cases {
        let answer = Request::get(format!("{USERS}?{query}"))
            .token(&owner)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", field),
            "?{query}: {answer}"
        );
    }
    // The bounds themselves are fine.
    for query in [
        "limit=1",
        "limit=100",
        "state=active",
        "state=deleted",
        "state=all",
    ] {
        let answer = Request::get(format!("{USERS}?{query}"))
            .token(&owner)
            .send(&stack)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "?{query}: {answer}");
        assert!(answer.body["items"].is_array(), "?{query}: {answer}");
    }
}

/// Every page of `state`, `limit` at a time, following `next_cursor` until it is null.
async fn walk(stack: &Stack, token: &str, state: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{USERS}?state={state}&limit={limit}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let answer = Request::get(&path).token(token).send(stack).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer}");
        let body = answer.body;
        let items = body["items"].as_array().unwrap().clone();
        assert!(items.len() <= limit, "{path}: {} items", items.len());
        pages.push(items);
        match &body["next_cursor"] {
            Value::Null => return pages,
            Value::String(next) => cursor = Some(next.clone()),
            other => panic!("next_cursor is {other}"),
        }
        assert!(pages.len() <= 20, "the cursor never ends");
    }
}

/// Tenant "acme" with its owner and seven users; returns the owner's token and every id,
/// in creation order.
async fn acme_with_seven_users(stack: &Stack) -> (String, Vec<String>) {
    let (owner_id, owner) = stack.tenant("acme").await;
    let mut created = vec![owner_id];
    for i in 1..=7 {
        let user = stack
            .create_user("acme", &owner, &format!("user{i}"), "user")
            .await
            .expect(StatusCode::CREATED);
        created.push(user.id());
    }
    (owner, created)
}

fn ids(pages: &[Vec<Value>]) -> Vec<String> {
    pages
        .iter()
        .flatten()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_walks_every_active_user_exactly_once_in_order() {
    let stack = Stack::new().await;
    let (owner, created) = acme_with_seven_users(&stack).await;
    let pages = walk(&stack, &owner, "active", 3).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 2]);
    // Ids are time-ordered, so id order is creation order.
    assert_eq!(ids(&pages), created);
    for user in pages.iter().flatten() {
        assert_eq!(user["state"], "active");
        assert!(user.get("password_hash").is_none(), "{user}");
    }
    // The default listing is the active one.
    let body = Request::get(USERS)
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(ids(&[body["items"].as_array().unwrap().clone()]), created);
    assert_eq!(body["next_cursor"], Value::Null);
    // A page that ends exactly at the last user has no next page.
    let pages = walk(&stack, &owner, "active", 4).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4]);
    assert_eq!(ids(&pages), created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_users_appear_only_in_the_deleted_and_all_listings() {
    let stack = Stack::new().await;
    let (owner, created) = acme_with_seven_users(&stack).await;
    // Delete one in the middle of a page and the last two, so the active listing ends on
    // deleted users it must skip.
    let deleted = [created[2].clone(), created[6].clone(), created[7].clone()];
    for id in &deleted {
        stack
            .delete("acme", id, &owner)
            .await
            .expect(StatusCode::OK);
    }
    let active: Vec<String> = created
        .iter()
        .filter(|id| !deleted.contains(id))
        .cloned()
        .collect();

    let pages = walk(&stack, &owner, "active", 3).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 2]);
    assert_eq!(ids(&pages), active);
    assert!(pages.iter().flatten().all(|u| u["state"] == "active"));

    let pages = walk(&stack, &owner, "deleted", 2).await;
    assert_eq!(ids(&pages), deleted.to_vec());
    assert!(pages.iter().flatten().all(|u| u["state"] == "deleted"
        && u["deleted_at"].is_string()
        && u["purge_after"].is_string()));

    let pages = walk(&stack, &owner, "all", 3).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 2]
    );
    assert_eq!(ids(&pages), created);
    let states: BTreeMap<String, String> = pages
        .iter()
        .flatten()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for id in &created {
        let expected = if deleted.contains(id) {
            "deleted"
        } else {
            "active"
        };
        assert_eq!(states[id], expected, "{id}");
    }
}

// ------------------------------------------------------------------------------ routing

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_answer_404_route_not_found() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    for (method, path) in [
        ("GET", "/"),
        ("GET", "/nope"),
        ("GET", "/healthz"),
        ("GET", "/tenants/acme/settings"),
        ("GET", "/tenants/acme/users/u1/restore/now"),
        ("POST", "/auth"),
        ("GET", "/api/health"),
        ("DELETE", "/tenants/acme/groups/g1"),
        ("GET", "/me/"),
        ("GET", "//me"),
        ("GET", "/tenants//users"),
        ("GET", "/tenants//acme/users"),
    ] {
        let answer = Request::new(method, path).send(&stack).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(answer.code(), "route_not_found", "{method} {path}");
        assert!(answer.header(header::ALLOW).is_none(), "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undeclared_methods_answer_405_with_an_allow_header_listing_the_declared_ones() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for spec in stack.router.routes() {
        declared
            .entry(concrete(&spec.path, "acme", "u1"))
            .or_default()
            .insert(spec.method.clone());
    }
    assert!(declared.len() >= 7);
    for (path, methods) in &declared {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "TRACE"] {
            if methods.contains(method) {
                continue;
            }
            let answer = Request::new(method, path).send(&stack).await;
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {}",
                answer.body
            );
            assert_eq!(answer.code(), "method_not_allowed", "{method} {path}");
            let allow: BTreeSet<String> = answer
                .header(header::ALLOW)
                .unwrap_or_else(|| panic!("{method} {path}: no Allow header"))
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            assert_eq!(&allow, methods, "{method} {path}");
        }
    }
    // The two the contract names.
    let answer = Request::new("PUT", "/me").send(&stack).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header(header::ALLOW), Some("GET"));
    let answer = Request::new("TRACE", "/health").send(&stack).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.header(header::ALLOW), Some("GET"));
    assert_eq!(
        declared["/tenants/acme/users/u1"],
        BTreeSet::from(["GET".to_owned(), "DELETE".to_owned(), "PATCH".to_owned()])
    );
}

// -------------------------------------------------------------------------------- drift

fn functions_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../functions")
}

fn function_crates() -> BTreeSet<String> {
    std::fs::read_dir(functions_dir())
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().into_string().unwrap())
        .collect()
}

fn template_routes() -> Vec<RouteSpec> {
    Template::load(&template::default_path())
        .unwrap()
        .routes()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_serves_exactly_the_template_routes() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let mut served: Vec<RouteSpec> = stack.router.routes().cloned().collect();
    served.sort();
    let declared = template_routes();
    assert_eq!(served, declared);
    let unique: BTreeSet<(&str, &str)> = declared
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(unique.len(), declared.len(), "a route is declared twice");
}

#[test]
fn every_function_crate_has_exactly_one_route_or_a_schedule_and_a_matching_binary() {
    let crates = function_crates();
    assert!(crates.len() >= 9, "{crates:?}");
    let routes = template_routes();
    let scheduled = Template::load(&template::default_path())
        .unwrap()
        .scheduled_functions()
        .unwrap();
    assert_eq!(scheduled, BTreeSet::from(["purge-deleted".to_owned()]));
    for name in &crates {
        if scheduled.contains(name) {
            assert!(
                routes.iter().all(|r| &r.function != name),
                "{name} is scheduled and routed"
            );
            continue;
        }
        let mine: Vec<&RouteSpec> = routes.iter().filter(|r| &r.function == name).collect();
        assert_eq!(mine.len(), 1, "{name} has routes {mine:?}");
        let manifest =
            std::fs::read_to_string(functions_dir().join(name).join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "functions/{name}/Cargo.toml does not name the package {name}"
        );
    }
    // Every Binary the template names is a crate, and every crate is a handler of the router.
    let binaries: BTreeSet<String> = routes.iter().map(|r| r.function.clone()).collect();
    let http_crates: BTreeSet<String> = crates.difference(&scheduled).cloned().collect();
    assert_eq!(binaries, http_crates);
    let handlers: BTreeSet<String> = tenantry_dev::router::handlers()
        .into_iter()
        .map(|(name, _, _)| name.to_owned())
        .collect();
    assert_eq!(handlers, http_crates);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_refuses_a_route_list_that_lacks_a_function_or_names_an_unknown_one() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let routes = template_routes();
    assert!(Router::new(Arc::clone(&stack.app), &routes).is_ok());
    for missing in &routes {
        let fewer: Vec<RouteSpec> = routes.iter().filter(|r| *r != missing).cloned().collect();
        let err = Router::new(Arc::clone(&stack.app), &fewer)
            .err()
            .unwrap_or_else(|| panic!("a router without {} was built", missing.function));
        assert!(err.contains(&missing.function), "{err}");
    }
    let mut more = routes.clone();
    more.push(RouteSpec {
        method: "GET".into(),
        path: "/reports".into(),
        function: "get-reports".into(),
    });
    let err = Router::new(Arc::clone(&stack.app), &more)
        .err()
        .expect("a router with an unknown function was built");
    assert!(err.contains("get-reports"), "{err}");
}

// --------------------------------------------------------------------- dev server (TCP)

struct Raw {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
}

/// Writes `request` as is, reads until the server closes, and splits the response.
async fn over_tcp(addr: SocketAddr, request: &[u8]) -> Raw {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut bytes = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut bytes))
        .await
        .expect("the server did not close the connection")
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").expect("no end of headers");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    assert!(status_line.starts_with("HTTP/1.1 "), "{status_line}");
    let status = status_line[9..12].parse().unwrap();
    let headers = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    Raw {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn get(path: &str, token: Option<&str>) -> Vec<u8> {
    let auth = token.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n").into_bytes()
}

fn post(path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_server_answers_health_over_tcp() {
    let stack = Stack::new().await;
    let addr = tenantry_dev::spawn(stack.router.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let raw = over_tcp(
        addr,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    assert_eq!(raw.headers["content-type"], "application/json");
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body, json!({"status": "ok"}));

    let raw = over_tcp(addr, &get("/nope", None)).await;
    assert_eq!(raw.status, 404);
    assert_eq!(raw.headers["content-type"], "application/problem+json");
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["code"], "route_not_found");

    let raw = over_tcp(
        addr,
        b"TRACE /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw.status, 405);
    assert_eq!(raw.headers["allow"], "GET");

    let raw = over_tcp(addr, &get("/me", None)).await;
    assert_eq!(raw.status, 401);
    assert_eq!(raw.headers["www-authenticate"], "Bearer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_server_logs_in_over_tcp() {
    let stack = Stack::new().await;
    let addr = tenantry_dev::spawn(stack.router.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let login = json!({"tenant": "platform", "username": "root", "password": ROOT_PASSWORD});
    let raw = over_tcp(
        addr,
        &post("/auth/login", "application/json", &login.to_string()),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let token = body["access_token"].as_str().unwrap();
    assert_eq!(stack.me(token).await["id"], stack.root_id);

    let raw = over_tcp(addr, &get("/me", Some(token))).await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let me: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(me["username"], "root");

    let raw = over_tcp(addr, &post("/auth/login", "text/plain", &login.to_string())).await;
    assert_eq!(raw.status, 415, "{}", raw.body);

    let big = format!("{{\"tenant\": \"{}\"}}", "a".repeat(MAX_BODY_BYTES));
    let raw = over_tcp(addr, &post("/auth/login", "application/json", &big)).await;
    assert_eq!(raw.status, 413, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["code"], "payload_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dev_server_percent_decodes_path_parameters() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let addr = tenantry_dev::spawn(stack.router.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    // "a" as %61 in the tenant, every "-" of the id as %2D.
    let path = format!("/tenants/%61cme/users/{}", ben_id.replace('-', "%2D"));
    let raw = over_tcp(addr, &get(&path, Some(&owner))).await;
    assert_eq!(raw.status, 200, "{path}: {}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["id"], ben_id);
    assert_eq!(body["tenant_id"], "acme");

    let raw = over_tcp(
        addr,
        &get("/tenants/%61%63%6D%65/users?limit=100", Some(&owner)),
    )
    .await;
    assert_eq!(raw.status, 200, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["items"].as_array().unwrap().len(), 2);

    // A decoded value is compared as decoded: "ac me" is not "acme".
    let raw = over_tcp(addr, &get("/tenants/ac%20me/users", Some(&owner))).await;
    assert_eq!(raw.status, 404, "{}", raw.body);
    let body: Value = serde_json::from_str(&raw.body).unwrap();
    assert_eq!(body["code"], "tenant_not_found");
}

// ------------------------------------------------------------------------------ outages

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

// ------------------------------------------------------------------------------ tenancy

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

    for state in ["active", "deleted", "all"] {
        let mut bodies = Vec::new();
        for tenant in ["acme", "nope"] {
            let path = format!("/tenants/{tenant}/users?state={state}");
            let answer = Request::get(&path).token(&beta_owner).send(&stack).await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::NOT_FOUND, "tenant_not_found"),
                "{path}: {answer}"
            );
            assert!(answer.body.get("items").is_none());
            bodies.push(answer.body);
        }
        assert_eq!(bodies[0], bodies[1], "state={state}");
    }

    for role in ["user", "agent", "admin"] {
        let mut bodies = Vec::new();
        for tenant in ["acme", "nope"] {
            let mut new = user_body("mallory");
            new["role"] = json!(role);
            let answer = Request::post(format!("/tenants/{tenant}/users"))
                .token(&beta_owner)
                .json(new)
                .send(&stack)
                .await;
            assert_eq!(
                (answer.status, answer.code()),
                (StatusCode::NOT_FOUND, "tenant_not_found"),
                "{role} in {tenant}: {answer}"
            );
            bodies.push(answer.body);
        }
        assert_eq!(bodies[0], bodies[1], "role {role}");
    }

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
