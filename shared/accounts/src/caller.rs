//! Who acts: a signed-in person (a `Principal`, from an access token) or a tenant's directory
//! (a `DirectoryCredential`, from one of the tenant's directory tokens), and what the
//! snapshot proved of it (`Acting`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tenantry_policy::{Actor, Denial};
use tenantry_store::{ActorCheck, DirectoryTokenItem, UserItem};

use crate::error::Error;
use crate::input::{could_be_tenant_id, could_be_user_id};
use crate::records::AuditActor;
use crate::sessions::token_digest;
use crate::snapshot::Principal;
use crate::views::actor_of;

/// Every directory token starts with this, so that a secret scanner can recognise one.
pub const DIRECTORY_TOKEN_PREFIX: &str = "tdt_";

/// How audit events, `deleted_by` and the policy name a directory: by the token it used.
pub const DIRECTORY_ACTOR_PREFIX: &str = "directory:";

/// Who is calling, as claimed: checked against the table by every use case, on the same read
/// as its snapshot.
#[derive(Clone, Copy, Debug)]
pub enum Caller<'a> {
    Person(&'a Principal),
    Directory(&'a DirectoryCredential),
}

impl<'a> From<&'a Principal> for Caller<'a> {
    fn from(principal: &'a Principal) -> Caller<'a> {
        Caller::Person(principal)
    }
}

impl<'a> From<&'a DirectoryCredential> for Caller<'a> {
    fn from(credential: &'a DirectoryCredential) -> Caller<'a> {
        Caller::Directory(credential)
    }
}

/// A directory token as presented to one tenant's SCIM base URL. Its `Debug` shows no secret.
#[derive(Clone, PartialEq, Eq)]
pub struct DirectoryCredential {
    pub(crate) tenant_id: String,
    pub(crate) token_id: String,
    /// SHA-256 of the whole token, as the table keeps it.
    pub(crate) digest: String,
}

impl std::fmt::Debug for DirectoryCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectoryCredential")
            .field("tenant_id", &self.tenant_id)
            .field("token_id", &self.token_id)
            .finish_non_exhaustive()
    }
}

impl DirectoryCredential {
    /// `token` presented for `tenant_id`; `None` when it cannot be a directory token at all
    /// (answered like a wrong one). Whether it is one of that tenant's is for the snapshot.
    pub fn parse(tenant_id: &str, token: &str) -> Option<DirectoryCredential> {
        if !could_be_tenant_id(tenant_id) {
            return None;
        }
        let (token_id, secret) = token
            .strip_prefix(DIRECTORY_TOKEN_PREFIX)?
            .split_once('.')?;
        let secret_ok = URL_SAFE_NO_PAD
            .decode(secret)
            .is_ok_and(|bytes| bytes.len() == 32);
        (could_be_user_id(token_id) && secret_ok).then(|| DirectoryCredential {
            tenant_id: tenant_id.to_owned(),
            token_id: token_id.to_owned(),
            digest: token_digest(token),
        })
    }

    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The id of the token: what log lines name as the actor (never the secret).
    pub fn token_id(&self) -> &str {
        &self.token_id
    }
}

/// A fresh directory token for `token_id`, and its hash: `tdt_<token id>.<256 random bits>`.
pub(crate) fn new_directory_token(token_id: &str) -> (String, String) {
    let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let token = format!("{DIRECTORY_TOKEN_PREFIX}{token_id}.{secret}");
    let hashed = token_digest(&token);
    (token, hashed)
}

/// The caller, as the snapshot proved it: a person's live account, or a directory token of
/// the tenant that still exists.
#[derive(Clone, Debug)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per request, read once and passed by reference"
)]
pub(crate) enum Acting {
    Person(UserItem),
    Directory {
        token: DirectoryTokenItem,
        /// `directory:<token id>`: the actor's id in the policy and the audit log.
        id: String,
    },
}

impl Acting {
    pub(crate) fn directory(token: DirectoryTokenItem) -> Acting {
        let id = format!("{DIRECTORY_ACTOR_PREFIX}{}", token.id);
        Acting::Directory { token, id }
    }

    /// The id the policy compares targets with, and audit events and `deleted_by` name.
    pub(crate) fn id(&self) -> &str {
        match self {
            Acting::Person(user) => &user.id,
            Acting::Directory { id, .. } => id,
        }
    }

    /// The actor as the policy sees it.
    pub(crate) fn policy(&self) -> Result<Actor<'_>, Error> {
        match self {
            Acting::Person(user) => actor_of(user),
            Acting::Directory { token, id } => Ok(Actor::directory(id, &token.tenant_id)),
        }
    }

    /// What the commit checks of the actor: its item unchanged since the snapshot.
    pub(crate) fn check(&self) -> ActorCheck<'_> {
        match self {
            Acting::Person(user) => ActorCheck::of(user),
            Acting::Directory { token, .. } => ActorCheck::of_token(token),
        }
    }

    pub(crate) fn audit(&self) -> AuditActor<'_> {
        match self {
            Acting::Person(user) => AuditActor::user(user),
            Acting::Directory { token, id } => AuditActor {
                id,
                version: token.version,
            },
        }
    }

    /// The person acting, when it is one.
    pub(crate) fn person(&self) -> Option<&UserItem> {
        match self {
            Acting::Person(user) => Some(user),
            Acting::Directory { .. } => None,
        }
    }

    /// The person acting; a directory is refused what only people do.
    pub(crate) fn into_person(self) -> Result<UserItem, Error> {
        match self {
            Acting::Person(user) => Ok(user),
            Acting::Directory { .. } => Err(Error::Denied(Denial::DirectoryNotAllowed)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_token_parses_back_to_its_id_and_hash() {
        let id = "0199a000-0000-7000-8000-000000000000";
        let (token, hash) = new_directory_token(id);
        let credential = DirectoryCredential::parse("acme", &token).expect("a directory token");
        assert_eq!(credential.token_id(), id);
        assert_eq!(credential.tenant_id(), "acme");
        assert_eq!(credential.digest, hash);
        assert!(!format!("{credential:?}").contains(&hash));
        let (other, _) = new_directory_token(id);
        assert_ne!(token, other, "every token has its own secret");
    }

    #[test]
    fn what_cannot_be_a_directory_token_is_refused_before_any_read() {
        let id = "0199a000-0000-7000-8000-000000000000";
        let (token, _) = new_directory_token(id);
        let secret = token.split_once('.').map(|(_, s)| s).unwrap_or_default();
        for bad in [
            String::new(),
            "Bearer x".into(),
            token.replacen(DIRECTORY_TOKEN_PREFIX, "", 1),
            format!("{DIRECTORY_TOKEN_PREFIX}{id}"),
            format!("{DIRECTORY_TOKEN_PREFIX}{id}.{}", &secret[1..]),
            format!("{DIRECTORY_TOKEN_PREFIX}not an id.{secret}"),
            format!("{DIRECTORY_TOKEN_PREFIX}{id}.{secret}!"),
        ] {
            assert!(
                DirectoryCredential::parse("acme", &bad).is_none(),
                "{bad:?}"
            );
        }
    }
}
