//! The permission rules of tenantry, checked against `decide` exhaustively: a rulebook
//! written here from the prose spec (numbered rules, first match wins), independently of
//! `src/lib.rs`, and a sweep over every actor, action and target that compares the two.

mod common;

use common::{ACTIONS, BOOLS};
use std::collections::HashSet;

use tenantry_policy::{Action, Actor, ActorKind, Denial, ListScope, Member, Role, Target, decide};

// ---------------------------------------------------------------------------------------
// The rulebook: the prose spec restated as numbered rules, first match wins
// ---------------------------------------------------------------------------------------

/// Ranks, highest first, as the spec lists the roles.
const SUPER_ADMIN: u8 = 4;
const ADMIN: u8 = 3;
const AGENT: u8 = 2;
const USER: u8 = 1;

fn rank(role: Role) -> u8 {
    match role {
        Role::SuperAdmin => SUPER_ADMIN,
        Role::Admin => ADMIN,
        Role::Agent => AGENT,
        Role::User => USER,
    }
}

/// What is being attempted, flattened: the rules only ever care about these shapes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verb {
    CreateTenant,
    /// Create a user of this rank.
    Create(u8),
    ListActive,
    /// `List(Deleted)` or `List(All)`: both show the trash.
    ListTrash,
    View,
    Delete,
    Restore,
    /// Give the target the role of this rank.
    ChangeRole(u8),
    ChangeEmail,
    TransferOwnership,
    ViewAudit,
    Purge,
    ConfigureTenant,
    SetPassword,
    ManageDirectoryTokens,
}

/// Everything a rule may look at, read off one `(actor, action, target)` question.
#[derive(Debug)]
struct Facts {
    /// The actor is a tenant's directory (SCIM), not a person.
    directory: bool,
    actor_rank: u8,
    actor_owner: bool,
    verb: Verb,
    target_is_user: bool,
    /// Only meaningful when `target_is_user`.
    target_rank: u8,
    target_owner: bool,
    target_deleted: bool,
    is_self: bool,
    same_tenant: bool,
}

impl Facts {
    fn of(actor: &Actor, action: Action, target: &Target) -> Facts {
        let verb = match action {
            Action::CreateTenant => Verb::CreateTenant,
            Action::Create(role) => Verb::Create(rank(role)),
            Action::List(ListScope::Active) => Verb::ListActive,
            Action::List(ListScope::Deleted | ListScope::All) => Verb::ListTrash,
            Action::View => Verb::View,
            Action::Delete => Verb::Delete,
            Action::Restore => Verb::Restore,
            Action::ChangeRole(role) => Verb::ChangeRole(rank(role)),
            Action::ChangeEmail => Verb::ChangeEmail,
            Action::TransferOwnership => Verb::TransferOwnership,
            Action::ViewAudit => Verb::ViewAudit,
            Action::Purge => Verb::Purge,
            Action::ConfigureTenant => Verb::ConfigureTenant,
            Action::SetPassword => Verb::SetPassword,
            Action::ManageDirectoryTokens => Verb::ManageDirectoryTokens,
        };
        let (target_tenant, user) = match target {
            Target::Tenant(tenant_id) => (*tenant_id, None),
            Target::User(member) => (member.tenant_id, Some(member)),
        };
        // "A directory has the ranks of an admin who is not the owner."
        let directory = actor.kind == ActorKind::Directory;
        Facts {
            directory,
            actor_rank: if directory { ADMIN } else { rank(actor.role) },
            actor_owner: actor.is_owner && !directory,
            verb,
            target_is_user: user.is_some(),
            target_rank: user.map_or(0, |m| rank(m.role)),
            target_owner: user.is_some_and(|m| m.is_owner),
            target_deleted: user.is_some_and(|m| m.deleted),
            is_self: user.is_some_and(|m| m.id == actor.id),
            same_tenant: target_tenant == actor.tenant_id,
        }
    }

    fn manager(&self) -> bool {
        self.actor_rank >= ADMIN
    }

    fn creates(&self) -> bool {
        matches!(self.verb, Verb::Create(_))
    }

    fn changes_role(&self) -> bool {
        matches!(self.verb, Verb::ChangeRole(_))
    }
}

struct Rule {
    number: u8,
    says: &'static str,
    when: fn(&Facts) -> bool,
    then: Result<(), Denial>,
}

