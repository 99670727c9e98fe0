//! What the SCIM routes share: the directory token, `application/scim+json` bodies in and
//! out, `If-Match`, rendering a user with its `meta`, and errors in the SCIM error schema
//! (every problem of a SCIM handler is rendered so by [`answer`]).

use std::future::Future;

use lambda_http::http::header::{CONTENT_TYPE, ETAG, IF_MATCH, LOCATION};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::Value;
use tenantry_accounts::{DirectoryCredential, DirectoryUser};
use tenantry_scim::{ScimError, ScimType, UserResource};

use crate::request::{MAX_BODY_BYTES, bearer, path_param, public_base_url};
use crate::{Problem, Reply, log};

/// Runs a SCIM handler: its problems answer in the SCIM error schema.
pub async fn answer(handler: impl Future<Output = Reply>) -> Reply {
    handler.await.map_err(Problem::in_scim)
}

/// The tenant of the route and the directory token presented for it. A token that cannot be
/// one is refused here; whether it is one of this tenant's, live, is for the use case.
pub fn directory(req: &Request) -> Result<(String, DirectoryCredential), Problem> {
    let tenant_id = path_param(req, "tenant_id")?;
    let credential = bearer(req)
        .and_then(|token| DirectoryCredential::parse(&tenant_id, token))
        .ok_or_else(Problem::unauthenticated)?;
    log::record_actor(&format!(
        "{}{}",
        tenantry_accounts::DIRECTORY_ACTOR_PREFIX,
        credential.token_id()
    ));
    Ok((tenant_id, credential))
}

/// The JSON body of a SCIM request: `application/scim+json` or `application/json`, at most
/// `MAX_BODY_BYTES`, one JSON value.
pub fn body(req: &Request) -> Result<Value, Problem> {
    let body: &[u8] = req.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(Problem::from_scim(ScimError::payload_too_large(format!(
            "the body must be at most {MAX_BODY_BYTES} bytes"
        ))));
    }
    if let Some(kind) = req.headers().get(CONTENT_TYPE) {
        let kind = kind.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = kind.split(';').next().unwrap_or("").trim();
        if essence != tenantry_scim::MEDIA_TYPE && essence != "application/json" {
            return Err(Problem::from_scim(ScimError::new(
                415,
                None,
                "the body must be application/scim+json (or application/json)",
            )));
        }
    }
    serde_json::from_slice(body).map_err(|e| {
        Problem::from_scim(ScimError::bad_request(
            ScimType::InvalidSyntax,
            format!("the body is not JSON: {e}"),
        ))
    })
}

/// The version an `If-Match` header asks for: `None` without one, or with `*`.
pub fn if_match(req: &Request) -> Result<Option<u64>, Problem> {
    match req.headers().get(IF_MATCH) {
        None => Ok(None),
        Some(value) => {
            let text = value.to_str().map_err(|_| {
                Problem::from_scim(ScimError::bad_request(
                    ScimType::InvalidSyntax,
                    "If-Match is not text",
                ))
            })?;
            tenantry_scim::parse_if_match(text).map_err(Problem::from_scim)
        }
    }
}

/// The query parameters in request order (percent-decoded).
pub fn query(req: &Request) -> Vec<(String, String)> {
    let params = req.query_string_parameters();
    let mut out = Vec::new();
    for (name, _) in params.iter() {
        if out.iter().any(|(seen, _): &(String, String)| seen == name) {
            continue;
        }
        for value in params.all(name).unwrap_or_default() {
            out.push((name.to_owned(), value.to_owned()));
        }
    }
    out
}

/// The base URL of the tenant's SCIM service, as this request reached it.
pub fn base_url(req: &Request, tenant_id: &str) -> String {
    let origin = public_base_url(req).unwrap_or_default();
    format!("{origin}/scim/v2/{tenant_id}")
}

/// A user as a SCIM resource, with its `meta`.
pub fn render(req: &Request, tenant_id: &str, user: &DirectoryUser) -> Value {
    let location = location(req, tenant_id, &user.id);
    tenantry_scim::render_user(&UserResource {
        id: &user.id,
        user: &user.user,
        created: &user.created,
        last_modified: &user.last_modified,
        version: user.version,
        location: &location,
    })
}

fn location(req: &Request, tenant_id: &str, user_id: &str) -> String {
    format!("{}/Users/{user_id}", base_url(req, tenant_id))
}

/// A SCIM response with `body`.
pub fn json(status: StatusCode, body: &Value) -> Reply {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(tenantry_scim::MEDIA_TYPE),
    );
    Ok(response)
}

/// A user: its resource, its version as an `ETag`, and with 201 its `Location`. The
/// resource may be cut down by `attributes`/`excludedAttributes` (the query's).
pub fn user(
    req: &Request,
    status: StatusCode,
    tenant_id: &str,
    user: &DirectoryUser,
    projection: (Option<&str>, Option<&str>),
) -> Reply {
    let rendered = render(req, tenant_id, user);
    let rendered =
        tenantry_scim::project(rendered, projection.0, projection.1).map_err(Problem::from_scim)?;
    let mut response = json(status, &rendered)?;
    let headers = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&tenantry_scim::weak_etag(user.version)) {
        headers.insert(ETAG, tag);
    }
    if status == StatusCode::CREATED
        && let Ok(at) = HeaderValue::from_str(&location(req, tenant_id, &user.id))
    {
        headers.insert(LOCATION, at);
    }
    Ok(response)
}

/// 204, no body (a SCIM `DELETE`).
pub fn no_content() -> Reply {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    Ok(response)
}

/// The `attributes` and `excludedAttributes` query parameters of a single-user request.
pub fn projection(req: &Request) -> (Option<String>, Option<String>) {
    let mut attributes = None;
    let mut excluded = None;
    for (name, value) in query(req) {
        match name.to_ascii_lowercase().as_str() {
            "attributes" => attributes = Some(value),
            "excludedattributes" => excluded = Some(value),
            _ => {}
        }
    }
    (attributes, excluded)
}
