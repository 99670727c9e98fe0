//! Reads: the consistent snapshot a decision is made on, single items, and the pages of
//! listings, the audit log and the purge index.

use std::time::Duration;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use serde::de::DeserializeOwned;

use crate::attrs::{Item, s, same_key};
use crate::client::Store;
use crate::error::{StoreError, classify, other};
use crate::items::{
    AuditItem, ClaimItem, DirectoryTokenItem, FailedLoginsItem, SessionItem, TenantItem, UserItem,
    from_item,
};
use crate::keys::{self, ActorKey, UserKey, user_key};

/// Which users a listing returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserFilter {
    Active,
    Deleted,
    All,
}

/// The most users one listing request reads from its tenant's partition, so that its cost in
/// read capacity is bounded: a listing whose filter keeps few of them (the trash of a big
/// tenant) answers a short page, even an empty one, with a cursor to go on from.
pub const USERS_READ_PER_PAGE: usize = 500;

#[derive(Clone, Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The id after which the next page starts, when more may follow: the last item returned,
    /// or the last one read when a read stopped at its bound.
    pub next_after: Option<String>,
}

/// What a mutation's snapshot holds.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The actor, when it is a person.
    pub actor: Option<UserItem>,
    /// The actor's directory token, when the actor is a directory.
    pub directory_token: Option<DirectoryTokenItem>,
    pub target: Option<UserItem>,
    pub tenant: Option<TenantItem>,
    /// The login session the actor's token names, when one was asked for.
    pub session: Option<SessionItem>,
}

/// Where the next page of due users starts (opaque).
#[derive(Clone, Debug)]
pub struct DueCursor(Item);

/// A page of users due for purge.
#[derive(Clone, Debug)]
pub struct DuePage {
    pub users: Vec<DueUser>,
    pub next: Option<DueCursor>,
}

/// A user the purge index lists as due, and the user as the table holds it now.
#[derive(Clone, Debug)]
pub struct DueUser {
    pub tenant_id: String,
    pub id: String,
    /// When the index says it became due.
    pub purge_after: String,
    /// The user now (a consistent read after the index's answer); `None` once it is gone.
    pub user: Option<UserItem>,
}

/// Most keys one `BatchGetItem` may ask for.
const BATCH_GET_KEYS: usize = 100;

