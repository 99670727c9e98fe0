//! The test stack: a fresh table on DynamoDB Local per test (created from template.yaml),
//! the real handlers behind the dev router, and helpers that speak the HTTP contract
//! (requests and their answers: [`http`]).

pub mod events;
pub mod http;
pub mod invariants;
pub mod memory_sizes;
pub mod proxy;
pub mod race;
pub mod runtime_api;
pub mod samples;
pub mod seed;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextMut,
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_accounts::{Accounts, LoginGuardKey};
use tenantry_dev::{Router, template};
use tenantry_http::{App, SigningKeys, Tokens};
use tenantry_store::{Store, StoreConfig, TableSpec, UserItem, UserKey};

pub use crate::http::{Answer, Request};

pub const ROOT_PASSWORD: &str = "platform-password-for-tests";
pub const PASSWORD: &str = "a-long-enough-password";

/// The base64 body of the test signing key's PKCS#8 PEM: RFC 8032's first test key, public
/// knowledge, for tests only.
macro_rules! signing_key_body {
    () => {
        "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g"
    };
}
/// The kid every test stack signs its tokens under.
pub const SIGNING_KID: &str = "test-2026-11";
/// The body of the test signing key's PEM (what must never be logged).
pub const SIGNING_KEY_PEM_BODY: &str = signing_key_body!();
/// The key set of every test stack: the test key, active.
pub const SIGNING_KEYS: &str = concat!(
    r#"{"active":"test-2026-11","keys":[{"kid":"test-2026-11","private_key":"#,
    r#""-----BEGIN PRIVATE KEY-----\n"#,
    signing_key_body!(),
    r#"\n-----END PRIVATE KEY-----\n"}]}"#
);

/// The verifying set of every test stack (`TENANTRY_VERIFYING_KEYS`): the test key's public part
/// only, for the functions that verify tokens and never sign them.
pub const VERIFYING_KEYS: &str = r#"{"keys":[{"kid":"test-2026-11","public_key":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}"#;

/// The test key set, parsed.
pub fn signing_keys() -> SigningKeys {
    SigningKeys::parse(SIGNING_KEYS).expect("the test key set is valid")
}

/// The login guard key of every test stack (`TENANTRY_LOGIN_GUARD_KEY`).
pub const LOGIN_GUARD_KEY: &str = "tenantry-tests-login-guard-key-0123456789";

/// The test login guard key, parsed.
pub fn login_guard_key() -> LoginGuardKey {
    LoginGuardKey::parse(LOGIN_GUARD_KEY).expect("the test login guard key is valid")
}

/// The failed-login counter of `username` (as typed) in `tenant`, as test stacks name it.
pub fn login_guard(tenant: &str, username: &str) -> String {
    let name = tenantry_accounts::input::Username::parse(username).expect("a valid username");
    login_guard_key().guard(tenant, &name)
}

/// The test signing key, to forge tokens the way the API signs them (EdDSA, kid `SIGNING_KID`).
pub fn test_encoding_key() -> jsonwebtoken::EncodingKey {
    use base64::Engine;
    tenantry_http::install_jwt_crypto();
    let der = base64::engine::general_purpose::STANDARD
        .decode(SIGNING_KEY_PEM_BODY)
        .expect("the test key is base64");
    jsonwebtoken::EncodingKey::from_ed_der(&der)
}

/// The DynamoDB Local `make test` started.
pub fn endpoint() -> String {
    std::env::var("TENANTRY_TEST_DYNAMODB_ENDPOINT").expect(
        "TENANTRY_TEST_DYNAMODB_ENDPOINT is not set: run the suite with `make test`, \
         which starts DynamoDB Local and sets it",
    )
}

/// Counts DynamoDB HTTP requests by operation (every attempt, retries included), records the
/// IAM actions they need (a transaction needs one per kind of item it holds) and, per action,
/// the partition key values they name (what IAM's `dynamodb:LeadingKeys` sees), and counts the
/// transactions that committed (once per client request token: a retry of an applied
/// transaction is answered from DynamoDB's idempotency record and is not a second commit).
#[derive(Debug, Default, Clone)]
pub struct RoundTrips(
    Arc<Mutex<HashMap<String, u64>>>,
    Arc<Mutex<std::collections::BTreeSet<String>>>,
    Arc<Mutex<std::collections::HashSet<String>>>,
    Arc<Mutex<LeadingKeys>>,
);

