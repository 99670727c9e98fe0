//! Logs for CloudWatch: one JSON object per line, with the request's context as top-level keys.
//!
//! Every line has `timestamp` (RFC 3339, UTC; Lambda's JSON log format needs it to keep the
//! line's `level`), `level`, `target`, `message`, then `request_id`, `tenant`, `actor` and
//! `action` (null when none applies), then the event's own fields. The four keys come from
//! the context spans (target [`CONTEXT`]) the line is logged in: [`span`] opens one per
//! invocation, [`record_tenant`] and [`record_actor`] fill it in as the request reveals them,
//! [`tenant_span`] names the tenant of lines about one user. An event's own field of the same
//! name (the SDK logs DynamoDB's `request_id`) is renamed `field.<name>`. The spans of other
//! crates (the SDK's, the Lambda runtime's) add nothing to the line.
//!
//! `RUST_LOG` filters (default `info`); the context spans are enabled whatever it says, so a
//! line never loses its context to the filter. The AWS SDK and the Lambda runtime print whole
//! payloads at `TRACE` (DynamoDB items with password hashes, the raw event with passwords and
//! bearer tokens): their `TRACE` events are withheld whatever `RUST_LOG` says. Our own types
//! that hold secrets (`Config`, `Tokens`, `Password`, `UserItem`, a cancelled transaction's
//! items) never show them in `Debug`.

use std::fmt;

use lambda_http::Context;
use serde_json::{Map, Value};
use tenantry_accounts::input::could_be_tenant_id;
use tracing::field::Empty;
use tracing::{Event, Level, Span, Subscriber};
use tracing_subscriber::filter::{self, Targets};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields, MakeWriter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The target of the spans whose fields go on every line logged inside them.
pub use tenantry_accounts::LOG_CONTEXT as CONTEXT;

/// The keys every line carries, null when none applies.
pub const CONTEXT_KEYS: [&str; 4] = ["request_id", "tenant", "actor", "action"];

/// Dependencies whose `TRACE` events are withheld whatever `RUST_LOG` says: they print whole
/// payloads. The Lambda runtime logs the raw event (passwords in bodies, bearer tokens in
/// headers); the AWS SDK the DynamoDB requests, responses and outputs (items with password
/// hashes) and the signed headers (the session token).
const NO_TRACE_FROM: [&str; 2] = ["aws_", "lambda_"];

fn withheld(meta: &tracing::Metadata<'_>) -> bool {
    *meta.level() == Level::TRACE
        && NO_TRACE_FROM
            .iter()
            .any(|prefix| meta.target().starts_with(prefix))
}

/// JSON lines on stdout, filtered by `RUST_LOG` (default `info`). Call once, first thing.
pub fn init_tracing() {
    let directives = std::env::var("RUST_LOG").unwrap_or_default();
    let _ = subscriber(&directives, std::io::stdout).try_init();
}

/// The subscriber of every function and of the dev server, writing to `writer`; `directives`
/// as in `RUST_LOG`: `target=level` pairs and a bare default level, comma-separated
/// (`tracing-subscriber`'s `Targets`; empty or invalid: `info`).
pub fn subscriber<W>(directives: &str, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter = Some(directives.trim())
        .filter(|d| !d.is_empty())
        .and_then(|d| d.parse::<Targets>().ok())
        .unwrap_or_else(|| Targets::new().with_default(Level::INFO))
        .with_target(CONTEXT, Level::INFO);
    tracing_subscriber::registry()
        .with(filter)
        .with(filter::filter_fn(|meta| !withheld(meta)))
        .with(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(Line)
                .with_writer(writer),
        )
}

/// The context span of one invocation: its request id (from the Lambda context; the dev
/// server makes one) and X-Ray trace id, its action, and the actor when it is known up front.
pub fn span(action: &'static str, context: Option<&Context>, actor: Option<&str>) -> Span {
    let request_id = context
        .map(|c| c.request_id.as_str())
        .filter(|id| !id.is_empty());
    let xray_trace_id = context.and_then(|c| c.xray_trace_id.as_deref());
    tracing::info_span!(
        target: CONTEXT,
        "request",
        request_id,
        tenant = Empty,
        actor,
        action,
        xray_trace_id,
    )
}

