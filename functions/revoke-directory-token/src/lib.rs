//! `DELETE /tenants/{tenant_id}/scim-tokens/{token_id}`: revokes a directory (SCIM) token at
//! once. The directory's next request answers 401.

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::DirectoryTokenRevoke.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let token_id = path_param(&req, "token_id")?;
    let revoked = app
        .accounts
        .revoke_directory_token(&principal, &tenant_id, &token_id)
        .await?;
    json(StatusCode::OK, &serde_json::json!({ "revoked": revoked }))
}
