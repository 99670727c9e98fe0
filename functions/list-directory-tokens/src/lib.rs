//! `GET /tenants/{tenant_id}/scim-tokens`: the tenant's directory (SCIM) tokens, with when
//! each was created and last used; never a secret.

use tenantry_http::prelude::*;

/// The action this function's log lines name.
pub const ACTION: &str = AuditAction::DirectoryTokenList.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    query_params(&req, &[])?;
    let tokens = app
        .accounts
        .list_directory_tokens(&principal, &tenant_id)
        .await?;
    json(StatusCode::OK, &serde_json::json!({ "items": tokens }))
}