/// Partition key values by IAM action (`dynamodb:GetItem` -> {`TENANT#acme`, ...}).
pub type LeadingKeys = std::collections::BTreeMap<String, std::collections::BTreeSet<String>>;

/// The client request token of the transaction an attempt carries.
#[derive(Debug, Clone)]
struct TransactionToken(String);

impl Storable for TransactionToken {
    type Storer = StoreReplace<Self>;
}

impl RoundTrips {
    pub fn reset(&self) {
        self.0.lock().unwrap().clear();
        self.1.lock().unwrap().clear();
        self.2.lock().unwrap().clear();
        self.3.lock().unwrap().clear();
    }
    /// The partition key values each IAM action named since the last reset: an item's `PK`,
    /// or for a query the partition key value of the table or index it reads.
    pub fn leading_keys(&self) -> LeadingKeys {
        self.3.lock().unwrap().clone()
    }
    /// Transactions acknowledged as committed since the last reset.
    pub fn commits(&self) -> u64 {
        self.2.lock().unwrap().len() as u64
    }
    /// The IAM actions (`dynamodb:PutItem`...) the requests since the last reset needed.
    pub fn iam_actions(&self) -> std::collections::BTreeSet<String> {
        self.1.lock().unwrap().clone()
    }
    pub fn total(&self) -> u64 {
        self.0.lock().unwrap().values().sum()
    }
    pub fn by_operation(&self) -> HashMap<String, u64> {
        self.0.lock().unwrap().clone()
    }
}

impl Intercept for RoundTrips {
    fn name(&self) -> &'static str {
        "RoundTrips"
    }
    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let committed = context.response().is_some_and(|r| r.status().is_success());
        if let (true, Some(TransactionToken(token))) = (committed, cfg.load::<TransactionToken>()) {
            self.2.lock().unwrap().insert(token.clone());
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        // `DynamoDB_20120810.GetItem`, `DynamoDBStreams_20120810.GetRecords`, `AWSEvents.PutEvents`.
        let header = request.headers().get("x-amz-target").unwrap_or("unknown");
        let (service, target) = header.rsplit_once('.').unwrap_or(("", header));
        let prefix = if service.starts_with("AWSEvents") {
            "events"
        } else {
            "dynamodb"
        };
        let target = target.to_owned();
        let mut actions = self.1.lock().unwrap();
        let body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        if prefix == "dynamodb" {
            let mut leading = self.3.lock().unwrap();
            for (action, value) in partition_keys(&target, &body) {
                leading
                    .entry(format!("dynamodb:{action}"))
                    .or_default()
                    .insert(value);
            }
        }
        if target == "TransactWriteItems" {
            if let Some(token) = body["ClientRequestToken"].as_str() {
                cfg.interceptor_state()
                    .store_put(TransactionToken(token.to_owned()));
            }
            for item in body["TransactItems"].as_array().into_iter().flatten() {
                for kind in item.as_object().into_iter().flat_map(|o| o.keys()) {
                    let action = if kind == "ConditionCheck" {
                        "ConditionCheckItem".to_owned()
                    } else {
                        format!("{kind}Item")
                    };
                    actions.insert(format!("dynamodb:{action}"));
                }
            }
        } else {
            actions.insert(format!("{prefix}:{target}"));
        }
        *self.0.lock().unwrap().entry(target).or_default() += 1;
        Ok(())
    }
}

