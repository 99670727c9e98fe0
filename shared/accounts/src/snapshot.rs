//! Who is asking, and what they may see: the principal a token names, checked against the
//! table on every request, and the one-round-trip snapshots the use cases decide on.

use std::future::Future;
use tenantry_policy::{Action, Denial, ListScope, Target, decide};

use tenantry_store::{
    ActorKey, DirectoryTokenItem, DirectoryTokenKey, SessionItem, Snapshot, StoreError, TenantItem,
    UserItem, UserKey,
};
use time::OffsetDateTime;

use crate::caller::{Acting, Caller};
use crate::clock;
use crate::error::Error;
use crate::input::{could_be_tenant_id, could_be_user_id};
use crate::records::DEFAULT_RETENTION_DAYS;
use crate::service::Accounts;
use crate::views::{UserView, actor_of, member_of};

/// Who the caller claims to be, from a verified token. Checked against the table on every use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub tenant_id: String,
    pub token_epoch: u64,
    /// The login session (refresh token family) the token was issued for.
    pub session_id: String,
}

pub(crate) fn principal_key(principal: &Principal) -> UserKey<'_> {
    UserKey {
        tenant_id: &principal.tenant_id,
        user_id: &principal.user_id,
    }
}

/// The session a principal's snapshot reads alongside its account.
pub(crate) fn session_of(principal: &Principal) -> Option<&str> {
    Some(principal.session_id.as_str()).filter(|id| could_be_user_id(id))
}

/// A session is live until it is revoked or reaches its end.
pub(crate) fn is_live(session: &SessionItem, now: OffsetDateTime) -> bool {
    session.revoked_at.is_none() && clock::parse(&session.expires_at).is_some_and(|end| now < end)
}

