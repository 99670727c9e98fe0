//! Every permission rule of tenantry, as pure functions: who may do what to whom.
//! No I/O, no clock, no AWS types: `decide` answers from a snapshot and nothing else.

use std::fmt;

/// Roles, highest first. `super_admin` is platform-wide; the others belong to one tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    SuperAdmin,
    Admin,
    Agent,
    User,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::SuperAdmin, Role::Admin, Role::Agent, Role::User];

    /// The wire and storage name (`super_admin`, `admin`, `agent`, `user`).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::Admin => "admin",
            Role::Agent => "agent",
            Role::User => "user",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Admins and super admins manage accounts; agents and users do not.
    fn manages(self) -> bool {
        matches!(self, Role::SuperAdmin | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The authenticated caller, as read from the table (never from the token).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub role: Role,
    pub is_owner: bool,
    pub kind: ActorKind,
}

/// Who stands behind an actor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// A member of a tenant (or a super admin), signed in.
    Person,
    /// A tenant's directory (Microsoft Entra ID, Okta...) calling through SCIM with one of the
    /// tenant's directory tokens. It has the ranks of an admin who is not the owner, and it
    /// only provisions: see [`Action::for_directories`].
    Directory,
}

impl<'a> Actor<'a> {
    /// A tenant's directory, acting with the token `token_id`. Whatever `role` and `is_owner`
    /// a directory actor carries, `decide` reads it as an admin who is not the owner.
    pub fn directory(token_id: &'a str, tenant_id: &'a str) -> Actor<'a> {
        Actor {
            id: token_id,
            tenant_id,
            role: Role::Admin,
            is_owner: false,
            kind: ActorKind::Directory,
        }
    }
}

/// A user acted upon, as read in the snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member<'a> {
    pub id: &'a str,
    pub tenant_id: &'a str,
    pub role: Role,
    pub is_owner: bool,
    pub deleted: bool,
}

/// What a user listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ListScope {
    /// Active users only (the default).
    Active,
    /// The tenant's trash.
    Deleted,
    /// Both.
    All,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create a tenant (target: the new tenant).
    CreateTenant,
    /// Create a user with this role (target: the tenant).
    Create(Role),
    /// List a tenant's users (target: the tenant).
    List(ListScope),
    /// Read one user (target: the user).
    View,
    /// Soft-delete a user (target: the user). Deleting an already deleted user is allowed
    /// to whoever could delete it, so a repeated DELETE answers the same deletion.
    Delete,
    /// Undo a soft delete (target: the user).
    Restore,
    /// Give a user another role (target: the user). Asked only when the role really changes.
    ChangeRole(Role),
    /// Change a user's email (target: the user). Asked only when the email really changes.
    ChangeEmail,
    /// Make the target the tenant's owner, in place of the current one (target: the new owner).
    TransferOwnership,
    /// Read a tenant's audit log (target: the tenant).
    ViewAudit,
    /// Purge a deleted user now, for good (target: the user). Whoever may delete a user may
    /// purge it; that it is deleted already is the caller's to check (409 `not_deleted`).
    Purge,
    /// Change a tenant's settings, such as its retention (target: the tenant).
    ConfigureTenant,
    /// Set a user's password (target: the user). Your own is allowed here (the caller then
    /// checks your current password); anyone else's follows the rank logic of delete.
    SetPassword,
    /// Create, list or revoke a tenant's directory (SCIM) tokens (target: the tenant).
    ManageDirectoryTokens,
}

