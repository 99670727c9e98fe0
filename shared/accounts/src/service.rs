//! The use cases' one handle: a store and the settings they share. Build once per process.
//! Each use case is an `impl Accounts` block in a module of its own.

use tenantry_store::Store;

use crate::input::Username;
use crate::lockout::LoginGuardKey;

/// Days a session lasts from its login, unless configured otherwise.
pub const DEFAULT_SESSION_DAYS: u32 = 30;

/// The use cases, over one store. Build once per process.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub(crate) store: Store,
    pub(crate) session_days: u32,
    login_guard_key: LoginGuardKey,
}

impl Accounts {
    /// `login_guard_key` keys the failed-login counters (see `lockout`).
    pub fn new(store: Store, login_guard_key: LoginGuardKey) -> Accounts {
        Accounts {
            store,
            session_days: DEFAULT_SESSION_DAYS,
            login_guard_key,
        }
    }

    /// The failed-login counter of `name` in `tenant_id`.
    pub(crate) fn login_guard(&self, tenant_id: &str, name: &Username) -> String {
        self.login_guard_key.guard(tenant_id, name)
    }

    /// How long a login session (its refresh tokens) lasts, whatever the refreshes.
    pub fn with_session_days(mut self, days: u32) -> Accounts {
        self.session_days = days;
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
