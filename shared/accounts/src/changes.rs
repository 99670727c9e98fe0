//! Changing people: role and email changes, and ownership transfer.

use serde_json::json;
use tenantry_policy::{Action, Role, Target, decide};
use tenantry_store::{Profile, TenantItem, UserChange, UserItem, UserKey};

use crate::action::AuditAction;
use crate::caller::{Acting, Caller};
use crate::claims::TrashSight;
use crate::clock;
use crate::error::Error;
use crate::input::Email;
use crate::mutation::{Claims, Decision};
use crate::records::audit_item;
use crate::service::Accounts;
use crate::snapshot::{Principal, not_found_as_tenant, not_found_as_user};
use crate::views::{OwnershipView, TenantView, UserView, actor_of, member_of};

/// What a `PATCH` of a user asks for, already parsed. A field equal to its current value is
/// not a change: it needs no permission and writes nothing.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    pub role: Option<Role>,
    pub email: Option<Email>,
    /// A directory's profile, replacing the current one whole (`Some` of an empty one
    /// removes it).
    pub profile: Option<Profile>,
}

impl Accounts {
    /// Changes a user's role and/or email in one transaction. A role change ends every
    /// session of the user; an email change moves the email claim.
    pub async fn update_user(
        &self,
        caller: impl Into<Caller<'_>>,
        tenant_id: &str,
        user_id: &str,
        update: UserUpdate,
    ) -> Result<UserView, Error> {
        let (updated, actor) = self
            .update_user_item(caller.into(), tenant_id, user_id, update)
            .await?;
        UserView::seen_by(&updated, &actor.policy()?)
    }

    /// Changes a user's role, email and/or profile in one transaction, answering the user and
    /// the actor that changed it.
    pub(crate) async fn update_user_item(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        user_id: &str,
        update: UserUpdate,
    ) -> Result<(UserItem, Acting), Error> {
        if update.role.is_none() && update.email.is_none() && update.profile.is_none() {
            return Err(Error::invalid(
                "body",
                "must set `role` or `email`: there is nothing to change",
            ));
        }
        let update = &update;
        let sight = &TrashSight::default();
        let claims = Claims::Explain { tenant_id, sight };
        self.mutate(claims, move || async move {
            // Viewing is the least a change needs: deleted users stay invisible to those who
            // may not see the trash.
            let (actor, target, _) = self
                .snapshot_for(caller, tenant_id, user_id, Action::View)
                .await?;
            let policy_actor = actor.policy()?;
            sight.see(&policy_actor, tenant_id);
            let member = member_of(&target)?;
            let role = update.role.filter(|role| *role != member.role);
            let email = update
                .email
                .as_ref()
                .map(Email::as_str)
                .filter(|email| *email != target.email);
            let profile = update
                .profile
                .as_ref()
                .filter(|profile| **profile != target.profile.clone().unwrap_or_default());
            // A profile is a person's details, like the email: the same rule governs both.
            let details_change =
                (email.is_some() || profile.is_some()).then_some(Action::ChangeEmail);
            for action in role
                .map(Action::ChangeRole)
                .into_iter()
                .chain(details_change)
            {
                decide(&policy_actor, action, &Target::User(member)).map_err(not_found_as_user)?;
            }
            if role.is_none() && email.is_none() && profile.is_none() {
                return Ok(Decision::Answer((target, actor)));
            }
            let now = clock::format(clock::now());
            let change = UserChange {
                role: role.map(Role::as_str),
                email,
                password_hash: None,
                end_sessions: false,
                profile,
                now: &now,
            };
            let details = json!({
                "previous_role": member.role.as_str(),
                "role": role.unwrap_or(member.role).as_str(),
                "email_changed": email.is_some(),
                "profile_changed": profile.is_some(),
            });
            let audit = audit_item(
                &now,
                tenant_id,
                actor.audit(),
                AuditAction::UserUpdate,
                (&target.id, target.version),
                details,
            );
            // Changing yourself: your own write checks you (one transaction may not touch an
            // item twice).
            let check = (actor.id() != target.id).then(|| actor.check());
            let tx = self
                .store
                .update_user(check.as_ref(), &target, &change, &audit)?;
            let mut updated = target;
            if let Some(role) = role {
                updated.role = role.as_str().to_owned();
                updated.token_epoch += 1;
            }
            if let Some(email) = email {
                updated.email = email.to_owned();
            }
            if let Some(profile) = profile {
                updated.profile = Some(profile.clone()).filter(|p| !p.is_empty());
            }
            updated.version += 1;
            updated.updated_at = now;
            Ok(Decision::Commit(tx, (updated, actor)))
        })
        .await
    }

