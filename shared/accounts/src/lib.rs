//! The account use cases of tenantry. Each mutation reads a snapshot, asks the policy,
//! and commits one conditional transaction that holds only if the snapshot still does;
//! when it does not, it reads again and decides again.

mod audit;
mod changes;
mod clock;
mod error;
pub mod input;
mod lockout;
mod passwords;
mod purge;
mod sessions;
mod tenants;
mod users;
mod views;

use std::time::Duration;

use input::could_be_user_id;
use tenantry_store::{SessionItem, Store, StoreError, UserItem, UserKey};

pub use audit::AuditListing;
pub use changes::UserUpdate;
pub use clock::format as format_time;
pub use error::Error;
pub use lockout::{LOCKOUT_SECONDS, MAX_FAILURES};
pub use passwords::{PasswordChange, PasswordSet};
pub use purge::{
    Outcome, PURGE_ACTOR, PurgeRun, PurgeSettings, PurgeSummary, Purged, Purger, Stop,
};
pub use sessions::{DEFAULT_SESSION_DAYS, NewSession, SessionsEnded};
pub use tenants::NewTenant;
pub use users::{NewUser, UserListing};
pub use views::{
    AuditEventView, AuditPage, CreatedTenant, DeletionView, OwnershipView, PurgedView, TenantView,
    UserPage, UserView,
};

/// Days a deleted account stays restorable before it is purged, unless the tenant says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// The target of the spans whose fields (`request_id`, `tenant`, `actor`, `action`) go on
/// every log line logged inside them (see `tenantry_http::log`).
pub const LOG_CONTEXT: &str = "tenantry::context";

/// A context span for the lines about one user of `tenant` (its tenant goes on each of them).
pub fn tenant_span(tenant: &str) -> tracing::Span {
    tracing::info_span!(target: LOG_CONTEXT, "user", tenant)
}

/// Snapshot-decide-commit rounds per request before answering 409 `conflict`.
const MAX_ATTEMPTS: u32 = 5;

/// Who the caller claims to be, from a verified token. Checked against the table on every use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub user_id: String,
    pub tenant_id: String,
    pub token_epoch: u64,
    /// The login session (refresh token family) the token was issued for.
    pub session_id: String,
}

/// The use cases, over one store. Build once per process.
#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    session_days: u32,
}

impl Accounts {
    pub fn new(store: Store) -> Accounts {
        Accounts {
            store,
            session_days: DEFAULT_SESSION_DAYS,
        }
    }

    /// How long a login session (its refresh tokens) lasts, whatever the refreshes.
    pub fn with_session_days(mut self, days: u32) -> Accounts {
        self.session_days = days;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The caller's own account.
    pub async fn me(&self, principal: &Principal) -> Result<UserView, Error> {
        let snap = self
            .store
            .snapshot(principal_key(principal), session_of(principal), None, None)
            .await?;
        let user = authenticated(principal, snap.actor, snap.session)?;
        Ok(UserView::from(&user))
    }
}

fn principal_key(principal: &Principal) -> UserKey<'_> {
    UserKey {
        tenant_id: &principal.tenant_id,
        user_id: &principal.user_id,
    }
}

/// The session a principal's snapshot reads alongside its account.
fn session_of(principal: &Principal) -> Option<&str> {
    Some(principal.session_id.as_str()).filter(|id| could_be_user_id(id))
}

/// The snapshot's actor is the caller only if it exists, is not deleted, the token was
/// issued in its current epoch (a delete, role change, password change or logout everywhere
/// bumps it, killing every older token), and the token's session is live (not logged out,
/// not revoked for a reused refresh token, not past its end).
fn authenticated(
    principal: &Principal,
    actor: Option<UserItem>,
    session: Option<SessionItem>,
) -> Result<UserItem, Error> {
    let live = session.is_some_and(|s| {
        s.user_id == principal.user_id
            && s.tenant_id == principal.tenant_id
            && s.token_epoch == principal.token_epoch
            && sessions::is_live(&s, clock::now())
    });
    match actor {
        Some(user) if live && !user.is_deleted() && user.token_epoch == principal.token_epoch => {
            Ok(user)
        }
        _ => Err(Error::Unauthenticated),
    }
}

/// After a cancelled commit: `Ok` means "read again and decide again".
fn retry_or(err: StoreError, attempt: u32) -> Result<u32, Error> {
    if err.is_retryable_cancel() && attempt + 1 < MAX_ATTEMPTS {
        tracing::debug!(attempt, reasons = ?err, "snapshot no longer holds; deciding again");
        Ok(attempt + 1)
    } else if err.is_retryable_cancel() {
        Err(Error::Conflict)
    } else {
        Err(err.into())
    }
}

/// The snapshot's items disagree with each other (a concurrent write landed between reads):
/// `Ok` means "read again", like after a cancelled commit.
fn read_again(attempt: u32) -> Result<u32, Error> {
    if attempt + 1 < MAX_ATTEMPTS {
        Ok(attempt + 1)
    } else {
        Err(Error::Conflict)
    }
}

/// Short jittered pause so racing requests do not collide again in lockstep.
async fn backoff(attempt: u32) {
    let base = 5u64 << attempt.min(5);
    let jitter = rand::random_range(0..=base);
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
