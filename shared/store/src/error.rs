//! Store errors keep the DynamoDB cause and answer the questions callers ask.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::attrs::Item;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// DynamoDB could not be reached or asked us to slow down: worth retrying later.
    #[error("DynamoDB is unavailable: {0}")]
    Unavailable(String),
    /// A transaction was cancelled; one reason per part, in the order the parts were sent.
    #[error("transaction cancelled: {0:?}")]
    Cancelled(Vec<Cancel>),
    /// Anything else: a bug or a misconfiguration (missing table, bad item).
    #[error("DynamoDB error: {0}")]
    Other(String),
}

/// Which part of a transaction an outcome is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Actor,
    Target,
    Tenant,
    /// The tenant's owner, when ownership moves away from it.
    Owner,
    UsernameClaim,
    EmailClaim,
    /// A claim given up by its user (the old email, when the email changes).
    ReleasedClaim,
    Audit,
    /// A login's failed-login counter, given back in the transaction that re-hashes a password.
    FailedLogins,
}

/// Why one part of a cancelled transaction failed. Its `Debug` (and so the `Display` of a
/// cancelled `StoreError`) never shows an item's values: a user item holds a password hash.
#[derive(Clone, PartialEq)]
pub enum Reason {
    /// Its condition did not hold; `item` is the item as it was, when DynamoDB returned it.
    ConditionFailed { item: Option<Item> },
    /// Another transaction was working on the same item.
    Conflict,
    /// Any other code (throttling, validation...).
    Other(String),
}

impl std::fmt::Debug for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reason::ConditionFailed { item: None } => f.write_str("ConditionFailed"),
            Reason::ConditionFailed { item: Some(item) } => {
                // The version says which write won; every other value stays out of the logs.
                let version = item.get("version").and_then(|v| v.as_n().ok());
                write!(f, "ConditionFailed {{ item: {} attributes", item.len())?;
                match version {
                    Some(version) => write!(f, ", version {version} }}"),
                    None => f.write_str(" }"),
                }
            }
            Reason::Conflict => f.write_str("Conflict"),
            Reason::Other(code) => f.debug_tuple("Other").field(code).finish(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Cancel {
    pub part: Part,
    pub reason: Reason,
}

impl StoreError {
    /// The reason given for one part, if the transaction was cancelled because of it.
    pub fn reason_for(&self, part: Part) -> Option<&Reason> {
        match self {
            StoreError::Cancelled(reasons) => {
                reasons.iter().find(|c| c.part == part).map(|c| &c.reason)
            }
            _ => None,
        }
    }

    /// True when a fresh snapshot and a new decision may succeed.
    pub fn is_retryable_cancel(&self) -> bool {
        matches!(self, StoreError::Cancelled(r) if !r.is_empty())
    }
}

const THROTTLING: [&str; 6] = [
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "ThrottlingException",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// Any error that is not DynamoDB's: a request that could not be built, an item that does
/// not read as its type. A bug, never worth a retry.
pub(crate) fn other(err: impl std::fmt::Display) -> StoreError {
    StoreError::Other(err.to_string())
}

/// Classifies any SDK error: transport failures and throttling are `Unavailable`.
pub(crate) fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let text = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(text)
        }
        SdkError::ServiceError(e) if THROTTLING.contains(&e.err().code().unwrap_or("")) => {
            StoreError::Unavailable(text)
        }
        _ => StoreError::Other(text),
    }
}

/// Maps the cancellation reasons DynamoDB gave back onto the parts we sent. Only failed
/// conditions and conflicts are worth a new snapshot; throttling is `Unavailable`, and any
/// other reason (a validation error: a bug) is `Other`.
pub(crate) fn cancellation(
    parts: &[Part],
    reasons: &[aws_sdk_dynamodb::types::CancellationReason],
) -> StoreError {
    let failed: Vec<Cancel> = parts
        .iter()
        .zip(reasons)
        .filter_map(|(part, reason)| {
            let reason = match reason.code() {
                None | Some("None") => return None,
                Some("ConditionalCheckFailed") => Reason::ConditionFailed {
                    item: reason.item().cloned(),
                },
                Some("TransactionConflict") => Reason::Conflict,
                Some(other) => Reason::Other(other.to_owned()),
            };
            Some(Cancel {
                part: *part,
                reason,
            })
        })
        .collect();
    let others: Vec<&str> = failed
        .iter()
        .filter_map(|c| match &c.reason {
            Reason::Other(code) => Some(code.as_str()),
            _ => None,
        })
        .collect();
    if failed.is_empty() || others.len() < failed.len() {
        if failed.is_empty() {
            return StoreError::Other("transaction cancelled without a reason".into());
        }
        return StoreError::Cancelled(failed);
    }
    let text = format!("transaction cancelled: {others:?}");
    if others
        .iter()
        .any(|code| code.contains("Throttl") || code.contains("ProvisionedThroughput"))
    {
        StoreError::Unavailable(text)
    } else {
        StoreError::Other(text)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use aws_sdk_dynamodb::types::AttributeValue;

    use super::*;

    #[test]
    fn a_cancelled_transaction_never_shows_the_items_it_returned() {
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g";
        let item: Item = HashMap::from([
            ("password_hash".to_owned(), AttributeValue::S(hash.into())),
            (
                "email".to_owned(),
                AttributeValue::S("ben@acme.test".into()),
            ),
            ("version".to_owned(), AttributeValue::N("7".into())),
        ]);
        let err = StoreError::Cancelled(vec![
            Cancel {
                part: Part::Target,
                reason: Reason::ConditionFailed { item: Some(item) },
            },
            Cancel {
                part: Part::Actor,
                reason: Reason::ConditionFailed { item: None },
            },
        ]);
        for text in [format!("{err}"), format!("{err:?}"), format!("{err:#?}")] {
            assert!(
                !text.contains("argon2") && !text.contains("acme.test"),
                "{text}"
            );
            assert!(
                text.contains("Target") && text.contains("version 7"),
                "{text}"
            );
        }
    }
}
