//! What an audit item publishes: one CloudEvents 1.0 structured event, built from the audit
//! item alone, so that the stream and a replay from the audit log publish the same event.
//!
//! Like the audit log, an event holds ids, roles, versions and times: never a username, an
//! email, a hash or a token. `data` is made of the audit item's own fields and its `details`,
//! which are written PII-free; the JSON Schemas of `infra/events/` forbid any other property.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tenantry_accounts::AuditAction;
use tenantry_store::AuditItem;

/// Every event's `type` is this followed by its detail type: `tenantry.user.deleted`.
pub const TYPE_PREFIX: &str = "tenantry.";

/// Every event's `source` is this followed by the stack's name: `urn:tenantry:prod`.
pub const EVENT_SOURCE_PREFIX: &str = "urn:tenantry:";

/// A CloudEvents 1.0 event in structured mode (<https://cloudevents.io>), with one extension
/// attribute: `tenantid`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CloudEvent {
    pub specversion: String,
    /// The audit event's id: unique, and the same on every delivery and every replay.
    pub id: String,
    pub source: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// When the mutation was decided and committed (its audit event's time).
    pub time: String,
    /// The user or tenant the event is about.
    pub subject: String,
    pub tenantid: String,
    pub datacontenttype: String,
    pub data: Value,
}

impl CloudEvent {
    /// The type without its `tenantry.` prefix: EventBridge's `detail-type`.
    pub fn detail_type(&self) -> &str {
        self.kind.strip_prefix(TYPE_PREFIX).unwrap_or(&self.kind)
    }
}

/// An audit item that cannot become an event. It is not skipped: the publisher reports it,
/// and it reaches the failure destination where an operator can see it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unpublishable {
    #[error("the audit event {id} names an action this publisher does not know: {action:?}")]
    UnknownAction { id: String, action: String },
    #[error("the audit event {id} has details that are not an object")]
    Details { id: String },
    #[error("a stream record that is not an audit event: {0}")]
    Record(String),
}

impl CloudEvent {
    /// The event an audit item publishes. `source` is the whole source, e.g.
    /// `urn:tenantry:prod`.
    pub fn from_audit(audit: &AuditItem, source: &str) -> Result<CloudEvent, Unpublishable> {
        let unknown = || Unpublishable::UnknownAction {
            id: audit.id.clone(),
            action: audit.action.clone(),
        };
        let action = AuditAction::parse(&audit.action).ok_or_else(unknown)?;
        let detail_type = action.event_type().ok_or_else(unknown)?;
        let details = match &audit.details {
            Value::Object(details) => details.clone(),
            Value::Null => Map::new(),
            _ => {
                return Err(Unpublishable::Details {
                    id: audit.id.clone(),
                });
            }
        };
        let (subject, data) = data(action, audit, details);
        Ok(CloudEvent {
            specversion: "1.0".into(),
            id: audit.id.clone(),
            source: source.to_owned(),
            kind: format!("{TYPE_PREFIX}{detail_type}"),
            time: audit.at.clone(),
            subject,
            tenantid: audit.tenant_id.clone(),
            datacontenttype: "application/json".into(),
            data: Value::Object(data),
        })
    }
}