/// The partition key values a DynamoDB request names, with the IAM action each one is checked
/// under: the `PK` of every item it reads or writes, and for a query the value its key
/// condition gives the partition key (`PK`, or the index's, which comes first).
fn partition_keys(target: &str, body: &Value) -> Vec<(String, String)> {
    let pk = |item: &Value| item["PK"]["S"].as_str().map(str::to_owned);
    let mut found = Vec::new();
    let mut add = |action: &str, value: Option<String>| {
        found.push((action.to_owned(), value.unwrap_or_else(|| "?".into())));
    };
    match target {
        "GetItem" | "DeleteItem" | "UpdateItem" => add(target, pk(&body["Key"])),
        "PutItem" => add(target, pk(&body["Item"])),
        "BatchGetItem" => {
            for table in body["RequestItems"].as_object().into_iter().flatten() {
                for key in table.1["Keys"].as_array().into_iter().flatten() {
                    add(target, pk(key));
                }
            }
        }
        "BatchWriteItem" => {
            for table in body["RequestItems"].as_object().into_iter().flatten() {
                for write in table.1.as_array().into_iter().flatten() {
                    add(
                        target,
                        pk(&write["PutRequest"]["Item"]).or(pk(&write["DeleteRequest"]["Key"])),
                    );
                }
            }
        }
        "TransactWriteItems" | "TransactGetItems" => {
            for item in body["TransactItems"].as_array().into_iter().flatten() {
                for (kind, part) in item.as_object().into_iter().flatten() {
                    let action = match kind.as_str() {
                        "ConditionCheck" => "ConditionCheckItem".to_owned(),
                        other => format!("{other}Item"),
                    };
                    add(&action, pk(&part["Item"]).or(pk(&part["Key"])));
                }
            }
        }
        "Query" => {
            let condition = body["KeyConditionExpression"].as_str().unwrap_or_default();
            let name = |token: &str| match token.strip_prefix('#') {
                Some(_) => body["ExpressionAttributeNames"][token]
                    .as_str()
                    .unwrap_or(token)
                    .to_owned(),
                None => token.to_owned(),
            };
            let equalities: Vec<(String, &str)> = condition
                .split(" AND ")
                .filter_map(|part| part.split_once('='))
                .filter(|(left, _)| !left.ends_with(['<', '>']))
                .map(|(left, right)| (name(left.trim()), right.trim()))
                .collect();
            let partition = if body["IndexName"].is_string() {
                equalities.first()
            } else {
                equalities.iter().find(|(attribute, _)| attribute == "PK")
            };
            let value = partition
                .and_then(|(_, placeholder)| {
                    body["ExpressionAttributeValues"][placeholder]["S"].as_str()
                })
                .map(str::to_owned);
            add(target, value);
        }
        _ => {}
    }
    found
}

/// Makes the next `TransactWriteItems` calls fail the way real DynamoDB can and DynamoDB Local
/// never does: the request is emptied so nothing commits, and the answer is a
/// `TransactionCanceledException` with the given reason code on the transaction's second
/// part (the target). Each injection is one round trip that really reached the server.
#[derive(Default, Clone)]
pub struct Faults(Arc<Mutex<Vec<&'static str>>>, Arc<Mutex<Vec<Hook>>>);

type Hook = Box<dyn FnOnce() + Send>;

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Faults")
            .field(&self.0)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
struct Injected(&'static str);

impl Storable for Injected {
    type Storer = StoreReplace<Self>;
}

impl Faults {
    /// The next `n` transactions are cancelled with `code` (e.g. `TransactionConflict`).
    pub fn cancel_next(&self, n: usize, code: &'static str) {
        *self.0.lock().unwrap() = vec![code; n];
    }

    pub fn pending(&self) -> usize {
        self.0.lock().unwrap().len() + self.1.lock().unwrap().len()
    }

    /// Runs `change` after the next transaction was decided and just before it is sent:
    /// the window in which a concurrent request can make the snapshot stale.
    pub fn before_next_transaction(&self, change: impl FnOnce() + Send + 'static) {
        self.1.lock().unwrap().push(Box::new(change));
    }
}

impl Intercept for Faults {
    fn name(&self) -> &'static str {
        "Faults"
    }

    fn modify_before_signing(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let is_transaction = request
            .headers()
            .get("x-amz-target")
            .is_some_and(|t| t.ends_with(".TransactWriteItems"));
        if !is_transaction {
            return Ok(());
        }
        if let Some(hook) = self.1.lock().unwrap().pop() {
            hook();
        }
        let Some(code) = self.0.lock().unwrap().pop() else {
            return Ok(());
        };
        // An empty transaction is refused by the server: nothing of the real one commits.
        let empty = r#"{"TransactItems":[]}"#;
        *request.body_mut() = SdkBody::from(empty);
        request
            .headers_mut()
            .insert("content-length", empty.len().to_string());
        cfg.interceptor_state().store_put(Injected(code));
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Injected(code)) = cfg.load::<Injected>().cloned() else {
            return Ok(());
        };
        cfg.interceptor_state().unset::<Injected>();
        let body = json!({
            "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Message": format!("Transaction cancelled, please refer cancellation reasons for specific reasons [None, {code}, None]"),
            "CancellationReasons": [{"Code": "None"}, {"Code": code, "Message": "injected"}, {"Code": "None"}],
        })
        .to_string();
        let response = context.response_mut();
        *response.status_mut() = 400u16.try_into()?;
        response
            .headers_mut()
            .insert("content-type", "application/x-amz-json-1.0");
        response.headers_mut().remove("x-amzn-errortype");
        *response.body_mut() = SdkBody::from(body);
        Ok(())
    }
}

