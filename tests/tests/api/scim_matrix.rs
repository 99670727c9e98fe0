//! The directory's row of the authorization matrix, through the SCIM routes on DynamoDB
//! Local: every SCIM call on every kind of target (the owner; an admin, an agent and a user,
//! active and deleted; and a new user of each role), answered as `tenantry_policy::decide`
//! says for `Actor::directory`, with the SCIM rule on top: `active` set to what it is
//! already needs only the right to see the user. A refused call changes nothing: not the target, and
//! no audit event is written.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_policy::{Action, Actor, Denial, Member, Role, Target, decide};
use tenantry_store::UserItem;
use tenantry_tests::{Request, Stack, seed};

use crate::scim::{USER_SCHEMA, directory, patch, scim};

const TENANT: &str = "acme";

#[derive(Clone, Copy, Debug)]
enum Subject {
    Owner,
    Active(Role),
    Deleted(Role),
}

#[derive(Clone, Copy, Debug)]
enum Call {
    Get,
    Deactivate,
    Reactivate,
    Delete,
    Role(Role),
    Email,
    Create(Role),
}

const ROLES: [Role; 3] = [Role::Admin, Role::Agent, Role::User];

fn member(user: &UserItem) -> Member<'_> {
    Member {
        id: &user.id,
        tenant_id: &user.tenant_id,
        role: Role::parse(&user.role).unwrap(),
        is_owner: user.is_owner,
        deleted: user.is_deleted(),
    }
}

/// The status and the code (`detail`'s first word) the call must get.
fn expected(actor: &Actor<'_>, call: Call, target: Option<&UserItem>) -> (StatusCode, String) {
    let ok = match call {
        Call::Create(_) => StatusCode::CREATED,
        Call::Delete => StatusCode::NO_CONTENT,
        _ => StatusCode::OK,
    };
    let decision = match (call, target) {
        (Call::Create(role), _) => decide(actor, Action::Create(role), &Target::Tenant(TENANT)),
        (call, Some(user)) => {
            let m = member(user);
            let seen = decide(actor, Action::View, &Target::User(m));
            let action = match call {
                Call::Get => None,
                Call::Deactivate if !m.deleted => Some(Action::Delete),
                Call::Reactivate if m.deleted => Some(Action::Restore),
                Call::Delete => Some(Action::Delete),
                // A deleted user's details too: its directory keeps them in sync.
                Call::Role(role) if role != m.role => Some(Action::ChangeRole(role)),
                Call::Email => Some(Action::ChangeEmail),
                // Already so: seeing it is enough.
                _ => None,
            };
            seen.and_then(|()| action.map_or(Ok(()), |a| decide(actor, a, &Target::User(m))))
        }
        (call, None) => panic!("{call:?} needs a target"),
    };
    match decision {
        Ok(()) => (ok, String::new()),
        Err(Denial::NotFound) => (StatusCode::NOT_FOUND, "user_not_found".into()),
        Err(denial) if denial.is_conflict() => (StatusCode::CONFLICT, denial.code().into()),
        Err(denial) => (StatusCode::FORBIDDEN, denial.code().into()),
    }
}

