//! The items of the table as Rust types. Attribute names here are the stored names.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::attrs::Item;
use crate::error::{StoreError, other};

pub(crate) fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(other)
}

/// Reads an item returned by DynamoDB (also used on cancellation reasons' items).
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(other)
}

/// A user account. `role` is the stored role name; the store gives it no meaning. Its
/// `Debug` withholds the password hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// What a directory (SCIM) says of the person besides the account; `None` for users made
    /// through the API. Personal data: never in audit events, gone with the purge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<Profile>,
    /// The directory deleted the user (SCIM `DELETE`): SCIM answers 404 for it from then on,
    /// while admins still see it in the trash. Set only on a deleted user; a restore clears it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub directory_deleted: bool,
}

/// A user's profile as a directory keeps it (SCIM `userName`, `externalId`, `name`,
/// `displayName`), stored as one map attribute and replaced whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The directory's own id for the person (SCIM `externalId`), compared exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    /// The username as the directory wrote it (`Ben.Ng@acme.test`); the account's
    /// `username` is its canonical form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl Profile {
    pub fn is_empty(&self) -> bool {
        *self == Profile::default()
    }
}

impl std::fmt::Debug for UserItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Destructured, so that a new field has to be placed here too.
        let UserItem {
            pk,
            sk,
            id,
            tenant_id,
            username,
            email,
            role,
            is_owner,
            version,
            token_epoch,
            password_hash: _,
            created_at,
            updated_at,
            deleted_at,
            deleted_by,
            purge_after,
            purge_shard,
            profile,
            directory_deleted,
        } = self;
        f.debug_struct("UserItem")
            .field("pk", pk)
            .field("sk", sk)
            .field("id", id)
            .field("tenant_id", tenant_id)
            .field("username", username)
            .field("email", email)
            .field("role", role)
            .field("is_owner", is_owner)
            .field("version", version)
            .field("token_epoch", token_epoch)
            .field("password_hash", &"<withheld>")
            .field("created_at", created_at)
            .field("updated_at", updated_at)
            .field("deleted_at", deleted_at)
            .field("deleted_by", deleted_by)
            .field("purge_after", purge_after)
            .field("purge_shard", purge_shard)
            .field("profile", profile)
            .field("directory_deleted", directory_deleted)
            .finish()
    }
}

impl UserItem {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The email as claimed (`keys::email_claim`), the key of its claim item.
    pub fn email_claim(&self) -> String {
        crate::keys::email_claim(&self.email)
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
    /// What the action changed: an object of ids, roles and times. An empty one is not
    /// stored (DynamoDB Local's stream renders an empty map as `{}`, which no SDK reads), and
    /// reads back as `{}`.
    #[serde(default = "empty_object", skip_serializing_if = "is_empty_object")]
    pub details: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

fn is_empty_object(value: &serde_json::Value) -> bool {
    value.as_object().is_some_and(serde_json::Map::is_empty)
}

/// A tenant's directory (SCIM) token. Only a hash of its secret is stored; its `Debug`
/// withholds even that. Revoking a token deletes its item.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryTokenItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub id: String,
    pub tenant_id: String,
    /// What the owner called it ("Entra ID", "Okta").
    pub name: String,
    /// SHA-256 (hex) of the whole token.
    pub secret_hash: String,
    /// Checked at commit by every write the token makes, like a user's version.
    pub version: u64,
    pub created_at: String,
    pub created_by: String,
    /// When the token last authenticated a request, to the minute (see `touch_directory_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

impl std::fmt::Debug for DirectoryTokenItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryTokenItem")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("name", &self.name)
            .field("version", &self.version)
            .field("created_at", &self.created_at)
            .field("created_by", &self.created_by)
            .field("last_used_at", &self.last_used_at)
            .finish_non_exhaustive()
    }
}

