//! `GET /me`: the caller's own account.

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::MeGet.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    tenantry_http::log::record_tenant(&principal.tenant_id);
    let user = app.accounts.me(&principal).await?;
    json(StatusCode::OK, &user)
}
