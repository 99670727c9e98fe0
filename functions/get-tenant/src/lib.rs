//! `GET /tenants/{tenant_id}`: the tenant (name, owner, retention), for its members and super
//! admins, with what the caller may do to it.

use tenantry_http::prelude::*;

/// The action this function's log lines name.
pub const ACTION: &str = AuditAction::TenantGet.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let tenant = app.accounts.get_tenant(&principal, &tenant_id).await?;
    json(StatusCode::OK, &tenant)
}
