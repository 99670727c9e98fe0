//! `GET /me`: the caller's own account.

use tenantry_http::prelude::*;

pub async fn handle(app: Arc<App>, req: Request) -> Reply {
    let principal = app.principal(&req)?;
    let user = app.accounts.me(&principal).await?;
    json(StatusCode::OK, &user)
}
