//! Purge: deleted users whose restore window has closed go away for good, with their
//! username and email claims, leaving a tombstone in the audit log that holds no personal
//! data. One engine serves the scheduled function and the operator command; the API's
//! "purge now" commits the same transaction for one user.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use futures::{StreamExt, TryStreamExt, stream};
use serde::Serialize;
use tenantry_policy::Action;
use tenantry_store::{
    AuditItem, DueCursor, DueUser, Part, Reason, Store, StoreError, UserItem, from_item, keys,
};
use time::OffsetDateTime;
use tracing::Instrument;

use crate::action::AuditAction;
use crate::clock;
use crate::context::tenant_span;

use crate::caller::Caller;
use crate::error::Error;
use crate::mutation::{Claims, Decision, backoff};
use crate::records::{AuditActor, PURGE_ACTOR, audit_item, tombstone_details};
use crate::service::Accounts;
use crate::snapshot::Principal;
use crate::views::PurgedView;

/// How a purge engine works, whatever it is asked to purge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PurgeSettings {
    /// Transactions in flight at once.
    pub concurrency: usize,
    /// Users read from the index per query.
    pub page_size: usize,
}

impl Default for PurgeSettings {
    fn default() -> Self {
        PurgeSettings {
            concurrency: 16,
            page_size: 200,
        }
    }
}

/// One run: which users count as due, and when to stop.
#[derive(Clone, Debug)]
pub struct PurgeRun {
    /// Users whose `purge_after` is at or before this moment are due (usually now).
    pub as_of: OffsetDateTime,
    /// List what would be purged; change nothing.
    pub dry_run: bool,
    /// Take at most this many due users.
    pub limit: Option<u64>,
    /// Take no new user after this instant (the deadline minus a margin); the transactions
    /// in flight then finish. Every step is idempotent: the next run resumes.
    pub stop_taking_at: Option<Instant>,
}

impl PurgeRun {
    pub fn now() -> PurgeRun {
        PurgeRun {
            as_of: clock::now(),
            dry_run: false,
            limit: None,
            stop_taking_at: None,
        }
    }
}

/// What happened to one due user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Purged,
    /// Dry run: it would have been purged.
    WouldPurge,
    /// Restored (or restored and deleted again) since the index listed it: kept.
    Restored,
    /// Already gone: purged by someone else, or by an earlier run the index lags behind.
    AlreadyGone,
    /// Not purged this time; the next run tries again.
    Failed(String),
}

/// A user the index listed as due, with what became of it. Ids and times only.
#[derive(Clone, Debug)]
pub struct Purged<'a> {
    pub user: &'a DueUser,
    pub outcome: &'a Outcome,
}

/// Why a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// No due user left.
    Done,
    /// `limit` users taken.
    Limit,
    /// The deadline margin was reached; the next run resumes.
    Deadline,
}

/// The totals of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PurgeSummary {
    pub as_of: String,
    pub dry_run: bool,
    /// Due users taken from the index.
    pub due: u64,
    pub purged: u64,
    pub would_purge: u64,
    pub skipped_restored: u64,
    pub already_gone: u64,
    pub failed: u64,
    pub stopped: Stop,
    pub duration_ms: u64,
    /// The first few failures, for the log.
    pub errors: Vec<String>,
}

const ERRORS_KEPT: usize = 5;

/// Transactions tried per user before it counts as failed (conflicts with a concurrent
/// transaction on the same items are retried; a lost condition is an answer, not a failure).
const PURGE_ATTEMPTS: u32 = 3;

/// The purge engine over one table.
#[derive(Clone, Debug)]
pub struct Purger {
    store: Store,
    settings: PurgeSettings,
}

impl Purger {
    pub fn new(store: Store, settings: PurgeSettings) -> Purger {
        Purger { store, settings }
    }

    /// How many users a run at `as_of` would find due (as the index sees it now).
    pub async fn count_due(&self, as_of: OffsetDateTime) -> Result<u64, Error> {
        let as_of = clock::format(as_of);
        let counts = futures::future::try_join_all(
            (0..keys::PURGE_SHARDS).map(|shard| self.store.count_due(shard, &as_of)),
        )
        .await?;
        Ok(counts.into_iter().sum())
    }

