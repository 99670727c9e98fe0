//! Login sessions. A login opens a session: a family of refresh tokens, each exchanged once
//! for the next (`refresh`). Only SHA-256 hashes of refresh tokens are stored. A refresh
//! token that comes back after its exchange was stolen or leaked: the whole family is revoked,
//! with its access tokens. A session is bound to the user's token epoch, so whatever bumps the
//! epoch (delete, role change, password change, logout everywhere) ends every session at once,
//! without listing them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use sha2::{Digest, Sha256};
use tenantry_store::{SessionItem, UserChange, UserItem, UserKey, keys};
use time::{Duration, OffsetDateTime};

use crate::action::AuditAction;
use crate::clock;
use crate::error::Error;
use crate::input::could_be_user_id;
use crate::mutation::{Claims, Decision};
use crate::records::{AuditActor, audit_item, new_id};
use crate::service::Accounts;
use crate::snapshot::{Principal, is_live};

/// A session just opened or refreshed: what the client needs to use it.
#[derive(Clone, PartialEq, Eq)]
pub struct NewSession {
    pub principal: Principal,
    /// Opaque to clients; shown once, never stored.
    pub refresh_token: String,
    /// When the session ends, whatever the refreshes.
    pub expires_at: String,
    pub expires_in: u64,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("principal", &self.principal)
            .field("refresh_token", &"<withheld>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What a logout ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionsEnded {
    /// The caller's session.
    Current,
    /// Every session of the caller (its token epoch moved on).
    All,
}

/// A refresh token's SHA-256, in hex: what the table keeps instead of the token. (Passwords
/// are hashed with argon2id instead, in `password_hash`: they are chosen by people.)
pub(crate) fn token_digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh refresh token of `session_id`, and its hash: `<session id>.<256 random bits>`.
fn new_refresh_token(session_id: &str) -> (String, String) {
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let token = format!("{session_id}.{secret}");
    let hashed = token_digest(&token);
    (token, hashed)
}

/// The session id a refresh token names, if it has the shape of one.
fn session_id_of(token: &str) -> Option<&str> {
    let (id, secret) = token.split_once('.')?;
    (could_be_user_id(id) && secret.len() == 43).then_some(id)
}

impl Accounts {
    /// Opens a session for an active user (a login that checked the password).
    pub async fn open_session(&self, user: &UserItem) -> Result<NewSession, Error> {
        let now = clock::now();
        let end = now + Duration::days(i64::from(self.session_days));
        let id = new_id();
        let (refresh_token, refresh_hash) = new_refresh_token(&id);
        let session = SessionItem {
            pk: keys::session_pk(&id),
            sk: keys::SESSION_SK.to_owned(),
            id: id.clone(),
            tenant_id: user.tenant_id.clone(),
            user_id: user.id.clone(),
            token_epoch: user.token_epoch,
            refresh_hash,
            rotated: Vec::new(),
            rotations: 0,
            created_at: clock::format(now),
            refreshed_at: clock::format(now),
            expires_at: clock::format(end),
            expires: u64::try_from(end.unix_timestamp()).unwrap_or(0),
            revoked_at: None,
            revoked_reason: None,
        };
        self.store.put_session(&session).await?;
        Ok(NewSession {
            principal: Principal {
                user_id: user.id.clone(),
                tenant_id: user.tenant_id.clone(),
                token_epoch: user.token_epoch,
                session_id: id,
            },
            refresh_token,
            expires_at: session.expires_at,
            expires_in: seconds_until(end, now),
        })
    }

