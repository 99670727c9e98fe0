//! The spec documents exactly the problem codes the code can produce, each with its status
//! and shape, and per operation exactly the refusals the policy can give.

use std::collections::{BTreeMap, BTreeSet};

use lambda_http::Body;
use serde_json::Value;
use tenantry_accounts::Error;
use tenantry_http::Problem;
use tenantry_policy::{Action, Actor, ActorKind, ListScope, Member, Role, Target, decide};

use super::{PROBLEM_SCHEMAS, Spec};

#[test]
fn the_spec_documents_exactly_the_problem_codes_the_code_can_produce() {
    let spec = Spec::load();
    let documented = spec.catalogue();
    let problems: Vec<Problem> = Error::every_kind()
        .into_iter()
        .map(Problem::from)
        .chain(Problem::http_layer())
        .collect();
    let mut produced = BTreeMap::new();
    for problem in &problems {
        let status = problem.status.as_u16();
        if let Some(other) = produced.insert(problem.code.to_owned(), status) {
            assert_eq!(other, status, "{} has two statuses", problem.code);
        }
    }
    assert_eq!(produced, documented);

    // Each body is one of the documented problem shapes, extension members included.
    for problem in problems {
        let response = problem.into_response();
        let Body::Text(text) = response.body() else {
            panic!("a problem without a body")
        };
        let body: Value = serde_json::from_str(text).unwrap();
        let errors: Vec<String> = PROBLEM_SCHEMAS
            .iter()
            .filter_map(|name| {
                spec.conforms(&format!("/components/schemas/{name}"), &body)
                    .err()
            })
            .collect();
        assert!(
            errors.len() < PROBLEM_SCHEMAS.len(),
            "{body} is no documented problem: {errors:?}"
        );
    }

    // Every code a response documents is in the catalogue, with the response's status; every
    // code of the catalogue is answered somewhere, but `not_found`, which the use cases turn
    // into `user_not_found` or `tenant_not_found`, and `directory_not_allowed`, `immutable`
    // and `version_mismatch`, which only a directory's requests meet, answered by the SCIM
    // routes in SCIM's error shape (their responses carry the code in `detail`, not `code`).
    let mut responses: Vec<(String, Option<String>)> = Vec::new();
    for ((method, path), _) in spec.operations() {
        let pointer = format!("{}/responses", spec.operation_pointer(&method, &path));
        for status in spec.at(&pointer).as_object().unwrap().keys() {
            responses.push((format!("{pointer}/{status}"), Some(status.clone())));
        }
    }
    for name in spec.at("/components/responses").as_object().unwrap().keys() {
        responses.push((format!("/components/responses/{name}"), None));
    }
    let mut answered = BTreeSet::new();
    for (pointer, key) in responses {
        if key.as_ref().is_some_and(|k| k.starts_with('2')) || spec.is_scim_response(&pointer) {
            continue;
        }
        let codes = spec.member_values(pointer.clone(), "code");
        let statuses = spec.member_values(pointer.clone(), "status");
        assert!(!codes.is_empty(), "#{pointer} documents no code");
        assert_eq!(
            statuses.len(),
            1,
            "#{pointer} documents statuses {statuses:?}"
        );
        let status = statuses.into_iter().next().unwrap();
        if let Some(key) = key {
            assert_eq!(status, key, "#{pointer}");
        }
        for code in codes {
            assert_eq!(
                documented.get(&code).map(u16::to_string).as_ref(),
                Some(&status),
                "#{pointer}: {code}"
            );
            answered.insert(code);
        }
    }
    let unanswered: BTreeSet<&str> = documented
        .keys()
        .map(String::as_str)
        .filter(|code| !answered.contains(*code))
        .collect();
    assert_eq!(
        unanswered,
        BTreeSet::from([
            "directory_not_allowed",
            "immutable",
            "not_found",
            "version_mismatch"
        ])
    );
}

