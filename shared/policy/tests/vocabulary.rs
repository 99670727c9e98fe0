//! The words of the policy: role names and denial codes, both part of the API contract.

use std::collections::HashSet;

use tenantry_policy::{Denial, Role};

mod common;

/// Exhaustive matches: adding a variant without listing it in `ALL` breaks the build here.
fn denial_index(denial: Denial) -> usize {
    match denial {
        Denial::NotFound => 0,
        Denial::CannotDeleteSelf => 1,
        Denial::CannotRestoreSelf => 2,
        Denial::OwnerProtected => 3,
        Denial::AdminCannotDeleteAdmin => 4,
        Denial::RequiresSuperAdmin => 5,
        Denial::RequiresOwner => 6,
        Denial::SuperAdminProtected => 7,
        Denial::CannotCreateSuperAdmin => 8,
        Denial::InsufficientRole => 9,
        Denial::CannotChangeOwnRole => 10,
        Denial::AdminCannotChangeAdmin => 11,
        Denial::CannotGrantSuperAdmin => 12,
        Denial::UserDeleted => 13,
        Denial::AlreadyOwner => 14,
        Denial::NewOwnerNotAdmin => 15,
        Denial::DirectoryNotAllowed => 16,
    }
}

fn role_index(role: Role) -> usize {
    match role {
        Role::SuperAdmin => 0,
        Role::Admin => 1,
        Role::Agent => 2,
        Role::User => 3,
    }
}

fn is_snake_case(code: &str) -> bool {
    !code.is_empty()
        && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        && !code.starts_with('_')
        && !code.ends_with('_')
        && !code.contains("__")
}

#[test]
fn denial_all_lists_every_denial_once() {
    let indexes: HashSet<usize> = Denial::ALL.into_iter().map(denial_index).collect();
    assert_eq!(indexes, (0..17).collect());
    assert_eq!(Denial::ALL.len(), 17);
}

/// The codes are part of the API contract: clients match on them, so they are spelled out
/// here literally rather than derived from the variant names.
#[test]
fn every_denial_has_the_code_of_the_contract() {
    let contract = [
        (Denial::NotFound, "not_found"),
        (Denial::CannotDeleteSelf, "cannot_delete_self"),
        (Denial::CannotRestoreSelf, "cannot_restore_self"),
        (Denial::OwnerProtected, "owner_protected"),
        (Denial::AdminCannotDeleteAdmin, "admin_cannot_delete_admin"),
        (Denial::RequiresSuperAdmin, "requires_super_admin"),
        (Denial::RequiresOwner, "requires_owner"),
        (Denial::SuperAdminProtected, "super_admin_protected"),
        (Denial::CannotCreateSuperAdmin, "cannot_create_super_admin"),
        (Denial::InsufficientRole, "insufficient_role"),
        (Denial::CannotChangeOwnRole, "cannot_change_own_role"),
        (Denial::AdminCannotChangeAdmin, "admin_cannot_change_admin"),
        (Denial::CannotGrantSuperAdmin, "cannot_grant_super_admin"),
        (Denial::UserDeleted, "user_deleted"),
        (Denial::AlreadyOwner, "already_owner"),
        (Denial::NewOwnerNotAdmin, "new_owner_not_admin"),
        (Denial::DirectoryNotAllowed, "directory_not_allowed"),
    ];
    let listed: HashSet<usize> = contract.iter().map(|(d, _)| denial_index(*d)).collect();
    assert_eq!(
        listed.len(),
        Denial::ALL.len(),
        "the contract lists every denial once"
    );
    for (denial, code) in contract {
        assert_eq!(denial.code(), code, "{denial:?}");
    }
}

#[test]
fn exactly_the_refusals_about_the_targets_state_are_conflicts() {
    let conflicts = [
        Denial::UserDeleted,
        Denial::AlreadyOwner,
        Denial::NewOwnerNotAdmin,
    ];
    for denial in Denial::ALL {
        assert_eq!(
            denial.is_conflict(),
            conflicts.contains(&denial),
            "{denial:?}"
        );
        // A 409 is never a 404 in disguise.
        assert!(
            !(denial.is_conflict() && denial.is_not_found()),
            "{denial:?}"
        );
    }
    assert_eq!(
        Denial::ALL.into_iter().filter(|d| d.is_conflict()).count(),
        3
    );
}

#[test]
fn the_owner_protection_names_both_deletion_and_demotion() {
    let message = Denial::OwnerProtected.message();
    assert!(message.contains("deleted"), "{message:?}");
    assert!(message.contains("demoted"), "{message:?}");
}

