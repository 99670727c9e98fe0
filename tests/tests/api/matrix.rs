//! The authorization matrix, through the real handlers on DynamoDB Local.
//!
//! Every endpoint that acts on a tenant or a user is called by every kind of actor (a super
//! admin, the owner, an admin, an agent, a user) on its own tenant and on another one, on
//! every kind of target (the owner; an admin, an agent and a user, active and deleted; the
//! actor itself). The answer each call must get is computed from `tenantry_policy::decide`
//! on the actor and the target as they are on the table, and nothing else but the state
//! rules the API documents outside the policy: restoring or purging a user who is not
//! deleted is `409 not_deleted`, and a PATCH to a value the user already has is no change
//! (it only needs the right to see the user). The status must be the one the decision maps
//! to (allowed: the endpoint's success; `NotFound`: 404; a conflict: 409; any other denial:
//! 403) and the problem's `code` the denial's. On top of the table, independently of it:
//! another tenant's data is 404 for everyone but super admins, with a body that is exactly
//! the one for something that does not exist; a success answers about its target (a created
//! user has the role asked for and is no owner, a role change answers the new role); and a
//! refused call changes nothing: not the target, not the actor, not the tenant, no name is
//! claimed and no audit event is written.
//!
//! Each actor kind has its own stack. Targets are written straight to the table (no argon2),
//! one fresh target per case, so that a mutation never leaks into the next case; a transfer
//! that went through is handed back. All mismatches are collected and reported at once.

use std::fmt;
use std::time::Instant;

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_policy::{Action, Actor, ActorKind, Denial, ListScope, Member, Role, Target, decide};
use tenantry_store::UserItem;
use tenantry_tests::{Answer, PASSWORD, Request, Stack, seed};

/// The actor's own tenant; super admins live in `platform` and act on both.
const OWN: &str = "acme";
/// Another tenant, with the same kinds of users.
const OTHER: &str = "globex";
const PLATFORM: &str = "platform";

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    SuperAdmin,
    Owner,
    Admin,
    Agent,
    User,
}

/// Who is acted upon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Subject {
    /// The tenant's owner.
    Owner,
    /// A fresh active user with this role.
    Active(Role),
    /// A fresh deleted user with this role (restorable).
    Deleted(Role),
    /// The actor itself.
    Myself,
}

/// One endpoint, with what varies in its request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    Get,
    Delete,
    Restore,
    Purge,
    PatchRole(Role),
    PatchEmail,
    Transfer,
    /// A password reset (no `current_password`).
    SetPassword,
    Create(Role),
    List(ListScope),
    Audit,
    Retention,
    /// `GET /tenants/{tenant_id}`.
    Tenant,
    Me,
}

impl Call {
    const ON_USERS: [Call; 11] = [
        Call::Get,
        Call::Delete,
        Call::Restore,
        Call::Purge,
        Call::PatchRole(Role::SuperAdmin),
        Call::PatchRole(Role::Admin),
        Call::PatchRole(Role::Agent),
        Call::PatchRole(Role::User),
        Call::PatchEmail,
        Call::Transfer,
        Call::SetPassword,
    ];
    const ON_TENANTS: [Call; 10] = [
        Call::Create(Role::SuperAdmin),
        Call::Create(Role::Admin),
        Call::Create(Role::Agent),
        Call::Create(Role::User),
        Call::List(ListScope::Active),
        Call::List(ListScope::Deleted),
        Call::List(ListScope::All),
        Call::Audit,
        Call::Retention,
        Call::Tenant,
    ];

    fn success(self) -> StatusCode {
        match self {
            Call::Create(_) => StatusCode::CREATED,
            _ => StatusCode::OK,
        }
    }
}

/// One cell of the matrix.
#[derive(Clone, Debug)]
struct Case {
    call: Call,
    tenant: &'static str,
    subject: Option<Subject>,
    /// The fresh target written for this case, if its subject is one.
    fresh: Option<UserItem>,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} in {}", self.call, self.tenant)?;
        match self.subject {
            Some(subject) => write!(f, " on {subject:?}"),
            None => Ok(()),
        }
    }
}

