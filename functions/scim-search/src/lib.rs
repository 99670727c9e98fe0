//! `POST /scim/v2/{tenant_id}/{document}`: the search endpoint `/.search` (RFC 7644 §3.4.3),
//! which tenantry does not offer: 501, as RFC 7644 §3.12 answers an unsupported request.
//! Searching users is `GET /Users` with a `filter`. The discovery documents are read-only
//! (405, `Allow: GET`); any other name is a SCIM 404.

use lambda_http::http::header::ALLOW;
use tenantry_http::prelude::*;
use tenantry_http::scim;
use tenantry_scim::ScimError;

pub const ACTION: &str = AuditAction::ScimSearch.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        app.accounts.directory_check(&directory, &tenant_id).await?;
        let document = path_param(&req, "document")?;
        if ["ServiceProviderConfig", "ResourceTypes", "Schemas"].contains(&document.as_str()) {
            let error = ScimError::new(405, None, format!("/{document} is read-only: GET it"));
            return Err(Problem::from_scim(error).header(ALLOW, "GET"));
        }
        let error = if document == ".search" {
            ScimError::not_implemented(
                "POST /.search is not supported: search users with GET /Users and a filter",
            )
        } else {
            ScimError::not_found(format!(
                "no SCIM endpoint /{} takes a POST: tenantry creates users with POST /Users",
                document.chars().take(64).collect::<String>()
            ))
        };
        Err(Problem::from_scim(error))
    })
    .await
}
