//! The local publisher: it reads DynamoDB Local's stream the way Lambda's event source mapping
//! reads the table's stream in AWS (ListStreams, DescribeStream, GetShardIterator, GetRecords),
//! applies the template's filter, and hands each batch to the publish-events function's own
//! handler. Like the mapping, it delivers a batch again from its first failed record, and after
//! `max_deliveries` sets that record aside (in the failure log, the local failure queue) so
//! that the records behind it are not blocked for ever.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use tenantry_events::filter::Pattern;
use tenantry_events::{Bus, PublishReport, Publisher};
use tokio::sync::watch;

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

type Positions = BTreeMap<String, String>;

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

struct Reader {
    client: Client,
    stream_arn: String,
    patterns: Vec<Pattern>,
    publisher: Publisher,
    settings: StreamSettings,
    /// The last sequence number handled, by shard.
    positions: Positions,
    report: watch::Sender<StreamProgress>,
}

/// One shard being read.
struct Shard {
    iterator: Option<String>,
    /// No more records will come (its iterator ran out).
    done: bool,
    /// Deliveries so far of the record a failed batch started again at.
    failing: Option<(String, u32)>,
}

fn streams_error(op: &str, e: impl std::error::Error + Send + Sync + 'static) -> String {
    format!(
        "{op}: {}",
        aws_sdk_dynamodbstreams::error::DisplayErrorContext(e)
    )
}

