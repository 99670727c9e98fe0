//! The name of every action, once: the audit log's events, each function's log lines, and
//! the events published downstream all name actions with these strings.

/// Every action tenantry names. The mutations (`is_audited`) write one audit event each, in
/// their own transaction; every request's log lines name its action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuditAction {
    Health,
    Console,
    Jwks,
    Login,
    Refresh,
    Logout,
    LogoutAll,
    TenantCreate,
    TenantGet,
    TenantUpdate,
    TenantTransfer,
    AuditList,
    UserCreate,
    UserBootstrap,
    UserList,
    UserGet,
    MeGet,
    UserUpdate,
    UserSetPassword,
    UserDelete,
    UserRestore,
    UserPurge,
    EventsPublish,
    DirectoryTokenCreate,
    DirectoryTokenList,
    DirectoryTokenRevoke,
    ScimDiscovery,
    ScimDiscoveryItem,
    ScimSearch,
    ScimUserCreate,
    ScimUserList,
    ScimUserGet,
    ScimUserReplace,
    ScimUserPatch,
    ScimUserDelete,
}

impl AuditAction {
    pub const ALL: [AuditAction; 35] = [
        AuditAction::Health,
        AuditAction::Console,
        AuditAction::Jwks,
        AuditAction::Login,
        AuditAction::Refresh,
        AuditAction::Logout,
        AuditAction::LogoutAll,
        AuditAction::TenantCreate,
        AuditAction::TenantGet,
        AuditAction::TenantUpdate,
        AuditAction::TenantTransfer,
        AuditAction::AuditList,
        AuditAction::UserCreate,
        AuditAction::UserBootstrap,
        AuditAction::UserList,
        AuditAction::UserGet,
        AuditAction::MeGet,
        AuditAction::UserUpdate,
        AuditAction::UserSetPassword,
        AuditAction::UserDelete,
        AuditAction::UserRestore,
        AuditAction::UserPurge,
        AuditAction::EventsPublish,
        AuditAction::DirectoryTokenCreate,
        AuditAction::DirectoryTokenList,
        AuditAction::DirectoryTokenRevoke,
        AuditAction::ScimDiscovery,
        AuditAction::ScimDiscoveryItem,
        AuditAction::ScimSearch,
        AuditAction::ScimUserCreate,
        AuditAction::ScimUserList,
        AuditAction::ScimUserGet,
        AuditAction::ScimUserReplace,
        AuditAction::ScimUserPatch,
        AuditAction::ScimUserDelete,
    ];

