//! Users: create, view, list, delete, restore.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use tenantry_policy::{Action, ListScope, Target, decide};
use tenantry_store::{Deletion, Profile, UserFilter, UserItem};

use crate::action::AuditAction;
use crate::caller::{Acting, Caller};
use crate::claims::TrashSight;
use crate::clock;
use crate::error::Error;
use crate::input::NewUser;
use crate::mutation::{Claims, Decision};
use crate::password_hash;
use crate::records::{audit_item, new_user_item};
use crate::service::Accounts;
use crate::snapshot::{not_found_as_user, possible};
use crate::views::{DeletionView, UserPage, UserView, member_of};

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
        caller: impl Into<Caller<'_>>,
        tenant_id: &str,
        new: NewUser,
    ) -> Result<UserView, Error> {
        let (user, actor) = self
            .create_user_item(caller.into(), tenant_id, new, None)
            .await?;
        UserView::seen_by(&user, &actor.policy()?)
    }

    /// Creates a user (with a directory's profile, if any) and answers its item, with the
    /// actor that created it.
    pub(crate) async fn create_user_item(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        new: NewUser,
        profile: Option<Profile>,
    ) -> Result<(UserItem, Acting), Error> {
        possible(tenant_id, None)?;
        // Hashed once, after the first decision allows it: argon2id is slow on purpose.
        let password_hash = &tokio::sync::OnceCell::new();
        let (new, profile) = (&new, &profile);
        let sight = &TrashSight::default();
        let claims = Claims::Explain { tenant_id, sight };
        self.mutate(claims, move || async move {
            let (actor, tenant) = self
                .tenant_snapshot(caller, tenant_id, Action::Create(new.role))
                .await?;
            sight.see(&actor.policy()?, tenant_id);
            if tenant.is_none() {
                return Err(Error::TenantNotFound);
            }
            let hash = password_hash
                .get_or_try_init(|| password_hash::hash(&new.password))
                .await?;
            let now = clock::format(clock::now());
            let mut user = new_user_item(tenant_id, new, hash.clone(), false, &now);
            user.profile = profile.clone().filter(|profile| !profile.is_empty());
            let audit = audit_item(
                &now,
                tenant_id,
                actor.audit(),
                AuditAction::UserCreate,
                (&user.id, 0),
                json!({"role": new.role.as_str()}),
            );
            let tx = self.store.create_user(&actor.check(), &user, &audit)?;
            Ok(Decision::Commit(tx, (user, actor)))
        })
        .await
    }

    pub async fn get_user(
        &self,
        caller: impl Into<Caller<'_>>,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<UserView, Error> {
        let caller = caller.into();
        let (actor, target) = self.user_snapshot(caller, tenant_id, user_id).await?;
        let user = target.ok_or(Error::UserNotFound)?;
        let viewer = actor.policy()?;
        decide(&viewer, Action::View, &Target::User(member_of(&user)?))
            .map_err(not_found_as_user)?;
        UserView::seen_by(&user, &viewer)
    }

    pub async fn list_users(
        &self,
        caller: impl Into<Caller<'_>>,
        tenant_id: &str,
        listing: UserListing,
    ) -> Result<UserPage, Error> {
        let caller = caller.into();
        possible(tenant_id, None)?;
        let after = listing.cursor.as_deref().map(decode_cursor).transpose()?;
        let filter = match listing.scope {
            ListScope::Active => UserFilter::Active,
            ListScope::Deleted => UserFilter::Deleted,
            ListScope::All => UserFilter::All,
        };
        // The page is read only once the decision allows it.
        let (actor, page) = self
            .tenant_page(
                caller,
                tenant_id,
                Action::List(listing.scope),
                self.store
                    .list_users(tenant_id, filter, listing.limit, after.as_deref()),
            )
            .await?;
        Ok(UserPage {
            items: {
                let viewer = actor.policy()?;
                page.items
                    .iter()
                    .map(|user| UserView::seen_by(user, &viewer))
                    .collect::<Result<_, _>>()?
            },
            next_cursor: page.next_after.map(|id| URL_SAFE_NO_PAD.encode(id)),
        })
    }

    /// Soft delete. Repeating it answers the same deletion and writes nothing.
    pub async fn delete_user(
        &self,
        caller: impl Into<Caller<'_>>,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<DeletionView, Error> {
        let deleted = self
            .soft_delete(caller.into(), tenant_id, user_id, false)
            .await?;
        DeletionView::of(&deleted)
    }

    /// Soft delete, answering the deleted user. `by_directory` (a SCIM `DELETE`) also hides
    /// the user from the directory, even one deleted before (by `active: false`).
    pub(crate) async fn soft_delete(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        user_id: &str,
        by_directory: bool,
    ) -> Result<UserItem, Error> {
        self.mutate(Claims::None, move || async move {
            let (actor, target, retention) = self
                .snapshot_for(caller, tenant_id, user_id, Action::Delete)
                .await?;
            if target.is_deleted() {
                if !by_directory || target.directory_deleted {
                    return Ok(Decision::Answer(target));
                }
                let tx = self.store.hide_from_directory(&target)?;
                let mut hidden = target;
                hidden.directory_deleted = true;
                return Ok(Decision::Commit(tx, hidden));
            }
            let now = clock::now();
            let at = clock::format(now);
            let purge_after = clock::format(clock::plus_days(now, retention));
            let deletion = Deletion {
                deleted_at: &at,
                deleted_by: actor.id(),
                purge_after: &purge_after,
                by_directory,
            };
            let audit = audit_item(
                &at,
                tenant_id,
                actor.audit(),
                AuditAction::UserDelete,
                (&target.id, target.version),
                json!({"purge_after": purge_after, "role": target.role}),
            );
            let tx = self
                .store
                .delete_user(&actor.check(), &target, &deletion, &audit)?;
            let mut deleted = target;
            deleted.deleted_by = Some(actor.id().to_owned());
            deleted.deleted_at = Some(at.clone());
            deleted.purge_after = Some(purge_after);
            deleted.directory_deleted = by_directory;
            deleted.version += 1;
            deleted.token_epoch += 1;
            deleted.updated_at = at;
            Ok(Decision::Commit(tx, deleted))
        })
        .await
    }

    /// Undo a soft delete, before the purge date.
    pub async fn restore_user(
        &self,
        caller: impl Into<Caller<'_>>,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<UserView, Error> {
        let (restored, actor) = self.restore(caller.into(), tenant_id, user_id).await?;
        UserView::seen_by(&restored, &actor.policy()?)
    }

    /// Undoes a soft delete, answering the restored user and the actor that restored it.
    pub(crate) async fn restore(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<(UserItem, Acting), Error> {
        self.mutate(Claims::None, move || async move {
            let (actor, target, _) = self
                .snapshot_for(caller, tenant_id, user_id, Action::Restore)
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
                tenant_id,
                actor.audit(),
                AuditAction::UserRestore,
                (&target.id, target.version),
                json!({}),
            );
            let tx = self
                .store
                .restore_user(&actor.check(), &target, &now, &audit)?;
            let mut restored = target;
            restored.deleted_at = None;
            restored.deleted_by = None;
            restored.purge_after = None;
            restored.purge_shard = None;
            restored.directory_deleted = false;
            restored.version += 1;
            restored.updated_at = now;
            Ok(Decision::Commit(tx, (restored, actor)))
        })
        .await
    }
}

fn decode_cursor(cursor: &str) -> Result<String, Error> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|id| !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this API returned"))
}
