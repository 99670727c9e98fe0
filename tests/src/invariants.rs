//! The invariants of tenantry, checked on the table itself (a full consistent scan), not on
//! what clients were told:
//!
//! - every tenant has exactly one owner, an active admin, and the tenant item names it;
//! - every username and email is claimed once, by a user that exists and holds that value;
//! - the audit log replays: each item's versions form one chain, every version step has
//!   exactly one audit event, and every event was allowed by the policy on the state it
//!   committed against (the actor at the version its guard checked, the target at the
//!   version its write replaced). The chains end in exactly the items on the table: a user
//!   is on the table unless its chain ends in a purge, which only a deleted user can get;
//! - every session was opened in an epoch its user has had, in the user's tenant (a session
//!   whose user is gone was the purged user's; its epoch check can never pass again).

use std::collections::{BTreeMap, HashMap};

use tenantry_accounts::{DEFAULT_RETENTION_DAYS, DIRECTORY_ACTOR_PREFIX, PURGE_ACTOR};
use tenantry_policy::{Action, Actor, ActorKind, Member, Role, Target, decide};
use tenantry_store::{
    AuditItem, ClaimItem, DirectoryTokenItem, FailedLoginsItem, Item, SessionItem, Store,
    TenantItem, UserItem, from_item,
};

/// Everything on the table, by kind.
#[derive(Debug, Default)]
pub struct TableDump {
    pub tenants: Vec<TenantItem>,
    pub users: Vec<UserItem>,
    /// (partition key, claim)
    pub claims: Vec<ClaimItem>,
    pub audit: Vec<AuditItem>,
    pub sessions: Vec<SessionItem>,
    pub failed_logins: Vec<FailedLoginsItem>,
    pub directory_tokens: Vec<DirectoryTokenItem>,
}

impl TableDump {
    /// One consistent scan of the whole table.
    pub async fn read(store: &Store) -> TableDump {
        let mut dump = TableDump::default();
        for item in scan_all(store).await {
            let pk = item["PK"].as_s().unwrap().clone();
            let sk = item["SK"].as_s().unwrap().clone();
            if pk.starts_with("AUDIT#") {
                dump.audit.push(from_item(item).unwrap());
            } else if sk == "TENANT" {
                dump.tenants.push(from_item(item).unwrap());
            } else if sk.starts_with("USER#") {
                dump.users.push(from_item(item).unwrap());
            } else if sk == "CLAIM" {
                dump.claims.push(from_item(item).unwrap());
            } else if sk == "SESSION" {
                dump.sessions.push(from_item(item).unwrap());
            } else if sk == "GUARD" {
                dump.failed_logins.push(from_item(item).unwrap());
            } else if sk.starts_with("DIRTOKEN#") {
                dump.directory_tokens.push(from_item(item).unwrap());
            } else {
                panic!("unknown item {pk} {sk}");
            }
        }
        dump
    }
}

/// Every item of the table, raw, from one consistent scan (page after page).
pub async fn scan_all(store: &Store) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = store
            .client()
            .scan()
            .table_name(store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan the table");
        items.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key;
        if start.is_none() {
            return items;
        }
    }
}

/// The state of a user that the rules look at, at one version.
#[derive(Clone, Debug, PartialEq, Eq)]
struct State {
    tenant_id: String,
    role: Role,
    is_owner: bool,
    deleted: bool,
    token_epoch: u64,
    /// Gone for good: no version follows.
    purged: bool,
}

/// What one audit event did to one user item.
#[derive(Clone, Copy, Debug)]
enum Effect {
    Delete,
    Restore,
    SetRole(Role),
    KeepRole,
    Owner(bool),
    Purge,
    /// A new password or a logout everywhere: only the epoch moves.
    EndSessions,
}

/// What one audit event did to a tenant item.
#[derive(Clone, Debug)]
enum TenantStep {
    Owner(String),
    /// (retention before, retention after)
    Retention(u64, u64),
}

/// All violations found, as sentences; empty when every invariant holds.
pub fn check(dump: &TableDump) -> Vec<String> {
    check_events(dump, None)
}

/// `check`, knowing the order in which the transactions committed (the audit event ids they
/// wrote, as the fault proxy saw them commit): then every event must also have committed
/// while its actor was still at the version its guard names, not after another commit
/// replaced it. Without the order, a commit whose actor guard let a stale version through
/// is invisible, as long as that version existed and was allowed.
pub fn check_ordered(dump: &TableDump, order: &[String]) -> Vec<String> {
    check_events(dump, Some(order))
}