/// A purge date long past, as [`backdate_purge`] sets it.
pub const LONG_AGO: &str = "2000-01-01T00:00:00.000Z";

/// Moves a deleted user's purge date to [`LONG_AGO`], as time would: its restore window is
/// closed and the purge finds it due.
pub async fn backdate_purge(store: &Store, tenant: &str, user_id: &str) {
    backdate(
        store,
        &format!("TENANT#{tenant}"),
        &format!("USER#{user_id}"),
        "purge_after",
    )
    .await;
}

/// Moves the time `attribute` of the item `pk`/`sk` to [`LONG_AGO`], as time would.
pub async fn backdate(store: &Store, pk: &str, sk: &str, attribute: &str) {
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("PK", AttributeValue::S(pk.to_owned()))
        .key("SK", AttributeValue::S(sk.to_owned()))
        .update_expression("SET #a = :p")
        .expression_attribute_names("#a", attribute)
        .expression_attribute_values(":p", AttributeValue::S(LONG_AGO.into()))
        .send()
        .await
        .unwrap();
}

/// Sets attributes of a user item directly (as another request would have), bumping its
/// version; blocking, for use inside `Faults::before_next_transaction`.
pub fn set_user_blocking(store: &Store, tenant: &str, user_id: &str, role: &str, is_owner: bool) {
    update_item_blocking(
        store,
        &format!("TENANT#{tenant}"),
        &format!("USER#{user_id}"),
        "SET #r = :r, is_owner = :o ADD version :one",
        &[("#r", "role")],
        vec![
            (":r", AttributeValue::S(role.to_owned())),
            (":o", AttributeValue::Bool(is_owner)),
            (":one", AttributeValue::N("1".into())),
        ],
    );
}

/// Runs `update` (with `names` and `values`) on the item `pk`/`sk` from a thread of its own
/// and waits for it: for `Faults::before_next_transaction`, whose hooks run inside a request.
pub fn update_item_blocking(
    store: &Store,
    pk: &str,
    sk: &str,
    update: &str,
    names: &[(&str, &str)],
    values: Vec<(&str, AttributeValue)>,
) {
    let mut request = store
        .client()
        .update_item()
        .table_name(store.table())
        .key("PK", AttributeValue::S(pk.to_owned()))
        .key("SK", AttributeValue::S(sk.to_owned()))
        .update_expression(update);
    for (name, attribute) in names {
        request = request.expression_attribute_names(*name, *attribute);
    }
    for (name, value) in values {
        request = request.expression_attribute_values(name, value);
    }
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(request.send())
            .unwrap();
    })
    .join()
    .unwrap();
}

/// One isolated stack: its own table, app, router and root token.
pub struct Stack {
    pub app: Arc<App>,
    pub router: Arc<Router>,
    pub store: Store,
    pub round_trips: RoundTrips,
    pub faults: Faults,
    pub root_token: String,
    pub root_id: String,
}

static TABLES: AtomicU64 = AtomicU64::new(0);

/// The table `template` declares, with its stream only when `stream`. Tables without one are
/// faster to write to on DynamoDB Local, and they keep its stream readers fast: it keeps the
/// stream records of all its tables together and scans them on every `GetRecords`, so a bulk
/// write to a table with a stream (100,000-odd records) made another table's polls take minutes.
pub fn table_spec(template: &template::Template, stream: bool) -> TableSpec {
    let mut table = template.table().expect("the table in template.yaml");
    if !stream {
        table.stream_view_type = None;
    }
    table
}

