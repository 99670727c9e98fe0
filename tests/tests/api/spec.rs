//! `infra/openapi.yaml` cannot drift from the code. It declares exactly the routes of
//! `template.yaml`, which the dev router serves; it documents exactly the problem codes the code
//! can produce (each with its status), and per operation exactly the refusals the policy can
//! give; and every answer of a session through every operation conforms to the documented
//! response of its operation: status, content type, required headers and body (JSON Schema
//! 2020-12, formats checked), while every request that succeeded conforms to the documented
//! request.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jsonschema::Validator;
use lambda_http::Body;
use lambda_http::http::{StatusCode, header};
use serde_json::{Value, json};
use tenantry_accounts::{Error, Principal};
use tenantry_dev::template::{self, Template};
use tenantry_http::Problem;
use tenantry_policy::{Action, Actor, ListScope, Member, Role, Target, decide};
use tenantry_tests::{Answer, PASSWORD, ROOT_PASSWORD, Request, Stack};

/// Nothing listens here: the store's requests fail to connect at once.
const DEAD_ENDPOINT: &str = "http://127.0.0.1:9";
const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE",
];
/// The problem schemas of the spec; every problem the code can produce is one of them.
const PROBLEM_SCHEMAS: [&str; 5] = [
    "PlainProblem",
    "ValidationProblem",
    "HeldClaimProblem",
    "RestoreWindowClosedProblem",
    "LoginLockedProblem",
];

// ----------------------------------------------------------------------------- the spec

fn spec_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../infra/openapi.yaml")
}

/// One reference token of a JSON pointer.
fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `create-tenant` -> `createTenant`: a function's operationId.
fn camel(function: &str) -> String {
    let mut parts = function.split('-');
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        let mut chars = part.chars();
        out.extend(chars.next().map(|c| c.to_ascii_uppercase()));
        out.push_str(chars.as_str());
    }
    out
}

/// The spec as JSON, with a validator per schema location.
struct Spec {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

impl Spec {
    fn load() -> Spec {
        let text = std::fs::read_to_string(spec_path()).unwrap();
        let doc: Value = serde_yaml::from_str(&text).expect("infra/openapi.yaml is not YAML");
        assert_eq!(doc["openapi"], "3.1.0");
        Spec {
            doc,
            validators: Mutex::default(),
        }
    }

    fn at(&self, pointer: &str) -> &Value {
        self.doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("the spec has nothing at #{pointer}"))
    }

    /// Follows `$ref`s from `pointer`: where they end, and the value there.
    fn deref(&self, mut pointer: String) -> (String, &Value) {
        loop {
            let value = self.at(&pointer);
            match value.get("$ref").and_then(Value::as_str) {
                Some(reference) => {
                    pointer = reference
                        .strip_prefix('#')
                        .unwrap_or_else(|| panic!("{reference} is not a local reference"))
                        .to_owned();
                }
                None => return (pointer, value),
            }
        }
    }

    /// Every operation: (METHOD, path) -> operationId.
    fn operations(&self) -> BTreeMap<(String, String), String> {
        let mut operations = BTreeMap::new();
        for (path, item) in self.doc["paths"].as_object().expect("no paths") {
            for (method, operation) in item.as_object().unwrap() {
                let method = method.to_ascii_uppercase();
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let id = operation["operationId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
                operations.insert((method, path.clone()), id.to_owned());
            }
        }
        operations
    }

    fn operation_pointer(&self, method: &str, path: &str) -> String {
        let pointer = format!("/paths/{}/{}", escape(path), method.to_ascii_lowercase());
        assert!(
            self.doc.pointer(&pointer).is_some(),
            "the spec has no operation {method} {path}"
        );
        pointer
    }

    /// The validator of the schema at `pointer`, within the whole document (so that its
    /// `$ref`s resolve).
    fn validator(&self, pointer: &str) -> Arc<Validator> {
        let mut cache = self.validators.lock().unwrap();
        if let Some(validator) = cache.get(pointer) {
            return Arc::clone(validator);
        }
        let mut root = self.doc.clone();
        root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
        // A URI fragment: the braces of path templates must be percent-encoded.
        let fragment = pointer.replace('{', "%7B").replace('}', "%7D");
        root["$ref"] = json!(format!("#{fragment}"));
        let validator = Arc::new(
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("the schema at #{pointer} does not compile: {e}")),
        );
        cache.insert(pointer.to_owned(), Arc::clone(&validator));
        validator
    }

