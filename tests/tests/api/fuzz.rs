//! Property-based fuzzing of request parsing, through the real handlers behind the dev router
//! on DynamoDB Local: arbitrary bytes, JSON values and near-valid bodies for every endpoint
//! with a body; arbitrary query strings for the listings (`state`, `limit`, `cursor`);
//! arbitrary path parameters, methods and tokens on every route. The property, every time:
//! no panic, no 5xx; a 4xx is an RFC 9457 problem (`application/problem+json`, `code`,
//! `type`, the same `status`), a 2xx is JSON. Inputs valid enough to reach DynamoDB do so.
//!
//! `PROPTEST_CASES` sets the number of cases of each property (default 1,024 here, a few
//! seconds each on 2 cores); a long run, on DynamoDB Local:
//! `PROPTEST_CASES=20000 cargo nextest run -p tenantry-tests fuzz`.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use lambda_http::http::StatusCode;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Map, Value, json};
use tenantry_tests::{Answer, PASSWORD, Request, Stack};

fn config() -> Config {
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 1024;
    }
    config.failure_persistence = None;
    config
}

/// A stack with one tenant and people to aim at, and tokens of several kinds.
struct Api {
    runtime: tokio::runtime::Runtime,
    stack: Stack,
    /// The tenant's first owner and an agent: their tokens are minted afresh for each case,
    /// so that a role change made by an earlier case does not silence the rest of the run.
    owner_id: String,
    agent_id: String,
    ben_id: String,
    ada_id: String,
    /// Answers seen, by status and code, for the report.
    seen: Mutex<BTreeMap<String, usize>>,
    /// Makes `FRESH` in a body a name never used before.
    fresh: AtomicU64,
}

impl Api {
    fn new() -> Api {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (stack, owner_id, agent_id, ben_id, ada_id) = runtime.block_on(async {
            let stack = Stack::new().await;
            let (owner_id, owner) = stack.tenant("acme").await;
            stack.tenant("globex").await;
            let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
            let (ada_id, _) = stack.user("acme", &owner, "ada", "admin").await;
            let (agent_id, _) = stack.user("acme", &owner, "sam", "agent").await;
            (stack, owner_id, agent_id, ben_id, ada_id)
        });
        Api {
            runtime,
            stack,
            owner_id,
            agent_id,
            ben_id,
            ada_id,
            seen: Mutex::default(),
            fresh: AtomicU64::new(0),
        }
    }

    /// Puts real ids and fresh names in for their placeholders.
    fn fill(&self, text: &str) -> String {
        let fresh = self.fresh.fetch_add(1, Ordering::Relaxed).to_string();
        text.replace("ID-BEN", &self.ben_id)
            .replace("ID-ADA", &self.ada_id)
            .replace("ID-ROOT", &self.stack.root_id)
            .replace("FRESH", &fresh)
    }

    fn token(&self, who: Who) -> Option<String> {
        let mint = |tenant: &str, id: &str| {
            let minted = self.runtime.block_on(self.stack.token_of(tenant, id));
            minted.map(|(token, _)| token)
        };
        match who {
            Who::Nobody => None,
            Who::Root => mint("platform", &self.stack.root_id),
            Who::Owner => mint("acme", &self.owner_id),
            Who::Agent => mint("acme", &self.agent_id),
            Who::Garbage => Some("not.a.token".into()),
        }
    }

