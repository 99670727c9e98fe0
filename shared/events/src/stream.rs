//! Stream records into events. Lambda hands the publisher DynamoDB stream records in its JSON
//! form; the local publisher reads DynamoDB Local's stream and builds the same records, so
//! both go through [`incoming`].

use aws_lambda_events::event::dynamodb::EventRecord;
use serde_dynamo::AttributeValue;
use tenantry_store::AuditItem;

use crate::cloudevent::{CloudEvent, Unpublishable};

/// The partition key prefix of audit items.
const AUDIT_PREFIX: &str = "AUDIT#";

/// A stream record on its way to the bus.
#[derive(Clone, Debug, PartialEq)]
pub struct Incoming {
    /// The record's sequence number (its event id when it has none).
    pub sequence: String,
    /// `Ok(None)`: not a new audit item, nothing to publish.
    pub event: Result<Option<CloudEvent>, Unpublishable>,
}

/// What a stream record publishes. New audit items become events; every other record is
/// passed over (the stream filter keeps them from the Lambda function, but not from a replay
/// of the raw stream).
pub fn incoming(record: &EventRecord, source: &str) -> Incoming {
    let sequence = record
        .change
        .sequence_number
        .clone()
        .unwrap_or_else(|| record.event_id.clone());
    let is_audit = matches!(
        record.change.keys.get("PK"),
        Some(AttributeValue::S(pk)) if pk.starts_with(AUDIT_PREFIX)
    );
    let event = if record.event_name != "INSERT" || !is_audit {
        Ok(None)
    } else {
        serde_dynamo::from_item::<_, AuditItem>(record.change.new_image.clone())
            .map_err(|e| Unpublishable::Record(format!("{sequence}: {e}")))
            .and_then(|audit| CloudEvent::from_audit(&audit, source))
            .map(Some)
    };
    Incoming { sequence, event }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(name: &str, pk: &str, image: serde_json::Value) -> EventRecord {
        serde_json::from_value(json!({
            "awsRegion": "us-east-1",
            "eventID": "ev1",
            "eventName": name,
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "ApproximateCreationDateTime": 1764756000.0,
                "Keys": {"PK": {"S": pk}, "SK": {"S": "2026-12-03T10:00:00.000Z#e1"}},
                "NewImage": image,
                "SequenceNumber": "1000",
                "SizeBytes": 200,
                "StreamViewType": "NEW_IMAGE"
            }
        }))
        .unwrap()
    }

    fn audit_image() -> serde_json::Value {
        json!({
            "PK": {"S": "AUDIT#acme"},
            "SK": {"S": "2026-12-03T10:00:00.000Z#e1"},
            "id": {"S": "e1"},
            "at": {"S": "2026-12-03T10:00:00.000Z"},
            "tenant_id": {"S": "acme"},
            "actor_id": {"S": "admin1"},
            "actor_version": {"N": "3"},
            "action": {"S": "user.restore"},
            "target_id": {"S": "u1"},
            "target_version": {"N": "2"},
            "details": {"M": {}}
        })
    }

    #[test]
    fn a_new_audit_item_becomes_its_event() {
        let incoming = incoming(
            &record("INSERT", "AUDIT#acme", audit_image()),
            "urn:tenantry:t",
        );
        assert_eq!(incoming.sequence, "1000");
        let event = incoming.event.unwrap().unwrap();
        assert_eq!(
            (event.id.as_str(), event.kind.as_str()),
            ("e1", "tenantry.user.restored")
        );
        assert_eq!(event.data["version"], json!(3));
    }

    #[test]
    fn other_records_are_passed_over() {
        for (name, pk) in [
            ("MODIFY", "AUDIT#acme"),
            ("REMOVE", "AUDIT#acme"),
            ("INSERT", "TENANT#acme"),
        ] {
            assert_eq!(
                incoming(&record(name, pk, audit_image()), "s").event,
                Ok(None),
                "{name} {pk}"
            );
        }
    }

    #[test]
    fn an_audit_item_that_does_not_read_is_refused() {
        let mut image = audit_image();
        image.as_object_mut().unwrap().remove("action");
        let incoming = incoming(&record("INSERT", "AUDIT#acme", image), "s");
        assert!(matches!(incoming.event, Err(Unpublishable::Record(_))));
    }
}
