//! Users: create, view, list, delete, restore.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use tenantry_policy::{Action, ListScope, Role, Target, decide};
use tenantry_store::{
    AuditItem, ClaimItem, Deletion, Guard, Part, Reason, Store, StoreError, TenantItem, UserFilter,
    UserItem, UserKey, from_item, keys,
};

use crate::input::{Email, Password, Username, could_be_tenant_id, could_be_user_id};
use crate::views::{DeletionView, UserPage, UserView, actor_of, member_of};
use crate::{
    Accounts, DEFAULT_RETENTION_DAYS, Error, Principal, authenticated, backoff, clock, new_id,
    passwords, principal_key, retry_or, session_of,
};

/// A user to create, already parsed.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: Username,
    pub email: Email,
    pub password: Password,
    pub role: Role,
}

/// What a listing asks for, already parsed (`cursor` is still the client's opaque string).
#[derive(Clone, Debug)]
pub struct UserListing {
    pub scope: ListScope,
    pub limit: usize,
    pub cursor: Option<String>,
}

impl Accounts {
    pub async fn create_user(
        &self,
        principal: &Principal,
        tenant_id: &str,
        new: NewUser,
    ) -> Result<UserView, Error> {
        possible(tenant_id, None)?;
        let mut password_hash = None;
        let mut attempt = 0;
        loop {
            let (actor, tenant) = self
                .tenant_snapshot(principal, tenant_id, Action::Create(new.role))
                .await?;
            if tenant.is_none() {
                return Err(Error::TenantNotFound);
            }
            let hash = match &password_hash {
                Some(hash) => hash,
                None => password_hash.insert(passwords::hash(&new.password).await?),
            };
            let now = clock::format(clock::now());
            let user = new_user_item(tenant_id, &new, hash.clone(), false, &now);
            let audit = audit_item(
                &now,
                &actor,
                "user.create",
                &user.id,
                0,
                json!({"role": new.role.as_str()}),
                tenant_id,
            );
            match self.store.create_user(&guard(&actor), &user, &audit).await {
                Ok(()) => return Ok(UserView::from(&user)),
                Err(err) => {
                    claim_conflict(&self.store, tenant_id, &err).await?;
                    attempt = retry_or(err, attempt)?;
                    backoff(attempt).await;
                }
            }
        }
    }

