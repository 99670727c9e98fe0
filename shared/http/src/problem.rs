//! RFC 9457 problem details: every error answer of the API, mapped in this one place.

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Response};
use serde_json::{Map, Value, json};
use tenantry_accounts::Error;
use tenantry_scim::{ScimError, ScimType};

/// An error answer. `code` is stable and documented; `detail` is for people.
#[derive(Debug, Clone)]
pub struct Problem {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    /// Extra members (`field`, `frees_at`...), part of the contract like `code`.
    pub extensions: Map<String, Value>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
    /// The cause, for the log only (never sent).
    cause: Option<String>,
    /// `Some` (with its `scimType`, if any): rendered as a SCIM error (RFC 7644 §3.12) of
    /// `status` and `detail` instead of problem+json, as the SCIM routes answer.
    scim: Option<Option<ScimType>>,
}

impl Problem {
    /// Private on purpose: every code is made by a constructor of this module or by the
    /// conversion from `Error`, so `Problem::http_layer` and `Error::every_kind` list them all.
    fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            code,
            detail: detail.into(),
            extensions: Map::new(),
            headers: Vec::new(),
            cause: None,
            scim: None,
        }
    }

    /// A SCIM client mistake found by `tenantry-scim`, answered as that SCIM error. Its log
    /// code is the `scimType` (`invalidFilter`...), or `scim_error` without one.
    pub fn from_scim(error: ScimError) -> Problem {
        let status =
            StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let code = error.scim_type.map_or("scim_error", ScimType::as_str);
        let mut problem = Problem::new(status, code, error.detail);
        problem.scim = Some(error.scim_type);
        problem
    }

    /// This problem as a SCIM route answers it: the SCIM error schema, a `scimType` where
    /// RFC 7644 defines one, and the stable code first in `detail` (`owner_protected: ...`).
    /// A restore whose window closed is 400 `invalidValue` there (it asked for `active: true`).
    pub fn in_scim(mut self) -> Problem {
        if self.scim.is_some() {
            return self;
        }
        let scim_type = match self.code {
            "validation_failed" => Some(ScimType::InvalidValue),
            "immutable" => Some(ScimType::Mutability),
            "restore_window_closed" => {
                self.status = StatusCode::BAD_REQUEST;
                Some(ScimType::InvalidValue)
            }
            "username_taken"
            | "email_taken"
            | "username_held_by_deleted_user"
            | "email_held_by_deleted_user" => Some(ScimType::Uniqueness),
            _ => None,
        };
        self.detail = format!("{}: {}", self.code, self.detail);
        self.scim = Some(scim_type);
        self
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Problem {
        self.extensions.insert(key.to_owned(), value.into());
        self
    }

    pub fn header(mut self, name: header::HeaderName, value: &'static str) -> Problem {
        self.headers.push((name, HeaderValue::from_static(value)));
        self
    }

    /// 400 `validation_failed` naming the offending field.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            format!("Invalid `{field}`: {message}"),
        )
        .with("field", field)
    }

    pub fn unauthenticated() -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "A valid bearer token is required.",
        )
        .header(header::WWW_AUTHENTICATE, "Bearer")
    }

    /// 403 `origin_not_allowed`: the edge is on and the request did not come through it
    /// (see `origin`).
    pub fn origin_not_allowed() -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "Requests must come through the API's published address.",
        )
    }

    /// 404 `route_not_found`: no route has this path.
    pub fn route_not_found() -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "route_not_found", "No such route.")
    }

    /// 405 `method_not_allowed`, with the `Allow` header listing the methods the path has.
    pub fn method_not_allowed(method: &Method, allowed: &[&str]) -> Problem {
        let allow = allowed.join(", ");
        let mut problem = Problem::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{method} is not allowed here. Allowed: {allow}."),
        );
        if let Ok(value) = HeaderValue::from_str(&allow) {
            problem.headers.push((header::ALLOW, value));
        }
        problem
    }

    /// 413 `payload_too_large`: a body over `limit` bytes.
    pub fn payload_too_large(limit: usize) -> Problem {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The body must be at most {limit} bytes."),
        )
    }

    /// 415 `unsupported_media_type`: a body that is not JSON.
    pub fn unsupported_media_type() -> Problem {
        Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The body must be JSON (Content-Type: application/json).",
        )
    }

    pub fn internal(cause: impl Into<String>) -> Problem {
        let mut problem = Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Something went wrong on our side. It has been logged.",
        );
        problem.cause = Some(cause.into());
        problem
    }

    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    pub fn body(&self) -> Value {
        let mut body = json!({
            "type": format!("urn:tenantry:problem:{}", self.code),
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
            "code": self.code,
        });
        if let Value::Object(map) = &mut body {
            map.extend(self.extensions.clone());
        }
        body
    }

    pub fn into_response(self) -> Response<Body> {
        let (body, media_type) = match self.scim {
            Some(scim_type) => {
                let error = ScimError::new(self.status.as_u16(), scim_type, self.detail.clone());
                (error.body(), tenantry_scim::MEDIA_TYPE)
            }
            None => (self.body(), "application/problem+json"),
        };
        let mut response = Response::new(Body::Text(body.to_string()));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type));
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

