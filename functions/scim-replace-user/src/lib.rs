//! `PUT /scim/v2/{tenant_id}/Users/{user_id}`: a directory replaces a user's attributes;
//! `active` deactivates (the soft delete) or restores it.

use tenantry_http::prelude::*;
use tenantry_http::scim;

pub const ACTION: &str = AuditAction::ScimUserReplace.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        let user_id = path_param(&req, "user_id")?;
        let if_match = scim::if_match(&req)?;
        let body = scim::body(&req)?;
        let user = tenantry_scim::parse_user(&body).map_err(Problem::from_scim)?;
        let replaced = app
            .accounts
            .directory_replace_user(
                &directory,
                &tenant_id,
                &user_id,
                (&user, tenantry_scim::gives_roles(&body)),
                if_match,
            )
            .await?;
        scim::user(&req, StatusCode::OK, &tenant_id, &replaced, (None, None))
    })
    .await
}
