//! Per-account login lockout: after `MAX_FAILURES` failed logins in a row (within
//! `WINDOW_SECONDS` of each other), logins for that tenant and username are refused for
//! `LOCKOUT_SECONDS`. The count is kept per requested name, whether or not an account has it,
//! so a lockout answers the same for every name and reveals nothing.
//!
//! Every attempt is counted *before* its password is checked (`reserve`), and given back when
//! the password was right. So a burst of simultaneous guesses gets `MAX_FAILURES` checks, not
//! one per request: the rest find the name locked, whatever the password.
//!
//! A counter is keyed by an HMAC of the tenant and the folded name under a secret of the
//! deployment (`LoginGuardKey`), never by the name itself: people type passwords into the
//! username field, and the table (and its backups) must not keep them.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tenantry_store::{FailedLoginsItem, Store, keys};
use time::{Duration, OffsetDateTime};

use crate::clock;
use crate::error::Error;
use crate::input::{Username, could_be_tenant_id};

/// Failed logins in a row that lock the name.
pub const MAX_FAILURES: u32 = 5;
/// How long a lockout lasts.
pub const LOCKOUT_SECONDS: i64 = 15 * 60;
/// A failure further than this from the previous one starts a new count.
const WINDOW_SECONDS: i64 = 15 * 60;
/// DynamoDB TTL may clear a guard this long after its last write: by then it counts nothing.
const KEEP_SECONDS: i64 = 24 * 60 * 60;

/// The secret that keys login guards: at least `MIN_KEY_BYTES` bytes. Changing it starts every
/// count afresh (the old guards are left to expire). Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct LoginGuardKey(Vec<u8>);

impl LoginGuardKey {
    /// The shortest key accepted: 256 bits.
    pub const MIN_KEY_BYTES: usize = 32;

    pub fn parse(secret: &str) -> Result<LoginGuardKey, String> {
        if secret.len() < Self::MIN_KEY_BYTES {
            return Err(format!(
                "must be at least {} bytes long, it is {}",
                Self::MIN_KEY_BYTES,
                secret.len()
            ));
        }
        Ok(LoginGuardKey(secret.as_bytes().to_vec()))
    }

    /// The guard of `name` in `tenant_id`: HMAC-SHA256 of both, in unpadded base64url.
    pub fn guard(&self, tenant_id: &str, name: &Username) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any size");
        mac.update(tenant_id.as_bytes());
        mac.update(&[0]);
        mac.update(name.as_str().as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for LoginGuardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginGuardKey(***)")
    }
}

/// What an operator's unlock cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unlocked {
    /// The name as logins count it (folded, lowercase).
    pub username: String,
    /// When the lock would have ended, if the name was locked.
    pub locked_until: Option<String>,
    /// Attempts counted towards the next lock.
    pub counted: u32,
}

/// Clears the lock and the count of `username` in `tenant_id`, whoever set them: how an
/// operator lets someone in who is kept locked out (anyone can lock a known name, `root` of
/// `platform` included). Nothing to clear is no error. `key` is the deployment's.
pub async fn unlock(
    store: &Store,
    key: &LoginGuardKey,
    tenant_id: &str,
    username: &str,
) -> Result<Unlocked, Error> {
    if !could_be_tenant_id(tenant_id) {
        return Err(Error::invalid("tenant", "is not a tenant id"));
    }
    let name = Username::parse(username).map_err(|message| Error::invalid("username", message))?;
    let guard = store
        .remove_failed_logins(tenant_id, &key.guard(tenant_id, &name))
        .await?;
    let now = clock::now();
    Ok(Unlocked {
        username: name.as_str().to_owned(),
        locked_until: guard
            .as_ref()
            .filter(|g| locked_for(Some(g), now).is_some())
            .and_then(|g| g.locked_until.clone()),
        counted: guard.map_or(0, |g| g.failures),
    })
}

/// Seconds left until the name may log in again, when it is locked at `now`.
pub(crate) fn locked_for(guard: Option<&FailedLoginsItem>, now: OffsetDateTime) -> Option<u64> {
    let until = clock::parse(guard?.locked_until.as_deref()?)?;
    let left = until - now;
    // Rounded up, so that a client waiting that long is never refused again.
    let seconds = left.whole_seconds() + i64::from(left.subsec_nanoseconds() > 0);
    (until > now).then(|| u64::try_from(seconds).unwrap_or(0))
}

