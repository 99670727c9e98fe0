//! Password hashing (argon2id) and login.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use tenantry_store::UserKey;

use crate::input::{Password, Username, could_be_tenant_id};
use crate::{Accounts, Error, Principal, new_id};

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
    /// Checks a username and password. Unknown tenant, unknown user, deleted user and
    /// wrong password are all the same `Unauthenticated`.
    pub async fn login(
        &self,
        tenant_id: &str,
        username: &str,
        password: &str,
    ) -> Result<Principal, Error> {
        let candidate = match Username::parse(username) {
            // An impossible tenant id is an unknown account, answered like any other.
            Ok(name) if could_be_tenant_id(tenant_id) => {
                self.store
                    .get_username_claim(tenant_id, name.as_str())
                    .await?
            }
            _ => None,
        };
        let user = match candidate {
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
            Some(user) if password_ok && !user.is_deleted() => Ok(Principal {
                user_id: user.id,
                tenant_id: user.tenant_id,
                token_epoch: user.token_epoch,
                session_id: new_id(),
            }),
            _ => Err(Error::Unauthenticated),
        }
    }
}
