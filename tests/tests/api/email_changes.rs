//! Email changes: the claim on the address moves with it (the old one free at once, the new
//! one held in any case, a deleted user's held until the purge), and everyone may change
//! their own, keeping their sessions.

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_tests::Stack;

use crate::support::{create_with_email, event_count, patch, view};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_change_moves_the_claim() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let (carl_id, _) = stack.user("acme", &owner, "carl", "user").await;
    let (dora_id, _) = stack.user("acme", &owner, "dora", "user").await;

    patch(
        &stack,
        "acme",
        &ben_id,
        &owner,
        json!({"email": "ben.new@acme.test"}),
    )
    .await
    .expect(StatusCode::OK);
    // The old address is free at once; the new one is taken, in any case.
    create_with_email(&stack, "acme", &owner, "benny", "ben@acme.test")
        .await
        .expect(StatusCode::CREATED);
    let answer = create_with_email(&stack, "acme", &owner, "benno", "BEN.NEW@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken")
    );

    // Nor in full-width or styled letters, which NFKC folds into the same address.
    let answer =
        create_with_email(&stack, "acme", &owner, "benji", "\u{FF42}en.new@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken"),
        "{answer}"
    );

    // Moving onto an address an active user holds is refused, and changes nothing.
    let carl_before = view(&stack, "acme", &carl_id, &owner).await;
    let events = event_count(&stack, "acme").await;
    for taken in [
        "ben.new@acme.test",
        "Ben.New@ACME.test",
        "BEN@acme.test",
        "\u{1D41B}en@acme.test",
    ] {
        let answer = patch(&stack, "acme", &carl_id, &owner, json!({"email": taken})).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::CONFLICT, "email_taken"),
            "{taken}: {answer}"
        );
    }

    // Onto an address a deleted user holds: refused, saying whose and until when.
    let deleted = stack
        .delete("acme", &dora_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    let events = events + 1;
    for held in ["dora@acme.test", "DORA@acme.test"] {
        let answer = patch(&stack, "acme", &carl_id, &owner, json!({"email": held})).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::CONFLICT, "email_held_by_deleted_user"),
            "{held}: {answer}"
        );
        assert_eq!(answer.body["frees_at"], deleted["purge_after"]);
        assert_eq!(answer.body["deleted_user_id"], dora_id.as_str());
    }
    assert_eq!(view(&stack, "acme", &carl_id, &owner).await, carl_before);
    assert_eq!(event_count(&stack, "acme").await, events);
    // Carl's address is still his: the refused moves released nothing.
    let answer = create_with_email(&stack, "acme", &owner, "carlo", "carl@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken")
    );

    // Changing only the case is a change of the address, not of the claim.
    let body = patch(
        &stack,
        "acme",
        &carl_id,
        &owner,
        json!({"email": "Carl@Acme.TEST"}),
    )
    .await
    .expect(StatusCode::OK)
    .body;
    assert_eq!(body["email"], "Carl@Acme.TEST");
    assert_eq!(
        view(&stack, "acme", &carl_id, &owner).await["email"],
        "Carl@Acme.TEST"
    );
    assert_eq!(event_count(&stack, "acme").await, events + 1);
    let answer = create_with_email(&stack, "acme", &owner, "carlo", "carl@acme.test").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::CONFLICT, "email_taken"),
        "the claim stays carl's after a case-only change"
    );
    // Moving away from the mixed-case address frees its (lowercase) claim.
    patch(
        &stack,
        "acme",
        &carl_id,
        &owner,
        json!({"email": "carl2@acme.test"}),
    )
    .await
    .expect(StatusCode::OK);
    create_with_email(&stack, "acme", &owner, "carlo", "CARL@acme.test")
        .await
        .expect(StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyone_may_change_their_own_email() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (aggie_id, aggie) = stack.user("acme", &owner, "aggie", "agent").await;
    let (ursula_id, ursula) = stack.user("acme", &owner, "ursula", "user").await;
    let root = stack.root_token.clone();
    let root_id = stack.root_id.clone();
    let people = [
        ("owner", "acme", &owner_id, &owner, "admin"),
        ("admin", "acme", &alice_id, &alice, "admin"),
        ("agent", "acme", &aggie_id, &aggie, "agent"),
        ("user", "acme", &ursula_id, &ursula, "user"),
        ("super admin", "platform", &root_id, &root, "super_admin"),
    ];
    for (who, tenant, id, token, role) in people {
        let new = format!("{}.self@{tenant}.test", who.replace(' ', "-"));
        let events = event_count(&stack, tenant).await;
        let answer = patch(&stack, tenant, id, token, json!({ "email": new })).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{who} changes own email: {answer}"
        );
        assert_eq!(
            (answer.body["email"].as_str(), answer.body["role"].as_str()),
            (Some(new.as_str()), Some(role)),
            "{who}"
        );
        let me = stack.me(token).await;
        assert_eq!(
            me["email"],
            new.as_str(),
            "{who}: the old token still works"
        );
        assert_eq!(event_count(&stack, tenant).await, events + 1, "{who}");
    }
}

/// Only those who may see the trash learn that a deleted user holds an address (and who,
/// and until when). Anyone else hears `email_taken`, as for an active user's address, so a
/// plain user cannot find deleted users by trying emails on their own account.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_users_address_is_news_only_to_those_who_see_the_trash() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (aggie_id, aggie) = stack.user("acme", &owner, "aggie", "agent").await;
    let (ursula_id, ursula) = stack.user("acme", &owner, "ursula", "user").await;
    let (dora_id, _) = stack.user("acme", &owner, "dora", "user").await;
    stack
        .delete("acme", &dora_id, &owner)
        .await
        .expect(StatusCode::OK);
    let sees_trash = |token: &str| {
        let token = token.to_owned();
        let stack = &stack;
        async move {
            let answer = tenantry_tests::Request::get("/tenants/acme/users?state=deleted")
                .token(&token)
                .send(stack)
                .await;
            answer.status == StatusCode::OK
        }
    };
    for (who, id, token) in [
        ("admin", &alice_id, &alice),
        ("agent", &aggie_id, &aggie),
        ("user", &ursula_id, &ursula),
    ] {
        let events = event_count(&stack, "acme").await;
        let answer = patch(
            &stack,
            "acme",
            id,
            token,
            json!({"email": "dora@acme.test"}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{who}: {answer}");
        if sees_trash(token).await {
            assert_eq!(answer.code(), "email_held_by_deleted_user", "{who}");
            assert_eq!(answer.body["deleted_user_id"], dora_id.as_str(), "{who}");
        } else {
            assert_eq!(answer.code(), "email_taken", "{who}: {answer}");
            assert!(
                answer.body.get("deleted_user_id").is_none()
                    && answer.body.get("frees_at").is_none(),
                "{who}: {answer}"
            );
        }
        assert_eq!(event_count(&stack, "acme").await, events, "{who}");
    }
    // The plain user and the agent may not see the trash; the admin may.
    assert!(sees_trash(&alice).await);
    assert!(!sees_trash(&aggie).await && !sees_trash(&ursula).await);
}
