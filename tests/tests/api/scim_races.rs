//! A directory racing people and the purge: each race ends in one of the serial outcomes,
//! with a table that keeps every invariant and an audit log that says what happened.

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_accounts::{PurgeRun, Purger};
use tenantry_tests::invariants::{self, TableDump};
use tenantry_tests::{Request, Stack, backdate_purge};

use crate::scim::{directory, patch, scim};

const ROUNDS: usize = 12;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_deactivation_racing_an_admins_restore_ends_serially() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let token = directory(&stack, "acme", &owner).await;
    let deactivate = patch(json!([{"op": "replace", "path": "active", "value": false}]));
    let mut outcomes = std::collections::BTreeSet::new();
    for round in 0..ROUNDS {
        let (id, _) = stack
            .user("acme", &owner, &format!("ray-{round}"), "user")
            .await;
        stack
            .delete("acme", &id, &owner)
            .await
            .expect(StatusCode::OK);
        // One side starts later and later, the restore in even rounds and the deactivation in
        // odd ones: from together to well after the other's commit, so that both serial
        // orders happen even on a loaded machine.
        let pause = std::time::Duration::from_millis(25 * (round / 2) as u64);
        let (restore_pause, deactivate_pause) = if round % 2 == 0 {
            (pause, std::time::Duration::ZERO)
        } else {
            (std::time::Duration::ZERO, pause)
        };
        let (restored, deactivated) = tokio::join!(
            async {
                tokio::time::sleep(restore_pause).await;
                stack.restore("acme", &id, &owner).await
            },
            async {
                tokio::time::sleep(deactivate_pause).await;
                scim(
                    "PATCH",
                    format!("/scim/v2/acme/Users/{id}"),
                    &token,
                    &deactivate,
                )
                .send(&stack)
                .await
            },
        );
        restored.expect(StatusCode::OK);
        let deactivated = deactivated.expect(StatusCode::OK);
        assert_eq!(deactivated.body["active"], false, "{deactivated}");
        // Serial: the restore, then the deactivation (deleted again); or the deactivation
        // of a user already inactive (nothing to do), then the restore (active).
        let user = stack.user_item("acme", &id).await.unwrap();
        let mut actions = stack.audit_actions("acme", &id).await;
        actions.reverse();
        let expected: &[&str] = if user.is_deleted() {
            &["user.create", "user.delete", "user.restore", "user.delete"]
        } else {
            &["user.create", "user.delete", "user.restore"]
        };
        assert_eq!(actions, expected, "round {round}: {user:?}");
        outcomes.insert(user.is_deleted());
    }
    let violations = invariants::check(&TableDump::read(&stack.store).await);
    assert_eq!(violations, Vec::<String>::new());
    assert_eq!(outcomes.len(), 2, "both serial orders happen: {outcomes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_delete_racing_the_purge_leaves_nothing_behind() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let token = directory(&stack, "acme", &owner).await;
    for round in 0..ROUNDS {
        let (id, _) = stack
            .user("acme", &owner, &format!("pam-{round}"), "user")
            .await;
        // Deactivated by the directory, and due: its window closed.
        scim(
            "PATCH",
            format!("/scim/v2/acme/Users/{id}"),
            &token,
            &patch(json!([{"op": "replace", "path": "active", "value": false}])),
        )
        .send(&stack)
        .await
        .expect(StatusCode::OK);
        backdate_purge(&stack.store, "acme", &id).await;
        let purger = Purger::new(stack.store.clone(), Default::default());
        let run = PurgeRun::now();
        let (summary, deleted) = tokio::join!(
            purger.run(&run, |_| {}),
            Request::delete(format!("/scim/v2/acme/Users/{id}"))
                .token(&token)
                .send(&stack),
        );
        assert_eq!((summary.purged, summary.failed), (1, 0), "{summary:?}");
        // Serial: the delete (hidden, 204), then the purge; or the purge, then 404.
        assert!(
            [StatusCode::NO_CONTENT, StatusCode::NOT_FOUND].contains(&deleted.status),
            "round {round}: {deleted}"
        );
        // The directory's write never re-creates a purged user.
        assert!(
            stack.user_item("acme", &id).await.is_none(),
            "round {round}"
        );
        Request::get(format!("/scim/v2/acme/Users/{id}"))
            .token(&token)
            .send(&stack)
            .await
            .expect(StatusCode::NOT_FOUND);
    }
    let violations = invariants::check(&TableDump::read(&stack.store).await);
    assert_eq!(violations, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_moving_an_inactive_users_email_during_the_purge_orphans_no_claim() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let token = directory(&stack, "acme", &owner).await;
    for round in 0..ROUNDS {
        let (id, _) = stack
            .user("acme", &owner, &format!("moe-{round}"), "user")
            .await;
        stack
            .delete("acme", &id, &owner)
            .await
            .expect(StatusCode::OK);
        backdate_purge(&stack.store, "acme", &id).await;
        let purger = Purger::new(stack.store.clone(), Default::default());
        let run = PurgeRun::now();
        let pause = std::time::Duration::from_millis(4 * round as u64);
        let (summary, moved) = tokio::join!(
            async {
                tokio::time::sleep(pause).await;
                purger.run(&run, |_| {}).await
            },
            scim(
                "PATCH",
                format!("/scim/v2/acme/Users/{id}"),
                &token,
                &patch(
                    json!([{"op": "replace", "path": "emails[type eq \"work\"].value",
                               "value": format!("moved-{round}@acme.test")}])
                ),
            )
            .send(&stack),
        );
        // Serial: the move, then the purge of the moved user; or the purge, then 404.
        assert!(
            [StatusCode::OK, StatusCode::NOT_FOUND].contains(&moved.status),
            "round {round}: {moved}"
        );
        assert_eq!((summary.purged, summary.failed), (1, 0), "{summary:?}");
        assert!(
            stack.user_item("acme", &id).await.is_none(),
            "round {round}"
        );
    }
    // No claim outlives its user: the moved email's included.
    let violations = invariants::check(&TableDump::read(&stack.store).await);
    assert_eq!(violations, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_true_after_the_restore_window_is_400_with_the_reason() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let token = directory(&stack, "acme", &owner).await;
    let (id, _) = stack.user("acme", &owner, "old", "user").await;
    stack
        .delete("acme", &id, &owner)
        .await
        .expect(StatusCode::OK);
    backdate_purge(&stack.store, "acme", &id).await;
    let before = stack.user_item("acme", &id).await.unwrap();
    let answer = scim(
        "PATCH",
        format!("/scim/v2/acme/Users/{id}"),
        &token,
        &patch(json!([{"op": "replace", "path": "active", "value": true}])),
    )
    .send(&stack)
    .await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::BAD_REQUEST, "restore_window_closed"),
        "{answer}"
    );
    assert_eq!(answer.body["scimType"], "invalidValue");
    assert_eq!(stack.user_item("acme", &id).await.unwrap(), before);
}
