//! The deletion role table of the design doc, copied as a literal table and checked
//! against `decide`.

use tenantry_policy::Denial::{
    AdminCannotDeleteAdmin, CannotDeleteSelf, InsufficientRole, OwnerProtected,
};
use tenantry_policy::{Action, Actor, ActorKind, Denial, Member, Role, Target, decide};

// ---------------------------------------------------------------------------------------
// The deletion role table
// ---------------------------------------------------------------------------------------

/// One cell of the deletion role table.
#[derive(Clone, Copy, Debug)]
enum Cell {
    /// The deletion is allowed.
    Yes,
    /// The deletion is refused with this reason.
    No(Denial),
    /// The target does not exist for this actor (404, `Denial::NotFound`).
    NotFound,
}
use Cell::{No, NotFound, Yes};

const COLUMNS: [&str; 6] = ["user", "agent", "admin", "owner", "self", "other tenant"];

/// The design doc's deletion table, one row per line: who may delete whom.
#[rustfmt::skip]
const DELETION_TABLE: [(&str, [Cell; 6]); 3] = [
    // actor \ target  user                  agent                 admin                      owner                   self                  other tenant
    ("super_admin",   [Yes,                  Yes,                  Yes,                       No(OwnerProtected),     No(CannotDeleteSelf), Yes     ]),
    ("admin",         [Yes,                  Yes,                  No(AdminCannotDeleteAdmin), No(OwnerProtected),    No(CannotDeleteSelf), NotFound]),
    ("agent, user",   [No(InsufficientRole), No(InsufficientRole), No(InsufficientRole),      No(InsufficientRole),   No(CannotDeleteSelf), NotFound]),
];

/// Super admins live in "platform"; everyone else in "acme". Table targets live in
/// "acme", except the "other tenant" column, which lives in "globex".
fn table_actor(role: Role) -> Actor<'static> {
    Actor {
        id: "actor",
        tenant_id: if role == Role::SuperAdmin {
            "platform"
        } else {
            "acme"
        },
        role,
        is_owner: false,
        kind: ActorKind::Person,
    }
}

fn table_target<'a>(column: &str, actor: &Actor<'a>) -> Member<'a> {
    let member = |tenant_id, role, is_owner| Member {
        id: "target",
        tenant_id,
        role,
        is_owner,
        deleted: false,
    };
    match column {
        "user" => member("acme", Role::User, false),
        "agent" => member("acme", Role::Agent, false),
        "admin" => member("acme", Role::Admin, false),
        "owner" => member("acme", Role::Admin, true),
        "self" => Member {
            id: actor.id,
            tenant_id: actor.tenant_id,
            role: actor.role,
            is_owner: actor.is_owner,
            deleted: false,
        },
        "other tenant" => member("globex", Role::User, false),
        other => panic!("unknown column {other:?}"),
    }
}

#[test]
fn deletion_follows_the_role_table_of_the_design_doc() {
    let mut cells_checked = 0;
    for (actors, row) in DELETION_TABLE {
        for actor_name in actors.split(", ") {
            let role = Role::parse(actor_name).expect("table row names a role");
            let actor = table_actor(role);
            for (column, cell) in COLUMNS.into_iter().zip(row) {
                let target = Target::User(table_target(column, &actor));
                let expected = match cell {
                    Yes => Ok(()),
                    No(denial) => Err(denial),
                    NotFound => Err(Denial::NotFound),
                };
                assert_eq!(
                    decide(&actor, Action::Delete, &target),
                    expected,
                    "{actor_name} deleting {column}: table says {cell:?}"
                );
                cells_checked += 1;
            }
        }
    }
    // 4 actor roles (agent and user share a line) × 6 columns.
    assert_eq!(cells_checked, 4 * COLUMNS.len());
}
