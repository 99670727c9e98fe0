//! The parts transactions are made of, each with its role: the actor check, a new item
//! (user, claim, tenant, audit event) that must not exist yet, an update of an item at the
//! version read.

use aws_sdk_dynamodb::types::builders::UpdateBuilder;
use aws_sdk_dynamodb::types::{
    ConditionCheck, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use crate::attrs::{Item, n};
use crate::client::Store;
use crate::commit::Transaction;
use crate::error::{Part, StoreError, other};
use crate::items::{AuditItem, ClaimItem, DirectoryTokenItem, UserItem, to_item};
use crate::keys::{self, ActorKey, DirectoryTokenKey, UserKey, user_key};

/// The actor as the decision saw it: the commit holds only if the actor's item is unchanged
/// (same version; a person still not deleted, a directory token not revoked).
#[derive(Clone, Copy, Debug)]
pub struct ActorCheck<'a> {
    pub actor: ActorKey<'a>,
    pub version: u64,
}

impl<'a> ActorCheck<'a> {
    pub fn of(actor: &'a UserItem) -> ActorCheck<'a> {
        ActorCheck::user(UserKey::of(actor), actor.version)
    }

    pub fn user(actor: UserKey<'a>, version: u64) -> ActorCheck<'a> {
        ActorCheck {
            actor: ActorKey::User(actor),
            version,
        }
    }

    pub fn of_token(token: &'a DirectoryTokenItem) -> ActorCheck<'a> {
        ActorCheck {
            actor: ActorKey::DirectoryToken(DirectoryTokenKey {
                tenant_id: &token.tenant_id,
                token_id: &token.id,
            }),
            version: token.version,
        }
    }
}

impl Store {
    pub(crate) fn actor_check(&self, check: &ActorCheck) -> Result<TransactWriteItem, StoreError> {
        // A revoked token's item is gone: `version = :v` fails on a missing item.
        let condition = match check.actor {
            ActorKey::User(_) => "version = :v AND attribute_not_exists(deleted_at)",
            ActorKey::DirectoryToken(_) => "version = :v",
        };
        let condition = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(keys::actor_key(check.actor)))
            .condition_expression(condition)
            .expression_attribute_values(":v", n(check.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        Ok(TransactWriteItem::builder()
            .condition_check(condition)
            .build())
    }

    /// A check that the tenant exists, for a write that adds to it.
    pub(crate) fn tenant_exists(&self, tenant_id: &str) -> Result<TransactWriteItem, StoreError> {
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(keys::tenant_key(tenant_id)))
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(other)?;
        Ok(TransactWriteItem::builder().condition_check(check).build())
    }

    pub(crate) fn push_audit(
        &self,
        tx: &mut Transaction,
        audit: &AuditItem,
    ) -> Result<(), StoreError> {
        tx.push_audit(
            self.put_new(to_item(audit)?)?,
            keys::audit_key(&audit.pk, &audit.sk),
        );
        Ok(())
    }

    pub(crate) fn push_new_user(
        &self,
        tx: &mut Transaction,
        user: &UserItem,
    ) -> Result<(), StoreError> {
        let username = new_claim_item(
            keys::username_claim_pk(&user.tenant_id, &user.username),
            user,
        );
        let email = new_claim_item(
            keys::email_claim_pk(&user.tenant_id, &user.email_claim()),
            user,
        );
        tx.push(Part::Target, self.put_new(to_item(user)?)?);
        tx.push(Part::UsernameClaim, self.put_new(to_item(&username)?)?);
        tx.push(Part::EmailClaim, self.put_new(to_item(&email)?)?);
        Ok(())
    }

    /// A put of an item that must not exist yet.
    pub(crate) fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(PK)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// An update of `user` as read: its version moves from the one seen to the next (the
    /// caller's condition must name `:seen`).
    pub(crate) fn update_user_item(&self, user: &UserItem) -> UpdateBuilder {
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(UserKey::of(user))))
            .expression_attribute_values(":next", n(user.version + 1))
            .expression_attribute_values(":seen", n(user.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
    }

    /// The actor check, one update of the target, and the audit event.
    pub(crate) fn target_update(
        &self,
        check: Option<&ActorCheck<'_>>,
        update: UpdateBuilder,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut tx = Transaction::default();
        if let Some(check) = check {
            tx.push(Part::Actor, self.actor_check(check)?);
        }
        tx.push(Part::Target, update_item(update)?);
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }
}

pub(crate) fn update_item(update: UpdateBuilder) -> Result<TransactWriteItem, StoreError> {
    Ok(TransactWriteItem::builder()
        .update(update.build().map_err(other)?)
        .build())
}

pub(crate) fn new_claim_item(pk: String, user: &UserItem) -> ClaimItem {
    ClaimItem {
        pk,
        sk: keys::CLAIM_SK.to_owned(),
        tenant_id: user.tenant_id.clone(),
        user_id: user.id.clone(),
    }
}