const ALLOW: Result<(), Denial> = Ok(());

/// The spec, top-down. The first rule whose `when` holds decides.
const RULEBOOK: &[Rule] = &[
    // Tenants: a new tenant is nobody's yet, so there is nothing to hide behind a 404.
    Rule {
        number: 2,
        says: "only a super admin creates a tenant",
        when: |f| f.verb == Verb::CreateTenant && f.actor_rank < SUPER_ADMIN,
        then: Err(Denial::RequiresSuperAdmin),
    },
    Rule {
        number: 3,
        says: "a super admin creates tenants",
        when: |f| f.verb == Verb::CreateTenant,
        then: ALLOW,
    },
    // Tenancy next, for every other action.
    Rule {
        number: 1,
        says: "outside your tenant nothing exists (unless you are a super admin)",
        when: |f| f.actor_rank < SUPER_ADMIN && !f.same_tenant,
        then: Err(Denial::NotFound),
    },
    // Directories provision; everything else stays with people.
    Rule {
        number: 64,
        says: "a directory does not purge, read the audit log, configure or hand over the \
               tenant, or manage directory tokens",
        when: |f| {
            f.directory
                && matches!(
                    f.verb,
                    Verb::Purge
                        | Verb::ViewAudit
                        | Verb::ConfigureTenant
                        | Verb::TransferOwnership
                        | Verb::ManageDirectoryTokens
                )
        },
        then: Err(Denial::DirectoryNotAllowed),
    },
    // Creating users.
    Rule {
        number: 4,
        says: "nobody creates a super admin, not even a super admin",
        when: |f| f.verb == Verb::Create(SUPER_ADMIN),
        then: Err(Denial::CannotCreateSuperAdmin),
    },
    Rule {
        number: 5,
        says: "agents and users create no one",
        when: |f| f.creates() && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 6,
        says: "an admin is created only by the owner or a super admin",
        when: |f| f.verb == Verb::Create(ADMIN) && f.actor_rank < SUPER_ADMIN && !f.actor_owner,
        then: Err(Denial::RequiresOwner),
    },
    Rule {
        number: 7,
        says: "managers create agents and users (and admins, past rule 6)",
        when: |f| f.creates(),
        then: ALLOW,
    },
    // Listing.
    Rule {
        number: 8,
        says: "every member lists the active users",
        when: |f| f.verb == Verb::ListActive,
        then: ALLOW,
    },
    Rule {
        number: 9,
        says: "only managers list the trash",
        when: |f| f.verb == Verb::ListTrash && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 10,
        says: "managers list the trash",
        when: |f| f.verb == Verb::ListTrash,
        then: ALLOW,
    },
    // The audit log: a tenant action, like listing (a user target means that user's tenant).
    Rule {
        number: 25,
        says: "only managers read the audit log",
        when: |f| f.verb == Verb::ViewAudit && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 26,
        says: "managers read the audit log",
        when: |f| f.verb == Verb::ViewAudit,
        then: ALLOW,
    },
    // Tenant settings (retention): the owner's call, or a super admin's.
    Rule {
        number: 48,
        says: "only the owner or a super admin changes the tenant's settings",
        when: |f| f.verb == Verb::ConfigureTenant && f.actor_rank < SUPER_ADMIN && !f.actor_owner,
        then: Err(Denial::RequiresOwner),
    },
    Rule {
        number: 49,
        says: "the owner and super admins change the tenant's settings",
        when: |f| f.verb == Verb::ConfigureTenant,
        then: ALLOW,
    },
    // Directory tokens: the owner's call, or a super admin's, like the settings.
    Rule {
        number: 65,
        says: "only the owner or a super admin manages the tenant's directory tokens",
        when: |f| {
            f.verb == Verb::ManageDirectoryTokens && f.actor_rank < SUPER_ADMIN && !f.actor_owner
        },
        then: Err(Denial::RequiresOwner),
    },
    Rule {
        number: 66,
        says: "the owner and super admins manage directory tokens",
        when: |f| f.verb == Verb::ManageDirectoryTokens,
        then: ALLOW,
    },
    // From here on the verb is View, Delete, Restore, ChangeRole, ChangeEmail,
    // TransferOwnership or Purge: it needs a user.
    Rule {
        number: 11,
        says: "a user action aimed at a tenant finds no one",
        when: |f| !f.target_is_user,
        then: Err(Denial::NotFound),
    },
    Rule {
        number: 12,
        says: "deleted accounts are invisible to agents and users",
        when: |f| f.target_deleted && !f.manager(),
        then: Err(Denial::NotFound),
    },
    Rule {
        number: 13,
        says: "whoever can see a user may view it",
        when: |f| f.verb == Verb::View,
        then: ALLOW,
    },
    // Delete.
    Rule {
        number: 14,
        says: "you cannot delete yourself",
        when: |f| f.verb == Verb::Delete && f.is_self,
        then: Err(Denial::CannotDeleteSelf),
    },
    Rule {
        number: 15,
        says: "only managers delete",
        when: |f| f.verb == Verb::Delete && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 16,
        says: "super admins are not deleted through the API",
        when: |f| f.verb == Verb::Delete && f.target_rank == SUPER_ADMIN,
        then: Err(Denial::SuperAdminProtected),
    },
    Rule {
        number: 17,
        says: "the owner is not deleted: transfer ownership first",
        when: |f| f.verb == Verb::Delete && f.target_owner,
        then: Err(Denial::OwnerProtected),
    },
    Rule {
        number: 18,
        says: "only a super admin deletes an admin",
        when: |f| f.verb == Verb::Delete && f.target_rank == ADMIN && f.actor_rank < SUPER_ADMIN,
        then: Err(Denial::AdminCannotDeleteAdmin),
    },
    Rule {
        number: 19,
        says: "managers delete the rest",
        when: |f| f.verb == Verb::Delete,
        then: ALLOW,
    },
    // Purge now: whoever may delete a user may purge it (being deleted is a state, checked
    // by the use case, not a right).
    Rule {
        number: 50,
        says: "you cannot purge yourself",
        when: |f| f.verb == Verb::Purge && f.is_self,
        then: Err(Denial::CannotDeleteSelf),
    },
    Rule {
        number: 51,
        says: "only managers purge",
        when: |f| f.verb == Verb::Purge && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 52,
        says: "super admins are not purged through the API",
        when: |f| f.verb == Verb::Purge && f.target_rank == SUPER_ADMIN,
        then: Err(Denial::SuperAdminProtected),
    },
    Rule {
        number: 53,
        says: "the owner is not purged",
        when: |f| f.verb == Verb::Purge && f.target_owner,
        then: Err(Denial::OwnerProtected),
    },
    Rule {
        number: 54,
        says: "only a super admin purges an admin",
        when: |f| f.verb == Verb::Purge && f.target_rank == ADMIN && f.actor_rank < SUPER_ADMIN,
        then: Err(Denial::AdminCannotDeleteAdmin),
    },
    Rule {
        number: 55,
        says: "managers purge the rest",
        when: |f| f.verb == Verb::Purge,
        then: ALLOW,
    },
    // Restore.
    Rule {
        number: 20,
        says: "you cannot restore yourself",
        when: |f| f.verb == Verb::Restore && f.is_self,
        then: Err(Denial::CannotRestoreSelf),
    },
    Rule {
        number: 21,
        says: "only managers restore",
        when: |f| f.verb == Verb::Restore && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 22,
        says: "super admins are not restored through the API",
        when: |f| f.verb == Verb::Restore && f.target_rank == SUPER_ADMIN,
        then: Err(Denial::SuperAdminProtected),
    },
    Rule {
        number: 23,
        says: "only a super admin restores an admin, owner or not",
        when: |f| f.verb == Verb::Restore && f.target_rank == ADMIN && f.actor_rank < SUPER_ADMIN,
        then: Err(Denial::RequiresSuperAdmin),
    },
    Rule {
        number: 24,
        says: "managers restore the rest",
        when: |f| f.verb == Verb::Restore,
        then: ALLOW,
    },
    // Change role.
    Rule {
        number: 27,
        says: "you cannot change your own role",
        when: |f| f.changes_role() && f.is_self,
        then: Err(Denial::CannotChangeOwnRole),
    },
    Rule {
        number: 28,
        says: "only managers change roles",
        when: |f| f.changes_role() && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 29,
        says: "a super admin's role is not changed through the API",
        when: |f| f.changes_role() && f.target_rank == SUPER_ADMIN,
        then: Err(Denial::SuperAdminProtected),
    },
    Rule {
        number: 30,
        says: "nobody grants super admin, not even a super admin",
        when: |f| f.verb == Verb::ChangeRole(SUPER_ADMIN),
        then: Err(Denial::CannotGrantSuperAdmin),
    },
    Rule {
        number: 31,
        says: "the owner's role does not change, even for a super admin: transfer first",
        when: |f| f.changes_role() && f.target_owner,
        then: Err(Denial::OwnerProtected),
    },
    Rule {
        number: 32,
        says: "only a super admin changes an admin's role",
        when: |f| f.changes_role() && f.target_rank == ADMIN && f.actor_rank < SUPER_ADMIN,
        then: Err(Denial::AdminCannotChangeAdmin),
    },
    Rule {
        number: 33,
        says: "only the owner or a super admin makes someone an admin",
        when: |f| f.verb == Verb::ChangeRole(ADMIN) && f.actor_rank < SUPER_ADMIN && !f.actor_owner,
        then: Err(Denial::RequiresOwner),
    },
    Rule {
        number: 34,
        says: "a deleted user's role does not change: restore it first; but its directory \
               keeps it in sync while the user is inactive",
        when: |f| f.changes_role() && f.target_deleted && !f.directory,
        then: Err(Denial::UserDeleted),
    },
    Rule {
        number: 35,
        says: "managers change the rest",
        when: |f| f.changes_role(),
        then: ALLOW,
    },
    // Change email.
    Rule {
        number: 36,
        says: "your own email, while deleted, waits for a restore (a directory has none of \
               its own: it keeps its users' in sync, rule 41)",
        when: |f| f.verb == Verb::ChangeEmail && f.is_self && f.target_deleted && !f.directory,
        then: Err(Denial::UserDeleted),
    },
    Rule {
        number: 37,
        says: "everyone changes their own email",
        when: |f| f.verb == Verb::ChangeEmail && f.is_self,
        then: ALLOW,
    },
    Rule {
        number: 38,
        says: "only managers change other people's email",
        when: |f| f.verb == Verb::ChangeEmail && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 39,
        says: "a super admin's email is not changed through the API",
        when: |f| f.verb == Verb::ChangeEmail && f.target_rank == SUPER_ADMIN,
        then: Err(Denial::SuperAdminProtected),
    },
    // "An admin (the owner included)": the owner is an admin, so this reads the target's
    // role. An owner flag on an agent or user (a snapshot the API never produces) does not
    // make it an admin here.
    Rule {
        number: 40,
        says: "only a super admin changes an admin's email, the owner's included",
        when: |f| {
            f.verb == Verb::ChangeEmail && f.target_rank == ADMIN && f.actor_rank < SUPER_ADMIN
        },
        then: Err(Denial::AdminCannotChangeAdmin),
    },
    Rule {
        number: 41,
        says: "a deleted user's email does not change: restore it first; but its directory \
               keeps it in sync while the user is inactive",
        when: |f| f.verb == Verb::ChangeEmail && f.target_deleted && !f.directory,
        then: Err(Denial::UserDeleted),
    },
    Rule {
        number: 42,
        says: "managers change the rest (a super admin, the owner's too)",
        when: |f| f.verb == Verb::ChangeEmail,
        then: ALLOW,
    },
    // Transfer ownership (the target is the would-be owner).
    Rule {
        number: 43,
        says: "only the owner or a super admin hands the tenant over",
        when: |f| f.verb == Verb::TransferOwnership && f.actor_rank < SUPER_ADMIN && !f.actor_owner,
        then: Err(Denial::RequiresOwner),
    },
    // "The owner targeting itself" is the target's own owner flag, like every other fact
    // about the target: the sweep's self targets may disagree with the actor's flags, and
    // the target row is what the rule reads.
    Rule {
        number: 44,
        says: "the owner cannot become the owner (the owner targeting itself included)",
        when: |f| f.verb == Verb::TransferOwnership && f.target_owner,
        then: Err(Denial::AlreadyOwner),
    },
    Rule {
        number: 45,
        says: "a deleted user cannot become the owner",
        when: |f| f.verb == Verb::TransferOwnership && f.target_deleted,
        then: Err(Denial::UserDeleted),
    },
    Rule {
        number: 46,
        says: "only an admin can become the owner",
        when: |f| f.verb == Verb::TransferOwnership && f.target_rank != ADMIN,
        then: Err(Denial::NewOwnerNotAdmin),
    },
    Rule {
        number: 47,
        says: "the owner or a super admin hands the tenant to an active admin",
        when: |f| f.verb == Verb::TransferOwnership,
        then: ALLOW,
    },
    // Set a password: your own with proof of the current one, others' by delete's ranks.
    Rule {
        number: 56,
        says: "your own password, while deleted, waits for a restore",
        when: |f| f.verb == Verb::SetPassword && f.is_self && f.target_deleted,
        then: Err(Denial::UserDeleted),
    },
    Rule {
        number: 57,
        says: "everyone changes their own password",
        when: |f| f.verb == Verb::SetPassword && f.is_self,
        then: ALLOW,
    },
    Rule {
        number: 58,
        says: "only managers reset other people's passwords",
        when: |f| f.verb == Verb::SetPassword && !f.manager(),
        then: Err(Denial::InsufficientRole),
    },
    Rule {
        number: 59,
        says: "a super admin's password is not reset through the API",
        when: |f| f.verb == Verb::SetPassword && f.target_rank == SUPER_ADMIN,
        then: Err(Denial::SuperAdminProtected),
    },
    Rule {
        number: 60,
        says: "nobody resets the owner's password: transfer ownership first",
        when: |f| f.verb == Verb::SetPassword && f.target_owner,
        then: Err(Denial::OwnerProtected),
    },
    Rule {
        number: 61,
        says: "only a super admin resets an admin's password",
        when: |f| {
            f.verb == Verb::SetPassword && f.target_rank == ADMIN && f.actor_rank < SUPER_ADMIN
        },
        then: Err(Denial::AdminCannotChangeAdmin),
    },
    Rule {
        number: 62,
        says: "a deleted user's password is not reset: restore it first",
        when: |f| f.verb == Verb::SetPassword && f.target_deleted,
        then: Err(Denial::UserDeleted),
    },
    Rule {
        number: 63,
        says: "managers reset the rest",
        when: |f| f.verb == Verb::SetPassword,
        then: ALLOW,
    },
];

