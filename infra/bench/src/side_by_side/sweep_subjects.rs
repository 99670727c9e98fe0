//! The subjects of the memory sweep (`memory_sweep`): which function, invoked with which
//! event, answering what; and the users they act on. Each invocation's event is made before
//! the clock starts ([`Fixtures::call`]), from users made beforehand for that subject
//! ([`Fixtures::provide`]).
//!
//! Reads (`get-user`, `list-users`) act on the bench's tenant (its target and 100 members);
//! everything else on a tenant of its own, `sweep`, so that the users the sweep deletes never
//! sit among the users the reads see. Users whose passwords are checked are made through the
//! API (real argon2id hashes); users only deleted or purged are written straight to the table.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tenantry_store::UserItem;
use tenantry_tests::{LONG_AGO, PASSWORD, seed};

use super::events::{delete_event, event, full_page, get_event, list_event, with_json};
use super::{Bench, TENANT, session};

/// The tenant of the sweep's mutations.
const SWEEP_TENANT: &str = "sweep";
/// Wrong passwords per name: one fewer than lock a name (5 within 15 minutes).
const WRONG_PER_NAME: usize = 4;
/// Users due for purge that each scheduled purge finds (all of them purged, none left).
pub(super) const DUE_PER_PURGE: u64 = 10;
/// A new access token once the one in use is this old (they live 15 minutes).
const TOKEN_AGE: Duration = Duration::from_secs(300);
/// The password set-password alternates with [`PASSWORD`].
const OTHER_PASSWORD: &str = "another-long-enough-password";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    LoginRight,
    LoginWrong,
    CreateUser,
    SetPassword,
    GetUser,
    ListUsers,
    DeleteUser,
    PurgeUser,
    PurgeDeleted,
}

/// A measured subject: a function and the work it is given.
#[derive(Debug)]
pub(super) struct SweepSubject {
    pub(super) kind: Kind,
    /// Its name in the report.
    pub(super) label: &'static str,
    /// The function (crate and binary).
    pub(super) function: &'static str,
    /// Whether each invocation hashes or verifies a password (argon2id).
    pub(super) argon2: bool,
    /// Warm invocations per size: `--sweep-warm` times this. The subjects whose invocations
    /// take milliseconds get more, for a steadier p99 at little cost.
    pub(super) warm_factor: usize,
}

/// Everything the sweep measures, in the order measured.
pub(super) const SUBJECTS: [SweepSubject; 9] = [
    SweepSubject {
        kind: Kind::LoginRight,
        label: "auth-login, right password",
        function: "auth-login",
        argon2: true,
        warm_factor: 1,
    },
    SweepSubject {
        kind: Kind::LoginWrong,
        label: "auth-login, wrong password",
        function: "auth-login",
        argon2: true,
        warm_factor: 1,
    },
    SweepSubject {
        kind: Kind::CreateUser,
        label: "create-user",
        function: "create-user",
        argon2: true,
        warm_factor: 1,
    },
    SweepSubject {
        kind: Kind::SetPassword,
        label: "set-password (own: verify + hash)",
        function: "set-password",
        argon2: true,
        warm_factor: 1,
    },
    SweepSubject {
        kind: Kind::GetUser,
        label: "get-user",
        function: "get-user",
        argon2: false,
        warm_factor: 5,
    },
    SweepSubject {
        kind: Kind::ListUsers,
        label: "list-users (50)",
        function: "list-users",
        argon2: false,
        warm_factor: 5,
    },
    SweepSubject {
        kind: Kind::DeleteUser,
        label: "delete-user",
        function: "delete-user",
        argon2: false,
        warm_factor: 5,
    },
    SweepSubject {
        kind: Kind::PurgeUser,
        label: "purge-user",
        function: "purge-user",
        argon2: false,
        warm_factor: 5,
    },
    SweepSubject {
        kind: Kind::PurgeDeleted,
        label: "purge-deleted (10 due)",
        function: "purge-deleted",
        argon2: false,
        warm_factor: 1,
    },
];

/// What a function answers when it did its work.
pub(super) enum Expect {
    /// An API Gateway response: its status, and a check on its JSON body.
    Http(u16, Box<dyn Fn(&Value) -> bool + Send + Sync>),
    /// purge-deleted's summary: this many purged, none failed.
    Purged(u64),
}

/// One invocation, ready to hand over.
pub(super) struct Call {
    pub(super) event: Value,
    pub(super) expect: Expect,
}

