//! `POST /auth/login`: exchanges a username and password for an access token and a
//! refresh token (a new session).

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::Login.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Login {
    tenant: String,
    username: String,
    password: String,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let body: Login = json_body(&req)?;
    tenantry_http::log::record_tenant(&body.tenant);
    let session = app
        .accounts
        .login(&body.tenant, &body.username, &body.password)
        .await?;
    tenantry_http::session_reply(&app, &session)
}