    /// Purges every due user (or lists them, on a dry run), `concurrency` at a time, and
    /// tells `observe` about each one as it is settled.
    pub async fn run(&self, run: &PurgeRun, observe: impl Fn(Purged<'_>)) -> PurgeSummary {
        let started = Instant::now();
        let as_of = clock::format(run.as_of);
        let taken = AtomicU64::new(0);
        let stop = Mutex::new(Stop::Done);
        let query_errors = Mutex::new(Vec::new());

        let due = stream::iter(0..keys::PURGE_SHARDS)
            .map(|shard| Box::pin(self.shard(shard, as_of.clone())))
            .flatten_unordered(None)
            .filter_map(|item| {
                let user = match item {
                    Ok(user) => Some(user),
                    Err(err) => {
                        // This shard ends here for this run; the next run resumes it.
                        query_errors.lock().unwrap().push(err.to_string());
                        None
                    }
                };
                async move { user }
            })
            .take_while(|_| {
                let go = if run
                    .limit
                    .is_some_and(|l| taken.load(Ordering::Relaxed) >= l)
                {
                    *stop.lock().unwrap() = Stop::Limit;
                    false
                } else if run.stop_taking_at.is_some_and(|t| Instant::now() >= t) {
                    *stop.lock().unwrap() = Stop::Deadline;
                    false
                } else {
                    taken.fetch_add(1, Ordering::Relaxed);
                    true
                };
                async move { go }
            });
        let as_of = &as_of;
        let mut settled = std::pin::pin!(
            due.map(|user| async move {
                let outcome = match not_due(&user, as_of) {
                    Some(outcome) => outcome,
                    None if run.dry_run => Outcome::WouldPurge,
                    // Its store and SDK lines name its tenant.
                    None => {
                        self.purge_one(&user)
                            .instrument(tenant_span(&user.tenant_id))
                            .await
                    }
                };
                (user, outcome)
            })
            .buffer_unordered(self.settings.concurrency.max(1))
        );

        let mut summary = PurgeSummary {
            as_of: as_of.clone(),
            dry_run: run.dry_run,
            due: 0,
            purged: 0,
            would_purge: 0,
            skipped_restored: 0,
            already_gone: 0,
            failed: 0,
            stopped: Stop::Done,
            duration_ms: 0,
            errors: Vec::new(),
        };
        while let Some((user, outcome)) = settled.next().await {
            summary.due += 1;
            match &outcome {
                Outcome::Purged => summary.purged += 1,
                Outcome::WouldPurge => summary.would_purge += 1,
                Outcome::Restored => summary.skipped_restored += 1,
                Outcome::AlreadyGone => summary.already_gone += 1,
                Outcome::Failed(why) => {
                    summary.failed += 1;
                    if summary.errors.len() < ERRORS_KEPT {
                        summary.errors.push(format!("user {}: {why}", user.id));
                    }
                }
            }
            observe(Purged {
                user: &user,
                outcome: &outcome,
            });
        }
        let query_errors = std::mem::take(&mut *query_errors.lock().unwrap());
        for err in query_errors {
            summary.failed += 1;
            if summary.errors.len() < ERRORS_KEPT {
                summary
                    .errors
                    .push(format!("reading the purge index: {err}"));
            }
        }
        summary.stopped = *stop.lock().unwrap();
        summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        summary
    }

    /// The due users of one shard, page after page, earliest first.
    fn shard(
        &self,
        shard: u32,
        as_of: String,
    ) -> impl futures::Stream<Item = Result<DueUser, StoreError>> + '_ {
        let first: Option<Option<DueCursor>> = Some(None);
        stream::try_unfold(first, move |cursor| {
            let as_of = as_of.clone();
            async move {
                let Some(cursor) = cursor else {
                    return Ok(None);
                };
                let page = self
                    .store
                    .due_for_purge(shard, &as_of, self.settings.page_size, cursor)
                    .await?;
                let next = page.next.map(Some);
                Ok(Some((stream::iter(page.users.into_iter().map(Ok)), next)))
            }
        })
        .try_flatten()
    }

    /// One user, one transaction (retried on conflicts only). The tombstone is the same on
    /// every attempt, so an attempt whose answer was lost is recognized by it.
    ///
    /// Its own loop, not `mutate`'s: the engine acts for no user and decides nothing, so a
    /// failed condition on the user is the outcome to report (restored, or already gone),
    /// and only a conflict with another transaction is worth another attempt.
    async fn purge_one(&self, due: &DueUser) -> Outcome {
        let Some(mut user) = due.user.clone() else {
            return Outcome::AlreadyGone;
        };
        let mut attempt = 0;
        loop {
            let Some(deleted_at) = user.deleted_at.clone() else {
                return Outcome::Restored;
            };
            let tombstone = tombstone(&user, &deleted_at);
            let committed = match self.store.purge_user(None, &user, &tombstone) {
                Ok(tx) => self.store.commit(tx).await,
                Err(err) => Err(err),
            };
            let err = match committed {
                Ok(()) => return Outcome::Purged,
                Err(err) => err,
            };
            match settled_by(&err, &deleted_at) {
                Some(Settled::Outcome(outcome)) => return outcome,
                // Still the same deletion, changed by its directory meanwhile: purge it as
                // it is now.
                Some(Settled::Changed(now)) if attempt + 1 < PURGE_ATTEMPTS => {
                    attempt += 1;
                    user = *now;
                }
                None if attempt + 1 < PURGE_ATTEMPTS && is_conflict(&err) => {
                    attempt += 1;
                    backoff(attempt).await;
                }
                _ => return Outcome::Failed(err.to_string()),
            }
        }
    }
}

