//! The scheduled purge (EventBridge, hourly by default): every deleted user whose restore
//! window has closed goes away for good, `PURGE_CONCURRENCY` at a time, stopping
//! `PURGE_DEADLINE_MARGIN_SECONDS` before the Lambda deadline. The next run resumes.
//!
//! The event may be `{}`, `{"dry_run": true}` and/or `{"limit": N}`, or an EventBridge
//! scheduled event carrying those in `detail`. It ends with one line: the run's summary,
//! which is also a CloudWatch Embedded Metric Format record.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lambda_runtime::{LambdaEvent, service_fn};
use serde::Deserialize;
use serde_json::{Value, json};
use tenantry_accounts::{Outcome, PURGE_ACTOR, PurgeRun, PurgeSettings, PurgeSummary, Purger};
use tenantry_store::{Store, StoreConfig};
use tracing::Instrument;

/// The action its log lines name: the audit log's name for the tombstones it writes.
pub const ACTION: &str = tenantry_http::AuditAction::UserPurge.as_str();

/// Settings read from the environment at start-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub purge: PurgeSettings,
    /// Stop taking users this long before the deadline. It must cover a transaction in
    /// flight: the store gives up on one after 8 s, and on a lost answer's check after 8 more.
    pub margin: Duration,
}

impl Settings {
    /// `PURGE_CONCURRENCY` (1 to 256, default 16) and `PURGE_DEADLINE_MARGIN_SECONDS`
    /// (default 20).
    pub fn from_env() -> Result<Settings, String> {
        Settings::from_vars(|name| std::env::var(name).ok())
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let number =
            |name: &str, default: u64, range: std::ops::RangeInclusive<u64>| match var(name)
                .filter(|v| !v.trim().is_empty())
            {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .ok_or_else(|| {
                        format!(
                            "{name} must be a whole number from {} to {}, not {v:?}",
                            range.start(),
                            range.end()
                        )
                    }),
            };
        let concurrency = number("PURGE_CONCURRENCY", 16, 1..=256)?;
        let margin = number("PURGE_DEADLINE_MARGIN_SECONDS", 20, 0..=600)?;
        Ok(Settings {
            purge: PurgeSettings {
                concurrency: usize::try_from(concurrency).unwrap_or(16),
                ..PurgeSettings::default()
            },
            margin: Duration::from_secs(margin),
        })
    }
}

/// What one invocation asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Options {
    #[serde(default)]
    pub dry_run: bool,
    pub limit: Option<u64>,
}

impl Options {
    /// Reads the event. Unknown fields are refused: a mistyped `dry_run` must never purge.
    pub fn from_event(event: Value) -> Result<Options, String> {
        let options = match event {
            Value::Null => Value::Object(Default::default()),
            // An EventBridge envelope: the options are its detail.
            Value::Object(mut envelope) if envelope.contains_key("detail-type") => {
                match envelope.remove("detail") {
                    None | Some(Value::Null) => Value::Object(Default::default()),
                    Some(detail) => detail,
                }
            }
            other => other,
        };
        let options: Options = serde_json::from_value(options).map_err(|e| {
            format!("the event must look like {{\"dry_run\": true, \"limit\": 100}}: {e}")
        })?;
        if options.limit == Some(0) {
            return Err("limit must be at least 1".into());
        }
        Ok(options)
    }
}

/// One invocation: the run, its log lines, and the summary line (returned, not printed).
pub async fn handle(
    purger: &Purger,
    options: Options,
    stop_taking_at: Option<Instant>,
) -> (PurgeSummary, Value) {
    let run = PurgeRun {
        dry_run: options.dry_run,
        limit: options.limit,
        stop_taking_at,
        ..PurgeRun::now()
    };
    let summary = purger
        .run(&run, |purged| {
            // A line about one user names its tenant.
            let _tenant = tenantry_http::log::tenant_span(&purged.user.tenant_id).entered();
            match purged.outcome {
                Outcome::WouldPurge => tracing::info!(
                    user_id = %purged.user.id,
                    purge_after = purged.user.purge_after.as_str(),
                    "would purge"
                ),
                Outcome::Failed(error) => tracing::warn!(
                    user_id = %purged.user.id,
                    error = %error,
                    "purge failed; the next run tries again"
                ),
                outcome => tracing::debug!(user_id = %purged.user.id, ?outcome, "settled"),
            }
        })
        .await;
    let line = summary_line(&summary, now_millis());
    (summary, line)
}

