//! `infra/openapi.yaml` cannot drift from the code. It declares exactly the routes of
//! `template.yaml`, which the dev router serves; it documents exactly the problem codes the code
//! can produce (each with its status), and per operation exactly the refusals the policy can
//! give; and every answer of a session through every operation conforms to the documented
//! response of its operation: status, content type, required headers and body (JSON Schema
//! 2020-12, formats checked), while every request that succeeded conforms to the documented
//! request.

mod codes;
mod patterns;
mod session;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use jsonschema::Validator;
use lambda_http::http::header;
use serde_json::{Value, json};
use tenantry_tests::{Answer, PASSWORD, ROOT_PASSWORD, Request, Stack};

/// Every method a client can send.
pub(crate) const METHODS: [&str; 8] = [
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
pub(crate) fn camel(function: &str) -> String {
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
pub(crate) struct Spec {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<Validator>>>,
}

impl Spec {
    pub(crate) fn load() -> Spec {
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
    pub(crate) fn operations(&self) -> BTreeMap<(String, String), String> {
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
    pub(crate) fn check_answer(
        &self,
        method: &str,
        path: &str,
        answer: &Answer,
    ) -> Result<(), String> {
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
    pub(crate) fn check_response(&self, pointer: String, answer: &Answer) -> Result<(), String> {
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

    /// The names of the path parameters documented for an operation (on its path item or on
    /// the operation itself), each of them required.
    pub(crate) fn path_parameters(&self, method: &str, path: &str) -> BTreeSet<String> {
        let mut in_path = BTreeSet::new();
        let item = format!("/paths/{}", escape(path));
        for base in [item, self.operation_pointer(method, path)] {
            let count = self.at(&base)["parameters"].as_array().map_or(0, Vec::len);
            for i in 0..count {
                let (_, parameter) = self.deref(format!("{base}/parameters/{i}"));
                if parameter["in"] == "path" {
                    assert_eq!(parameter["required"], true, "{method} {path}");
                    in_path.insert(parameter["name"].as_str().unwrap().to_owned());
                }
            }
        }
        in_path
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
                let (pointer, request_body) = self.deref(format!("{operation}/requestBody"));
                let media = req.body.as_ref().map_or("", |(kind, _)| kind.as_str());
                if request_body["content"].get(media).is_none() {
                    return Err(format!(
                        "the request body's media type {media} is not documented"
                    ));
                }
                self.conforms(&format!("{pointer}/content/{}/schema", escape(media)), body)
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

    /// Whether the response at `pointer` is a SCIM one (`application/scim+json`).
    pub(crate) fn is_scim_response(&self, pointer: &str) -> bool {
        let (_, response) = self.deref(pointer.to_owned());
        response["content"]
            .as_object()
            .is_some_and(|content| content.contains_key("application/scim+json"))
    }

    /// The catalogue: every documented code with its status. `ProblemCode` is a string `enum`
    /// (the form code generators read), with each code's status in `x-statuses` and its meaning
    /// in `x-enumDescriptions`: the three must name the same codes.
    fn catalogue(&self) -> BTreeMap<String, u16> {
        let schema = self.at("/components/schemas/ProblemCode");
        assert_eq!(schema["type"], "string");
        let codes: Vec<&str> = schema["enum"]
            .as_array()
            .expect("ProblemCode has no enum")
            .iter()
            .map(|code| code.as_str().expect("a code that is no string"))
            .collect();
        let statuses = schema["x-statuses"].as_object().expect("no x-statuses");
        let descriptions = schema["x-enumDescriptions"]
            .as_object()
            .expect("no x-enumDescriptions");
        let named = |map: &serde_json::Map<String, Value>| -> BTreeSet<String> {
            map.keys().cloned().collect()
        };
        let listed: BTreeSet<String> = codes.iter().map(|c| (*c).to_owned()).collect();
        assert_eq!(listed.len(), codes.len(), "ProblemCode lists a code twice");
        assert_eq!(named(statuses), listed, "x-statuses and enum differ");
        assert_eq!(
            named(descriptions),
            listed,
            "x-enumDescriptions and enum differ"
        );
        codes
            .into_iter()
            .map(|code| {
                let status = statuses[code]
                    .as_u64()
                    .unwrap_or_else(|| panic!("{code}: its status is no number"));
                assert!(
                    descriptions[code].as_str().is_some_and(|d| !d.is_empty()),
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

    /// A JSON body, of the media type the route documents: SCIM's on the SCIM routes.
    fn json(mut self, body: Value) -> Req {
        let media = if self.template.starts_with("/scim/") {
            "application/scim+json"
        } else {
            "application/json"
        };
        self.body = Some((media.into(), body.to_string().into_bytes()));
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

    /// The concrete path and query (the values used are all URI-safe as they are, or
    /// percent-encoded already).
    fn uri(&self) -> String {
        let safe = |v: &str, greedy: bool| {
            assert!(
                v.bytes().all(|b| b.is_ascii_alphanumeric()
                    || b"-._~!%".contains(&b)
                    || (greedy && b == b'/')),
                "{v:?} needs encoding"
            );
        };
        let mut uri = self.template.to_owned();
        for (name, value) in &self.params {
            // The console's greedy parameter spans segments.
            safe(value, *name == "proxy");
            uri = uri.replace(&format!("{{{name}}}"), value);
        }
        assert!(!uri.contains('{'), "{uri}: a parameter is missing");
        for (i, (name, value)) in self.query.iter().enumerate() {
            safe(value, false);
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
