//! A few permission rules spelled out on their own, as examples that read like the rules.

mod common;

use common::{ACTIONS, BOOLS};
use tenantry_policy::{Action, Actor, ActorKind, Denial, ListScope, Member, Role, Target, decide};

// ---------------------------------------------------------------------------------------
// A few rules spelled out on their own
// ---------------------------------------------------------------------------------------

fn acme(role: Role, is_owner: bool) -> Actor<'static> {
    Actor {
        id: "actor",
        tenant_id: "acme",
        role,
        is_owner,
        kind: ActorKind::Person,
    }
}

fn acme_member(id: &'static str, role: Role, is_owner: bool, deleted: bool) -> Target<'static> {
    Target::User(Member {
        id,
        tenant_id: "acme",
        role,
        is_owner,
        deleted,
    })
}

#[test]
fn tenancy_is_checked_before_anything_but_create_tenant() {
    for role in [Role::Admin, Role::Agent, Role::User] {
        for is_owner in BOOLS {
            let actor = acme(role, is_owner);
            // Creating a tenant hides nothing: the refusal gives its reason.
            assert_eq!(
                decide(&actor, Action::CreateTenant, &Target::Tenant("globex")),
                Err(Denial::RequiresSuperAdmin)
            );
            for action in ACTIONS.into_iter().filter(|a| *a != Action::CreateTenant) {
                assert_eq!(
                    decide(&actor, action, &Target::Tenant("globex")),
                    Err(Denial::NotFound),
                    "{actor:?} {action:?} on another tenant"
                );
            }
        }
    }
    // Inside its own tenant, an admin creating a tenant gets a reason, not a 404.
    assert_eq!(
        decide(
            &acme(Role::Admin, true),
            Action::CreateTenant,
            &Target::Tenant("acme")
        ),
        Err(Denial::RequiresSuperAdmin)
    );
}

#[test]
fn deleted_users_are_invisible_to_agents_and_users_but_not_to_managers() {
    let deleted_user = acme_member("target", Role::User, false, true);
    for action in [Action::View, Action::Delete, Action::Restore] {
        for role in [Role::Agent, Role::User] {
            assert_eq!(
                decide(&acme(role, false), action, &deleted_user),
                Err(Denial::NotFound),
                "{role} {action:?} on a deleted user"
            );
        }
        assert_eq!(
            decide(&acme(Role::Admin, false), action, &deleted_user),
            Ok(())
        );
    }
}

#[test]
fn deleting_an_already_deleted_user_is_decided_like_the_first_delete() {
    for actor_role in [Role::SuperAdmin, Role::Admin] {
        let actor = acme(actor_role, false);
        for role in Role::ALL {
            for is_owner in BOOLS {
                let active = acme_member("target", role, is_owner, false);
                let deleted = acme_member("target", role, is_owner, true);
                assert_eq!(
                    decide(&actor, Action::Delete, &deleted),
                    decide(&actor, Action::Delete, &active),
                    "{actor_role} deleting a {role} (owner: {is_owner}) twice"
                );
            }
        }
    }
}

#[test]
fn only_a_super_admin_restores_an_admin_even_the_owner() {
    for is_owner in BOOLS {
        let admin = acme_member("target", Role::Admin, is_owner, true);
        assert_eq!(
            decide(&acme(Role::Admin, true), Action::Restore, &admin),
            Err(Denial::RequiresSuperAdmin)
        );
        let super_admin = Actor {
            id: "root",
            tenant_id: "platform",
            role: Role::SuperAdmin,
            is_owner: false,
            kind: ActorKind::Person,
        };
        assert_eq!(decide(&super_admin, Action::Restore, &admin), Ok(()));
    }
}

#[test]
fn only_the_owner_or_a_super_admin_creates_an_admin() {
    let acme_tenant = Target::Tenant("acme");
    let create_admin = Action::Create(Role::Admin);
    assert_eq!(
        decide(&acme(Role::Admin, true), create_admin, &acme_tenant),
        Ok(())
    );
    assert_eq!(
        decide(&acme(Role::Admin, false), create_admin, &acme_tenant),
        Err(Denial::RequiresOwner)
    );
    assert_eq!(
        decide(&acme(Role::Agent, true), create_admin, &acme_tenant),
        Err(Denial::InsufficientRole)
    );
    let super_admin = Actor {
        id: "root",
        tenant_id: "platform",
        role: Role::SuperAdmin,
        is_owner: false,
        kind: ActorKind::Person,
    };
    assert_eq!(decide(&super_admin, create_admin, &acme_tenant), Ok(()));
    assert_eq!(
        decide(&super_admin, Action::Create(Role::SuperAdmin), &acme_tenant),
        Err(Denial::CannotCreateSuperAdmin)
    );
}

#[test]
fn create_list_and_audit_aimed_at_a_user_act_on_that_users_tenant() {
    let owner = acme(Role::Admin, true);
    let other_acme_user = acme_member("target", Role::User, false, false);
    let globex_user = Target::User(Member {
        id: "target",
        tenant_id: "globex",
        role: Role::User,
        is_owner: false,
        deleted: false,
    });
    for action in [
        Action::Create(Role::Admin),
        Action::Create(Role::User),
        Action::List(ListScope::All),
        Action::ViewAudit,
    ] {
        assert_eq!(
            decide(&owner, action, &other_acme_user),
            Ok(()),
            "{action:?}"
        );
        assert_eq!(
            decide(&owner, action, &globex_user),
            Err(Denial::NotFound),
            "{action:?}"
        );
    }
}

/// A super admin of the platform, outside every customer tenant.
fn root() -> Actor<'static> {
    Actor {
        id: "root",
        tenant_id: "platform",
        role: Role::SuperAdmin,
        is_owner: false,
        kind: ActorKind::Person,
    }
}