impl Store {
    /// One consistent `BatchGetItem` for the actor (a user, or a directory token), its
    /// session, an optional target and an optional tenant.
    pub async fn snapshot<'k>(
        &self,
        actor: impl Into<ActorKey<'k>>,
        session: Option<&str>,
        target: Option<UserKey<'_>>,
        tenant: Option<&str>,
    ) -> Result<Snapshot, StoreError> {
        let actor = actor.into();
        let actor_key = keys::actor_key(actor);
        let session_key = session.map(keys::session_key);
        let target_key = target.map(user_key);
        let tenant_key = tenant.map(keys::tenant_key);
        let mut wanted = vec![actor_key.clone()];
        // BatchGetItem refuses duplicate keys: acting on yourself reads one item.
        for key in session_key.iter().chain(&target_key).chain(&tenant_key) {
            if !wanted.contains(key) {
                wanted.push(key.clone());
            }
        }
        let found = self.batch_get(wanted).await?;
        let pick = |key: &Item| found.iter().find(|item| same_key(item, key)).cloned();
        let actor_item = pick(&actor_key);
        let (person, token) = match actor {
            ActorKey::User(_) => (actor_item, None),
            ActorKey::DirectoryToken(_) => (None, actor_item),
        };
        Ok(Snapshot {
            actor: person.map(from_item).transpose()?,
            directory_token: token.map(from_item).transpose()?,
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

    pub(crate) async fn batch_get(&self, mut wanted: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let mut found = Vec::new();
        // Unprocessed keys come back under throttling; ask again for those, a bounded number of times.
        for attempt in 0..5 {
            let request = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut wanted)))
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
            wanted = out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.table))
                .map(|k| k.keys)
                .unwrap_or_default();
            if wanted.is_empty() {
                return Ok(found);
            }
            tokio::time::sleep(Duration::from_millis(25 << attempt)).await;
        }
        Err(StoreError::Unavailable(
            "BatchGetItem kept returning unprocessed keys".into(),
        ))
    }

    pub async fn get_user(&self, key: UserKey<'_>) -> Result<Option<UserItem>, StoreError> {
        self.get(user_key(key)).await
    }

    pub async fn get_tenant(&self, tenant_id: &str) -> Result<Option<TenantItem>, StoreError> {
        self.get(keys::tenant_key(tenant_id)).await
    }

    pub async fn get_username_claim(
        &self,
        tenant_id: &str,
        normalized: &str,
    ) -> Result<Option<ClaimItem>, StoreError> {
        self.get(keys::username_claim_key(tenant_id, normalized))
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
        let mut start = after.map(|user_id| user_key(UserKey { tenant_id, user_id }));
        let mut read = 0;
        // Read one more than asked, to know whether a next page exists; never more than
        // USERS_READ_PER_PAGE users, whatever the filter keeps.
        loop {
            let want = (limit + 1 - items.len()).min(USERS_READ_PER_PAGE - read);
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", s(keys::tenant_pk(tenant_id)))
                .expression_attribute_values(":prefix", s(keys::USER_SK_PREFIX))
                .limit(i32::try_from(want).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take());
            query = match filter {
                UserFilter::Active => query.filter_expression("attribute_not_exists(deleted_at)"),
                UserFilter::Deleted => query.filter_expression("attribute_exists(deleted_at)"),
                UserFilter::All => query,
            };
            let out = query.send().await.map_err(classify)?;
            read += usize::try_from(out.scanned_count).unwrap_or(want);
            for item in out.items.unwrap_or_default() {
                items.push(from_item(item)?);
            }
            start = out.last_evaluated_key;
            if items.len() > limit || start.is_none() || read >= USERS_READ_PER_PAGE {
                break;
            }
        }
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|u| u.id.clone())
        } else {
            // Stopped short of the end (the read's bound): go on from the last user read,
            // which the filter may have left out of the page.
            start
                .as_ref()
                .and_then(|key| key.get("SK")?.as_s().ok())
                .and_then(|sk| sk.strip_prefix(keys::USER_SK_PREFIX))
                .map(str::to_owned)
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
        // One more than asked, to know whether a next page exists.
        let query = self
            .audit_query(tenant_id, after)
            .key_condition_expression("PK = :pk")
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
        let (mut items, _) = audit_items(query).await?;
        let next_after = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|e| e.sk.clone())
        } else {
            None
        };
        Ok(Page { items, next_after })
    }

    /// One page of a tenant's audit events committed at or after `from` and before `to` (times
    /// as the table stores them), oldest first, `limit` at most, after the event whose sort key
    /// is `after`. An audit sort key is `<time>#<id>`, so `SK BETWEEN from AND to` takes every
    /// event at `from` and none at `to`.
    pub async fn audit_between(
        &self,
        tenant_id: &str,
        from: &str,
        to: &str,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Page<AuditItem>, StoreError> {
        let query = self
            .audit_query(tenant_id, after)
            .key_condition_expression("PK = :pk AND SK BETWEEN :from AND :to")
            .expression_attribute_values(":from", s(from))
            .expression_attribute_values(":to", s(to))
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        let (items, next_after) = audit_items(query).await?;
        Ok(Page { items, next_after })
    }

    /// A query of a tenant's audit partition (`:pk`), strongly consistent, after the event
    /// whose sort key is `after`; the caller adds the key condition and the limit.
    fn audit_query(
        &self,
        tenant_id: &str,
        after: Option<&str>,
    ) -> aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder {
        let start = after.map(|sk| keys::audit_key(&keys::audit_pk(tenant_id), sk));
        self.client
            .query()
            .table_name(&self.table)
            .consistent_read(true)
            .expression_attribute_values(":pk", s(keys::audit_pk(tenant_id)))
            .set_exclusive_start_key(start)
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
        // The index projects keys only (it copies nothing of a person): each user is read
        // from the table, consistently, a batch at a time.
        let mut due = Vec::new();
        for entry in out.items.unwrap_or_default() {
            let key = |name: &str| entry.get(name).and_then(|v| v.as_s().ok());
            let (Some(pk), Some(sk), Some(purge_after)) =
                (key("PK"), key("SK"), key("purge_after"))
            else {
                return Err(other("a purge index entry without its keys"));
            };
            let (Some(tenant_id), Some(id)) = (
                pk.strip_prefix(keys::TENANT_PK_PREFIX),
                sk.strip_prefix(keys::USER_SK_PREFIX),
            ) else {
                return Err(other(format!("a purge index entry for {pk} {sk}")));
            };
            due.push(DueUser {
                tenant_id: tenant_id.to_owned(),
                id: id.to_owned(),
                purge_after: purge_after.clone(),
                user: None,
            });
        }
        for chunk in due.chunks_mut(BATCH_GET_KEYS) {
            let wanted = chunk
                .iter()
                .map(|d| {
                    user_key(UserKey {
                        tenant_id: &d.tenant_id,
                        user_id: &d.id,
                    })
                })
                .collect();
            for item in self.batch_get(wanted).await? {
                let user: UserItem = from_item(item)?;
                if let Some(slot) = chunk
                    .iter_mut()
                    .find(|d| d.id == user.id && d.tenant_id == user.tenant_id)
                {
                    slot.user = Some(user);
                }
            }
        }
        Ok(DuePage {
            users: due,
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

    pub async fn get_session(&self, session_id: &str) -> Result<Option<SessionItem>, StoreError> {
        self.get(keys::session_key(session_id)).await
    }

    /// One consistent read of what a login needs first: the username's claim and its
    /// failed-login counter (`guard`, see `keys::failed_logins_pk`).
    pub async fn login_snapshot(
        &self,
        tenant_id: &str,
        normalized: &str,
        guard: &str,
    ) -> Result<(Option<ClaimItem>, Option<FailedLoginsItem>), StoreError> {
        let claim = keys::username_claim_key(tenant_id, normalized);
        let counter = keys::failed_logins_key(tenant_id, guard);
        let found = self.batch_get(vec![claim.clone(), counter.clone()]).await?;
        let pick = |key: &Item| found.iter().find(|item| same_key(item, key)).cloned();
        Ok((
            pick(&claim).map(from_item).transpose()?,
            pick(&counter).map(from_item).transpose()?,
        ))
    }
}

/// The audit events a query answers, and the sort key DynamoDB would go on after.
async fn audit_items(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
) -> Result<(Vec<AuditItem>, Option<String>), StoreError> {
    let out = query.send().await.map_err(classify)?;
    let items = out
        .items
        .unwrap_or_default()
        .into_iter()
        .map(from_item)
        .collect::<Result<_, _>>()?;
    let next = out
        .last_evaluated_key
        .and_then(|key| key.get("SK").and_then(|v| v.as_s().ok()).cloned());
    Ok((items, next))
}