/// The run's summary as one CloudWatch Embedded Metric Format record: the metrics purged,
/// skipped because restored, already gone, failed and duration, with the whole summary.
pub fn summary_line(summary: &PurgeSummary, timestamp_ms: u64) -> Value {
    let metric = |name: &str, unit: &str| json!({"Name": name, "Unit": unit});
    json!({
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": "tenantry",
                "Dimensions": [["Function"]],
                "Metrics": [
                    metric("Purged", "Count"),
                    metric("WouldPurge", "Count"),
                    metric("SkippedRestored", "Count"),
                    metric("AlreadyGone", "Count"),
                    metric("Failed", "Count"),
                    metric("Duration", "Milliseconds"),
                ],
            }],
        },
        "Function": "purge-deleted",
        "Purged": summary.purged,
        "WouldPurge": summary.would_purge,
        "SkippedRestored": summary.skipped_restored,
        "AlreadyGone": summary.already_gone,
        "Failed": summary.failed,
        "Duration": summary.duration_ms,
        "message": "purge finished",
        "summary": summary,
    })
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// When to stop taking users: the deadline (milliseconds since the epoch) minus the margin.
pub fn stop_taking_at(deadline_ms: u64, margin: Duration) -> Instant {
    let left = Duration::from_millis(deadline_ms.saturating_sub(now_millis()));
    Instant::now() + left.saturating_sub(margin)
}

/// One invocation as Lambda delivers it: the options from the event, a run that stops
/// taking users `margin` before the deadline, and the summary line to print. Every line
/// logged meanwhile carries the Lambda request id, the actor `system:purge` and the action;
/// a line about one user, its tenant. The summary line carries them too (tenant null).
pub async fn invoke(
    purger: &Purger,
    margin: Duration,
    event: LambdaEvent<Value>,
) -> Result<(PurgeSummary, Value), lambda_runtime::Error> {
    let LambdaEvent { payload, context } = event;
    let span = tenantry_http::log::span(ACTION, Some(&context), Some(PURGE_ACTOR));
    let (summary, mut line) = async {
        let options = Options::from_event(payload)
            .inspect_err(|error| tracing::error!(%error, "refused the event; nothing purged"))?;
        let stop = stop_taking_at(context.deadline, margin);
        Ok::<_, String>(handle(purger, options, Some(stop)).await)
    }
    .instrument(span)
    .await?;
    let request_id = Some(context.request_id).filter(|id| !id.is_empty());
    for (key, value) in [
        ("timestamp", json!(tenantry_http::log::timestamp())),
        ("level", json!("INFO")),
        ("request_id", json!(request_id)),
        ("tenant", Value::Null),
        ("actor", json!(PURGE_ACTOR)),
        ("action", json!(ACTION)),
    ] {
        line[key] = value;
    }
    Ok((summary, line))
}

