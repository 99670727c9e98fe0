//! The one mutation loop: read a snapshot, decide, commit one conditional transaction, and on
//! a cancellation read again and decide again. Every use case that mutates is a round of it:
//! a closure that reads, decides, and says what to commit. Two loops differ and stay their
//! own: the failed-login counter (`login`), which must count every racing failure rather
//! than decide again, and the purge engine's settle loop (`purge`), for which a lost
//! condition is an outcome to report, not a reason to read again.

use std::future::Future;
use std::time::Duration;

use tenantry_store::{StoreError, Transaction};

use crate::claims::{self, TrashSight};
use crate::error::Error;
use crate::service::Accounts;

/// Snapshot-decide-commit rounds per request before answering 409 `conflict`.
const MAX_ATTEMPTS: u32 = 5;

/// What one round decided.
pub(crate) enum Decision<T> {
    /// Nothing to write: answer this (a repeat of what is done, a change to the same value).
    Answer(T),
    /// Commit this transaction; once it has committed, answer `T`.
    Commit(Transaction, T),
    /// The snapshot's reads disagree with each other (a write landed between them): read
    /// again, as after a cancelled commit.
    ReadAgain,
}

/// What a cancelled commit can be about besides a snapshot that no longer holds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Claims<'a> {
    /// Nothing the answer must explain: read again and decide again.
    None,
    /// A username or email claim of `tenant_id`: answer who holds it (`claims::explain`), as
    /// far as the caller may know (`sight`, which each round decides on its snapshot).
    Explain {
        tenant_id: &'a str,
        sight: &'a TrashSight,
    },
    /// A new tenant: its id or one of its owner's claims is taken (`claims::explain_new_tenant`).
    NewTenant,
}

impl Accounts {
    /// Runs `round` until it answers or its transaction commits: after a cancellation (or a
    /// `ReadAgain`), a short jittered pause, then a new round on a new snapshot; 409
    /// `conflict` when `MAX_ATTEMPTS` rounds were not enough.
    ///
    /// A round is a closure that returns its future (`move || async move { .. }`, capturing
    /// references), not an async closure: the future of a handler must be `Send`, which the
    /// bounds of an async closure cannot yet promise.
    pub(crate) async fn mutate<T, Round>(
        &self,
        claims: Claims<'_>,
        mut round: impl FnMut() -> Round,
    ) -> Result<T, Error>
    where
        Round: Future<Output = Result<Decision<T>, Error>>,
    {
        let mut attempt = 0;
        loop {
            match round().await? {
                Decision::Answer(answer) => return Ok(answer),
                Decision::ReadAgain => attempt = read_again(attempt)?,
                Decision::Commit(tx, answer) => match self.store.commit(tx).await {
                    Ok(()) => return Ok(answer),
                    Err(err) => {
                        match claims {
                            Claims::None => {}
                            Claims::Explain { tenant_id, sight } => {
                                claims::explain(&self.store, tenant_id, &err)
                                    .await
                                    .map_err(|e| sight.answer(e))?;
                            }
                            Claims::NewTenant => claims::explain_new_tenant(&err)?,
                        }
                        attempt = retry_or(err, attempt)?;
                    }
                },
            }
            backoff(attempt).await;
        }
    }
}

/// After a cancelled commit: `Ok` means "read again and decide again".
fn retry_or(err: StoreError, attempt: u32) -> Result<u32, Error> {
    if err.is_retryable_cancel() && attempt + 1 < MAX_ATTEMPTS {
        tracing::debug!(attempt, reasons = ?err, "snapshot no longer holds; deciding again");
        Ok(attempt + 1)
    } else if err.is_retryable_cancel() {
        Err(Error::Conflict)
    } else {
        Err(err.into())
    }
}

/// After reads that disagree: `Ok` means "read again".
fn read_again(attempt: u32) -> Result<u32, Error> {
    if attempt + 1 < MAX_ATTEMPTS {
        Ok(attempt + 1)
    } else {
        Err(Error::Conflict)
    }
}

/// Short jittered pause so racing requests do not collide again in lockstep.
pub(crate) async fn backoff(attempt: u32) {
    let base = 5u64 << attempt.min(5);
    let jitter = rand::random_range(0..=base);
    tokio::time::sleep(Duration::from_millis(base + jitter)).await;
}

#[cfg(test)]
mod tests {
    use tenantry_store::{Cancel, Part, Reason};

    use super::*;

    fn cancelled() -> StoreError {
        StoreError::Cancelled(vec![Cancel {
            part: Part::Target,
            reason: Reason::Conflict,
        }])
    }

    #[test]
    fn a_cancelled_commit_is_decided_again_until_the_last_round_then_conflicts() {
        let mut attempt = 0;
        for expected in 1..MAX_ATTEMPTS {
            attempt = retry_or(cancelled(), attempt).expect("another round");
            assert_eq!(attempt, expected);
        }
        assert!(matches!(
            retry_or(cancelled(), attempt),
            Err(Error::Conflict)
        ));
        assert!(matches!(read_again(MAX_ATTEMPTS - 1), Err(Error::Conflict)));
        assert_eq!(read_again(0).ok(), Some(1));
    }

    #[test]
    fn an_error_that_is_not_a_cancellation_is_answered_at_once() {
        assert!(matches!(
            retry_or(StoreError::Unavailable("down".into()), 0),
            Err(Error::Unavailable(_))
        ));
        assert!(matches!(
            retry_or(StoreError::Other("bug".into()), 0),
            Err(Error::Internal(_))
        ));
    }
}
