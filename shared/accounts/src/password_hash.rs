//! Password hashing: argon2id, off the async threads. (Refresh tokens are digested with
//! SHA-256 instead, in `sessions`: they are random, not chosen by people.)
//!
//! Hashes are stored as PHC strings, which record the algorithm, version and parameters they
//! were made with, so a hash made with older parameters still verifies. `needs_rehash` tells
//! such a hash apart, and a login that verifies one replaces it (see `login`).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::Error;
use crate::input::Password;

/// The algorithm every new hash is made with.
const ALGORITHM: Algorithm = Algorithm::Argon2id;
/// The argon2 version every new hash is made with (0x13, written `v=19`).
const VERSION: Version = Version::V0x13;
/// The parameters every new hash is made with: 19 MiB of memory, two passes, one lane
/// (OWASP's minimum for argon2id), and the default 32-byte output. Raising them re-hashes
/// each password at its owner's next successful login.
const PARAMS: Params = match Params::new(19 * 1024, 2, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("invalid argon2 parameters"),
};

/// The hasher of every new hash: `ALGORITHM`, `VERSION` and `PARAMS`.
fn current() -> Argon2<'static> {
    Argon2::new(ALGORITHM, VERSION, PARAMS)
}

/// Hashes off the async threads: argon2id is deliberately slow.
pub(crate) async fn hash(password: &Password) -> Result<String, Error> {
    make(password.as_str().to_owned()).await
}

/// A new hash, with the current parameters, of a password that has just verified against an
/// older hash. Not a `Password`: it was accepted under the rules of its day.
pub(crate) async fn rehash(password: &str) -> Result<String, Error> {
    make(password.to_owned()).await
}

async fn make(password: String) -> Result<String, Error> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| Error::Internal(e.to_string()))?;
        current()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(e.to_string()))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))?
}

/// Whether `password` is the one `stored` was made from, whatever parameters it was made with.
pub(crate) async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                // The stored hash's own algorithm, version and parameters are used, not ours.
                current()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Whether `stored` was made with another algorithm, version or parameters than `hash` uses
/// now, so that a login it verifies should replace it. A hash argon2 cannot read whole (not a
/// PHC string, another algorithm, a parameter it does not know) never verifies, so it is never
/// re-hashed either: `false`.
pub(crate) fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let (Ok(algorithm), Ok(version), Ok(params), Some(_), Some(_)) = (
        Algorithm::try_from(parsed.algorithm),
        parsed.version.map(Version::try_from).transpose(),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    algorithm != ALGORITHM || version != Some(VERSION) || !same_params(&params, &PARAMS)
}

