//! Store errors keep the DynamoDB cause and answer the questions callers ask.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;

pub type Item = HashMap<String, AttributeValue>;

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
}

/// Why one part of a cancelled transaction failed.
#[derive(Clone, Debug, PartialEq)]
pub enum Reason {
    /// Its condition did not hold; `item` is the item as it was, when DynamoDB returned it.
    ConditionFailed { item: Option<Item> },
    /// Another transaction was working on the same item.
    Conflict,
    /// Any other code (throttling, validation...).
    Other(String),
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