/// What the answer must be.
#[derive(Debug)]
struct Expected {
    status: StatusCode,
    /// The problem's `code`; `None` for a success.
    code: Option<&'static str>,
    /// Why, for the report: the decision and the state rule applied.
    why: String,
}

fn role_of(user: &UserItem) -> Role {
    Role::parse(&user.role).unwrap_or_else(|| panic!("stored role {:?}", user.role))
}

fn actor_of(user: &UserItem) -> Actor<'_> {
    Actor {
        id: &user.id,
        tenant_id: &user.tenant_id,
        role: role_of(user),
        is_owner: user.is_owner,
        kind: ActorKind::Person,
    }
}

fn member_of(user: &UserItem) -> Member<'_> {
    Member {
        id: &user.id,
        tenant_id: &user.tenant_id,
        role: role_of(user),
        is_owner: user.is_owner,
        deleted: user.is_deleted(),
    }
}

/// The answer `decide` calls for, on the actor and target as they are now.
fn expected(actor: &UserItem, call: Call, tenant: &str, target: Option<&UserItem>) -> Expected {
    let actor = actor_of(actor);
    let member = target.map(member_of);
    let (action, on) = match (call, member) {
        (Call::Create(role), _) => (Action::Create(role), Target::Tenant(tenant)),
        (Call::List(scope), _) => (Action::List(scope), Target::Tenant(tenant)),
        (Call::Audit, _) => (Action::ViewAudit, Target::Tenant(tenant)),
        (Call::Retention, _) => (Action::ConfigureTenant, Target::Tenant(tenant)),
        (Call::Tenant, _) => (Action::List(ListScope::Active), Target::Tenant(tenant)),
        (Call::Me, _) => {
            return Expected {
                status: StatusCode::OK,
                code: None,
                why: "any signed-in user reads itself".into(),
            };
        }
        (Call::Get, Some(m)) => (Action::View, Target::User(m)),
        (Call::Delete, Some(m)) => (Action::Delete, Target::User(m)),
        (Call::Restore, Some(m)) => (Action::Restore, Target::User(m)),
        (Call::Purge, Some(m)) => (Action::Purge, Target::User(m)),
        // Asking for the role the user has is no change: it only needs to see the user.
        (Call::PatchRole(role), Some(m)) if role == m.role => (Action::View, Target::User(m)),
        (Call::PatchRole(role), Some(m)) => (Action::ChangeRole(role), Target::User(m)),
        (Call::PatchEmail, Some(m)) => (Action::ChangeEmail, Target::User(m)),
        (Call::Transfer, Some(m)) => (Action::TransferOwnership, Target::User(m)),
        (Call::SetPassword, Some(m)) => (Action::SetPassword, Target::User(m)),
        (call, None) => panic!("{call:?} needs a target"),
    };
    let decision = decide(&actor, action, &on);
    let why = format!("decide({action:?}) = {decision:?}");
    let (status, code) = match decision {
        Ok(()) => match (call, member) {
            // Your own password needs your current one, which a reset does not send.
            (Call::SetPassword, Some(m)) if m.id == actor.id => {
                return Expected {
                    status: StatusCode::BAD_REQUEST,
                    code: Some("validation_failed"),
                    why: format!("{why}, and `current_password` is missing"),
                };
            }
            (Call::Restore | Call::Purge, Some(m)) if !m.deleted => {
                return Expected {
                    status: StatusCode::CONFLICT,
                    code: Some("not_deleted"),
                    why: format!("{why}, and the target is not deleted"),
                };
            }
            _ => (call.success(), None),
        },
        Err(Denial::NotFound) => (
            StatusCode::NOT_FOUND,
            Some(not_found_code(&actor, call, tenant)),
        ),
        Err(denial) if denial.is_conflict() => (StatusCode::CONFLICT, Some(denial.code())),
        Err(denial) => (StatusCode::FORBIDDEN, Some(denial.code())),
    };
    Expected { status, code, why }
}