impl Stack {
    pub async fn new() -> Stack {
        Stack::with_endpoint(&endpoint(), 3).await
    }

    /// A stack whose DynamoDB traffic goes through a fault proxy on `schedule` (`None`: no
    /// proxy). The faults are off while the stack is set up: turn them on with
    /// `proxy.set_enabled(true)`.
    pub async fn with_faults(
        schedule: Option<proxy::Schedule>,
    ) -> (Stack, Option<proxy::FaultProxy>) {
        match schedule {
            None => (Stack::new().await, None),
            Some(schedule) => {
                let proxy = proxy::FaultProxy::start(&endpoint(), schedule).await;
                proxy.set_enabled(false);
                (
                    Stack::with_endpoint(&proxy.endpoint(), 3).await,
                    Some(proxy),
                )
            }
        }
    }

    /// A stack whose store points at `endpoint` (a dead one, to test outages), with the table
    /// created only if the endpoint answers.
    pub async fn with_endpoint(endpoint: &str, max_attempts: u32) -> Stack {
        Stack::build(endpoint, max_attempts, false).await
    }

    /// A stack whose table has the stream `template.yaml` declares, from its first write on,
    /// for the lifecycle events tests. The other stacks' tables have none: DynamoDB Local
    /// writes every stream record too, and is several times slower at bulk writes with one.
    pub async fn with_events() -> Stack {
        Stack::build(&endpoint(), 3, true).await
    }

    pub(crate) async fn build(endpoint: &str, max_attempts: u32, stream: bool) -> Stack {
        let table = format!(
            "t{}-{}",
            TABLES.fetch_add(1, Ordering::Relaxed),
            uuid::Uuid::now_v7().simple()
        );
        let config = StoreConfig {
            table,
            region: "us-east-1".into(),
            endpoint: Some(endpoint.to_owned()),
            max_attempts,
        };
        let round_trips = RoundTrips::default();
        let faults = Faults::default();
        let (counter, injector) = (round_trips.clone(), faults.clone());
        let store = Store::connect_with(&config, move |b| {
            b.interceptor(counter).interceptor(injector)
        })
        .await;
        let template = template::Template::load(&template::default_path()).unwrap();
        let app = Arc::new(App {
            accounts: Accounts::new(store.clone(), Some(login_guard_key())),
            tokens: Tokens::new(&signing_keys(), "tenantry", "tenantry-api", 900),
        });
        let router = Arc::new(Router::new(Arc::clone(&app), &template.routes().unwrap()).unwrap());
        let mut stack = Stack {
            app,
            router,
            store,
            round_trips,
            faults,
            root_token: String::new(),
            root_id: String::new(),
        };
        if stack
            .store
            .create_table(&table_spec(&template, stream))
            .await
            .is_ok()
        {
            assert!(
                stack
                    .app
                    .accounts
                    .bootstrap_super_admin("root", "root@platform.invalid", ROOT_PASSWORD)
                    .await
                    .unwrap()
            );
            stack.root_token = stack.login("platform", "root", ROOT_PASSWORD).await;
            stack.root_id = stack.me(&stack.root_token.clone()).await["id"]
                .as_str()
                .unwrap()
                .to_owned();
        }
        stack
    }

