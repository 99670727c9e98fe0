//! A tenant's directory (SCIM) tokens: created and revoked by transactions that carry their
//! audit event, listed, and marked when used.

use aws_sdk_dynamodb::types::{Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use crate::attrs::{n, s};
use crate::client::Store;
use crate::commit::Transaction;
use crate::error::{Part, StoreError, classify, other};
use crate::items::{AuditItem, DirectoryTokenItem, from_item, to_item};
use crate::keys::{self, DirectoryTokenKey, directory_token_key};
use crate::parts::ActorCheck;
use crate::sessions::held;

impl Store {
    /// Creates a directory token, if the actor is unchanged and the tenant exists.
    pub fn create_directory_token(
        &self,
        check: &ActorCheck<'_>,
        token: &DirectoryTokenItem,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut tx = Transaction::default();
        tx.push(Part::Actor, self.actor_check(check)?);
        tx.push(Part::Tenant, self.tenant_exists(&token.tenant_id)?);
        tx.push(Part::Target, self.put_new(to_item(token)?)?);
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    /// Revokes a directory token as read: its item is deleted, if still at the version read.
    /// Every write the token had under way then fails its actor check.
    pub fn revoke_directory_token(
        &self,
        check: &ActorCheck<'_>,
        token: &DirectoryTokenItem,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut tx = Transaction::default();
        tx.push(Part::Actor, self.actor_check(check)?);
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(directory_token_key(DirectoryTokenKey {
                tenant_id: &token.tenant_id,
                token_id: &token.id,
            })))
            .condition_expression("version = :seen")
            .expression_attribute_values(":seen", n(token.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        tx.push(
            Part::Target,
            TransactWriteItem::builder().delete(delete).build(),
        );
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    pub async fn get_directory_token(
        &self,
        key: DirectoryTokenKey<'_>,
    ) -> Result<Option<DirectoryTokenItem>, StoreError> {
        self.get(directory_token_key(key)).await
    }

    /// Every directory token of a tenant, oldest first (ids are time-ordered).
    pub async fn list_directory_tokens(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<DirectoryTokenItem>, StoreError> {
        let mut tokens = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .consistent_read(true)
                .key_condition_expression("PK = :pk AND begins_with(SK, :prefix)")
                .expression_attribute_values(":pk", s(keys::tenant_pk(tenant_id)))
                .expression_attribute_values(":prefix", s(keys::DIRECTORY_TOKEN_SK_PREFIX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(classify)?;
            for item in out.items.unwrap_or_default() {
                tokens.push(from_item(item)?);
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(tokens);
            }
        }
    }

    /// Records that a token authenticated a request at `now`, unless a use at or after
    /// `since` is recorded already: at most one write per token per period, whatever the
    /// request rate. It leaves the version alone, so no write under way is disturbed by it.
    /// `Ok(false)` when there was nothing to record (or the token is gone).
    pub async fn touch_directory_token(
        &self,
        key: DirectoryTokenKey<'_>,
        now: &str,
        since: &str,
    ) -> Result<bool, StoreError> {
        held(
            self.client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(directory_token_key(key)))
                .update_expression("SET last_used_at = :now")
                .condition_expression(
                    "attribute_exists(PK) AND \
                     (attribute_not_exists(last_used_at) OR last_used_at < :since)",
                )
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":since", s(since))
                .send()
                .await,
        )
    }
}
