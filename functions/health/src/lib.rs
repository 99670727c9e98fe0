//! Liveness: answers 200 without touching the table or needing a token.

use tenantry_http::prelude::*;

/// The action this function's log lines name (the audit log's name for mutations).
pub const ACTION: &str = AuditAction::Health.as_str();

pub async fn handle(_app: Arc<App>, _req: Request) -> Reply {
    json(StatusCode::OK, &serde_json::json!({"status": "ok"}))
}