    /// `(status, body)` of one request through the dev router: a thin wrapper over
    /// [`Request::send`] for the log scenario (`tests/tests/api/logs.rs`); tests send a
    /// [`Request`] and read its [`Answer`].
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let answer = Request::new(method, path)
            .maybe_token(token)
            .maybe_json(body)
            .send(self)
            .await;
        (answer.status, answer.body)
    }

    /// The user's item as it is on the table now (`None` if missing).
    pub async fn user_item(&self, tenant: &str, user_id: &str) -> Option<UserItem> {
        self.store
            .get_user(UserKey {
                tenant_id: tenant,
                user_id,
            })
            .await
            .unwrap()
    }

    /// A token for the user's current epoch in a new session, exactly as a login would issue
    /// it, without argon2's cost (races need thousands); with the user as it is now. `None` if
    /// missing.
    pub async fn token_of(&self, tenant: &str, user_id: &str) -> Option<(String, UserItem)> {
        let key = UserKey {
            tenant_id: tenant,
            user_id,
        };
        let user = self.store.get_user(key).await.ok()??;
        let session = self.app.accounts.open_session(&user).await.ok()?;
        Some((self.app.tokens.issue(&session.principal).unwrap(), user))
    }

    pub async fn login(&self, tenant: &str, username: &str, password: &str) -> String {
        let answer = Request::post("/auth/login")
            .json(json!({"tenant": tenant, "username": username, "password": password}))
            .send(self)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "login {tenant}/{username}: {}",
            answer.body
        );
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn me(&self, token: &str) -> Value {
        Request::get("/me")
            .token(token)
            .send(self)
            .await
            .expect(StatusCode::OK)
            .body
    }

    /// Creates tenant `id` with owner `<id>-owner`; returns (owner id, owner token).
    pub async fn tenant(&self, id: &str) -> (String, String) {
        let owner = format!("{id}-owner");
        let answer = Request::post("/tenants")
            .token(&self.root_token)
            .json(json!({
                "id": id,
                "name": format!("Tenant {id}"),
                "owner": {"username": owner, "email": format!("{owner}@{id}.test"), "password": PASSWORD}
            }))
            .send(self)
            .await
            .expect(StatusCode::CREATED);
        let token = self.login(id, &owner, PASSWORD).await;
        (
            answer.body["owner"]["id"].as_str().unwrap().to_owned(),
            token,
        )
    }

    /// Creates `username` with `role` in `tenant` as `token`; returns (id, the user's token).
    pub async fn user(
        &self,
        tenant: &str,
        token: &str,
        username: &str,
        role: &str,
    ) -> (String, String) {
        let created = self
            .create_user(tenant, token, username, role)
            .await
            .expect(StatusCode::CREATED);
        let user_token = self.login(tenant, username, PASSWORD).await;
        (created.id(), user_token)
    }

    /// `username` with `role` in `tenant`, created as `token` (email `<username>@<tenant>.test`).
    pub async fn create_user(
        &self,
        tenant: &str,
        token: &str,
        username: &str,
        role: &str,
    ) -> Answer {
        Request::post(format!("/tenants/{tenant}/users"))
            .token(token)
            .json(json!({
                "username": username,
                "email": format!("{username}@{tenant}.test"),
                "password": PASSWORD,
                "role": role
            }))
            .send(self)
            .await
    }

    pub async fn delete(&self, tenant: &str, user_id: &str, token: &str) -> Answer {
        Request::delete(format!("/tenants/{tenant}/users/{user_id}"))
            .token(token)
            .send(self)
            .await
    }

    pub async fn restore(&self, tenant: &str, user_id: &str, token: &str) -> Answer {
        Request::post(format!("/tenants/{tenant}/users/{user_id}/restore"))
            .token(token)
            .send(self)
            .await
    }

    pub async fn get(&self, tenant: &str, user_id: &str, token: &str) -> Answer {
        Request::get(format!("/tenants/{tenant}/users/{user_id}"))
            .token(token)
            .send(self)
            .await
    }

    /// The audit actions recorded against `target` in `tenant`, newest first.
    pub async fn audit_actions(&self, tenant: &str, target: &str) -> Vec<String> {
        let events = self.store.list_audit(tenant).await.unwrap();
        events
            .into_iter()
            .filter(|e| e.target_id == target)
            .map(|e| e.action)
            .collect()
    }

    /// How many times `target` was deleted, by the audit log.
    pub async fn deletions_of(&self, tenant: &str, target: &str) -> usize {
        let actions = self.audit_actions(tenant, target).await;
        actions.iter().filter(|a| *a == "user.delete").count()
    }

    /// The ids of a listing (one page of up to 100).
    pub async fn list_ids(&self, tenant: &str, state: &str, token: &str) -> Vec<String> {
        let answer = Request::get(format!("/tenants/{tenant}/users?state={state}&limit=100"))
            .token(token)
            .send(self)
            .await
            .expect(StatusCode::OK);
        answer.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["id"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl http::Dispatch for Stack {
    fn router(&self) -> &Router {
        &self.router
    }
}
