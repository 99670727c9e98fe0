//! `GET /scim/v2/{tenant_id}/Users`: the users a directory may see, filtered and paged
//! (`filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`).

use tenantry_http::prelude::*;
use tenantry_http::scim;

use tenantry_accounts::DirectoryListing;

pub const ACTION: &str = AuditAction::ScimUserList.as_str();

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        let query =
            tenantry_scim::parse_list_query(&scim::query(&req)).map_err(Problem::from_scim)?;
        let listing = DirectoryListing {
            filter: query.filter.as_ref(),
            start_index: query.start_index,
            count: query.count,
        };
        let page = app
            .accounts
            .directory_list_users(&directory, &tenant_id, listing)
            .await?;
        let resources = page
            .users
            .iter()
            .map(|user| {
                tenantry_scim::project(
                    scim::render(&req, &tenant_id, user),
                    query.attributes.as_deref(),
                    query.excluded_attributes.as_deref(),
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(Problem::from_scim)?;
        let body = tenantry_scim::list_response(page.total, query.start_index, resources);
        scim::json(StatusCode::OK, &body)
    })
    .await
}
