//! The items a use case writes besides its target's changes: new users, and the audit event
//! every mutation commits with (the scheduled purge's tombstone among them).

use tenantry_store::{AuditItem, UserItem, keys};

use crate::action::AuditAction;
use crate::input::NewUser;

/// Days a deleted account stays restorable before it is purged, unless the tenant says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// The actor named by the tombstones of the scheduled purge.
pub const PURGE_ACTOR: &str = "system:purge";

/// Ids are UUIDv7: unique, and in creation order.
pub(crate) fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub(crate) fn new_user_item(
    tenant_id: &str,
    new: &NewUser,
    password_hash: String,
    is_owner: bool,
    now: &str,
) -> UserItem {
    let id = new_id();
    UserItem {
        pk: keys::tenant_pk(tenant_id),
        sk: keys::user_sk(&id),
        id,
        tenant_id: tenant_id.to_owned(),
        username: new.username.as_str().to_owned(),
        email: new.email.as_str().to_owned(),
        role: new.role.as_str().to_owned(),
        is_owner,
        version: 1,
        token_epoch: 1,
        password_hash,
        created_at: now.to_owned(),
        updated_at: now.to_owned(),
        deleted_at: None,
        deleted_by: None,
        purge_after: None,
        purge_shard: None,
        profile: None,
        directory_deleted: false,
    }
}

/// Who or what commits an audited change, as its audit event names it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AuditActor<'a> {
    pub id: &'a str,
    /// The version of the actor's item the decision was made on (0 for a system actor).
    pub version: u64,
}

impl<'a> AuditActor<'a> {
    pub fn user(user: &'a UserItem) -> AuditActor<'a> {
        AuditActor {
            id: &user.id,
            version: user.version,
        }
    }

    pub fn system(id: &'a str) -> AuditActor<'a> {
        AuditActor { id, version: 0 }
    }
}

/// The audit event of a mutation, written in the mutation's transaction. No personal data:
/// ids, roles and times only, so that a purge leaves nothing of the person behind.
/// `target` is the id and the version before this write (0 for a creation).
pub(crate) fn audit_item(
    at: &str,
    tenant_id: &str,
    actor: AuditActor<'_>,
    action: AuditAction,
    target: (&str, u64),
    details: serde_json::Value,
) -> AuditItem {
    let id = new_id();
    let (target_id, target_version) = target;
    AuditItem {
        pk: keys::audit_pk(tenant_id),
        sk: keys::audit_sk(at, &id),
        id,
        at: at.to_owned(),
        tenant_id: tenant_id.to_owned(),
        actor_id: actor.id.to_owned(),
        actor_version: actor.version,
        action: action.as_str().to_owned(),
        target_id: target_id.to_owned(),
        target_version,
        details,
    }
}

/// What a purge's audit event says of the purged user: times and its role, nothing personal.
pub(crate) fn tombstone_details(user: &UserItem, deleted_at: &str) -> serde_json::Value {
    serde_json::json!({
        "deleted_at": deleted_at,
        "purge_after": user.purge_after,
        "role": user.role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_audit_event_keys_itself_by_time_and_names_ids_only() {
        let event = audit_item(
            "2026-01-02T03:04:05.006Z",
            "acme",
            AuditActor::system(PURGE_ACTOR),
            AuditAction::UserPurge,
            ("u1", 3),
            serde_json::json!({"role": "user"}),
        );
        assert_eq!(event.pk, "AUDIT#acme");
        assert_eq!(event.sk, format!("2026-01-02T03:04:05.006Z#{}", event.id));
        assert_eq!(
            (event.actor_id.as_str(), event.actor_version),
            ("system:purge", 0)
        );
        assert_eq!(event.action, "user.purge");
        assert_eq!((event.target_id.as_str(), event.target_version), ("u1", 3));
    }
}