impl Reader {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) -> Result<(), String> {
        let mut shards: HashMap<String, Shard> = HashMap::new();
        while !*stopped.borrow() {
            let mut busy = false;
            let listed = match self.shards().await {
                Ok(listed) => listed,
                Err(error) => {
                    tracing::warn!(%error, "listing the stream's shards failed; trying again");
                    self.report.send_modify(|p| {
                        p.read_errors += 1;
                        p.last_error = Some(error);
                    });
                    Vec::new()
                }
            };
            for (shard_id, parent) in listed {
                // A child shard is read once its parent is done (or gone).
                let parent_done = parent
                    .as_ref()
                    .is_none_or(|p| shards.get(p).is_none_or(|s| s.done));
                if !parent_done || shards.get(&shard_id).is_some_and(|s| s.done) {
                    continue;
                }
                let shard = shards.entry(shard_id.clone()).or_insert(Shard {
                    iterator: None,
                    done: false,
                    failing: None,
                });
                match self.poll(&shard_id, shard).await {
                    Ok(had_records) => busy |= had_records,
                    Err(error) => {
                        // Read again from the last position after a pause; the records since
                        // may be published twice, never skipped.
                        tracing::warn!(shard_id, %error, "reading the stream failed; reading again");
                        shard.iterator = None;
                        self.report.send_modify(|p| {
                            p.read_errors += 1;
                            p.last_error = Some(error);
                        });
                    }
                }
                if *stopped.borrow() {
                    break;
                }
            }
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.settings.idle) => {}
                    _ = stopped.changed() => {}
                }
            }
        }
        Ok(())
    }

    /// (shard id, parent shard id) of every shard of the stream.
    async fn shards(&self) -> Result<Vec<(String, Option<String>)>, String> {
        let mut shards = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let described = self
                .client
                .describe_stream()
                .stream_arn(&self.stream_arn)
                .set_exclusive_start_shard_id(after.clone())
                .send()
                .await
                .map_err(|e| streams_error("DescribeStream", e))?;
            let Some(description) = described.stream_description() else {
                return Ok(shards);
            };
            for shard in description.shards() {
                if let Some(id) = shard.shard_id() {
                    shards.push((id.to_owned(), shard.parent_shard_id().map(str::to_owned)));
                }
            }
            after = description.last_evaluated_shard_id().map(str::to_owned);
            if after.is_none() {
                return Ok(shards);
            }
        }
    }

    async fn iterator(
        &self,
        shard_id: &str,
        kind: ShardIteratorType,
        sequence: Option<&str>,
    ) -> Result<Option<String>, String> {
        let answer = self
            .client
            .get_shard_iterator()
            .stream_arn(&self.stream_arn)
            .shard_id(shard_id)
            .shard_iterator_type(kind)
            .set_sequence_number(sequence.map(str::to_owned))
            .send()
            .await
            .map_err(|e| streams_error("GetShardIterator", e))?;
        Ok(answer.shard_iterator().map(str::to_owned))
    }

    /// Reads and publishes one batch of the shard. True when it had records.
    async fn poll(&mut self, shard_id: &str, shard: &mut Shard) -> Result<bool, String> {
        if shard.iterator.is_none() {
            shard.iterator = match self.positions.get(shard_id) {
                Some(seq) => {
                    self.iterator(shard_id, ShardIteratorType::AfterSequenceNumber, Some(seq))
                        .await?
                }
                None => {
                    self.iterator(shard_id, ShardIteratorType::TrimHorizon, None)
                        .await?
                }
            };
            if shard.iterator.is_none() {
                shard.done = true;
                return Ok(false);
            }
        }
        let answer = match self
            .client
            .get_records()
            .set_shard_iterator(shard.iterator.clone())
            .limit(BATCH_SIZE)
            .send()
            .await
        {
            Ok(answer) => answer,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_expired_iterator_exception()) =>
            {
                shard.iterator = None;
                return Ok(true);
            }
            Err(e) => return Err(streams_error("GetRecords", e)),
        };
        let records = answer.records();
        let next = answer.next_shard_iterator().map(str::to_owned);
        if records.is_empty() {
            shard.done = next.is_none();
            shard.iterator = next;
            return Ok(false);
        }
        let last = records
            .last()
            .and_then(|r| r.dynamodb())
            .and_then(|r| r.sequence_number())
            .map(str::to_owned);
        let (delivered, filtered_out) = self.filter(records);
        let report = self.deliver(&delivered).await;
        let failed = report.failed.first().map(|f| f.sequence.clone());
        self.report.send_modify(|p| {
            p.batches += 1;
            p.published += report.published as u64;
            p.filtered_out += filtered_out;
        });
        match failed {
            None => {
                shard.failing = None;
                shard.iterator = next;
                shard.done = shard.iterator.is_none();
                if let Some(last) = last {
                    self.advance(shard_id, last)?;
                }
            }
            Some(first_failed) => {
                let deliveries = match &shard.failing {
                    Some((seq, n)) if *seq == first_failed => n + 1,
                    _ => 1,
                };
                if deliveries >= self.settings.max_deliveries.max(1) {
                    // Set the record aside and go on after it.
                    self.set_aside(shard_id, &first_failed, &report)?;
                    shard.failing = None;
                    shard.iterator = self
                        .iterator(
                            shard_id,
                            ShardIteratorType::AfterSequenceNumber,
                            Some(&first_failed),
                        )
                        .await?;
                    self.advance(shard_id, first_failed)?;
                } else {
                    self.report.send_modify(|p| p.redeliveries += 1);
                    shard.iterator = self
                        .iterator(
                            shard_id,
                            ShardIteratorType::AtSequenceNumber,
                            Some(&first_failed),
                        )
                        .await?;
                    shard.failing = Some((first_failed, deliveries));
                }
            }
        }
        Ok(true)
    }

    /// The records the template's filter lets through, as Lambda would deliver them, and how
    /// many it held back.
    fn filter(&self, records: &[Record]) -> (Vec<EventRecord>, u64) {
        let mut delivered = Vec::new();
        let mut filtered_out = 0;
        for record in records {
            let record = lambda_record(record, &self.stream_arn);
            let json = serde_json::to_value(&record).unwrap_or_default();
            if self.patterns.is_empty() || self.patterns.iter().any(|p| p.matches(&json)) {
                delivered.push(record);
            } else {
                filtered_out += 1;
            }
        }
        (delivered, filtered_out)
    }

    async fn deliver(&self, records: &[EventRecord]) -> PublishReport {
        if records.is_empty() {
            return PublishReport::default();
        }
        let mut event = Event::default();
        event.records = records.to_vec();
        let (report, _) =
            publish_events::handle(&self.publisher, &self.settings.source, &event).await;
        report
    }

    fn advance(&mut self, shard_id: &str, sequence: String) -> Result<(), String> {
        self.positions.insert(shard_id.to_owned(), sequence);
        let Some(path) = &self.settings.checkpoint else {
            return Ok(());
        };
        let text = serde_json::to_string_pretty(&self.positions).map_err(|e| e.to_string())?;
        let partial = path.with_extension("partial");
        std::fs::write(&partial, text)
            .and_then(|()| std::fs::rename(&partial, path))
            .map_err(|e| format!("cannot write the stream checkpoint {}: {e}", path.display()))
    }

    fn set_aside(
        &self,
        shard_id: &str,
        sequence: &str,
        report: &PublishReport,
    ) -> Result<(), String> {
        let error = report
            .failed
            .first()
            .map(|f| f.error.as_str())
            .unwrap_or_default();
        tracing::error!(
            shard_id,
            sequence,
            error,
            "a stream record failed its last delivery; set aside"
        );
        self.report.send_modify(|p| p.set_aside += 1);
        let Some(path) = &self.settings.failure_log else {
            return Ok(());
        };
        // What Lambda's failure destination receives: where the record is, not its content.
        let line = serde_json::json!({
            "stream_arn": self.stream_arn,
            "shard_id": shard_id,
            "sequence_number": sequence,
            "error": error,
            "at": tenantry_http::log::timestamp(),
        });
        use std::io::Write;
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{line}"))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    }
}

/// A record of DynamoDB Local's stream in the form Lambda delivers it.
pub fn lambda_record(record: &Record, stream_arn: &str) -> EventRecord {
    let mut event = EventRecord::default();
    event.event_id = record.event_id().unwrap_or_default().to_owned();
    event.event_name = record
        .event_name()
        .map(|n| n.as_str().to_owned())
        .unwrap_or_default();
    event.event_source = Some("aws:dynamodb".into());
    event.event_version = record.event_version().map(str::to_owned);
    event.event_source_arn = Some(stream_arn.to_owned());
    event.aws_region = record.aws_region().unwrap_or_default().to_owned();
    if let Some(change) = record.dynamodb() {
        event.change.keys = serde_dynamo::Item::from(change.keys().cloned().unwrap_or_default());
        event.change.new_image =
            serde_dynamo::Item::from(change.new_image().cloned().unwrap_or_default());
        event.change.sequence_number = change.sequence_number().map(str::to_owned);
        event.change.size_bytes = change.size_bytes().unwrap_or_default();
    }
    event
}