/// The roles the API may grant: every role but super admin.
const GRANTABLE: [Role; 3] = [Role::Admin, Role::Agent, Role::User];

#[test]
fn only_managers_read_the_audit_log() {
    let acme_tenant = Target::Tenant("acme");
    for is_owner in BOOLS {
        assert_eq!(
            decide(
                &acme(Role::Admin, is_owner),
                Action::ViewAudit,
                &acme_tenant
            ),
            Ok(())
        );
        for role in [Role::Agent, Role::User] {
            assert_eq!(
                decide(&acme(role, is_owner), Action::ViewAudit, &acme_tenant),
                Err(Denial::InsufficientRole),
                "{role} (owner: {is_owner})"
            );
        }
    }
    assert_eq!(decide(&root(), Action::ViewAudit, &acme_tenant), Ok(()));
    // Another tenant's log does not exist for its neighbours.
    assert_eq!(
        decide(
            &acme(Role::Admin, true),
            Action::ViewAudit,
            &Target::Tenant("globex")
        ),
        Err(Denial::NotFound)
    );
}

#[test]
fn admins_cannot_change_admins_but_super_admins_can() {
    let other_admin = acme_member("target", Role::Admin, false, false);
    for is_owner in BOOLS {
        let admin = acme(Role::Admin, is_owner);
        for role in [Role::Agent, Role::User] {
            assert_eq!(
                decide(&admin, Action::ChangeRole(role), &other_admin),
                Err(Denial::AdminCannotChangeAdmin),
                "admin (owner: {is_owner}) demoting an admin to {role}"
            );
            assert_eq!(
                decide(&root(), Action::ChangeRole(role), &other_admin),
                Ok(())
            );
        }
        assert_eq!(
            decide(&admin, Action::ChangeEmail, &other_admin),
            Err(Denial::AdminCannotChangeAdmin),
            "admin (owner: {is_owner}) changing an admin's email"
        );
    }
    assert_eq!(decide(&root(), Action::ChangeEmail, &other_admin), Ok(()));

    // The owner's email too: a plain admin cannot, a super admin can.
    let owner = acme_member("target", Role::Admin, true, false);
    assert_eq!(
        decide(&acme(Role::Admin, false), Action::ChangeEmail, &owner),
        Err(Denial::AdminCannotChangeAdmin)
    );
    assert_eq!(decide(&root(), Action::ChangeEmail, &owner), Ok(()));

    // Agents and users are fair game for any admin.
    for role in [Role::Agent, Role::User] {
        let member = acme_member("target", role, false, false);
        let admin = acme(Role::Admin, false);
        assert_eq!(decide(&admin, Action::ChangeEmail, &member), Ok(()));
        let other = if role == Role::Agent {
            Role::User
        } else {
            Role::Agent
        };
        assert_eq!(decide(&admin, Action::ChangeRole(other), &member), Ok(()));
    }
}

