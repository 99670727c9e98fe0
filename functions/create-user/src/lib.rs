//! `POST /tenants/{tenant_id}/users`: creates a user, if the caller's role allows that role.

use tenantry_http::prelude::*;

use tenantry_accounts::NewUser;
use tenantry_accounts::input::{Email, Password, Username};
use tenantry_policy::Role;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::UserCreate.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    username: String,
    email: String,
    password: String,
    role: String,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let body: Body = json_body(&req)?;
    let username = field("username", Username::parse(&body.username))?;
    let new = NewUser {
        email: field("email", Email::parse(&body.email))?,
        password: field("password", Password::parse(&body.password, &username))?,
        username,
        role: Role::parse(&body.role)
            .ok_or_else(|| Problem::invalid("role", "must be one of admin, agent, user"))?,
    };
    let user = app
        .accounts
        .create_user(&principal, &tenant_id, new)
        .await?;
    json(StatusCode::CREATED, &user)
}