    /// Sends one request through the router and checks the answer's shape
    /// ([`Answer::read`]); counts what it answered.
    fn send(
        &self,
        method: &str,
        uri: &str,
        who: Who,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Result<StatusCode, TestCaseError> {
        let request = Request::new(method, uri)
            .maybe_token(self.token(who).as_deref())
            .body(content_type, body);
        let Ok(request) = request.build() else {
            // Not an HTTP request at all (API Gateway would not pass it on): nothing to test.
            return Ok(StatusCode::OK);
        };
        let response = self.runtime.block_on(self.stack.router.dispatch(request));
        let what = format!("{method} {uri}");
        let status = response.status();
        prop_assert!(
            !status.is_server_error(),
            "{what}: {status} {:?}",
            response.body()
        );
        let answer =
            Answer::read(response).map_err(|e| TestCaseError::fail(format!("{what}: {e}")))?;
        prop_assert!(!answer.body.is_null(), "{what}: no body");
        prop_assert!(
            status.is_success() || status.is_client_error(),
            "{what}: {status}"
        );
        let seen = if status.is_client_error() {
            format!("{} {}", status.as_u16(), answer.code())
        } else {
            status.as_u16().to_string()
        };
        *self.seen.lock().unwrap().entry(seen).or_default() += 1;
        Ok(status)
    }

    fn run<S: Strategy>(
        &self,
        name: &str,
        strategy: S,
        test: impl Fn(&Api, S::Value) -> Result<(), TestCaseError>,
    ) where
        S::Value: std::fmt::Debug,
    {
        let started = Instant::now();
        let mut runner = TestRunner::new(config());
        let cases = runner.config().cases;
        let result = runner.run(&strategy, |value| test(self, value));
        eprintln!(
            "{name}: {cases} cases in {:.2?}, answers {:?}",
            started.elapsed(),
            self.seen.lock().unwrap()
        );
        if let Err(failure) = result {
            panic!("{name}: {failure}");
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Who {
    Nobody,
    Root,
    Owner,
    Agent,
    Garbage,
}

fn who() -> impl Strategy<Value = Who> {
    prop_oneof![
        1 => Just(Who::Nobody),
        3 => Just(Who::Root),
        4 => Just(Who::Owner),
        2 => Just(Who::Agent),
        1 => Just(Who::Garbage),
    ]
}

/// Strings an attacker or a sloppy client would send.
fn nasty_string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "ben",
            "BEN",
            "\u{ff42}\u{ff45}\u{ff4e}",
            "b\u{0435}n",
            "admin",
            "super_admin",
            "agent",
            "user",
            "acme",
            "globex",
            "platform",
            "ben@acme.test",
            "x@y.io",
            "a-long-enough-password",
            "null",
            "true",
            "0",
            "-1",
            "1e400",
            "\u{0}",
            "\u{feff}",
            "../../etc/passwd",
            "%00",
            "{\"$ne\":null}",
            "' OR 1=1 --",
            "01a20a25-caee-7256-823d-16cc79460a61",
        ])
        .prop_map(str::to_owned),
        "[a-z0-9._@-]{0,40}",
        "\\PC{0,40}",
        any::<String>(),
        (1usize..5000).prop_map(|n| "x".repeat(n)),
    ]
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from), // NaN and infinities become null
        prop::sample::select(vec![
            0.0, -0.0, 1.0, 30.0, 30.5, 365.0, 366.0, 1e300, -1e300, 5e-324
        ])
        .prop_map(Value::from),
        nasty_string().prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(nasty_string(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An object made of the endpoint's own fields (each present or not) and maybe a stranger,
/// with values valid, nasty or of the wrong type.
fn near_valid(fields: &'static [(&'static str, &'static [&'static str])]) -> BoxedStrategy<Value> {
    let members: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .iter()
        .map(|(name, valid)| {
            let valid: Vec<Value> = valid.iter().map(|v| json!(v)).collect();
            let value = if valid.is_empty() {
                json_value().boxed()
            } else {
                // A string of any kind gets past the JSON shape to the field's own parser.
                prop_oneof![
                    4 => prop::sample::select(valid),
                    2 => nasty_string().prop_map(Value::String),
                    1 => json_value(),
                ]
                .boxed()
            };
            proptest::option::weighted(
                0.9,
                value.prop_map(move |value| ((*name).to_owned(), value)),
            )
            .boxed()
        })
        .collect();
    let stranger = proptest::option::weighted(0.1, (nasty_string(), json_leaf()));
    (members, stranger)
        .prop_map(|(members, stranger)| {
            let mut object: Map<String, Value> = members.into_iter().flatten().collect();
            if let Some((key, value)) = stranger {
                object.insert(key, value);
            }
            Value::Object(object)
        })
        .boxed()
}

/// A body: arbitrary bytes, arbitrary JSON, a near-valid object, or a near-valid object cut
/// short or with a byte changed.
fn body(
    fields: &'static [(&'static str, &'static [&'static str])],
) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..300),
        2 => json_value().prop_map(|v| v.to_string().into_bytes()),
        6 => near_valid(fields).prop_map(|v| v.to_string().into_bytes()),
        2 => (near_valid(fields), any::<prop::sample::Index>(), any::<u8>(), any::<bool>()).prop_map(
            |(v, at, byte, cut)| {
                let mut bytes = v.to_string().into_bytes();
                let i = at.index(bytes.len());
                if cut {
                    bytes.truncate(i);
                } else {
                    bytes[i] = byte;
                }
                bytes
            }
        ),
    ]
}

fn content_type() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        6 => Just(Some("application/json".to_owned())),
        1 => Just(None),
        1 => prop::sample::select(vec![
            "application/json; charset=utf-8", "APPLICATION/JSON", "application/problem+json",
            "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "",
        ])
        .prop_map(|s| Some(s.to_owned())),
        1 => "[ -~]{0,30}".prop_map(Some),
    ]
}