    /// The stored and logged name.
    pub const fn as_str(self) -> &'static str {
        match self {
            AuditAction::Health => "health",
            AuditAction::Console => "console",
            AuditAction::Jwks => "auth.jwks",
            AuditAction::Login => "auth.login",
            AuditAction::Refresh => "auth.refresh",
            AuditAction::Logout => "auth.logout",
            AuditAction::LogoutAll => "auth.logout_all",
            AuditAction::TenantCreate => "tenant.create",
            AuditAction::TenantGet => "tenant.get",
            AuditAction::TenantUpdate => "tenant.update",
            AuditAction::TenantTransfer => "tenant.transfer",
            AuditAction::AuditList => "audit.list",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserBootstrap => "user.bootstrap",
            AuditAction::UserList => "user.list",
            AuditAction::UserGet => "user.get",
            AuditAction::MeGet => "me.get",
            AuditAction::UserUpdate => "user.update",
            AuditAction::UserSetPassword => "user.set_password",
            AuditAction::UserDelete => "user.delete",
            AuditAction::UserRestore => "user.restore",
            AuditAction::UserPurge => "user.purge",
            AuditAction::EventsPublish => "events.publish",
            AuditAction::DirectoryTokenCreate => "directory_token.create",
            AuditAction::DirectoryTokenList => "directory_token.list",
            AuditAction::DirectoryTokenRevoke => "directory_token.revoke",
            AuditAction::ScimDiscovery => "scim.discovery",
            AuditAction::ScimDiscoveryItem => "scim.discovery_item",
            AuditAction::ScimSearch => "scim.search",
            AuditAction::ScimUserCreate => "scim.user.create",
            AuditAction::ScimUserList => "scim.user.list",
            AuditAction::ScimUserGet => "scim.user.get",
            AuditAction::ScimUserReplace => "scim.user.replace",
            AuditAction::ScimUserPatch => "scim.user.patch",
            AuditAction::ScimUserDelete => "scim.user.delete",
        }
    }

    /// Whether the action is a mutation, committed with its audit event.
    pub const fn is_audited(self) -> bool {
        matches!(
            self,
            AuditAction::LogoutAll
                | AuditAction::TenantCreate
                | AuditAction::TenantUpdate
                | AuditAction::TenantTransfer
                | AuditAction::UserCreate
                | AuditAction::UserBootstrap
                | AuditAction::UserUpdate
                | AuditAction::UserSetPassword
                | AuditAction::UserDelete
                | AuditAction::UserRestore
                | AuditAction::UserPurge
                | AuditAction::DirectoryTokenCreate
                | AuditAction::DirectoryTokenRevoke
        )
    }

    /// The type of the lifecycle event an audited action publishes (`tenantry.` + this is its
    /// CloudEvents `type`, and this is its EventBridge `detail-type`). `None` for the actions
    /// that are not audited: they commit nothing, so they publish nothing.
    pub const fn event_type(self) -> Option<&'static str> {
        match self {
            AuditAction::LogoutAll => Some("user.sessions_revoked"),
            AuditAction::TenantCreate => Some("tenant.created"),
            AuditAction::TenantUpdate => Some("tenant.updated"),
            AuditAction::TenantTransfer => Some("tenant.ownership_transferred"),
            // The platform's first super admin is created like any other user.
            AuditAction::UserCreate | AuditAction::UserBootstrap => Some("user.created"),
            AuditAction::UserUpdate => Some("user.updated"),
            AuditAction::UserSetPassword => Some("user.password_changed"),
            AuditAction::UserDelete => Some("user.deleted"),
            AuditAction::UserRestore => Some("user.restored"),
            AuditAction::UserPurge => Some("user.purged"),
            AuditAction::DirectoryTokenCreate => Some("tenant.directory_token_created"),
            AuditAction::DirectoryTokenRevoke => Some("tenant.directory_token_revoked"),
            AuditAction::Health
            | AuditAction::Console
            | AuditAction::Jwks
            | AuditAction::Login
            | AuditAction::Refresh
            | AuditAction::Logout
            | AuditAction::AuditList
            | AuditAction::TenantGet
            | AuditAction::UserList
            | AuditAction::UserGet
            | AuditAction::MeGet
            | AuditAction::EventsPublish
            | AuditAction::DirectoryTokenList
            | AuditAction::ScimDiscovery
            | AuditAction::ScimDiscoveryItem
            | AuditAction::ScimSearch
            | AuditAction::ScimUserCreate
            | AuditAction::ScimUserList
            | AuditAction::ScimUserGet
            | AuditAction::ScimUserReplace
            | AuditAction::ScimUserPatch
            | AuditAction::ScimUserDelete => None,
        }
    }

    /// The action a stored or logged name stands for.
    pub fn parse(name: &str) -> Option<AuditAction> {
        AuditAction::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_name_and_reads_back_from_it() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            assert_eq!(action.to_string(), action.as_str());
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
        assert_eq!(AuditAction::parse("user.erase"), None);
    }

    #[test]
    fn the_mutations_are_the_audited_actions() {
        let audited: Vec<&str> = AuditAction::ALL
            .into_iter()
            .filter(|a| a.is_audited())
            .map(AuditAction::as_str)
            .collect();
        assert_eq!(
            audited,
            [
                "auth.logout_all",
                "tenant.create",
                "tenant.update",
                "tenant.transfer",
                "user.create",
                "user.bootstrap",
                "user.update",
                "user.set_password",
                "user.delete",
                "user.restore",
                "user.purge",
                "directory_token.create",
                "directory_token.revoke",
            ]
        );
    }

    #[test]
    fn every_audited_action_and_only_those_publish_an_event() {
        for action in AuditAction::ALL {
            assert_eq!(
                action.event_type().is_some(),
                action.is_audited(),
                "{action}"
            );
        }
        let mut types: Vec<&str> = AuditAction::ALL
            .into_iter()
            .filter_map(AuditAction::event_type)
            .collect();
        types.sort_unstable();
        types.dedup();
        // Bootstrap and create share `user.created`; every other action has its own type.
        assert_eq!(types.len(), 12);
        assert_eq!(
            AuditAction::UserBootstrap.event_type(),
            AuditAction::UserCreate.event_type()
        );
    }
}
