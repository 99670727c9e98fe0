//! `POST /tenants/{tenant_id}/scim-tokens`: a directory (SCIM) token for the tenant, for its
//! owner or a super admin. The answer shows the token this once, with the tenant's SCIM base
//! URL to give the directory.

use tenantry_http::prelude::*;

use tenantry_accounts::input::DirectoryTokenName;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::DirectoryTokenCreate.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    name: String,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let body: Body = json_body(&req)?;
    let name = field("name", DirectoryTokenName::parse(&body.name))?;
    let created = app
        .accounts
        .create_directory_token(&principal, &tenant_id, name)
        .await?;
    let mut answer =
        serde_json::to_value(&created).map_err(|e| Problem::internal(e.to_string()))?;
    if let Some(base) = public_base_url(&req) {
        answer["scim_base_url"] = format!("{base}/scim/v2/{tenant_id}").into();
    }
    json(StatusCode::CREATED, &answer)
}
