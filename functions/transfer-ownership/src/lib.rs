//! `POST /tenants/{tenant_id}/ownership`: hands the tenant to another active admin.

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::TenantTransfer.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    new_owner_id: String,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let body: Body = json_body(&req)?;
    let moved = app
        .accounts
        .transfer_ownership(&principal, &tenant_id, &body.new_owner_id)
        .await?;
    json(StatusCode::OK, &moved)
}
