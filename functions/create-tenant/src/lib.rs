//! `POST /tenants`: a super admin creates a tenant and its owner.

use tenantry_http::prelude::*;

use tenantry_accounts::NewTenant;
use tenantry_accounts::input::{Email, Password, TenantId, TenantName, Username};

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::TenantCreate.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    id: String,
    name: String,
    owner: Owner,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Owner {
    username: String,
    email: String,
    password: String,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let body: Body = json_body(&req)?;
    let id = field("id", TenantId::parse(&body.id))?;
    tenantry_http::log::record_tenant(id.as_str());
    let owner_username = field("owner.username", Username::parse(&body.owner.username))?;
    let new = NewTenant {
        id,
        name: field("name", TenantName::parse(&body.name))?,
        owner_email: field("owner.email", Email::parse(&body.owner.email))?,
        owner_password: field(
            "owner.password",
            Password::parse(&body.owner.password, &owner_username),
        )?,
        owner_username,
    };
    let created = app.accounts.create_tenant(&principal, new).await?;
    json(StatusCode::CREATED, &created)
}
