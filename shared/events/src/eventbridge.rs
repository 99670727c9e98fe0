//! EventBridge as the bus: each event is one PutEvents entry with `Source` `tenantry`, the
//! event's type as `DetailType`, and the whole CloudEvent as `Detail`.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use futures::future::BoxFuture;

use crate::cloudevent::CloudEvent;
use crate::publisher::{Bus, Outcomes};

/// Every entry's `Source`: what an EventBridge rule matches tenantry's events on.
pub const SOURCE: &str = "tenantry";

/// A custom event bus.
#[derive(Clone, Debug)]
pub struct EventBridgeBus {
    client: Client,
    bus_name: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus_name: impl Into<String>) -> EventBridgeBus {
        EventBridgeBus {
            client,
            bus_name: bus_name.into(),
        }
    }

    /// A client on tenantry's SDK configuration; `endpoint` overrides EventBridge's (a local
    /// emulator).
    pub async fn connect(region: &str, endpoint: Option<&str>, bus_name: &str) -> EventBridgeBus {
        // One attempt per call: the publisher retries, and only the refused entries.
        let sdk = tenantry_store::sdk_config(region, endpoint, 1).await;
        EventBridgeBus::new(Client::new(&sdk), bus_name)
    }

    pub fn bus_name(&self) -> &str {
        &self.bus_name
    }

    fn entry(&self, event: &CloudEvent) -> Result<PutEventsRequestEntry, String> {
        let detail = serde_json::to_string(event).map_err(|e| e.to_string())?;
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus_name)
            .source(SOURCE)
            .detail_type(event.detail_type())
            .detail(detail)
            .build())
    }
}

impl Bus for EventBridgeBus {
    fn put<'a>(&'a self, events: &'a [CloudEvent]) -> BoxFuture<'a, Result<Outcomes, String>> {
        Box::pin(async move {
            let entries = events
                .iter()
                .map(|event| self.entry(event))
                .collect::<Result<Vec<_>, String>>()?;
            let output = self
                .client
                .put_events()
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| {
                    format!(
                        "PutEvents: {}",
                        aws_sdk_eventbridge::error::DisplayErrorContext(e)
                    )
                })?;
            // The result entries are in the order of the request's; a refused one carries an
            // error code instead of an event id.
            Ok(output
                .entries()
                .iter()
                .map(|entry| match entry.error_code() {
                    None => Ok(()),
                    Some(code) => Err(format!(
                        "{code}: {}",
                        entry.error_message().unwrap_or_default()
                    )),
                })
                .collect())
        })
    }
}