fn request(call: Call, token: &str, target: Option<&UserItem>, n: usize) -> Request {
    let path = |user: &UserItem| format!("/scim/v2/{TENANT}/Users/{}", user.id);
    let active = |on: bool| patch(json!([{"op": "replace", "path": "active", "value": on}]));
    match (call, target) {
        (Call::Create(role), _) => scim(
            "POST",
            format!("/scim/v2/{TENANT}/Users"),
            token,
            &json!({
                "schemas": [USER_SCHEMA],
                "userName": format!("new-{n}"),
                "emails": [{"value": format!("new-{n}@acme.test")}],
                "roles": [{"value": role.as_str(), "primary": true}]
            }),
        ),
        (Call::Get, Some(user)) => Request::get(path(user)).token(token),
        (Call::Delete, Some(user)) => Request::delete(path(user)).token(token),
        (Call::Deactivate, Some(user)) => scim("PATCH", path(user), token, &active(false)),
        (Call::Reactivate, Some(user)) => scim("PATCH", path(user), token, &active(true)),
        (Call::Role(role), Some(user)) => scim(
            "PATCH",
            path(user),
            token,
            &patch(json!([{"op": "replace", "path": "roles",
                           "value": [{"value": role.as_str(), "primary": true}]}])),
        ),
        (Call::Email, Some(user)) => scim(
            "PATCH",
            path(user),
            token,
            &patch(
                json!([{"op": "replace", "path": "emails[type eq \"work\"].value",
                           "value": format!("moved-{n}@acme.test")}]),
            ),
        ),
        (call, None) => panic!("{call:?} needs a target"),
    }
}

/// The code of a SCIM answer: the first word of its `detail` (empty for a success).
fn code(status: StatusCode, body: &Value) -> String {
    if status.is_success() {
        return String::new();
    }
    let detail = body["detail"].as_str().unwrap_or("");
    detail
        .split_once(": ")
        .map_or("", |(code, _)| code)
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scim_call_on_every_target_is_answered_as_the_policy_decides() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant(TENANT).await;
    let token = directory(&stack, TENANT, &owner).await;
    let token_id = stack
        .store
        .list_directory_tokens(TENANT)
        .await
        .unwrap()
        .remove(0)
        .id;
    let actor_id = format!("directory:{token_id}");
    let actor = Actor::directory(&actor_id, TENANT);

    let mut subjects = vec![Subject::Owner];
    subjects.extend(ROLES.map(Subject::Active));
    subjects.extend(ROLES.map(Subject::Deleted));
    let mut calls = vec![
        Call::Get,
        Call::Deactivate,
        Call::Reactivate,
        Call::Delete,
        Call::Email,
    ];
    calls.extend(ROLES.map(Call::Role));
    let mut cases = 0;
    let mut mismatches = Vec::new();
    let mut n = 0;
    for subject in &subjects {
        for call in &calls {
            n += 1;
            let target = match subject {
                Subject::Owner => stack.user_item(TENANT, &owner_id).await.unwrap(),
                Subject::Active(role) | Subject::Deleted(role) => {
                    let deleted = matches!(subject, Subject::Deleted(_));
                    let user = seed::user(TENANT, &format!("t-{n}"), role.as_str(), deleted);
                    seed::put_users(&stack.store, std::slice::from_ref(&user), 1).await;
                    user
                }
            };
            let audit_before = stack.store.list_audit(TENANT).await.unwrap().len();
            let want = expected(&actor, *call, Some(&target));
            let answer = request(*call, &token, Some(&target), n).send(&stack).await;
            let got = (answer.status, code(answer.status, &answer.body));
            cases += 1;
            if got != want {
                mismatches.push(format!(
                    "{call:?} on {subject:?}: got {got:?}, want {want:?}: {}",
                    answer.body
                ));
            }
            if !answer.status.is_success() {
                let after = stack.user_item(TENANT, &target.id).await.unwrap();
                let audit_after = stack.store.list_audit(TENANT).await.unwrap().len();
                if after != target || audit_after != audit_before {
                    mismatches.push(format!("{call:?} on {subject:?} was refused but wrote"));
                }
            }
        }
    }
    for role in [Role::SuperAdmin, Role::Admin, Role::Agent, Role::User] {
        n += 1;
        let want = expected(&actor, Call::Create(role), None);
        let answer = request(Call::Create(role), &token, None, n)
            .send(&stack)
            .await;
        let got = (answer.status, code(answer.status, &answer.body));
        cases += 1;
        if got != want {
            mismatches.push(format!(
                "Create({role:?}): got {got:?}, want {want:?}: {}",
                answer.body
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {cases} cases:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(cases, 7 * 8 + 4);
}
