//! Failures real DynamoDB produces and DynamoDB Local does not, injected on the wire:
//! transaction conflicts (another transaction on the same item), throttled transactions, and
//! transactions answered "in progress" after they committed.

use lambda_http::http::StatusCode;
use tenantry_tests::{Request, Stack};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_conflict_is_read_again_decided_again_and_committed_once() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;

    stack.faults.cancel_next(2, "TransactionConflict");
    stack.round_trips.reset();
    let deleted = stack
        .delete("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(deleted.body["state"], "deleted");
    assert_eq!(stack.faults.pending(), 0);
    // Three rounds of snapshot + commit: two cancelled by the conflict, one committed. A
    // conflict says nothing of whether the transaction had committed before (its answer
    // lost): each is followed by a read of the attempt's audit event.
    let ops = stack.round_trips.by_operation();
    assert_eq!(ops.get("BatchGetItem"), Some(&5), "{ops:?}");
    assert_eq!(ops.get("TransactWriteItems"), Some(&3), "{ops:?}");
    assert_eq!(stack.deletions_of("acme", &ben_id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_conflicts_answer_409_conflict_and_change_nothing() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;

    stack.faults.cancel_next(100, "TransactionConflict");
    stack.round_trips.reset();
    stack
        .delete("acme", &ben_id, &owner)
        .await
        .expect_code(StatusCode::CONFLICT, "conflict");
    // Bounded: five rounds, then a clear answer.
    assert_eq!(
        stack.round_trips.by_operation().get("TransactWriteItems"),
        Some(&5)
    );
    stack.faults.cancel_next(0, "TransactionConflict");
    assert_eq!(
        stack.get("acme", &ben_id, &owner).await.body["state"],
        "active"
    );
    assert_eq!(stack.deletions_of("acme", &ben_id).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_transaction_answers_503_with_retry_after() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;

    stack.faults.cancel_next(1, "ThrottlingError");
    let answer = Request::delete(format!("/tenants/acme/users/{ben_id}"))
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.header("retry-after"), Some("1"));
    assert_eq!(
        stack.get("acme", &ben_id, &owner).await.body["state"],
        "active"
    );
    assert_eq!(stack.deletions_of("acme", &ben_id).await, 0);
}

/// The target becomes the owner (as an ownership transfer would make it) after the delete was
/// decided and before it commits: the commit fails on the target's version, the new snapshot
/// is decided again, and the answer is the denial that snapshot deserves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_made_owner_before_the_commit_is_protected_by_the_new_decision() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (alice_id, _) = stack.user("acme", &owner, "alice", "admin").await;

    let store = stack.store.clone();
    let target = alice_id.clone();
    stack.faults.before_next_transaction(move || {
        tenantry_tests::set_user_blocking(&store, "acme", &target, "admin", true)
    });
    stack.round_trips.reset();
    let answer = stack.delete("acme", &alice_id, &stack.root_token).await;
    assert_eq!(
        stack.faults.pending(),
        0,
        "the change ran inside the window"
    );
    answer.expect_code(StatusCode::FORBIDDEN, "owner_protected");
    let ops = stack.round_trips.by_operation();
    assert_eq!(
        (ops.get("BatchGetItem"), ops.get("TransactWriteItems")),
        (Some(&2), Some(&1)),
        "{ops:?}"
    );
    assert_eq!(
        stack.get("acme", &alice_id, &owner).await.body["state"],
        "active"
    );
    assert_eq!(stack.deletions_of("acme", &alice_id).await, 0);
}

/// The actor is demoted to agent after deciding and before committing: the actor's condition
/// check fails, and the new decision refuses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_actor_demoted_before_the_commit_loses_the_power_it_decided_with() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;

    let store = stack.store.clone();
    let actor = alice_id.clone();
    stack.faults.before_next_transaction(move || {
        tenantry_tests::set_user_blocking(&store, "acme", &actor, "agent", false)
    });
    let answer = stack.delete("acme", &ben_id, &alice).await;
    assert_eq!(stack.faults.pending(), 0);
    answer.expect_code(StatusCode::FORBIDDEN, "insufficient_role");
    assert_eq!(
        stack.get("acme", &ben_id, &owner).await.body["state"],
        "active"
    );
    assert_eq!(stack.deletions_of("acme", &ben_id).await, 0);
}

/// DynamoDB answers `TransactionInProgressException` to a retry of a transaction still
/// running (same request token). The transaction may commit: its answer is the commit's, found
/// through its audit event, never a 500, and a create retried by the client is not refused as
/// `username_taken` by its own new user.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_answered_in_progress_that_committed_answers_as_committed() {
    let (stack, proxy) = Stack::with_faults(Some(tenantry_tests::proxy::Schedule {
        in_progress_after_forward: 1.0,
        ..tenantry_tests::proxy::Schedule::none(7)
    }))
    .await;
    let proxy = proxy.unwrap();
    let (_, owner) = stack.tenant("acme").await;
    proxy.set_enabled(true);

    let created = stack
        .create_user("acme", &owner, "ben", "user")
        .await
        .expect(StatusCode::CREATED);
    let ben_id = created.id();
    let deleted = stack
        .delete("acme", &ben_id, &owner)
        .await
        .expect(StatusCode::OK);
    assert_eq!(deleted.body["state"], "deleted");
    assert!(proxy.stats().in_progress >= 2, "{:?}", proxy.stats());

    proxy.set_enabled(false);
    assert_eq!(stack.deletions_of("acme", &ben_id).await, 1);
    let listed = stack.list_ids("acme", "deleted", &owner).await;
    assert_eq!(listed, [ben_id]);
}
