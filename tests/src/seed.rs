//! Bulk fixtures: thousands of deleted users written straight to the table (items and claims
//! exactly as a create and a delete leave them), without argon2 or the API's round trips.
//! Only for setting up purge tests, benchmarks and the authorization matrix; nothing here
//! decides anything.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use futures::{StreamExt, stream};
use tenantry_store::{ClaimItem, Store, UserItem, keys};

/// What every seeded user shares.
#[derive(Clone, Debug)]
pub struct Seed<'a> {
    pub tenant_id: &'a str,
    /// A prefix making usernames, emails and hashes unique to this batch.
    pub label: &'a str,
    pub deleted_at: &'a str,
    pub purge_after: &'a str,
}

/// One deleted user as a create then a delete leave it: version 2, epoch 2, both claims.
pub fn deleted_user(seed: &Seed, n: usize) -> UserItem {
    let id = uuid::Uuid::now_v7().to_string();
    UserItem {
        pk: keys::tenant_pk(seed.tenant_id),
        sk: keys::user_sk(&id),
        tenant_id: seed.tenant_id.to_owned(),
        username: format!("{}-{n}", seed.label),
        email: format!("{}-{n}@seed.test", seed.label),
        role: "user".into(),
        is_owner: false,
        version: 2,
        token_epoch: 2,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1${}-{n}$hash", seed.label),
        created_at: seed.deleted_at.to_owned(),
        updated_at: seed.deleted_at.to_owned(),
        deleted_at: Some(seed.deleted_at.to_owned()),
        deleted_by: Some("seed".into()),
        purge_after: Some(seed.purge_after.to_owned()),
        purge_shard: Some(keys::purge_shard(&id)),
        profile: None,
        directory_deleted: false,
        id,
    }
}

/// One user as a create leaves it (version 1, epoch 1) or, with `deleted`, as a create and a
/// delete leave it (version 2, epoch 2, restorable for 30 days). The hash matches no password:
/// tokens for it come from `Stack::token_of`.
pub fn user(tenant_id: &str, username: &str, role: &str, deleted: bool) -> UserItem {
    let id = uuid::Uuid::now_v7().to_string();
    let now = time::OffsetDateTime::now_utc();
    let at = tenantry_accounts::format_time(now);
    let purge_after = tenantry_accounts::format_time(now + time::Duration::days(30));
    let version = if deleted { 2 } else { 1 };
    UserItem {
        pk: keys::tenant_pk(tenant_id),
        sk: keys::user_sk(&id),
        tenant_id: tenant_id.to_owned(),
        username: username.to_owned(),
        email: format!("{username}@{tenant_id}.test"),
        role: role.to_owned(),
        is_owner: false,
        version,
        token_epoch: version,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1${username}$seeded"),
        created_at: at.clone(),
        updated_at: at.clone(),
        deleted_at: deleted.then(|| at.clone()),
        deleted_by: deleted.then(|| "seed".to_owned()),
        purge_after: deleted.then_some(purge_after),
        purge_shard: deleted.then(|| keys::purge_shard(&id)),
        profile: None,
        directory_deleted: false,
        id,
    }
}

/// Writes `count` deleted users and their claims, `concurrency` batches at a time.
pub async fn deleted_users(
    store: &Store,
    seed: &Seed<'_>,
    count: usize,
    concurrency: usize,
) -> Vec<UserItem> {
    let users: Vec<UserItem> = (0..count).map(|n| deleted_user(seed, n)).collect();
    put_users(store, &users, concurrency).await;
    users
}

/// Writes users as they are given, each with its username and email claims, `concurrency`
/// batches at a time.
pub async fn put_users(store: &Store, users: &[UserItem], concurrency: usize) {
    let mut items = Vec::with_capacity(users.len() * 3);
    for user in users {
        items.push(serde_dynamo::to_item(user).unwrap());
        for pk in [
            keys::username_claim_pk(&user.tenant_id, &user.username),
            keys::email_claim_pk(&user.tenant_id, &user.email_claim()),
        ] {
            let claim = ClaimItem {
                pk,
                sk: keys::CLAIM_SK.to_owned(),
                tenant_id: user.tenant_id.clone(),
                user_id: user.id.clone(),
            };
            items.push(serde_dynamo::to_item(&claim).unwrap());
        }
    }
    put_all(store, items, concurrency).await;
}

/// Writes plain items with `BatchWriteItem` (25 a request), retrying unprocessed ones.
pub async fn put_all(
    store: &Store,
    items: Vec<HashMap<String, AttributeValue>>,
    concurrency: usize,
) {
    let batches: Vec<Vec<HashMap<String, AttributeValue>>> =
        items.chunks(25).map(<[_]>::to_vec).collect();
    stream::iter(batches)
        .for_each_concurrent(concurrency.max(1), |batch| async move {
            let mut requests: Vec<WriteRequest> = batch
                .into_iter()
                .map(|item| {
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                        .build()
                })
                .collect();
            for attempt in 0..20u32 {
                let out = store
                    .client()
                    .batch_write_item()
                    .request_items(store.table(), requests.clone())
                    .send()
                    .await
                    .expect("seed the table");
                requests = out
                    .unprocessed_items
                    .and_then(|mut u| u.remove(store.table()))
                    .unwrap_or_default();
                if requests.is_empty() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10 << attempt.min(6))).await;
            }
            panic!("BatchWriteItem kept returning unprocessed items");
        })
        .await;
}