#[test]
fn every_denial_has_a_unique_snake_case_code_and_a_sentence() {
    let mut codes = HashSet::new();
    for denial in Denial::ALL {
        let code = denial.code();
        assert!(is_snake_case(code), "{denial:?} has code {code:?}");
        assert!(codes.insert(code), "code {code:?} is used twice");

        let message = denial.message();
        assert!(
            message.starts_with(|c: char| c.is_ascii_uppercase()),
            "{denial:?}: {message:?} does not start a sentence"
        );
        assert!(
            message.ends_with('.'),
            "{denial:?}: {message:?} does not end with a period"
        );
        assert!(message.len() > 1, "{denial:?} has an empty message");
        assert_eq!(denial.to_string(), message);
    }
    assert_eq!(codes.len(), Denial::ALL.len());
}

#[test]
fn only_not_found_is_answered_as_not_found() {
    for denial in Denial::ALL {
        assert_eq!(
            denial.is_not_found(),
            denial == Denial::NotFound,
            "{denial:?}"
        );
    }
    assert_eq!(Denial::NotFound.code(), "not_found");
}

#[test]
fn every_role_parses_back_from_its_name() {
    let indexes: HashSet<usize> = Role::ALL.into_iter().map(role_index).collect();
    assert_eq!(indexes, (0..4).collect());
    for role in Role::ALL {
        assert_eq!(Role::parse(role.as_str()), Some(role));
        assert_eq!(role.to_string(), role.as_str());
    }
    assert_eq!(
        Role::ALL.map(Role::as_str),
        ["super_admin", "admin", "agent", "user"]
    );
}

#[test]
fn owner_is_not_a_role() {
    assert_eq!(Role::parse("owner"), None);
    assert_eq!(Role::parse(""), None);
    assert_eq!(Role::parse("Admin"), None);
    assert_eq!(Role::parse("super-admin"), None);
}

/// Action names are the API's (`allowed_actions`): one per kind of action (a listing's per
/// scope), stable, snake_case; the role of `Create` and `ChangeRole` goes beside the name.
#[test]
fn action_names_are_unique_per_kind_and_carry_their_role_apart() {
    use tenantry_policy::{Action, ListScope};
    let mut kinds: std::collections::HashMap<&str, std::mem::Discriminant<Action>> =
        std::collections::HashMap::new();
    for action in common::ACTIONS {
        let name = action.name();
        assert!(
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{name}"
        );
        let kind = std::mem::discriminant(&action);
        assert_eq!(
            *kinds.entry(name).or_insert(kind),
            kind,
            "{name} names two kinds"
        );
        let role = match action {
            Action::Create(role) | Action::ChangeRole(role) => Some(role),
            _ => None,
        };
        assert_eq!(action.role(), role, "{action:?}");
    }
    assert_eq!(kinds.len(), 16);
    assert_eq!(Action::List(ListScope::Active).name(), "list");
    assert_eq!(Action::List(ListScope::Deleted).name(), "list_deleted");
    assert_eq!(Action::ChangeRole(Role::Agent).name(), "change_role");
}

/// What a console offers on a user follows its state alone, each action once: a deleted user
/// is restored or purged; an active one deleted, given each other role (never super admin),
/// a new email or password, or the tenant.
#[test]
fn the_offered_actions_follow_the_state_of_the_user() {
    use tenantry_policy::{Action, Member, offered_actions};
    for role in Role::ALL {
        for is_owner in common::BOOLS {
            for deleted in common::BOOLS {
                let member = Member {
                    id: "u",
                    tenant_id: "acme",
                    role,
                    is_owner,
                    deleted,
                };
                let offered = offered_actions(&member);
                let unique: HashSet<String> = offered.iter().map(|a| format!("{a:?}")).collect();
                assert_eq!(unique.len(), offered.len(), "{offered:?}");
                if deleted {
                    assert_eq!(offered, [Action::Restore, Action::Purge]);
                    continue;
                }
                let roles: Vec<Role> = offered.iter().filter_map(|a| a.role()).collect();
                let others: Vec<Role> = [Role::Admin, Role::Agent, Role::User]
                    .into_iter()
                    .filter(|r| *r != role)
                    .collect();
                assert_eq!(roles, others, "{role:?}");
                assert_eq!(offered[0], Action::Delete);
                assert_eq!(
                    offered[offered.len() - 3..],
                    [
                        Action::ChangeEmail,
                        Action::SetPassword,
                        Action::TransferOwnership
                    ]
                );
                assert_eq!(offered.len(), 4 + others.len());
            }
        }
    }
}
