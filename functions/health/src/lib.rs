//! Liveness: answers 200 without touching the table or needing a token.

use tenantry_http::prelude::*;

pub async fn handle(_app: Arc<App>, _req: Request) -> Reply {
    json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}
