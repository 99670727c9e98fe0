//! Publishing a batch of stream records, in order.
//!
//! Events go to the bus ten at a time (PutEvents' limit). Entries the bus refuses are retried
//! alone, with backoff; the entries it accepted are not put again. If an entry is still refused
//! after the last attempt, or a record cannot become an event at all, publishing stops there:
//! the report names the records that failed, and everything behind them is left for the next
//! delivery, which starts again at the first failed record. So nothing is lost, and a tenant's
//! events are put in commit order; an event may arrive more than once, always with the same id
//! and body.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

use crate::cloudevent::CloudEvent;
use crate::stream::Incoming;

/// Most entries one PutEvents call takes.
pub const MAX_ENTRIES: usize = 10;

/// The outcome of one put: per entry, in order, whether the bus took it.
pub type Outcomes = Vec<Result<(), String>>;

/// Where events go. A put takes at most [`MAX_ENTRIES`] events, in order, and answers either
/// the outcome of each entry or the error of the whole call (after which any of them may or
/// may not have been put: they are all put again).
pub trait Bus: Send + Sync {
    fn put<'a>(&'a self, events: &'a [CloudEvent]) -> BoxFuture<'a, Result<Outcomes, String>>;
}

/// One event of a batch, as far as the publisher got with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The stream record's sequence number: what Lambda's batch item failures name.
    pub sequence: String,
    pub error: String,
}

/// What publishing a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// Events the bus took (each once, however many attempts it needed).
    pub published: usize,
    /// Records that were not audit events (the stream filter should have left them out).
    pub skipped: usize,
    /// PutEvents calls made, retries included.
    pub calls: usize,
    /// The records that failed, in order. Empty when the whole batch was published. Records
    /// behind the first failure were not attempted.
    pub failed: Vec<Entry>,
}

/// Publishes batches to one bus.
#[derive(Clone)]
pub struct Publisher {
    bus: Arc<dyn Bus>,
    /// Attempts per entry, the first included.
    pub attempts: u32,
    /// The wait before the second attempt; it doubles for each one after, with jitter.
    pub backoff: Duration,
}

impl Publisher {
    pub fn new(bus: Arc<dyn Bus>) -> Publisher {
        Publisher {
            bus,
            attempts: 3,
            backoff: Duration::from_millis(100),
        }
    }

    /// Publishes the records in order, stopping at the first one that cannot be published.
    pub async fn publish(&self, records: &[Incoming]) -> PublishReport {
        let mut report = PublishReport::default();
        let mut chunk: Vec<(&str, &CloudEvent)> = Vec::with_capacity(MAX_ENTRIES);
        for record in records {
            match &record.event {
                Ok(None) => report.skipped += 1,
                Ok(Some(event)) => {
                    chunk.push((&record.sequence, event));
                    if chunk.len() == MAX_ENTRIES && !self.flush(&mut chunk, &mut report).await {
                        return report;
                    }
                }
                Err(unpublishable) => {
                    if self.flush(&mut chunk, &mut report).await {
                        tracing::error!(sequence = %record.sequence, error = %unpublishable, "a stream record cannot be published");
                        report.failed.push(Entry {
                            sequence: record.sequence.clone(),
                            error: unpublishable.to_string(),
                        });
                    }
                    return report;
                }
            }
        }
        self.flush(&mut chunk, &mut report).await;
        report
    }

