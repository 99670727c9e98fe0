//! The reading itself: shards, iterators, batches, redelivery, the checkpoint and the
//! failure log.

use std::collections::HashMap;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_sdk_dynamodbstreams::Client;
use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use tenantry_events::filter::Pattern;
use tenantry_events::{PublishReport, Publisher};
use tokio::sync::watch;

use super::{BATCH_SIZE, Positions, StreamProgress, StreamSettings};

pub(super) struct Reader {
    pub(super) client: Client,
    pub(super) stream_arn: String,
    pub(super) patterns: Vec<Pattern>,
    pub(super) publisher: Publisher,
    pub(super) settings: StreamSettings,
    /// The last sequence number handled, by shard.
    pub(super) positions: Positions,
    pub(super) report: watch::Sender<StreamProgress>,
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
    pub(super) async fn run(mut self, mut stopped: watch::Receiver<bool>) -> Result<(), String> {
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

    /// An iterator of the shard at `kind`. Past the stream's 24 hours a checkpoint's sequence
    /// number is trimmed away: the shard is then read from its oldest record, and what was
    /// lost in between is in the audit log (`tenantryctl events replay`).
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
            .await;
        let answer = match answer {
            Err(e)
                if sequence.is_some()
                    && e.as_service_error()
                        .is_some_and(|s| s.is_trimmed_data_access_exception()) =>
            {
                tracing::warn!(
                    shard_id,
                    sequence,
                    "the checkpoint is older than the stream keeps; reading from the oldest \
                     record (tenantryctl events replay publishes what was missed)"
                );
                self.client
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(shard_id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
            }
            other => other,
        }
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
