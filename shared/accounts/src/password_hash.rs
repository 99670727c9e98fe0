//! Password hashing: argon2id, off the async threads. (Refresh tokens are digested with
//! SHA-256 instead, in `sessions`: they are random, not chosen by people.)

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use crate::error::Error;
use crate::input::Password;

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

/// Whether `password` is the one `stored` was made from.
pub(crate) async fn verify(password: String, stored: String) -> bool {
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
/// the same time as a wrong password and the two cannot be told apart. Made once, offline,
/// with argon2id and the parameters `hash` uses (a test holds them equal), from a random
/// password nobody kept; embedded, so that no login pays for making it.
pub(crate) fn decoy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$h7XTEmZVYElMMtnjLn/Pgw$ZXZWBpz8s7+EvMHKYZIrO26ZYL4kQHvnD9UiXhzrbe0"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_is_made_like_every_stored_hash() {
        let decoy = PasswordHash::new(decoy_hash()).expect("the decoy parses");
        let salt = SaltString::encode_b64(&[7; 16]).unwrap();
        let made = Argon2::default()
            .hash_password(b"any password", &salt)
            .unwrap();
        assert_eq!(decoy.algorithm, made.algorithm);
        assert_eq!(decoy.version, made.version);
        assert_eq!(decoy.params, made.params);
        assert_eq!(
            decoy.hash.map(|h| h.len()),
            made.hash.map(|h| h.len()),
            "the same output length"
        );
        assert_eq!(decoy.salt.map(|s| s.len()), Some(salt.len()));
    }
}
