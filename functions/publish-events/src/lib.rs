//! The publisher: the table's stream, filtered to new audit items, delivers batches in commit
//! order per partition (a tenant's audit log is one partition). Each audit item goes on the
//! event bus as a CloudEvent (`tenantry_events`). Records that could not be published are
//! answered as batch item failures: Lambda delivers the batch again from the first of them,
//! and after its last retry sends what still fails to the failure destination.
//!
//! `make dev` runs this same handler on DynamoDB Local's stream (`tenantry_dev::events`).

use std::sync::Arc;

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{LambdaEvent, service_fn};
use tenantry_events::{EVENT_SOURCE_PREFIX, EventBridgeBus, PublishReport, Publisher, incoming};
use tracing::Instrument;

/// The action its log lines name.
pub const ACTION: &str = tenantry_http::AuditAction::EventsPublish.as_str();

/// Settings read from the environment at start-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `EVENT_BUS_NAME`: the bus events go to.
    pub bus_name: String,
    /// `TENANTRY_EVENT_SOURCE`: every event's `source`, `urn:tenantry:<stack>`.
    pub source: String,
    /// `EVENTBRIDGE_ENDPOINT`: an endpoint override (a local emulator); unset in AWS.
    pub endpoint: Option<String>,
    pub region: String,
}

impl Settings {
    pub fn from_env() -> Result<Settings, String> {
        Settings::from_vars(|name| std::env::var(name).ok())
    }

    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        let var = |name: &str| {
            var(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let bus_name = var("EVENT_BUS_NAME").ok_or("EVENT_BUS_NAME must name the event bus")?;
        let source =
            var("TENANTRY_EVENT_SOURCE").unwrap_or_else(|| format!("{EVENT_SOURCE_PREFIX}local"));
        if !source.starts_with(EVENT_SOURCE_PREFIX) || source.len() == EVENT_SOURCE_PREFIX.len() {
            return Err(format!(
                "TENANTRY_EVENT_SOURCE must look like {EVENT_SOURCE_PREFIX}<stack>, not {source:?}"
            ));
        }
        Ok(Settings {
            bus_name,
            source,
            endpoint: var("EVENTBRIDGE_ENDPOINT"),
            region: var("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
        })
    }
}

/// One batch: its records published in order, and the ones that failed named for Lambda.
pub async fn handle(
    publisher: &Publisher,
    source: &str,
    event: &Event,
) -> (PublishReport, DynamoDbEventResponse) {
    let records: Vec<_> = event
        .records
        .iter()
        .map(|record| incoming(record, source))
        .collect();
    let report = publisher.publish(&records).await;
    let mut response = DynamoDbEventResponse::default();
    for failed in &report.failed {
        let mut failure = DynamoDbBatchItemFailure::default();
        failure.item_identifier = Some(failed.sequence.clone());
        response.batch_item_failures.push(failure);
    }
    tracing::info!(
        records = records.len(),
        published = report.published,
        skipped = report.skipped,
        failed = report.failed.len(),
        calls = report.calls,
        "batch published"
    );
    (report, response)
}

/// The whole `main`: tracing, settings and the bus once, then one batch per invocation.
pub async fn run() -> std::process::ExitCode {
    tenantry_http::init_tracing();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(reason) => return tenantry_http::runtime::failed_start(reason).await,
    };
    let bus = EventBridgeBus::connect(
        &settings.region,
        settings.endpoint.as_deref(),
        &settings.bus_name,
    )
    .await;
    let publisher = &Publisher::new(Arc::new(bus));
    let source = settings.source.as_str();
    tenantry_http::runtime::ended(
        lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| async move {
            let span = tenantry_http::log::span(ACTION, Some(&event.context), None);
            let (_, response) = handle(publisher, source, &event.payload)
                .instrument(span)
                .await;
            Ok::<_, lambda_runtime::Error>(response)
        }))
        .await,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::from_vars(|name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn the_bus_is_required_and_the_source_names_the_stack() {
        assert!(settings(&[]).is_err());
        let local = settings(&[("EVENT_BUS_NAME", "tenantry-events")]).unwrap();
        assert_eq!(
            (local.source.as_str(), local.endpoint),
            ("urn:tenantry:local", None)
        );
        let prod = settings(&[
            ("EVENT_BUS_NAME", "b"),
            ("TENANTRY_EVENT_SOURCE", "urn:tenantry:prod"),
            ("EVENTBRIDGE_ENDPOINT", " "),
        ])
        .unwrap();
        assert_eq!(
            (prod.source.as_str(), prod.endpoint),
            ("urn:tenantry:prod", None)
        );
        for source in ["prod", "urn:tenantry:", "urn:other:prod"] {
            let refused = settings(&[("EVENT_BUS_NAME", "b"), ("TENANTRY_EVENT_SOURCE", source)]);
            assert!(refused.is_err(), "{source}");
        }
    }
}
