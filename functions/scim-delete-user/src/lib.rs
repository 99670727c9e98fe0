//! `DELETE /scim/v2/{tenant_id}/Users/{user_id}`: the soft delete; from then on the
//! directory gets 404 for the user, while admins still see it in the trash.

use tenantry_http::prelude::*;
use tenantry_http::scim;

pub const ACTION: &str = AuditAction::ScimUserDelete.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        let user_id = path_param(&req, "user_id")?;
        let if_match = scim::if_match(&req)?;
        app.accounts
            .directory_delete_user(&directory, &tenant_id, &user_id, if_match)
            .await?;
        scim::no_content()
    })
    .await
}