/// What a user view must say `actor` may do to `user`, written from the API's documentation:
/// an active user can be deleted, given each role it does not have, a new email and password,
/// and the tenant; a deleted one restored or purged. Each is allowed or refused as `decide`
/// says, a refusal with the denial's code and sentence.
fn allowed_actions(actor: &UserItem, user: &UserItem) -> Value {
    let (actor, member) = (actor_of(actor), member_of(user));
    let offered: Vec<Action> = if member.deleted {
        vec![Action::Restore, Action::Purge]
    } else {
        let mut offered = vec![Action::Delete];
        for role in [Role::Admin, Role::Agent, Role::User] {
            if role != member.role {
                offered.push(Action::ChangeRole(role));
            }
        }
        offered.extend([
            Action::ChangeEmail,
            Action::SetPassword,
            Action::TransferOwnership,
        ]);
        offered
    };
    let entries = offered.into_iter().map(|action| {
        let name = match action {
            Action::Delete => "delete",
            Action::Restore => "restore",
            Action::Purge => "purge",
            Action::ChangeRole(_) => "change_role",
            Action::ChangeEmail => "change_email",
            Action::SetPassword => "set_password",
            Action::TransferOwnership => "transfer_ownership",
            other => unreachable!("{other:?} is not offered on a user"),
        };
        let role = match action {
            Action::ChangeRole(role) => Some(role),
            _ => None,
        };
        entry(name, role, decide(&actor, action, &Target::User(member)))
    });
    Value::Array(entries.collect())
}

/// One `allowed_actions` entry as documented: the action's name, its role if any, and
/// `allowed`, or the denial's code and sentence.
fn entry(name: &str, role: Option<Role>, decision: Result<(), Denial>) -> Value {
    let mut entry = json!({"action": name});
    if let Some(role) = role {
        entry["role"] = json!(role.as_str());
    }
    match decision {
        Ok(()) => entry["allowed"] = json!(true),
        Err(denial) => {
            entry["allowed"] = json!(false);
            entry["code"] = json!(denial.code());
            entry["detail"] = json!(denial.message());
        }
    }
    entry
}

/// What a tenant view must say `actor` may do in `tenant`, as documented: add admins, agents
/// and users, see the trash and the audit log, change the settings, manage directory tokens.
fn tenant_actions(actor: &UserItem, tenant: &str) -> Value {
    let actor = actor_of(actor);
    let entries = [
        ("create", Some(Role::Admin), Action::Create(Role::Admin)),
        ("create", Some(Role::Agent), Action::Create(Role::Agent)),
        ("create", Some(Role::User), Action::Create(Role::User)),
        ("list_deleted", None, Action::List(ListScope::Deleted)),
        ("view_audit", None, Action::ViewAudit),
        ("configure_tenant", None, Action::ConfigureTenant),
        (
            "manage_directory_tokens",
            None,
            Action::ManageDirectoryTokens,
        ),
    ]
    .map(|(name, role, action)| entry(name, role, decide(&actor, action, &Target::Tenant(tenant))));
    Value::Array(entries.to_vec())
}

/// What a hidden target is called: a user on the user routes, a tenant on the tenant routes;
/// a transfer names a tenant when the tenant itself is out of reach, else the new owner.
fn not_found_code(actor: &Actor, call: Call, tenant: &str) -> &'static str {
    let tenant_hidden = decide(
        actor,
        Action::List(ListScope::Active),
        &Target::Tenant(tenant),
    ) == Err(Denial::NotFound);
    match call {
        Call::Create(_) | Call::List(_) | Call::Audit | Call::Retention | Call::Tenant => {
            "tenant_not_found"
        }
        Call::Transfer if tenant_hidden => "tenant_not_found",
        _ => "user_not_found",
    }
}

/// The members of a problem body; anything else in a 404 would tell something.
const PROBLEM_MEMBERS: [&str; 5] = ["type", "title", "status", "detail", "code"];

