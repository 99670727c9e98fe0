//! `POST /tenants/{tenant_id}/users/{user_id}/password`: changes your own password (with the
//! current one) or resets another user's (by the rank rules of delete). Either way every
//! session of that user ends.

use tenantry_http::prelude::*;

use tenantry_accounts::PasswordChange;

/// The action this function's log lines name (the audit log's name).
pub const ACTION: &str = AuditAction::UserSetPassword.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    new_password: String,
    current_password: Option<String>,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let tenant_id = path_param(&req, "tenant_id")?;
    let user_id = path_param(&req, "user_id")?;
    let body: Body = json_body(&req)?;
    let change = PasswordChange {
        new_password: body.new_password,
        current_password: body.current_password,
    };
    let set = app
        .accounts
        .set_password(&principal, &tenant_id, &user_id, change)
        .await?;
    json(
        StatusCode::OK,
        &serde_json::json!({
            "id": set.user_id,
            "password_changed": true,
            "sessions_revoked": set.sessions_revoked,
        }),
    )
}
