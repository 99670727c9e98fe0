//! Reads and conditional transactions on the single table. Every DynamoDB expression of
//! tenantry is in this file, but those of sessions and login guards (`sessions.rs`).

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Item, Part, Reason, StoreError, cancellation, classify};
use crate::items::{AuditItem, ClaimItem, SessionItem, TenantItem, UserItem};
use crate::keys;

/// Where the table is and how to reach it.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    pub table: String,
    pub region: String,
    /// Endpoint override for DynamoDB Local; `None` in AWS.
    pub endpoint: Option<String>,
    /// Total attempts per DynamoDB call, including the first.
    pub max_attempts: u32,
}

impl StoreConfig {
    /// Reads `TABLE_NAME` (default `tenantry`), `AWS_REGION` (default `us-east-1`) and
    /// `DYNAMODB_ENDPOINT` (unset or empty means the real DynamoDB).
    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        StoreConfig {
            table: var("TABLE_NAME").unwrap_or_else(|| "tenantry".into()),
            region: var("AWS_REGION").unwrap_or_else(|| "us-east-1".into()),
            endpoint: var("DYNAMODB_ENDPOINT"),
            max_attempts: 3,
        }
    }
}

/// The table. Cheap to clone; build it once per process.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

/// The SDK's HTTP client: hyper with rustls on `ring` (the SDK's default client uses
/// aws-lc-rs, a larger binary and a C build). Trusts the system's root certificates.
/// Every DynamoDB client needs one: the SDK is built without its default client.
pub fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// Which users a listing returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserFilter {
    Active,
    Deleted,
    All,
}

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id of the last item returned, when more may follow.
    pub next_after: Option<String>,
}

/// Identifies a user item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserKey<'a> {
    pub tenant_id: &'a str,
    pub user_id: &'a str,
}

/// What a mutation's snapshot holds.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub actor: Option<UserItem>,
    pub target: Option<UserItem>,
    pub tenant: Option<TenantItem>,
    /// The login session the actor's token names, when one was asked for.
    pub session: Option<SessionItem>,
}

/// The actor as the decision saw it: the commit holds only if the actor's item is unchanged.
#[derive(Clone, Copy, Debug)]
pub struct Guard<'a> {
    pub actor: UserKey<'a>,
    pub version: u64,
}

/// What an update of a user changes. `None` leaves the attribute as it is.
#[derive(Clone, Debug)]
pub struct UserChange<'a> {
    /// A new role; the token epoch is bumped with it, so every session dies.
    pub role: Option<&'a str>,
    /// A new email; its claim moves in the same transaction when the claimed form changes.
    pub email: Option<&'a str>,
    /// A new password hash; the token epoch is bumped with it.
    pub password_hash: Option<&'a str>,
    /// Bump the token epoch even without another change (log out everywhere).
    pub end_sessions: bool,
    pub now: &'a str,
}

impl UserChange<'_> {
    /// A new role, a new password or a logout everywhere ends every session of the user.
    pub fn ends_sessions(&self) -> bool {
        self.role.is_some() || self.password_hash.is_some() || self.end_sessions
    }
}

/// The attributes a soft delete sets.
#[derive(Clone, Debug)]
pub struct Deletion<'a> {
    pub deleted_at: &'a str,
    pub deleted_by: &'a str,
    pub purge_after: &'a str,
}

/// Where the next page of due users starts (opaque).
#[derive(Clone, Debug)]
pub struct DueCursor(Item);

/// A page of users due for purge.
#[derive(Clone, Debug)]
pub struct DuePage {
    pub users: Vec<UserItem>,
    pub next: Option<DueCursor>,
}

impl Store {
    pub async fn connect(config: &StoreConfig) -> Store {
        Store::connect_with(config, |builder| builder).await
    }

