//! Single-item writes of login sessions (refresh-token families) and failed-login counters.
//! Each is conditioned on the item as it was read, like the transactions of `writes.rs`, but
//! touches one item and writes no audit event, so it needs no transaction. (A give-back that
//! also replaces a password hash is one, in `rehash.rs`, with the same conditions as here.)

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::attrs::{n, s};
use crate::client::Store;
use crate::error::{StoreError, classify, other};
use crate::items::{FailedLoginsItem, ROTATIONS_KEPT, SessionItem, from_item, to_item};
use crate::keys::{failed_logins_key, session_key};

/// A right password's give-back when nothing was counted since its attempt: the counter goes,
/// if it is still at the version the attempt wrote (`:seen`).
pub(crate) const CLEAR_CONDITION: &str = "version = :seen";
/// A right password's give-back when other attempts were counted since: one attempt is taken
/// back (`:one`), unless the count has been spent meanwhile.
pub(crate) const RELEASE_UPDATE: &str = "SET failures = failures - :one, version = version + :one";
pub(crate) const RELEASE_CONDITION: &str = "failures >= :one";

/// `Ok(false)` when the write's condition did not hold.
pub(crate) fn held<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
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

/// `held`, for the single writes of a failed-login counter. A login's re-hash also writes the
/// counter, in a transaction (`rehash.rs`); while it holds the counter, DynamoDB refuses a
/// single write to it with `TransactionConflictException`. Like a failed condition, that means
/// another write got there first: `Ok(false)`, read again (or, for a give-back, the attempt
/// stands), never a server error.
pub(crate) fn counter_held<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match result {
        Err(SdkError::ServiceError(e))
            if aws_sdk_dynamodb::error::ProvideErrorMetadata::code(e.err())
                == Some("TransactionConflictException") =>
        {
            Ok(false)
        }
        result => held(result),
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

    /// Replaces the session's refresh token hash with `new_hash`, if the session is still as
    /// read (same current hash, not revoked), and keeps the replaced hash among the last
    /// [`ROTATIONS_KEPT`] exchanged ones, so the item stays the same size however often the
    /// session is refreshed. `Ok(false)` when another exchange or a logout came first.
    pub async fn rotate_session(
        &self,
        session: &SessionItem,
        new_hash: &str,
        now: &str,
    ) -> Result<bool, StoreError> {
        // The condition on the current hash makes this the only exchange since the read, so
        // the list can be written whole.
        let keep_from = (session.rotated.len() + 1).saturating_sub(ROTATIONS_KEPT);
        let rotated: Vec<AttributeValue> = session.rotated[keep_from..]
            .iter()
            .chain(std::iter::once(&session.refresh_hash))
            .map(|hash| s(hash.as_str()))
            .collect();
        held(
            self.update_session(&session.id)
                .update_expression(
                    "SET refresh_hash = :new, refreshed_at = :now, rotated = :rotated, \
                     rotations = if_not_exists(rotations, :zero) + :one",
                )
                .condition_expression(
                    "attribute_exists(PK) AND refresh_hash = :seen AND attribute_not_exists(revoked_at)",
                )
                .expression_attribute_values(":new", s(new_hash))
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":rotated", AttributeValue::L(rotated))
                .expression_attribute_values(":zero", n(0))
                .expression_attribute_values(":one", n(1))
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
            self.update_session(session_id)
                .update_expression("SET revoked_at = :now, revoked_reason = :reason")
                .condition_expression("attribute_exists(PK) AND attribute_not_exists(revoked_at)")
                .expression_attribute_values(":now", s(now))
                .expression_attribute_values(":reason", s(reason))
                .send()
                .await,
        )
    }

    /// Writes a failed-login counter's new state if it is still the version read (`seen`,
    /// `None` when there was none). `Ok(false)`: another login changed it first; read again.
    pub async fn save_failed_logins(
        &self,
        counter: &FailedLoginsItem,
        seen: Option<u64>,
    ) -> Result<bool, StoreError> {
        let put = self
            .client()
            .put_item()
            .table_name(self.table())
            .set_item(Some(to_item(counter)?));
        let put = match seen {
            Some(version) => put
                .condition_expression("version = :seen")
                .expression_attribute_values(":seen", n(version)),
            None => put.condition_expression("attribute_not_exists(PK)"),
        };
        counter_held(put.send().await)
    }

    /// Clears a failed-login counter after a successful login, if it is still the version
    /// this login wrote.
    pub async fn clear_failed_logins(
        &self,
        tenant_id: &str,
        guard: &str,
        seen: u64,
    ) -> Result<bool, StoreError> {
        counter_held(
            self.client()
                .delete_item()
                .table_name(self.table())
                .set_key(Some(failed_logins_key(tenant_id, guard)))
                .condition_expression(CLEAR_CONDITION)
                .expression_attribute_values(":seen", n(seen))
                .send()
                .await,
        )
    }

    /// Takes one counted attempt back from a failed-login counter (its password was right),
    /// unless the count has been spent meanwhile: a lock starts the count again at zero.
    pub async fn release_failed_login(
        &self,
        tenant_id: &str,
        guard: &str,
    ) -> Result<bool, StoreError> {
        counter_held(
            self.client()
                .update_item()
                .table_name(self.table())
                .set_key(Some(failed_logins_key(tenant_id, guard)))
                .update_expression(RELEASE_UPDATE)
                .condition_expression(RELEASE_CONDITION)
                .expression_attribute_values(":one", n(1))
                .send()
                .await,
        )
    }

    /// Removes a failed-login counter whatever it holds (an operator's unlock); the counter
    /// as it was, if there was one.
    pub async fn remove_failed_logins(
        &self,
        tenant_id: &str,
        guard: &str,
    ) -> Result<Option<FailedLoginsItem>, StoreError> {
        let out = self
            .client()
            .delete_item()
            .table_name(self.table())
            .set_key(Some(failed_logins_key(tenant_id, guard)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(classify)?;
        out.attributes
            .filter(|item| !item.is_empty())
            .map(from_item)
            .transpose()
    }

    fn update_session(
        &self,
        session_id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(session_key(session_id)))
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::types::error::{
        ConditionalCheckFailedException, InternalServerError, TransactionConflictException,
    };

    use super::*;

    #[allow(clippy::result_large_err)] // the SDK's own error type, as a send returns it
    fn refused(err: PutItemError) -> Result<(), SdkError<PutItemError, ()>> {
        Err(SdkError::service_error(err, ()))
    }

    fn meta(code: &str) -> ErrorMetadata {
        ErrorMetadata::builder().code(code).build()
    }

    #[test]
    fn a_counter_held_by_a_transaction_is_read_again_like_a_failed_condition() {
        let conflict = PutItemError::TransactionConflictException(
            TransactionConflictException::builder()
                .meta(meta("TransactionConflictException"))
                .build(),
        );
        let failed = PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .meta(meta("ConditionalCheckFailedException"))
                .build(),
        );
        let internal = PutItemError::InternalServerError(
            InternalServerError::builder()
                .meta(meta("InternalServerError"))
                .build(),
        );
        assert!(matches!(counter_held(refused(conflict)), Ok(false)));
        assert!(matches!(counter_held(refused(failed)), Ok(false)));
        assert!(matches!(
            counter_held(Ok::<(), SdkError<PutItemError, ()>>(())),
            Ok(true)
        ));
        assert!(counter_held(refused(internal)).is_err());
        // Elsewhere a conflict stays an error: sessions are never written in a transaction.
        let conflict = PutItemError::TransactionConflictException(
            TransactionConflictException::builder()
                .meta(meta("TransactionConflictException"))
                .build(),
        );
        assert!(held(refused(conflict)).is_err());
    }
}
