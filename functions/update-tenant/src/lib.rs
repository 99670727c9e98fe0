//! `PATCH /tenants/{tenant_id}`: the tenant's settings. Today: `retention_days`, the days a
//! user deleted from now on stays restorable before the purge.

use tenantry_http::prelude::*;

use tenantry_accounts::input::RetentionDays;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::TenantUpdate.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    retention_days: Option<serde_json::Value>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let body: Body = json_body(&req)?;
    let raw = body
        .retention_days
        .ok_or_else(|| Problem::invalid("retention_days", "is required"))?;
    let days = field("retention_days", RetentionDays::parse(&raw))?;
    let tenant = app
        .accounts
        .set_retention(&principal, &tenant_id, days)
        .await?;
    json(StatusCode::OK, &tenant)
}