    fn conforms(&self, pointer: &str, instance: &Value) -> Result<(), String> {
        let errors: Vec<String> = self
            .validator(pointer)
            .iter_errors(instance)
            .map(|e| format!("at `{}`: {e}", e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{instance} does not conform to #{pointer}: {}",
                errors.join("; ")
            ))
        }
    }

    /// Checks an answer of `method path` against the operation's response for its status.
    fn check_answer(&self, method: &str, path: &str, answer: &Answer) -> Result<(), String> {
        let status = answer.status.as_u16();
        let pointer = format!(
            "{}/responses/{status}",
            self.operation_pointer(method, path)
        );
        if self.doc.pointer(&pointer).is_none() {
            return Err(format!(
                "status {status} is not documented ({})",
                answer.body
            ));
        }
        self.check_response(pointer, answer)
    }

    /// Checks an answer against the response object at `pointer`: headers, content type, body.
    fn check_response(&self, pointer: String, answer: &Answer) -> Result<(), String> {
        let (pointer, response) = self.deref(pointer);
        for (name, _) in response["headers"].as_object().into_iter().flatten() {
            let (header_pointer, header) =
                self.deref(format!("{pointer}/headers/{}", escape(name)));
            match answer.headers.get(name.to_ascii_lowercase().as_str()) {
                None if header["required"] == true => {
                    return Err(format!("no {name} header ({})", answer.body));
                }
                None => {}
                Some(value) => self.conforms(
                    &format!("{header_pointer}/schema"),
                    &json!(value.to_str().unwrap()),
                )?,
            }
        }
        let kind = answer
            .headers
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned());
        match (response["content"].as_object(), kind) {
            (None, None) if answer.body.is_null() => Ok(()),
            (Some(content), Some(kind)) => {
                let essence = kind.split(';').next().unwrap_or("").trim();
                if !content.contains_key(essence) {
                    return Err(format!("Content-Type {kind} is not documented"));
                }
                self.conforms(
                    &format!("{pointer}/content/{}/schema", escape(essence)),
                    &answer.body,
                )
            }
            (content, kind) => Err(format!(
                "documented content {:?}, answered Content-Type {kind:?}",
                content.map(|c| c.keys().collect::<Vec<_>>())
            )),
        }
    }

    /// Checks a request that succeeded against the operation: its path and query parameters
    /// are documented and valid, and so is its JSON body.
    fn check_request(&self, req: &Req) -> Result<(), String> {
        let operation = self.operation_pointer(req.method, req.template);
        let item = format!("/paths/{}", escape(req.template));
        let mut documented = Vec::new();
        for base in [&item, &operation] {
            let count = self.at(base)["parameters"].as_array().map_or(0, Vec::len);
            for i in 0..count {
                documented.push(self.deref(format!("{base}/parameters/{i}")));
            }
        }
        let given: Vec<(&str, &str, &str)> = req
            .params
            .iter()
            .map(|(name, value)| ("path", *name, value.as_str()))
            .chain(
                req.query
                    .iter()
                    .map(|(name, value)| ("query", *name, value.as_str())),
            )
            .collect();
        for (location, name, value) in &given {
            let Some((pointer, _)) = documented
                .iter()
                .find(|(_, p)| p["in"] == *location && p["name"] == *name)
            else {
                return Err(format!("{location} parameter {name} is not documented"));
            };
            let (schema_pointer, schema) = self.deref(format!("{pointer}/schema"));
            let value = match schema["type"].as_str() {
                Some("integer") => value.parse::<i64>().map_or(json!(value), Value::from),
                _ => json!(value),
            };
            self.conforms(&schema_pointer, &value)?;
        }
        for (_, parameter) in &documented {
            let named = given
                .iter()
                .any(|(l, n, _)| parameter["in"] == *l && parameter["name"] == *n);
            if parameter["required"] == true && !named {
                return Err(format!(
                    "required parameter {} is missing",
                    parameter["name"]
                ));
            }
        }
        match (
            &req.json,
            self.doc.pointer(&format!("{operation}/requestBody")),
        ) {
            (None, None) => Ok(()),
            (Some(body), Some(_)) => {
                let (pointer, _) = self.deref(format!("{operation}/requestBody"));
                self.conforms(&format!("{pointer}/content/application~1json/schema"), body)
            }
            (body, documented) => Err(format!(
                "body {body:?}, documented request body: {}",
                documented.is_some()
            )),
        }
    }

    /// The values the schema of a response allows for a problem member (`code`, `status`):
    /// the consts and enums of that property, through `$ref`, `allOf`, `oneOf` and `anyOf`.
    fn member_values(&self, pointer: String, member: &str) -> BTreeSet<String> {
        let (pointer, response) = self.deref(pointer);
        let mut values = BTreeSet::new();
        for (media, _) in response["content"].as_object().into_iter().flatten() {
            self.collect_values(
                format!("{pointer}/content/{}/schema", escape(media)),
                member,
                &mut values,
            );
        }
        values
    }

    fn collect_values(&self, pointer: String, member: &str, values: &mut BTreeSet<String>) {
        let (pointer, schema) = self.deref(pointer);
        let property = &schema["properties"][member];
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        values.extend(property.get("const").map(text));
        values.extend(property["enum"].as_array().into_iter().flatten().map(text));
        for keyword in ["allOf", "oneOf", "anyOf"] {
            let count = schema[keyword].as_array().map_or(0, Vec::len);
            for i in 0..count {
                self.collect_values(format!("{pointer}/{keyword}/{i}"), member, values);
            }
        }
    }

    /// The catalogue: every documented code with its status.
    fn catalogue(&self) -> BTreeMap<String, u16> {
        self.at("/components/schemas/ProblemCode/oneOf")
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                let code = entry["const"].as_str().expect("a code without const");
                let status = entry["x-status"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{code} has no x-status"));
                assert!(
                    entry["description"].as_str().is_some_and(|d| !d.is_empty()),
                    "{code} has no description"
                );
                (code.to_owned(), u16::try_from(status).unwrap())
            })
            .collect()
    }
}

