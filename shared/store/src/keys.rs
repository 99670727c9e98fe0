//! Every key of the single table, built in one place (see the table in docs/design.md).

/// Number of partitions the sparse purge index is spread over.
pub const PURGE_SHARDS: u32 = 8;

/// The sparse index only deleted users carry: partition `purge_shard`, sort `purge_after`.
pub const PURGE_INDEX: &str = "purge";

pub const TENANT_SK: &str = "TENANT";
pub const CLAIM_SK: &str = "CLAIM";
pub const USER_SK_PREFIX: &str = "USER#";
pub const SESSION_SK: &str = "SESSION";
pub const LOGIN_GUARD_SK: &str = "GUARD";

pub fn tenant_pk(tenant_id: &str) -> String {
    format!("TENANT#{tenant_id}")
}

pub fn user_sk(user_id: &str) -> String {
    format!("{USER_SK_PREFIX}{user_id}")
}

/// `normalized` is the canonical username (NFKC + lowercase), never the raw input.
pub fn username_claim_pk(tenant_id: &str, normalized: &str) -> String {
    format!("USERNAME#{tenant_id}#{normalized}")
}

/// `normalized` is the canonical email (lowercase).
pub fn email_claim_pk(tenant_id: &str, normalized: &str) -> String {
    format!("EMAIL#{tenant_id}#{normalized}")
}

pub fn session_pk(session_id: &str) -> String {
    format!("SESSION#{session_id}")
}

/// `normalized` is the canonical username: one guard per name a login can ask for.
pub fn login_guard_pk(tenant_id: &str, normalized: &str) -> String {
    format!("LOGIN#{tenant_id}#{normalized}")
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
        assert_eq!(login_guard_pk("acme", "ben"), "LOGIN#acme#ben");
        assert_eq!(
            audit_sk("2026-01-02T03:04:05.006Z", "e1"),
            "2026-01-02T03:04:05.006Z#e1"
        );
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
