//! `POST /tenants/{tenant_id}/users/{user_id}/restore`: undoes a soft delete.

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::UserRestore.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let user_id = path_param(&req, "user_id")?;
    let user = app
        .accounts
        .restore_user(&principal, &tenant_id, &user_id)
        .await?;
    json(StatusCode::OK, &user)
}
