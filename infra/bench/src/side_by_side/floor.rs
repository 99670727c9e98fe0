//! The floor: what a function's DynamoDB calls take when nothing else is around them.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use serde_json::{Value, json};
use tenantry_accounts::{Principal, format_time};
use tenantry_store::{
    ActorCheck, AuditItem, Deletion, Snapshot, Store, UserFilter, UserItem, UserKey, keys,
};
use time::OffsetDateTime;

use super::{LIST_LIMIT, TENANT};

/// The same DynamoDB calls as a function makes, issued from this process through the store's
/// own request builders: no runtime, no event, no token, no policy, no response.
pub(super) struct Floor {
    pub(super) store: Store,
    pub(super) principal: Principal,
}

impl Floor {
    fn actor(&self) -> UserKey<'_> {
        UserKey {
            tenant_id: &self.principal.tenant_id,
            user_id: &self.principal.user_id,
        }
    }

    /// get-user: one BatchGetItem of the caller, its session and the target.
    pub(super) async fn get(&self, user_id: &str) -> Duration {
        let started = Instant::now();
        let snap = self.snapshot(user_id, None).await;
        let took = started.elapsed();
        assert!(snap.actor.is_some() && snap.session.is_some() && snap.target.is_some());
        took
    }

    /// The same BatchGetItem built by hand with the SDK, the answer not decoded.
    pub(super) async fn get_raw(&self, user_id: &str) -> Duration {
        let key = |pk: String, sk: String| {
            HashMap::from([
                ("PK".to_owned(), AttributeValue::S(pk)),
                ("SK".to_owned(), AttributeValue::S(sk)),
            ])
        };
        let keys = KeysAndAttributes::builder()
            .keys(key(
                keys::tenant_pk(TENANT),
                keys::user_sk(&self.principal.user_id),
            ))
            .keys(key(
                keys::session_pk(&self.principal.session_id),
                keys::SESSION_SK.to_owned(),
            ))
            .keys(key(keys::tenant_pk(TENANT), keys::user_sk(user_id)))
            .consistent_read(true)
            .build()
            .expect("keys");
        let started = Instant::now();
        let out = self
            .store
            .client()
            .batch_get_item()
            .request_items(self.store.table(), keys)
            .send()
            .await
            .expect("BatchGetItem");
        let took = started.elapsed();
        assert_eq!(
            out.responses.unwrap_or_default()[self.store.table()].len(),
            3
        );
        took
    }

    /// list-users: the snapshot (caller, session, tenant) and the page, at once.
    pub(super) async fn list(&self, tenant: &str, principal: &Principal) -> Duration {
        let started = Instant::now();
        let (snap, page) = tokio::join!(
            self.store.snapshot(
                UserKey {
                    tenant_id: &principal.tenant_id,
                    user_id: &principal.user_id
                },
                Some(&principal.session_id),
                None,
                Some(tenant)
            ),
            self.store
                .list_users(tenant, UserFilter::Active, LIST_LIMIT, None),
        );
        let took = started.elapsed();
        assert!(snap.expect("snapshot").tenant.is_some());
        assert_eq!(page.expect("page").items.len(), LIST_LIMIT);
        took
    }

    /// The caller, its session and `user_id` of the bench's tenant, in one read (with the
    /// tenant, given one).
    async fn snapshot(&self, user_id: &str, tenant: Option<&str>) -> Snapshot {
        let target = UserKey {
            tenant_id: TENANT,
            user_id,
        };
        let session = Some(self.principal.session_id.as_str());
        self.store
            .snapshot(self.actor(), session, Some(target), tenant)
            .await
            .expect("snapshot")
    }

    async fn snapshot_of(&self, user_id: &str) -> (UserItem, UserItem) {
        let snap = self.snapshot(user_id, Some(TENANT)).await;
        (snap.actor.expect("actor"), snap.target.expect("target"))
    }

    fn audit(
        actor: &UserItem,
        target: &UserItem,
        at: &str,
        action: &str,
        details: Value,
    ) -> AuditItem {
        let id = uuid::Uuid::now_v7().to_string();
        AuditItem {
            pk: keys::audit_pk(TENANT),
            sk: keys::audit_sk(at, &id),
            id,
            at: at.to_owned(),
            tenant_id: TENANT.to_owned(),
            actor_id: actor.id.clone(),
            actor_version: actor.version,
            action: action.to_owned(),
            target_id: target.id.clone(),
            target_version: target.version,
            details,
        }
    }

    /// delete-user: the snapshot, then the guarded soft delete with its audit event.
    pub(super) async fn delete(&self, user_id: &str) -> Duration {
        let started = Instant::now();
        let (actor, target) = self.snapshot_of(user_id).await;
        let now = OffsetDateTime::now_utc();
        let at = format_time(now);
        let purge_after = format_time(now + time::Duration::days(30));
        let audit = Floor::audit(
            &actor,
            &target,
            &at,
            "user.delete",
            json!({"purge_after": purge_after, "role": target.role}),
        );
        let check = ActorCheck::user(self.actor(), actor.version);
        let deletion = Deletion {
            deleted_at: &at,
            deleted_by: &actor.id,
            purge_after: &purge_after,
            by_directory: false,
        };
        let tx = self
            .store
            .delete_user(&check, &target, &deletion, &audit)
            .expect("a delete transaction");
        self.store.commit(tx).await.expect("delete");
        started.elapsed()
    }

    /// restore-user: the snapshot, then the guarded restore with its audit event.
    pub(super) async fn restore(&self, user_id: &str) -> Duration {
        let started = Instant::now();
        let (actor, target) = self.snapshot_of(user_id).await;
        let at = format_time(OffsetDateTime::now_utc());
        let audit = Floor::audit(&actor, &target, &at, "user.restore", json!({}));
        let check = ActorCheck::user(self.actor(), actor.version);
        let tx = self
            .store
            .restore_user(&check, &target, &at, &audit)
            .expect("a restore transaction");
        self.store.commit(tx).await.expect("restore");
        started.elapsed()
    }
}
