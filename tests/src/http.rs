//! Requests to the API as a client sends them, and their answers, with the contract's shape
//! checked in one place: every answer is JSON; a success is `application/json`; a 4xx or a
//! 5xx is an RFC 9457 problem (`application/problem+json`, the answer's `status`, a `code`,
//! and the `type` `urn:tenantry:problem:<code>`). The SCIM routes answer
//! `application/scim+json` instead, errors in SCIM's error schema (`status` as a string), the
//! code first in their `detail`. The console's page and assets (HTML, JavaScript, CSS, SVG)
//! are read as text, into a JSON string.
//!
//! ```ignore
//! let answer = Request::patch(format!("/tenants/acme/users/{id}"))
//!     .token(&owner)
//!     .json(json!({"role": "agent"}))
//!     .send(&stack)
//!     .await;
//! assert_eq!((answer.status, answer.code()), (StatusCode::FORBIDDEN, "owner_protected"));
//! ```

use std::fmt;
use std::sync::Arc;

use lambda_http::http::header::{self, AsHeaderName};
use lambda_http::http::{self, HeaderMap, StatusCode};
use lambda_http::{Body, Response};
use serde_json::Value;
use tenantry_dev::Router;

const SCIM: &str = "application/scim+json";
const SCIM_ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// What a [`Request`] is sent to: a dev router, or the stack that holds one.
pub trait Dispatch {
    fn router(&self) -> &Router;
}

impl Dispatch for Router {
    fn router(&self) -> &Router {
        self
    }
}

impl<T: Dispatch + ?Sized> Dispatch for Arc<T> {
    fn router(&self) -> &Router {
        (**self).router()
    }
}