fn check_events(dump: &TableDump, order: Option<&[String]>) -> Vec<String> {
    let mut violations = Vec::new();
    owners(dump, &mut violations);
    claims(dump, &mut violations);
    sessions(dump, &mut violations);
    let position: Option<HashMap<&str, usize>> = order.map(|order| {
        order
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i))
            .collect()
    });
    replay(dump, position.as_ref(), &mut violations);
    violations
}

fn owners(dump: &TableDump, violations: &mut Vec<String>) {
    for tenant in &dump.tenants {
        let owners: Vec<&UserItem> = dump
            .users
            .iter()
            .filter(|u| u.tenant_id == tenant.id && u.is_owner)
            .collect();
        match owners.as_slice() {
            [owner] => {
                if owner.is_deleted() || owner.role != "admin" || owner.id != tenant.owner_id {
                    violations.push(format!(
                        "tenant {}: owner {} is not an active admin named by the tenant \
                         (role {}, deleted {}, tenant names {})",
                        tenant.id,
                        owner.id,
                        owner.role,
                        owner.is_deleted(),
                        tenant.owner_id
                    ));
                }
            }
            _ => violations.push(format!(
                "tenant {} has {} owners: {:?}",
                tenant.id,
                owners.len(),
                owners.iter().map(|u| &u.id).collect::<Vec<_>>()
            )),
        }
    }
}

fn sessions(dump: &TableDump, violations: &mut Vec<String>) {
    for session in &dump.sessions {
        let user = dump.users.iter().find(|u| u.id == session.user_id);
        if let Some(user) = user
            && (user.tenant_id != session.tenant_id || session.token_epoch > user.token_epoch)
        {
            violations.push(format!(
                "session {} is of epoch {} in {}, its user of epoch {} in {}",
                session.id,
                session.token_epoch,
                session.tenant_id,
                user.token_epoch,
                user.tenant_id
            ));
        }
    }
}

fn claims(dump: &TableDump, violations: &mut Vec<String>) {
    let users: HashMap<(&str, &str), &UserItem> = dump
        .users
        .iter()
        .map(|u| ((u.tenant_id.as_str(), u.id.as_str()), u))
        .collect();
    let mut claimed: HashMap<String, &str> = HashMap::new();
    for claim in &dump.claims {
        claimed.insert(claim.pk.clone(), &claim.user_id);
        let Some(user) = users.get(&(claim.tenant_id.as_str(), claim.user_id.as_str())) else {
            violations.push(format!("claim {} points to a missing user", claim.pk));
            continue;
        };
        let expected = [
            format!("USERNAME#{}#{}", user.tenant_id, user.username),
            format!("EMAIL#{}#{}", user.tenant_id, user.email_claim()),
        ];
        if !expected.contains(&claim.pk) {
            violations.push(format!(
                "claim {} points to user {}, who holds {:?}",
                claim.pk, user.id, expected
            ));
        }
    }
    for user in &dump.users {
        for key in [
            format!("USERNAME#{}#{}", user.tenant_id, user.username),
            format!("EMAIL#{}#{}", user.tenant_id, user.email_claim()),
        ] {
            match claimed.get(&key) {
                Some(holder) if *holder == user.id => {}
                Some(holder) => violations.push(format!(
                    "{key} is held by {holder} but user {} has it too",
                    user.id
                )),
                None => violations.push(format!("user {} has no claim {key}", user.id)),
            }
        }
    }
    if dump.claims.len() != 2 * dump.users.len() {
        violations.push(format!(
            "{} claims for {} users (two each expected)",
            dump.claims.len(),
            dump.users.len()
        ));
    }
}

fn role(name: &str) -> Role {
    Role::parse(name).unwrap_or_else(|| panic!("unknown role {name:?}"))
}

fn detail<'a>(event: &'a AuditItem, key: &str) -> &'a serde_json::Value {
    &event.details[key]
}

fn detail_str<'a>(event: &'a AuditItem, key: &str) -> &'a str {
    detail(event, key).as_str().unwrap_or("")
}

fn detail_u64(event: &AuditItem, key: &str) -> u64 {
    detail(event, key).as_u64().unwrap_or(0)
}