/// One actor's stack: the tenants, their owners, and the actor.
struct World {
    stack: Stack,
    kind: Kind,
    actor: UserItem,
    /// Each tenant's owner at the start, to hand ownership back after a transfer.
    owners: Vec<(&'static str, String)>,
    /// Counts fresh names.
    serial: std::cell::Cell<usize>,
}

impl World {
    async fn new(kind: Kind) -> World {
        let stack = Stack::new().await;
        let (own_owner, _) = stack.tenant(OWN).await;
        let (other_owner, _) = stack.tenant(OTHER).await;
        let actor_id = match kind {
            Kind::SuperAdmin => stack.root_id.clone(),
            Kind::Owner => own_owner.clone(),
            Kind::Admin | Kind::Agent | Kind::User => {
                let role = match kind {
                    Kind::Admin => "admin",
                    Kind::Agent => "agent",
                    _ => "user",
                };
                let actor = seed::user(OWN, &format!("the-{role}"), role, false);
                seed::put_users(&stack.store, std::slice::from_ref(&actor), 1).await;
                actor.id
            }
        };
        let home = if kind == Kind::SuperAdmin {
            PLATFORM
        } else {
            OWN
        };
        let actor = stack.user_item(home, &actor_id).await.expect("the actor");
        World {
            stack,
            kind,
            actor,
            owners: vec![(OWN, own_owner), (OTHER, other_owner)],
            serial: std::cell::Cell::new(0),
        }
    }

    fn fresh_name(&self, what: &str) -> String {
        let n = self.serial.get();
        self.serial.set(n + 1);
        format!("{what}-{n}")
    }

    fn owner_of(&self, tenant: &str) -> &str {
        &self.owners.iter().find(|(t, _)| *t == tenant).unwrap().1
    }

    /// Every cell for this actor, each user target fresh (written in one go).
    async fn cases(&self) -> Vec<Case> {
        let targets = [
            Subject::Owner,
            Subject::Active(Role::Admin),
            Subject::Active(Role::Agent),
            Subject::Active(Role::User),
            Subject::Deleted(Role::Admin),
            Subject::Deleted(Role::Agent),
            Subject::Deleted(Role::User),
        ];
        let mut cases = Vec::new();
        for tenant in [OWN, OTHER] {
            for call in Call::ON_TENANTS {
                cases.push(Case {
                    call,
                    tenant,
                    subject: None,
                    fresh: None,
                });
            }
            for call in Call::ON_USERS {
                for subject in targets {
                    // The owner acting on the owner is the "myself" column.
                    if subject == Subject::Owner && self.kind == Kind::Owner && tenant == OWN {
                        continue;
                    }
                    let fresh = match subject {
                        Subject::Active(role) | Subject::Deleted(role) => Some(seed::user(
                            tenant,
                            &self.fresh_name("target"),
                            role.as_str(),
                            matches!(subject, Subject::Deleted(_)),
                        )),
                        _ => None,
                    };
                    cases.push(Case {
                        call,
                        tenant,
                        subject: Some(subject),
                        fresh,
                    });
                }
            }
        }
        let home: &'static str = if self.kind == Kind::SuperAdmin {
            PLATFORM
        } else {
            OWN
        };
        for call in Call::ON_USERS {
            // The platform is no tenant (no tenant item): there is no ownership to move.
            if call == Call::Transfer && home == PLATFORM {
                continue;
            }
            cases.push(Case {
                call,
                tenant: home,
                subject: Some(Subject::Myself),
                fresh: None,
            });
        }
        cases.push(Case {
            call: Call::Me,
            tenant: home,
            subject: None,
            fresh: None,
        });
        let fresh: Vec<UserItem> = cases.iter().filter_map(|c| c.fresh.clone()).collect();
        seed::put_users(&self.stack.store, &fresh, 4).await;
        cases
    }

    /// The target of a case as it is on the table now.
    async fn target(&self, case: &Case) -> Option<UserItem> {
        let id = match case.subject? {
            Subject::Owner => self.owner_of(case.tenant).to_owned(),
            Subject::Myself => self.actor.id.clone(),
            Subject::Active(_) | Subject::Deleted(_) => case.fresh.as_ref()?.id.clone(),
        };
        self.stack.user_item(case.tenant, &id).await
    }