    /// Like `connect`, with a last say over the client's configuration (tests add
    /// interceptors here, to count round trips or inject faults).
    pub async fn connect_with(
        config: &StoreConfig,
        customize: impl FnOnce(aws_sdk_dynamodb::config::Builder) -> aws_sdk_dynamodb::config::Builder,
    ) -> Store {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(https_client())
            .region(aws_config::Region::new(config.region.clone()))
            .retry_config(
                aws_config::retry::RetryConfig::standard().with_max_attempts(config.max_attempts),
            )
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(2))
                    .operation_attempt_timeout(Duration::from_secs(3))
                    .operation_timeout(Duration::from_secs(8))
                    .build(),
            );
        if let Some(endpoint) = &config.endpoint {
            loader = loader.endpoint_url(endpoint);
            // DynamoDB Local accepts any credentials; do not go looking for real ones.
            if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
                loader = loader.credentials_provider(aws_credential_types::Credentials::new(
                    "local", "local", None, None, "static",
                ));
            }
        }
        let sdk = loader.load().await;
        let client =
            Client::from_conf(customize(aws_sdk_dynamodb::config::Builder::from(&sdk)).build());
        Store::new(client, config.table.clone())
    }

    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store {
            client,
            table: table.into(),
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    // ---------------------------------------------------------------- reads

    /// One consistent `BatchGetItem` for the actor, its session, an optional target and an
    /// optional tenant.
    pub async fn snapshot(
        &self,
        actor: UserKey<'_>,
        session: Option<&str>,
        target: Option<UserKey<'_>>,
        tenant: Option<&str>,
    ) -> Result<Snapshot, StoreError> {
        let actor_key = user_key(actor);
        let session_key = session.map(crate::sessions::session_key);
        let target_key = target.map(user_key);
        let tenant_key = tenant.map(tenant_key);
        let mut wanted = vec![actor_key.clone()];
        // BatchGetItem refuses duplicate keys: acting on yourself reads one item.
        for key in session_key.iter().chain(&target_key).chain(&tenant_key) {
            if !wanted.contains(key) {
                wanted.push(key.clone());
            }
        }
        let found = self.batch_get(wanted).await?;
        let pick = |key: &Item| found.iter().find(|item| same_key(item, key)).cloned();
        Ok(Snapshot {
            actor: pick(&actor_key).map(from_item).transpose()?,
            target: target_key
                .as_ref()
                .and_then(pick)
                .map(from_item)
                .transpose()?,
            tenant: tenant_key
                .as_ref()
                .and_then(pick)
                .map(from_item)
                .transpose()?,
            session: session_key
                .as_ref()
                .and_then(pick)
                .map(from_item)
                .transpose()?,
        })
    }

    pub(crate) async fn batch_get(&self, mut keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        // Unprocessed keys come back under throttling; ask again for those, a bounded number of times.
        for attempt in 0..5 {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut keys)))
                .consistent_read(true)
                .build()
                .map_err(other)?;
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send()
                .await
                .map_err(classify)?;
            if let Some(mut responses) = out.responses {
                found.extend(responses.remove(&self.table).unwrap_or_default());
            }
            keys = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|k| k.keys)
                .unwrap_or_default();
            if keys.is_empty() {
                return Ok(found);
            }
            tokio_sleep(Duration::from_millis(25 << attempt)).await;
        }
        Err(StoreError::Unavailable(
            "BatchGetItem kept returning unprocessed keys".into(),
        ))
    }

    pub async fn get_user(&self, key: UserKey<'_>) -> Result<Option<UserItem>, StoreError> {
        self.get(user_key(key)).await
    }

    pub async fn get_tenant(&self, tenant_id: &str) -> Result<Option<TenantItem>, StoreError> {
        self.get(tenant_key(tenant_id)).await
    }

    pub async fn get_username_claim(
        &self,
        tenant_id: &str,
        normalized: &str,
    ) -> Result<Option<ClaimItem>, StoreError> {
        self.get(claim_key(keys::username_claim_pk(tenant_id, normalized)))
            .await
    }

    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        key: Item,
    ) -> Result<Option<T>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        out.item.map(from_item).transpose()
    }

    /// A tenant's users in id order (ids are time-ordered), `limit` at most, after `after`.
    pub async fn list_users(
        &self,
        tenant_id: &str,
        filter: UserFilter,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<UserItem>, StoreError> {
        let mut items: Vec<UserItem> = Vec::new();
        let mut start = after.map(|id| {
            HashMap::from([
                ("PK".to_owned(), s(keys::tenant_pk(tenant_id))),
                ("SK".to_owned(), s(keys::user_sk(id))),
            ])
        });
        // Read one more than asked, to know whether a next page exists.
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", s(keys::tenant_pk(tenant_id)))
                .expression_attribute_values(":prefix", s(keys::USER_SK_PREFIX))
                .limit(i32::try_from(limit + 1 - items.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            query = match filter {
                UserFilter::Active => query.filter_expression("attribute_not_exists(deleted_at)"),
                UserFilter::Deleted => query.filter_expression("attribute_exists(deleted_at)"),
                UserFilter::All => query,
            };
            let out = query.send().await.map_err(classify)?;
            for item in out.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
            start = out.last_evaluated_key;
            if items.len() > limit || start.is_none() {
                break;
            }
        }
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|u| u.id.clone())
        } else {
            None
        };
        Ok(Page { items, next_after })
    }

    /// One page of a tenant's audit events, newest first, `limit` at most, after the event
    /// whose sort key is `after`. `next_after` is the sort key of the last event returned.
    pub async fn audit_page(
        &self,
        tenant_id: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<AuditItem>, StoreError> {
        let start = after.map(|sk| {
            HashMap::from([
                ("PK".to_owned(), s(keys::audit_pk(tenant_id))),
                ("SK".to_owned(), s(sk)),
            ])
        });
        // One more than asked, to know whether a next page exists.
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", s(keys::audit_pk(tenant_id)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(classify)?;
        let mut items: Vec<AuditItem> = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|e| e.sk.clone())
        } else {
            None
        };
        Ok(Page { items, next_after })
    }

    /// A tenant's whole audit log, newest first.
    pub async fn list_audit(&self, tenant_id: &str) -> Result<Vec<AuditItem>, StoreError> {
        let mut events = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self.audit_page(tenant_id, 1000, after.as_deref()).await?;
            events.extend(page.items);
            match page.next_after {
                Some(sk) => after = Some(sk),
                None => return Ok(events),
            }
        }
    }

    /// One page of the deleted users of `shard` whose `purge_after` is at or before `as_of`,
    /// earliest first, from the sparse purge index. The index is eventually consistent: a user
    /// on the page may have been restored or purged since; the purge's condition decides.
    pub async fn due_for_purge(
        &self,
        shard: u32,
        as_of: &str,
        limit: usize,
        after: Option<DueCursor>,
    ) -> Result<DuePage, StoreError> {
        let out = self
            .due_query(shard, as_of)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .set_exclusive_start_key(after.map(|c| c.0))
            .send()
            .await
            .map_err(classify)?;
        Ok(DuePage {
            users: out
                .items
                .unwrap_or_default()
                .into_iter()
                .map(from_item)
                .collect::<Result<_, _>>()?,
            next: out.last_evaluated_key.map(DueCursor),
        })
    }

    /// The deleted users of `shard` whose `purge_after` is at or before `as_of`, on the index.
    fn due_query(
        &self,
        shard: u32,
        as_of: &str,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.table)
            .index_name(keys::PURGE_INDEX)
            .key_condition_expression("purge_shard = :shard AND purge_after <= :as_of")
            .expression_attribute_values(":shard", s(keys::purge_shard_name(shard)))
            .expression_attribute_values(":as_of", s(as_of))
    }

    /// How many deleted users of `shard` are due at `as_of` (as the index sees it now).
    pub async fn count_due(&self, shard: u32, as_of: &str) -> Result<u64, StoreError> {
        let mut count = 0u64;
        let mut start = None;
        loop {
            let out = self
                .due_query(shard, as_of)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            count += u64::try_from(out.count).unwrap_or(0);
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(count);
            }
        }
    }

    // --------------------------------------------------------- transactions

    /// Creates a user with its username and email claims, if the actor is unchanged,
    /// the tenant exists and both claims are free.
    pub async fn create_user(
        &self,
        guard: &Guard<'_>,
        user: &UserItem,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        tx.guard(self, guard)?;
        tx.push(
            Part::Tenant,
            condition_check(self, tenant_key(&user.tenant_id), "attribute_exists(PK)")?,
        );
        self.push_new_user(&mut tx, user)?;
        tx.audit(self, audit)?;
        tx.commit(self).await
    }

    /// Creates a tenant and its owner (with claims) in one transaction.
    pub async fn create_tenant(
        &self,
        guard: &Guard<'_>,
        tenant: &TenantItem,
        owner: &UserItem,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        tx.guard(self, guard)?;
        tx.push(Part::Tenant, put_new(self, to_item(tenant)?)?);
        self.push_new_user(&mut tx, owner)?;
        tx.audit(self, audit)?;
        tx.commit(self).await
    }

    /// Writes a user that has no actor above it (the platform's first super admin).
    /// Fails on the claims if the username or email is taken, so running it twice is harmless.
    pub async fn bootstrap_user(
        &self,
        user: &UserItem,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        self.push_new_user(&mut tx, user)?;
        tx.audit(self, audit)?;
        tx.commit(self).await
    }

    fn push_new_user(&self, tx: &mut Tx, user: &UserItem) -> Result<(), StoreError> {
        let claim = |pk: String| ClaimItem {
            pk,
            sk: keys::CLAIM_SK.to_owned(),
            tenant_id: user.tenant_id.clone(),
            user_id: user.id.clone(),
        };
        let username = claim(keys::username_claim_pk(&user.tenant_id, &user.username));
        let email = claim(keys::email_claim_pk(&user.tenant_id, &user.email_claim()));
        tx.push(Part::Target, put_new(self, to_item(user)?)?);
        tx.push(Part::UsernameClaim, put_new(self, to_item(&username)?)?);
        tx.push(Part::EmailClaim, put_new(self, to_item(&email)?)?);
        Ok(())
    }

    /// Soft-deletes `target` as read, bumping its token epoch so every session dies.
    pub async fn delete_user(
        &self,
        guard: &Guard<'_>,
        target: &UserItem,
        deletion: &Deletion<'_>,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(key_of(target))))
            .update_expression(
                "SET deleted_at = :at, deleted_by = :by, purge_after = :purge, \
                 purge_shard = :shard, updated_at = :at, version = :next \
                 ADD token_epoch :one",
            )
            .condition_expression("version = :seen AND attribute_not_exists(deleted_at)")
            .expression_attribute_values(":at", s(deletion.deleted_at))
            .expression_attribute_values(":by", s(deletion.deleted_by))
            .expression_attribute_values(":purge", s(deletion.purge_after))
            .expression_attribute_values(":shard", s(keys::purge_shard(&target.id)))
            .expression_attribute_values(":next", n(target.version + 1))
            .expression_attribute_values(":seen", n(target.version))
            .expression_attribute_values(":one", n(1))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        self.update_target(guard, update, audit).await
    }

    /// Undoes a soft delete, if `target` is still deleted exactly as read.
    pub async fn restore_user(
        &self,
        guard: &Guard<'_>,
        target: &UserItem,
        now: &str,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let seen = target
            .deleted_at
            .as_deref()
            .ok_or_else(|| StoreError::Other("restore of a user that is not deleted".into()))?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(key_of(target))))
            .update_expression(
                "SET updated_at = :now, version = :next \
                 REMOVE deleted_at, deleted_by, purge_after, purge_shard",
            )
            .condition_expression("version = :seen AND deleted_at = :deleted_at")
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":next", n(target.version + 1))
            .expression_attribute_values(":seen", n(target.version))
            .expression_attribute_values(":deleted_at", s(seen))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        self.update_target(guard, update, audit).await
    }

    /// Changes an active user's role, email and/or password, if `target` is still exactly as
    /// read. A new role or password (or `end_sessions`) bumps the token epoch; a new email
    /// moves its claim (the new one must be free).
    /// `guard` is `None` when the actor changes itself (its own write carries the check).
    pub async fn update_user(
        &self,
        guard: Option<&Guard<'_>>,
        target: &UserItem,
        change: &UserChange<'_>,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let mut set = vec!["updated_at = :now", "version = :next"];
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(key_of(target))))
            .condition_expression("version = :seen AND attribute_not_exists(deleted_at)")
            .expression_attribute_values(":now", s(change.now))
            .expression_attribute_values(":next", n(target.version + 1))
            .expression_attribute_values(":seen", n(target.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if let Some(role) = change.role {
            set.push("#role = :role");
            update = update
                .expression_attribute_names("#role", "role")
                .expression_attribute_values(":role", s(role));
        }
        if let Some(hash) = change.password_hash {
            set.push("password_hash = :hash");
            update = update.expression_attribute_values(":hash", s(hash));
        }
        let mut add = "";
        if change.ends_sessions() {
            add = " ADD token_epoch :one";
            update = update.expression_attribute_values(":one", n(1));
        }
        if let Some(email) = change.email {
            set.push("email = :email");
            update = update.expression_attribute_values(":email", s(email));
        }
        let update = update
            .update_expression(format!("SET {}{add}", set.join(", ")))
            .build()
            .map_err(other)?;
        let mut tx = Tx::default();
        if let Some(guard) = guard {
            tx.guard(self, guard)?;
        }
        tx.push(
            Part::Target,
            TransactWriteItem::builder().update(update).build(),
        );
        let new_claim = change
            .email
            .map(str::to_lowercase)
            .filter(|claim| *claim != target.email_claim());
        if let Some(claim) = new_claim {
            let old = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(claim_key(keys::email_claim_pk(
                    &target.tenant_id,
                    &target.email_claim(),
                ))))
                .condition_expression("user_id = :uid")
                .expression_attribute_values(":uid", s(&target.id))
                .build()
                .map_err(other)?;
            tx.push(
                Part::ReleasedClaim,
                TransactWriteItem::builder().delete(old).build(),
            );
            let new = ClaimItem {
                pk: keys::email_claim_pk(&target.tenant_id, &claim),
                sk: keys::CLAIM_SK.to_owned(),
                tenant_id: target.tenant_id.clone(),
                user_id: target.id.clone(),
            };
            tx.push(Part::EmailClaim, put_new(self, to_item(&new)?)?);
        }
        tx.audit(self, audit)?;
        tx.commit(self).await
    }

    /// Makes `new_owner` the owner of `tenant` in place of `previous`, if all three items are
    /// still exactly as read: the tenant names `previous` as its owner, `previous` is the
    /// active owner, and `new_owner` an active admin. `guard` is `None` when the actor is
    /// `previous` itself (its own write carries the check).
    pub async fn transfer_ownership(
        &self,
        guard: Option<&Guard<'_>>,
        tenant: &TenantItem,
        previous: &UserItem,
        new_owner: &UserItem,
        now: &str,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        if let Some(guard) = guard {
            tx.guard(self, guard)?;
        }
        let tenant_update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(tenant_key(&tenant.id)))
            .update_expression("SET owner_id = :new, updated_at = :now, version = :next")
            .condition_expression("version = :seen AND owner_id = :previous")
            .expression_attribute_values(":new", s(&new_owner.id))
            .expression_attribute_values(":previous", s(&previous.id))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":next", n(tenant.version + 1))
            .expression_attribute_values(":seen", n(tenant.version))
            .build()
            .map_err(other)?;
        tx.push(
            Part::Tenant,
            TransactWriteItem::builder().update(tenant_update).build(),
        );
        for (part, user, is_owner, condition) in [
            (Part::Owner, previous, false, "is_owner = :was"),
            (
                Part::Target,
                new_owner,
                true,
                "is_owner = :was AND #role = :admin",
            ),
        ] {
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(user_key(key_of(user))))
                .update_expression("SET is_owner = :owner, updated_at = :now, version = :next")
                .condition_expression(format!(
                    "version = :seen AND attribute_not_exists(deleted_at) AND {condition}"
                ))
                .expression_attribute_values(":owner", AttributeValue::Bool(is_owner))
                .expression_attribute_values(":was", AttributeValue::Bool(!is_owner))
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":next", n(user.version + 1))
                .expression_attribute_values(":seen", n(user.version))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                );
            if is_owner {
                update = update
                    .expression_attribute_names("#role", "role")
                    .expression_attribute_values(":admin", s("admin"));
            }
            tx.push(
                part,
                TransactWriteItem::builder()
                    .update(update.build().map_err(other)?)
                    .build(),
            );
        }
        tx.audit(self, audit)?;
        tx.commit(self).await
    }

    /// Removes a deleted user for good: its item, both claims and its username's login guard, if
    /// it is still deleted exactly as read (`deleted_at` unchanged: nothing else writes a deleted
    /// user, so the item is the one read), with `audit` as its tombstone. A restore in between wins.
    /// A claim must be held by this user or already gone. `guard` is `None` for the
    /// scheduled purge, which acts for no user.
    pub async fn purge_user(
        &self,
        guard: Option<&Guard<'_>>,
        target: &UserItem,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let seen = target
            .deleted_at
            .as_deref()
            .ok_or_else(|| StoreError::Other("purge of a user that is not deleted".into()))?;
        let mut tx = Tx::default();
        if let Some(guard) = guard {
            tx.guard(self, guard)?;
        }
        let user = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(key_of(target))))
            .condition_expression("deleted_at = :deleted_at")
            .expression_attribute_values(":deleted_at", s(seen))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        tx.push(
            Part::Target,
            TransactWriteItem::builder().delete(user).build(),
        );
        for (part, pk) in [
            (
                Part::UsernameClaim,
                keys::username_claim_pk(&target.tenant_id, &target.username),
            ),
            (
                Part::EmailClaim,
                keys::email_claim_pk(&target.tenant_id, &target.email_claim()),
            ),
        ] {
            let claim = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(claim_key(pk)))
                .condition_expression("attribute_not_exists(PK) OR user_id = :uid")
                .expression_attribute_values(":uid", s(&target.id))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(other)?;
            tx.push(part, TransactWriteItem::builder().delete(claim).build());
        }
        // The name's failed-login count goes too: its key holds the username.
        let login_guard = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(crate::sessions::guard_key(
                &target.tenant_id,
                &target.username,
            )))
            .build()
            .map_err(other)?;
        tx.push(
            Part::LoginGuard,
            TransactWriteItem::builder().delete(login_guard).build(),
        );
        tx.audit(self, audit)?;
        tx.commit(self).await
    }

    /// Sets a tenant's retention (days a deleted user stays restorable), if the tenant is
    /// still at the version read.
    pub async fn set_retention(
        &self,
        guard: &Guard<'_>,
        tenant: &TenantItem,
        retention_days: u32,
        now: &str,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(tenant_key(&tenant.id)))
            .update_expression("SET retention_days = :days, updated_at = :now, version = :next")
            .condition_expression("version = :seen")
            .expression_attribute_values(":days", n(u64::from(retention_days)))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":next", n(tenant.version + 1))
            .expression_attribute_values(":seen", n(tenant.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        let mut tx = Tx::default();
        tx.guard(self, guard)?;
        tx.push(
            Part::Tenant,
            TransactWriteItem::builder().update(update).build(),
        );
        tx.audit(self, audit)?;
        tx.commit(self).await
    }

    async fn update_target(
        &self,
        guard: &Guard<'_>,
        update: Update,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        let mut tx = Tx::default();
        tx.guard(self, guard)?;
        tx.push(
            Part::Target,
            TransactWriteItem::builder().update(update).build(),
        );
        tx.audit(self, audit)?;
        tx.commit(self).await
    }
}