/// A context span inside the current one, for the lines about one user of `tenant`.
pub use tenantry_accounts::tenant_span;

/// The tenant the current request is about, once known (the path's, the login's, the new
/// tenant's). Only a possible tenant id is recorded: a client's typo stays out of the key.
pub fn record_tenant(tenant: &str) {
    if could_be_tenant_id(tenant) {
        Span::current().record("tenant", tenant);
    }
}

/// The actor of the current request, once its token is verified.
pub fn record_actor(actor: &str) {
    Span::current().record("actor", actor);
}

/// Now, as the lines give it: RFC 3339 in UTC, to the microsecond.
pub fn timestamp() -> String {
    let mut text = String::new();
    let _ = SystemTime.format_time(&mut Writer::new(&mut text));
    text
}

/// The line format: flat JSON, context keys first.
struct Line;

impl<S> FormatEvent<S, JsonFields> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, JsonFields>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line: Vec<(String, Value)> = vec![
            ("timestamp".into(), timestamp().into()),
            ("level".into(), meta.level().as_str().into()),
            ("target".into(), meta.target().into()),
            ("message".into(), Value::Null),
        ];
        line.extend(CONTEXT_KEYS.map(|key| (key.to_owned(), Value::Null)));

        // Outer spans first, so an inner span's value wins (a purged user's tenant).
        for span in ctx.event_scope().into_iter().flat_map(|s| s.from_root()) {
            if span.metadata().target() != CONTEXT {
                continue;
            }
            let extensions = span.extensions();
            if let Some(fields) = extensions.get::<FormattedFields<JsonFields>>() {
                for (key, value) in parse_object(&fields.fields) {
                    set(&mut line, key, value);
                }
            }
        }

        let mut fields = String::new();
        ctx.field_format()
            .format_fields(Writer::new(&mut fields), event)?;
        for (key, value) in parse_object(&fields) {
            // The formatter's keys and the context's stay theirs: the SDK's events, for one,
            // have a `request_id` of their own (DynamoDB's).
            let reserved = ["timestamp", "level", "target"]
                .into_iter()
                .chain(CONTEXT_KEYS)
                .any(|k| k == key);
            let key = if reserved {
                format!("field.{key}")
            } else {
                key
            };
            set(&mut line, key, value);
        }

        let text = serde_json::to_string(&Ordered(&line)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{text}")
    }
}

fn parse_object(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// Replaces the value of `key` where it stands, or appends it.
fn set(line: &mut Vec<(String, Value)>, key: String, value: Value) {
    match line.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => line.push((key, value)),
    }
}

/// The line's keys in the order they were first set.
struct Ordered<'a>(&'a [(String, Value)]);

