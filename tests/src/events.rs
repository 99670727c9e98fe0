//! Lifecycle events in the tests: the local publisher on a stack's table puts events on a bus
//! of moto's EventBridge (started by `make test`), whose rule sends them to an SQS queue that
//! the test reads, the way a downstream service subscribes. The events file is written too.

use std::collections::{BTreeSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_eventbridge::config::interceptors::{
    BeforeTransmitInterceptorContextMut, FinalizerInterceptorContextMut,
};
use aws_sdk_eventbridge::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_eventbridge::error::BoxError;
use aws_sdk_eventbridge::operation::put_events::PutEventsOutput;
use aws_sdk_eventbridge::types::PutEventsResultEntry;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::{Storable, StoreReplace};
use serde_json::Value;
use tenantry_dev::events::{StreamPublisher, StreamSettings};
use tenantry_dev::template::{self, Template};
use tenantry_events::{Bus, CloudEvent, EventBridgeBus, Fanout, JsonlBus};
use tenantry_store::AuditItem;

use crate::{RoundTrips, Stack};

/// The moto server `make test` started (EventBridge and SQS).
pub fn eventbridge_endpoint() -> String {
    std::env::var("TENANTRY_TEST_EVENTBRIDGE_ENDPOINT").expect(
        "TENANTRY_TEST_EVENTBRIDGE_ENDPOINT is not set: run the suite with `make test`, \
         which starts moto (infra/scripts/with-dynamodb.sh --moto) and sets it",
    )
}

/// One message of the subscriber's queue: an EventBridge event whose detail is a CloudEvent.
#[derive(Clone, Debug)]
pub struct Delivered {
    pub detail_type: String,
    pub source: String,
    /// The detail as it arrived.
    pub detail: Value,
    pub event: CloudEvent,
}

/// A subscriber: a bus of its own on moto's EventBridge, and a queue a rule on the bus sends
/// every tenantry event to, as a downstream service would subscribe.
pub struct Subscriber {
    pub bus_name: String,
    pub queue_url: String,
    pub sqs: aws_sdk_sqs::Client,
    /// What the queue delivered so far, in order of arrival.
    pub delivered: Vec<Delivered>,
}

/// The local publisher of a stack's table, putting on a subscriber's bus.
pub struct EventsRig {
    pub publisher: Option<StreamPublisher>,
    pub subscriber: Subscriber,
    /// The events file the publisher writes too.
    pub file: PathBuf,
    /// The stream reads and bus writes the publisher made, as IAM actions.
    pub calls: RoundTrips,
    _dir: TempDir,
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl EventsRig {
    /// A bus and a queue of their own (named after the stack's table), a rule sending every
    /// tenantry event to the queue, and the publisher started from the oldest stream record.
    pub async fn start(stack: &Stack) -> EventsRig {
        EventsRig::start_with(stack, RefuseEntries::default()).await
    }

    /// Like `start`, with EventBridge refusing the entries `refuse` plans.
    pub async fn start_with(stack: &Stack, refuse: RefuseEntries) -> EventsRig {
        let subscriber = Subscriber::start(stack.store.table()).await;
        let name = subscriber.bus_name.clone();
        let sdk = tenantry_store::sdk_config("us-east-1", Some(&eventbridge_endpoint()), 3).await;
        let calls = RoundTrips::default();
        let events = aws_sdk_eventbridge::Client::from_conf(
            aws_sdk_eventbridge::config::Builder::from(&sdk)
                .interceptor(calls.clone())
                .interceptor(refuse)
                .build(),
        );
        let dir = std::env::temp_dir().join(format!("tenantry-events-{name}"));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("events.jsonl");
        let bus: Arc<dyn Bus> = Arc::new(Fanout(vec![
            Arc::new(EventBridgeBus::new(events, &name)),
            Arc::new(JsonlBus::new(&file)),
        ]));
        let settings = stream_settings(&name, None, Some(dir.join("events-failed.jsonl")));
        let counter = calls.clone();
        let publisher = StreamPublisher::start_with(settings, bus, move |b| b.interceptor(counter))
            .await
            .unwrap();
        EventsRig {
            publisher: Some(publisher),
            subscriber,
            file,
            calls,
            _dir: TempDir(dir),
        }
    }

    /// The lines of the events file.
    pub fn file_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Stops the publisher.
    pub async fn stop(&mut self) {
        if let Some(publisher) = self.publisher.take() {
            publisher.stop().await.unwrap();
        }
    }
}

impl Subscriber {
    /// A bus and a queue named `name`, and the rule between them.
    pub async fn start(name: &str) -> Subscriber {
        let endpoint = eventbridge_endpoint();
        let sdk = tenantry_store::sdk_config("us-east-1", Some(&endpoint), 3).await;
        let setup = aws_sdk_eventbridge::Client::new(&sdk);
        let sqs = aws_sdk_sqs::Client::new(&sdk);
        setup.create_event_bus().name(name).send().await.unwrap();
        let queue_url = sqs
            .create_queue()
            .queue_name(name)
            .send()
            .await
            .unwrap()
            .queue_url()
            .unwrap()
            .to_owned();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes()
            .and_then(|a| {
                a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn)
                    .cloned()
            })
            .unwrap();
        setup
            .put_rule()
            .name("all-tenantry-events")
            .event_bus_name(name)
            .event_pattern(r#"{"source": ["tenantry"]}"#)
            .send()
            .await
            .unwrap();
        setup
            .put_targets()
            .rule("all-tenantry-events")
            .event_bus_name(name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(queue_arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();

        Subscriber {
            bus_name: name.to_owned(),
            queue_url,
            sqs,
            delivered: Vec::new(),
        }
    }

    /// Reads the queue until every one of `ids` was delivered at least once, or `timeout`
    /// passes. Returns the ids still missing.
    pub async fn receive(&mut self, ids: &BTreeSet<String>, timeout: Duration) -> BTreeSet<String> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let seen: BTreeSet<String> =
                self.delivered.iter().map(|d| d.event.id.clone()).collect();
            let missing: BTreeSet<String> = ids.difference(&seen).cloned().collect();
            if missing.is_empty() || tokio::time::Instant::now() >= deadline {
                return missing;
            }
            self.receive_once().await;
        }
    }

    /// One receive call (it waits up to a second for messages), deleting what it got.
    pub async fn receive_once(&mut self) -> usize {
        let answer = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = answer.messages();
        for message in messages {
            let envelope: Value = serde_json::from_str(message.body().unwrap()).unwrap();
            let detail = envelope["detail"].clone();
            self.delivered.push(Delivered {
                detail_type: envelope["detail-type"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                source: envelope["source"].as_str().unwrap_or_default().to_owned(),
                event: serde_json::from_value(detail.clone())
                    .unwrap_or_else(|e| panic!("not a CloudEvent ({e}): {detail}")),
                detail,
            });
            self.sqs
                .delete_message()
                .queue_url(&self.queue_url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
        messages.len()
    }
}

/// Counts the PutEvents requests sent and not answered yet.
#[derive(Debug, Default, Clone)]
pub struct InFlight(pub Arc<std::sync::atomic::AtomicI64>);

impl InFlight {
    pub fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl Intercept for InFlight {
    fn name(&self) -> &'static str {
        "InFlight"
    }

    fn read_before_transmit(
        &self,
        _: &aws_sdk_eventbridge::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }

    fn read_after_attempt(
        &self,
        _: &aws_sdk_eventbridge::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
}

/// A local publisher of a stack's table (created `with_events`) putting on `bus_name`, keeping
/// its position in `checkpoint`, its PutEvents counted by `in_flight`.
pub async fn publisher_to(
    stack: &Stack,
    bus_name: &str,
    checkpoint: &std::path::Path,
    in_flight: InFlight,
) -> StreamPublisher {
    let sdk = tenantry_store::sdk_config("us-east-1", Some(&eventbridge_endpoint()), 1).await;
    let client = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&sdk)
            .interceptor(in_flight)
            .build(),
    );
    let settings = stream_settings(stack.store.table(), Some(checkpoint.to_owned()), None);
    StreamPublisher::start(settings, Arc::new(EventBridgeBus::new(client, bus_name)))
        .await
        .unwrap()
}

/// A local publisher of a stack's table (created `with_events`) putting on `bus`.
pub async fn publisher_with(stack: &Stack, bus: Arc<dyn Bus>) -> StreamPublisher {
    let settings = stream_settings(stack.store.table(), None, None);
    StreamPublisher::start(settings, bus).await.unwrap()
}

/// The local publisher of a stack's table (created `with_events`) writing only the events file
/// `path`, as `make dev` does.
pub async fn file_publisher(stack: &Stack, path: &std::path::Path) -> StreamPublisher {
    publisher_with(stack, Arc::new(JsonlBus::new(path))).await
}

/// The local publisher's settings for a test table: the template's filter, a short idle.
fn stream_settings(
    table: &str,
    checkpoint: Option<PathBuf>,
    failure_log: Option<PathBuf>,
) -> StreamSettings {
    let template = Template::load(&template::default_path()).unwrap();
    StreamSettings {
        table: table.to_owned(),
        region: "us-east-1".into(),
        endpoint: crate::endpoint(),
        filters: template.stream_filters("publish-events").unwrap(),
        source: "urn:tenantry:test".into(),
        checkpoint,
        failure_log,
        max_deliveries: 3,
        idle: Duration::from_millis(20),
    }
}

/// Every audit event of these tenants, oldest first per tenant.
pub async fn audit_log(stack: &Stack, tenants: &[&str]) -> Vec<AuditItem> {
    let mut all = Vec::new();
    for tenant in tenants {
        all.extend(stack.store.list_audit(tenant).await.unwrap());
    }
    all
}

/// Makes EventBridge refuse chosen entries of the next PutEvents calls, the way it can under
/// throttling or an internal failure: the entries are taken out of the request, so they are
/// not put, and the answer names them failed (`FailedEntryCount`, an `ErrorCode` in their
/// place), as EventBridge's own answer would. Records the event ids of every PutEvents call.
#[derive(Debug, Default, Clone)]
pub struct RefuseEntries {
    /// For each coming call, the positions of the entries to refuse.
    plan: Arc<Mutex<VecDeque<Vec<usize>>>>,
    /// The event ids of each call sent, in order.
    pub calls: Arc<Mutex<Vec<Vec<String>>>>,
}

#[derive(Debug, Clone)]
struct Refused(Vec<usize>);

impl Storable for Refused {
    type Storer = StoreReplace<Self>;
}

impl RefuseEntries {
    /// The next calls refuse the entries at these positions, one list per call.
    pub fn refuse(&self, calls: impl IntoIterator<Item = Vec<usize>>) {
        self.plan.lock().unwrap().extend(calls);
    }

    pub fn calls(&self) -> Vec<Vec<String>> {
        self.calls.lock().unwrap().clone()
    }
}

impl Intercept for RefuseEntries {
    fn name(&self) -> &'static str {
        "RefuseEntries"
    }

    fn modify_before_transmit(
        &self,
        context: &mut BeforeTransmitInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request_mut();
        let mut body: Value = request
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or_default();
        let Some(entries) = body["Entries"].as_array().cloned() else {
            return Ok(());
        };
        let ids: Vec<String> = entries
            .iter()
            .map(|e| {
                serde_json::from_str::<Value>(e["Detail"].as_str().unwrap_or("{}"))
                    .ok()
                    .and_then(|d| d["id"].as_str().map(str::to_owned))
                    .unwrap_or_default()
            })
            .collect();
        self.calls.lock().unwrap().push(ids);
        let Some(refused) = self.plan.lock().unwrap().pop_front() else {
            return Ok(());
        };
        let kept: Vec<Value> = entries
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !refused.contains(i))
            .map(|(_, e)| e)
            .collect();
        body["Entries"] = Value::Array(kept);
        let text = body.to_string();
        request
            .headers_mut()
            .insert("content-length", text.len().to_string());
        *request.body_mut() = SdkBody::from(text);
        cfg.interceptor_state().store_put(Refused(refused));
        Ok(())
    }

    /// The answer names the refused entries failed, in their places among the taken ones.
    fn modify_before_attempt_completion(
        &self,
        context: &mut FinalizerInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Refused(refused)) = cfg.load::<Refused>().cloned() else {
            return Ok(());
        };
        cfg.interceptor_state().unset::<Refused>();
        let Some(Ok(output)) = context.output_or_error_mut() else {
            return Ok(());
        };
        let Some(answer) = output.downcast_mut::<PutEventsOutput>() else {
            return Ok(());
        };
        let mut taken = answer.entries().to_vec().into_iter();
        let total = taken.len() + refused.len();
        let entries: Vec<PutEventsResultEntry> = (0..total)
            .map(|i| {
                if refused.contains(&i) {
                    PutEventsResultEntry::builder()
                        .error_code("InternalFailure")
                        .error_message("injected")
                        .build()
                } else {
                    taken
                        .next()
                        .unwrap_or_else(|| PutEventsResultEntry::builder().build())
                }
            })
            .collect();
        let failed = answer.failed_entry_count() + i32::try_from(refused.len()).unwrap_or(0);
        *answer = PutEventsOutput::builder()
            .failed_entry_count(failed)
            .set_entries(Some(entries))
            .build();
        Ok(())
    }
}