#[test]
fn the_owner_promotes_an_agent_to_admin_but_a_plain_admin_cannot() {
    let agent = acme_member("target", Role::Agent, false, false);
    let promote = Action::ChangeRole(Role::Admin);
    assert_eq!(decide(&acme(Role::Admin, true), promote, &agent), Ok(()));
    assert_eq!(
        decide(&acme(Role::Admin, false), promote, &agent),
        Err(Denial::RequiresOwner)
    );
    assert_eq!(decide(&root(), promote, &agent), Ok(()));
    // Owning is not managing: an owner flag on an agent grants nothing.
    assert_eq!(
        decide(&acme(Role::Agent, true), promote, &agent),
        Err(Denial::InsufficientRole)
    );
}

#[test]
fn nobody_demotes_the_owner_not_even_a_super_admin() {
    let owner = acme_member("target", Role::Admin, true, false);
    for role in [Role::Agent, Role::User] {
        for actor in [root(), acme(Role::Admin, false)] {
            assert_eq!(
                decide(&actor, Action::ChangeRole(role), &owner),
                Err(Denial::OwnerProtected),
                "{actor:?} demoting the owner to {role}"
            );
        }
    }
    // The owner does not demote itself either, and says so in its own words.
    let owner_actor = acme(Role::Admin, true);
    let owner_self = acme_member(owner_actor.id, Role::Admin, true, false);
    for role in Role::ALL {
        assert_eq!(
            decide(&owner_actor, Action::ChangeRole(role), &owner_self),
            Err(Denial::CannotChangeOwnRole)
        );
    }
}

#[test]
fn nobody_grants_super_admin_or_touches_one() {
    let grant = Action::ChangeRole(Role::SuperAdmin);
    for role in GRANTABLE {
        let member = acme_member("target", role, false, false);
        assert_eq!(
            decide(&root(), grant, &member),
            Err(Denial::CannotGrantSuperAdmin),
            "super admin promoting a {role}"
        );
        assert_eq!(
            decide(&acme(Role::Admin, true), grant, &member),
            Err(Denial::CannotGrantSuperAdmin),
            "owner promoting a {role}"
        );
    }
    let other_root = Target::User(Member {
        id: "other-root",
        tenant_id: "platform",
        role: Role::SuperAdmin,
        is_owner: false,
        deleted: false,
    });
    for action in [
        Action::ChangeRole(Role::Admin),
        Action::ChangeRole(Role::SuperAdmin),
        Action::ChangeEmail,
    ] {
        assert_eq!(
            decide(&root(), action, &other_root),
            Err(Denial::SuperAdminProtected),
            "{action:?}"
        );
    }
}

#[test]
fn everyone_changes_their_own_email_but_nobody_their_own_role() {
    for role in Role::ALL {
        for is_owner in BOOLS {
            let actor = acme(role, is_owner);
            let me = acme_member(actor.id, role, is_owner, false);
            assert_eq!(
                decide(&actor, Action::ChangeEmail, &me),
                Ok(()),
                "{role} (owner: {is_owner})"
            );
            for new_role in Role::ALL {
                assert_eq!(
                    decide(&actor, Action::ChangeRole(new_role), &me),
                    Err(Denial::CannotChangeOwnRole),
                    "{role} (owner: {is_owner}) to {new_role}"
                );
            }
        }
    }
    // A super admin may not change another super admin's email, but its own, yes.
    let me = Target::User(Member {
        id: "root",
        tenant_id: "platform",
        role: Role::SuperAdmin,
        is_owner: false,
        deleted: false,
    });
    assert_eq!(decide(&root(), Action::ChangeEmail, &me), Ok(()));
}