/// The guard with one more attempt counted at `now`, before its password is checked; the
/// count locks the name when it reaches `MAX_FAILURES` (and then starts again). `Err` with the
/// seconds left when the name is locked: the attempt is refused unchecked.
pub(crate) fn reserve(
    previous: Option<&FailedLoginsItem>,
    tenant_id: &str,
    guard: &str,
    now: OffsetDateTime,
) -> Result<FailedLoginsItem, u64> {
    if let Some(seconds) = locked_for(previous, now) {
        return Err(seconds);
    }
    let recent = previous
        .and_then(|g| clock::parse(&g.last_failure_at))
        .is_some_and(|last| now - last <= Duration::seconds(WINDOW_SECONDS));
    let failures = match previous {
        Some(g) if recent => g.failures + 1,
        _ => 1,
    };
    let locks = failures >= MAX_FAILURES;
    Ok(FailedLoginsItem {
        pk: keys::failed_logins_pk(tenant_id, guard),
        sk: keys::FAILED_LOGINS_SK.to_owned(),
        failures: if locks { 0 } else { failures },
        last_failure_at: clock::format(now),
        locked_until: locks.then(|| clock::format(now + Duration::seconds(LOCKOUT_SECONDS))),
        version: previous.map_or(1, |g| g.version + 1),
        expires: u64::try_from((now + Duration::seconds(KEEP_SECONDS)).unix_timestamp())
            .unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-24 10:00:00 UTC);

    fn fail_times(times: &[i64]) -> Option<FailedLoginsItem> {
        let mut guard = None;
        for &t in times {
            guard = Some(
                reserve(guard.as_ref(), "acme", "ben", T0 + Duration::seconds(t))
                    .expect("not locked"),
            );
        }
        guard
    }

    #[test]
    fn the_fifth_failure_in_a_row_locks_for_fifteen_minutes() {
        let four = fail_times(&[0, 1, 2, 3]).unwrap();
        assert_eq!((four.failures, four.locked_until.as_deref()), (4, None));
        assert_eq!(four.version, 4);
        assert_eq!(four.pk, "LOGIN#acme#ben");
        assert_eq!(locked_for(Some(&four), T0 + Duration::seconds(4)), None);
        let five = fail_times(&[0, 1, 2, 3, 4]).unwrap();
        assert_eq!(five.failures, 0);
        assert_eq!(
            five.locked_until.as_deref(),
            Some("2026-11-24T10:15:04.000Z")
        );
        assert_eq!(
            locked_for(Some(&five), T0 + Duration::seconds(4)),
            Some(900)
        );
        assert_eq!(
            locked_for(Some(&five), T0 + Duration::milliseconds(4_500)),
            Some(900)
        );
        assert_eq!(
            locked_for(Some(&five), T0 + Duration::seconds(903)),
            Some(1)
        );
        assert_eq!(locked_for(Some(&five), T0 + Duration::seconds(904)), None);
    }

    #[test]
    fn an_attempt_while_locked_is_refused_and_a_new_count_starts_after_the_lock() {
        let locked = fail_times(&[0, 1, 2, 3, 4]).unwrap();
        assert_eq!(
            reserve(Some(&locked), "acme", "ben", T0 + Duration::seconds(10)),
            Err(894)
        );
        assert_eq!(
            reserve(Some(&locked), "acme", "ben", T0 + Duration::seconds(903)),
            Err(1)
        );
        let after = reserve(Some(&locked), "acme", "ben", T0 + Duration::seconds(905)).unwrap();
        assert_eq!((after.failures, after.locked_until), (1, None));
        assert_eq!(after.version, 6);
    }

    #[test]
    fn failures_far_apart_start_over() {
        let spread = fail_times(&[0, 1, 2, 3, 3 + WINDOW_SECONDS + 1]).unwrap();
        assert_eq!((spread.failures, spread.locked_until), (1, None));
        let within = fail_times(&[0, 1, 2, 3, 3 + WINDOW_SECONDS]).unwrap();
        assert!(within.locked_until.is_some());
    }

    #[test]
    fn a_guard_is_a_keyed_hash_of_the_folded_name_that_shows_nothing_of_it() {
        let key = LoginGuardKey::parse(&"k".repeat(32)).unwrap();
        let other_key = LoginGuardKey::parse(&"j".repeat(32)).unwrap();
        let name = |raw: &str| Username::parse(raw).unwrap();
        let typed = "correct-horse-battery";
        let guard = key.guard("acme", &name(typed));
        assert!(
            !guard.contains("correct") && !guard.contains("horse"),
            "{guard}"
        );
        assert_eq!(guard.len(), 43, "{guard}");
        // One guard per name as logins fold it, per tenant, per key.
        assert_eq!(
            key.guard("acme", &name("BEN")),
            key.guard("acme", &name("ben"))
        );
        assert_ne!(
            key.guard("acme", &name("ben")),
            key.guard("acme", &name("bem"))
        );
        assert_ne!(
            key.guard("acme", &name("ben")),
            key.guard("acmf", &name("ben"))
        );
        assert_ne!(
            key.guard("acme", &name("ben")),
            other_key.guard("acme", &name("ben"))
        );
        // The tenant and the name cannot run into each other.
        assert_ne!(
            key.guard("acm", &name("eben")),
            key.guard("acme", &name("ben"))
        );
        assert!(LoginGuardKey::parse(&"k".repeat(31)).is_err());
        assert_eq!(format!("{key:?}"), "LoginGuardKey(***)");
    }

    #[test]
    fn no_guard_or_a_past_lock_is_no_lock() {
        assert_eq!(locked_for(None, T0), None);
        let mut guard = fail_times(&[0]).unwrap();
        guard.locked_until = Some("not a time".into());
        assert_eq!(locked_for(Some(&guard), T0), None);
    }
}