/// A transaction being assembled, remembering which part each action is.
#[derive(Default)]
struct Tx {
    parts: Vec<Part>,
    items: Vec<TransactWriteItem>,
    /// The key of its audit event: written by this transaction and no other.
    audit_key: Option<Item>,
}

impl Tx {
    fn push(&mut self, part: Part, item: TransactWriteItem) {
        self.parts.push(part);
        self.items.push(item);
    }

    /// The actor must be exactly as the decision saw it: same version, and not deleted.
    fn guard(&mut self, store: &Store, guard: &Guard) -> Result<(), StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&store.table)
            .set_key(Some(user_key(guard.actor)))
            .condition_expression("version = :v AND attribute_not_exists(deleted_at)")
            .expression_attribute_values(":v", n(guard.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        self.push(
            Part::Actor,
            TransactWriteItem::builder().condition_check(check).build(),
        );
        Ok(())
    }

    fn audit(&mut self, store: &Store, audit: &AuditItem) -> Result<(), StoreError> {
        self.push(Part::Audit, put_new(store, to_item(audit)?)?);
        self.audit_key = Some(HashMap::from([
            ("PK".to_owned(), s(&audit.pk)),
            ("SK".to_owned(), s(&audit.sk)),
        ]));
        Ok(())
    }

    async fn commit(self, store: &Store) -> Result<(), StoreError> {
        let result = store
            .client
            .transact_write_items()
            .set_transact_items(Some(self.items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                    cancellation(&self.parts, e.cancellation_reasons())
                }
                _ => classify(err),
            },
        };
        // An attempt can commit and lose its answer (a dropped connection, a timeout); the
        // SDK's retry then reports on a second attempt, not on the commit. The audit event
        // is written by this transaction only: if it is there, the transaction committed.
        // A cancellation whose conditions were evaluated and found our audit event absent
        // is not ambiguous: that attempt did not commit, nor had an earlier one.
        let ambiguous = match &err {
            StoreError::Unavailable(_) => true,
            StoreError::Cancelled(reasons) => {
                !reasons.iter().any(|c| {
                    matches!(c.reason, Reason::ConditionFailed { .. }) && c.part != Part::Audit
                }) || reasons.iter().any(|c| c.part == Part::Audit)
            }
            StoreError::Other(_) => false,
        };
        if ambiguous
            && let Some(key) = self.audit_key
            && let Ok(found) = store.batch_get(vec![key]).await
            && !found.is_empty()
        {
            tracing::info!(error = %err, "the transaction had committed; its answer was lost");
            return Ok(());
        }
        Err(err)
    }
}

