//! `POST /auth/logout-all`: ends every session of the caller at once (its token epoch moves
//! on), with an audit event.

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name).
pub const ACTION: &str = AuditAction::LogoutAll.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    tenantry_http::log::record_tenant(&principal.tenant_id);
    app.accounts.logout_all(&principal).await?;
    json(
        StatusCode::OK,
        &serde_json::json!({ "sessions_revoked": "all" }),
    )
}