/// The highest rule number, to size the per-rule counters of the sweep.
const LAST_RULE: u8 = 66;

/// The first matching rule of the rulebook.
fn rulebook_decides(facts: &Facts) -> &'static Rule {
    RULEBOOK
        .iter()
        .find(|rule| (rule.when)(facts))
        .unwrap_or_else(|| panic!("no rule covers {facts:?}"))
}

// ---------------------------------------------------------------------------------------
// The exhaustive sweep
// ---------------------------------------------------------------------------------------

/// Which `Action` variant this is. Exhaustive: a new variant breaks the build here, and
/// `the_sweep_asks_every_action` then fails until `ACTIONS` lists it.
fn variant(action: Action) -> usize {
    match action {
        Action::CreateTenant => 0,
        Action::Create(_) => 1,
        Action::List(_) => 2,
        Action::View => 3,
        Action::Delete => 4,
        Action::Restore => 5,
        Action::ChangeRole(_) => 6,
        Action::ChangeEmail => 7,
        Action::TransferOwnership => 8,
        Action::ViewAudit => 9,
        Action::Purge => 10,
        Action::ConfigureTenant => 11,
        Action::SetPassword => 12,
        Action::ManageDirectoryTokens => 13,
    }
}

#[test]
fn the_sweep_asks_every_action() {
    let variants: HashSet<usize> = ACTIONS.into_iter().map(variant).collect();
    assert_eq!(variants, (0..14).collect());
    for role in Role::ALL {
        assert!(ACTIONS.contains(&Action::Create(role)), "Create({role})");
        assert!(
            ACTIONS.contains(&Action::ChangeRole(role)),
            "ChangeRole({role})"
        );
    }
    for scope in [ListScope::Active, ListScope::Deleted, ListScope::All] {
        assert!(ACTIONS.contains(&Action::List(scope)), "List({scope:?})");
    }
    let distinct: HashSet<String> = ACTIONS.iter().map(|a| format!("{a:?}")).collect();
    assert_eq!(
        distinct.len(),
        ACTIONS.len(),
        "ACTIONS lists an action twice"
    );
}

