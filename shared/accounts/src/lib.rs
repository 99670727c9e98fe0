//! The account use cases of tenantry. Each mutation reads a snapshot, asks the policy, and
//! commits one conditional transaction that holds only if the snapshot still does; when it
//! does not, it reads again and decides again (`mutation`, the one loop that does this).
//!
//! Where things are: the use cases in `users`, `changes`, `tenants`, `passwords`, `login`,
//! `sessions`, `purge`, `audit`, `directory_tokens` and `directory_users` (the same use cases
//! as a SCIM directory calls them); what they share in `caller` (who acts: a signed-in person
//! or a tenant's directory), `snapshot` (the caller checked, and what it may see), `records`
//! (the items a use case writes), `claims` (who holds a taken username or email) and
//! `password_hash` (argon2id).

mod action;
mod audit;
mod caller;
mod changes;
mod claims;
mod clock;
mod context;
mod directory_tokens;
mod directory_users;
mod error;
pub mod input;
mod lockout;
mod login;
mod mutation;
mod password_hash;
mod passwords;
mod purge;
mod records;
mod service;
mod sessions;
mod snapshot;
mod tenants;
mod users;
mod views;

pub use action::AuditAction;
pub use audit::AuditListing;
pub use caller::{Caller, DIRECTORY_ACTOR_PREFIX, DIRECTORY_TOKEN_PREFIX, DirectoryCredential};
pub use changes::UserUpdate;
pub use clock::format as format_time;
pub use context::{LOG_CONTEXT, tenant_span};
pub use directory_tokens::{DirectoryTokenView, NewDirectoryToken};
pub use directory_users::{DirectoryListing, DirectoryUser, DirectoryUserPage};
pub use error::Error;
pub use input::NewUser;
pub use lockout::{LOCKOUT_SECONDS, LoginGuardKey, MAX_FAILURES, Unlocked, unlock};
pub use passwords::{PasswordChange, PasswordSet};
pub use purge::{Outcome, PurgeRun, PurgeSettings, PurgeSummary, Purged, Purger, Stop};
pub use records::{DEFAULT_RETENTION_DAYS, PURGE_ACTOR};
pub use service::{Accounts, DEFAULT_SESSION_DAYS};
pub use sessions::{NewSession, SessionsEnded};
pub use snapshot::Principal;
pub use tenants::NewTenant;
pub use users::UserListing;
pub use views::{
    AuditEventView, AuditPage, CreatedTenant, DeletionView, OwnershipView, ProfileView, PurgedView,
    TenantView, UserPage, UserView,
};
