//! The public keys that verify access tokens, as a JSON Web Key Set: every key of the set,
//! the active one and those kept for verifying only, never a private part. No token needed,
//! and the table is not touched.

use lambda_http::http::HeaderValue;
use lambda_http::http::header::CACHE_CONTROL;
use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::Jwks.as_str();

/// How long verifiers may cache the set: publish a new key at least this long before it signs.
pub const CACHE_CONTROL_VALUE: &str = "public, max-age=300";

pub async fn handle(app: Arc<App>, _req: Request) -> Reply {
    let mut response = json(StatusCode::OK, &app.tokens.keys().jwks())?;
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL_VALUE));
    Ok(response)
}
