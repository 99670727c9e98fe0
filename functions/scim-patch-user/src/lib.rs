//! `PATCH /scim/v2/{tenant_id}/Users/{user_id}`: a directory changes some of a user's
//! attributes (`add`, `replace`, `remove`); `active: false` is Entra's and Okta's
//! deactivation, the soft delete.

use tenantry_accounts::Error;
use tenantry_http::prelude::*;
use tenantry_http::scim;

pub const ACTION: &str = AuditAction::ScimUserPatch.as_str();

/// Reads of the user a PATCH without `If-Match` may take: each change made meanwhile by
/// someone else means applying the operations again, to the user as it is now.
const MAX_READS: u32 = 3;

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    scim::answer(async {
        let (tenant_id, directory) = scim::directory(&req)?;
        let user_id = path_param(&req, "user_id")?;
        let if_match = scim::if_match(&req)?;
        let body = scim::body(&req)?;
        let mut reads = 0;
        loop {
            reads += 1;
            let current = app
                .accounts
                .directory_get_user(&directory, &tenant_id, &user_id)
                .await?;
            let wanted =
                tenantry_scim::apply_patch(&body, &current.user).map_err(Problem::from_scim)?;
            // Committed only on the version the operations were applied to.
            let version = if_match.or(Some(current.version));
            match app
                .accounts
                .directory_replace_user(&directory, &tenant_id, &user_id, (&wanted, true), version)
                .await
            {
                Err(Error::VersionMismatch { .. }) if if_match.is_none() && reads < MAX_READS => {}
                Ok(patched) => {
                    return scim::user(&req, StatusCode::OK, &tenant_id, &patched, (None, None));
                }
                Err(err) => return Err(err.into()),
            }
        }
    })
    .await
}