/// The same costs, the same key id and associated data, and the same output length (a parsed
/// hash has its length; `PARAMS` leaves it to the default).
fn same_params(a: &Params, b: &Params) -> bool {
    let output = |p: &Params| p.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    a.m_cost() == b.m_cost()
        && a.t_cost() == b.t_cost()
        && a.p_cost() == b.p_cost()
        && a.keyid() == b.keyid()
        && a.data() == b.data()
        && output(a) == output(b)
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
    use argon2::{AssociatedData, ParamsBuilder};

    use super::*;

    const PASSWORD: &[u8] = b"any password";

    fn made_with(algorithm: Algorithm, version: Version, params: Params) -> String {
        let salt = SaltString::encode_b64(&[7; 16]).unwrap();
        Argon2::new(algorithm, version, params)
            .hash_password(PASSWORD, &salt)
            .unwrap()
            .to_string()
    }

    /// One thing to change in `PARAMS`.
    type Change = fn(&mut ParamsBuilder);

    /// `PARAMS` with one thing changed.
    fn params_with(change: Change) -> Params {
        let mut builder = ParamsBuilder::new();
        builder
            .m_cost(PARAMS.m_cost())
            .t_cost(PARAMS.t_cost())
            .p_cost(PARAMS.p_cost());
        change(&mut builder);
        builder.build().unwrap()
    }

    #[test]
    fn the_decoy_is_made_like_every_stored_hash() {
        let decoy = PasswordHash::new(decoy_hash()).expect("the decoy parses");
        let salt = SaltString::encode_b64(&[7; 16]).unwrap();
        let made = current().hash_password(PASSWORD, &salt).unwrap();
        assert_eq!(decoy.algorithm, made.algorithm);
        assert_eq!(decoy.version, made.version);
        assert_eq!(decoy.params, made.params);
        assert_eq!(
            decoy.hash.map(|h| h.len()),
            made.hash.map(|h| h.len()),
            "the same output length"
        );
        assert_eq!(decoy.salt.map(|s| s.len()), Some(salt.len()));
        assert!(!needs_rehash(decoy_hash()));
    }

    #[tokio::test]
    async fn a_new_hash_needs_no_rehash_and_verifies() {
        let password = "a-long-enough-password";
        let made = rehash(password).await.unwrap();
        assert!(!needs_rehash(&made), "{made}");
        assert_eq!(
            made,
            made_like_current(&made),
            "made with the current parameters"
        );
        assert!(verify(password.to_owned(), made.clone()).await);
        assert!(!verify("another-password".to_owned(), made).await);
    }

    /// `stored` with its salt and output replaced by a current hash's of the same salt: equal
    /// to `stored` exactly when `stored` was made with the current parameters.
    fn made_like_current(stored: &str) -> String {
        let parsed = PasswordHash::new(stored).unwrap();
        current()
            .hash_password(b"a-long-enough-password", parsed.salt.unwrap())
            .unwrap()
            .to_string()
    }

    #[test]
    fn a_hash_made_otherwise_in_any_one_respect_needs_a_rehash() {
        assert!(!needs_rehash(&made_with(ALGORITHM, VERSION, PARAMS)));
        let mut others = vec![
            ("argon2i", made_with(Algorithm::Argon2i, VERSION, PARAMS)),
            ("argon2d", made_with(Algorithm::Argon2d, VERSION, PARAMS)),
            ("v=16", made_with(ALGORITHM, Version::V0x10, PARAMS)),
        ];
        let changes: [(&str, Change); 6] = [
            ("less memory", |p| {
                p.m_cost(8 * 1024);
            }),
            ("more memory", |p| {
                p.m_cost(64 * 1024);
            }),
            ("one pass", |p| {
                p.t_cost(1);
            }),
            ("two lanes", |p| {
                p.p_cost(2);
            }),
            ("a longer output", |p| {
                p.output_len(64);
            }),
            ("associated data", |p| {
                p.data(AssociatedData::new(b"tenantry").unwrap());
            }),
        ];
        for (what, change) in changes {
            others.push((what, made_with(ALGORITHM, VERSION, params_with(change))));
        }
        for (what, stored) in others {
            assert!(needs_rehash(&stored), "{what}: {stored}");
        }
    }

    #[test]
    fn a_hash_argon2_cannot_read_is_never_rehashed() {
        let current = made_with(ALGORITHM, VERSION, PARAMS);
        let (head, _) = current.rsplit_once('$').unwrap();
        for garbage in [
            "",
            "not a hash",
            "$argon2id$",
            // No output, then no salt either.
            head,
            "$argon2id$v=19$m=19456,t=2,p=1",
            // Unknown algorithm, version and parameter.
            &current.replace("$argon2id$", "$scrypt$"),
            &current.replace("$v=19$", "$v=18$"),
            &current.replace("p=1$", "p=1,x=3$"),
            // A cost argon2 refuses.
            &current.replace("t=2,", "t=0,"),
            "$pbkdf2-sha256$i=600000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
            // The fake hashes the tests seed users with.
            "$argon2id$v=19$m=19456,t=2,p=1$seed-1$hash",
        ] {
            assert!(!needs_rehash(garbage), "{garbage:?}");
        }
    }
}