/// Every target a given actor can be asked about: a user (role × is_owner × self ×
/// same tenant × deleted = 64 shapes) or a tenant (same tenant or not = 2 shapes).
fn targets_for<'a>(actor: &Actor<'a>) -> Vec<Target<'a>> {
    let other_tenant = if actor.tenant_id == "globex" {
        "acme"
    } else {
        "globex"
    };
    let mut targets = Vec::new();
    for same_tenant in BOOLS {
        let tenant_id = if same_tenant {
            actor.tenant_id
        } else {
            other_tenant
        };
        targets.push(Target::Tenant(tenant_id));
        for role in Role::ALL {
            for is_owner in BOOLS {
                for is_self in BOOLS {
                    for deleted in BOOLS {
                        targets.push(Target::User(Member {
                            id: if is_self { actor.id } else { "target" },
                            tenant_id,
                            role,
                            is_owner,
                            deleted,
                        }));
                    }
                }
            }
        }
    }
    targets
}

#[test]
fn every_decision_matches_the_rulebook_written_from_the_spec() {
    let mut checked = 0usize;
    let mut mismatches = Vec::new();
    let mut rules_fired = [0usize; LAST_RULE as usize + 1];
    let mut denials_seen = Vec::new();
    let mut allowed = 0usize;

    // Directories too, with every role and owner flag: whatever a directory actor carries,
    // it must be decided as a directory.
    let kinds = [ActorKind::Person, ActorKind::Directory];
    for (action, kind) in ACTIONS.into_iter().flat_map(|a| kinds.map(|k| (a, k))) {
        for actor_role in Role::ALL {
            for actor_owner in BOOLS {
                let actor = Actor {
                    id: "actor",
                    tenant_id: if actor_role == Role::SuperAdmin {
                        "platform"
                    } else {
                        "acme"
                    },
                    role: actor_role,
                    is_owner: actor_owner,
                    kind,
                };
                for target in targets_for(&actor) {
                    let facts = Facts::of(&actor, action, &target);
                    let rule = rulebook_decides(&facts);
                    let got = decide(&actor, action, &target);
                    if got != rule.then {
                        mismatches.push(format!(
                            "{actor:?} {action:?} {target:?}: decide says {got:?}, \
                             rule {} ({}) says {:?}",
                            rule.number, rule.says, rule.then
                        ));
                    }
                    rules_fired[usize::from(rule.number)] += 1;
                    match got {
                        Ok(()) => allowed += 1,
                        Err(denial) if !denials_seen.contains(&denial) => denials_seen.push(denial),
                        Err(_) => {}
                    }
                    checked += 1;
                }
            }
        }
    }

    assert!(
        mismatches.is_empty(),
        "{} of {checked} decisions disagree with the rulebook, e.g.:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );

    // 22 actions × actor kind 2 × actor role 4 × actor is_owner 2 ×
    //   (user targets: role 4 × is_owner 2 × self 2 × same tenant 2 × deleted 2
    //    + tenant targets: same tenant 2)
    let user_targets = 4 * 2 * 2 * 2 * 2;
    let tenant_targets = 2;
    assert_eq!(checked, 22 * 2 * 4 * 2 * (user_targets + tenant_targets));
    assert_eq!(checked, 23232);
    println!("{checked} decisions checked against the rulebook, {allowed} allowed");

    // The sweep reaches every rule, every denial, and some allowed cases: a sweep that
    // shrank or a rule that can never fire would show here.
    let numbers: HashSet<u8> = RULEBOOK.iter().map(|rule| rule.number).collect();
    assert_eq!(numbers.len(), RULEBOOK.len(), "two rules share a number");
    assert_eq!(
        numbers,
        (1..=LAST_RULE).collect(),
        "rule numbers have a gap"
    );
    for rule in RULEBOOK {
        assert!(
            rules_fired[usize::from(rule.number)] > 0,
            "rule {} ({}) never decided anything",
            rule.number,
            rule.says
        );
    }
    for denial in Denial::ALL {
        assert!(denials_seen.contains(&denial), "{denial:?} never answered");
    }
    assert!(allowed > 0);
}
