//! The use cases' one handle: a store and the settings they share. Build once per process.
//! Each use case is an `impl Accounts` block in a module of its own.

use tenantry_store::Store;

use crate::error::Error;
use crate::input::Username;
use crate::lockout::LoginGuardKey;

/// Days a session lasts from its login, unless configured otherwise.
pub const DEFAULT_SESSION_DAYS: u32 = 30;

/// The use cases, over one store. Build once per process.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub(crate) store: Store,
    pub(crate) session_days: u32,
    login_guard_key: Option<LoginGuardKey>,
}

impl Accounts {
    /// `login_guard_key` keys the failed-login counters (see `lockout`): only the use cases
    /// that check a password need it (login, changing your own password).
    pub fn new(store: Store, login_guard_key: Option<LoginGuardKey>) -> Accounts {
        Accounts {
            store,
            session_days: DEFAULT_SESSION_DAYS,
            login_guard_key,
        }
    }

    /// The failed-login counter of `name` in `tenant_id`. Without a key, an internal error: a
    /// function that checks passwords refuses to start without one (`tenantry_http`).
    pub(crate) fn login_guard(&self, tenant_id: &str, name: &Username) -> Result<String, Error> {
        let key = self.login_guard_key.as_ref().ok_or_else(|| {
            Error::Internal("no login guard key (TENANTRY_LOGIN_GUARD_KEY)".into())
        })?;
        Ok(key.guard(tenant_id, name))
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
