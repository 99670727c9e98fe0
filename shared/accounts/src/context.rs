//! Log context: the spans whose fields go on every log line logged inside them.

/// The target of the spans whose fields (`request_id`, `tenant`, `actor`, `action`) go on
/// every log line logged inside them (see `tenantry_http::log`).
pub const LOG_CONTEXT: &str = "tenantry::context";

/// A context span for the lines about one user of `tenant` (its tenant goes on each of them).
pub fn tenant_span(tenant: &str) -> tracing::Span {
    tracing::info_span!(target: LOG_CONTEXT, "user", tenant)
}
