//! SCIM errors (RFC 7644 §3.12): an HTTP status, an optional `scimType` keyword, a detail.

use std::fmt;

use serde_json::{Value, json};

use crate::ERROR;

/// The `scimType` keywords of RFC 7644 §3.12, table 9. All of them are for status 400.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScimType {
    /// The filter syntax was invalid or the filter is not supported.
    InvalidFilter,
    /// The filter yields more results than the server is willing to compute.
    TooMany,
    /// A unique attribute's value is already taken.
    Uniqueness,
    /// The change is not compatible with an attribute's mutability or current state.
    Mutability,
    /// The body did not conform to the request schema.
    InvalidSyntax,
    /// The PATCH `path` is invalid or names an attribute the resource does not have.
    InvalidPath,
    /// A PATCH `path` matched nothing (or `remove` had no `path`).
    NoTarget,
    /// A required value is missing, or a value does not fit its attribute.
    InvalidValue,
    /// The SCIM protocol version is not supported.
    InvalidVers,
    /// The request carried sensitive data where it is not allowed (e.g. in a URL).
    Sensitive,
}

impl ScimType {
    pub const ALL: [ScimType; 10] = [
        ScimType::InvalidFilter,
        ScimType::TooMany,
        ScimType::Uniqueness,
        ScimType::Mutability,
        ScimType::InvalidSyntax,
        ScimType::InvalidPath,
        ScimType::NoTarget,
        ScimType::InvalidValue,
        ScimType::InvalidVers,
        ScimType::Sensitive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM error response, ready to render with [`ScimError::body`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> ScimError {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    /// 400 with a `scimType`: every client mistake this crate detects.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> ScimError {
        ScimError::new(400, Some(scim_type), detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> ScimError {
        ScimError::new(401, None, detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> ScimError {
        ScimError::new(403, None, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> ScimError {
        ScimError::new(404, None, detail)
    }

    /// 409 `uniqueness`: RFC 7644 §3.3 answers a taken `userName` (or other unique value) so.
    pub fn conflict_uniqueness(detail: impl Into<String>) -> ScimError {
        ScimError::new(409, Some(ScimType::Uniqueness), detail)
    }

    /// 412: the `If-Match` version is not the resource's current one (RFC 7644 §3.14).
    pub fn precondition_failed(detail: impl Into<String>) -> ScimError {
        ScimError::new(412, None, detail)
    }

    pub fn payload_too_large(detail: impl Into<String>) -> ScimError {
        ScimError::new(413, None, detail)
    }

    pub fn internal(detail: impl Into<String>) -> ScimError {
        ScimError::new(500, None, detail)
    }

    pub fn not_implemented(detail: impl Into<String>) -> ScimError {
        ScimError::new(501, None, detail)
    }

    /// The RFC 7644 §3.12 error body. `status` is a string there, not a number.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR],
            "status": self.status.to_string(),
            "detail": self.detail,
        });
        if let (Some(scim_type), Some(map)) = (self.scim_type, body.as_object_mut()) {
            map.insert("scimType".into(), Value::from(scim_type.as_str()));
        }
        body
    }
}

impl fmt::Display for ScimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scim_type {
            Some(scim_type) => write!(f, "{} {}: {}", self.status, scim_type, self.detail),
            None => write!(f, "{}: {}", self.status, self.detail),
        }
    }
}

impl std::error::Error for ScimError {}

pub(crate) fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidValue, detail)
}

pub(crate) fn invalid_syntax(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request(ScimType::InvalidSyntax, detail)
}

/// Client input echoed into a `detail`, cut short: details end up in logs and admin consoles.
pub(crate) fn echo(input: &str) -> String {
    const MAX_ECHO_CHARS: usize = 128;
    let mut out: String = input.chars().take(MAX_ECHO_CHARS).collect();
    if input.chars().nth(MAX_ECHO_CHARS).is_some() {
        out.push('…');
    }
    format!("\"{}\"", out.escape_debug())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_body_carries_the_status_as_a_string_and_the_scim_type() {
        let body = ScimError::bad_request(ScimType::InvalidFilter, "no").body();
        assert_eq!(
            body,
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                "status": "400",
                "scimType": "invalidFilter",
                "detail": "no",
            })
        );
    }

    #[test]
    fn an_error_without_a_scim_type_leaves_the_member_out() {
        let body = ScimError::not_found("User 7 not found").body();
        assert_eq!(body["status"], "404");
        assert!(body.get("scimType").is_none());
        assert_eq!(body["detail"], "User 7 not found");
    }

    #[test]
    fn every_constructor_picks_its_status() {
        let cases = [
            (ScimError::unauthorized("x"), 401, None),
            (ScimError::forbidden("x"), 403, None),
            (ScimError::not_found("x"), 404, None),
            (
                ScimError::conflict_uniqueness("x"),
                409,
                Some(ScimType::Uniqueness),
            ),
            (ScimError::precondition_failed("x"), 412, None),
            (ScimError::payload_too_large("x"), 413, None),
            (ScimError::internal("x"), 500, None),
            (ScimError::not_implemented("x"), 501, None),
        ];
        for (error, status, scim_type) in cases {
            assert_eq!(error.status, status);
            assert_eq!(error.scim_type, scim_type);
            assert_eq!(error.body()["status"], status.to_string());
        }
    }

    #[test]
    fn every_scim_type_keyword_is_spelled_as_in_table_9() {
        let words: Vec<&str> = ScimType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            words,
            [
                "invalidFilter",
                "tooMany",
                "uniqueness",
                "mutability",
                "invalidSyntax",
                "invalidPath",
                "noTarget",
                "invalidValue",
                "invalidVers",
                "sensitive"
            ]
        );
    }

    #[test]
    fn an_error_displays_its_status_keyword_and_detail() {
        let error = ScimError::bad_request(ScimType::NoTarget, "remove needs a path");
        assert_eq!(error.to_string(), "400 noTarget: remove needs a path");
        assert_eq!(ScimError::not_found("gone").to_string(), "404: gone");
    }

    #[test]
    fn echoed_input_is_quoted_and_cut_short() {
        assert_eq!(echo("abc"), "\"abc\"");
        let long = "x".repeat(200);
        let echoed = echo(&long);
        assert_eq!(echoed.chars().count(), 128 + 3);
        assert!(echoed.ends_with("…\""));
    }
}