fn replay(dump: &TableDump, position: Option<&HashMap<&str, usize>>, violations: &mut Vec<String>) {
    // Births: the state at version 1.
    let mut born: HashMap<String, State> = HashMap::new();
    // Steps: (user id, version it replaced) -> (event index, effect).
    let mut steps: HashMap<(String, u64), Vec<(usize, Effect)>> = HashMap::new();
    // Tenant steps: (tenant id, version replaced) -> what changed.
    let mut tenant_steps: HashMap<(String, u64), Vec<TenantStep>> = HashMap::new();
    let mut tenant_born: HashMap<String, String> = HashMap::new();
    let state = |tenant_id: &str, role: Role, is_owner: bool| State {
        tenant_id: tenant_id.to_owned(),
        role,
        is_owner,
        deleted: false,
        token_epoch: 1,
        purged: false,
    };
    for (i, e) in dump.audit.iter().enumerate() {
        let mut step = |id: &str, version: u64, effect: Effect| {
            steps
                .entry((id.to_owned(), version))
                .or_default()
                .push((i, effect));
        };
        match e.action.as_str() {
            "user.bootstrap" => {
                born.insert(
                    e.target_id.clone(),
                    state(&e.tenant_id, Role::SuperAdmin, false),
                );
            }
            "tenant.create" => {
                let owner = detail_str(e, "owner_id").to_owned();
                born.insert(owner.clone(), state(&e.target_id, Role::Admin, true));
                tenant_born.insert(e.target_id.clone(), owner);
            }
            "user.create" => {
                born.insert(
                    e.target_id.clone(),
                    state(&e.tenant_id, role(detail_str(e, "role")), false),
                );
            }
            "user.delete" => step(&e.target_id, e.target_version, Effect::Delete),
            "user.restore" => step(&e.target_id, e.target_version, Effect::Restore),
            "user.purge" => step(&e.target_id, e.target_version, Effect::Purge),
            "user.set_password" | "auth.logout_all" => {
                step(&e.target_id, e.target_version, Effect::EndSessions);
            }
            "tenant.update" => tenant_steps
                .entry((e.tenant_id.clone(), e.target_version))
                .or_default()
                .push(TenantStep::Retention(
                    detail_u64(e, "previous_retention_days"),
                    detail_u64(e, "retention_days"),
                )),
            "user.update" => {
                let (from, to) = (detail_str(e, "previous_role"), detail_str(e, "role"));
                let effect = if from == to {
                    Effect::KeepRole
                } else {
                    Effect::SetRole(role(to))
                };
                step(&e.target_id, e.target_version, effect);
            }
            "tenant.transfer" => {
                step(&e.target_id, e.target_version, Effect::Owner(true));
                step(
                    detail_str(e, "previous_owner_id"),
                    detail_u64(e, "previous_owner_version"),
                    Effect::Owner(false),
                );
                tenant_steps
                    .entry((e.tenant_id.clone(), detail_u64(e, "tenant_version")))
                    .or_default()
                    .push(TenantStep::Owner(e.target_id.clone()));
            }
            // A directory token's life changes no user and no tenant.
            "directory_token.create" | "directory_token.revoke" => {}
            other => violations.push(format!("audit event {} has unknown action {other}", e.id)),
        }
    }

    // Walk each user's chain from its birth: states[v - 1] is the state at version v.
    let mut history: HashMap<String, Vec<State>> = HashMap::new();
    let mut used = 0usize;
    for (id, first) in &born {
        let mut states = vec![first.clone()];
        loop {
            let version = states.len() as u64;
            let Some(found) = steps.get(&(id.clone(), version)) else {
                break;
            };
            if found.len() > 1 {
                violations.push(format!(
                    "user {id}: {} commits replaced version {version} (events {:?})",
                    found.len(),
                    found
                        .iter()
                        .map(|(i, _)| &dump.audit[*i].id)
                        .collect::<Vec<_>>()
                ));
            }
            used += found.len();
            let mut next = states.last().unwrap().clone();
            if next.purged {
                violations.push(format!(
                    "user {id}: a write after its purge, at version {version}"
                ));
            }
            match found[0].1 {
                Effect::Delete => {
                    next.deleted = true;
                    next.token_epoch += 1;
                }
                Effect::Restore => next.deleted = false,
                Effect::SetRole(role) => {
                    next.role = role;
                    next.token_epoch += 1;
                }
                Effect::KeepRole => {}
                Effect::Owner(is_owner) => next.is_owner = is_owner,
                Effect::Purge => next.purged = true,
                Effect::EndSessions => next.token_epoch += 1,
            }
            states.push(next);
        }
        history.insert(id.clone(), states);
    }
    let all_steps: usize = steps.values().map(Vec::len).sum();
    if used != all_steps {
        violations.push(format!(
            "{} audit steps replace versions no chain reaches (lost or phantom writes)",
            all_steps - used
        ));
    }

    // The chains end in the table's items.
    for user in &dump.users {
        let Some(states) = history.get(&user.id) else {
            violations.push(format!("user {} has no creation event", user.id));
            continue;
        };
        let last = states.last().unwrap();
        let actual = State {
            tenant_id: user.tenant_id.clone(),
            role: role(&user.role),
            is_owner: user.is_owner,
            deleted: user.is_deleted(),
            token_epoch: user.token_epoch,
            purged: false,
        };
        if states.len() as u64 != user.version || *last != actual {
            violations.push(format!(
                "user {}: the audit replays to version {} {:?}, the table holds version {} {:?}",
                user.id,
                states.len(),
                last,
                user.version,
                actual
            ));
        }
    }
    let on_table: std::collections::HashSet<&str> =
        dump.users.iter().map(|u| u.id.as_str()).collect();
    for (id, states) in &history {
        let purged = states.last().is_some_and(|s| s.purged);
        if !purged && !on_table.contains(id.as_str()) {
            violations.push(format!(
                "user {id} is gone from the table without a purge event"
            ));
        }
    }
    for tenant in &dump.tenants {
        let Some(mut owner) = tenant_born.get(&tenant.id).cloned() else {
            violations.push(format!("tenant {} has no creation event", tenant.id));
            continue;
        };
        let mut version = 1;
        let mut retention = u64::from(DEFAULT_RETENTION_DAYS);
        while let Some(next) = tenant_steps.get(&(tenant.id.clone(), version)) {
            if next.len() > 1 {
                violations.push(format!(
                    "tenant {}: {} writes replaced version {version}",
                    tenant.id,
                    next.len()
                ));
            }
            match &next[0] {
                TenantStep::Owner(new_owner) => owner = new_owner.clone(),
                TenantStep::Retention(before, after) => {
                    if *before != retention {
                        violations.push(format!(
                            "tenant {}: a retention change from {before} days at version \
                             {version}, which had {retention}",
                            tenant.id
                        ));
                    }
                    retention = *after;
                }
            }
            version += 1;
        }
        if version != tenant.version
            || owner != tenant.owner_id
            || retention != u64::from(tenant.retention_days)
        {
            violations.push(format!(
                "tenant {}: the audit replays to version {version} owned by {owner} keeping \
                 {retention} days, the table holds version {} owned by {} keeping {} days",
                tenant.id, tenant.version, tenant.owner_id, tenant.retention_days
            ));
        }
    }

    // Every event was allowed on the state it committed against.
    let at = |id: &str, version: u64| -> Option<&State> {
        let states = history.get(id)?;
        states.get(usize::try_from(version).ok()?.checked_sub(1)?)
    };
    for e in &dump.audit {
        if e.action == "user.bootstrap" {
            continue;
        }
        if e.actor_id == PURGE_ACTOR {
            // The scheduled purge acts for no user: it only ever takes a deleted one.
            let target = at(&e.target_id, e.target_version);
            if e.action != "user.purge" || !target.is_some_and(|t| t.deleted && !t.purged) {
                violations.push(format!(
                    "event {} ({}) by {PURGE_ACTOR} on a user who was not deleted: {target:?}",
                    e.id, e.action
                ));
            }
            continue;
        }
        // A directory acts with one of its tenant's tokens: the policy reads it as a directory
        // of the event's tenant (its token's own history is the token's, not a user's).
        let actor = if e.actor_id.starts_with(DIRECTORY_ACTOR_PREFIX) {
            Actor::directory(&e.actor_id, &e.tenant_id)
        } else {
            let Some(actor_state) = at(&e.actor_id, e.actor_version) else {
                violations.push(format!(
                    "event {} ({}): actor {} never had version {}",
                    e.id, e.action, e.actor_id, e.actor_version
                ));
                continue;
            };
            if actor_state.deleted {
                violations.push(format!(
                    "event {} ({}): actor {} was deleted at version {}",
                    e.id, e.action, e.actor_id, e.actor_version
                ));
            }
            if let Some(position) = position {
                committed_while_current(dump, e, &steps, position, violations);
            }
            Actor {
                id: &e.actor_id,
                tenant_id: &actor_state.tenant_id,
                role: actor_state.role,
                is_owner: actor_state.is_owner,
                kind: ActorKind::Person,
            }
        };
        let mut decisions: Vec<(Action, Target)> = Vec::new();
        let member = |state: &'_ State| Member {
            id: &e.target_id,
            tenant_id: &e.tenant_id,
            role: state.role,
            is_owner: state.is_owner,
            deleted: state.deleted,
        };
        let target_state = at(&e.target_id, e.target_version);
        match e.action.as_str() {
            "tenant.create" => {
                decisions.push((Action::CreateTenant, Target::Tenant(&e.target_id)));
            }
            "tenant.update" => {
                decisions.push((Action::ConfigureTenant, Target::Tenant(&e.tenant_id)));
            }
            "directory_token.create" | "directory_token.revoke" => {
                decisions.push((Action::ManageDirectoryTokens, Target::Tenant(&e.tenant_id)));
            }
            "user.create" => decisions.push((
                Action::Create(role(detail_str(e, "role"))),
                Target::Tenant(&e.tenant_id),
            )),
            action => {
                let Some(target_state) = target_state else {
                    violations.push(format!(
                        "event {} ({action}): target {} never had version {}",
                        e.id, e.target_id, e.target_version
                    ));
                    continue;
                };
                let target = Target::User(member(target_state));
                match action {
                    "user.delete" => decisions.push((Action::Delete, target)),
                    "user.restore" => decisions.push((Action::Restore, target)),
                    "user.set_password" => decisions.push((Action::SetPassword, target)),
                    "auth.logout_all" if e.actor_id != e.target_id => {
                        violations.push(format!(
                            "event {}: {} logged out {} everywhere",
                            e.id, e.actor_id, e.target_id
                        ));
                    }
                    "user.purge" => {
                        decisions.push((Action::Purge, target));
                        if !target_state.deleted {
                            violations.push(format!(
                                "event {}: purge of user {} who was not deleted",
                                e.id, e.target_id
                            ));
                        }
                    }
                    "tenant.transfer" => {
                        decisions.push((Action::TransferOwnership, target));
                        let previous = at(
                            detail_str(e, "previous_owner_id"),
                            detail_u64(e, "previous_owner_version"),
                        );
                        if !previous.is_some_and(|p| p.is_owner && !p.deleted) {
                            violations.push(format!(
                                "event {}: ownership moved away from a user who was not the \
                                 active owner: {previous:?}",
                                e.id
                            ));
                        }
                    }
                    "user.update" => {
                        let (from, to) = (detail_str(e, "previous_role"), detail_str(e, "role"));
                        if from != to {
                            decisions.push((Action::ChangeRole(role(to)), target));
                        }
                        // A directory's profile changes under the email's rule.
                        if detail(e, "email_changed") == &serde_json::Value::Bool(true)
                            || detail(e, "profile_changed") == &serde_json::Value::Bool(true)
                        {
                            decisions.push((Action::ChangeEmail, target));
                        }
                        if from != target_state.role.as_str() {
                            violations.push(format!(
                                "event {}: role change from {from} of a user who was {}",
                                e.id, target_state.role
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
        for (action, target) in decisions {
            if let Err(denial) = decide(&actor, action, &target) {
                violations.push(format!(
                    "event {} ({}) committed although the policy says {} on that state: \
                     actor {:?}, target {:?}",
                    e.id,
                    e.action,
                    denial.code(),
                    actor,
                    target
                ));
            }
        }
    }
}

/// Whether `e` committed while its actor was still at the version its guard names: the
/// commit that replaced that version (if any, and if it is not `e` itself) comes after `e`
/// in the commit order.
fn committed_while_current(
    dump: &TableDump,
    e: &AuditItem,
    steps: &HashMap<(String, u64), Vec<(usize, Effect)>>,
    position: &HashMap<&str, usize>,
    violations: &mut Vec<String>,
) {
    let Some(&at) = position.get(e.id.as_str()) else {
        violations.push(format!(
            "event {} ({}) is not among the commits the proxy saw",
            e.id, e.action
        ));
        return;
    };
    let replaced_by = steps
        .get(&(e.actor_id.clone(), e.actor_version))
        .into_iter()
        .flatten()
        .map(|(i, _)| &dump.audit[*i])
        .filter(|next| next.id != e.id);
    for next in replaced_by {
        if position.get(next.id.as_str()).is_some_and(|&n| n < at) {
            violations.push(format!(
                "event {} ({}) committed on actor {} at version {}, after event {} ({}) had \
                 replaced that version",
                e.id, e.action, e.actor_id, e.actor_version, next.id, next.action
            ));
        }
    }
}

/// How many audit events each tenant has, for counting commits between two reads.
pub fn audit_counts(dump: &TableDump) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for e in &dump.audit {
        *counts.entry(e.tenant_id.clone()).or_default() += 1;
    }
    counts
}
