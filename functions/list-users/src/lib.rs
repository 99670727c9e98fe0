//! `GET /tenants/{tenant_id}/users`: a page of active users, or the trash (`state=deleted`).

use tenantry_http::prelude::*;

use tenantry_accounts::UserListing;
use tenantry_policy::ListScope;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::UserList.as_str();

const DEFAULT_LIMIT: usize = 50;
const MAX_LIMIT: usize = 100;

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let query = query_params(&req, &["state", "limit", "cursor"])?;
    let scope = match query.get("state").map(String::as_str) {
        None | Some("active") => ListScope::Active,
        Some("deleted") => ListScope::Deleted,
        Some("all") => ListScope::All,
        Some(_) => return Err(Problem::invalid("state", "must be active, deleted or all")),
    };
    let limit = limit_param(&query, DEFAULT_LIMIT, MAX_LIMIT)?;
    let listing = UserListing {
        scope,
        limit,
        cursor: query.get("cursor").cloned(),
    };
    let page = app
        .accounts
        .list_users(&principal, &tenant_id, listing)
        .await?;
    json(StatusCode::OK, &page)
}