    /// The request of a case, on `target_id` (or another tenant for tenant calls).
    fn request(
        &self,
        case: &Case,
        tenant: &str,
        target_id: &str,
    ) -> (&'static str, String, Option<Value>) {
        let user = format!("/tenants/{tenant}/users/{target_id}");
        match case.call {
            Call::Get => ("GET", user, None),
            Call::Delete => ("DELETE", user, None),
            Call::Restore => ("POST", format!("{user}/restore"), None),
            Call::Purge => ("POST", format!("{user}/purge"), None),
            Call::PatchRole(role) => ("PATCH", user, Some(json!({"role": role.as_str()}))),
            Call::PatchEmail => (
                "PATCH",
                user,
                Some(json!({"email": format!("{}@{tenant}.test", self.fresh_name("mail"))})),
            ),
            Call::SetPassword => (
                "POST",
                format!("{user}/password"),
                Some(json!({"new_password": "a-brand-new-long-password"})),
            ),
            Call::Transfer => (
                "POST",
                format!("/tenants/{tenant}/ownership"),
                Some(json!({"new_owner_id": target_id})),
            ),
            Call::Create(role) => (
                "POST",
                format!("/tenants/{tenant}/users"),
                Some(json!({
                    "username": self.fresh_name("new"),
                    "email": format!("{}@{tenant}.test", self.fresh_name("new")),
                    "password": PASSWORD,
                    "role": role.as_str(),
                })),
            ),
            Call::List(scope) => {
                let state = match scope {
                    ListScope::Active => "active",
                    ListScope::Deleted => "deleted",
                    ListScope::All => "all",
                };
                (
                    "GET",
                    format!("/tenants/{tenant}/users?state={state}"),
                    None,
                )
            }
            Call::Audit => ("GET", format!("/tenants/{tenant}/audit"), None),
            Call::Retention => ("PATCH", format!("/tenants/{tenant}"), None),
            Call::Tenant => ("GET", format!("/tenants/{tenant}"), None),
            Call::Me => ("GET", "/me".to_owned(), None),
        }
    }

