//! `POST /auth/refresh`: exchanges a refresh token for a new access token and the next
//! refresh token. A refresh token works once; used again, it ends its whole session.

use tenantry_http::prelude::*;

/// The action this function's log lines name.
pub const ACTION: &str = AuditAction::Refresh.as_str();

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Refresh {
    refresh_token: String,
}

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let body: Refresh = json_body(&req)?;
    // The tenant is known only once the session is read: these lines name none, so that every
    // line of a request names the same context.
    let session = app.accounts.refresh(&body.refresh_token).await?;
    tenantry_http::session_reply(&app, &session)
}