// ------------------------------------------------------------------------ requests

/// A request of the session, by the operation's path template.
#[derive(Clone)]
struct Req {
    method: &'static str,
    template: &'static str,
    params: Vec<(&'static str, String)>,
    query: Vec<(&'static str, String)>,
    token: Option<String>,
    body: Option<(String, Vec<u8>)>,
    json: Option<Value>,
}

impl Req {
    fn new(method: &'static str, template: &'static str) -> Req {
        Req {
            method,
            template,
            params: Vec::new(),
            query: Vec::new(),
            token: None,
            body: None,
            json: None,
        }
    }

    fn at(mut self, name: &'static str, value: &str) -> Req {
        self.params.push((name, value.to_owned()));
        self
    }

    fn query(mut self, name: &'static str, value: &str) -> Req {
        self.query.push((name, value.to_owned()));
        self
    }

    fn token(mut self, token: &str) -> Req {
        self.token = Some(token.to_owned());
        self
    }

    fn json(mut self, body: Value) -> Req {
        self.body = Some(("application/json".into(), body.to_string().into_bytes()));
        self.json = Some(body);
        self
    }

    fn raw(mut self, content_type: &str, bytes: Vec<u8>) -> Req {
        self.body = Some((content_type.to_owned(), bytes));
        self
    }

    /// The request as a client sends it.
    fn request(&self) -> Request {
        let request = Request::new(self.method, self.uri()).maybe_token(self.token.as_deref());
        match &self.body {
            Some((kind, bytes)) => request.body(Some(kind), bytes.clone()),
            None => request,
        }
    }

    /// The concrete path and query (the values used are all URI-safe as they are).
    fn uri(&self) -> String {
        let safe = |v: &str| {
            assert!(
                v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~!".contains(&b)),
                "{v:?} needs encoding"
            );
        };
        let mut uri = self.template.to_owned();
        for (name, value) in &self.params {
            safe(value);
            uri = uri.replace(&format!("{{{name}}}"), value);
        }
        assert!(!uri.contains('{'), "{uri}: a parameter is missing");
        for (i, (name, value)) in self.query.iter().enumerate() {
            safe(value);
            uri.push(if i == 0 { '?' } else { '&' });
            uri.push_str(&format!("{name}={value}"));
        }
        uri
    }
}

/// Sends requests through the router and checks each exchange against the spec.
struct Session<'a> {
    stack: &'a Stack,
    spec: &'a Spec,
    /// (operationId, status) of every answer.
    answered: BTreeSet<(String, u16)>,
}

impl Session<'_> {
    async fn send(&mut self, req: Req) -> Answer {
        let uri = req.uri();
        let answer = req.request().send(self.stack).await;
        let what = format!("{} {uri}", req.method);
        if let Err(e) = self.spec.check_answer(req.method, req.template, &answer) {
            panic!("{what}: the answer does not conform to the spec: {e}");
        }
        if answer.status.is_success()
            && let Err(e) = self.spec.check_request(&req)
        {
            panic!("{what} succeeded, but the request does not conform to the spec: {e}");
        }
        let operation = self
            .spec
            .at(&self.spec.operation_pointer(req.method, req.template))["operationId"]
            .as_str()
            .unwrap()
            .to_owned();
        self.answered.insert((operation, answer.status.as_u16()));
        answer
    }