impl serde::Serialize for Ordered<'_> {
    fn serialize<Ser: serde::Serializer>(&self, serializer: Ser) -> Result<Ser::Ok, Ser::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// Runs `work` under the subscriber with `directives`; returns the lines it wrote.
    fn lines(directives: &str, work: impl FnOnce()) -> Vec<Value> {
        text(directives, work)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn text(directives: &str, work: impl FnOnce()) -> String {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let writer = move || Sink(Arc::clone(&sink));
        tracing::subscriber::with_default(subscriber(directives, writer), work);
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn context(request_id: &str) -> Context {
        let mut context = Context::default();
        context.request_id = request_id.into();
        context
    }

    #[test]
    fn a_line_is_flat_json_with_the_context_first() {
        let out = lines("info", || {
            tracing::info!("outside");
            let span = span("user.delete", Some(&context("r-1")), None);
            span.in_scope(|| {
                record_tenant("acme");
                tracing::info!(status = 200u16, "before the actor");
                record_actor("u-1");
                tracing::warn!(code = "x", "after");
            });
        });
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(out[0]["request_id"], Value::Null);
        assert_eq!(out[0]["message"], "outside");
        assert_eq!(out[1]["request_id"], "r-1");
        assert_eq!(out[1]["tenant"], "acme");
        assert_eq!(out[1]["actor"], Value::Null);
        assert_eq!(out[1]["status"], 200);
        assert_eq!(out[2]["actor"], "u-1");
        assert_eq!(out[2]["action"], "user.delete");
        assert_eq!(out[2]["level"], "WARN");
        assert_eq!(out[2]["code"], "x");
        assert!(out[2]["timestamp"].as_str().unwrap().ends_with('Z'));
    }

    #[test]
    fn the_keys_come_in_a_fixed_order() {
        let text = text("info", || {
            span("health", Some(&context("r-0")), None).in_scope(|| tracing::info!(z = 1, "x"));
        });
        let keys = [
            "timestamp",
            "level",
            "target",
            "message",
            "request_id",
            "tenant",
            "actor",
            "action",
            "z",
        ];
        let at: Vec<usize> = keys
            .iter()
            .map(|key| text.find(&format!("\"{key}\":")).unwrap())
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{text}");
    }

    #[test]
    fn inner_context_spans_win_and_other_spans_add_nothing() {
        let out = lines("info", || {
            let run = span("user.purge", Some(&context("r-2")), Some("system:purge"));
            run.in_scope(|| {
                let user = tracing::info_span!(target: CONTEXT, "user", tenant = "acme");
                user.in_scope(|| {
                    let other = tracing::info_span!("other", tenant = "nope", secret = "s");
                    other.in_scope(|| tracing::info!("inside"));
                });
                tenant_span("beta").in_scope(|| tracing::info!("beta's"));
                tracing::info!(tenant = "gamma", request_id = "aws-1", "event fields");
            });
        });
        assert_eq!(out[0]["tenant"], "acme", "{out:?}");
        assert_eq!(out[0]["actor"], "system:purge");
        assert!(out[0].get("secret").is_none(), "{}", out[0]);
        assert_eq!(out[1]["tenant"], "beta");
        // An event's own fields never pass for the context.
        assert_eq!(out[2]["tenant"], Value::Null);
        assert_eq!(out[2]["request_id"], "r-2");
        assert_eq!(out[2]["field.tenant"], "gamma");
        assert_eq!(out[2]["field.request_id"], "aws-1");
    }

    #[test]
    fn the_context_survives_a_strict_filter() {
        let out = lines("warn", || {
            span("user.get", Some(&context("r-3")), Some("u-3")).in_scope(|| {
                tracing::info!("filtered");
                tracing::error!("kept");
            });
        });
        assert_eq!(out.len(), 1);
        assert_eq!(out[0]["request_id"], "r-3");
        assert_eq!(out[0]["actor"], "u-3");
    }

    #[test]
    fn payloads_printed_by_dependencies_are_withheld_at_any_filter() {
        let out = lines("trace", || {
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", request = "hash", "transmitting request");
            tracing::trace!(target: "aws_smithy_runtime::client::orchestrator", output_or_error = "hash");
            tracing::trace!(target: "lambda_runtime::layers::api_response", body = "password", "raw JSON event received from Lambda");
            tracing::debug!(target: "aws_smithy_runtime::client::orchestrator", "resolving endpoint");
            tracing::trace!(target: "tenantry_store::table", "ours");
        });
        let messages: Vec<&Value> = out.iter().map(|l| &l["message"]).collect();
        assert_eq!(messages, ["resolving endpoint", "ours"], "{out:?}");
    }

    #[test]
    fn only_possible_tenant_ids_are_recorded() {
        let out = lines("info", || {
            span("auth.login", None, None).in_scope(|| {
                record_tenant("Not A Tenant: a pasted password?");
                tracing::info!("line");
            });
        });
        assert_eq!(out[0]["tenant"], Value::Null);
        assert_eq!(out[0]["request_id"], Value::Null);
    }
}
