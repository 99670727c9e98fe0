//! Login sessions (refresh-token families) and login guards (failed-login counters). Every
//! write here is conditioned on the item as it was read, like the transactions of `table.rs`.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Item, StoreError, classify};
use crate::items::{ClaimItem, LoginGuardItem, SessionItem};
use crate::keys;
use crate::table::{Store, claim_key, from_item, n, other, s, same_key, to_item};

pub(crate) fn session_key(session_id: &str) -> Item {
    HashMap::from([
        ("PK".to_owned(), s(keys::session_pk(session_id))),
        ("SK".to_owned(), s(keys::SESSION_SK)),
    ])
}

pub(crate) fn guard_key(tenant_id: &str, normalized: &str) -> Item {
    HashMap::from([
        (
            "PK".to_owned(),
            s(keys::login_guard_pk(tenant_id, normalized)),
        ),
        ("SK".to_owned(), s(keys::LOGIN_GUARD_SK)),
    ])
}

/// `Ok(false)` when the write's condition did not hold.
fn held<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(SdkError::ServiceError(e))
            if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(e.err())
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(err) => Err(classify(err)),
    }
}

impl Store {
    /// Writes a new session; its id must be new.
    pub async fn put_session(&self, session: &SessionItem) -> Result<(), StoreError> {
        let written = held(
            self.client()
                .put_item()
                .table_name(self.table())
                .set_item(Some(to_item(session)?))
                .condition_expression("attribute_not_exists(PK)")
                .send()
                .await,
        )?;
        if written {
            Ok(())
        } else {
            Err(other(format!("session {} exists already", session.id)))
        }
    }

    pub async fn get_session(&self, session_id: &str) -> Result<Option<SessionItem>, StoreError> {
        self.get(session_key(session_id)).await
    }

    /// Replaces the session's refresh token hash with `new_hash`, if the session is still as
    /// read (same current hash, not revoked). `Ok(false)` when another exchange or a logout
    /// came first.
    pub async fn rotate_session(
        &self,
        session: &SessionItem,
        new_hash: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        held(
            self.client()
                .update_item()
                .table_name(self.table())
                .set_key(Some(session_key(&session.id)))
                .update_expression(
                    "SET refresh_hash = :new, refreshed_at = :now, \
                     rotated = list_append(if_not_exists(rotated, :none), :old)",
                )
                .condition_expression(
                    "attribute_exists(PK) AND refresh_hash = :seen AND attribute_not_exists(revoked_at)",
                )
                .expression_attribute_values(":new", s(new_hash))
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                .expression_attribute_values(
                    ":old",
                    AttributeValue::L(vec![s(&session.refresh_hash)]),
                )
                .expression_attribute_values(":seen", s(&session.refresh_hash))
                .send()
                .await,
        )
    }

    /// Ends a session for good. `Ok(false)` when it is missing or was revoked already.
    pub async fn revoke_session(
        &self,
        session_id: &str,
        reason: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        held(
            self.client()
                .update_item()
                .table_name(self.table())
                .set_key(Some(session_key(session_id)))
                .update_expression("SET revoked_at = :now, revoked_reason = :reason")
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(revoked_at)")
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":reason", s(reason))
                .send()
                .await,
        )
    }

    /// One consistent read of what a login needs first: the username's claim and its guard.
    pub async fn login_snapshot(
        &self,
        tenant_id: &str,
        normalized: &str,
    ) -> Result<(Option<ClaimItem>, Option<LoginGuardItem>), StoreError> {
        let claim = claim_key(keys::username_claim_pk(tenant_id, normalized));
        let guard = guard_key(tenant_id, normalized);
        let found = self.batch_get(vec![claim.clone(), guard.clone()]).await?;
        let pick = |key: &Item| found.iter().find(|item| same_key(item, key)).cloned();
        Ok((
            pick(&claim).map(from_item).transpose()?,
            pick(&guard).map(from_item).transpose()?,
        ))
    }

    /// Writes a guard's new state if it is still the version read (`seen`, `None` when there
    /// was none). `Ok(false)`: another login changed it first; read again.
    pub async fn save_login_guard(
        &self,
        guard: &LoginGuardItem,
        seen: Option<u64>,
    ) -> Result<bool, StoreError> {
        let put = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(to_item(guard)?));
        let put = match seen {
            Some(version) => put
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", n(version)),
            None => put.condition_expression("attribute_not_exists(PK)"),
        };
        held(put.send().await)
    }

    /// Clears a guard after a successful login, if it is still the version read.
    pub async fn clear_login_guard(
        &self,
        tenant_id: &str,
        normalized: &str,
        seen: u64,
    ) -> Result<bool, StoreError> {
        held(
            self.client()
                .delete_item()
                .table_name(self.table())
                .set_key(Some(guard_key(tenant_id, normalized)))
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", n(seen))
                .send()
                .await,
        )
    }
}
