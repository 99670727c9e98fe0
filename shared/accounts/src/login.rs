//! Login: a username and password checked, a session opened, and every failure counted
//! against the requested name (see `lockout`).

use tenantry_store::{FailedLoginsItem, UserKey};

use crate::clock;
use crate::error::Error;
use crate::input::{Username, could_be_tenant_id};
use crate::lockout;
use crate::mutation::backoff;
use crate::password_hash::{decoy_hash, verify};
use crate::service::Accounts;
use crate::sessions::NewSession;

/// Rounds of counting one failed login before giving up (409 `conflict`): far more than a
/// burst of failures needs, since each round counts one of them.
const MAX_COUNT_ATTEMPTS: u32 = 64;

impl Accounts {
    /// Checks a username and password and opens a session. Unknown tenant, unknown user,
    /// deleted user and wrong password are all the same `InvalidCredentials`, and cost the
    /// same time. Every failure counts against the requested name (see `lockout`); a locked
    /// name is refused before any password check, whether or not an account has it.
    pub async fn login(
        &self,
        tenant_id: &str,
        username: &str,
        password: &str,
    ) -> Result<NewSession, Error> {
        // An impossible tenant id or username is an unknown account, answered like any other.
        let Some(name) = Username::parse(username)
            .ok()
            .filter(|_| could_be_tenant_id(tenant_id))
        else {
            verify(password.to_owned(), decoy_hash().to_owned()).await;
            return Err(Error::InvalidCredentials);
        };
        let (claim, counter) = self.store.login_snapshot(tenant_id, name.as_str()).await?;
        if let Some(seconds) = lockout::locked_for(counter.as_ref(), clock::now()) {
            return Err(Error::LoginLocked {
                retry_after: seconds,
            });
        }
        let user = match claim {
            Some(claim) => {
                self.store
                    .get_user(UserKey {
                        tenant_id,
                        user_id: &claim.user_id,
                    })
                    .await?
            }
            None => None,
        };
        let stored = user
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
        let password_ok = verify(password.to_owned(), stored).await;
        match user {
            Some(user) if password_ok && !user.is_deleted() => {
                if let Some(counter) = counter.filter(|c| c.failures > 0) {
                    // Failures in a row end with a success. A failure landing meanwhile stays.
                    self.store
                        .clear_failed_logins(tenant_id, name.as_str(), counter.version)
                        .await?;
                }
                self.open_session(&user).await
            }
            _ => Err(self.count_failure(tenant_id, &name, counter).await?),
        }
    }

    /// Counts one failed proof of a password for `name` and says how to answer it:
    /// `InvalidCredentials`, or `LoginLocked` when this failure locks the name.
    ///
    /// Its own loop, not `mutate`'s: a lost race here is not a reason to decide again but a
    /// count to add on top of the winner's, so every racing failure is counted once.
    pub(crate) async fn count_failure(
        &self,
        tenant_id: &str,
        name: &Username,
        mut seen: Option<FailedLoginsItem>,
    ) -> Result<Error, Error> {
        let mut attempt = 0;
        loop {
            let now = clock::now();
            let next = lockout::after_failure(seen.as_ref(), tenant_id, name.as_str(), now);
            if self
                .store
                .save_failed_logins(&next, seen.as_ref().map(|c| c.version))
                .await?
            {
                return Ok(match lockout::locked_for(Some(&next), now) {
                    Some(seconds) => Error::LoginLocked {
                        retry_after: seconds,
                    },
                    None => Error::InvalidCredentials,
                });
            }
            // Another failure was counted first: count this one on top of it. Every round
            // counts one of the racing failures, so a burst of N settles within N rounds.
            attempt += 1;
            if attempt >= MAX_COUNT_ATTEMPTS {
                return Err(Error::Conflict);
            }
            backoff(attempt.min(2)).await;
            seen = self.store.login_snapshot(tenant_id, name.as_str()).await?.1;
        }
    }
}
