//! `GET /tenants/{tenant_id}/audit`: a page of the tenant's audit log, newest first.

use tenantry_http::prelude::*;

use tenantry_accounts::AuditListing;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::AuditList.as_str();

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let query = query_params(&req, &["limit", "cursor"])?;
    let listing = AuditListing {
        limit: limit_param(&query, DEFAULT_LIMIT, MAX_LIMIT)?,
        cursor: query.get("cursor").cloned(),
    };
    let page = app
        .accounts
        .audit_log(&principal, &tenant_id, listing)
        .await?;
    json(StatusCode::OK, &page)
}
