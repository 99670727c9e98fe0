//! A tenant's directory (SCIM) tokens. The owner or a super admin creates one (its secret is
//! shown once, and only its hash is kept), lists them, and revokes one. A directory calls the
//! tenant's SCIM endpoints with it, as an actor of its own (`Caller::Directory`).

use serde::Serialize;
use serde_json::json;
use tenantry_policy::Action;
use tenantry_store::{DirectoryTokenItem, DirectoryTokenKey, keys};

use crate::action::AuditAction;
use crate::caller::{Caller, new_directory_token};
use crate::clock;
use crate::error::Error;
use crate::input::{DirectoryTokenName, could_be_user_id};
use crate::mutation::{Claims, Decision};
use crate::records::{audit_item, new_id};
use crate::service::Accounts;
use crate::snapshot::{Principal, possible};

/// A directory token as listed: never its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DirectoryTokenView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub created_by: String,
    /// When it last authenticated a request, to the minute; absent if it never did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
}

impl From<&DirectoryTokenItem> for DirectoryTokenView {
    fn from(token: &DirectoryTokenItem) -> DirectoryTokenView {
        DirectoryTokenView {
            id: token.id.clone(),
            name: token.name.clone(),
            created_at: token.created_at.clone(),
            created_by: token.created_by.clone(),
            last_used_at: token.last_used_at.clone(),
        }
    }
}

/// A new directory token, with its secret: shown this once. Its `Debug` withholds the secret.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct NewDirectoryToken {
    #[serde(flatten)]
    pub view: DirectoryTokenView,
    /// The bearer token the directory sends (`tdt_<id>.<secret>`).
    pub token: String,
}

impl std::fmt::Debug for NewDirectoryToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewDirectoryToken")
            .field("view", &self.view)
            .finish_non_exhaustive()
    }
}

impl Accounts {
    /// Creates a directory token for the tenant, for its owner or a super admin.
    pub async fn create_directory_token(
        &self,
        principal: &Principal,
        tenant_id: &str,
        name: DirectoryTokenName,
    ) -> Result<NewDirectoryToken, Error> {
        possible(tenant_id, None)?;
        let caller = Caller::from(principal);
        let id = new_id();
        let (token, secret_hash) = new_directory_token(&id);
        let (id, name, secret_hash) = (&id, &name, &secret_hash);
        let created = self
            .mutate(Claims::None, move || async move {
                let (actor, tenant) = self
                    .tenant_snapshot(caller, tenant_id, Action::ManageDirectoryTokens)
                    .await?;
                if tenant.is_none() {
                    return Err(Error::TenantNotFound);
                }
                let now = clock::format(clock::now());
                let item = DirectoryTokenItem {
                    pk: keys::tenant_pk(tenant_id),
                    sk: keys::directory_token_sk(id),
                    id: id.clone(),
                    tenant_id: tenant_id.to_owned(),
                    name: name.as_str().to_owned(),
                    secret_hash: secret_hash.clone(),
                    version: 1,
                    created_at: now.clone(),
                    created_by: actor.id().to_owned(),
                    last_used_at: None,
                };
                let audit = audit_item(
                    &now,
                    tenant_id,
                    actor.audit(),
                    AuditAction::DirectoryTokenCreate,
                    (id, 0),
                    json!({ "name": name.as_str() }),
                );
                let tx = self
                    .store
                    .create_directory_token(&actor.check(), &item, &audit)?;
                Ok(Decision::Commit(tx, DirectoryTokenView::from(&item)))
            })
            .await?;
        Ok(NewDirectoryToken {
            view: created,
            token,
        })
    }

    /// The tenant's directory tokens, oldest first, for its owner or a super admin.
    pub async fn list_directory_tokens(
        &self,
        principal: &Principal,
        tenant_id: &str,
    ) -> Result<Vec<DirectoryTokenView>, Error> {
        possible(tenant_id, None)?;
        let (_, tokens) = self
            .tenant_page(
                principal.into(),
                tenant_id,
                Action::ManageDirectoryTokens,
                self.store.list_directory_tokens(tenant_id),
            )
            .await?;
        Ok(tokens.iter().map(DirectoryTokenView::from).collect())
    }

    /// Revokes a directory token at once: the directory's next request answers 401, and a
    /// write it has under way fails its actor check. Revoking it again answers 404.
    pub async fn revoke_directory_token(
        &self,
        principal: &Principal,
        tenant_id: &str,
        token_id: &str,
    ) -> Result<DirectoryTokenView, Error> {
        possible(tenant_id, None)?;
        if !could_be_user_id(token_id) {
            return Err(Error::DirectoryTokenNotFound);
        }
        let caller = Caller::from(principal);
        self.mutate(Claims::None, move || async move {
            let key = DirectoryTokenKey {
                tenant_id,
                token_id,
            };
            let (snapshot, token) = tokio::join!(
                self.tenant_snapshot(caller, tenant_id, Action::ManageDirectoryTokens),
                self.store.get_directory_token(key),
            );
            let (actor, tenant) = snapshot?;
            if tenant.is_none() {
                return Err(Error::TenantNotFound);
            }
            let token = token?.ok_or(Error::DirectoryTokenNotFound)?;
            let now = clock::format(clock::now());
            let audit = audit_item(
                &now,
                tenant_id,
                actor.audit(),
                AuditAction::DirectoryTokenRevoke,
                (&token.id, token.version),
                json!({ "name": token.name }),
            );
            let tx = self
                .store
                .revoke_directory_token(&actor.check(), &token, &audit)?;
            Ok(Decision::Commit(tx, DirectoryTokenView::from(&token)))
        })
        .await
    }
}
