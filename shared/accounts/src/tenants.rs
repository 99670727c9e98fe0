//! Tenants: creation with their owner, retention, and the platform's first super admin.

use serde_json::json;
use tenantry_policy::{Action, ListScope, Role};
use tenantry_store::{Part, TenantItem, keys};

use crate::action::AuditAction;
use crate::caller::Caller;
use crate::clock;
use crate::error::Error;
use crate::input::{
    Email, NewUser, PLATFORM_TENANT, Password, RetentionDays, TenantId, TenantName, Username,
};
use crate::mutation::{Claims, Decision};
use crate::password_hash;
use crate::records::{AuditActor, DEFAULT_RETENTION_DAYS, audit_item, new_user_item};
use crate::service::Accounts;
use crate::snapshot::{Principal, possible};
use crate::views::{CreatedTenant, TenantView, UserView};

/// The actor named by the audit event of the platform's first super admin.
const BOOTSTRAP_ACTOR: &str = "system:bootstrap";

/// A tenant to create with its owner, already parsed.
#[derive(Clone, Debug)]
pub struct NewTenant {
    pub id: TenantId,
    pub name: TenantName,
    pub owner_username: Username,
    pub owner_email: Email,
    pub owner_password: Password,
}

impl Accounts {
    /// Creates a tenant and its owner (an admin with `is_owner`), for super admins.
    pub async fn create_tenant(
        &self,
        principal: &Principal,
        new: NewTenant,
    ) -> Result<CreatedTenant, Error> {
        let caller = Caller::from(principal);
        let tenant_id = new.id.as_str();
        let owner = NewUser {
            username: new.owner_username,
            email: new.owner_email,
            password: new.owner_password,
            role: Role::Admin,
        };
        let name = new.name.as_str();
        let owner = &owner;
        let password_hash = &tokio::sync::OnceCell::new();
        self.mutate(Claims::NewTenant, move || async move {
            let (actor, tenant) = self
                .tenant_snapshot(caller, tenant_id, Action::CreateTenant)
                .await?;
            if tenant.is_some() {
                return Err(Error::TenantExists);
            }
            let hash = password_hash
                .get_or_try_init(|| password_hash::hash(&owner.password))
                .await?;
            let now = clock::format(clock::now());
            let user = new_user_item(tenant_id, owner, hash.clone(), true, &now);
            let tenant = TenantItem {
                pk: keys::tenant_pk(tenant_id),
                sk: keys::TENANT_SK.to_owned(),
                id: tenant_id.to_owned(),
                name: name.to_owned(),
                owner_id: user.id.clone(),
                retention_days: DEFAULT_RETENTION_DAYS,
                version: 1,
                created_at: now.clone(),
                updated_at: now.clone(),
            };
            let audit = audit_item(
                &now,
                tenant_id,
                actor.audit(),
                AuditAction::TenantCreate,
                (tenant_id, 0),
                json!({"owner_id": user.id}),
            );
            let tx = self
                .store
                .create_tenant(&actor.check(), &tenant, &user, &audit)?;
            Ok(Decision::Commit(tx, {
                let viewer = actor.policy()?;
                CreatedTenant {
                    tenant: TenantView::seen_by(&tenant, &viewer),
                    owner: UserView::seen_by(&user, &viewer)?,
                }
            }))
        })
        .await
    }

    /// The tenant, for whoever may list its members (they and super admins), with what the
    /// caller may do to it.
    pub async fn get_tenant(
        &self,
        principal: &Principal,
        tenant_id: &str,
    ) -> Result<TenantView, Error> {
        possible(tenant_id, None)?;
        let (actor, tenant) = self
            .tenant_snapshot(principal.into(), tenant_id, Action::List(ListScope::Active))
            .await?;
        let tenant = tenant.ok_or(Error::TenantNotFound)?;
        Ok(TenantView::seen_by(&tenant, &actor.policy()?))
    }

    /// Sets how many days a user deleted from now on stays restorable (1 to 365), for the
    /// owner or a super admin. Deletions already made keep the purge date they were given.
    /// Setting the current value writes nothing.
    pub async fn set_retention(
        &self,
        principal: &Principal,
        tenant_id: &str,
        retention_days: RetentionDays,
    ) -> Result<TenantView, Error> {
        let caller = Caller::from(principal);
        possible(tenant_id, None)?;
        let days = retention_days.get();
        self.mutate(Claims::None, move || async move {
            let (actor, tenant) = self
                .tenant_snapshot(caller, tenant_id, Action::ConfigureTenant)
                .await?;
            let tenant = tenant.ok_or(Error::TenantNotFound)?;
            if tenant.retention_days == days {
                return Ok(Decision::Answer(TenantView::seen_by(
                    &tenant,
                    &actor.policy()?,
                )));
            }
            let now = clock::format(clock::now());
            let audit = audit_item(
                &now,
                tenant_id,
                actor.audit(),
                AuditAction::TenantUpdate,
                (tenant_id, tenant.version),
                json!({
                    "previous_retention_days": tenant.retention_days,
                    "retention_days": days,
                }),
            );
            let tx = self
                .store
                .set_retention(&actor.check(), &tenant, days, &now, &audit)?;
            let mut updated = tenant;
            updated.retention_days = days;
            updated.version += 1;
            updated.updated_at = now;
            Ok(Decision::Commit(
                tx,
                TenantView::seen_by(&updated, &actor.policy()?),
            ))
        })
        .await
    }

    /// Creates the platform super admin if no account holds that username yet.
    /// Conditional and idempotent: returns `false` when it already exists. It acts for no
    /// user, so it has no actor to check and no snapshot to decide on: one attempt, no loop.
    pub async fn bootstrap_super_admin(
        &self,
        username: &str,
        email: &str,
        password: &str,
    ) -> Result<bool, Error> {
        let username = Username::parse(username).map_err(|m| Error::invalid("username", m))?;
        let new = NewUser {
            email: Email::parse(email).map_err(|m| Error::invalid("email", m))?,
            password: Password::parse(password, &username)
                .map_err(|m| Error::invalid("password", m))?,
            username,
            role: Role::SuperAdmin,
        };
        if self
            .store
            .get_username_claim(PLATFORM_TENANT, new.username.as_str())
            .await?
            .is_some()
        {
            return Ok(false);
        }
        let hash = password_hash::hash(&new.password).await?;
        let now = clock::format(clock::now());
        let user = new_user_item(PLATFORM_TENANT, &new, hash, false, &now);
        let audit = audit_item(
            &now,
            PLATFORM_TENANT,
            AuditActor::system(BOOTSTRAP_ACTOR),
            AuditAction::UserBootstrap,
            (&user.id, 0),
            json!({"role": "super_admin"}),
        );
        match self
            .store
            .commit(self.store.bootstrap_user(&user, &audit)?)
            .await
        {
            Ok(()) => Ok(true),
            // Someone else bootstrapped in between: the claim is taken, which is what we wanted.
            Err(err) if err.reason_for(Part::UsernameClaim).is_some() => Ok(false),
            Err(err) => Err(err.into()),
        }
    }
}
