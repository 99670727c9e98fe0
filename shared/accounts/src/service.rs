//! The use cases' one handle: a store and the settings they share. Build once per process.
//! Each use case is an `impl Accounts` block in a module of its own.

use tenantry_store::Store;

/// Days a session lasts from its login, unless configured otherwise.
pub const DEFAULT_SESSION_DAYS: u32 = 30;

/// The use cases, over one store. Build once per process.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub(crate) store: Store,
    pub(crate) session_days: u32,
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
}