impl From<Error> for Problem {
    fn from(err: Error) -> Problem {
        use StatusCode as S;
        let detail = err.to_string();
        match err {
            Error::Invalid { field, message } => Problem::invalid(&field, message),
            Error::Immutable { field, message } => Problem::new(
                S::BAD_REQUEST,
                "immutable",
                format!("`{field}` is set once and cannot change: {message}."),
            ),
            Error::Unauthenticated => Problem::unauthenticated(),
            Error::InvalidCredentials => Problem::new(
                S::UNAUTHORIZED,
                "invalid_credentials",
                "The tenant, username or password is wrong.",
            ),
            Error::LoginLocked { retry_after } => {
                let mut problem = Problem::new(
                    S::TOO_MANY_REQUESTS,
                    "login_locked",
                    format!(
                        "Too many failed attempts for this username. Try again in {retry_after} seconds."
                    ),
                )
                .with("retry_after", retry_after);
                problem
                    .headers
                    .push((header::RETRY_AFTER, HeaderValue::from(retry_after)));
                problem
            }
            Error::SessionEnded => Problem::new(
                S::UNAUTHORIZED,
                "session_ended",
                "This refresh token is no longer valid (expired, already used, revoked or logged out). Log in again.",
            ),
            Error::WrongPassword => Problem::new(
                S::FORBIDDEN,
                "wrong_password",
                "The current password is wrong.",
            ),
            Error::Denied(denial) if denial.is_not_found() => {
                Problem::new(S::NOT_FOUND, "not_found", denial.message())
            }
            Error::Denied(denial) if denial.is_conflict() => {
                Problem::new(S::CONFLICT, denial.code(), denial.message())
            }
            Error::Denied(denial) => Problem::new(S::FORBIDDEN, denial.code(), denial.message()),
            Error::UserNotFound => Problem::new(S::NOT_FOUND, "user_not_found", "No such user."),
            Error::TenantNotFound => {
                Problem::new(S::NOT_FOUND, "tenant_not_found", "No such tenant.")
            }
            Error::TenantExists => Problem::new(
                S::CONFLICT,
                "tenant_exists",
                "A tenant with this id already exists.",
            ),
            Error::UsernameTaken => Problem::new(
                S::CONFLICT,
                "username_taken",
                "This username is taken in this tenant.",
            ),
            Error::EmailTaken => Problem::new(
                S::CONFLICT,
                "email_taken",
                "This email is taken in this tenant.",
            ),
            Error::UsernameHeldByDeletedUser { user_id, frees_at } => held(
                "username_held_by_deleted_user",
                "username",
                user_id,
                frees_at,
            ),
            Error::EmailHeldByDeletedUser { user_id, frees_at } => {
                held("email_held_by_deleted_user", "email", user_id, frees_at)
            }
            Error::NotDeleted => {
                Problem::new(S::CONFLICT, "not_deleted", "This user is not deleted.")
            }
            Error::DirectoryTokenNotFound => Problem::new(
                S::NOT_FOUND,
                "directory_token_not_found",
                "No such directory token in this tenant (or it was revoked).",
            ),
            Error::RestoreWindowClosed { purge_after } => Problem::new(
                S::CONFLICT,
                "restore_window_closed",
                format!("This user could be restored until {purge_after}; it awaits purge now."),
            )
            .with("purge_after", purge_after),
            Error::VersionMismatch { asked, current } => Problem::new(
                S::PRECONDITION_FAILED,
                "version_mismatch",
                format!(
                    "The user is at version {current}, not {asked}: read it again, then retry."
                ),
            ),
            Error::Conflict => Problem::new(
                S::CONFLICT,
                "conflict",
                "The account kept changing while this request ran. Retry it.",
            ),
            Error::Unavailable(cause) => {
                let mut problem = Problem::new(
                    S::SERVICE_UNAVAILABLE,
                    "service_unavailable",
                    "The database is unavailable. Retry shortly.",
                )
                .header(header::RETRY_AFTER, "1");
                problem.cause = Some(cause);
                problem
            }
            Error::Internal(_) => Problem::internal(detail),
        }
    }
}

/// A username or email still claimed by a deleted account: when it frees, and whose it is.
fn held(code: &'static str, what: &str, user_id: String, frees_at: String) -> Problem {
    Problem::new(
        StatusCode::CONFLICT,
        code,
        format!(
            "This {what} belongs to a deleted user who can be restored until {frees_at}. \
             It frees then, or at once if that user is purged."
        ),
    )
    .with("deleted_user_id", user_id)
    .with("frees_at", frees_at)
}