/// Why a user the index listed is not to be purged after all, as the table holds it now: gone
/// (purged meanwhile), restored, or restored and deleted again (a later deletion is due later:
/// the index's entry was read before it). `None`: it is due.
fn not_due(due: &DueUser, as_of: &str) -> Option<Outcome> {
    let Some(user) = &due.user else {
        return Some(Outcome::AlreadyGone);
    };
    let due_now = user.is_deleted() && user.purge_after.as_deref().is_some_and(|p| p <= as_of);
    (!due_now).then_some(Outcome::Restored)
}

/// The audit event of a scheduled purge: ids and times only.
fn tombstone(user: &UserItem, deleted_at: &str) -> AuditItem {
    audit_item(
        &clock::format(clock::now()),
        &user.tenant_id,
        AuditActor::system(PURGE_ACTOR),
        AuditAction::UserPurge,
        (&user.id, user.version),
        tombstone_details(user, deleted_at),
    )
}

/// What a failed condition on the user says.
enum Settled {
    /// It is gone, or no longer the deletion that was read (restored, perhaps deleted again).
    Outcome(Outcome),
    /// The same deletion at another version: its directory changed it meanwhile.
    Changed(Box<UserItem>),
}

/// What a failed condition on the user (deleted at `deleted_at` when read) says. `None`: not
/// settled by the user item.
fn settled_by(err: &StoreError, deleted_at: &str) -> Option<Settled> {
    let Some(Reason::ConditionFailed { item }) = err.reason_for(Part::Target) else {
        return None;
    };
    match item {
        None => Some(Settled::Outcome(Outcome::AlreadyGone)),
        Some(item) => match from_item::<UserItem>(item.clone()) {
            Ok(now) if now.deleted_at.as_deref() == Some(deleted_at) => {
                Some(Settled::Changed(Box::new(now)))
            }
            Ok(_) => Some(Settled::Outcome(Outcome::Restored)),
            Err(e) => Some(Settled::Outcome(Outcome::Failed(e.to_string()))),
        },
    }
}

fn is_conflict(err: &StoreError) -> bool {
    matches!(err, StoreError::Cancelled(reasons)
        if reasons.iter().any(|c| c.reason == Reason::Conflict))
}

impl Accounts {
    /// Purges a deleted user now, for whoever may delete it: the scheduled purge's
    /// transaction, guarded by the actor. Its username and email are free at once.
    pub async fn purge_user(
        &self,
        principal: &Principal,
        tenant_id: &str,
        user_id: &str,
    ) -> Result<PurgedView, Error> {
        let caller = Caller::from(principal);
        self.mutate(Claims::None, move || async move {
            let (actor, target, _) = self
                .snapshot_for(caller, tenant_id, user_id, Action::Purge)
                .await?;
            let Some(deleted_at) = target.deleted_at.as_deref() else {
                return Err(Error::NotDeleted);
            };
            let now = clock::format(clock::now());
            let audit = audit_item(
                &now,
                tenant_id,
                actor.audit(),
                AuditAction::UserPurge,
                (&target.id, target.version),
                tombstone_details(&target, deleted_at),
            );
            let tx = self
                .store
                .purge_user(Some(&actor.check()), &target, &audit)?;
            Ok(Decision::Commit(
                tx,
                PurgedView {
                    id: target.id,
                    state: "purged",
                    purged_at: now,
                },
            ))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AS_OF: &str = "2027-01-31T00:00:00.000Z";

    /// A user of the table: deleted (with its purge date) or not.
    fn user(purge_after: Option<&str>) -> UserItem {
        let deleted = purge_after.map(|_| "2027-01-01T00:00:00.000Z");
        serde_json::from_value(serde_json::json!({
            "PK": "TENANT#acme", "SK": "USER#u1", "id": "u1", "tenant_id": "acme",
            "username": "ben", "email": "ben@acme.test", "role": "user", "is_owner": false,
            "version": 3, "token_epoch": 2, "password_hash": "h",
            "created_at": "2026-12-01T00:00:00.000Z", "updated_at": "2027-01-01T00:00:00.000Z",
            "deleted_at": deleted, "purge_after": purge_after,
        }))
        .unwrap()
    }

    fn due(now: Option<UserItem>) -> DueUser {
        DueUser {
            tenant_id: "acme".into(),
            id: "u1".into(),
            purge_after: "2027-01-30T00:00:00.000Z".into(),
            user: now,
        }
    }

    #[test]
    fn a_user_is_purged_only_if_the_table_still_says_it_is_due() {
        assert_eq!(
            not_due(&due(Some(user(Some("2027-01-30T00:00:00.000Z")))), AS_OF),
            None
        );
        assert_eq!(not_due(&due(Some(user(Some(AS_OF)))), AS_OF), None);
        assert_eq!(not_due(&due(None), AS_OF), Some(Outcome::AlreadyGone));
        assert_eq!(
            not_due(&due(Some(user(None))), AS_OF),
            Some(Outcome::Restored)
        );
        // Restored and deleted again after the index was read: due later, not now.
        assert_eq!(
            not_due(&due(Some(user(Some("2027-03-01T00:00:00.000Z")))), AS_OF),
            Some(Outcome::Restored)
        );
    }
}
