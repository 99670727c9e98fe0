//! `GET /scim/v2/{tenant_id}/Users/{user_id}`: one user, unless the directory deleted it.

use tenantry_http::prelude::*;
use tenantry_http::scim;

pub const ACTION: &str = AuditAction::ScimUserGet.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        let user_id = path_param(&req, "user_id")?;
        let user = app
            .accounts
            .directory_get_user(&directory, &tenant_id, &user_id)
            .await?;
        let (attributes, excluded) = scim::projection(&req);
        scim::user(
            &req,
            StatusCode::OK,
            &tenant_id,
            &user,
            (attributes.as_deref(), excluded.as_deref()),
        )
    })
    .await
}