/// One request: a method, a path with its query, headers and a body, exactly as given.
#[derive(Clone, Debug)]
pub struct Request {
    method: String,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    pub fn new(method: &str, uri: impl Into<String>) -> Request {
        Request {
            method: method.to_owned(),
            uri: uri.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn get(uri: impl Into<String>) -> Request {
        Request::new("GET", uri)
    }

    pub fn post(uri: impl Into<String>) -> Request {
        Request::new("POST", uri)
    }

    pub fn patch(uri: impl Into<String>) -> Request {
        Request::new("PATCH", uri)
    }

    pub fn delete(uri: impl Into<String>) -> Request {
        Request::new("DELETE", uri)
    }

    /// `Authorization: Bearer <token>`.
    pub fn token(self, token: &str) -> Request {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// [`Request::token`] if there is one.
    pub fn maybe_token(self, token: Option<&str>) -> Request {
        match token {
            Some(token) => self.token(token),
            None => self,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Request {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json(self, body: Value) -> Request {
        self.body(Some("application/json"), body.to_string())
    }

    /// [`Request::json`] if there is a body.
    pub fn maybe_json(self, body: Option<Value>) -> Request {
        match body {
            Some(body) => self.json(body),
            None => self,
        }
    }

    /// These bytes as the body, with this `Content-Type` (none if `None`), even when empty.
    pub fn body(self, content_type: Option<&str>, bytes: impl Into<Vec<u8>>) -> Request {
        let mut request = match content_type {
            Some(kind) => self.header("content-type", kind),
            None => self,
        };
        request.body = bytes.into();
        request
    }

    pub fn method(&self) -> &str {
        &self.method
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    /// The HTTP request; an error for what is no HTTP request at all (a malformed URI, a
    /// header value that cannot be sent), which API Gateway would never pass on.
    pub fn build(self) -> Result<http::Request<Vec<u8>>, http::Error> {
        let mut builder = http::Request::builder()
            .method(self.method.as_str())
            .uri(self.uri.as_str());
        for (name, value) in &self.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder.body(self.body)
    }

    /// Sends it through the dev router (a [`crate::Stack`] or its router), exactly as the dev
    /// server would pass it on, and reads the answer ([`Answer::read`]); panics on a request
    /// that cannot be built or an answer that breaks the contract's shape.
    pub async fn send(self, to: &impl Dispatch) -> Answer {
        let what = format!("{} {}", self.method, self.uri);
        let request = self
            .build()
            .unwrap_or_else(|e| panic!("{what}: not an HTTP request: {e}"));
        let response = to.router().dispatch(request).await;
        Answer::read(response).unwrap_or_else(|e| panic!("{what}: {e}"))
    }
}

/// An answer seen whole: its status, its headers and its JSON body (`null` if empty).
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

/// Whether a Content-Type is one of the console's (a page, a script, a style sheet, an image).
fn is_page(kind: &str) -> bool {
    let essence = kind.split(';').next().unwrap_or("").trim();
    ["text/html", "text/javascript", "text/css", "image/svg+xml"].contains(&essence)
}

impl Answer {
    /// Reads a response and checks its shape (see the module's documentation); the error
    /// says what is wrong.
    pub fn read(response: Response<Body>) -> Result<Answer, String> {
        let status = response.status();
        let headers = response.headers().clone();
        let page = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|kind| kind.to_str().ok())
            .is_some_and(is_page);
        let body = match response.body() {
            // The console's page and assets: their text, as a string.
            Body::Text(text) if page && status.is_success() => Value::String(text.clone()),
            Body::Text(text) => serde_json::from_str(text)
                .map_err(|e| format!("{status}: the body is not JSON ({e}): {text}"))?,
            Body::Empty => Value::Null,
            other => return Err(format!("{status}: not a text body: {other:?}")),
        };
        let answer = Answer {
            status,
            headers,
            body,
        };
        answer.check_shape()?;
        Ok(answer)
    }

    /// The contract's shape: a problem for a 4xx or 5xx, JSON for a success with a body.
    fn check_shape(&self) -> Result<(), String> {
        let kind = self.header(header::CONTENT_TYPE);
        if kind == Some(SCIM) {
            let failed = self.status.is_client_error() || self.status.is_server_error();
            let shaped = !failed
                || (self.body["schemas"] == serde_json::json!([SCIM_ERROR])
                    && self.body["status"].as_str() == Some(self.status.as_str())
                    && self.body["detail"].is_string());
            return if shaped && !self.body.is_null() {
                Ok(())
            } else {
                Err(format!("{}: not a SCIM answer: {}", self.status, self.body))
            };
        }
        if self.status.is_client_error() || self.status.is_server_error() {
            let code = self.code();
            let shaped = kind == Some("application/problem+json")
                && self.body["status"] == self.status.as_u16()
                && !code.is_empty()
                && self.body["type"] == format!("urn:tenantry:problem:{code}");
            if !shaped {
                return Err(format!(
                    "{}: not an RFC 9457 problem (Content-Type {kind:?}): {}",
                    self.status, self.body
                ));
            }
        } else if !self.body.is_null()
            && kind != Some("application/json")
            && !kind.is_some_and(is_page)
        {
            return Err(format!(
                "{}: Content-Type {kind:?} for a JSON body: {}",
                self.status, self.body
            ));
        }
        Ok(())
    }

    /// The problem's `code` (`""` for a success); for a SCIM error, the code its `detail`
    /// starts with (`owner_protected: ...`), or its `scimType`.
    pub fn code(&self) -> &str {
        if self.header(header::CONTENT_TYPE) == Some(SCIM) {
            let detail = self.body["detail"].as_str().unwrap_or("");
            return match detail.split_once(": ") {
                Some((code, _)) if code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => {
                    code
                }
                _ => self.body["scimType"].as_str().unwrap_or(""),
            };
        }
        self.body["code"].as_str().unwrap_or("")
    }

    /// The problem's `field` (`""` if it names none).
    pub fn field(&self) -> &str {
        self.body["field"].as_str().unwrap_or("")
    }

    /// The body's `id`; panics if it has none.
    pub fn id(&self) -> String {
        self.body["id"]
            .as_str()
            .unwrap_or_else(|| panic!("no id in {self}"))
            .to_owned()
    }

    pub fn header(&self, name: impl AsHeaderName) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts the status (a `StatusCode` or its number); the answer, for more.
    #[track_caller]
    pub fn expect<S>(self, status: S) -> Answer
    where
        StatusCode: TryFrom<S>,
        <StatusCode as TryFrom<S>>::Error: fmt::Debug,
    {
        let status = StatusCode::try_from(status).expect("a status code");
        assert_eq!(self.status, status, "{}", self.body);
        self
    }

    /// Asserts the status and the problem's `code`.
    #[track_caller]
    pub fn expect_code<S>(self, status: S, code: &str) -> Answer
    where
        StatusCode: TryFrom<S>,
        <StatusCode as TryFrom<S>>::Error: fmt::Debug,
    {
        let status = StatusCode::try_from(status).expect("a status code");
        assert_eq!((self.status, self.code()), (status, code), "{}", self.body);
        self
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.body)
    }
}