    async fn login(&mut self, tenant: &str, username: &str) -> String {
        let password = if tenant == "platform" {
            ROOT_PASSWORD
        } else {
            PASSWORD
        };
        self.send(
            Req::new("POST", "/auth/login")
                .json(json!({"tenant": tenant, "username": username, "password": password})),
        )
        .await
        .expect(200)
        .body["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }
}

// --------------------------------------------------------------------------- routes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_declares_exactly_the_routes_of_the_template_which_the_router_serves() {
    let spec = Spec::load();
    let documented: BTreeSet<(String, String, String)> = spec
        .operations()
        .into_iter()
        .map(|((method, path), id)| (method, path, id))
        .collect();
    let template = Template::load(&template::default_path()).unwrap();
    let declared: BTreeSet<(String, String, String)> = template
        .routes()
        .unwrap()
        .into_iter()
        .map(|r| (r.method, r.path, camel(&r.function)))
        .collect();
    assert_eq!(documented, declared);
    assert!(declared.len() >= 14, "{declared:?}");

    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let served: BTreeSet<(String, String, String)> = stack
        .router
        .routes()
        .map(|r| (r.method.clone(), r.path.clone(), camel(&r.function)))
        .collect();
    assert_eq!(served, declared);

    // Each operation documents exactly the parameters its path names.
    for (method, path, _) in &documented {
        let named: BTreeSet<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(str::to_owned)
            .collect();
        let mut in_path = BTreeSet::new();
        let item = format!("/paths/{}", escape(path));
        for base in [item.clone(), spec.operation_pointer(method, path)] {
            let count = spec.at(&base)["parameters"].as_array().map_or(0, Vec::len);
            for i in 0..count {
                let (_, parameter) = spec.deref(format!("{base}/parameters/{i}"));
                if parameter["in"] == "path" {
                    assert_eq!(parameter["required"], true, "{method} {path}");
                    in_path.insert(parameter["name"].as_str().unwrap().to_owned());
                }
            }
        }
        assert_eq!(in_path, named, "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_and_paths_are_answered_as_the_spec_says() {
    let spec = Spec::load();
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let mut by_path: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (method, path) in spec.operations().into_keys() {
        by_path.entry(path).or_default().insert(method);
    }
    let mut checked = 0;
    for (path, methods) in &by_path {
        let uri = path
            .replace("{tenant_id}", "acme")
            .replace("{user_id}", "0199a000-0000-7000-8000-000000000000");
        for method in METHODS.iter().filter(|m| !methods.contains(**m)) {
            let answer = Request::new(method, &uri).send(&stack).await;
            assert_eq!(
                answer.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {uri}"
            );
            spec.check_response("/components/responses/MethodNotAllowed".into(), &answer)
                .unwrap_or_else(|e| panic!("{method} {uri}: {e}"));
            let allow: BTreeSet<String> = answer.headers[header::ALLOW]
                .to_str()
                .unwrap()
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            assert_eq!(&allow, methods, "{method} {uri}");
            checked += 1;
        }
    }
    assert!(checked > 50, "{checked}");
    for uri in ["/", "/nope", "/tenants/acme/users/", "/tenants//users"] {
        let answer = Request::get(uri).send(&stack).await;
        spec.check_response("/components/responses/RouteNotFound".into(), &answer)
            .unwrap_or_else(|e| panic!("GET {uri}: {e}"));
    }
}

// ---------------------------------------------------------------------------- codes

#[test]
fn the_spec_documents_exactly_the_problem_codes_the_code_can_produce() {
    let spec = Spec::load();
    let documented = spec.catalogue();
    let problems: Vec<Problem> = Error::every_kind()
        .into_iter()
        .map(Problem::from)
        .chain(Problem::http_layer())
        .collect();
    let mut produced = BTreeMap::new();
    for problem in &problems {
        let status = problem.status.as_u16();
        if let Some(other) = produced.insert(problem.code.to_owned(), status) {
            assert_eq!(other, status, "{} has two statuses", problem.code);
        }
    }
    assert_eq!(produced, documented);

    // Each body is one of the documented problem shapes, extension members included.
    for problem in problems {
        let response = problem.into_response();
        let Body::Text(text) = response.body() else {
            panic!("a problem without a body")
        };
        let body: Value = serde_json::from_str(text).unwrap();
        let errors: Vec<String> = PROBLEM_SCHEMAS
            .iter()
            .filter_map(|name| {
                spec.conforms(&format!("/components/schemas/{name}"), &body)
                    .err()
            })
            .collect();
        assert!(
            errors.len() < PROBLEM_SCHEMAS.len(),
            "{body} is no documented problem: {errors:?}"
        );
    }

    // Every code a response documents is in the catalogue, with the response's status; every
    // code of the catalogue is answered somewhere, but `not_found`, which the use cases turn
    // into `user_not_found` or `tenant_not_found`.
    let mut responses: Vec<(String, Option<String>)> = Vec::new();
    for ((method, path), _) in spec.operations() {
        let pointer = format!("{}/responses", spec.operation_pointer(&method, &path));
        for status in spec.at(&pointer).as_object().unwrap().keys() {
            responses.push((format!("{pointer}/{status}"), Some(status.clone())));
        }
    }
    for name in spec.at("/components/responses").as_object().unwrap().keys() {
        responses.push((format!("/components/responses/{name}"), None));
    }
    let mut answered = BTreeSet::new();
    for (pointer, key) in responses {
        if key.as_ref().is_some_and(|k| k.starts_with('2')) {
            continue;
        }
        let codes = spec.member_values(pointer.clone(), "code");
        let statuses = spec.member_values(pointer.clone(), "status");
        assert!(!codes.is_empty(), "#{pointer} documents no code");
        assert_eq!(
            statuses.len(),
            1,
            "#{pointer} documents statuses {statuses:?}"
        );
        let status = statuses.into_iter().next().unwrap();
        if let Some(key) = key {
            assert_eq!(status, key, "#{pointer}");
        }
        for code in codes {
            assert_eq!(
                documented.get(&code).map(u16::to_string).as_ref(),
                Some(&status),
                "#{pointer}: {code}"
            );
            answered.insert(code);
        }
    }
    let unanswered: BTreeSet<&str> = documented
        .keys()
        .map(String::as_str)
        .filter(|code| !answered.contains(*code))
        .collect();
    assert_eq!(unanswered, BTreeSet::from(["not_found"]));
}

/// The policy's actions each operation decides, in the order its use case asks.
fn actions_of(operation: &str) -> Vec<Action> {
    let every_role = || Role::ALL.into_iter();
    let member = Action::List(ListScope::Active);
    match operation {
        "health" | "getJwks" | "authLogin" | "authRefresh" | "authLogout" | "authLogoutAll"
        | "getMe" => vec![],
        "createTenant" => vec![Action::CreateTenant],
        "updateTenant" => vec![Action::ConfigureTenant],
        "createUser" => every_role().map(Action::Create).collect(),
        "listUsers" => [ListScope::Active, ListScope::Deleted, ListScope::All]
            .map(Action::List)
            .to_vec(),
        "getUser" => vec![member, Action::View],
        "deleteUser" => vec![member, Action::Delete],
        "restoreUser" => vec![member, Action::Restore],
        "purgeUser" => vec![member, Action::Purge],
        "updateUser" => [member, Action::View, Action::ChangeEmail]
            .into_iter()
            .chain(every_role().map(Action::ChangeRole))
            .collect(),
        "transferOwnership" => vec![member, Action::TransferOwnership],
        "listAudit" => vec![Action::ViewAudit],
        "setPassword" => vec![member, Action::SetPassword],
        other => panic!("operation {other} is not in this table: add the actions it decides"),
    }
}

/// The codes `decide` can refuse `actions` with, over every actor and target the API can meet
/// (owners are active admins; super admins live in `platform`), split into 403 and 409.
fn refusals(actions: &[Action]) -> (BTreeSet<&'static str>, BTreeSet<&'static str>) {
    let actor = |tenant_id, role, is_owner| Actor {
        id: "me",
        tenant_id,
        role,
        is_owner,
    };
    let actors = [
        actor("platform", Role::SuperAdmin, false),
        actor("acme", Role::Admin, true),
        actor("acme", Role::Admin, false),
        actor("acme", Role::Agent, false),
        actor("acme", Role::User, false),
    ];
    let mut members = Vec::new();
    for role in Role::ALL {
        let tenant_id = if role == Role::SuperAdmin {
            "platform"
        } else {
            "acme"
        };
        for (is_owner, deleted) in [(false, false), (false, true), (true, false)] {
            if is_owner && role != Role::Admin {
                continue;
            }
            for tenant_id in [tenant_id, "other"] {
                members.push(Member {
                    id: "them",
                    tenant_id,
                    role,
                    is_owner,
                    deleted,
                });
            }
        }
    }
    let (mut forbidden, mut conflicts) = (BTreeSet::new(), BTreeSet::new());
    for actor in &actors {
        let myself = Member {
            id: actor.id,
            tenant_id: actor.tenant_id,
            role: actor.role,
            is_owner: actor.is_owner,
            deleted: false,
        };
        let targets = ["acme", "platform", "other"]
            .map(Target::Tenant)
            .into_iter()
            .chain(members.iter().chain([&myself]).copied().map(Target::User));
        for target in targets {
            for action in actions {
                match decide(actor, *action, &target) {
                    Err(denial) if denial.is_not_found() => {}
                    Err(denial) if denial.is_conflict() => {
                        conflicts.insert(denial.code());
                    }
                    Err(denial) => {
                        forbidden.insert(denial.code());
                    }
                    Ok(()) => {}
                }
            }
        }
    }
    (forbidden, conflicts)
}

#[test]
fn each_operation_documents_the_refusals_the_policy_can_give_it() {
    let spec = Spec::load();
    for ((method, path), operation) in spec.operations() {
        let (forbidden, conflicts) = refusals(&actions_of(&operation));
        let responses = format!("{}/responses", spec.operation_pointer(&method, &path));
        let codes = |status: &str| {
            let pointer = format!("{responses}/{status}");
            if spec.doc.pointer(&pointer).is_none() {
                return BTreeSet::new();
            }
            spec.member_values(pointer, "code")
        };
        let mut forbidden: BTreeSet<String> = forbidden.into_iter().map(str::to_owned).collect();
        if operation == "setPassword" {
            // The proof of your current password is the use case's check, not the policy's.
            forbidden.insert("wrong_password".to_owned());
        }
        assert_eq!(codes("403"), forbidden, "{operation}: 403");
        let documented = codes("409");
        for code in conflicts {
            assert!(documented.contains(code), "{operation}: 409 {code}");
        }
    }
}

// ------------------------------------------------------------------------- answers

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_through_every_operation_conforms_to_the_spec() {
    let stack = Stack::new().await;
    let spec = Spec::load();
    let mut s = Session {
        stack: &stack,
        spec: &spec,
        answered: BTreeSet::new(),
    };
    let user = "/tenants/{tenant_id}/users/{user_id}";
    let users = "/tenants/{tenant_id}/users";
    let nobody = "0199a000-0000-7000-8000-000000000000";

    // Health, the signing keys, login, the caller.
    s.send(Req::new("GET", "/health")).await.expect(200);
    s.send(Req::new("GET", "/.well-known/jwks.json"))
        .await
        .expect(200);
    let root = s.login("platform", "root").await;
    s.send(
        Req::new("POST", "/auth/login").json(
            json!({"tenant": "platform", "username": "root", "password": "not-the-password"}),
        ),
    )
    .await
    .expect_code(401, "invalid_credentials");
    s.send(Req::new("POST", "/auth/login").json(json!({"tenant": "platform"})))
        .await
        .expect_code(400, "validation_failed");
    s.send(Req::new("GET", "/me").token(&root))
        .await
        .expect(200);
    s.send(Req::new("GET", "/me"))
        .await
        .expect_code(401, "unauthenticated");

    // A tenant.
    let acme = json!({
        "id": "acme",
        "name": " Acme Inc ",
        "owner": {"username": "Olivia", "email": "olivia@acme.test", "password": PASSWORD}
    });
    let created = s
        .send(Req::new("POST", "/tenants").token(&root).json(acme.clone()))
        .await
        .expect(201);
    let olivia = created.body["owner"]["id"].as_str().unwrap().to_owned();
    s.send(Req::new("POST", "/tenants").token(&root).json(acme))
        .await
        .expect_code(409, "tenant_exists");
    s.send(
        Req::new("POST", "/tenants")
            .token(&root)
            .json(json!({"id": "beta"})),
    )
    .await
    .expect_code(400, "validation_failed");
    s.send(
        Req::new("POST", "/tenants")
            .token(&root)
            .raw("text/plain", b"id=beta".to_vec()),
    )
    .await
    .expect_code(415, "unsupported_media_type");
    s.send(
        Req::new("POST", "/tenants")
            .token(&root)
            .raw("application/json", vec![b' '; 64 * 1024 + 1]),
    )
    .await
    .expect_code(413, "payload_too_large");
    let owner = s.login("acme", "olivia").await;
    let beta = json!({
        "id": "beta", "name": "Beta",
        "owner": {"username": "bob", "email": "bob@beta.test", "password": PASSWORD}
    });
    s.send(Req::new("POST", "/tenants").token(&owner).json(beta))
        .await
        .expect_code(403, "requires_super_admin");

    // Users.
    let new_user = |name: &str, role: &str| json!({"username": name, "email": format!("{name}@acme.test"), "password": PASSWORD, "role": role});
    let create = |token: &str, body: Value| {
        Req::new("POST", users)
            .at("tenant_id", "acme")
            .token(token)
            .json(body)
    };
    let ben = s
        .send(create(&owner, new_user("ben", "user")))
        .await
        .expect(201)
        .id();
    let alice = s
        .send(create(&owner, new_user("alice", "admin")))
        .await
        .expect(201)
        .id();
    let carl = s
        .send(create(&root, new_user("carl", "agent")))
        .await
        .expect(201)
        .id();
    let dave = s
        .send(create(&owner, new_user("dave", "agent")))
        .await
        .expect(201)
        .id();
    s.send(create(&owner, new_user("BEN", "user")))
        .await
        .expect_code(409, "username_taken");
    s.send(create(&owner, new_user("root2", "super_admin")))
        .await
        .expect_code(403, "cannot_create_super_admin");
    s.send(
        Req::new("POST", users)
            .at("tenant_id", "nope")
            .token(&owner)
            .json(new_user("eve", "user")),
    )
    .await
    .expect_code(404, "tenant_not_found");
    let ben_token = s.login("acme", "ben").await;
    let alice_token = s.login("acme", "alice").await;
    let dave_token = s.login("acme", "dave").await;
    s.send(create(&ben_token, new_user("eve", "user")))
        .await
        .expect_code(403, "insufficient_role");

    // Listing, pages and cursors.
    let list = |token: &str| Req::new("GET", users).at("tenant_id", "acme").token(token);
    let page = s.send(list(&owner).query("limit", "2")).await.expect(200);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    s.send(list(&owner).query("limit", "2").query("cursor", &cursor))
        .await
        .expect(200);
    s.send(list(&ben_token)).await.expect(200);
    s.send(list(&owner).query("state", "everyone"))
        .await
        .expect_code(400, "validation_failed");
    s.send(list(&owner).query("cursor", "not-a-cursor!"))
        .await
        .expect_code(400, "validation_failed");
    s.send(list(&ben_token).query("state", "deleted"))
        .await
        .expect_code(403, "insufficient_role");
    s.send(Req::new("GET", users).at("tenant_id", "nope").token(&owner))
        .await
        .expect_code(404, "tenant_not_found");

    // One user: read and change.
    let one = |method: &'static str, id: &str, token: &str| {
        Req::new(method, user)
            .at("tenant_id", "acme")
            .at("user_id", id)
            .token(token)
    };
    s.send(one("GET", &ben, &ben_token)).await.expect(200);
    s.send(one("GET", nobody, &owner))
        .await
        .expect_code(404, "user_not_found");
    s.send(one("PATCH", &ben, &owner).json(json!({"role": "agent"})))
        .await
        .expect(200);
    s.send(one("PATCH", &ben, &owner).json(json!({})))
        .await
        .expect_code(400, "validation_failed");
    s.send(one("PATCH", &ben, &owner).json(json!({"is_owner": true})))
        .await
        .expect_code(400, "validation_failed");
    s.send(one("PATCH", &carl, &owner).json(json!({"email": "alice@acme.test"})))
        .await
        .expect_code(409, "email_taken");
    s.send(one("PATCH", &alice, &owner).json(json!({"role": "super_admin"})))
        .await
        .expect_code(403, "cannot_grant_super_admin");
    s.send(one("PATCH", &alice, &dave_token).json(json!({"email": "al@acme.test"})))
        .await
        .expect_code(403, "insufficient_role");
    s.send(one("PATCH", &dave, &dave_token).json(json!({"email": " Dave@Acme.test "})))
        .await
        .expect(200);

    // Delete, the trash, held names, restore.
    let deleted = s.send(one("DELETE", &ben, &owner)).await.expect(200);
    assert_eq!(deleted.body["state"], "deleted");
    s.send(one("DELETE", &ben, &owner)).await.expect(200);
    let seen = s.send(one("GET", &ben, &owner)).await.expect(200);
    assert_eq!(seen.body["state"], "deleted");
    let trash = s
        .send(list(&owner).query("state", "deleted"))
        .await
        .expect(200);
    assert_eq!(trash.body["items"][0]["id"], ben.as_str());
    s.send(list(&root).query("state", "all").query("limit", "100"))
        .await
        .expect(200);
    s.send(create(&owner, new_user("ben", "user")))
        .await
        .expect_code(409, "username_held_by_deleted_user");
    s.send(create(
        &owner,
        json!({"username": "benjamin", "email": "ben@acme.test", "password": PASSWORD, "role": "user"}),
    ))
    .await
    .expect_code(409, "email_held_by_deleted_user");
    s.send(one("PATCH", &carl, &owner).json(json!({"email": "ben@acme.test"})))
        .await
        .expect_code(409, "email_held_by_deleted_user");
    s.send(one("PATCH", &ben, &owner).json(json!({"role": "user"})))
        .await
        .expect_code(409, "user_deleted");
    let restore = |id: &str, token: &str| {
        Req::new("POST", "/tenants/{tenant_id}/users/{user_id}/restore")
            .at("tenant_id", "acme")
            .at("user_id", id)
            .token(token)
    };
    s.send(restore(&ben, &owner)).await.expect(200);
    s.send(restore(&ben, &owner))
        .await
        .expect_code(409, "not_deleted");
    s.send(restore(&olivia, &owner))
        .await
        .expect_code(403, "cannot_restore_self");

    // Refused deletes, then a purge.
    s.send(one("DELETE", &olivia, &owner))
        .await
        .expect_code(403, "cannot_delete_self");
    s.send(one("DELETE", &olivia, &root))
        .await
        .expect_code(403, "owner_protected");
    s.send(one("DELETE", &alice, &owner))
        .await
        .expect_code(403, "admin_cannot_delete_admin");
    let purge = |id: &str, token: &str| {
        Req::new("POST", "/tenants/{tenant_id}/users/{user_id}/purge")
            .at("tenant_id", "acme")
            .at("user_id", id)
            .token(token)
    };
    s.send(purge(&carl, &owner))
        .await
        .expect_code(409, "not_deleted");
    s.send(one("DELETE", &ben, &owner)).await.expect(200);
    let purged = s.send(purge(&ben, &owner)).await.expect(200);
    assert_eq!(purged.body["state"], "purged");
    s.send(one("GET", &ben, &owner))
        .await
        .expect_code(404, "user_not_found");

    // A restore after the purge date.
    s.send(one("DELETE", &carl, &owner)).await.expect(200);
    tenantry_tests::backdate_purge(&stack.store, "acme", &carl).await;
    s.send(restore(&carl, &owner))
        .await
        .expect_code(409, "restore_window_closed");

    // Retention.
    let tenant = |token: &str| {
        Req::new("PATCH", "/tenants/{tenant_id}")
            .at("tenant_id", "acme")
            .token(token)
    };
    s.send(tenant(&owner).json(json!({"retention_days": 7})))
        .await
        .expect(200);
    s.send(tenant(&owner).json(json!({"retention_days": 0})))
        .await
        .expect_code(400, "validation_failed");
    s.send(tenant(&alice_token).json(json!({"retention_days": 9})))
        .await
        .expect_code(403, "requires_owner");
    s.send(
        Req::new("PATCH", "/tenants/{tenant_id}")
            .at("tenant_id", "nope")
            .token(&root)
            .json(json!({"retention_days": 9})),
    )
    .await
    .expect_code(404, "tenant_not_found");

    // Ownership.
    let transfer = |token: &str, to: &str| {
        Req::new("POST", "/tenants/{tenant_id}/ownership")
            .at("tenant_id", "acme")
            .token(token)
            .json(json!({"new_owner_id": to}))
    };
    s.send(transfer(&owner, &carl))
        .await
        .expect_code(409, "user_deleted");
    s.send(transfer(&owner, &dave))
        .await
        .expect_code(409, "new_owner_not_admin");
    s.send(transfer(&owner, &olivia))
        .await
        .expect_code(409, "already_owner");
    s.send(transfer(&alice_token, &alice))
        .await
        .expect_code(403, "requires_owner");
    s.send(transfer(&owner, nobody))
        .await
        .expect_code(404, "user_not_found");
    let moved = s.send(transfer(&owner, &alice)).await.expect(200);
    assert_eq!(moved.body["new_owner"]["is_owner"], true);

    // Sessions: refresh once, logout, logout everywhere, passwords, the lockout.
    let erin = s
        .send(create(&owner, new_user("erin", "user")))
        .await
        .expect(201)
        .id();
    let session = s
        .send(
            Req::new("POST", "/auth/login")
                .json(json!({"tenant": "acme", "username": "erin", "password": PASSWORD})),
        )
        .await
        .expect(200);
    let refresh = json!({"refresh_token": session.body["refresh_token"]});
    s.send(Req::new("POST", "/auth/refresh").json(refresh.clone()))
        .await
        .expect(200);
    s.send(Req::new("POST", "/auth/refresh").json(refresh))
        .await
        .expect_code(401, "session_ended");
    s.send(Req::new("POST", "/auth/refresh").json(json!({})))
        .await
        .expect_code(400, "validation_failed");
    let erin_token = s.login("acme", "erin").await;
    s.send(Req::new("POST", "/auth/logout").token(&erin_token))
        .await
        .expect(200);
    s.send(Req::new("POST", "/auth/logout").token(&erin_token))
        .await
        .expect_code(401, "unauthenticated");
    let erin_token = s.login("acme", "erin").await;
    s.send(Req::new("POST", "/auth/logout-all").token(&erin_token))
        .await
        .expect(200);
    s.send(Req::new("POST", "/auth/logout-all").token(&erin_token))
        .await
        .expect_code(401, "unauthenticated");
    let password = |token: &str, user: &str, body: Value| {
        Req::new("POST", "/tenants/{tenant_id}/users/{user_id}/password")
            .at("tenant_id", "acme")
            .at("user_id", user)
            .token(token)
            .json(body)
    };
    let erin_token = s.login("acme", "erin").await;
    s.send(password(
        &erin_token,
        &erin,
        json!({"new_password": "a-new-long-password-1", "current_password": "wrong-password"}),
    ))
    .await
    .expect_code(403, "wrong_password");
    s.send(password(
        &erin_token,
        &erin,
        json!({"new_password": "short", "current_password": PASSWORD}),
    ))
    .await
    .expect_code(400, "validation_failed");
    s.send(password(
        &erin_token,
        &alice,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(403, "insufficient_role");
    s.send(password(
        &owner,
        &alice,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(403, "owner_protected");
    s.send(password(
        &owner,
        nobody,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(404, "user_not_found");
    s.send(password(
        &owner,
        &erin,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect(200);
    s.send(password(
        &erin_token,
        &erin,
        json!({"new_password": "a-brand-new-long-password"}),
    ))
    .await
    .expect_code(401, "unauthenticated");
    for attempt in 1..=tenantry_accounts::MAX_FAILURES {
        let answer = s
            .send(
                Req::new("POST", "/auth/login")
                    .json(json!({"tenant": "acme", "username": "ghost", "password": PASSWORD})),
            )
            .await;
        if attempt < tenantry_accounts::MAX_FAILURES {
            answer.expect_code(401, "invalid_credentials");
        } else {
            answer.expect_code(429, "login_locked");
        }
    }

    // The audit log holds every kind of event the spec documents.
    let audit = |token: &str| {
        Req::new("GET", "/tenants/{tenant_id}/audit")
            .at("tenant_id", "acme")
            .token(token)
    };
    let log = s
        .send(audit(&alice_token).query("limit", "100"))
        .await
        .expect(200);
    let actions: BTreeSet<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let documented: BTreeSet<&str> = spec
        .at("/components/schemas/AuditEvent/properties/action/enum")
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(actions, documented);
    let first = s.send(audit(&owner).query("limit", "2")).await.expect(200);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    s.send(audit(&owner).query("limit", "2").query("cursor", &cursor))
        .await
        .expect(200);
    s.send(audit(&dave_token))
        .await
        .expect_code(403, "insufficient_role");
    s.send(audit(&owner).query("limit", "0"))
        .await
        .expect_code(400, "validation_failed");
    s.send(
        Req::new("GET", "/tenants/{tenant_id}/audit")
            .at("tenant_id", "nope")
            .token(&root),
    )
    .await
    .expect_code(404, "tenant_not_found");

    // Every operation was answered with success at least once.
    let succeeded: BTreeSet<&str> = s
        .answered
        .iter()
        .filter(|(_, status)| (200..300).contains(status))
        .map(|(operation, _)| operation.as_str())
        .collect();
    let operations = spec.operations();
    let all: BTreeSet<&str> = operations.values().map(String::as_str).collect();
    assert_eq!(succeeded, all);
    assert!(s.answered.len() >= 40, "{:?}", s.answered);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_answered_as_the_spec_says() {
    let stack = Stack::with_endpoint(DEAD_ENDPOINT, 1).await;
    let spec = Spec::load();
    let mut s = Session {
        stack: &stack,
        spec: &spec,
        answered: BTreeSet::new(),
    };
    let token = stack
        .app
        .tokens
        .issue(&Principal {
            user_id: "0199a000-0000-7000-8000-000000000000".into(),
            tenant_id: "acme".into(),
            token_epoch: 1,
            session_id: String::new(),
        })
        .unwrap();
    s.send(Req::new("GET", "/me").token(&token))
        .await
        .expect_code(503, "service_unavailable");
    s.send(
        Req::new("GET", "/tenants/{tenant_id}/users")
            .at("tenant_id", "acme")
            .token(&token),
    )
    .await
    .expect_code(503, "service_unavailable");
    s.send(
        Req::new("POST", "/auth/login")
            .json(json!({"tenant": "acme", "username": "ann", "password": PASSWORD})),
    )
    .await
    .expect_code(503, "service_unavailable");
}
