//! Users as a tenant's directory provisions them (SCIM): the API's own use cases, rules and
//! transactions, with a user seen as a [`ScimUser`].
//!
//! - `active: false` and `DELETE` are the API's soft delete (sessions end, restorable until
//!   the purge); `active: true` is its restore. After a `DELETE` the user is hidden from the
//!   directory (404), while admins still see it in the trash.
//! - A replace (PUT, or PATCH applied to the current user) is checked whole before anything
//!   is written: every permission it needs is decided on one snapshot first. It then commits
//!   in order: restore, attribute changes, password, deactivation. Each step is one
//!   conditional transaction on its own snapshot; a step lost to a concurrent change is
//!   decided again, and a repeated request finishes what an interrupted one began.
//! - An inactive (deleted) user's email, role and profile follow its directory: the policy
//!   lets a directory keep them in sync. Its password waits for a restore.

use tenantry_policy::{Action, ListScope, Role, Target, decide};
use tenantry_scim::{Condition, Filter, FilterAttribute, ScimRole, ScimUser};
use tenantry_store::{Profile, UserFilter, UserItem};

use crate::caller::{Caller, DirectoryCredential};
use crate::changes::UserUpdate;
use crate::error::Error;
use crate::input::{Email, NewUser, Password, Username};
use crate::passwords::PasswordChange;
use crate::service::Accounts;
use crate::snapshot::{not_found_as_user, possible};
use crate::views::member_of;

/// Users read per page while a listing walks a tenant.
const SCAN_PAGE: usize = 500;

/// A user as a directory sees it, with what `meta` needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    pub id: String,
    pub user: ScimUser,
    pub created: String,
    pub last_modified: String,
    pub version: u64,
}

impl DirectoryUser {
    fn of(item: &UserItem) -> DirectoryUser {
        let profile = item.profile.clone().unwrap_or_default();
        // The name as the directory wrote it, while it still folds to the account's.
        let user_name = profile
            .user_name
            .filter(|name| Username::parse(name).is_ok_and(|n| n.as_str() == item.username))
            .unwrap_or_else(|| item.username.clone());
        DirectoryUser {
            id: item.id.clone(),
            user: ScimUser {
                user_name,
                external_id: profile.external_id,
                given_name: profile.given_name,
                family_name: profile.family_name,
                display_name: profile.display_name,
                email: Some(item.email.clone()),
                active: !item.is_deleted(),
                role: Role::parse(&item.role).map_or(ScimRole::User, scim_role),
                password: None,
            },
            created: item.created_at.clone(),
            last_modified: item.updated_at.clone(),
            version: item.version,
        }
    }
}

/// A page of a directory's listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUserPage {
    /// How many users match, on every page.
    pub total: usize,
    pub users: Vec<DirectoryUser>,
}

/// What a GET /Users asks for: 1-based `start_index`, at most `count` users.
#[derive(Clone, Debug)]
pub struct DirectoryListing<'a> {
    pub filter: Option<&'a Filter>,
    pub start_index: usize,
    pub count: usize,
}

impl Accounts {
    /// Creates a user as a directory describes it. `active: false` creates it and deletes it
    /// at once (restorable, as any deactivated user).
    pub async fn directory_create_user(
        &self,
        directory: &DirectoryCredential,
        tenant_id: &str,
        user: &ScimUser,
    ) -> Result<DirectoryUser, Error> {
        let caller = Caller::from(directory);
        let username = username_of(user)?;
        let password = match &user.password {
            Some(raw) => password_of(raw, &username)?,
            // Nobody knows it: the user signs in once an admin or the user sets one.
            None => Password::unknown(),
        };
        let new = NewUser {
            email: email_of(user)?,
            password,
            role: role_of(user.role),
            username,
        };
        let profile = profile_of(user, &new.username);
        let (created, _) = self
            .create_user_item(caller, tenant_id, new, Some(profile))
            .await?;
        let created = if user.active {
            created
        } else {
            self.soft_delete(caller, tenant_id, &created.id, false)
                .await?
        };
        Ok(DirectoryUser::of(&created))
    }

    /// Checks the directory's token for its tenant: all that the discovery documents need.
    pub async fn directory_check(
        &self,
        directory: &DirectoryCredential,
        tenant_id: &str,
    ) -> Result<(), Error> {
        let (_, tenant) = self
            .tenant_snapshot(
                Caller::from(directory),
                tenant_id,
                Action::List(ListScope::All),
            )
            .await?;
        tenant.map(|_| ()).ok_or(Error::TenantNotFound)
    }

