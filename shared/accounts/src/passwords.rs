//! Setting a password: your own with your current one, anyone else's by the rank rules.

use serde_json::json;
use tenantry_policy::Action;
use tenantry_store::UserChange;

use crate::action::AuditAction;
use crate::caller::Caller;
use crate::clock;
use crate::error::Error;
use crate::input::{Password, Username};
use crate::mutation::{Claims, Decision};
use crate::password_hash::{hash, verify};
use crate::records::audit_item;
use crate::service::Accounts;

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

impl Accounts {
    /// Sets a user's password and ends all its sessions. Your own needs your current password
    /// (failures count towards the lockout, like logins); anyone else's follows the rank rules
    /// of delete (`Action::SetPassword`).
    pub async fn set_password(
        &self,
        caller: impl Into<Caller<'_>>,
        tenant_id: &str,
        user_id: &str,
        change: PasswordChange,
    ) -> Result<PasswordSet, Error> {
        let caller = caller.into();
        let (actor, target, _) = self
            .snapshot_for(caller, tenant_id, user_id, Action::SetPassword)
            .await?;
        let own = actor.id() == target.id;
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
            let (_, attempt) = self.begin_attempt(tenant_id, &name).await?;
            if !verify(current.clone(), target.password_hash.clone()).await {
                return match attempt.failed() {
                    Error::InvalidCredentials => Err(Error::WrongPassword),
                    locked => Err(locked),
                };
            }
            self.give_back(tenant_id, attempt).await?;
        }
        let password_hash = hash(&new).await?;
        // The first round commits on the snapshot the proof was checked on; later rounds
        // decide again on what is there now (the proof of the old password stands).
        let mut first = Some((actor, target));
        let password_hash = &password_hash;
        self.mutate(Claims::None, move || {
            let first = first.take();
            async move {
                let (actor, target) = match first {
                    Some(seen) => seen,
                    None => {
                        let (actor, target, _) = self
                            .snapshot_for(caller, tenant_id, user_id, Action::SetPassword)
                            .await?;
                        (actor, target)
                    }
                };
                let now = clock::format(clock::now());
                let update = UserChange {
                    role: None,
                    email: None,
                    password_hash: Some(password_hash),
                    end_sessions: true,
                    profile: None,
                    now: &now,
                };
                let audit = audit_item(
                    &now,
                    tenant_id,
                    actor.audit(),
                    AuditAction::UserSetPassword,
                    (&target.id, target.version),
                    json!({ "own": own }),
                );
                // Changing yourself: your own write checks you.
                let check = (!own).then(|| actor.check());
                let tx = self
                    .store
                    .update_user(check.as_ref(), &target, &update, &audit)?;
                Ok(Decision::Commit(
                    tx,
                    PasswordSet {
                        user_id: target.id,
                        sessions_revoked: true,
                    },
                ))
            }
        })
        .await
    }
}