    /// Runs one case; returns the status it got and what went wrong, if anything.
    async fn check(&self, case: &Case) -> (StatusCode, Vec<String>) {
        let stack = &self.stack;
        let mut wrong = Vec::new();
        let actor = stack
            .user_item(&self.actor.tenant_id, &self.actor.id)
            .await
            .expect("the actor is on the table");
        let (token, _) = stack
            .token_of(&actor.tenant_id, &actor.id)
            .await
            .expect("a token for the actor");
        let target = self.target(case).await;
        if case.subject.is_some() && target.is_none() {
            return (
                StatusCode::NOT_FOUND,
                vec![format!("{case}: the target is not on the table")],
            );
        }
        let tenant_before = stack.store.get_tenant(case.tenant).await.unwrap();
        let events_before = stack.store.list_audit(case.tenant).await.unwrap().len();
        let expected = expected(&actor, case.call, case.tenant, target.as_ref());

        let target_id = target.as_ref().map_or("", |t| t.id.as_str());
        let (method, path, mut body) = self.request(case, case.tenant, target_id);
        if case.call == Call::Retention {
            let now = tenant_before.as_ref().map_or(30, |t| t.retention_days);
            body = Some(json!({"retention_days": if now == 7 { 8 } else { 7 }}));
        }
        let Answer {
            status,
            body: answer,
            ..
        } = Request::new(method, &path)
            .token(&token)
            .maybe_json(body.clone())
            .send(stack)
            .await;
        let what = format!("{:?} {case}", self.kind);

        if status != expected.status
            || (expected.code.is_some() && answer["code"].as_str() != expected.code)
        {
            wrong.push(format!(
                "{what}: expected {} {} ({}), got {} {}",
                expected.status.as_u16(),
                expected.code.unwrap_or(""),
                expected.why,
                status.as_u16(),
                short(&answer),
            ));
        }

        // Another tenant's data: 404 for everyone but super admins, whatever the table says.
        let foreign = case.tenant != actor.tenant_id && case.call != Call::Me;
        if foreign && self.kind != Kind::SuperAdmin && status != StatusCode::NOT_FOUND {
            wrong.push(format!(
                "{what}: another tenant's data answered {} {}, not 404",
                status.as_u16(),
                short(&answer),
            ));
        }
        if status == StatusCode::NOT_FOUND {
            wrong.extend(
                self.reveals_nothing(case, &what, &token, &answer, target.as_ref())
                    .await,
            );
        }

        if status.is_success() {
            wrong.extend(self.success_shape(case, &what, &answer, target.as_ref()));
            if case.call == Call::Transfer {
                wrong.extend(self.hand_back(case.tenant).await);
            }
        } else {
            // A refused call changed nothing.
            let after = match &target {
                Some(t) => stack.user_item(case.tenant, &t.id).await,
                None => None,
            };
            if after != target {
                wrong.push(format!(
                    "{what}: refused with {}, but the target changed",
                    status.as_u16()
                ));
            }
            if stack.store.get_tenant(case.tenant).await.unwrap() != tenant_before {
                wrong.push(format!(
                    "{what}: refused with {}, but the tenant changed",
                    status.as_u16()
                ));
            }
            if stack.user_item(&actor.tenant_id, &actor.id).await.as_ref() != Some(&actor) {
                wrong.push(format!(
                    "{what}: refused with {}, but the actor changed",
                    status.as_u16()
                ));
            }
            if stack.store.list_audit(case.tenant).await.unwrap().len() != events_before {
                wrong.push(format!(
                    "{what}: refused with {}, but an audit event was written",
                    status.as_u16()
                ));
            }
            if let (Call::Create(_), Some(body)) = (case.call, &body) {
                let username = body["username"].as_str().unwrap();
                if stack
                    .store
                    .get_username_claim(case.tenant, username)
                    .await
                    .unwrap()
                    .is_some()
                {
                    wrong.push(format!("{what}: refused, but {username} was claimed"));
                }
            }
        }
        (status, wrong)
    }

    /// A 404 tells nothing: only the problem's members, none of the target's data, and the
    /// very body that the same call on something that does not exist gets.
    async fn reveals_nothing(
        &self,
        case: &Case,
        what: &str,
        token: &str,
        answer: &Value,
        target: Option<&UserItem>,
    ) -> Vec<String> {
        let mut wrong = Vec::new();
        let members: Vec<&String> = answer
            .as_object()
            .map(|o| o.keys().collect())
            .unwrap_or_default();
        if members
            .iter()
            .any(|m| !PROBLEM_MEMBERS.contains(&m.as_str()))
        {
            wrong.push(format!(
                "{what}: the 404 has more than a problem's members: {answer}"
            ));
        }
        let text = answer.to_string();
        if let Some(t) = target {
            for secret in [&t.id, &t.username, &t.email] {
                if text.contains(secret.as_str()) {
                    wrong.push(format!("{what}: the 404 names {secret}: {answer}"));
                }
            }
        }
        let (tenant, nobody) = match case.subject {
            Some(_) => (case.tenant, uuid::Uuid::now_v7().to_string()),
            None => ("no-such-tenant", String::new()),
        };
        let (method, path, body) = self.request(case, tenant, &nobody);
        let body =
            body.or_else(|| (case.call == Call::Retention).then(|| json!({"retention_days": 7})));
        let Answer {
            status,
            body: missing,
            ..
        } = Request::new(method, path)
            .token(token)
            .maybe_json(body)
            .send(&self.stack)
            .await;
        if (status, &missing) != (StatusCode::NOT_FOUND, answer) {
            wrong.push(format!(
                "{what}: the 404 {answer} differs from the answer for nothing: {} {missing}",
                status.as_u16()
            ));
        }
        wrong
    }