/// The snapshot's actor is the caller only if it exists, is not deleted, the token was
/// issued in its current epoch (a delete, role change, password change or logout everywhere
/// bumps it, killing every older token), and the token's session is live (not logged out,
/// not revoked for a reused refresh token, not past its end).
pub(crate) fn authenticated(
    principal: &Principal,
    actor: Option<UserItem>,
    session: Option<SessionItem>,
) -> Result<UserItem, Error> {
    let live = session.is_some_and(|s| {
        s.user_id == principal.user_id
            && s.tenant_id == principal.tenant_id
            && s.token_epoch == principal.token_epoch
            && is_live(&s, clock::now())
    });
    match actor {
        Some(user) if live && !user.is_deleted() && user.token_epoch == principal.token_epoch => {
            Ok(user)
        }
        _ => Err(Error::Unauthenticated),
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
pub(crate) fn not_found_as_user(denial: Denial) -> Error {
    if denial.is_not_found() {
        Error::UserNotFound
    } else {
        Error::Denied(denial)
    }
}

/// Another tenant is answered like a tenant that does not exist.
pub(crate) fn not_found_as_tenant(denial: Denial) -> Error {
    if denial.is_not_found() {
        Error::TenantNotFound
    } else {
        Error::Denied(denial)
    }
}

impl Accounts {
    /// The caller's own account.
    pub async fn me(&self, principal: &Principal) -> Result<UserView, Error> {
        let user = self.authenticate(principal).await?;
        UserView::seen_by(&user, &actor_of(&user)?)
    }

    /// One round trip: the caller's account and session, checked.
    pub(crate) async fn authenticate(&self, principal: &Principal) -> Result<UserItem, Error> {
        self.read_as(principal.into(), None, None)
            .await?
            .0
            .into_person()
    }

    /// One consistent read of the caller (a person's account and session, or a directory's
    /// token) with an optional user and an optional tenant; the caller checked. Every
    /// snapshot of a use case is read here.
    async fn read_as(
        &self,
        caller: Caller<'_>,
        target: Option<UserKey<'_>>,
        tenant: Option<&str>,
    ) -> Result<(Acting, Snapshot), Error> {
        match caller {
            Caller::Person(principal) => {
                let mut snap = self
                    .store
                    .snapshot(
                        principal_key(principal),
                        session_of(principal),
                        target,
                        tenant,
                    )
                    .await?;
                let actor = authenticated(principal, snap.actor.take(), snap.session.take())?;
                Ok((Acting::Person(actor), snap))
            }
            Caller::Directory(credential) => {
                let key = DirectoryTokenKey {
                    tenant_id: &credential.tenant_id,
                    token_id: &credential.token_id,
                };
                let mut snap = self
                    .store
                    .snapshot(ActorKey::DirectoryToken(key), None, target, tenant)
                    .await?;
                let token = snap
                    .directory_token
                    .take()
                    .filter(|token| token.secret_hash == credential.digest)
                    .ok_or(Error::Unauthenticated)?;
                self.mark_used(&token).await;
                Ok((Acting::directory(token), snap))
            }
        }
    }

    /// Records when a directory token was last used, at most once a minute. A failure to
    /// record it is logged and does not fail the request.
    async fn mark_used(&self, token: &DirectoryTokenItem) {
        let now = clock::now();
        let since = clock::format(now - time::Duration::minutes(1));
        if token
            .last_used_at
            .as_deref()
            .is_some_and(|at| at >= since.as_str())
        {
            return;
        }
        let key = DirectoryTokenKey {
            tenant_id: &token.tenant_id,
            token_id: &token.id,
        };
        if let Err(err) = self
            .store
            .touch_directory_token(key, &clock::format(now), &since)
            .await
        {
            tracing::warn!(error = %err, token = %token.id, "could not record the directory token's use");
        }
    }

    /// One round trip: the actor and a user of `tenant_id` (no tenant), once tenancy allows
    /// the actor to look (another tenant's users are answered as missing).
    pub(crate) async fn user_snapshot(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<(Acting, Option<UserItem>), Error> {
        possible(tenant_id, Some(user_id))?;
        let target = UserKey { tenant_id, user_id };
        let (actor, snap) = self.read_as(caller, Some(target), None).await?;
        may_look(&actor, tenant_id, not_found_as_user)?;
        Ok((actor, snap.target))
    }

    /// One round trip: the actor, the target and its tenant (for the retention), then the
    /// decision. Returns the actor, the target and the tenant's retention in days.
    pub(crate) async fn snapshot_for(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        user_id: &str,
        action: Action,
    ) -> Result<(Acting, UserItem, u32), Error> {
        let (actor, target, tenant) = self
            .member_snapshot(caller, tenant_id, user_id, not_found_as_user)
            .await?;
        let user = target.ok_or(Error::UserNotFound)?;
        decide(&actor.policy()?, action, &Target::User(member_of(&user)?))
            .map_err(not_found_as_user)?;
        let retention = tenant.map_or(DEFAULT_RETENTION_DAYS, |t| t.retention_days);
        Ok((actor, user, retention))
    }

    /// One round trip: the authenticated actor and the tenant, once `action` on that tenant is
    /// allowed (another tenant is answered as missing).
    pub(crate) async fn tenant_snapshot(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        action: Action,
    ) -> Result<(Acting, Option<TenantItem>), Error> {
        let (actor, snap) = self.read_as(caller, None, Some(tenant_id)).await?;
        decide(&actor.policy()?, action, &Target::Tenant(tenant_id))
            .map_err(not_found_as_tenant)?;
        Ok((actor, snap.tenant))
    }

    /// The snapshot, then a page: the page is read only once `action` on the tenant is
    /// allowed and the tenant exists (another tenant is answered as missing). Answers the
    /// actor with the page.
    pub(crate) async fn tenant_page<P>(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        action: Action,
        page: impl Future<Output = Result<P, StoreError>>,
    ) -> Result<(Acting, P), Error> {
        // Decided before anything of the tenant is read: a caller refused costs the tenant
        // nothing, and how long the refusal takes says nothing of the tenant's size.
        let (actor, tenant) = self.tenant_snapshot(caller, tenant_id, action).await?;
        if tenant.is_none() {
            return Err(Error::TenantNotFound);
        }
        Ok((actor, page.await?))
    }

    /// One round trip: the authenticated actor, a user of `tenant_id` and the tenant, once
    /// tenancy allows the actor to look; outside its reach, `hidden` says what to answer.
    pub(crate) async fn member_snapshot(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        user_id: &str,
        hidden: fn(Denial) -> Error,
    ) -> Result<(Acting, Option<UserItem>, Option<TenantItem>), Error> {
        possible(tenant_id, Some(user_id))?;
        let target = UserKey { tenant_id, user_id };
        let (actor, snap) = self.read_as(caller, Some(target), Some(tenant_id)).await?;
        may_look(&actor, tenant_id, hidden)?;
        Ok((actor, snap.target, snap.tenant))
    }
}

/// Tenancy before existence: an actor who may not list `tenant_id`'s users is not even told
/// whether a user of it exists.
fn may_look(actor: &Acting, tenant_id: &str, hidden: fn(Denial) -> Error) -> Result<(), Error> {
    decide(
        &actor.policy()?,
        Action::List(ListScope::Active),
        &Target::Tenant(tenant_id),
    )
    .map_err(hidden)
}
