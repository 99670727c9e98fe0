//! Login: a username and password checked, a session opened, and every attempt counted
//! against the requested name before its password is checked (see `lockout`).

use tenantry_store::{ClaimItem, FailedLoginsItem, GaveBack, GiveBack, UserItem, UserKey};

use crate::clock;
use crate::error::Error;
use crate::input::{Username, could_be_tenant_id};
use crate::lockout;
use crate::mutation::backoff;
use crate::password_hash::{decoy_hash, needs_rehash, rehash, verify};
use crate::service::Accounts;
use crate::sessions::NewSession;

/// Rounds of counting one attempt before giving up (409 `conflict`): far more than a burst
/// needs, since each round counts one of the racing attempts and `MAX_FAILURES` lock the name.
const MAX_COUNT_ATTEMPTS: u32 = 64;

/// A user id no account has: an unknown name reads it, so that it costs the reads of a
/// known one.
const NO_USER: &str = "00000000-0000-0000-0000-000000000000";

/// One attempt, counted before its password is checked.
pub(crate) struct Attempt {
    /// The guard as this attempt wrote it.
    counted: FailedLoginsItem,
    /// Which guard: the keyed hash of the name (`Accounts::login_guard`).
    guard: String,
}

impl Accounts {
    /// Checks a username and password and opens a session. Unknown tenant, unknown user,
    /// deleted user and wrong password are all the same `InvalidCredentials`, and cost the
    /// same reads and time. Every attempt counts against the requested name before its
    /// password is checked, and a right password gives it back (see `lockout`); a locked name
    /// is refused before any password check, whether or not an account has it. A right
    /// password whose hash was made with older parameters is re-hashed as it gives its attempt
    /// back (`give_back_rehashing`).
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
        let (claim, attempt) = self.begin_attempt(tenant_id, &name).await?;
        let user_id = claim.as_ref().map_or(NO_USER, |c| c.user_id.as_str());
        let user = self.store.get_user(UserKey { tenant_id, user_id }).await?;
        let stored = user
            .as_ref()
            .map_or_else(|| decoy_hash().to_owned(), |u| u.password_hash.clone());
        let password_ok = verify(password.to_owned(), stored).await;
        match user {
            Some(user) if password_ok && !user.is_deleted() => {
                if needs_rehash(&user.password_hash) {
                    self.give_back_rehashing(tenant_id, attempt, &user, password)
                        .await?;
                } else {
                    self.give_back(tenant_id, attempt).await?;
                }
                self.open_session(&user).await
            }
            _ => Err(attempt.failed()),
        }
    }

    /// Reads the name's claim and its failed-login counter, and counts this attempt (see
    /// `count_attempt`): the claim says whose the name is, the attempt how to answer.
    pub(crate) async fn begin_attempt(
        &self,
        tenant_id: &str,
        name: &Username,
    ) -> Result<(Option<ClaimItem>, Attempt), Error> {
        let guard = self.login_guard(tenant_id, name)?;
        let (claim, counted) = self
            .store
            .login_snapshot(tenant_id, name.as_str(), &guard)
            .await?;
        let attempt = self.count_attempt(tenant_id, name, guard, counted).await?;
        Ok((claim, attempt))
    }

    /// Counts one attempt for `name`, before its password is checked: `LoginLocked` when the
    /// name is locked (the password is then not checked at all).
    ///
    /// Its own loop, not `mutate`'s: a lost race here is not a reason to decide again but a
    /// count to add on top of the winner's, so every racing attempt is counted once.
    async fn count_attempt(
        &self,
        tenant_id: &str,
        name: &Username,
        guard: String,
        mut seen: Option<FailedLoginsItem>,
    ) -> Result<Attempt, Error> {
        let mut attempt = 0;
        loop {
            let counted = lockout::reserve(seen.as_ref(), tenant_id, &guard, clock::now())
                .map_err(|seconds| Error::LoginLocked {
                    retry_after: seconds,
                })?;
            if self
                .store
                .save_failed_logins(&counted, seen.as_ref().map(|c| c.version))
                .await?
            {
                return Ok(Attempt { counted, guard });
            }
            // Another attempt was counted first: count this one on top of it. Every round
            // counts one of the racing attempts, so a burst settles within MAX_FAILURES rounds.
            attempt += 1;
            if attempt >= MAX_COUNT_ATTEMPTS {
                return Err(Error::Conflict);
            }
            backoff(attempt.min(2)).await;
            seen = self
                .store
                .login_snapshot(tenant_id, name.as_str(), &guard)
                .await?
                .1;
        }
    }

    /// The password was right: the failures in a row end. When nothing was counted since this
    /// attempt, the guard goes; otherwise only this attempt is taken back (the others stand,
    /// and so does a lock they set).
    pub(crate) async fn give_back(&self, tenant_id: &str, attempt: Attempt) -> Result<(), Error> {
        let Attempt { counted, guard } = attempt;
        if !self
            .store
            .clear_failed_logins(tenant_id, &guard, counted.version)
            .await?
        {
            self.store.release_failed_login(tenant_id, &guard).await?;
        }
        Ok(())
    }

    /// `give_back`, for a right password whose stored hash was made with older parameters
    /// (`needs_rehash`): each of its two shapes (the counter cleared, or one attempt taken
    /// back) goes with a new hash of the password, in one transaction, so the hash moves to the
    /// current parameters with the attempt given back.
    /// The counter ends exactly as `give_back` leaves it. The hash changes only while it is
    /// still the one verified and the user not deleted; when it cannot (a new password or a
    /// deletion since the read, another transaction on an item), the attempt is given back
    /// alone, as `give_back` does, and the older hash stays for a later login.
    async fn give_back_rehashing(
        &self,
        tenant_id: &str,
        attempt: Attempt,
        user: &UserItem,
        password: &str,
    ) -> Result<(), Error> {
        let new_hash = match rehash(password).await {
            Ok(hash) => hash,
            Err(err) => {
                tracing::warn!(error = %err, "a password could not be re-hashed; its hash stays");
                return self.give_back(tenant_id, attempt).await;
            }
        };
        let Attempt { counted, guard } = &attempt;
        let with_hash = |give_back| {
            self.store
                .give_back_and_rehash(tenant_id, guard, give_back, user, &new_hash)
        };
        let seen = counted.version;
        match with_hash(GiveBack::Clear { seen }).await? {
            GaveBack::Rehashed => {}
            // Attempts were counted since this one: take only this one back.
            GaveBack::CounterMoved => match with_hash(GiveBack::Release).await? {
                // Done; or the count was spent meanwhile, and the attempt stands.
                GaveBack::Rehashed
                | GaveBack::CounterMoved
                | GaveBack::NotRehashed {
                    counter_moved: true,
                } => {}
                GaveBack::NotRehashed {
                    counter_moved: false,
                } => {
                    self.store.release_failed_login(tenant_id, guard).await?;
                }
            },
            GaveBack::NotRehashed {
                counter_moved: true,
            } => {
                self.store.release_failed_login(tenant_id, guard).await?;
            }
            GaveBack::NotRehashed {
                counter_moved: false,
            } => return self.give_back(tenant_id, attempt).await,
        }
        Ok(())
    }
}

impl Attempt {
    /// How to answer this attempt when its password was wrong: `LoginLocked` when it was the
    /// one that locked the name, else `InvalidCredentials`.
    pub(crate) fn failed(&self) -> Error {
        match lockout::locked_for(Some(&self.counted), clock::now()) {
            Some(seconds) => Error::LoginLocked {
                retry_after: seconds,
            },
            None => Error::InvalidCredentials,
        }
    }
}