    pub async fn get_user(
        &self,
        principal: &Principal,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<UserView, Error> {
        possible(tenant_id, Some(user_id))?;
        let target = UserKey { tenant_id, user_id };
        let snap = self
            .store
            .snapshot(
                principal_key(principal),
                session_of(principal),
                Some(target),
                None,
            )
            .await?;
        let actor = authenticated(principal, snap.actor, snap.session)?;
        let actor = actor_of(&actor)?;
        // Tenancy before existence: another tenant's ids are not even confirmed to exist.
        decide(
            &actor,
            Action::List(ListScope::Active),
            &Target::Tenant(tenant_id),
        )
        .map_err(not_found_as_user)?;
        let user = snap.target.ok_or(Error::UserNotFound)?;
        decide(&actor, Action::View, &Target::User(member_of(&user)?))
            .map_err(not_found_as_user)?;
        Ok(UserView::from(&user))
    }

    pub async fn list_users(
        &self,
        principal: &Principal,
        tenant_id: &str,
        listing: UserListing,
    ) -> Result<UserPage, Error> {
        possible(tenant_id, None)?;
        let after = listing.cursor.as_deref().map(decode_cursor).transpose()?;
        let filter = match listing.scope {
            ListScope::Active => UserFilter::Active,
            ListScope::Deleted => UserFilter::Deleted,
            ListScope::All => UserFilter::All,
        };
        // The page is read alongside the snapshot and shown only if the decision allows it.
        let (snap, page) = tokio::join!(
            self.store.snapshot(
                principal_key(principal),
                session_of(principal),
                None,
                Some(tenant_id)
            ),
            self.store
                .list_users(tenant_id, filter, listing.limit, after.as_deref()),
        );
        let snap = snap?;
        let actor = authenticated(principal, snap.actor, snap.session)?;
        decide(
            &actor_of(&actor)?,
            Action::List(listing.scope),
            &Target::Tenant(tenant_id),
        )
        .map_err(not_found_as_tenant)?;
        if snap.tenant.is_none() {
            return Err(Error::TenantNotFound);
        }
        let page = page?;
        Ok(UserPage {
            items: page.items.iter().map(UserView::from).collect(),
            next_cursor: page.next_after.map(|id| URL_SAFE_NO_PAD.encode(id)),
        })
    }

    /// Soft delete. Repeating it answers the same deletion and writes nothing.
    pub async fn delete_user(
        &self,
        principal: &Principal,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<DeletionView, Error> {
        let mut attempt = 0;
        loop {
            let (actor, target, retention) = self
                .snapshot_for(principal, tenant_id, user_id, Action::Delete)
                .await?;
            if target.is_deleted() {
                return DeletionView::of(&target);
            }
            let now = clock::now();
            let at = clock::format(now);
            let purge_after = clock::format(clock::plus_days(now, retention));
            let deletion = Deletion {
                deleted_at: &at,
                deleted_by: &actor.id,
                purge_after: &purge_after,
            };
            let details = json!({"purge_after": purge_after, "role": target.role});
            let audit = audit_item(
                &at,
                &actor,
                "user.delete",
                &target.id,
                target.version,
                details,
                tenant_id,
            );
            match self
                .store
                .delete_user(&guard(&actor), &target, &deletion, &audit)
                .await
            {
                Ok(()) => {
                    let mut deleted = target;
                    deleted.deleted_at = Some(at);
                    deleted.purge_after = Some(purge_after);
                    return DeletionView::of(&deleted);
                }
                Err(err) => {
                    attempt = retry_or(err, attempt)?;
                    backoff(attempt).await;
                }
            }
        }
    }

    /// Undo a soft delete, before the purge date.
    pub async fn restore_user(
        &self,
        principal: &Principal,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<UserView, Error> {
        let mut attempt = 0;
        loop {
            let (actor, target, _) = self
                .snapshot_for(principal, tenant_id, user_id, Action::Restore)
                .await?;
            let Some(purge_after) = target.purge_after.clone() else {
                return Err(Error::NotDeleted);
            };
            let now = clock::format(clock::now());
            if now >= purge_after {
                return Err(Error::RestoreWindowClosed { purge_after });
            }
            let audit = audit_item(
                &now,
                &actor,
                "user.restore",
                &target.id,
                target.version,
                json!({}),
                tenant_id,
            );
            match self
                .store
                .restore_user(&guard(&actor), &target, &now, &audit)
                .await
            {
                Ok(()) => {
                    let mut restored = target;
                    restored.deleted_at = None;
                    restored.deleted_by = None;
                    restored.purge_after = None;
                    restored.purge_shard = None;
                    restored.version += 1;
                    restored.updated_at = now;
                    return Ok(UserView::from(&restored));
                }
                Err(err) => {
                    attempt = retry_or(err, attempt)?;
                    backoff(attempt).await;
                }
            }
        }
    }

    /// One round trip: the actor, the target and its tenant (for the retention), then the
    /// decision. Returns the actor, the target and the tenant's retention in days.
    pub(crate) async fn snapshot_for(
        &self,
        principal: &Principal,
        tenant_id: &str,
        user_id: &str,
        action: Action,
    ) -> Result<(UserItem, UserItem, u32), Error> {
        let (actor, target, tenant) = self
            .member_snapshot(principal, tenant_id, user_id, not_found_as_user)
            .await?;
        let user = target.ok_or(Error::UserNotFound)?;
        decide(&actor_of(&actor)?, action, &Target::User(member_of(&user)?))
            .map_err(not_found_as_user)?;
        let retention = tenant.map_or(DEFAULT_RETENTION_DAYS, |t| t.retention_days);
        Ok((actor, user, retention))
    }

    /// One round trip: the authenticated actor and the tenant, once `action` on that tenant is
    /// allowed (another tenant is answered as missing).
    pub(crate) async fn tenant_snapshot(
        &self,
        principal: &Principal,
        tenant_id: &str,
        action: Action,
    ) -> Result<(UserItem, Option<TenantItem>), Error> {
        let snap = self
            .store
            .snapshot(
                principal_key(principal),
                session_of(principal),
                None,
                Some(tenant_id),
            )
            .await?;
        let actor = authenticated(principal, snap.actor, snap.session)?;
        decide(&actor_of(&actor)?, action, &Target::Tenant(tenant_id))
            .map_err(not_found_as_tenant)?;
        Ok((actor, snap.tenant))
    }

    /// One round trip: the authenticated actor, a user of `tenant_id` and the tenant, once
    /// tenancy allows the actor to look; outside its reach, `hidden` says what to answer.
    pub(crate) async fn member_snapshot(
        &self,
        principal: &Principal,
        tenant_id: &str,
        user_id: &str,
        hidden: fn(tenantry_policy::Denial) -> Error,
    ) -> Result<(UserItem, Option<UserItem>, Option<TenantItem>), Error> {
        possible(tenant_id, Some(user_id))?;
        let target = UserKey { tenant_id, user_id };
        let snap = self
            .store
            .snapshot(
                principal_key(principal),
                session_of(principal),
                Some(target),
                Some(tenant_id),
            )
            .await?;
        let actor = authenticated(principal, snap.actor, snap.session)?;
        decide(
            &actor_of(&actor)?,
            Action::List(ListScope::Active),
            &Target::Tenant(tenant_id),
        )
        .map_err(hidden)?;
        Ok((actor, snap.target, snap.tenant))
    }
}

/// Ids that cannot exist are answered as missing before any read: such a key may not even be
/// a valid DynamoDB key, and a client's typo must never become a 500.
pub(crate) fn possible(tenant_id: &str, user_id: Option<&str>) -> Result<(), Error> {
    if !could_be_tenant_id(tenant_id) {
        return Err(Error::TenantNotFound);
    }
    match user_id {
        Some(id) if !could_be_user_id(id) => Err(Error::UserNotFound),
        _ => Ok(()),
    }
}

/// A user invisible to the actor is answered like a missing one.
pub(crate) fn not_found_as_user(denial: tenantry_policy::Denial) -> Error {
    if denial.is_not_found() {
        Error::UserNotFound
    } else {
        Error::Denied(denial)
    }
}

/// Another tenant is answered like a tenant that does not exist.
pub(crate) fn not_found_as_tenant(denial: tenantry_policy::Denial) -> Error {
    if denial.is_not_found() {
        Error::TenantNotFound
    } else {
        Error::Denied(denial)
    }
}

pub(crate) fn guard(actor: &UserItem) -> Guard<'_> {
    Guard {
        actor: UserKey {
            tenant_id: &actor.tenant_id,
            user_id: &actor.id,
        },
        version: actor.version,
    }
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
    }
}

/// The audit event of a mutation, written in the mutation's transaction. No personal data:
/// ids, roles and times only, so that a purge leaves nothing of the person behind.
pub(crate) fn audit_item(
    at: &str,
    actor: &UserItem,
    action: &str,
    target_id: &str,
    target_version: u64,
    details: serde_json::Value,
    tenant_id: &str,
) -> AuditItem {
    let id = new_id();
    AuditItem {
        pk: keys::audit_pk(tenant_id),
        sk: keys::audit_sk(at, &id),
        id,
        at: at.to_owned(),
        tenant_id: tenant_id.to_owned(),
        actor_id: actor.id.clone(),
        actor_version: actor.version,
        action: action.to_owned(),
        target_id: target_id.to_owned(),
        target_version,
        details,
    }
}

/// A create failed on a claim: tell whether the holder is active or deleted (and until when).
/// `Ok(())` means the failure was not about a claim.
pub(crate) async fn claim_conflict(
    store: &Store,
    tenant_id: &str,
    err: &StoreError,
) -> Result<(), Error> {
    // A changed actor or a vanished tenant comes first: decide again before judging claims.
    if err.reason_for(Part::Actor).is_some() || err.reason_for(Part::Tenant).is_some() {
        return Ok(());
    }
    for (part, taken) in [
        (Part::UsernameClaim, Error::UsernameTaken),
        (Part::EmailClaim, Error::EmailTaken),
    ] {
        let Some(Reason::ConditionFailed { item }) = err.reason_for(part) else {
            continue;
        };
        let holder = match item.clone().map(from_item::<ClaimItem>).transpose()? {
            Some(claim) => {
                store
                    .get_user(UserKey {
                        tenant_id,
                        user_id: &claim.user_id,
                    })
                    .await?
            }
            None => None,
        };
        return Err(match holder {
            Some(user) if user.is_deleted() => {
                let frees_at = user.purge_after.unwrap_or_default();
                if part == Part::UsernameClaim {
                    Error::UsernameHeldByDeletedUser {
                        user_id: user.id,
                        frees_at,
                    }
                } else {
                    Error::EmailHeldByDeletedUser {
                        user_id: user.id,
                        frees_at,
                    }
                }
            }
            _ => taken,
        });
    }
    Ok(())
}

fn decode_cursor(cursor: &str) -> Result<String, Error> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this API returned"))
}
