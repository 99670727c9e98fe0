//! Password hashing (argon2id) and login.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde_json::json;
use tenantry_policy::Action;
use tenantry_store::{LoginGuardItem, UserChange, UserKey};

use crate::input::{Password, Username, could_be_tenant_id};
use crate::users::{audit_item, guard};
use crate::{Accounts, Error, NewSession, Principal, backoff, clock, lockout, retry_or};

/// Rounds of counting one failed login before giving up (409 `conflict`): far more than a
/// burst of failures needs, since each round counts one of them.
const MAX_COUNT_ATTEMPTS: u32 = 64;

/// Hashes off the async threads: argon2id is deliberately slow.
pub(crate) async fn hash(password: &Password) -> Result<String, Error> {
    let password = password.as_str().to_owned();
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| Error::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A hash to verify against when there is no account, so that an unknown username costs
/// the same time as a wrong password and the two cannot be told apart.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        SaltString::encode_b64(b"tenantry-decoy-salt")
            .ok()
            .and_then(|salt| {
                Argon2::default()
                    .hash_password(b"decoy password that matches nothing", &salt)
                    .ok()
                    .map(|h| h.to_string())
            })
            .unwrap_or_default()
    })
}

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
        let (claim, guard) = self.store.login_snapshot(tenant_id, name.as_str()).await?;
        if let Some(seconds) = lockout::locked_for(guard.as_ref(), clock::now()) {
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
                if let Some(guard) = guard.filter(|g| g.failures > 0) {
                    // Failures in a row end with a success. A failure landing meanwhile stays.
                    self.store
                        .clear_login_guard(tenant_id, name.as_str(), guard.version)
                        .await?;
                }
                self.open_session(&user).await
            }
            _ => Err(self.count_failure(tenant_id, &name, guard).await?),
        }
    }

    /// Counts one failed proof of a password for `name` and says how to answer it:
    /// `InvalidCredentials`, or `LoginLocked` when this failure locks the name.
    async fn count_failure(
        &self,
        tenant_id: &str,
        name: &Username,
        mut seen: Option<LoginGuardItem>,
    ) -> Result<Error, Error> {
        let mut attempt = 0;
        loop {
            let now = clock::now();
            let next = lockout::after_failure(seen.as_ref(), tenant_id, name.as_str(), now);
            if self
                .store
                .save_login_guard(&next, seen.as_ref().map(|g| g.version))
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

    /// Sets a user's password and ends all its sessions. Your own needs your current password
    /// (failures count towards the lockout, like logins); anyone else's follows the rank rules
    /// of delete (`Action::SetPassword`).
    pub async fn set_password(
        &self,
        principal: &Principal,
        tenant_id: &str,
        user_id: &str,
        change: PasswordChange,
    ) -> Result<PasswordSet, Error> {
        let (actor, target, _) = self
            .snapshot_for(principal, tenant_id, user_id, Action::SetPassword)
            .await?;
        let own = actor.id == target.id;
        match (&change.current_password, own) {
            (None, true) => {
                return Err(Error::invalid(
                    "current_password",
                    "is required to change your own password",
                ));
            }
            (Some(_), false) => {
                return Err(Error::invalid(
                    "current_password",
                    "is only for changing your own password; leave it out to reset another user's",
                ));
            }
            _ => {}
        }
        let name = Username::parse(&target.username)
            .map_err(|_| Error::Internal("a stored username does not parse".into()))?;
        let new = Password::parse(&change.new_password, &name)
            .map_err(|message| Error::invalid("new_password", message))?;
        if let Some(current) = &change.current_password {
            let (_, guard) = self.store.login_snapshot(tenant_id, name.as_str()).await?;
            if let Some(seconds) = lockout::locked_for(guard.as_ref(), clock::now()) {
                return Err(Error::LoginLocked {
                    retry_after: seconds,
                });
            }
            if !verify(current.clone(), target.password_hash.clone()).await {
                return match self.count_failure(tenant_id, &name, guard).await? {
                    Error::InvalidCredentials => Err(Error::WrongPassword),
                    locked => Err(locked),
                };
            }
        }
        let password_hash = hash(&new).await?;
        let mut attempt = 0;
        let (mut actor, mut target) = (actor, target);
        loop {
            let now = clock::format(clock::now());
            let update = UserChange {
                role: None,
                email: None,
                password_hash: Some(&password_hash),
                end_sessions: true,
                now: &now,
            };
            let audit = audit_item(
                &now,
                &actor,
                "user.set_password",
                &target.id,
                target.version,
                json!({ "own": own }),
                tenant_id,
            );
            // Changing yourself: your own write checks you.
            let actor_guard = (!own).then(|| guard(&actor));
            match self
                .store
                .update_user(actor_guard.as_ref(), &target, &update, &audit)
                .await
            {
                Ok(()) => {
                    return Ok(PasswordSet {
                        user_id: target.id,
                        sessions_revoked: true,
                    });
                }
                Err(err) => {
                    attempt = retry_or(err, attempt)?;
                    backoff(attempt).await;
                    // Decide again on what is there now; the proof of the old password stands.
                    (actor, target, _) = self
                        .snapshot_for(principal, tenant_id, user_id, Action::SetPassword)
                        .await?;
                }
            }
        }
    }
}

/// A password change as asked for.
#[derive(Clone)]
pub struct PasswordChange {
    pub new_password: String,
    /// Required for your own password, refused for anyone else's.
    pub current_password: Option<String>,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { <withheld> }")
    }
}

/// What a password change did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PasswordSet {
    pub user_id: String,
    /// Always true: a new password ends every session of its user.
    pub sessions_revoked: bool,
}