/// The whole `main`: tracing, settings and clients once, then one run per invocation.
pub async fn run() -> std::process::ExitCode {
    tenantry_http::init_tracing();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(reason) => return tenantry_http::runtime::failed_start(reason).await,
    };
    let store = Store::connect(&StoreConfig::from_env()).await;
    let purger = &Purger::new(store, settings.purge);
    tenantry_http::runtime::ended(
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
            let (summary, line) = invoke(purger, settings.margin, event).await?;
            println!("{line}");
            Ok::<_, lambda_runtime::Error>(serde_json::to_value(summary)?)
        }))
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_come_from_the_event_or_its_eventbridge_detail() {
        assert_eq!(Options::from_event(json!({})), Ok(Options::default()));
        assert_eq!(Options::from_event(Value::Null), Ok(Options::default()));
        assert_eq!(
            Options::from_event(json!({"dry_run": true, "limit": 5})),
            Ok(Options {
                dry_run: true,
                limit: Some(5)
            })
        );
        let scheduled = json!({
            "version": "0", "id": "x", "detail-type": "Scheduled Event",
            "source": "aws.events", "time": "2026-11-23T10:00:00Z", "detail": {}
        });
        assert_eq!(Options::from_event(scheduled), Ok(Options::default()));
        let with_detail = json!({"detail-type": "Scheduled Event", "detail": {"dry_run": true}});
        assert_eq!(
            Options::from_event(with_detail).map(|o| o.dry_run),
            Ok(true)
        );
    }

    #[test]
    fn mistyped_or_wrong_options_are_refused() {
        for bad in [
            json!({"dryrun": true}),
            json!({"dry_run": "yes"}),
            json!({"limit": 0}),
            json!({"limit": -1}),
            json!({"limit": 1.5}),
            json!([1]),
            json!("dry_run"),
        ] {
            let err = Options::from_event(bad.clone()).unwrap_err();
            assert!(
                err.contains("dry_run") || err.contains("limit"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn settings_have_defaults_and_refuse_nonsense() {
        let defaults = Settings::from_vars(|_| None).unwrap();
        assert_eq!(defaults.purge.concurrency, 16);
        assert_eq!(defaults.margin, Duration::from_secs(20));
        let set = Settings::from_vars(|name| {
            Some(
                if name == "PURGE_CONCURRENCY" {
                    "4"
                } else {
                    "30"
                }
                .into(),
            )
        })
        .unwrap();
        assert_eq!(set.purge.concurrency, 4);
        assert_eq!(set.margin, Duration::from_secs(30));
        for bad in ["0", "257", "x", "-3"] {
            let err =
                Settings::from_vars(|name| (name == "PURGE_CONCURRENCY").then(|| bad.to_owned()))
                    .unwrap_err();
            assert!(err.contains("PURGE_CONCURRENCY"), "{err}");
        }
    }

    #[test]
    fn the_summary_line_is_an_emf_record_of_the_run() {
        let summary = PurgeSummary {
            as_of: "2026-11-23T10:00:00.000Z".into(),
            dry_run: false,
            due: 7,
            purged: 4,
            would_purge: 0,
            skipped_restored: 2,
            already_gone: 0,
            failed: 1,
            stopped: tenantry_accounts::Stop::Deadline,
            duration_ms: 1234,
            errors: vec!["user u1: boom".into()],
        };
        let line = summary_line(&summary, 1_700_000_000_000);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000u64);
        // Every metric declared has a value at the top level, as EMF requires.
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(line[name].is_u64(), "{name} has no value");
        }
        assert_eq!(line["Function"], "purge-deleted");
        assert_eq!(line["Purged"], 4);
        assert_eq!(line["SkippedRestored"], 2);
        assert_eq!(line["Failed"], 1);
        assert_eq!(line["Duration"], 1234);
        assert_eq!(line["summary"]["stopped"], "deadline");
        assert_eq!(line["summary"]["errors"][0], "user u1: boom");
    }

    #[test]
    fn the_run_stops_taking_users_a_margin_before_the_deadline() {
        let deadline = now_millis() + 60_000;
        let stop = stop_taking_at(deadline, Duration::from_secs(20));
        let left = stop.saturating_duration_since(Instant::now());
        assert!(
            left > Duration::from_secs(38) && left <= Duration::from_secs(40),
            "{left:?}"
        );
        // A deadline already inside the margin stops at once.
        let stop = stop_taking_at(now_millis() + 5_000, Duration::from_secs(20));
        assert!(stop <= Instant::now());
    }
}