#[test]
fn deleted_users_are_hidden_from_non_managers_and_frozen_for_managers() {
    let deleted_agent = acme_member("target", Role::Agent, false, true);
    let changes = [
        Action::ChangeRole(Role::User),
        Action::ChangeRole(Role::Admin),
        Action::ChangeEmail,
    ];
    for action in changes {
        for role in [Role::Agent, Role::User] {
            assert_eq!(
                decide(&acme(role, true), action, &deleted_agent),
                Err(Denial::NotFound),
                "{role} {action:?} on a deleted agent"
            );
        }
        for actor in [root(), acme(Role::Admin, true)] {
            let got = decide(&actor, action, &deleted_agent);
            assert_eq!(got, Err(Denial::UserDeleted), "{actor:?} {action:?}");
            assert!(got.unwrap_err().is_conflict());
        }
    }
    // One's own deleted account is not found by a non-manager, and frozen for a manager.
    let agent = acme(Role::Agent, false);
    let deleted_self = acme_member(agent.id, Role::Agent, false, true);
    assert_eq!(
        decide(&agent, Action::ChangeEmail, &deleted_self),
        Err(Denial::NotFound)
    );
    let admin = acme(Role::Admin, false);
    let deleted_self = acme_member(admin.id, Role::Admin, false, true);
    assert_eq!(
        decide(&admin, Action::ChangeEmail, &deleted_self),
        Err(Denial::UserDeleted)
    );
}

#[test]
fn ownership_goes_only_to_an_active_admin_of_the_tenant() {
    let transfer = Action::TransferOwnership;
    let owner = acme(Role::Admin, true);
    let active_admin = acme_member("target", Role::Admin, false, false);
    let deleted_admin = acme_member("target", Role::Admin, false, true);
    assert_eq!(decide(&owner, transfer, &active_admin), Ok(()));
    assert_eq!(decide(&root(), transfer, &active_admin), Ok(()));
    for actor in [owner, root()] {
        assert_eq!(
            decide(&actor, transfer, &deleted_admin),
            Err(Denial::UserDeleted)
        );
        for role in [Role::SuperAdmin, Role::Agent, Role::User] {
            assert_eq!(
                decide(&actor, transfer, &acme_member("target", role, false, false)),
                Err(Denial::NewOwnerNotAdmin),
                "{actor:?} handing acme to a {role}"
            );
        }
    }
    // The owner handing the tenant to itself, or anyone to the current owner.
    let owner_self = acme_member(owner.id, Role::Admin, true, false);
    assert_eq!(
        decide(&owner, transfer, &owner_self),
        Err(Denial::AlreadyOwner)
    );
    let current_owner = acme_member("target", Role::Admin, true, false);
    assert_eq!(
        decide(&root(), transfer, &current_owner),
        Err(Denial::AlreadyOwner)
    );
    // Nobody hands over a tenant that is not theirs to see.
    let globex_admin = Target::User(Member {
        id: "target",
        tenant_id: "globex",
        role: Role::Admin,
        is_owner: false,
        deleted: false,
    });
    assert_eq!(
        decide(&owner, transfer, &globex_admin),
        Err(Denial::NotFound)
    );
    assert_eq!(decide(&root(), transfer, &globex_admin), Ok(()));
    for denial in [
        Denial::UserDeleted,
        Denial::AlreadyOwner,
        Denial::NewOwnerNotAdmin,
    ] {
        assert!(denial.is_conflict(), "{denial:?}");
    }
}

#[test]
fn a_non_owner_admin_cannot_transfer_ownership() {
    let active_admin = acme_member("target", Role::Admin, false, false);
    for role in [Role::Admin, Role::Agent, Role::User] {
        assert_eq!(
            decide(&acme(role, false), Action::TransferOwnership, &active_admin),
            Err(Denial::RequiresOwner),
            "{role}"
        );
    }
    // Asking about the current owner does not change the answer: rights come first.
    let current_owner = acme_member("target", Role::Admin, true, false);
    assert_eq!(
        decide(
            &acme(Role::Admin, false),
            Action::TransferOwnership,
            &current_owner
        ),
        Err(Denial::RequiresOwner)
    );
}