/// The subject and the data of an action's event. Every version in `data` is the version the
/// change produced, so a consumer can apply an event only if it is newer than what it holds.
fn data(
    action: AuditAction,
    audit: &AuditItem,
    details: Map<String, Value>,
) -> (String, Map<String, Value>) {
    let mut data = Map::new();
    data.insert("tenant_id".into(), json!(audit.tenant_id));
    data.insert("actor_id".into(), json!(audit.actor_id));
    let next = audit.target_version + 1;
    let subject = match action {
        AuditAction::TenantCreate | AuditAction::TenantUpdate => {
            data.insert("version".into(), json!(next));
            audit.target_id.clone()
        }
        // The audit event's target is the new owner; the event is about the tenant.
        AuditAction::TenantTransfer => {
            data.insert("owner_id".into(), json!(audit.target_id));
            data.insert("owner_version".into(), json!(next));
            for (key, value) in details {
                let value = match (key.as_str(), value.as_u64()) {
                    ("previous_owner_version" | "tenant_version", Some(before)) => {
                        json!(before + 1)
                    }
                    _ => value,
                };
                let key = if key == "tenant_version" {
                    "version".to_owned()
                } else {
                    key
                };
                data.insert(key, value);
            }
            return (audit.tenant_id.clone(), data);
        }
        // About the tenant: which of its directory tokens was created or revoked.
        AuditAction::DirectoryTokenCreate | AuditAction::DirectoryTokenRevoke => {
            data.insert("token_id".into(), json!(audit.target_id));
            audit.tenant_id.clone()
        }
        _ => {
            data.insert("user_id".into(), json!(audit.target_id));
            data.insert("version".into(), json!(next));
            audit.target_id.clone()
        }
    };
    data.extend(details);
    match action {
        AuditAction::UserDelete => {
            data.insert("deleted_at".into(), json!(audit.at));
            let purge_after = data.get("purge_after").cloned().unwrap_or(Value::Null);
            data.insert("restorable_until".into(), purge_after);
        }
        AuditAction::UserPurge => {
            data.insert("purged_at".into(), json!(audit.at));
        }
        _ => {}
    }
    (subject, data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(action: &str, target: (&str, u64), details: Value) -> AuditItem {
        AuditItem {
            pk: "AUDIT#acme".into(),
            sk: "2026-12-03T10:00:00.000Z#e1".into(),
            id: "e1".into(),
            at: "2026-12-03T10:00:00.000Z".into(),
            tenant_id: "acme".into(),
            actor_id: "admin1".into(),
            actor_version: 4,
            action: action.into(),
            target_id: target.0.into(),
            target_version: target.1,
            details,
        }
    }

    #[test]
    fn a_deletion_says_until_when_the_user_can_be_restored() {
        let item = audit(
            "user.delete",
            ("u1", 2),
            json!({"purge_after": "2027-01-02T10:00:00.000Z", "role": "agent"}),
        );
        let event = CloudEvent::from_audit(&item, "urn:tenantry:test").unwrap();
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({
                "specversion": "1.0",
                "id": "e1",
                "source": "urn:tenantry:test",
                "type": "tenantry.user.deleted",
                "time": "2026-12-03T10:00:00.000Z",
                "subject": "u1",
                "tenantid": "acme",
                "datacontenttype": "application/json",
                "data": {
                    "tenant_id": "acme",
                    "actor_id": "admin1",
                    "user_id": "u1",
                    "version": 3,
                    "role": "agent",
                    "deleted_at": "2026-12-03T10:00:00.000Z",
                    "purge_after": "2027-01-02T10:00:00.000Z",
                    "restorable_until": "2027-01-02T10:00:00.000Z",
                }
            })
        );
        assert_eq!(event.detail_type(), "user.deleted");
    }

    #[test]
    fn a_purge_says_when_it_happened() {
        let item = audit(
            "user.purge",
            ("u1", 3),
            json!({"deleted_at": "2026-11-01T00:00:00.000Z", "purge_after": "2026-12-01T00:00:00.000Z", "role": "user"}),
        );
        let event = CloudEvent::from_audit(&item, "urn:tenantry:test").unwrap();
        assert_eq!(event.kind, "tenantry.user.purged");
        assert_eq!(event.data["purged_at"], json!(item.at));
        assert_eq!(event.data["deleted_at"], json!("2026-11-01T00:00:00.000Z"));
        assert_eq!(event.data["version"], json!(4));
    }

    #[test]
    fn a_transfer_is_about_the_tenant_and_counts_versions_after_the_change() {
        let item = audit(
            "tenant.transfer",
            ("u2", 5),
            json!({"previous_owner_id": "u1", "previous_owner_version": 7, "tenant_version": 1}),
        );
        let event = CloudEvent::from_audit(&item, "urn:tenantry:test").unwrap();
        assert_eq!(event.kind, "tenantry.tenant.ownership_transferred");
        assert_eq!(event.subject, "acme");
        assert_eq!(
            event.data,
            json!({
                "tenant_id": "acme",
                "actor_id": "admin1",
                "owner_id": "u2",
                "owner_version": 6,
                "previous_owner_id": "u1",
                "previous_owner_version": 8,
                "version": 2,
            })
        );
    }

    #[test]
    fn a_tenant_event_is_about_the_tenant() {
        let item = audit("tenant.create", ("acme", 0), json!({"owner_id": "u1"}));
        let event = CloudEvent::from_audit(&item, "urn:tenantry:test").unwrap();
        assert_eq!(event.kind, "tenantry.tenant.created");
        assert_eq!(
            (event.subject.as_str(), &event.data["version"]),
            ("acme", &json!(1))
        );
        assert_eq!(event.data["owner_id"], json!("u1"));
    }

    #[test]
    fn an_action_without_an_event_is_refused_not_dropped() {
        for action in ["user.erase", "user.get", ""] {
            let item = audit(action, ("u1", 1), json!({}));
            assert!(matches!(
                CloudEvent::from_audit(&item, "urn:tenantry:test"),
                Err(Unpublishable::UnknownAction { .. })
            ));
        }
        let item = audit("user.restore", ("u1", 1), json!(["not", "an", "object"]));
        assert!(matches!(
            CloudEvent::from_audit(&item, "urn:tenantry:test"),
            Err(Unpublishable::Details { .. })
        ));
    }

    #[test]
    fn every_audited_action_becomes_an_event_of_its_type() {
        for action in AuditAction::ALL.into_iter().filter(|a| a.is_audited()) {
            let item = audit(action.as_str(), ("x", 1), json!({}));
            let event = CloudEvent::from_audit(&item, "urn:tenantry:test").unwrap();
            assert_eq!(Some(event.detail_type()), action.event_type());
            assert_eq!(event.id, item.id);
            assert_eq!(event.data["tenant_id"], json!("acme"));
        }
    }
}
