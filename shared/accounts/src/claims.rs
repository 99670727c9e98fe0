//! Taken claims, explained: when a commit fails on a username or email claim, say whether an
//! active user holds it, or a deleted one (and until when it holds it).

use std::sync::atomic::{AtomicBool, Ordering};

use tenantry_policy::{Action, Actor, ListScope, Target, decide};
use tenantry_store::{ClaimItem, Part, Reason, Store, StoreError, UserKey, from_item};

use crate::error::Error;

/// Whether the caller may see the tenant's trash, as the latest snapshot decided. Only then
/// does a claim held by a deleted user say so, with the user's id and when it frees; anyone
/// else learns only that it is taken, as if an active user held it, so a plain user cannot
/// find deleted users by trying emails.
#[derive(Debug, Default)]
pub(crate) struct TrashSight(AtomicBool);

impl TrashSight {
    /// Decides it again for the actor of a new snapshot.
    pub(crate) fn see(&self, actor: &Actor<'_>, tenant_id: &str) {
        let sees = decide(
            actor,
            Action::List(ListScope::Deleted),
            &Target::Tenant(tenant_id),
        );
        self.0.store(sees.is_ok(), Ordering::Relaxed);
    }

    /// `err` as this caller may hear it.
    pub(crate) fn answer(&self, err: Error) -> Error {
        if self.0.load(Ordering::Relaxed) {
            return err;
        }
        match err {
            Error::UsernameHeldByDeletedUser { .. } => Error::UsernameTaken,
            Error::EmailHeldByDeletedUser { .. } => Error::EmailTaken,
            other => other,
        }
    }
}

/// A commit failed: if on a claim, the answer that says who holds it. `Ok(())` means the
/// failure was not about a claim (decide again).
pub(crate) async fn explain(store: &Store, tenant_id: &str, err: &StoreError) -> Result<(), Error> {
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

/// A new tenant's commit failed: a brand-new tenant has no deleted users to hold a name, so a
/// taken claim is simply taken, and a taken tenant id exists. `Ok(())`: decide again.
pub(crate) fn explain_new_tenant(err: &StoreError) -> Result<(), Error> {
    if err.reason_for(Part::Tenant).is_some() {
        Err(Error::TenantExists)
    } else if err.reason_for(Part::UsernameClaim).is_some() {
        Err(Error::UsernameTaken)
    } else if err.reason_for(Part::EmailClaim).is_some() {
        Err(Error::EmailTaken)
    } else {
        Ok(())
    }
}
