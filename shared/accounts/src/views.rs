//! What the API shows of accounts. Never a password hash, never an epoch.

use serde::Serialize;
use tenantry_policy::{
    Action, Actor, ActorKind, Member, OFFERED_ON_TENANTS, Role, Target, decide, offered_actions,
};
use tenantry_store::{AuditItem, TenantItem, UserItem};

use crate::error::Error;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserView {
    pub id: String,
    pub tenant_id: String,
    pub username: String,
    pub email: String,
    pub role: String,
    pub is_owner: bool,
    /// `active` or `deleted`.
    pub state: &'static str,
    pub created_at: String,
    pub updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restorable_until: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purge_after: Option<String>,
    /// What the tenant's directory says of the person (SCIM), for users it provisioned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileView>,
    /// What the caller may do to this user now, as the policy decides it: the actions
    /// [`offered_actions`] lists for the user's state, each allowed or refused with a reason.
    pub allowed_actions: Vec<AllowedAction>,
}

/// One action on a user or a tenant, decided for the caller: allowed, or refused with the
/// denial's code and sentence (those the API would answer if the caller tried).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AllowedAction {
    pub action: &'static str,
    /// The role a `change_role` gives or a `create` creates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<&'static str>,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<&'static str>,
}

impl AllowedAction {
    /// `decide`'s answer for `action`, as the API shows it.
    pub fn decided(viewer: &Actor, action: Action, target: &Target) -> AllowedAction {
        let denial = decide(viewer, action, target).err();
        AllowedAction {
            action: action.name(),
            role: action.role().map(Role::as_str),
            allowed: denial.is_none(),
            code: denial.map(|d| d.code()),
            detail: denial.map(|d| d.message()),
        }
    }
}

/// A directory's profile of a user, as the API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProfileView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl UserView {
    /// The user as `viewer` sees it: its details, and what `viewer` may do to it.
    pub fn seen_by(user: &UserItem, viewer: &Actor) -> Result<UserView, Error> {
        let member = member_of(user)?;
        let target = Target::User(member);
        Ok(UserView {
            id: user.id.clone(),
            tenant_id: user.tenant_id.clone(),
            username: user.username.clone(),
            email: user.email.clone(),
            role: user.role.clone(),
            is_owner: user.is_owner,
            state: if user.is_deleted() {
                "deleted"
            } else {
                "active"
            },
            created_at: user.created_at.clone(),
            updated_at: user.updated_at.clone(),
            deleted_at: user.deleted_at.clone(),
            deleted_by: user.deleted_by.clone(),
            restorable_until: user.purge_after.clone(),
            purge_after: user.purge_after.clone(),
            profile: user.profile.as_ref().map(|p| ProfileView {
                external_id: p.external_id.clone(),
                given_name: p.given_name.clone(),
                family_name: p.family_name.clone(),
                display_name: p.display_name.clone(),
            }),
            allowed_actions: offered_actions(&member)
                .into_iter()
                .map(|action| AllowedAction::decided(viewer, action, &target))
                .collect(),
        })
    }
}

/// The honest answer to a delete: what happened, until when it can be undone, when it is final.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeletionView {
    pub id: String,
    pub state: &'static str,
    pub deleted_at: String,
    pub restorable_until: String,
    pub purge_after: String,
    pub sessions_revoked: bool,
}

impl DeletionView {
    pub(crate) fn of(user: &UserItem) -> Result<DeletionView, Error> {
        match (&user.deleted_at, &user.purge_after) {
            (Some(deleted_at), Some(purge_after)) => Ok(DeletionView {
                id: user.id.clone(),
                state: "deleted",
                deleted_at: deleted_at.clone(),
                restorable_until: purge_after.clone(),
                purge_after: purge_after.clone(),
                sessions_revoked: true,
            }),
            _ => Err(Error::Internal(format!("user {} is not deleted", user.id))),
        }
    }
}

/// The answer to a purge: the account is gone for good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurgedView {
    pub id: String,
    /// Always `purged`.
    pub state: &'static str,
    pub purged_at: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TenantView {
    pub id: String,
    pub name: String,
    pub owner_id: String,
    pub retention_days: u32,
    pub created_at: String,
    pub updated_at: String,
    /// What the caller may do in the tenant: [`OFFERED_ON_TENANTS`]. Handing it over is asked
    /// of the new owner (a user's `transfer_ownership`).
    pub allowed_actions: Vec<AllowedAction>,
}

impl TenantView {
    /// The tenant as `viewer` sees it.
    pub fn seen_by(t: &TenantItem, viewer: &Actor) -> TenantView {
        let target = Target::Tenant(&t.id);
        TenantView {
            id: t.id.clone(),
            name: t.name.clone(),
            owner_id: t.owner_id.clone(),
            retention_days: t.retention_days,
            created_at: t.created_at.clone(),
            updated_at: t.updated_at.clone(),
            allowed_actions: OFFERED_ON_TENANTS
                .into_iter()
                .map(|action| AllowedAction::decided(viewer, action, &target))
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserPage {
    pub items: Vec<UserView>,
    pub next_cursor: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CreatedTenant {
    pub tenant: TenantView,
    pub owner: UserView,
}

/// The answer to an ownership transfer: the tenant and both users, as they are now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OwnershipView {
    pub tenant: TenantView,
    pub previous_owner: UserView,
    pub new_owner: UserView,
}

/// One audit event. Ids, roles and times only: no personal data.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEventView {
    pub id: String,
    pub at: String,
    pub actor_id: String,
    pub action: String,
    pub target_id: String,
    pub details: serde_json::Value,
}

impl From<&AuditItem> for AuditEventView {
    fn from(e: &AuditItem) -> AuditEventView {
        AuditEventView {
            id: e.id.clone(),
            at: e.at.clone(),
            actor_id: e.actor_id.clone(),
            action: e.action.clone(),
            target_id: e.target_id.clone(),
            details: e.details.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditPage {
    pub items: Vec<AuditEventView>,
    pub next_cursor: Option<String>,
}

pub(crate) fn role_of(user: &UserItem) -> Result<Role, Error> {
    Role::parse(&user.role).ok_or_else(|| {
        Error::Internal(format!("user {} has unknown role {:?}", user.id, user.role))
    })
}

pub(crate) fn actor_of(user: &UserItem) -> Result<Actor<'_>, Error> {
    Ok(Actor {
        id: &user.id,
        tenant_id: &user.tenant_id,
        role: role_of(user)?,
        is_owner: user.is_owner,
        kind: ActorKind::Person,
    })
}

pub(crate) fn member_of(user: &UserItem) -> Result<Member<'_>, Error> {
    Ok(Member {
        id: &user.id,
        tenant_id: &user.tenant_id,
        role: role_of(user)?,
        is_owner: user.is_owner,
        deleted: user.is_deleted(),
    })
}