    /// A success answers about the target it was asked about.
    fn success_shape(
        &self,
        case: &Case,
        what: &str,
        answer: &Value,
        target: Option<&UserItem>,
    ) -> Vec<String> {
        let id = target.map(|t| t.id.as_str());
        let ok = match case.call {
            Call::Get | Call::Restore | Call::PatchEmail => answer["id"].as_str() == id,
            Call::PatchRole(role) => answer["id"].as_str() == id && answer["role"] == role.as_str(),
            Call::Delete => answer["id"].as_str() == id && answer["state"] == "deleted",
            Call::Purge => answer["id"].as_str() == id && answer["state"] == "purged",
            Call::Transfer => answer["new_owner"]["id"].as_str() == id,
            Call::SetPassword => answer["id"].as_str() == id && answer["sessions_revoked"] == true,
            Call::Create(role) => {
                answer["role"] == role.as_str()
                    && answer["tenant_id"] == case.tenant
                    && answer["is_owner"] == false
            }
            Call::List(_) | Call::Audit => answer["items"].is_array(),
            Call::Retention | Call::Tenant => answer["id"] == case.tenant,
            Call::Me => answer["id"] == self.actor.id.as_str(),
        };
        // What a user view says the caller may do is what `decide` says, action by action.
        let viewed = match case.call {
            Call::Get => target,
            Call::Me => Some(&self.actor),
            _ => None,
        };
        let mut wrong = Vec::new();
        if case.call == Call::Tenant {
            let expected = tenant_actions(&self.actor, case.tenant);
            if answer["allowed_actions"] != expected {
                wrong.push(format!(
                    "{what}: the tenant's allowed_actions {} differ from decide's {expected}",
                    answer["allowed_actions"]
                ));
            }
        }
        if let Some(viewed) = viewed {
            let expected = allowed_actions(&self.actor, viewed);
            if answer["allowed_actions"] != expected {
                wrong.push(format!(
                    "{what}: allowed_actions {} differ from decide's {expected}",
                    answer["allowed_actions"]
                ));
            }
        }
        if !ok {
            wrong.push(format!(
                "{what}: succeeded with an unexpected body {}",
                short(answer),
            ));
        }
        wrong
    }

    /// After a transfer went through, the super admin hands the tenant back to its owner.
    async fn hand_back(&self, tenant: &str) -> Vec<String> {
        let owner = self.owner_of(tenant);
        let answer = Request::post(format!("/tenants/{tenant}/ownership"))
            .token(&self.stack.root_token)
            .json(json!({"new_owner_id": owner}))
            .send(&self.stack)
            .await;
        if answer.status == StatusCode::OK {
            Vec::new()
        } else {
            vec![format!(
                "handing {tenant} back to {owner}: {} {}",
                answer.status.as_u16(),
                short(&answer.body),
            )]
        }
    }
}

/// An answer, cut short for the report: a leaked listing is telling enough in 300 characters.
fn short(answer: &Value) -> String {
    let text = answer.to_string();
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

async fn run(kind: Kind) {
    let started = Instant::now();
    let world = World::new(kind).await;
    let cases = world.cases().await;
    let ready = started.elapsed();
    let mut wrong = Vec::new();
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for case in &cases {
        let (status, problems) = world.check(case).await;
        *answers.entry(status.as_u16()).or_default() += 1;
        wrong.extend(problems);
    }
    eprintln!(
        "authorization matrix, {kind:?}: {} cases in {:.2?} (set-up {ready:.2?}), \
         answers by status {answers:?}",
        cases.len(),
        started.elapsed()
    );
    assert!(
        wrong.is_empty(),
        "{} of {} cases of {kind:?} disagree with the policy:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_by_a_super_admin_is_answered_as_decide_says() {
    run(Kind::SuperAdmin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_by_the_owner_is_answered_as_decide_says() {
    run(Kind::Owner).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_by_an_admin_is_answered_as_decide_says() {
    run(Kind::Admin).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_by_an_agent_is_answered_as_decide_says() {
    run(Kind::Agent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_by_a_user_is_answered_as_decide_says() {
    run(Kind::User).await;
}
