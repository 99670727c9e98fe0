//! Every key of the single table, built in one place (see the table in docs/design.md): the
//! key strings, and the item keys that reads and writes address items by.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use crate::attrs::{Item, s};

/// Number of partitions the sparse purge index is spread over.
pub const PURGE_SHARDS: u32 = 8;

/// The sparse index only deleted users carry: partition `purge_shard`, sort `purge_after`.
pub const PURGE_INDEX: &str = "purge-keys";

pub const TENANT_SK: &str = "TENANT";
pub const CLAIM_SK: &str = "CLAIM";
pub const USER_SK_PREFIX: &str = "USER#";
pub const SESSION_SK: &str = "SESSION";
/// The sort keys of a tenant's directory (SCIM) tokens, in its tenant's partition.
pub const DIRECTORY_TOKEN_SK_PREFIX: &str = "DIRTOKEN#";
/// The sort key of a failed-login counter (stored as `GUARD`, its name in earlier releases).
pub const FAILED_LOGINS_SK: &str = "GUARD";

/// The partition keys of a tenant's items: its own, its users', its directory tokens'.
pub const TENANT_PK_PREFIX: &str = "TENANT#";

pub fn tenant_pk(tenant_id: &str) -> String {
    format!("{TENANT_PK_PREFIX}{tenant_id}")
}

pub fn user_sk(user_id: &str) -> String {
    format!("{USER_SK_PREFIX}{user_id}")
}

pub fn directory_token_sk(token_id: &str) -> String {
    format!("{DIRECTORY_TOKEN_SK_PREFIX}{token_id}")
}

/// `normalized` is the canonical username (NFKC + lowercase), never the raw input.
pub fn username_claim_pk(tenant_id: &str, normalized: &str) -> String {
    format!("USERNAME#{tenant_id}#{normalized}")
}

/// The form in which an email is claimed, unique per tenant: NFKC-folded, then lowercase, so
/// `Ben@Acme.test` and `ｂｅｎ@acme.test` (full-width letters) are one address.
pub fn email_claim(email: &str) -> String {
    email.nfkc().collect::<String>().to_lowercase()
}

/// `normalized` is the claimed form of an email (`email_claim`).
pub fn email_claim_pk(tenant_id: &str, normalized: &str) -> String {
    format!("EMAIL#{tenant_id}#{normalized}")
}

pub fn session_pk(session_id: &str) -> String {
    format!("SESSION#{session_id}")
}

/// `guard` names one failed-login counter per name a login can ask for: a keyed hash of the
/// folded name (`tenantry_accounts::lockout::LoginGuardKey`), never the name as typed, which may
/// be a password typed into the wrong field.
pub fn failed_logins_pk(tenant_id: &str, guard: &str) -> String {
    format!("LOGIN#{tenant_id}#{guard}")
}

pub fn audit_pk(tenant_id: &str) -> String {
    format!("AUDIT#{tenant_id}")
}

/// Timestamps are fixed-width RFC 3339 UTC, so the sort key orders by time, then by event id.
pub fn audit_sk(at: &str, event_id: &str) -> String {
    format!("{at}#{event_id}")
}

/// Partition key of the sparse purge index. Deleted users spread over a few shards so one
/// hot partition never holds the whole trash; the shard is a stable function of the user id.
pub fn purge_shard(user_id: &str) -> String {
    // FNV-1a: stable across processes and releases, unlike std's randomized hasher.
    let mut hash: u32 = 0x811c_9dc5;
    for byte in user_id.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    purge_shard_name(hash % PURGE_SHARDS)
}

/// The partition key of purge shard `shard` (0 to `PURGE_SHARDS - 1`).
pub fn purge_shard_name(shard: u32) -> String {
    format!("PURGE#{shard}")
}

/// Identifies a user item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserKey<'a> {
    pub tenant_id: &'a str,
    pub user_id: &'a str,
}

impl<'a> UserKey<'a> {
    /// The key of a user item read before.
    pub fn of(user: &'a crate::items::UserItem) -> UserKey<'a> {
        UserKey {
            tenant_id: &user.tenant_id,
            user_id: &user.id,
        }
    }
}

fn item_key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([("PK".to_owned(), s(pk)), ("SK".to_owned(), s(sk))])
}

pub(crate) fn user_key(key: UserKey) -> Item {
    item_key(tenant_pk(key.tenant_id), user_sk(key.user_id))
}

pub(crate) fn tenant_key(tenant_id: &str) -> Item {
    item_key(tenant_pk(tenant_id), TENANT_SK)
}

