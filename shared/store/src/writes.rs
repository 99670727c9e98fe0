//! The writes of the use cases, each built as a `Transaction` value for `Store::commit`.
//! Every write is conditioned on the items as they were read: the actor check (the actor's
//! item unchanged), the target at the version read, claims free or held by the right user,
//! and one audit event that this transaction alone writes.

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};

use crate::attrs::{n, s};
use crate::client::Store;
use crate::commit::Transaction;
use crate::error::{Part, StoreError, other};
use crate::items::{AuditItem, Profile, TenantItem, UserItem, to_item};
use crate::keys::{self, UserKey, user_key};
use crate::parts::{ActorCheck, new_claim_item, update_item};

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
    /// A new profile, replacing the old one whole; an empty one removes it.
    pub profile: Option<&'a Profile>,
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
    /// The directory deleted the user (SCIM `DELETE`): from then on SCIM answers 404 for it.
    pub by_directory: bool,
}

impl Store {
    /// Creates a user with its username and email claims, if the actor is unchanged,
    /// the tenant exists and both claims are free.
    pub fn create_user(
        &self,
        check: &ActorCheck<'_>,
        user: &UserItem,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut tx = Transaction::default();
        tx.push(Part::Actor, self.actor_check(check)?);
        tx.push(Part::Tenant, self.tenant_exists(&user.tenant_id)?);
        self.push_new_user(&mut tx, user)?;
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    /// Creates a tenant and its owner (with claims) in one transaction.
    pub fn create_tenant(
        &self,
        check: &ActorCheck<'_>,
        tenant: &TenantItem,
        owner: &UserItem,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut tx = Transaction::default();
        tx.push(Part::Actor, self.actor_check(check)?);
        tx.push(Part::Tenant, self.put_new(to_item(tenant)?)?);
        self.push_new_user(&mut tx, owner)?;
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    /// Writes a user that has no actor above it (the platform's first super admin).
    /// Fails on the claims if the username or email is taken, so running it twice is harmless.
    pub fn bootstrap_user(
        &self,
        user: &UserItem,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut tx = Transaction::default();
        self.push_new_user(&mut tx, user)?;
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    /// Soft-deletes `target` as read, bumping its token epoch so every session dies.
    pub fn delete_user(
        &self,
        check: &ActorCheck<'_>,
        target: &UserItem,
        deletion: &Deletion<'_>,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let directory = if deletion.by_directory {
            ", directory_deleted = :true"
        } else {
            ""
        };
        let mut update = self.update_user_item(target).update_expression(format!(
            "SET deleted_at = :at, deleted_by = :by, purge_after = :purge, \
                 purge_shard = :shard, updated_at = :at, version = :next{directory} \
                 ADD token_epoch :one"
        ));
        if deletion.by_directory {
            update = update.expression_attribute_values(":true", AttributeValue::Bool(true));
        }
        let update = update
            .condition_expression("version = :seen AND attribute_not_exists(deleted_at)")
            .expression_attribute_values(":at", s(deletion.deleted_at))
            .expression_attribute_values(":by", s(deletion.deleted_by))
            .expression_attribute_values(":purge", s(deletion.purge_after))
            .expression_attribute_values(":shard", s(keys::purge_shard(&target.id)))
            .expression_attribute_values(":one", n(1));
        self.target_update(Some(check), update, audit)
    }

    /// Undoes a soft delete, if `target` is still deleted exactly as read.
    pub fn restore_user(
        &self,
        check: &ActorCheck<'_>,
        target: &UserItem,
        now: &str,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let seen = target
            .deleted_at
            .as_deref()
            .ok_or_else(|| StoreError::Other("restore of a user that is not deleted".into()))?;
        let update = self
            .update_user_item(target)
            .update_expression(
                "SET updated_at = :now, version = :next \
                 REMOVE deleted_at, deleted_by, purge_after, purge_shard, directory_deleted",
            )
            .condition_expression("version = :seen AND deleted_at = :deleted_at")
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":deleted_at", s(seen));
        self.target_update(Some(check), update, audit)
    }

    /// Hides a user the directory deleted after deactivating it (SCIM `DELETE` of an inactive
    /// user): SCIM answers 404 for it from then on. Not a change of the account, so neither
    /// its version nor the audit log moves; it holds only while the user is deleted as read,
    /// so a restore in between wins (and a restore clears the mark).
    pub fn hide_from_directory(&self, target: &UserItem) -> Result<Transaction, StoreError> {
        let seen = target.deleted_at.as_deref().ok_or_else(|| {
            StoreError::Other("hiding from the directory a user that is not deleted".into())
        })?;
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(UserKey::of(target))))
            .update_expression("SET directory_deleted = :true")
            .condition_expression("deleted_at = :deleted_at")
            .expression_attribute_values(":true", AttributeValue::Bool(true))
            .expression_attribute_values(":deleted_at", s(seen))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let mut tx = Transaction::default();
        tx.push(Part::Target, update_item(update)?);
        Ok(tx)
    }

    /// Changes a user's role, email, profile and/or password, if `target` is still exactly as
    /// read (a deleted one: still in the deletion read, which only its directory asks for).
    /// A new role or password (or `end_sessions`) bumps the token epoch; a new email moves its
    /// claim (the new one must be free).
    /// `check` is `None` when the actor changes itself (its own write carries the check).
    pub fn update_user(
        &self,
        check: Option<&ActorCheck<'_>>,
        target: &UserItem,
        change: &UserChange<'_>,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut set = vec!["updated_at = :now", "version = :next"];
        let mut update = self
            .update_user_item(target)
            .expression_attribute_values(":now", s(change.now));
        // A deleted user changes only through its directory, and only within the deletion read.
        update = match target.deleted_at.as_deref() {
            None => {
                update.condition_expression("version = :seen AND attribute_not_exists(deleted_at)")
            }
            Some(deleted_at) => update
                .condition_expression("version = :seen AND deleted_at = :deleted_at")
                .expression_attribute_values(":deleted_at", s(deleted_at)),
        };
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
        let mut remove = "";
        match change.profile {
            Some(profile) if profile.is_empty() => remove = " REMOVE profile",
            Some(profile) => {
                set.push("profile = :profile");
                update = update.expression_attribute_values(
                    ":profile",
                    serde_dynamo::to_attribute_value(profile).map_err(other)?,
                );
            }
            None => {}
        }
        let update = update.update_expression(format!("SET {}{add}{remove}", set.join(", ")));
        let mut tx = Transaction::default();
        if let Some(check) = check {
            tx.push(Part::Actor, self.actor_check(check)?);
        }
        tx.push(Part::Target, update_item(update)?);
        let new_claim = change
            .email
            .map(keys::email_claim)
            .filter(|claim| *claim != target.email_claim());
        if let Some(claim) = new_claim {
            let old = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(keys::email_claim_key(
                    &target.tenant_id,
                    &target.email_claim(),
                )))
                .condition_expression("user_id = :uid")
                .expression_attribute_values(":uid", s(&target.id))
                .build()
                .map_err(other)?;
            tx.push(
                Part::ReleasedClaim,
                TransactWriteItem::builder().delete(old).build(),
            );
            let new = new_claim_item(keys::email_claim_pk(&target.tenant_id, &claim), target);
            tx.push(Part::EmailClaim, self.put_new(to_item(&new)?)?);
        }
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    /// Makes `new_owner` the owner of `tenant` in place of `previous`, if all three items are
    /// still exactly as read: the tenant names `previous` as its owner, `previous` is the
    /// active owner, and `new_owner` an active admin. `check` is `None` when the actor is
    /// `previous` itself (its own write carries the check).
    pub fn transfer_ownership(
        &self,
        check: Option<&ActorCheck<'_>>,
        tenant: &TenantItem,
        previous: &UserItem,
        new_owner: &UserItem,
        now: &str,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let mut tx = Transaction::default();
        if let Some(check) = check {
            tx.push(Part::Actor, self.actor_check(check)?);
        }
        let tenant_update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::tenant_key(&tenant.id)))
            .update_expression("SET owner_id = :new, updated_at = :now, version = :next")
            .condition_expression("version = :seen AND owner_id = :previous")
            .expression_attribute_values(":new", s(&new_owner.id))
            .expression_attribute_values(":previous", s(&previous.id))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":next", n(tenant.version + 1))
            .expression_attribute_values(":seen", n(tenant.version));
        tx.push(Part::Tenant, update_item(tenant_update)?);
        for (part, user, is_owner, condition) in [
            (Part::Owner, previous, false, "is_owner = :was"),
            (
                Part::Target,
                new_owner,
                true,
                "is_owner = :was AND #role = :admin",
            ),
        ] {
            let mut update = self
                .update_user_item(user)
                .update_expression("SET is_owner = :owner, updated_at = :now, version = :next")
                .condition_expression(format!(
                    "version = :seen AND attribute_not_exists(deleted_at) AND {condition}"
                ))
                .expression_attribute_values(":owner", AttributeValue::Bool(is_owner))
                .expression_attribute_values(":was", AttributeValue::Bool(!is_owner))
                .expression_attribute_values(":now", s(now));
            if is_owner {
                update = update
                    .expression_attribute_names("#role", "role")
                    .expression_attribute_values(":admin", s("admin"));
            }
            tx.push(part, update_item(update)?);
        }
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    /// Removes a deleted user for good: its item, both claims and its username's failed-login
    /// counter, if it is still exactly as read (its version: its directory may have changed
    /// its email since, moving the claim), with `audit` as its tombstone. A restore in between
    /// wins. A claim must be held by this user or already gone. `check` is
    /// `None` for the scheduled purge, which acts for no user.
    pub fn purge_user(
        &self,
        check: Option<&ActorCheck<'_>>,
        target: &UserItem,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let seen = target
            .deleted_at
            .as_deref()
            .ok_or_else(|| StoreError::Other("purge of a user that is not deleted".into()))?;
        let mut tx = Transaction::default();
        if let Some(check) = check {
            tx.push(Part::Actor, self.actor_check(check)?);
        }
        let user = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(UserKey::of(target))))
            .condition_expression("deleted_at = :deleted_at AND version = :seen")
            .expression_attribute_values(":deleted_at", s(seen))
            .expression_attribute_values(":seen", n(target.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(other)?;
        tx.push(
            Part::Target,
            TransactWriteItem::builder().delete(user).build(),
        );
        for (part, key) in [
            (
                Part::UsernameClaim,
                keys::username_claim_key(&target.tenant_id, &target.username),
            ),
            (
                Part::EmailClaim,
                keys::email_claim_key(&target.tenant_id, &target.email_claim()),
            ),
        ] {
            let claim = Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .condition_expression("attribute_not_exists(PK) OR user_id = :uid")
                .expression_attribute_values(":uid", s(&target.id))
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .build()
                .map_err(other)?;
            tx.push(part, TransactWriteItem::builder().delete(claim).build());
        }
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }

    /// Sets a tenant's retention (days a deleted user stays restorable), if the tenant is
    /// still at the version read.
    pub fn set_retention(
        &self,
        check: &ActorCheck<'_>,
        tenant: &TenantItem,
        retention_days: u32,
        now: &str,
        audit: &AuditItem,
    ) -> Result<Transaction, StoreError> {
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(keys::tenant_key(&tenant.id)))
            .update_expression("SET retention_days = :days, updated_at = :now, version = :next")
            .condition_expression("version = :seen")
            .expression_attribute_values(":days", n(u64::from(retention_days)))
            .expression_attribute_values(":now", s(now))
            .expression_attribute_values(":next", n(tenant.version + 1))
            .expression_attribute_values(":seen", n(tenant.version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        let mut tx = Transaction::default();
        tx.push(Part::Actor, self.actor_check(check)?);
        tx.push(Part::Tenant, update_item(update)?);
        self.push_audit(&mut tx, audit)?;
        Ok(tx)
    }
}
