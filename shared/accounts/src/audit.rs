//! The audit log: one event per committed mutation, written in the mutation's transaction.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tenantry_policy::Action;

use crate::caller::Caller;
use crate::error::Error;
use crate::service::Accounts;
use crate::snapshot::{Principal, possible};
use crate::views::{AuditEventView, AuditPage};

/// A page request on the audit log (`cursor` is still the client's opaque string).
#[derive(Clone, Debug)]
pub struct AuditListing {
    pub limit: usize,
    pub cursor: Option<String>,
}

impl Accounts {
    /// A tenant's audit events, newest first, for admins and super admins.
    pub async fn audit_log(
        &self,
        principal: &Principal,
        tenant_id: &str,
        listing: AuditListing,
    ) -> Result<AuditPage, Error> {
        let caller = Caller::from(principal);
        possible(tenant_id, None)?;
        let after = listing.cursor.as_deref().map(decode_cursor).transpose()?;
        // The page is read only once the decision allows it.
        let (_, page) = self
            .tenant_page(
                caller,
                tenant_id,
                Action::ViewAudit,
                self.store
                    .audit_page(tenant_id, listing.limit, after.as_deref()),
            )
            .await?;
        Ok(AuditPage {
            items: page.items.iter().map(AuditEventView::from).collect(),
            next_cursor: page.next_after.map(|sk| URL_SAFE_NO_PAD.encode(sk)),
        })
    }
}

/// A cursor is an event's sort key: a fixed-width UTC time, `#`, and a UUID.
fn decode_cursor(cursor: &str) -> Result<String, Error> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .filter(|sk| {
            sk.split_once('#').is_some_and(|(at, id)| {
                crate::clock::parse(at).is_some() && uuid::Uuid::try_parse(id).is_ok()
            })
        })
        .ok_or_else(|| Error::invalid("cursor", "is not a cursor this API returned"))
}