const LOGIN: &[(&str, &[&str])] = &[
    ("tenant", &["acme", "platform", "globex", "nope"]),
    ("username", &["ben", "BEN", "root", "ada"]),
    ("password", &[PASSWORD, "wrong-password-123"]),
];
const TENANT: &[(&str, &[&str])] = &[
    ("id", &["t-FRESH", "t-FRESH", "acme", "platform", "n"]),
    ("name", &["Newco", " "]),
    ("owner", &[]),
];
const OWNER: &[(&str, &[&str])] = &[
    (
        "username",
        &["nora-FRESH", "ben", "\u{ff4e}\u{ff4f}\u{ff52}\u{ff41}"],
    ),
    ("email", &["nora-FRESH@newco.test", "bad"]),
    ("password", &[PASSWORD, "short"]),
];
const USER: &[(&str, &[&str])] = &[
    (
        "username",
        &["carl-FRESH", "carl-FRESH", "ben", "BEN", "b\u{0435}n"],
    ),
    (
        "email",
        &[
            "carl-FRESH@acme.test",
            "carl-FRESH@acme.test",
            "ben@acme.test",
            "nope",
        ],
    ),
    ("password", &[PASSWORD, "short"]),
    ("role", &["user", "agent", "admin", "super_admin", "owner"]),
];
const PATCH_USER: &[(&str, &[&str])] = &[
    ("role", &["user", "agent", "admin", "super_admin"]),
    (
        "email",
        &["ben.new@acme.test", "ben@acme.test", "ada@acme.test", "bad"],
    ),
];
const TRANSFER: &[(&str, &[&str])] = &[("new_owner_id", &["ID-ADA", "ID-BEN", "nobody"])];
const RETENTION: &[(&str, &[&str])] = &[("retention_days", &[])];

/// The owner of a new tenant is an object of its own.
fn tenant_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        body(TENANT),
        (near_valid(TENANT), near_valid(OWNER)).prop_map(|(mut tenant, owner)| {
            tenant["owner"] = owner;
            tenant.to_string().into_bytes()
        }),
    ]
}

fn retention_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        body(RETENTION),
        json_leaf().prop_map(|days| json!({"retention_days": days}).to_string().into_bytes()),
    ]
}

#[test]
fn fuzzed_request_bodies_never_panic_nor_answer_5xx() {
    let api = Api::new();
    let endpoints = prop_oneof![
        body(LOGIN).prop_map(|b| (0usize, b)),
        tenant_body().prop_map(|b| (1, b)),
        body(USER).prop_map(|b| (2, b)),
        body(PATCH_USER).prop_map(|b| (3, b)),
        body(TRANSFER).prop_map(|b| (4, b)),
        retention_body().prop_map(|b| (5, b)),
    ];
    api.run(
        "request bodies",
        (endpoints, who(), content_type()),
        |api, ((endpoint, body), who, content_type)| {
            let ben = format!("/tenants/acme/users/{}", api.ben_id);
            let (method, uri) = match endpoint {
                0 => ("POST", "/auth/login"),
                1 => ("POST", "/tenants"),
                2 => ("POST", "/tenants/acme/users"),
                3 => ("PATCH", ben.as_str()),
                4 => ("POST", "/tenants/acme/ownership"),
                _ => ("PATCH", "/tenants/acme"),
            };
            // Let transfers name real people, and creates use names still free.
            let body = match String::from_utf8(body) {
                Ok(text) => api.fill(&text).into_bytes(),
                Err(not_text) => not_text.into_bytes(),
            };
            api.send(method, uri, who, content_type.as_deref(), body)?;
            Ok(())
        },
    );
}

/// Percent-encodes every byte but the unreserved ones.
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| (n << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

fn query_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "0",
            "1",
            "50",
            "100",
            "101",
            "9999",
            "10000",
            "-1",
            "+1",
            "1e2",
            "0x10",
            " 1",
            "\u{ff11}\u{ff10}",
            "active",
            "deleted",
            "all",
            "ALL",
            "trash",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        "[0-9]{1,30}".prop_map(String::into_bytes),
        any::<String>().prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..40),
        cursor(),
    ]
}

/// Cursor-shaped: base64 of user ids, of audit sort keys, or of anything.
fn cursor() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "[ -~]{0,80}".prop_map(String::into_bytes),
        "[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
            .prop_map(String::into_bytes),
        "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\\.[0-9]{3}Z#[0-9a-f-]{36}"
            .prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..80),
    ]
    .prop_map(|raw| base64(&raw).into_bytes())
}