/// The policy's actions each operation decides, in the order its use case asks.
fn actions_of(operation: &str) -> Vec<Action> {
    let every_role = || Role::ALL.into_iter();
    let member = Action::List(ListScope::Active);
    match operation {
        "health" | "getJwks" | "authLogin" | "authRefresh" | "authLogout" | "authLogoutAll"
        | "getMe" | "console" | "consoleAsset" => vec![],
        "getTenant" => vec![member],
        "createTenant" => vec![Action::CreateTenant],
        "updateTenant" => vec![Action::ConfigureTenant],
        "createUser" => every_role().map(Action::Create).collect(),
        "listUsers" => [ListScope::Active, ListScope::Deleted, ListScope::All]
            .map(Action::List)
            .to_vec(),
        "getUser" => vec![member, Action::View],
        "deleteUser" => vec![member, Action::Delete],
        "restoreUser" => vec![member, Action::Restore],
        "purgeUser" => vec![member, Action::Purge],
        "updateUser" => [member, Action::View, Action::ChangeEmail]
            .into_iter()
            .chain(every_role().map(Action::ChangeRole))
            .collect(),
        "transferOwnership" => vec![member, Action::TransferOwnership],
        "listAudit" => vec![Action::ViewAudit],
        "setPassword" => vec![member, Action::SetPassword],
        "createDirectoryToken" | "listDirectoryTokens" | "revokeDirectoryToken" => {
            vec![Action::ManageDirectoryTokens]
        }
        other => panic!("operation {other} is not in this table: add the actions it decides"),
    }
}

/// The codes `decide` can refuse `actions` with, over every actor and target the API can meet
/// (owners are active admins; super admins live in `platform`), split into 403 and 409.
fn refusals(actions: &[Action]) -> (BTreeSet<&'static str>, BTreeSet<&'static str>) {
    let actor = |tenant_id, role, is_owner| Actor {
        id: "me",
        tenant_id,
        role,
        is_owner,
        kind: ActorKind::Person,
    };
    let actors = [
        actor("platform", Role::SuperAdmin, false),
        actor("acme", Role::Admin, true),
        actor("acme", Role::Admin, false),
        actor("acme", Role::Agent, false),
        actor("acme", Role::User, false),
    ];
    let mut members = Vec::new();
    for role in Role::ALL {
        let tenant_id = if role == Role::SuperAdmin {
            "platform"
        } else {
            "acme"
        };
        for (is_owner, deleted) in [(false, false), (false, true), (true, false)] {
            if is_owner && role != Role::Admin {
                continue;
            }
            for tenant_id in [tenant_id, "other"] {
                members.push(Member {
                    id: "them",
                    tenant_id,
                    role,
                    is_owner,
                    deleted,
                });
            }
        }
    }
    let (mut forbidden, mut conflicts) = (BTreeSet::new(), BTreeSet::new());
    for actor in &actors {
        let myself = Member {
            id: actor.id,
            tenant_id: actor.tenant_id,
            role: actor.role,
            is_owner: actor.is_owner,
            deleted: false,
        };
        let targets = ["acme", "platform", "other"]
            .map(Target::Tenant)
            .into_iter()
            .chain(members.iter().chain([&myself]).copied().map(Target::User));
        for target in targets {
            for action in actions {
                match decide(actor, *action, &target) {
                    Err(denial) if denial.is_not_found() => {}
                    Err(denial) if denial.is_conflict() => {
                        conflicts.insert(denial.code());
                    }
                    Err(denial) => {
                        forbidden.insert(denial.code());
                    }
                    Ok(()) => {}
                }
            }
        }
    }
    (forbidden, conflicts)
}

#[test]
fn each_operation_documents_the_refusals_the_policy_can_give_it() {
    let spec = Spec::load();
    for ((method, path), operation) in spec.operations() {
        // SCIM's refusals carry the policy's code in `detail`; scim_matrix.rs checks them.
        if operation.starts_with("scim") {
            continue;
        }
        let (forbidden, conflicts) = refusals(&actions_of(&operation));
        let responses = format!("{}/responses", spec.operation_pointer(&method, &path));
        let codes = |status: &str| {
            let pointer = format!("{responses}/{status}");
            if spec.doc.pointer(&pointer).is_none() {
                return BTreeSet::new();
            }
            spec.member_values(pointer, "code")
        };
        let mut forbidden: BTreeSet<String> = forbidden.into_iter().map(str::to_owned).collect();
        if operation == "setPassword" {
            // The proof of your current password is the use case's check, not the policy's.
            forbidden.insert("wrong_password".to_owned());
        }
        // `origin_not_allowed` is the edge's refusal, answered to any route before any
        // policy; health, the key set and the console, which have no other 403, document it.
        let mut documented_403 = codes("403");
        if documented_403.remove("origin_not_allowed") {
            assert!(
                ["health", "getJwks", "console", "consoleAsset"].contains(&operation.as_str()),
                "{operation}: 403 origin_not_allowed"
            );
        }
        assert_eq!(documented_403, forbidden, "{operation}: 403");
        let documented = codes("409");
        for code in conflicts {
            assert!(documented.contains(code), "{operation}: 409 {code}");
        }
    }
}
