//! Taken claims, explained: when a commit fails on a username or email claim, say whether an
//! active user holds it, or a deleted one (and until when it holds it).

use tenantry_store::{ClaimItem, Part, Reason, Store, StoreError, UserKey, from_item};

use crate::error::Error;

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