/// One login session: a refresh-token family. Only hashes of its refresh tokens are stored.
/// Its `Debug` withholds them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    /// The user's token epoch at login: once it moves on, the session is over.
    pub token_epoch: u64,
    /// SHA-256 (hex) of the refresh token that may be used next.
    pub refresh_hash: String,
    /// Hashes of the last refresh tokens exchanged (at most [`ROTATIONS_KEPT`], oldest
    /// first): presenting one again is a reuse. An older token is refused without revoking
    /// anything, as a guessed one is.
    #[serde(default)]
    pub rotated: Vec<String>,
    /// Refresh tokens exchanged so far.
    #[serde(default)]
    pub rotations: u64,
    pub created_at: String,
    pub refreshed_at: String,
    /// The family's absolute end: refreshing never extends it.
    pub expires_at: String,
    /// `expires_at` in epoch seconds, for DynamoDB TTL to clear the item some time later.
    /// Nothing relies on it: every read checks `expires_at` itself.
    pub expires: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// `logout`, or `reuse` when a rotated refresh token came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<String>,
}

impl std::fmt::Debug for SessionItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionItem")
            .field("id", &self.id)
            .field("tenant_id", &self.tenant_id)
            .field("user_id", &self.user_id)
            .field("token_epoch", &self.token_epoch)
            .field("rotations", &self.rotations)
            .field("expires_at", &self.expires_at)
            .field("revoked_at", &self.revoked_at)
            .field("revoked_reason", &self.revoked_reason)
            .finish_non_exhaustive()
    }
}

/// How many exchanged refresh token hashes a session keeps: a session refreshed every 5
/// minutes detects the reuse of any token of the last 2 hours 40 minutes.
pub const ROTATIONS_KEPT: usize = 32;

/// The failed-login counter of one tenant and username, whether or not such an account
/// exists, so that a lockout says nothing about existence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedLoginsItem {
    #[serde(rename = "PK")]
    pub pk: String,
    #[serde(rename = "SK")]
    pub sk: String,
    /// Attempts in a row within the counting window: failed ones, and ones whose password is
    /// still being checked (a right one takes its count back).
    pub failures: u32,
    /// When the last attempt was counted (the name predates counting before the check).
    pub last_failure_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<String>,
    /// Bumped by every write; every write names the version it read.
    pub version: u64,
    /// Epoch seconds after which DynamoDB TTL may clear the item (it no longer matters then).
    pub expires: u64,
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_audit_item_stores_no_empty_details_and_reads_them_back_as_an_object() {
        let mut audit = AuditItem {
            pk: "AUDIT#acme".into(),
            sk: "t#e1".into(),
            id: "e1".into(),
            at: "t".into(),
            tenant_id: "acme".into(),
            actor_id: "u1".into(),
            actor_version: 1,
            action: "user.restore".into(),
            target_id: "u2".into(),
            target_version: 2,
            details: serde_json::json!({}),
        };
        let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
            serde_dynamo::to_item(&audit).unwrap();
        assert!(!item.contains_key("details"));
        let back: AuditItem = serde_dynamo::from_item(item).unwrap();
        assert_eq!(back, audit);
        audit.details = serde_json::json!({"role": "user"});
        let item: std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> =
            serde_dynamo::to_item(&audit).unwrap();
        assert!(item.contains_key("details"));
        assert_eq!(
            serde_dynamo::from_item::<_, AuditItem>(item).unwrap(),
            audit
        );
    }

    use super::*;

    #[test]
    fn a_user_item_never_shows_its_password_hash() {
        let user = UserItem {
            pk: "TENANT#acme".into(),
            sk: "USER#u1".into(),
            id: "u1".into(),
            tenant_id: "acme".into(),
            username: "ben".into(),
            email: "ben@acme.test".into(),
            role: "user".into(),
            is_owner: false,
            version: 1,
            token_epoch: 1,
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            deleted_at: None,
            deleted_by: None,
            purge_after: None,
            purge_shard: None,
            profile: None,
            directory_deleted: false,
        };
        for text in [format!("{user:?}"), format!("{user:#?}")] {
            assert!(!text.contains("argon2"), "{text}");
            assert!(
                text.contains("password_hash") && text.contains("u1"),
                "{text}"
            );
        }
    }
}
