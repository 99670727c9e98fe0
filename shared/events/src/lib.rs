//! Lifecycle events. Every committed mutation writes one PII-free audit item in its own
//! transaction: that item is the outbox. The table's stream carries it to a publisher, which
//! puts it on a bus as a CloudEvents 1.0 event whose `id` is the audit event's id.
//!
//! - [`cloudevent`]: what an audit item publishes (pure).
//! - [`filter`]: the stream filter the template declares, and the same filter applied locally.
//! - [`stream`]: stream records (Lambda's, or DynamoDB Local's) into events to publish.
//! - [`publisher`]: batches of ten, retrying only the entries a bus refused, stopping at the
//!   first record it cannot publish so that nothing behind it is lost or reordered.
//! - [`eventbridge`], [`jsonl`], [`fanout`]: the buses.

pub mod cloudevent;
pub mod eventbridge;
pub mod fanout;
pub mod filter;
pub mod jsonl;
pub mod publisher;
pub mod stream;

pub use cloudevent::{CloudEvent, EVENT_SOURCE_PREFIX, Unpublishable};
pub use eventbridge::EventBridgeBus;
pub use fanout::Fanout;
pub use jsonl::JsonlBus;
pub use publisher::{Bus, Entry, PublishReport, Publisher};
pub use stream::{Incoming, incoming};