/// Identifies a directory token item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DirectoryTokenKey<'a> {
    pub tenant_id: &'a str,
    pub token_id: &'a str,
}

pub(crate) fn directory_token_key(key: DirectoryTokenKey) -> Item {
    item_key(tenant_pk(key.tenant_id), directory_token_sk(key.token_id))
}

/// The item an actor's snapshot reads and its transactions check: a person's user item, or
/// the directory token a directory calls with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKey<'a> {
    User(UserKey<'a>),
    DirectoryToken(DirectoryTokenKey<'a>),
}

impl<'a> From<UserKey<'a>> for ActorKey<'a> {
    fn from(user: UserKey<'a>) -> ActorKey<'a> {
        ActorKey::User(user)
    }
}

pub(crate) fn actor_key(key: ActorKey) -> Item {
    match key {
        ActorKey::User(user) => user_key(user),
        ActorKey::DirectoryToken(token) => directory_token_key(token),
    }
}

pub(crate) fn username_claim_key(tenant_id: &str, normalized: &str) -> Item {
    item_key(username_claim_pk(tenant_id, normalized), CLAIM_SK)
}

pub(crate) fn email_claim_key(tenant_id: &str, normalized: &str) -> Item {
    item_key(email_claim_pk(tenant_id, normalized), CLAIM_SK)
}

pub(crate) fn session_key(session_id: &str) -> Item {
    item_key(session_pk(session_id), SESSION_SK)
}

pub(crate) fn failed_logins_key(tenant_id: &str, guard: &str) -> Item {
    item_key(failed_logins_pk(tenant_id, guard), FAILED_LOGINS_SK)
}

pub(crate) fn audit_key(pk: &str, sk: &str) -> Item {
    item_key(pk.to_owned(), sk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_have_the_documented_shapes() {
        assert_eq!(tenant_pk("acme"), "TENANT#acme");
        assert_eq!(user_sk("0193"), "USER#0193");
        assert_eq!(username_claim_pk("acme", "ben"), "USERNAME#acme#ben");
        assert_eq!(email_claim_pk("acme", "ben@x.io"), "EMAIL#acme#ben@x.io");
        assert_eq!(audit_pk("acme"), "AUDIT#acme");
        assert_eq!(session_pk("s1"), "SESSION#s1");
        assert_eq!(failed_logins_pk("acme", "ben"), "LOGIN#acme#ben");
        assert_eq!(directory_token_sk("t1"), "DIRTOKEN#t1");
        assert_eq!(
            audit_sk("2026-01-02T03:04:05.006Z", "e1"),
            "2026-01-02T03:04:05.006Z#e1"
        );
    }

    #[test]
    fn emails_are_claimed_folded_and_lowercase() {
        assert_eq!(email_claim("Ben@Acme.test"), "ben@acme.test");
        // Full-width and styled letters are the same address under NFKC.
        assert_eq!(email_claim("\u{FF22}en@acme.test"), "ben@acme.test");
        assert_eq!(email_claim("\u{1D41B}en@acme.test"), "ben@acme.test");
        // Letters that only look alike stay apart: Cyrillic `е` is not `e`.
        assert_ne!(email_claim("b\u{0435}n@acme.test"), "ben@acme.test");
    }

    #[test]
    fn item_keys_name_the_partition_and_sort_keys() {
        let key = user_key(UserKey {
            tenant_id: "acme",
            user_id: "u1",
        });
        assert_eq!(key["PK"], s("TENANT#acme"));
        assert_eq!(key["SK"], s("USER#u1"));
        assert_eq!(tenant_key("acme")["SK"], s("TENANT"));
        assert_eq!(username_claim_key("acme", "ben")["SK"], s("CLAIM"));
        assert_eq!(
            email_claim_key("acme", "b@x.io")["PK"],
            s("EMAIL#acme#b@x.io")
        );
        assert_eq!(session_key("s1")["SK"], s("SESSION"));
        assert_eq!(failed_logins_key("acme", "ben")["SK"], s("GUARD"));
        assert_eq!(audit_key("AUDIT#acme", "t#e")["SK"], s("t#e"));
        assert_eq!(key.len(), 2);
    }

    #[test]
    fn purge_shard_is_stable_and_spreads_over_every_shard() {
        assert_eq!(purge_shard("user-1"), purge_shard("user-1"));
        let shards: std::collections::BTreeSet<String> = (0..200)
            .map(|i| purge_shard(&format!("user-{i}")))
            .collect();
        let expected: std::collections::BTreeSet<String> =
            (0..PURGE_SHARDS).map(|i| format!("PURGE#{i}")).collect();
        assert_eq!(shards, expected);
    }
}
