//! `GET /tenants/{tenant_id}/users/{user_id}`: one user; deleted ones only to admins.

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::UserGet.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let user_id = path_param(&req, "user_id")?;
    let user = app
        .accounts
        .get_user(&principal, &tenant_id, &user_id)
        .await?;
    json(StatusCode::OK, &user)
}
