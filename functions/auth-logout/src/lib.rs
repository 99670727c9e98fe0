//! `POST /auth/logout`: ends the caller's session, its refresh token and its access tokens.

use tenantry_http::prelude::*;

/// The action this function's log lines name.
pub const ACTION: &str = AuditAction::Logout.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    tenantry_http::log::record_tenant(&principal.tenant_id);
    app.accounts.logout(&principal).await?;
    json(
        StatusCode::OK,
        &serde_json::json!({ "sessions_revoked": "current" }),
    )
}