#[test]
fn fuzzed_listing_query_strings_never_panic_nor_answer_5xx() {
    let api = Api::new();
    let key = prop_oneof![
        4 => prop::sample::select(vec!["state", "limit", "cursor"]).prop_map(|k| k.as_bytes().to_vec()),
        1 => proptest::collection::vec(any::<u8>(), 0..10),
    ];
    let pairs = proptest::collection::vec((key, query_value()), 0..5);
    // Each known parameter at most once, its value mostly of the right kind.
    let known = (
        proptest::option::of(prop_oneof![
            3 => prop::sample::select(vec!["active", "deleted", "all"]).prop_map(|s| s.as_bytes().to_vec()),
            1 => query_value(),
        ]),
        proptest::option::of(prop_oneof![
            3 => "[1-9][0-9]?".prop_map(String::into_bytes),
            1 => "[0-9]{1,4}".prop_map(String::into_bytes),
            1 => query_value(),
        ]),
        proptest::option::of(prop_oneof![3 => cursor(), 1 => query_value()]),
    )
        .prop_map(|(state, limit, cursor)| {
            [("state", state), ("limit", limit), ("cursor", cursor)]
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode(&v))))
                .collect::<Vec<_>>()
                .join("&")
        });
    let query = prop_oneof![
        6 => known,
        4 => pairs.prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        }),
        // A raw query string: separators where they fall.
        1 => proptest::collection::vec(any::<u8>(), 0..60).prop_map(|bytes| {
            bytes
                .split(|b| *b == b'&')
                .map(|part| part.split(|b| *b == b'=').map(encode).collect::<Vec<_>>().join("="))
                .collect::<Vec<_>>()
                .join("&")
        }),
    ];
    let tenant = prop::sample::select(vec!["acme", "globex", "nope", "platform"]);
    let listing = prop::sample::select(vec!["users", "audit"]);
    api.run(
        "listing query strings",
        (listing, tenant, query, who()),
        |api, (listing, tenant, query, who)| {
            api.send(
                "GET",
                &format!("/tenants/{tenant}/{listing}?{query}"),
                who,
                None,
                Vec::new(),
            )?;
            Ok(())
        },
    );
}

/// A path parameter: real ids, near-misses, and anything (also bytes that are not UTF-8).
fn segment(real: Vec<&'static str>) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(real).prop_map(str::to_owned),
        2 => "[a-z0-9-]{0,70}",
        2 => nasty_string().prop_map(|s| encode(s.as_bytes())),
        1 => proptest::collection::vec(any::<u8>(), 0..80).prop_map(|b| encode(&b)),
        // Characters a path segment may carry as they are.
        1 => "[a-zA-Z0-9!$&'()*+,;=:@._~-]{0,20}",
    ]
}

#[test]
fn fuzzed_path_parameters_methods_and_tokens_never_panic_nor_answer_5xx() {
    let api = Api::new();
    // Mostly a method the route has; sometimes any.
    let routes = prop::sample::select(vec![
        ("GET", "/tenants/{t}/users/{u}"),
        ("PATCH", "/tenants/{t}/users/{u}"),
        ("DELETE", "/tenants/{t}/users/{u}"),
        ("POST", "/tenants/{t}/users/{u}/restore"),
        ("POST", "/tenants/{t}/users/{u}/purge"),
        ("GET", "/tenants/{t}/users"),
        ("POST", "/tenants/{t}/users"),
        ("POST", "/tenants/{t}/ownership"),
        ("GET", "/tenants/{t}/audit"),
        ("PATCH", "/tenants/{t}"),
        ("POST", "/tenants"),
        ("GET", "/me"),
        ("GET", "/health"),
        ("GET", "/.well-known/jwks.json"),
        ("POST", "/auth/login"),
    ]);
    let any_method = prop::sample::select(vec![
        "GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS",
    ]);
    let routes = (routes, proptest::option::weighted(0.15, any_method))
        .prop_map(|((method, route), other)| (other.unwrap_or(method), route));
    let bodies = prop::sample::select(vec![
        None,
        Some(json!({"role": "agent"})),
        Some(json!({"email": "moved@acme.test"})),
        Some(json!({"retention_days": 3})),
        Some(json!({"new_owner_id": "ID-ADA"})),
        Some(
            json!({"username": "carl", "email": "carl@acme.test", "password": PASSWORD, "role": "user"}),
        ),
    ]);
    let tenants = segment(vec!["acme", "globex", "platform", "nope"]);
    let users = segment(vec![
        "ID-BEN",
        "ID-ADA",
        "ID-ROOT",
        "01a20a25-caee-7256-823d-16cc79460a61",
    ]);
    api.run(
        "path parameters, methods and tokens",
        (routes, tenants, users, bodies, who()),
        |api, ((method, route), tenant, user, body, who)| {
            let user = api.fill(&user);
            let path = route.replace("{t}", &tenant).replace("{u}", &user);
            let body = body
                .map(|b| api.fill(&b.to_string()).into_bytes())
                .unwrap_or_default();
            let kind = (!body.is_empty()).then_some("application/json");
            api.send(method, &path, who, kind, body)?;
            Ok(())
        },
    );
}
