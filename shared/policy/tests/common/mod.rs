//! What the policy tests share: every action, and both values of a flag.

use tenantry_policy::{Action, ListScope, Role};

pub const ACTIONS: [Action; 22] = [
    Action::SetPassword,
    Action::Purge,
    Action::ConfigureTenant,
    Action::Delete,
    Action::Restore,
    Action::View,
    Action::Create(Role::SuperAdmin),
    Action::Create(Role::Admin),
    Action::Create(Role::Agent),
    Action::Create(Role::User),
    Action::List(ListScope::Active),
    Action::List(ListScope::Deleted),
    Action::List(ListScope::All),
    Action::CreateTenant,
    Action::ChangeRole(Role::SuperAdmin),
    Action::ChangeRole(Role::Admin),
    Action::ChangeRole(Role::Agent),
    Action::ChangeRole(Role::User),
    Action::ChangeEmail,
    Action::TransferOwnership,
    Action::ViewAudit,
    Action::ManageDirectoryTokens,
];

pub const BOOLS: [bool; 2] = [false, true];
