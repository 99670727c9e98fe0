//! `GET /scim/v2/{tenant_id}/{document}/{document_id}`: one discovery resource,
//! `ResourceTypes/User` or `Schemas/urn:ietf:params:scim:schemas:core:2.0:User`. Anything
//! else under the SCIM base URL is a SCIM 404.

use tenantry_http::prelude::*;
use tenantry_http::scim;

use tenantry_scim::ScimError;

pub const ACTION: &str = AuditAction::ScimDiscoveryItem.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        app.accounts.directory_check(&directory, &tenant_id).await?;
        let base = scim::base_url(&req, &tenant_id);
        let document = path_param(&req, "document")?;
        let id = path_param(&req, "document_id")?;
        let body = match (document.as_str(), id.as_str()) {
            ("ResourceTypes", "User") => tenantry_scim::resource_type_user(&base),
            ("Schemas", tenantry_scim::USER_SCHEMA) => tenantry_scim::schema_user(&base),
            _ => {
                return Err(Problem::from_scim(ScimError::not_found(format!(
                    "no SCIM resource /{}/{}",
                    document.chars().take(64).collect::<String>(),
                    id.chars().take(64).collect::<String>()
                ))));
            }
        };
        scim::json(StatusCode::OK, &body)
    })
    .await
}