// ---------------------------------------------------------------------------------------
// A tenant's directory (SCIM)
// ---------------------------------------------------------------------------------------

#[test]
fn a_directory_provisions_users_and_agents_but_not_admins_or_the_owner() {
    let directory = Actor::directory("token", "acme");
    for role in [Role::User, Role::Agent] {
        assert_eq!(
            decide(&directory, Action::Create(role), &Target::Tenant("acme")),
            Ok(())
        );
        for action in [
            Action::Delete,
            Action::Restore,
            Action::ChangeEmail,
            Action::SetPassword,
        ] {
            let deleted = action == Action::Restore;
            let member = acme_member("someone", role, false, deleted);
            assert_eq!(decide(&directory, action, &member), Ok(()), "{action:?}");
        }
    }
    assert_eq!(
        decide(
            &directory,
            Action::Create(Role::Admin),
            &Target::Tenant("acme")
        ),
        Err(Denial::RequiresOwner)
    );
    let admin = acme_member("admin", Role::Admin, false, false);
    let owner = acme_member("owner", Role::Admin, true, false);
    assert_eq!(
        decide(&directory, Action::Delete, &admin),
        Err(Denial::AdminCannotDeleteAdmin)
    );
    assert_eq!(
        decide(&directory, Action::Delete, &owner),
        Err(Denial::OwnerProtected)
    );
    assert_eq!(
        decide(
            &directory,
            Action::ChangeRole(Role::Admin),
            &acme_member("u", Role::User, false, false)
        ),
        Err(Denial::RequiresOwner)
    );
}

#[test]
fn a_directory_leaves_purges_the_audit_log_settings_and_tokens_to_people() {
    let directory = Actor::directory("token", "acme");
    let user = acme_member("someone", Role::User, false, true);
    assert_eq!(
        decide(&directory, Action::Purge, &user),
        Err(Denial::DirectoryNotAllowed)
    );
    for action in [
        Action::ViewAudit,
        Action::ConfigureTenant,
        Action::ManageDirectoryTokens,
    ] {
        assert_eq!(
            decide(&directory, action, &Target::Tenant("acme")),
            Err(Denial::DirectoryNotAllowed),
            "{action:?}"
        );
    }
    let admin = acme_member("admin", Role::Admin, false, false);
    assert_eq!(
        decide(&directory, Action::TransferOwnership, &admin),
        Err(Denial::DirectoryNotAllowed)
    );
}

#[test]
fn a_directory_sees_nothing_of_another_tenant() {
    let directory = Actor::directory("token", "acme");
    assert_eq!(
        decide(
            &directory,
            Action::List(ListScope::All),
            &Target::Tenant("globex")
        ),
        Err(Denial::NotFound)
    );
    let stranger = Target::User(Member {
        id: "someone",
        tenant_id: "globex",
        role: Role::User,
        is_owner: false,
        deleted: false,
    });
    for action in ACTIONS.into_iter().filter(|a| *a != Action::CreateTenant) {
        assert_eq!(
            decide(&directory, action, &stranger),
            Err(Denial::NotFound),
            "{action:?}"
        );
    }
}

#[test]
fn only_the_owner_or_a_super_admin_manages_directory_tokens() {
    let acme_tenant = Target::Tenant("acme");
    assert_eq!(
        decide(
            &acme(Role::Admin, true),
            Action::ManageDirectoryTokens,
            &acme_tenant
        ),
        Ok(())
    );
    for (role, is_owner) in [
        (Role::Admin, false),
        (Role::Agent, false),
        (Role::User, false),
    ] {
        assert_eq!(
            decide(
                &acme(role, is_owner),
                Action::ManageDirectoryTokens,
                &acme_tenant
            ),
            Err(Denial::RequiresOwner)
        );
    }
    assert_eq!(
        decide(&root(), Action::ManageDirectoryTokens, &acme_tenant),
        Ok(())
    );
}
