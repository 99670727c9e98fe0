//! `POST /scim/v2/{tenant_id}/Users`: a directory provisions a user (or an agent).

use tenantry_http::prelude::*;
use tenantry_http::scim;

pub const ACTION: &str = AuditAction::ScimUserCreate.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        let body = scim::body(&req)?;
        let user = tenantry_scim::parse_user(&body).map_err(Problem::from_scim)?;
        let created = app
            .accounts
            .directory_create_user(&directory, &tenant_id, &user)
            .await?;
        scim::user(
            &req,
            StatusCode::CREATED,
            &tenant_id,
            &created,
            (None, None),
        )
    })
    .await
}
