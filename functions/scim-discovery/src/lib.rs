//! `GET /scim/v2/{tenant_id}/{document}`: the SCIM discovery documents (RFC 7644 §4):
//! `ServiceProviderConfig`, `ResourceTypes` and `Schemas`. Any other name under the SCIM base
//! URL is a SCIM 404. The directory token is checked like on every SCIM route.

use tenantry_http::prelude::*;
use tenantry_http::scim;

use tenantry_scim::ScimError;

pub const ACTION: &str = AuditAction::ScimDiscovery.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        app.accounts.directory_check(&directory, &tenant_id).await?;
        let base = scim::base_url(&req, &tenant_id);
        let document = path_param(&req, "document")?;
        let body = match document.as_str() {
            "ServiceProviderConfig" => tenantry_scim::service_provider_config(&base),
            "ResourceTypes" => tenantry_scim::resource_types(&base),
            "Schemas" => tenantry_scim::schemas(&base),
            _ => {
                return Err(Problem::from_scim(ScimError::not_found(format!(
                    "no SCIM endpoint /{}: tenantry serves /Users, /ServiceProviderConfig, \
                 /ResourceTypes and /Schemas",
                    document.chars().take(64).collect::<String>()
                ))));
            }
        };
        scim::json(StatusCode::OK, &body)
    })
    .await
}