impl Action {
    /// The action's name where the API shows it (a user's `allowed_actions`); the role of
    /// `Create` and `ChangeRole` is shown beside it.
    pub fn name(self) -> &'static str {
        match self {
            Action::CreateTenant => "create_tenant",
            Action::Create(_) => "create",
            Action::List(ListScope::Active) => "list",
            Action::List(ListScope::Deleted) => "list_deleted",
            Action::List(ListScope::All) => "list_all",
            Action::View => "view",
            Action::Delete => "delete",
            Action::Restore => "restore",
            Action::ChangeRole(_) => "change_role",
            Action::ChangeEmail => "change_email",
            Action::TransferOwnership => "transfer_ownership",
            Action::ViewAudit => "view_audit",
            Action::Purge => "purge",
            Action::ConfigureTenant => "configure_tenant",
            Action::SetPassword => "set_password",
            Action::ManageDirectoryTokens => "manage_directory_tokens",
        }
    }

    /// The role a `Create` or `ChangeRole` names.
    pub fn role(self) -> Option<Role> {
        match self {
            Action::Create(role) | Action::ChangeRole(role) => Some(role),
            _ => None,
        }
    }

    /// What a directory may ask for: it provisions (creates, reads, changes, deactivates and
    /// deletes users and agents, and restores them). Purging for good, the audit log, the
    /// tenant's settings, its ownership and its directory tokens stay with people.
    pub fn for_directories(self) -> bool {
        match self {
            Action::Create(_)
            | Action::List(_)
            | Action::View
            | Action::Delete
            | Action::Restore
            | Action::ChangeRole(_)
            | Action::ChangeEmail
            | Action::SetPassword => true,
            Action::CreateTenant
            | Action::TransferOwnership
            | Action::ViewAudit
            | Action::Purge
            | Action::ConfigureTenant
            | Action::ManageDirectoryTokens => false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target<'a> {
    /// A tenant, by id.
    Tenant(&'a str),
    /// A user.
    User(Member<'a>),
}

impl<'a> Target<'a> {
    fn tenant_id(&self) -> &'a str {
        match self {
            Target::Tenant(id) => id,
            Target::User(m) => m.tenant_id,
        }
    }
}

/// Why an action is refused. Each variant has a stable machine code and a sentence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Denial {
    /// The target is outside the actor's reach and must look as if it did not exist
    /// (another tenant, or a deleted user seen by an agent or user). Answered as 404.
    NotFound,
    CannotDeleteSelf,
    CannotRestoreSelf,
    OwnerProtected,
    AdminCannotDeleteAdmin,
    RequiresSuperAdmin,
    RequiresOwner,
    SuperAdminProtected,
    CannotCreateSuperAdmin,
    InsufficientRole,
    CannotChangeOwnRole,
    AdminCannotChangeAdmin,
    CannotGrantSuperAdmin,
    /// The target is in the trash: restore it before changing it. Answered as 409.
    UserDeleted,
    /// The target already owns the tenant. Answered as 409.
    AlreadyOwner,
    /// Only an active admin can become the owner. Answered as 409.
    NewOwnerNotAdmin,
    /// A directory token asked for something only people do.
    DirectoryNotAllowed,
}

impl Denial {
    pub const ALL: [Denial; 17] = [
        Denial::NotFound,
        Denial::CannotDeleteSelf,
        Denial::CannotRestoreSelf,
        Denial::OwnerProtected,
        Denial::AdminCannotDeleteAdmin,
        Denial::RequiresSuperAdmin,
        Denial::RequiresOwner,
        Denial::SuperAdminProtected,
        Denial::CannotCreateSuperAdmin,
        Denial::InsufficientRole,
        Denial::CannotChangeOwnRole,
        Denial::AdminCannotChangeAdmin,
        Denial::CannotGrantSuperAdmin,
        Denial::UserDeleted,
        Denial::AlreadyOwner,
        Denial::NewOwnerNotAdmin,
        Denial::DirectoryNotAllowed,
    ];

    /// Stable machine code, part of the API contract.
    pub fn code(self) -> &'static str {
        match self {
            Denial::NotFound => "not_found",
            Denial::CannotDeleteSelf => "cannot_delete_self",
            Denial::CannotRestoreSelf => "cannot_restore_self",
            Denial::OwnerProtected => "owner_protected",
            Denial::AdminCannotDeleteAdmin => "admin_cannot_delete_admin",
            Denial::RequiresSuperAdmin => "requires_super_admin",
            Denial::RequiresOwner => "requires_owner",
            Denial::SuperAdminProtected => "super_admin_protected",
            Denial::CannotCreateSuperAdmin => "cannot_create_super_admin",
            Denial::InsufficientRole => "insufficient_role",
            Denial::CannotChangeOwnRole => "cannot_change_own_role",
            Denial::AdminCannotChangeAdmin => "admin_cannot_change_admin",
            Denial::CannotGrantSuperAdmin => "cannot_grant_super_admin",
            Denial::UserDeleted => "user_deleted",
            Denial::AlreadyOwner => "already_owner",
            Denial::NewOwnerNotAdmin => "new_owner_not_admin",
            Denial::DirectoryNotAllowed => "directory_not_allowed",
        }
    }

    /// A sentence for a person.
    pub fn message(self) -> &'static str {
        match self {
            Denial::NotFound => "No such resource.",
            Denial::CannotDeleteSelf => "You cannot delete your own account.",
            Denial::CannotRestoreSelf => "You cannot restore your own account.",
            Denial::OwnerProtected => {
                "The tenant owner cannot be deleted, demoted or have their password reset. Transfer ownership to another admin first."
            }
            Denial::AdminCannotDeleteAdmin => {
                "Admins cannot delete other admins. Only a super admin can."
            }
            Denial::RequiresSuperAdmin => "Only a super admin can do this.",
            Denial::RequiresOwner => "Only the tenant owner or a super admin can do this.",
            Denial::SuperAdminProtected => {
                "Super admins cannot be managed through the API; an operator must do it."
            }
            Denial::CannotCreateSuperAdmin => "Super admins cannot be created through the API.",
            Denial::InsufficientRole => "Your role does not allow this action.",
            Denial::CannotChangeOwnRole => "You cannot change your own role.",
            Denial::AdminCannotChangeAdmin => {
                "Admins cannot change another admin's role, email or password. Only a super admin can."
            }
            Denial::CannotGrantSuperAdmin => {
                "The super admin role cannot be granted through the API."
            }
            Denial::UserDeleted => "The account is deleted. Restore it before changing it.",
            Denial::AlreadyOwner => "This user already owns the tenant.",
            Denial::NewOwnerNotAdmin => {
                "Only an active admin can become the owner. Make the user an admin first."
            }
            Denial::DirectoryNotAllowed => {
                "A directory token provisions users and agents only. Purging, the audit log, the tenant's settings and its directory tokens are for the tenant's people."
            }
        }
    }

    /// True when the denial must be answered as if the target did not exist.
    pub fn is_not_found(self) -> bool {
        self == Denial::NotFound
    }

    /// True when the refusal is about the target's state, not the actor's rights (409, not 403).
    pub fn is_conflict(self) -> bool {
        matches!(
            self,
            Denial::UserDeleted | Denial::AlreadyOwner | Denial::NewOwnerNotAdmin
        )
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Denial {}

/// The actions a console offers on a tenant: add users of each role, see the trash and the
/// audit log, change the tenant's settings, manage its directory tokens. Whether each is
/// allowed is `decide`'s to answer.
pub const OFFERED_ON_TENANTS: [Action; 7] = [
    Action::Create(Role::Admin),
    Action::Create(Role::Agent),
    Action::Create(Role::User),
    Action::List(ListScope::Deleted),
    Action::ViewAudit,
    Action::ConfigureTenant,
    Action::ManageDirectoryTokens,
];

/// The actions a console offers on `target`, for its state, in the order it shows them: an
/// active user can be deleted, given another role, a new email or password, or the tenant; a
/// deleted one can be restored or purged. Whether each is allowed is `decide`'s to answer.
pub fn offered_actions(target: &Member) -> Vec<Action> {
    if target.deleted {
        return vec![Action::Restore, Action::Purge];
    }
    let mut offered = vec![Action::Delete];
    offered.extend(
        [Role::Admin, Role::Agent, Role::User]
            .into_iter()
            .filter(|role| *role != target.role)
            .map(Action::ChangeRole),
    );
    offered.extend([
        Action::ChangeEmail,
        Action::SetPassword,
        Action::TransferOwnership,
    ]);
    offered
}

/// Decides whether `actor` may perform `action` on `target`. Pure and total.
///
/// `Create`, `List`, `ViewAudit`, `ConfigureTenant` and `ManageDirectoryTokens` act on a
/// tenant; given a user target they act on that user's tenant. The other actions act on a
/// user; given a tenant target they find no one.
pub fn decide(actor: &Actor, action: Action, target: &Target) -> Result<(), Denial> {
    // A directory has the ranks of an admin who is not the owner, whatever else it carries.
    let directory = actor.kind == ActorKind::Directory;
    let as_admin;
    let actor = if directory {
        as_admin = Actor {
            role: Role::Admin,
            is_owner: false,
            ..*actor
        };
        &as_admin
    } else {
        actor
    };
    let super_admin = actor.role == Role::SuperAdmin;
    // A new tenant belongs to no one yet, so there is nothing to hide: refuse with a reason.
    if action == Action::CreateTenant {
        return require(super_admin, Denial::RequiresSuperAdmin);
    }
    // Tenancy comes next: outside your tenant nothing exists, not even a reason to refuse.
    if !super_admin && actor.tenant_id != target.tenant_id() {
        return Err(Denial::NotFound);
    }
    if directory && !action.for_directories() {
        return Err(Denial::DirectoryNotAllowed);
    }
    match (action, target) {
        (Action::CreateTenant, _) => require(super_admin, Denial::RequiresSuperAdmin),
        (Action::Create(role), _) => create(actor, role),
        (Action::List(ListScope::Active), _) => Ok(()),
        (Action::List(_) | Action::ViewAudit, _) => {
            require(actor.role.manages(), Denial::InsufficientRole)
        }
        (Action::ConfigureTenant | Action::ManageDirectoryTokens, _) => {
            require(super_admin || actor.is_owner, Denial::RequiresOwner)
        }
        (_, Target::Tenant(_)) => Err(Denial::NotFound),
        (_, Target::User(member)) => {
            // Deleted accounts are invisible to those who cannot manage accounts.
            if member.deleted && !actor.role.manages() {
                return Err(Denial::NotFound);
            }
            match action {
                Action::Delete | Action::Purge => delete(actor, member),
                Action::Restore => restore(actor, member),
                Action::ChangeRole(role) => change_role(actor, member, role),
                Action::ChangeEmail => change_email(actor, member),
                Action::TransferOwnership => transfer(actor, member),
                Action::SetPassword => set_password(actor, member),
                _ => Ok(()),
            }
        }
    }
}

fn require(ok: bool, denial: Denial) -> Result<(), Denial> {
    if ok { Ok(()) } else { Err(denial) }
}

fn create(actor: &Actor, role: Role) -> Result<(), Denial> {
    match role {
        Role::SuperAdmin => Err(Denial::CannotCreateSuperAdmin),
        _ if !actor.role.manages() => Err(Denial::InsufficientRole),
        Role::Admin => require(
            actor.role == Role::SuperAdmin || actor.is_owner,
            Denial::RequiresOwner,
        ),
        Role::Agent | Role::User => Ok(()),
    }
}

/// Where every action on another person starts: only managers act on others, and nobody
/// acts on a super admin through the API (peer protection; an operator command does).
fn acts_on_others(actor: &Actor, target: &Member) -> Result<(), Denial> {
    require(actor.role.manages(), Denial::InsufficientRole)?;
    require(target.role != Role::SuperAdmin, Denial::SuperAdminProtected)
}

/// Admins are acted on by super admins only; `denial` says so for the action at hand.
fn admins_by_super_admins(actor: &Actor, target: &Member, denial: Denial) -> Result<(), Denial> {
    require(
        target.role != Role::Admin || actor.role == Role::SuperAdmin,
        denial,
    )
}

fn delete(actor: &Actor, target: &Member) -> Result<(), Denial> {
    require(actor.id != target.id, Denial::CannotDeleteSelf)?;
    acts_on_others(actor, target)?;
    require(!target.is_owner, Denial::OwnerProtected)?;
    admins_by_super_admins(actor, target, Denial::AdminCannotDeleteAdmin)
}

/// Restore follows the rank logic of delete: you may bring back whom you may remove.
/// The owner is never deleted, so restoring one only happens after an operator's fix;
/// it is left to super admins like any admin.
fn restore(actor: &Actor, target: &Member) -> Result<(), Denial> {
    require(actor.id != target.id, Denial::CannotRestoreSelf)?;
    acts_on_others(actor, target)?;
    admins_by_super_admins(actor, target, Denial::RequiresSuperAdmin)
}

/// Role changes follow the rank logic of delete: nobody changes their own role, nobody
/// grants super admin, the owner keeps its role until ownership moves, only super admins
/// change admins, and only the owner or a super admin makes someone an admin.
fn change_role(actor: &Actor, target: &Member, role: Role) -> Result<(), Denial> {
    require(actor.id != target.id, Denial::CannotChangeOwnRole)?;
    acts_on_others(actor, target)?;
    require(role != Role::SuperAdmin, Denial::CannotGrantSuperAdmin)?;
    require(!target.is_owner, Denial::OwnerProtected)?;
    admins_by_super_admins(actor, target, Denial::AdminCannotChangeAdmin)?;
    if role == Role::Admin {
        require(
            actor.role == Role::SuperAdmin || actor.is_owner,
            Denial::RequiresOwner,
        )?;
    }
    unless_deleted_or_by_directory(actor, target)
}

/// A deleted user's details wait for a restore; but its directory, the source of truth it
/// mirrors, keeps them in sync while the user is inactive (the purge takes them all the same).
fn unless_deleted_or_by_directory(actor: &Actor, target: &Member) -> Result<(), Denial> {
    require(
        !target.deleted || actor.kind == ActorKind::Directory,
        Denial::UserDeleted,
    )
}

/// Everyone may change their own email; other people's follow the rank logic of delete,
/// except that a super admin may change the owner's.
fn change_email(actor: &Actor, target: &Member) -> Result<(), Denial> {
    if actor.id != target.id {
        acts_on_others(actor, target)?;
        admins_by_super_admins(actor, target, Denial::AdminCannotChangeAdmin)?;
    }
    unless_deleted_or_by_directory(actor, target)
}

/// Your own password is yours to change (proving the current one); resetting anyone else's
/// follows the rank logic of delete: not the owner's, and only super admins reset an admin's.
fn set_password(actor: &Actor, target: &Member) -> Result<(), Denial> {
    if actor.id != target.id {
        acts_on_others(actor, target)?;
        require(!target.is_owner, Denial::OwnerProtected)?;
        admins_by_super_admins(actor, target, Denial::AdminCannotChangeAdmin)?;
    }
    require(!target.deleted, Denial::UserDeleted)
}

/// Only the current owner or a super admin hands the tenant over, and only to an active
/// admin of it: every tenant has exactly one owner, and that owner is an active admin.
fn transfer(actor: &Actor, target: &Member) -> Result<(), Denial> {
    if !(actor.role == Role::SuperAdmin || actor.is_owner) {
        return Err(Denial::RequiresOwner);
    }
    if target.is_owner {
        return Err(Denial::AlreadyOwner);
    }
    if target.deleted {
        return Err(Denial::UserDeleted);
    }
    require(target.role == Role::Admin, Denial::NewOwnerNotAdmin)
}