    /// Exchanges a refresh token for the next one (and a principal to issue an access token
    /// to). A token exchanged before revokes its whole session: two parties hold it.
    pub async fn refresh(&self, refresh_token: &str) -> Result<NewSession, Error> {
        let ended = || Error::SessionEnded;
        let id = session_id_of(refresh_token).ok_or_else(ended)?;
        let presented = token_digest(refresh_token);
        let session = self.store.get_session(id).await?.ok_or_else(ended)?;
        let now = clock::now();
        if session.rotated.contains(&presented) {
            self.revoke_for_reuse(&session.id, now).await?;
            return Err(ended());
        }
        if session.refresh_hash != presented || !is_live(&session, now) {
            return Err(ended());
        }
        let user = self
            .store
            .get_user(UserKey {
                tenant_id: &session.tenant_id,
                user_id: &session.user_id,
            })
            .await?
            .filter(|u| !u.is_deleted() && u.token_epoch == session.token_epoch)
            .ok_or_else(ended)?;
        let (next, next_hash) = new_refresh_token(&session.id);
        if !self
            .store
            .rotate_session(&session, &next_hash, &clock::format(now))
            .await?
        {
            // Exchanged (or logged out) since it was read: this token was used twice.
            self.revoke_for_reuse(&session.id, now).await?;
            return Err(ended());
        }
        let end = clock::parse(&session.expires_at).ok_or_else(ended)?;
        Ok(NewSession {
            principal: Principal {
                user_id: user.id,
                tenant_id: user.tenant_id,
                token_epoch: user.token_epoch,
                session_id: session.id,
            },
            refresh_token: next,
            expires_in: seconds_until(end, now),
            expires_at: session.expires_at,
        })
    }

    async fn revoke_for_reuse(&self, session_id: &str, now: OffsetDateTime) -> Result<(), Error> {
        let revoked = self
            .store
            .revoke_session(session_id, "reuse", &clock::format(now))
            .await?;
        if revoked {
            tracing::warn!(session_id, "refresh token reused: session revoked");
        }
        Ok(())
    }

    /// Ends the caller's session: its refresh token and every access token issued for it.
    pub async fn logout(&self, principal: &Principal) -> Result<SessionsEnded, Error> {
        self.authenticate(principal).await?;
        // Revoked meanwhile by another logout or a reuse: ended all the same.
        self.store
            .revoke_session(
                &principal.session_id,
                "logout",
                &clock::format(clock::now()),
            )
            .await?;
        Ok(SessionsEnded::Current)
    }

    /// Ends every session of the caller by bumping its token epoch, with an audit event.
    pub async fn logout_all(&self, principal: &Principal) -> Result<SessionsEnded, Error> {
        self.mutate(Claims::None, move || async move {
            let actor = self.authenticate(principal).await?;
            let now = clock::format(clock::now());
            let change = UserChange {
                role: None,
                email: None,
                password_hash: None,
                end_sessions: true,
                profile: None,
                now: &now,
            };
            let audit = audit_item(
                &now,
                &actor.tenant_id,
                AuditActor::user(&actor),
                AuditAction::LogoutAll,
                (&actor.id, actor.version),
                json!({}),
            );
            // The actor's own write checks it.
            let tx = self.store.update_user(None, &actor, &change, &audit)?;
            Ok(Decision::Commit(tx, SessionsEnded::All))
        })
        .await
    }
}

fn seconds_until(end: OffsetDateTime, now: OffsetDateTime) -> u64 {
    u64::try_from((end - now).whole_seconds()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_random_name_their_session_and_are_stored_hashed() {
        let id = "0199a000-0000-7000-8000-000000000000";
        let (a, a_hash) = new_refresh_token(id);
        let (b, b_hash) = new_refresh_token(id);
        assert_ne!(a, b);
        assert_ne!(a_hash, b_hash);
        assert_eq!(session_id_of(&a), Some(id));
        assert_eq!(a_hash.len(), 64);
        assert!(!a_hash.contains(a.split('.').nth(1).unwrap()));
        assert_eq!(token_digest(&a), a_hash);
        for bad in [
            "",
            ".",
            "x",
            &format!("{id}.short"),
            id,
            &format!("{id}.{}", "A".repeat(44)),
            &format!("a b.{}", "A".repeat(43)),
        ] {
            assert_eq!(session_id_of(bad), None, "{bad}");
        }
    }
}
