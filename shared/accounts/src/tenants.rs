//! Tenants: creation with their owner, and the platform's first super admin.

use serde_json::json;
use tenantry_policy::{Action, Role};
use tenantry_store::{Part, TenantItem, keys};

use crate::input::{
    Email, PLATFORM_TENANT, Password, RetentionDays, TenantId, TenantName, Username,
};
use crate::users::{NewUser, audit_item, guard, new_user_item, possible};
use crate::views::{CreatedTenant, TenantView, UserView};
use crate::{
    Accounts, DEFAULT_RETENTION_DAYS, Error, Principal, backoff, clock, passwords, retry_or,
};

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
        let tenant_id = new.id.as_str();
        let owner = NewUser {
            username: new.owner_username,
            email: new.owner_email,
            password: new.owner_password,
            role: Role::Admin,
        };
        let mut password_hash = None;
        let mut attempt = 0;
        loop {
            let (actor, tenant) = self
                .tenant_snapshot(principal, tenant_id, Action::CreateTenant)
                .await?;
            if tenant.is_some() {
                return Err(Error::TenantExists);
            }
            let hash = match &password_hash {
                Some(hash) => hash,
                None => password_hash.insert(passwords::hash(&owner.password).await?),
            };
            let now = clock::format(clock::now());
            let user = new_user_item(tenant_id, &owner, hash.clone(), true, &now);
            let tenant = TenantItem {
                pk: keys::tenant_pk(tenant_id),
                sk: keys::TENANT_SK.to_owned(),
                id: tenant_id.to_owned(),
                name: new.name.as_str().to_owned(),
                owner_id: user.id.clone(),
                retention_days: DEFAULT_RETENTION_DAYS,
                version: 1,
                created_at: now.clone(),
                updated_at: now.clone(),
            };
            let details = json!({"owner_id": user.id});
            let audit = audit_item(
                &now,
                &actor,
                "tenant.create",
                tenant_id,
                0,
                details,
                tenant_id,
            );
            match self
                .store
                .create_tenant(&guard(&actor), &tenant, &user, &audit)
                .await
            {
                Ok(()) => {
                    return Ok(CreatedTenant {
                        tenant: TenantView::from(&tenant),
                        owner: UserView::from(&user),
                    });
                }
                Err(err) if err.reason_for(Part::Tenant).is_some() => {
                    return Err(Error::TenantExists);
                }
                // A brand-new tenant has no deleted users to hold a name; a taken claim is taken.
                Err(err) if err.reason_for(Part::UsernameClaim).is_some() => {
                    return Err(Error::UsernameTaken);
                }
                Err(err) if err.reason_for(Part::EmailClaim).is_some() => {
                    return Err(Error::EmailTaken);
                }
                Err(err) => {
                    attempt = retry_or(err, attempt)?;
                    backoff(attempt).await;
                }
            }
        }
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
        possible(tenant_id, None)?;
        let days = retention_days.get();
        let mut attempt = 0;
        loop {
            let (actor, tenant) = self
                .tenant_snapshot(principal, tenant_id, Action::ConfigureTenant)
                .await?;
            let tenant = tenant.ok_or(Error::TenantNotFound)?;
            if tenant.retention_days == days {
                return Ok(TenantView::from(&tenant));
            }
            let now = clock::format(clock::now());
            let details = json!({
                "previous_retention_days": tenant.retention_days,
                "retention_days": days,
            });
            let audit = audit_item(
                &now,
                &actor,
                "tenant.update",
                tenant_id,
                tenant.version,
                details,
                tenant_id,
            );
            match self
                .store
                .set_retention(&guard(&actor), &tenant, days, &now, &audit)
                .await
            {
                Ok(()) => {
                    let mut updated = tenant;
                    updated.retention_days = days;
                    updated.version += 1;
                    updated.updated_at = now;
                    return Ok(TenantView::from(&updated));
                }
                Err(err) => {
                    attempt = retry_or(err, attempt)?;
                    backoff(attempt).await;
                }
            }
        }
    }

    /// Creates the platform super admin if no account holds that username yet.
    /// Conditional and idempotent: returns `false` when it already exists.
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
        let hash = passwords::hash(&new.password).await?;
        let now = clock::format(clock::now());
        let user = new_user_item(PLATFORM_TENANT, &new, hash, false, &now);
        let mut audit = audit_item(
            &now,
            &user,
            "user.bootstrap",
            &user.id,
            0,
            json!({"role": "super_admin"}),
            PLATFORM_TENANT,
        );
        audit.actor_id = "system:bootstrap".into();
        audit.actor_version = 0;
        match self.store.bootstrap_user(&user, &audit).await {
            Ok(()) => Ok(true),
            // Someone else bootstrapped in between: the claim is taken, which is what we wanted.
            Err(err)
                if err
                    .reason_for(tenantry_store::Part::UsernameClaim)
                    .is_some() =>
            {
                Ok(false)
            }
            Err(err) => Err(err.into()),
        }
    }
}
