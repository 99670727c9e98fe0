//! The items of the table as Rust types. Attribute names here are the stored names.

use serde::{Deserialize, Serialize};

/// A user account. `role` is the stored role name; the store gives it no meaning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub id: String,
    pub tenant_id: String,
    /// Canonical (normalized) username; it is also the claim key.
    pub username: String,
    pub email: String,
    pub role: String,
    pub is_owner: bool,
    /// Bumped by every write; every conditional write names the version it read.
    pub version: u64,
    /// Bumped when every session must die (delete); tokens carry the epoch they were issued at.
    pub token_epoch: u64,
    pub password_hash: String,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_after: Option<String>,
    /// Present only while deleted: the partition key of the sparse purge index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purge_shard: Option<String>,
}

impl UserItem {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The email as claimed (lowercase), the key of its claim item.
    pub fn email_claim(&self) -> String {
        self.email.to_lowercase()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub id: String,
    pub name: String,
    pub owner_id: String,
    pub retention_days: u32,
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// A username or email claim: the item that makes the value unique within a tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub tenant_id: String,
    pub user_id: String,
}

/// One committed mutation, written in the same transaction as the mutation itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub id: String,
    pub at: String,
    pub tenant_id: String,
    pub actor_id: String,
    /// The version of the actor's item the decision was made on (and checked at commit).
    pub actor_version: u64,
    pub action: String,
    pub target_id: String,
    /// The version of the target before this write (0 for a creation).
    pub target_version: u64,
    #[serde(default)]
    pub details: serde_json::Value,
}