    /// Puts the chunk, retrying refused entries alone. False when some stayed refused; they
    /// are in `report.failed`.
    async fn flush(
        &self,
        chunk: &mut Vec<(&str, &CloudEvent)>,
        report: &mut PublishReport,
    ) -> bool {
        if chunk.is_empty() {
            return true;
        }
        // (index in chunk, last error)
        let mut left: Vec<(usize, String)> = (0..chunk.len()).map(|i| (i, String::new())).collect();
        for attempt in 0..self.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(self.delay(attempt)).await;
            }
            let events: Vec<CloudEvent> = left.iter().map(|(i, _)| chunk[*i].1.clone()).collect();
            report.calls += 1;
            let outcomes = match self.bus.put(&events).await {
                Ok(outcomes) if outcomes.len() == events.len() => outcomes,
                Ok(outcomes) => {
                    let error = format!(
                        "the bus answered {} outcomes for {} entries",
                        outcomes.len(),
                        events.len()
                    );
                    vec![Err(error); events.len()]
                }
                Err(error) => vec![Err(error); events.len()],
            };
            let before = left.len();
            left = left
                .into_iter()
                .zip(outcomes)
                .filter_map(|((i, _), outcome)| outcome.err().map(|e| (i, e)))
                .collect();
            report.published += before - left.len();
            if left.is_empty() {
                chunk.clear();
                return true;
            }
            tracing::warn!(
                attempt = attempt + 1,
                refused = left.len(),
                of = before,
                error = %left[0].1,
                "the bus refused events"
            );
        }
        report
            .failed
            .extend(left.into_iter().map(|(i, error)| Entry {
                sequence: chunk[i].0.to_owned(),
                error,
            }));
        chunk.clear();
        false
    }

    fn delay(&self, attempt: u32) -> Duration {
        let base = self.backoff.saturating_mul(1 << (attempt - 1).min(6));
        // Full jitter on the upper half: between half and all of the doubled backoff.
        base / 2 + base.mul_f64(rand::random::<f64>() / 2.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::sync::Mutex;

    use super::*;
    use crate::cloudevent::Unpublishable;

    /// A bus that answers from a script and records what it was given. It stands for the
    /// bus's answers only; EventBridge itself is exercised against moto by the API tests.
    #[derive(Default)]
    struct Scripted {
        answers: Mutex<VecDeque<Result<Outcomes, String>>>,
        calls: Mutex<Vec<Vec<String>>>,
    }

    impl Bus for Scripted {
        fn put<'a>(&'a self, events: &'a [CloudEvent]) -> BoxFuture<'a, Result<Outcomes, String>> {
            self.calls
                .lock()
                .unwrap()
                .push(events.iter().map(|e| e.id.clone()).collect());
            let answer = self
                .answers
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| Ok(vec![Ok(()); events.len()]));
            Box::pin(async move { answer })
        }
    }

    fn event(id: &str) -> Incoming {
        Incoming {
            sequence: format!("seq-{id}"),
            event: Ok(Some(CloudEvent {
                specversion: "1.0".into(),
                id: id.into(),
                source: "urn:tenantry:test".into(),
                kind: "tenantry.user.deleted".into(),
                time: "2026-12-03T10:00:00.000Z".into(),
                subject: "u".into(),
                tenantid: "acme".into(),
                datacontenttype: "application/json".into(),
                data: serde_json::json!({}),
            })),
        }
    }

    fn publisher(bus: &Arc<Scripted>) -> Publisher {
        let mut publisher = Publisher::new(Arc::clone(bus) as Arc<dyn Bus>);
        publisher.backoff = Duration::from_millis(1);
        publisher
    }

    fn ids(n: usize) -> Vec<Incoming> {
        (0..n).map(|i| event(&format!("e{i:02}"))).collect()
    }

    #[tokio::test]
    async fn events_go_ten_at_a_time_in_order() {
        let bus = Arc::new(Scripted::default());
        let report = publisher(&bus).publish(&ids(23)).await;
        assert_eq!((report.published, report.calls), (23, 3));
        assert!(report.failed.is_empty());
        let calls = bus.calls.lock().unwrap().clone();
        assert_eq!(calls.iter().map(Vec::len).collect::<Vec<_>>(), [10, 10, 3]);
        let flat: Vec<String> = calls.concat();
        let mut sorted = flat.clone();
        sorted.sort();
        assert_eq!(flat, sorted);
    }

    #[tokio::test]
    async fn only_the_refused_entries_are_put_again() {
        let bus = Arc::new(Scripted::default());
        let mut answer = vec![Ok(()); 10];
        answer[3] = Err("ThrottlingException".into());
        answer[7] = Err("InternalFailure".into());
        bus.answers.lock().unwrap().push_back(Ok(answer));
        let report = publisher(&bus).publish(&ids(12)).await;
        assert_eq!(
            (report.published, report.calls, report.failed.len()),
            (12, 3, 0)
        );
        let calls = bus.calls.lock().unwrap().clone();
        assert_eq!(calls[1], ["e03", "e07"]);
        assert_eq!(calls[2], ["e10", "e11"]);
    }

    #[tokio::test]
    async fn an_entry_refused_every_time_stops_the_batch_and_is_reported() {
        let bus = Arc::new(Scripted::default());
        let mut answer = vec![Ok(()); 10];
        answer[4] = Err("InternalFailure".into());
        let scripted = [
            Ok(answer),
            Ok(vec![Err("InternalFailure".into())]),
            Ok(vec![Err("InternalFailure".into())]),
        ];
        bus.answers.lock().unwrap().extend(scripted);
        let report = publisher(&bus).publish(&ids(25)).await;
        assert_eq!(report.published, 9);
        assert_eq!(
            report.failed,
            [Entry {
                sequence: "seq-e04".into(),
                error: "InternalFailure".into()
            }]
        );
        // Three attempts at the first ten; nothing behind them was tried.
        assert_eq!(bus.calls.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn a_failed_call_puts_every_entry_again() {
        let bus = Arc::new(Scripted::default());
        bus.answers
            .lock()
            .unwrap()
            .push_back(Err("connection reset".into()));
        let report = publisher(&bus).publish(&ids(4)).await;
        assert_eq!((report.published, report.calls), (4, 2));
        assert_eq!(bus.calls.lock().unwrap()[1].len(), 4);
    }

    #[tokio::test]
    async fn a_record_that_is_no_event_is_reported_after_the_events_before_it() {
        let bus = Arc::new(Scripted::default());
        let mut records = ids(3);
        records.insert(
            2,
            Incoming {
                sequence: "seq-bad".into(),
                event: Err(Unpublishable::Record("no NewImage".into())),
            },
        );
        records.insert(
            1,
            Incoming {
                sequence: "seq-user".into(),
                event: Ok(None),
            },
        );
        let report = publisher(&bus).publish(&records).await;
        assert_eq!((report.published, report.skipped), (2, 1));
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].sequence, "seq-bad");
        assert_eq!(bus.calls.lock().unwrap().concat(), ["e00", "e01"]);
    }
}
