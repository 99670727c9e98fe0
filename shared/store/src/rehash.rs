//! A right password's give-back together with a new hash of that password, in one
//! transaction: a login that verified a hash made with older argon2 parameters replaces it as
//! it gives its counted attempt back, so raising the parameters moves every active user over
//! at their next login. The counter's part is one of the two writes `sessions.rs` makes alone,
//! with the same condition; the user's holds only while its hash is still the one verified.

use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};

use crate::attrs::{n, s};
use crate::client::Store;
use crate::commit::Transaction;
use crate::error::{Part, Reason, StoreError, other};
use crate::items::UserItem;
use crate::keys::{UserKey, failed_logins_key, user_key};
use crate::parts::update_item;
use crate::sessions::{CLEAR_CONDITION, RELEASE_CONDITION, RELEASE_UPDATE};

/// How a right password gives its counted attempt back: the shape of
/// `Store::clear_failed_logins` or of `Store::release_failed_login`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GiveBack {
    /// The counter goes, if it is still at `seen`, the version the attempt wrote: nothing was
    /// counted since.
    Clear { seen: u64 },
    /// One attempt is taken back, unless the count has been spent meanwhile.
    Release,
}

/// How a give-back with a new hash ended. Only `Rehashed` wrote anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GaveBack {
    /// Both written: the attempt given back and the hash replaced.
    Rehashed,
    /// The counter's condition failed (another attempt was counted, or the count was spent)
    /// and the user's part held.
    CounterMoved,
    /// The user's part did not hold (its hash is no longer the one verified: a new password,
    /// or the user was deleted or is gone), or another transaction was on one of the two items.
    /// `counter_moved`: the counter's condition failed as well.
    NotRehashed { counter_moved: bool },
}

impl Store {
    /// Gives a counted attempt back as `give_back` says and, in the same transaction, replaces
    /// the password hash of `user` (as read) with `new_hash`: only while the hash is still the
    /// one read and the user is not deleted. Neither the user's version, nor `updated_at`, nor
    /// its token epoch moves: the password is the same, so the account has not changed, and a
    /// write decided on the user as read (a new password) still commits after this one, and
    /// replaces this hash. `Err` only when DynamoDB failed otherwise (unavailable, a bug).
    pub async fn give_back_and_rehash(
        &self,
        tenant_id: &str,
        guard: &str,
        give_back: GiveBack,
        user: &UserItem,
        new_hash: &str,
    ) -> Result<GaveBack, StoreError> {
        let mut tx = Transaction::default();
        tx.push(
            Part::FailedLogins,
            self.give_back_part(tenant_id, guard, give_back)?,
        );
        let rehash = Update::builder()
            .table_name(&self.table)
            .set_key(Some(user_key(UserKey::of(user))))
            .update_expression("SET password_hash = :new")
            .condition_expression("password_hash = :old AND attribute_not_exists(deleted_at)")
            .expression_attribute_values(":new", s(new_hash))
            .expression_attribute_values(":old", s(&user.password_hash));
        tx.push(Part::Target, update_item(rehash)?);
        match self.commit(tx).await {
            Ok(()) => Ok(GaveBack::Rehashed),
            Err(err @ StoreError::Cancelled(_)) => Ok(gave_back(&err)),
            Err(err) => Err(err),
        }
    }

    fn give_back_part(
        &self,
        tenant_id: &str,
        guard: &str,
        give_back: GiveBack,
    ) -> Result<TransactWriteItem, StoreError> {
        let key = failed_logins_key(tenant_id, guard);
        Ok(match give_back {
            GiveBack::Clear { seen } => {
                let delete = Delete::builder()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .condition_expression(CLEAR_CONDITION)
                    .expression_attribute_values(":seen", n(seen))
                    .build()
                    .map_err(other)?;
                TransactWriteItem::builder().delete(delete).build()
            }
            GiveBack::Release => update_item(
                Update::builder()
                    .table_name(&self.table)
                    .set_key(Some(key))
                    .update_expression(RELEASE_UPDATE)
                    .condition_expression(RELEASE_CONDITION)
                    .expression_attribute_values(":one", n(1)),
            )?,
        })
    }
}

/// What a cancellation of `give_back_and_rehash` means for its caller.
fn gave_back(err: &StoreError) -> GaveBack {
    let counter_moved = matches!(
        err.reason_for(Part::FailedLogins),
        Some(Reason::ConditionFailed { .. })
    );
    match (counter_moved, err.reason_for(Part::Target)) {
        (true, None) => GaveBack::CounterMoved,
        _ => GaveBack::NotRehashed { counter_moved },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Cancel;

    fn cancelled(reasons: &[(Part, Reason)]) -> StoreError {
        StoreError::Cancelled(
            reasons
                .iter()
                .map(|(part, reason)| Cancel {
                    part: *part,
                    reason: reason.clone(),
                })
                .collect(),
        )
    }

    #[test]
    fn a_cancellation_says_whether_the_counter_moved_and_whether_the_hash_stood_in_the_way() {
        let failed = || Reason::ConditionFailed { item: None };
        let cases = [
            (vec![(Part::FailedLogins, failed())], GaveBack::CounterMoved),
            (
                vec![(Part::Target, failed())],
                GaveBack::NotRehashed {
                    counter_moved: false,
                },
            ),
            (
                vec![(Part::FailedLogins, failed()), (Part::Target, failed())],
                GaveBack::NotRehashed {
                    counter_moved: true,
                },
            ),
            // Another transaction on an item says nothing of its condition.
            (
                vec![(Part::FailedLogins, Reason::Conflict)],
                GaveBack::NotRehashed {
                    counter_moved: false,
                },
            ),
            (
                vec![(Part::Target, Reason::Conflict)],
                GaveBack::NotRehashed {
                    counter_moved: false,
                },
            ),
            (
                vec![
                    (Part::FailedLogins, failed()),
                    (Part::Target, Reason::Conflict),
                ],
                GaveBack::NotRehashed {
                    counter_moved: true,
                },
            ),
        ];
        for (reasons, expected) in cases {
            assert_eq!(gave_back(&cancelled(&reasons)), expected, "{reasons:?}");
        }
    }
}
