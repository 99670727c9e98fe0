//! `PATCH /scim/v2/{tenant_id}/Users/{user_id}`: a directory changes some of a user's
//! attributes (`add`, `replace`, `remove`); `active: false` is Entra's and Okta's
//! deactivation, the soft delete.

use tenantry_http::prelude::*;
use tenantry_http::scim;

pub const ACTION: &str = AuditAction::UserUpdate.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        let user_id = path_param(&req, "user_id")?;
        let if_match = scim::if_match(&req)?;
        let body = scim::body(&req)?;
        let current = app
            .accounts
            .directory_get_user(&directory, &tenant_id, &user_id)
            .await?;
        let wanted =
            tenantry_scim::apply_patch(&body, &current.user).map_err(Problem::from_scim)?;
        // The patch applies to the version read; the replace commits only on it.
        let version = if_match.or(Some(current.version));
        let patched = app
            .accounts
            .directory_replace_user(&directory, &tenant_id, &user_id, &wanted, version)
            .await?;
        scim::user(&req, StatusCode::OK, &tenant_id, &patched, (None, None))
    })
    .await
}
