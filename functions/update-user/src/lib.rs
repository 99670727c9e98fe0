//! `PATCH /tenants/{tenant_id}/users/{user_id}`: changes a user's role and/or email.

use tenantry_http::prelude::*;

use tenantry_accounts::UserUpdate;
use tenantry_accounts::input::Email;
use tenantry_policy::Role;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::UserUpdate.as_str();

/// Server-owned fields (`is_owner`, `deleted_at`, `tenant_id`...) are unknown here: 400.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    role: Option<String>,
    email: Option<String>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let user_id = path_param(&req, "user_id")?;
    let body: Body = json_body(&req)?;
    let update = UserUpdate {
        role: body
            .role
            .map(|r| {
                Role::parse(&r).ok_or_else(|| {
                    Problem::invalid("role", "must be one of super_admin, admin, agent, user")
                })
            })
            .transpose()?,
        email: body
            .email
            .map(|e| field("email", Email::parse(&e)))
            .transpose()?,
        profile: None,
    };
    let user = app
        .accounts
        .update_user(&principal, &tenant_id, &user_id, update)
        .await?;
    json(StatusCode::OK, &user)
}
