//! The local publisher: it reads DynamoDB Local's stream the way Lambda's event source mapping
//! reads the table's stream in AWS (ListStreams, DescribeStream, GetShardIterator, GetRecords),
//! applies the template's filter, and hands each batch to the publish-events function's own
//! handler. Like the mapping, it delivers a batch again from its first failed record, and after
//! `max_deliveries` sets that record aside (in the failure log, the local failure queue) so
//! that the records behind it are not blocked for ever.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodbstreams::Client;
use tenantry_events::filter::Pattern;
use tenantry_events::{Bus, Publisher};
use tokio::sync::watch;

mod reader;

use reader::Reader;
pub use reader::lambda_record;

/// Records per GetRecords call and per batch: the template's `BatchSize`.
pub const BATCH_SIZE: i32 = 100;

/// Where and how the local publisher runs.
#[derive(Clone, Debug)]
pub struct StreamSettings {
    pub table: String,
    pub region: String,
    pub endpoint: String,
    /// The template's filter patterns for the publisher's stream event.
    pub filters: Vec<String>,
    /// Every event's `source`.
    pub source: String,
    /// Where the position in each shard is kept between runs (`None`: start from the oldest
    /// record every run).
    pub checkpoint: Option<PathBuf>,
    /// Where records set aside after `max_deliveries` go, one JSON line each.
    pub failure_log: Option<PathBuf>,
    /// Deliveries of a failing record before it is set aside (Lambda: 1 + MaximumRetryAttempts).
    pub max_deliveries: u32,
    /// The wait between polls of a shard that had nothing new (Lambda polls 4 times a second).
    pub idle: Duration,
}

/// What the local publisher has done so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StreamProgress {
    pub batches: u64,
    pub published: u64,
    pub filtered_out: u64,
    /// Deliveries that reported failed records and were made again.
    pub redeliveries: u64,
    /// Records set aside after their last delivery.
    pub set_aside: u64,
    /// Failed reads of the stream (each retried from the last position), and the last one.
    pub read_errors: u64,
    pub last_error: Option<String>,
}

/// A running local publisher. Dropping it does not stop it: call `stop`.
pub struct StreamPublisher {
    stop: watch::Sender<bool>,
    progress: watch::Receiver<StreamProgress>,
    task: tokio::task::JoinHandle<Result<(), String>>,
}

impl StreamPublisher {
    /// Starts publishing the table's stream to `bus`.
    pub async fn start(
        settings: StreamSettings,
        bus: Arc<dyn Bus>,
    ) -> Result<StreamPublisher, String> {
        StreamPublisher::start_with(settings, bus, |b| b).await
    }

    /// Like `start`, with a last say over the stream client's configuration (tests count its
    /// calls here).
    pub async fn start_with(
        settings: StreamSettings,
        bus: Arc<dyn Bus>,
        customize: impl FnOnce(
            aws_sdk_dynamodbstreams::config::Builder,
        ) -> aws_sdk_dynamodbstreams::config::Builder,
    ) -> Result<StreamPublisher, String> {
        let sdk = tenantry_store::sdk_config(&settings.region, Some(&settings.endpoint), 3).await;
        let client = Client::from_conf(
            customize(aws_sdk_dynamodbstreams::config::Builder::from(&sdk)).build(),
        );
        let patterns = settings
            .filters
            .iter()
            .map(|p| Pattern::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        let stream_arn = latest_stream(&client, &settings.table).await?;
        let (stop, stopped) = watch::channel(false);
        let (report, progress) = watch::channel(StreamProgress::default());
        let reader = Reader {
            client,
            stream_arn,
            patterns,
            publisher: Publisher::new(bus),
            positions: read_checkpoint(settings.checkpoint.as_ref())?,
            settings,
            report,
        };
        let task = tokio::spawn(reader.run(stopped));
        Ok(StreamPublisher {
            stop,
            progress,
            task,
        })
    }

    pub fn progress(&self) -> StreamProgress {
        self.progress.borrow().clone()
    }

    /// Waits until `done` holds for the progress, or `timeout` passes (then false).
    pub async fn wait_for(
        &self,
        timeout: Duration,
        done: impl Fn(&StreamProgress) -> bool,
    ) -> bool {
        let mut progress = self.progress.clone();
        tokio::time::timeout(timeout, progress.wait_for(|p| done(p)))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Stops at once, wherever it is (a crash, for the tests): a put may be in flight, and the
    /// checkpoint not written yet.
    pub fn kill(self) {
        self.task.abort();
    }

    /// Stops after the batch in hand, and says how it ended.
    pub async fn stop(self) -> Result<StreamProgress, String> {
        let _ = self.stop.send(true);
        self.task.await.map_err(|e| e.to_string())??;
        Ok(self.progress.borrow().clone())
    }
}

/// The newest stream of the table (ListStreams lists a table's streams oldest first).
async fn latest_stream(client: &Client, table: &str) -> Result<String, String> {
    let listed = client
        .list_streams()
        .table_name(table)
        .send()
        .await
        .map_err(|e| {
            format!(
                "ListStreams: {}",
                aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)
            )
        })?;
    listed
        .streams()
        .iter()
        .max_by(|a, b| a.stream_label().cmp(&b.stream_label()))
        .and_then(|s| s.stream_arn())
        .map(str::to_owned)
        .ok_or_else(|| {
            format!("the table {table} has no stream: its template declares StreamSpecification")
        })
}

pub(super) type Positions = BTreeMap<String, String>;

fn read_checkpoint(path: Option<&PathBuf>) -> Result<Positions, String> {
    match path.map(std::fs::read_to_string) {
        None => Ok(Positions::new()),
        Some(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(Positions::new()),
        Some(Err(e)) => Err(format!("cannot read the stream checkpoint: {e}")),
        Some(Ok(text)) => serde_json::from_str(&text).map_err(|e| {
            format!("the stream checkpoint is not a JSON object of shard to sequence: {e}")
        }),
    }
}