    /// Hands the tenant to `new_owner_id`, an active admin of it. One transaction updates the
    /// tenant and both users, so the tenant has exactly one owner at every moment.
    pub async fn transfer_ownership(
        &self,
        principal: &Principal,
        tenant_id: &str,
        new_owner_id: &str,
    ) -> Result<OwnershipView, Error> {
        let caller = Caller::from(principal);
        self.mutate(Claims::None, move || async move {
            let (actor, target, tenant) = self
                .member_snapshot(caller, tenant_id, new_owner_id, not_found_as_tenant)
                .await?;
            let policy_actor = actor.policy()?;
            let tenant = tenant.ok_or(Error::TenantNotFound)?;
            let new_owner = target.ok_or(Error::UserNotFound)?;
            decide(
                &policy_actor,
                Action::TransferOwnership,
                &Target::User(member_of(&new_owner)?),
            )
            .map_err(not_found_as_user)?;
            // The tenant names its owner; read that user unless it is the actor.
            let previous = if tenant.owner_id == actor.id() {
                actor.person().cloned()
            } else {
                self.store
                    .get_user(UserKey {
                        tenant_id,
                        user_id: &tenant.owner_id,
                    })
                    .await?
            };
            // Reads of several items are not one snapshot: an owner that is not the tenant's
            // (or no longer one) means a transfer is under way. Read again.
            let Some(previous) = previous.filter(|p| p.is_owner && !p.is_deleted()) else {
                return Ok(Decision::ReadAgain);
            };
            let now = clock::format(clock::now());
            let details = json!({
                "previous_owner_id": previous.id,
                "previous_owner_version": previous.version,
                "tenant_version": tenant.version,
            });
            let audit = audit_item(
                &now,
                tenant_id,
                actor.audit(),
                AuditAction::TenantTransfer,
                (&new_owner.id, new_owner.version),
                details,
            );
            // When the owner hands over, its own write checks it: one transaction may not
            // touch an item twice.
            let check = (previous.id != actor.id()).then(|| actor.check());
            let tx = self.store.transfer_ownership(
                check.as_ref(),
                &tenant,
                &previous,
                &new_owner,
                &now,
                &audit,
            )?;
            let tenant = TenantItem {
                owner_id: new_owner.id.clone(),
                version: tenant.version + 1,
                updated_at: now.clone(),
                ..tenant
            };
            let previous = moved(previous, false, &now);
            let new_owner = moved(new_owner, true, &now);
            // Seen by the actor as the transfer leaves it: an owner who handed over is one
            // no more.
            let viewer = if previous.id == actor.id() {
                actor_of(&previous)?
            } else {
                policy_actor
            };
            Ok(Decision::Commit(
                tx,
                OwnershipView {
                    tenant: TenantView::seen_by(&tenant, &viewer),
                    previous_owner: UserView::seen_by(&previous, &viewer)?,
                    new_owner: UserView::seen_by(&new_owner, &viewer)?,
                },
            ))
        })
        .await
    }
}

fn moved(mut user: UserItem, is_owner: bool, now: &str) -> UserItem {
    user.is_owner = is_owner;
    user.version += 1;
    user.updated_at = now.to_owned();
    user
}