fn put_new(store: &Store, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(&store.table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(PK)")
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
        .build()
        .map_err(other)?;
    Ok(TransactWriteItem::builder().put(put).build())
}

fn condition_check(
    store: &Store,
    key: Item,
    condition: &str,
) -> Result<TransactWriteItem, StoreError> {
    let check = ConditionCheck::builder()
        .table_name(&store.table)
        .set_key(Some(key))
        .condition_expression(condition)
        .build()
        .map_err(other)?;
    Ok(TransactWriteItem::builder().condition_check(check).build())
}

fn key_of(user: &UserItem) -> UserKey<'_> {
    UserKey {
        tenant_id: &user.tenant_id,
        user_id: &user.id,
    }
}

fn user_key(key: UserKey) -> Item {
    HashMap::from([
        ("PK".to_owned(), s(keys::tenant_pk(key.tenant_id))),
        ("SK".to_owned(), s(keys::user_sk(key.user_id))),
    ])
}

fn tenant_key(tenant_id: &str) -> Item {
    HashMap::from([
        ("PK".to_owned(), s(keys::tenant_pk(tenant_id))),
        ("SK".to_owned(), s(keys::TENANT_SK)),
    ])
}

pub(crate) fn claim_key(pk: String) -> Item {
    HashMap::from([
        ("PK".to_owned(), s(pk)),
        ("SK".to_owned(), s(keys::CLAIM_SK)),
    ])
}

pub(crate) fn same_key(item: &Item, key: &Item) -> bool {
    item.get("PK") == key.get("PK") && item.get("SK") == key.get("SK")
}

pub(crate) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(crate) fn n(value: u64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

pub(crate) fn other(err: impl std::fmt::Display) -> StoreError {
    StoreError::Other(err.to_string())
}

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(other)
}

/// Reads an item returned by DynamoDB (also used on cancellation reasons' items).
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(other)
}

async fn tokio_sleep(duration: Duration) {
    tokio::time::sleep(duration).await;
}
