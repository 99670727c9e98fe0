//! Transactions as values, and the one `commit` that runs any of them. A transaction is a
//! list of parts, each with its role (the actor check, the target's write, a claim, the audit
//! event); `commit` sends it, maps a cancellation's reasons back onto those roles, and
//! recovers an answer lost on the way back through the transaction's own audit event.

use std::time::Duration;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};

use crate::attrs::Item;
use crate::client::Store;
use crate::error::{Part, Reason, StoreError, cancellation, classify};

/// One conditional transaction, built by the store's write methods. It writes nothing until
/// `Store::commit` runs it. Its `Debug` names the parts only: the items hold password hashes.
#[must_use = "a transaction writes nothing until `Store::commit` runs it"]
#[derive(Default)]
pub struct Transaction {
    parts: Vec<Part>,
    items: Vec<TransactWriteItem>,
    /// The key of its audit event: written by this transaction and no other.
    audit_key: Option<Item>,
}

impl std::fmt::Debug for Transaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transaction")
            .field("parts", &self.parts)
            .finish_non_exhaustive()
    }
}

impl Transaction {
    pub(crate) fn push(&mut self, part: Part, item: TransactWriteItem) {
        self.parts.push(part);
        self.items.push(item);
    }

    /// The audit event's part; its key is how `commit` recognises a commit whose answer
    /// was lost.
    pub(crate) fn push_audit(&mut self, item: TransactWriteItem, key: Item) {
        self.push(Part::Audit, item);
        self.audit_key = Some(key);
    }

    /// What a cancellation of this transaction means, from the reasons DynamoDB gave (one
    /// per action, in the order sent).
    pub fn cancelled(&self, reasons: &[CancellationReason]) -> StoreError {
        cancellation(&self.parts, reasons)
    }
}

/// How many times `commit` looks for the audit event of a transaction DynamoDB says is still
/// in progress, 200, 400 and 800 ms apart: its first attempt may commit meanwhile.
const IN_PROGRESS_LOOKS: u32 = 4;

/// Whether the transaction may have committed although `err` came back: an attempt can
/// commit and lose its answer (a dropped connection, a timeout), and the SDK's retry then
/// reports on a second attempt, not on the commit. A cancellation whose conditions were
/// evaluated and found our audit event absent is not ambiguous: that attempt did not commit,
/// nor had an earlier one.
pub(crate) fn outcome_unknown(err: &StoreError) -> bool {
    match err {
        StoreError::Unavailable(_) => true,
        StoreError::Cancelled(reasons) => {
            !reasons.iter().any(|c| {
                matches!(c.reason, Reason::ConditionFailed { .. }) && c.part != Part::Audit
            }) || reasons.iter().any(|c| c.part == Part::Audit)
        }
        StoreError::Other(_) => false,
    }
}

impl Store {
    /// Runs a transaction: `Ok` once it committed, `Cancelled` with the reasons per part when
    /// a condition did not hold or another transaction was on the same items.
    pub async fn commit(&self, tx: Transaction) -> Result<(), StoreError> {
        let Transaction {
            parts,
            items,
            audit_key,
        } = tx;
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let mut in_progress = false;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => match err.as_service_error() {
                Some(TransactWriteItemsError::TransactionCanceledException(e)) => {
                    cancellation(&parts, e.cancellation_reasons())
                }
                // DynamoDB's answer to a retry (the SDK's, with the same request token) of a
                // transaction still running: the first attempt may commit, or have committed.
                Some(TransactWriteItemsError::TransactionInProgressException(_)) => {
                    in_progress = true;
                    StoreError::Unavailable(DisplayErrorContext(&err).to_string())
                }
                _ => classify(err),
            },
        };
        // The audit event is written by this transaction only: if it is there, it committed.
        // A transaction in progress gets a few looks, as it may commit a moment later.
        if outcome_unknown(&err)
            && let Some(key) = audit_key
        {
            let looks = if in_progress { IN_PROGRESS_LOOKS } else { 1 };
            for look in 0..looks {
                if look > 0 {
                    tokio::time::sleep(Duration::from_millis(100 << look)).await;
                }
                if let Ok(found) = self.batch_get(vec![key.clone()]).await
                    && !found.is_empty()
                {
                    tracing::info!(error = %err, "the transaction had committed; its answer was lost");
                    return Ok(());
                }
            }
        }
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Cancel;

    fn reason(code: &str) -> CancellationReason {
        CancellationReason::builder().code(code).build()
    }

    fn three_parts() -> Transaction {
        let mut tx = Transaction::default();
        for part in [Part::Actor, Part::Target, Part::Audit] {
            tx.push(part, TransactWriteItem::builder().build());
        }
        tx
    }

    #[test]
    fn a_cancellation_names_the_parts_that_failed_and_only_those() {
        let tx = three_parts();
        let err = tx.cancelled(&[
            reason("None"),
            reason("ConditionalCheckFailed"),
            reason("None"),
        ]);
        assert_eq!(
            err.reason_for(Part::Target),
            Some(&Reason::ConditionFailed { item: None })
        );
        assert_eq!(err.reason_for(Part::Actor), None);
        assert!(err.is_retryable_cancel());
        let err = tx.cancelled(&[
            reason("TransactionConflict"),
            reason("None"),
            reason("None"),
        ]);
        assert_eq!(err.reason_for(Part::Actor), Some(&Reason::Conflict));
    }

    #[test]
    fn a_cancellation_for_throttling_is_unavailable_and_one_for_validation_is_a_bug() {
        let tx = three_parts();
        let throttled = tx.cancelled(&[reason("ThrottlingError"), reason("None"), reason("None")]);
        assert!(
            matches!(throttled, StoreError::Unavailable(_)),
            "{throttled}"
        );
        let invalid = tx.cancelled(&[reason("ValidationError"), reason("None"), reason("None")]);
        assert!(matches!(invalid, StoreError::Other(_)), "{invalid}");
        let no_reason = tx.cancelled(&[]);
        assert!(matches!(no_reason, StoreError::Other(_)), "{no_reason}");
    }

    #[test]
    fn only_an_answer_that_may_hide_a_commit_sends_commit_looking_for_the_audit_event() {
        let cancel = |part, reason| StoreError::Cancelled(vec![Cancel { part, reason }]);
        let failed = || Reason::ConditionFailed { item: None };
        // Lost on the way back, or a retry that met its own earlier commit: look.
        assert!(outcome_unknown(&StoreError::Unavailable("timeout".into())));
        assert!(outcome_unknown(&cancel(Part::Audit, failed())));
        assert!(outcome_unknown(&cancel(Part::Target, Reason::Conflict)));
        // A condition of ours was evaluated and failed, so nothing of ours was written.
        assert!(!outcome_unknown(&cancel(Part::Target, failed())));
        assert!(!outcome_unknown(&cancel(Part::Actor, failed())));
        assert!(!outcome_unknown(&StoreError::Other("bad request".into())));
    }
}