/// The users and tokens the subjects act with, and where each pool stands.
pub(super) struct Fixtures<'a> {
    bench: &'a Bench,
    sweep_owner: String,
    /// Each tenant's owner's access token, and when it was issued.
    tokens: [(String, Instant); 2],
    /// Logs in with the right password.
    login_name: String,
    /// Made through the API; each gets at most [`WRONG_PER_NAME`] wrong passwords.
    wrong_names: Vec<String>,
    wrong_tries: usize,
    created: usize,
    /// Changes its own password, back and forth: its id, and changes made.
    changer: (String, usize),
    /// Active users, each deleted once; deleted users, each purged once.
    to_delete: Vec<String>,
    to_purge: Vec<String>,
    due_batches: usize,
}

impl<'a> Fixtures<'a> {
    /// The sweep's tenant and its owner.
    pub(super) async fn new(bench: &'a Bench) -> Fixtures<'a> {
        let (sweep_owner, _) = bench.stack.tenant(SWEEP_TENANT).await;
        let mut fixtures = Fixtures {
            bench,
            sweep_owner,
            tokens: [
                (String::new(), Instant::now()),
                (String::new(), Instant::now()),
            ],
            login_name: String::new(),
            wrong_names: Vec::new(),
            wrong_tries: 0,
            created: 0,
            changer: (String::new(), 0),
            to_delete: Vec::new(),
            to_purge: Vec::new(),
            due_batches: 0,
        };
        for which in 0..2 {
            fixtures.renew(which).await;
        }
        fixtures
    }

    async fn renew(&mut self, which: usize) {
        let (tenant, owner) = match which {
            0 => (TENANT, self.bench.owner_id.as_str()),
            _ => (SWEEP_TENANT, self.sweep_owner.as_str()),
        };
        let (_, token) = session(&self.bench.stack, tenant, owner).await;
        self.tokens[which] = (token, Instant::now());
    }

    /// The owner's token of the bench's tenant (0) or of the sweep's (1), renewed when old.
    async fn token(&mut self, which: usize) -> String {
        if self.tokens[which].1.elapsed() > TOKEN_AGE {
            self.renew(which).await;
        }
        self.tokens[which].0.clone()
    }

    /// Makes the users `calls` invocations of `kind` will act on.
    pub(super) async fn provide(&mut self, kind: Kind, calls: usize) {
        let stack = &self.bench.stack;
        let token = self.token(1).await;
        match kind {
            Kind::LoginRight => {
                self.login_name = "signs-in".into();
                let made = stack
                    .create_user(SWEEP_TENANT, &token, &self.login_name, "user")
                    .await;
                assert_eq!(made.status, 201, "create {}: {made}", self.login_name);
            }
            Kind::LoginWrong => {
                let names = calls.div_ceil(WRONG_PER_NAME);
                println!("memory sweep: {names} users made through the API for wrong passwords");
                for n in 0..names {
                    let name = format!("mistyped-{n}");
                    let made = stack.create_user(SWEEP_TENANT, &token, &name, "user").await;
                    assert_eq!(made.status, 201, "create {name}: {made}");
                    self.wrong_names.push(name);
                }
            }
            Kind::SetPassword => {
                let made = stack
                    .create_user(SWEEP_TENANT, &token, "changes-password", "user")
                    .await;
                assert_eq!(made.status, 201, "create changes-password: {made}");
                self.changer = (made.id(), 0);
            }
            Kind::DeleteUser => {
                self.to_delete = seeded(self.bench, "to-delete", calls, false).await;
            }
            Kind::PurgeUser => {
                self.to_purge = seeded(self.bench, "to-purge", calls, true).await;
            }
            Kind::CreateUser | Kind::GetUser | Kind::ListUsers | Kind::PurgeDeleted => {}
        }
    }

    /// The next invocation of `kind`, and what it must answer.
    pub(super) async fn call(&mut self, kind: Kind) -> Call {
        let http = |status, check: fn(&Value) -> bool| Expect::Http(status, Box::new(check));
        match kind {
            Kind::LoginRight => Call {
                event: login_event(&self.login_name, PASSWORD),
                expect: http(200, |body| body["access_token"].is_string()),
            },
            Kind::LoginWrong => {
                let name = &self.wrong_names[self.wrong_tries / WRONG_PER_NAME];
                self.wrong_tries += 1;
                Call {
                    event: login_event(name, "not-the-password"),
                    expect: http(401, |body| body["code"] == "invalid_credentials"),
                }
            }
            Kind::CreateUser => {
                let username = format!("created-{}", self.created);
                self.created += 1;
                let body = json!({
                    "username": username,
                    "email": format!("{username}@{SWEEP_TENANT}.test"),
                    "password": PASSWORD,
                    "role": "user"
                });
                let path = format!("/tenants/{SWEEP_TENANT}/users");
                let token = self.token(1).await;
                let params = [("tenant_id", SWEEP_TENANT)];
                let event = event(
                    "POST",
                    "/tenants/{tenant_id}/users",
                    &path,
                    &params,
                    "",
                    &token,
                );
                Call {
                    event: with_json(event, &body),
                    expect: http(201, |body| body["id"].is_string()),
                }
            }
            Kind::SetPassword => {
                let (id, changes) = self.changer.clone();
                // Each change ends every session of the user: a new one for each.
                let (_, token) = session(&self.bench.stack, SWEEP_TENANT, &id).await;
                let (current, new) = if changes % 2 == 0 {
                    (PASSWORD, OTHER_PASSWORD)
                } else {
                    (OTHER_PASSWORD, PASSWORD)
                };
                self.changer.1 += 1;
                let path = format!("/tenants/{SWEEP_TENANT}/users/{id}/password");
                let params = [("tenant_id", SWEEP_TENANT), ("user_id", id.as_str())];
                let route = "/tenants/{tenant_id}/users/{user_id}/password";
                let event = event("POST", route, &path, &params, "", &token);
                let body = json!({"current_password": current, "new_password": new});
                Call {
                    event: with_json(event, &body),
                    expect: http(200, |body| body["password_changed"] == true),
                }
            }
            Kind::GetUser => {
                let target = self.bench.target.clone();
                Call {
                    event: get_event(TENANT, &target, &self.token(0).await),
                    expect: Expect::Http(200, Box::new(move |body| body["id"] == target.as_str())),
                }
            }
            Kind::ListUsers => Call {
                event: list_event(TENANT, &self.token(0).await),
                expect: http(200, full_page),
            },
            Kind::DeleteUser => {
                let user = self.to_delete.pop().expect("a user left to delete");
                Call {
                    event: delete_event(SWEEP_TENANT, &user, &self.token(1).await),
                    expect: http(200, |body| body["deleted_at"].is_string()),
                }
            }
            Kind::PurgeUser => {
                let user = self.to_purge.pop().expect("a deleted user left to purge");
                let path = format!("/tenants/{SWEEP_TENANT}/users/{user}/purge");
                let params = [("tenant_id", SWEEP_TENANT), ("user_id", user.as_str())];
                let route = "/tenants/{tenant_id}/users/{user_id}/purge";
                Call {
                    event: event("POST", route, &path, &params, "", &self.token(1).await),
                    expect: http(200, |body| body["state"] == "purged"),
                }
            }
            Kind::PurgeDeleted => {
                let label = format!("due-{}", self.due_batches);
                self.due_batches += 1;
                let batch = seed::Seed {
                    tenant_id: SWEEP_TENANT,
                    label: &label,
                    deleted_at: "2000-01-01T00:00:00.000Z",
                    purge_after: LONG_AGO,
                };
                let count = DUE_PER_PURGE as usize;
                seed::deleted_users(&self.bench.stack.store, &batch, count, 4).await;
                // The event the template's schedule sends (`Input: "{}"`).
                Call {
                    event: json!({}),
                    expect: Expect::Purged(DUE_PER_PURGE),
                }
            }
        }
    }
}

/// `POST /auth/login` for `username` of the sweep's tenant.
fn login_event(username: &str, password: &str) -> Value {
    let body = json!({"tenant": SWEEP_TENANT, "username": username, "password": password});
    with_json(
        event("POST", "/auth/login", "/auth/login", &[], "", ""),
        &body,
    )
}

/// `count` users of the sweep's tenant written straight to the table, active or deleted
/// (restorable for 30 days, so never due for the purge); their ids.
async fn seeded(bench: &Bench, label: &str, count: usize, deleted: bool) -> Vec<String> {
    let users: Vec<UserItem> = (0..count)
        .map(|n| seed::user(SWEEP_TENANT, &format!("{label}-{n}"), "user", deleted))
        .collect();
    seed::put_users(&bench.stack.store, &users, 16).await;
    users.into_iter().map(|u| u.id).collect()
}