    /// One user, unless the directory deleted it (404).
    pub async fn directory_get_user(
        &self,
        directory: &DirectoryCredential,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<DirectoryUser, Error> {
        let item = self
            .directory_user_item(directory, tenant_id, user_id)
            .await?;
        Ok(DirectoryUser::of(&item))
    }

    /// The tenant's users the directory may see (all but those it deleted), in id order,
    /// filtered. `userName eq` is answered from the username claim, in one read.
    pub async fn directory_list_users(
        &self,
        directory: &DirectoryCredential,
        tenant_id: &str,
        listing: DirectoryListing<'_>,
    ) -> Result<DirectoryUserPage, Error> {
        let caller = Caller::from(directory);
        possible(tenant_id, None)?;
        let conditions = listing.filter.map_or(&[][..], |f| f.conditions.as_slice());
        let by_name = conditions
            .iter()
            .find(|c| c.attribute == FilterAttribute::UserName);
        let candidates = self.tenant_page(caller, tenant_id, Action::List(ListScope::All), async {
            match by_name {
                Some(condition) => self.named_user(tenant_id, &condition.value).await,
                None => self.every_user(tenant_id).await,
            }
        });
        let matching: Vec<UserItem> = candidates
            .await?
            .1
            .into_iter()
            .filter(|user| !user.directory_deleted)
            .filter(|user| conditions.iter().all(|c| matches(user, c)))
            .collect();
        let users = matching
            .iter()
            .skip(listing.start_index.saturating_sub(1))
            .take(listing.count)
            .map(DirectoryUser::of)
            .collect();
        Ok(DirectoryUserPage {
            total: matching.len(),
            users,
        })
    }

    /// Makes the user what `user` describes (PUT; PATCH once applied to the current user),
    /// if `if_match` (a version) is still the current one. Without `with_role` (a PUT that
    /// gives no `roles`), the user keeps its role.
    pub async fn directory_replace_user(
        &self,
        directory: &DirectoryCredential,
        tenant_id: &str,
        user_id: &str,
        (user, with_role): (&ScimUser, bool),
        if_match: Option<u64>,
    ) -> Result<DirectoryUser, Error> {
        let caller = Caller::from(directory);
        let current = self
            .directory_user_item(directory, tenant_id, user_id)
            .await?;
        still_at(&current, if_match)?;
        let username = username_of(user)?;
        if username.as_str() != current.username {
            return Err(Error::Immutable {
                field: "userName".into(),
                message: format!(
                    "it is {:?} (only its letter case may change)",
                    current.username
                ),
            });
        }
        let password = user
            .password
            .as_deref()
            .map(|raw| password_of(raw, &username))
            .transpose()?;
        let update = UserUpdate {
            role: with_role.then(|| role_of(user.role)),
            email: Some(email_of(user)?),
            profile: Some(profile_of(user, &username)),
        };
        self.check_replace(
            caller,
            tenant_id,
            user_id,
            &update,
            user.active,
            password.is_some(),
        )
        .await?;
        if user.active && current.is_deleted() {
            self.restore(caller, tenant_id, user_id).await?;
        }
        let (mut latest, _) = self
            .update_user_item(caller, tenant_id, user_id, update)
            .await?;
        if let Some(password) = password.filter(|_| user.active) {
            let change = PasswordChange {
                new_password: password.as_str().to_owned(),
                current_password: None,
            };
            self.set_password(caller, tenant_id, user_id, change)
                .await?;
            latest = self
                .directory_user_item(directory, tenant_id, user_id)
                .await?;
        }
        if !user.active && !latest.is_deleted() {
            latest = self.soft_delete(caller, tenant_id, user_id, false).await?;
        }
        Ok(DirectoryUser::of(&latest))
    }

    /// SCIM `DELETE`: the soft delete, and the user hidden from the directory from then on.
    pub async fn directory_delete_user(
        &self,
        directory: &DirectoryCredential,
        tenant_id: &str,
        user_id: &str,
        if_match: Option<u64>,
    ) -> Result<(), Error> {
        let current = self
            .directory_user_item(directory, tenant_id, user_id)
            .await?;
        still_at(&current, if_match)?;
        self.soft_delete(Caller::from(directory), tenant_id, user_id, true)
            .await?;
        Ok(())
    }

    /// The user as the directory may see it: visible to it and not deleted by it.
    async fn directory_user_item(
        &self,
        directory: &DirectoryCredential,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<UserItem, Error> {
        let (actor, target) = self
            .user_snapshot(Caller::from(directory), tenant_id, user_id)
            .await?;
        let user = target
            .filter(|user| !user.directory_deleted)
            .ok_or(Error::UserNotFound)?;
        decide(
            &actor.policy()?,
            Action::View,
            &Target::User(member_of(&user)?),
        )
        .map_err(not_found_as_user)?;
        Ok(user)
    }

    /// Every permission a replace needs, decided on one snapshot before anything is written,
    /// so that a refused replace writes nothing.
    async fn check_replace(
        &self,
        caller: Caller<'_>,
        tenant_id: &str,
        user_id: &str,
        update: &UserUpdate,
        active: bool,
        password: bool,
    ) -> Result<(), Error> {
        let (actor, target, _) = self
            .member_snapshot(caller, tenant_id, user_id, not_found_as_user)
            .await?;
        let target = target.ok_or(Error::UserNotFound)?;
        let policy = actor.policy()?;
        let member = member_of(&target)?;
        let mut actions = Vec::new();
        match (active, target.is_deleted()) {
            (true, true) => actions.push(Action::Restore),
            (false, false) => actions.push(Action::Delete),
            _ => {}
        }
        // Details are decided on the user as it is when they change: restored first if it
        // is to be active, still deleted if it stays so (its directory keeps them in sync).
        if let Some(role) = update.role.filter(|role| role.as_str() != target.role) {
            actions.push(Action::ChangeRole(role));
        }
        let email = update
            .email
            .as_ref()
            .is_some_and(|email| email.as_str() != target.email);
        let profile = update
            .profile
            .as_ref()
            .is_some_and(|profile| *profile != target.profile.clone().unwrap_or_default());
        if email || profile {
            actions.push(Action::ChangeEmail);
        }
        if password && active {
            actions.push(Action::SetPassword);
        }
        for action in actions {
            let mut member = member;
            member.deleted = match action {
                Action::Restore | Action::Delete => target.is_deleted(),
                _ => target.is_deleted() && !active,
            };
            decide(&policy, action, &Target::User(member)).map_err(not_found_as_user)?;
        }
        Ok(())
    }

    /// The user holding the username `name` folds to, if any (one claim read, one user read).
    async fn named_user(
        &self,
        tenant_id: &str,
        name: &str,
    ) -> Result<Vec<UserItem>, tenantry_store::StoreError> {
        let Ok(name) = Username::parse(name) else {
            return Ok(Vec::new());
        };
        let Some(claim) = self
            .store
            .get_username_claim(tenant_id, name.as_str())
            .await?
        else {
            return Ok(Vec::new());
        };
        let key = tenantry_store::UserKey {
            tenant_id,
            user_id: &claim.user_id,
        };
        Ok(self.store.get_user(key).await?.into_iter().collect())
    }

    /// Every user of the tenant, deleted ones included.
    async fn every_user(
        &self,
        tenant_id: &str,
    ) -> Result<Vec<UserItem>, tenantry_store::StoreError> {
        let mut users = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .list_users(tenant_id, UserFilter::All, SCAN_PAGE, after.as_deref())
                .await?;
            users.extend(page.items);
            match page.next_after {
                Some(next) => after = Some(next),
                None => return Ok(users),
            }
        }
    }
}

/// `Ok` unless `if_match` names a version `user` is not at.
fn still_at(user: &UserItem, if_match: Option<u64>) -> Result<(), Error> {
    match if_match {
        Some(asked) if asked != user.version => Err(Error::VersionMismatch {
            asked,
            current: user.version,
        }),
        _ => Ok(()),
    }
}

/// Whether `user` meets one condition of a filter: `userName` and email compared folded as
/// they are claimed (NFKC, lowercase), `externalId` exactly.
fn matches(user: &UserItem, condition: &Condition) -> bool {
    match condition.attribute {
        FilterAttribute::UserName => {
            Username::parse(&condition.value).is_ok_and(|name| name.as_str() == user.username)
        }
        FilterAttribute::Email => {
            user.email_claim() == tenantry_store::keys::email_claim(&condition.value)
        }
        FilterAttribute::ExternalId => {
            user.profile.as_ref().and_then(|p| p.external_id.as_deref())
                == Some(condition.value.as_str())
        }
    }
}

fn username_of(user: &ScimUser) -> Result<Username, Error> {
    Username::parse(&user.user_name).map_err(|message| Error::invalid("userName", message))
}

fn email_of(user: &ScimUser) -> Result<Email, Error> {
    let email = user.email.as_deref().ok_or_else(|| {
        Error::invalid(
            "emails",
            "must hold the user's address (a primary or \"work\" email)",
        )
    })?;
    Email::parse(email).map_err(|message| Error::invalid("emails", message))
}

fn password_of(raw: &str, username: &Username) -> Result<Password, Error> {
    Password::parse(raw, username).map_err(|message| {
        Error::invalid(
            "password",
            format!(
                "{message} (tenantry's password policy; a directory that cannot meet it can \
                 leave the password out)"
            ),
        )
    })
}

fn role_of(role: ScimRole) -> Role {
    match role {
        ScimRole::User => Role::User,
        ScimRole::Agent => Role::Agent,
        ScimRole::Admin => Role::Admin,
        ScimRole::SuperAdmin => Role::SuperAdmin,
    }
}

fn scim_role(role: Role) -> ScimRole {
    match role {
        Role::User => ScimRole::User,
        Role::Agent => ScimRole::Agent,
        Role::Admin => ScimRole::Admin,
        Role::SuperAdmin => ScimRole::SuperAdmin,
    }
}

/// The profile `user` describes. Its `userName` is kept only where it says more than the
/// canonical username does (its letter case, its full-width forms).
fn profile_of(user: &ScimUser, username: &Username) -> Profile {
    let written = user.user_name.trim();
    Profile {
        external_id: user.external_id.clone(),
        user_name: (written != username.as_str()).then(|| written.to_owned()),
        given_name: user.given_name.clone(),
        family_name: user.family_name.clone(),
        display_name: user.display_name.clone(),
    }
}
