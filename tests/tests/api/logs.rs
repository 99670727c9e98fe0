//! The logs: a whole scenario through the real handlers (and the scheduled purge) logged at
//! `TRACE` by the subscriber every function installs. Every line is JSON; every line logged
//! inside a request names that request's id, tenant, actor and action; no line holds a
//! password, a password hash, a token, the private signing key or a bearer header (the
//! checks on every line: `log_lines.rs`).

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::http::{self, StatusCode};
use lambda_http::{Context, LambdaEvent, RequestExt};
use serde_json::{Value, json};
use tenantry_accounts::{PURGE_ACTOR, Principal, Purger};
use tenantry_store::UserKey;
use tenantry_tests::{ROOT_PASSWORD, SIGNING_KEY_PEM_BODY, SIGNING_KID, Stack};

use crate::log_lines::{
    Capture, Expected, assert_each_line_names_its_request, assert_no_line_holds_a_secret, keys_of,
    parse_every_line, readme_line,
};

/// The scenario's stack, what it logged, and what each request must have logged.
struct Scenario {
    stack: Stack,
    capture: Capture,
    expected: Vec<Expected>,
    /// Every password, hash, token and key of the scenario.
    secrets: Vec<String>,
}

impl Scenario {
    /// One request through the dev router, with a Lambda context naming its request id, as
    /// the Lambda runtime would give it.
    #[allow(clippy::too_many_arguments)]
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        action: &'static str,
        tenant: Option<&str>,
        actor: Option<&str>,
    ) -> (StatusCode, Value) {
        let request_id = format!("req-{:03}-{action}", self.expected.len());
        let mut context = Context::default();
        context.request_id = request_id.clone();
        let mut builder = http::Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let bytes = match body {
            Some(body) => {
                builder = builder.header("content-type", "application/json");
                body.to_string().into_bytes()
            }
            None => Vec::new(),
        };
        let request = builder.body(bytes).unwrap().with_lambda_context(context);
        let start = self.capture.count();
        let response = self.stack.router.dispatch(request).await;
        self.expected.push(Expected {
            request_id,
            action,
            tenant: tenant.map(str::to_owned),
            actor: actor.map(str::to_owned),
            lines: start..self.capture.count(),
        });
        let status = response.status();
        let value = match response.body() {
            lambda_http::Body::Text(text) => serde_json::from_str(text).unwrap(),
            _ => Value::Null,
        };
        (status, value)
    }

    async fn login(&mut self, tenant: &str, username: &str, password: &str) -> String {
        self.secrets.push(password.to_owned());
        let body = json!({"tenant": tenant, "username": username, "password": password});
        let (status, body) = self
            .send(
                "POST",
                "/auth/login",
                None,
                Some(body),
                "auth.login",
                Some(tenant),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let token = body["access_token"].as_str().unwrap().to_owned();
        self.secrets.push(token.clone());
        self.remember_refresh_token(&body);
        token
    }

    /// A refresh token is a secret, and so is its random part on its own.
    fn remember_refresh_token(&mut self, body: &Value) {
        let refresh = body["refresh_token"].as_str().unwrap().to_owned();
        self.secrets
            .push(refresh.split('.').nth(1).unwrap().to_owned());
        self.secrets.push(refresh);
    }

    /// Creates a user as `actor` and remembers its password and stored hash.
    async fn create_user(
        &mut self,
        token: &str,
        actor: &str,
        username: &str,
        password: &str,
        role: &str,
    ) -> String {
        self.secrets.push(password.to_owned());
        let body = json!({
            "username": username,
            "email": format!("{username}@acme.test"),
            "password": password,
            "role": role,
        });
        let (status, body) = self
            .send(
                "POST",
                "/tenants/acme/users",
                Some(token),
                Some(body),
                "user.create",
                Some("acme"),
                Some(actor),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        self.remember_hash("acme", &id).await;
        id
    }

    async fn remember_hash(&mut self, tenant_id: &str, user_id: &str) {
        let user = self
            .stack
            .store
            .get_user(UserKey { tenant_id, user_id })
            .await
            .unwrap()
            .unwrap();
        assert!(user.password_hash.starts_with("$argon2id$"));
        self.secrets.push(user.password_hash);
    }
}

fn now_ms() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

// The test's future (and so every request, use case, store and SDK call it awaits) is polled
// on this thread, where the subscriber is the default; the workers drive the connections,
// so a stale snapshot can be made from another thread while this one waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_line_is_json_with_its_request_context_and_no_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tenantry_http::log::subscriber("trace", move || writer.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let stack = Stack::new().await;
    let root_id = stack.root_id.clone();
    let mut s = Scenario {
        secrets: vec![
            ROOT_PASSWORD.to_owned(),
            stack.root_token.clone(),
            SIGNING_KEY_PEM_BODY.to_owned(),
            "Bearer ".to_owned(),
        ],
        stack,
        capture: capture.clone(),
        expected: Vec::new(),
    };
    s.remember_hash("platform", &root_id).await;
    let root = s.login("platform", "root", ROOT_PASSWORD).await;

    // The dev router gives a request without a Lambda context one of its own.
    let start = capture.count();
    let (status, _) = s.stack.call("GET", "/health", None, None).await;
    assert_eq!(status, StatusCode::OK);
    let own: Vec<Value> = capture.lines()[start..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(!own.is_empty());
    let id = own[0]["request_id"].as_str().expect("a request id");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert!(
        own.iter()
            .all(|l| l["request_id"] == id && l["action"] == "health")
    );

    let (status, _) = s
        .send("GET", "/health", None, None, "health", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .send(
            "GET",
            "/.well-known/jwks.json",
            None,
            None,
            "auth.jwks",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A tenant, its owner with a password that JSON and Debug escape differently.
    let owner_password = "Owner \"quoted\" p\u{e4}ssw\u{f6}rd \\ 1";
    s.secrets.push(owner_password.to_owned());
    let body = json!({
        "id": "acme",
        "name": "Acme",
        "owner": {"username": "olivia", "email": "olivia@acme.test", "password": owner_password},
    });
    let (status, body) = s
        .send(
            "POST",
            "/tenants",
            Some(&root),
            Some(body),
            "tenant.create",
            Some("acme"),
            Some(&root_id),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let olivia_id = body["owner"]["id"].as_str().unwrap().to_owned();
    s.remember_hash("acme", &olivia_id).await;
    let olivia = s.login("acme", "olivia", owner_password).await;

    // A wrong password: 401, and the attempt is logged without it.
    s.secrets.push("wrong-password-0000".to_owned());
    let body = json!({"tenant": "acme", "username": "olivia", "password": "wrong-password-0000"});
    let (status, _) = s
        .send(
            "POST",
            "/auth/login",
            None,
            Some(body),
            "auth.login",
            Some("acme"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A session: refreshed once, then reused (revoked), then a logout and a logout everywhere.
    let body = json!({"tenant": "acme", "username": "olivia", "password": owner_password});
    let (status, session) = s
        .send(
            "POST",
            "/auth/login",
            None,
            Some(body),
            "auth.login",
            Some("acme"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    s.remember_refresh_token(&session);
    let refresh = json!({"refresh_token": session["refresh_token"]});
    let (status, next) = s
        .send(
            "POST",
            "/auth/refresh",
            None,
            Some(refresh.clone()),
            "auth.refresh",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    s.remember_refresh_token(&next);
    s.secrets
        .push(next["access_token"].as_str().unwrap().to_owned());
    let (status, _) = s
        .send(
            "POST",
            "/auth/refresh",
            None,
            Some(refresh),
            "auth.refresh",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let spare = s.login("acme", "olivia", owner_password).await;
    let (status, _) = s
        .send(
            "POST",
            "/auth/logout",
            Some(&spare),
            None,
            "auth.logout",
            Some("acme"),
            Some(&olivia_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    let ben_id = s
        .create_user(
            &olivia,
            &olivia_id,
            "ben",
            "secret-password-for-b-9",
            "user",
        )
        .await;
    let ada_id = s
        .create_user(
            &olivia,
            &olivia_id,
            "ada",
            "secret-password-for-a-7",
            "admin",
        )
        .await;
    let ben = s.login("acme", "ben", "secret-password-for-b-9").await;
    let ada = s.login("acme", "ada", "secret-password-for-a-7").await;

    let ben_path = format!("/tenants/acme/users/{ben_id}");
    let (status, _) = s
        .send(
            "GET",
            &ben_path,
            Some(&olivia),
            None,
            "user.get",
            Some("acme"),
            Some(&olivia_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .send(
            "GET",
            "/tenants/acme/users?state=active",
            Some(&ben),
            None,
            "user.list",
            Some("acme"),
            Some(&ben_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s
        .send(
            "PATCH",
            &ben_path,
            Some(&olivia),
            Some(json!({"role": "agent", "email": "benjamin@acme.test"})),
            "user.update",
            Some("acme"),
            Some(&olivia_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Ben's token died with the role change: verified (so he is the actor), then refused.
    let (status, _) = s
        .send(
            "GET",
            "/me",
            Some(&ben),
            None,
            "me.get",
            Some("acme"),
            Some(&ben_id),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // A token that does not verify (another key signed it, under the real kid): no actor.
    let other = tenantry_http::SigningKeys::generate(SIGNING_KID).unwrap();
    let forged = tenantry_http::Tokens::new(&other, "tenantry", "tenantry-api", 900)
        .issue(&Principal {
            user_id: ada_id.clone(),
            tenant_id: "acme".into(),
            token_epoch: 1,
            session_id: String::new(),
        })
        .unwrap();
    s.secrets.push(forged.clone());
    let (status, _) = s
        .send(
            "GET",
            "/tenants/acme/users",
            Some(&forged),
            None,
            "user.list",
            Some("acme"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // 403: an agent deletes nobody.
    let ben = s.login("acme", "ben", "secret-password-for-b-9").await;
    let (status, body) = s
        .send(
            "DELETE",
            &format!("/tenants/acme/users/{ada_id}"),
            Some(&ben),
            None,
            "user.delete",
            Some("acme"),
            Some(&ben_id),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    // 404.
    let (status, _) = s
        .send(
            "GET",
            "/tenants/acme/users/0190aaaa-0000-7000-8000-000000000000",
            Some(&olivia),
            None,
            "user.get",
            Some("acme"),
            Some(&olivia_id),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // 400 with a password in the body, on a create and on a login.
    s.secrets.push("invalid-body-password-42".to_owned());
    let body = json!({
        "username": "carl", "email": "carl@acme.test", "password": "invalid-body-password-42",
        "role": "user", "is_owner": true,
    });
    let (status, _) = s
        .send(
            "POST",
            "/tenants/acme/users",
            Some(&olivia),
            Some(body),
            "user.create",
            Some("acme"),
            Some(&olivia_id),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body = json!({"tenant": "acme", "username": "carl", "password": "invalid-body-password-42", "otp": 1});
    let (status, _) = s
        .send(
            "POST",
            "/auth/login",
            None,
            Some(body),
            "auth.login",
            None,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Delete, restore, delete again and purge now.
    for (method, path, action) in [
        ("DELETE", ben_path.clone(), "user.delete"),
        ("POST", format!("{ben_path}/restore"), "user.restore"),
        ("DELETE", ben_path.clone(), "user.delete"),
        ("POST", format!("{ben_path}/purge"), "user.purge"),
    ] {
        let (status, body) = s
            .send(
                method,
                &path,
                Some(&olivia),
                None,
                action,
                Some("acme"),
                Some(&olivia_id),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }

    // A delete whose snapshot goes stale before its commit: DynamoDB answers with the item
    // as it was (password hash included), and the store decides again.
    let erin_id = s
        .create_user(
            &olivia,
            &olivia_id,
            "erin",
            "secret-password-for-e-5",
            "user",
        )
        .await;
    let store = s.stack.store.clone();
    let target = erin_id.clone();
    s.stack.faults.before_next_transaction(move || {
        tenantry_tests::set_user_blocking(&store, "acme", &target, "user", false)
    });
    let (status, body) = s
        .send(
            "DELETE",
            &format!("/tenants/acme/users/{erin_id}"),
            Some(&olivia),
            None,
            "user.delete",
            Some("acme"),
            Some(&olivia_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(s.stack.faults.pending(), 0);

    // Erin's restore window is made to close, and the scheduled purge takes her.
    tenantry_tests::backdate_purge(&s.stack.store, "acme", &erin_id).await;
    let mut context = Context::default();
    context.request_id = "req-scheduled-purge".into();
    context.deadline = now_ms() + 60_000;
    let purger = Purger::new(s.stack.store.clone(), Default::default());
    let purge_start = capture.count();
    let (summary, summary_line) = purge_deleted::invoke(
        &purger,
        Duration::from_secs(20),
        LambdaEvent::new(json!({}), context),
    )
    .await
    .unwrap();
    let purge_lines = purge_start..capture.count();
    assert_eq!((summary.purged, summary.failed), (1, 0), "{summary_line}");
    // A mistyped event is refused, and the refusal names its invocation.
    let mut context = Context::default();
    context.request_id = "req-refused-purge".into();
    let event = LambdaEvent::new(json!({"dryrun": true}), context);
    let refused_start = capture.count();
    let refused = purge_deleted::invoke(&purger, Duration::from_secs(20), event).await;
    assert!(refused.is_err());
    let refused_lines = refused_start..capture.count();

    // Ownership moves to Ada.
    let (status, body) = s
        .send(
            "POST",
            "/tenants/acme/ownership",
            Some(&olivia),
            Some(json!({"new_owner_id": ada_id})),
            "tenant.transfer",
            Some("acme"),
            Some(&olivia_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // 500: DynamoDB refuses the transaction as invalid.
    s.stack.faults.cancel_next(1, "ValidationError");
    let (status, body) = s
        .send(
            "PATCH",
            "/tenants/acme",
            Some(&ada),
            Some(json!({"retention_days": 7})),
            "tenant.update",
            Some("acme"),
            Some(&ada_id),
        )
        .await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    // 503: DynamoDB throttles, while a password is in the body.
    s.stack.faults.cancel_next(1, "ThrottlingError");
    s.secrets.push("secret-password-for-f-3".to_owned());
    let body = json!({
        "username": "fay", "email": "fay@acme.test", "password": "secret-password-for-f-3", "role": "user",
    });
    let (status, body) = s
        .send(
            "POST",
            "/tenants/acme/users",
            Some(&ada),
            Some(body),
            "user.create",
            Some("acme"),
            Some(&ada_id),
        )
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    let (status, _) = s
        .send(
            "GET",
            "/tenants/acme/audit",
            Some(&ada),
            None,
            "audit.list",
            Some("acme"),
            Some(&ada_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = s
        .send(
            "GET",
            "/me",
            Some(&ada),
            None,
            "me.get",
            Some("acme"),
            Some(&ada_id),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Every password hash still on the table, whoever it belongs to.
    for item in tenantry_tests::invariants::scan_all(&s.stack.store).await {
        if let Some(AttributeValue::S(hash)) = item.get("password_hash") {
            s.secrets.push(hash.clone());
        }
    }
    drop(_guard);

    // (a) Every line is one JSON object with the keys of the format.
    let lines = capture.lines();
    assert!(lines.len() > 100, "only {} lines", lines.len());
    let parsed = parse_every_line(&lines);

    // (b) Every line of a request names that request.
    assert_each_line_names_its_request(&s.expected, &parsed);
    // The scheduled purge: its request id, its actor and action on every line; the user's
    // tenant on the lines about Erin.
    let purge = &parsed[purge_lines];
    assert!(!purge.is_empty());
    for line in purge {
        assert_eq!(line["request_id"], "req-scheduled-purge", "{line}");
        assert_eq!(line["actor"], PURGE_ACTOR, "{line}");
        assert_eq!(line["action"], purge_deleted::ACTION, "{line}");
        assert!(
            line["tenant"].is_null() || line["tenant"] == "acme",
            "{line}"
        );
    }
    assert!(
        purge
            .iter()
            .any(|l| l["user_id"] == erin_id.as_str() && l["tenant"] == "acme"),
        "no line about Erin"
    );
    assert!(
        purge.iter().any(|l| l["target"]
            .as_str()
            .unwrap()
            .starts_with("aws_smithy_runtime")
            && l["tenant"] == "acme"),
        "no SDK line of Erin's purge names her tenant"
    );
    let refused = &parsed[refused_lines];
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["level"], "ERROR");
    assert_eq!(refused[0]["request_id"], "req-refused-purge");
    assert_eq!(refused[0]["actor"], PURGE_ACTOR);
    for (key, value) in [
        ("request_id", json!("req-scheduled-purge")),
        ("tenant", Value::Null),
        ("actor", json!(PURGE_ACTOR)),
        ("action", json!(purge_deleted::ACTION)),
        ("level", json!("INFO")),
    ] {
        assert_eq!(summary_line[key], value, "{summary_line}");
    }

    // What the capture must include: the SDK's lines inside requests, the decision made
    // again on a stale snapshot, the 500's cause and the 503.
    let in_requests: Vec<&Value> = s
        .expected
        .iter()
        .flat_map(|e| &parsed[e.lines.clone()])
        .collect();
    let has = |what: &str, test: &dyn Fn(&Value) -> bool| {
        assert!(in_requests.iter().any(|l| test(l)), "no line {what}");
    };
    has("from the SDK at DEBUG", &|l| {
        l["level"] == "DEBUG" && l["target"].as_str().unwrap().starts_with("aws_smithy")
    });
    has("deciding again", &|l| {
        l["target"]
            .as_str()
            .unwrap()
            .starts_with("tenantry_accounts")
            && l["message"]
                .as_str()
                .unwrap()
                .contains("snapshot no longer holds")
            && l["reasons"].as_str().unwrap().contains("ConditionFailed")
    });
    has("of the 500 with its cause", &|l| {
        l["level"] == "ERROR" && l["status"] == 500 && l["cause"].is_string()
    });
    has("of the 503", &|l| l["status"] == 503);

    // docs/operations.md shows a delete's line as it is.
    let delete = lines
        .iter()
        .zip(&parsed)
        .find(|(_, l)| l["action"] == "user.delete" && l["message"] == "handled")
        .map(|(line, _)| line)
        .unwrap();
    assert_eq!(keys_of(&readme_line()), keys_of(delete));

    // Every action a mutation wrote to the audit log is the action of a function.
    let actions: BTreeSet<&str> = tenantry_dev::router::handlers()
        .iter()
        .map(|(_, action, _)| *action)
        .collect();
    assert_eq!(actions.len(), tenantry_dev::router::handlers().len());
    assert!(actions.contains(purge_deleted::ACTION));
    for event in s.stack.store.list_audit("acme").await.unwrap() {
        assert!(actions.contains(event.action.as_str()), "{}", event.action);
    }

    // (c) No secret, in any form, in any case, on any line.
    let mut everything = lines.clone();
    everything.push(summary_line.to_string());
    assert!(s.secrets.len() >= 20, "{} secrets", s.secrets.len());
    assert_no_line_holds_a_secret(&s.secrets, &everything);
}
