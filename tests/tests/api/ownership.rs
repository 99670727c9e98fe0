//! Ownership: a transfer moves the crown in one step (one owner at every moment, the power
//! moving at once, the audit naming both), and goes nowhere that is not there.

use std::collections::BTreeSet;

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_tests::{Request, Stack};

use crate::support::{USER_KEYS, event_count, keys, me_status, owners, patch, transfer, view};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ownership_transfer_moves_the_crown_in_one_step() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (bob_id, bob) = stack.user("acme", &owner, "bob", "admin").await;
    let owner_before = view(&stack, "acme", &owner_id, &owner).await;

    let moved = transfer(&stack, "acme", &alice_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(
        keys(&moved),
        BTreeSet::from(["tenant", "previous_owner", "new_owner"])
    );
    assert_eq!(moved["tenant"]["id"], "acme");
    assert_eq!(moved["tenant"]["owner_id"], alice_id.as_str());
    let previous = &moved["previous_owner"];
    assert_eq!(keys(previous), BTreeSet::from(USER_KEYS));
    assert_eq!(
        (
            previous["id"].as_str(),
            previous["is_owner"].as_bool(),
            previous["role"].as_str(),
            previous["state"].as_str()
        ),
        (
            Some(owner_id.as_str()),
            Some(false),
            Some("admin"),
            Some("active")
        )
    );
    let new = &moved["new_owner"];
    assert_eq!(
        (
            new["id"].as_str(),
            new["is_owner"].as_bool(),
            new["role"].as_str()
        ),
        (Some(alice_id.as_str()), Some(true), Some("admin"))
    );
    assert!(previous["updated_at"].as_str() > owner_before["updated_at"].as_str());
    // The answer is what is stored, with what the former owner, an owner no more, may do.
    assert_eq!(&view(&stack, "acme", &owner_id, &owner).await, previous);
    assert_eq!(&view(&stack, "acme", &alice_id, &owner).await, new);
    assert_eq!(new["allowed_actions"][0]["code"], "owner_protected");

    // Exactly one owner, at every moment the table is read.
    assert_eq!(owners(&stack, "acme", &bob).await, [alice_id.as_str()]);

    // is_owner is not a role: no session ends, but the power moves at once (read from the table).
    let me = stack.me(&owner).await;
    assert_eq!(
        (me["is_owner"].as_bool(), me["role"].as_str()),
        (Some(false), Some("admin"))
    );
    assert_eq!(stack.me(&alice).await["is_owner"], true);
    let answer = stack.create_user("acme", &alice, "carol", "admin").await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "the new owner creates admins: {answer}"
    );
    let answer = stack.create_user("acme", &owner, "dave", "admin").await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "requires_owner")
    );
    let answer = stack.create_user("acme", &owner, "dave", "agent").await;
    assert_eq!(
        answer.status,
        StatusCode::CREATED,
        "the former owner is still an admin: {answer}"
    );
    let answer = transfer(&stack, "acme", &bob_id, &owner).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "requires_owner")
    );

    // The new owner is protected; the former one is an ordinary admin.
    for (who, token) in [("admin", &bob), ("root", &root), ("former owner", &owner)] {
        let answer = stack.delete("acme", &alice_id, token).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::FORBIDDEN, "owner_protected"),
            "{who} deletes the new owner"
        );
    }
    let answer = patch(&stack, "acme", &alice_id, &root, json!({"role": "agent"})).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "owner_protected")
    );
    let answer = stack.delete("acme", &owner_id, &bob).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "admin_cannot_delete_admin")
    );

    // The audit log names who handed what to whom, and where the crown came from.
    let events = stack.store.list_audit("acme").await.unwrap();
    let handover: Vec<_> = events
        .iter()
        .filter(|e| e.action == "tenant.transfer")
        .collect();
    assert_eq!(handover.len(), 1);
    assert_eq!(
        (
            handover[0].actor_id.as_str(),
            handover[0].target_id.as_str()
        ),
        (owner_id.as_str(), alice_id.as_str())
    );
    assert_eq!(handover[0].details["previous_owner_id"], owner_id.as_str());

    // A super admin can move it again, and now delete the former owner.
    let moved = transfer(&stack, "acme", &bob_id, &root)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(
        (
            moved["tenant"]["owner_id"].as_str(),
            moved["previous_owner"]["id"].as_str(),
            moved["previous_owner"]["is_owner"].as_bool(),
            moved["new_owner"]["id"].as_str()
        ),
        (
            Some(bob_id.as_str()),
            Some(alice_id.as_str()),
            Some(false),
            Some(bob_id.as_str())
        )
    );
    assert_eq!(
        stack.audit_actions("acme", &bob_id).await,
        ["tenant.transfer", "user.create"]
    );
    assert_eq!(
        stack.store.list_audit("acme").await.unwrap()[0].actor_id,
        stack.root_id
    );
    stack
        .delete("acme", &owner_id, &root)
        .await
        .expect(StatusCode::OK);
    assert_eq!(owners(&stack, "acme", &bob).await, [bob_id.as_str()]);
    assert_eq!(me_status(&stack, &alice).await, StatusCode::OK);
    assert_eq!(me_status(&stack, &bob).await, StatusCode::OK);
}

/// What `matrix` cannot reach (its new owners live in the tenant of the path): a transfer to
/// an id that is not there, or to another tenant's admin, or on a tenant that does not exist.
/// Bodies are strict. Nothing moves; a deleted admin, once restored, may take the tenant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_to_a_missing_or_foreign_id_moves_nothing_and_a_restored_admin_can_take_over() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, _) = stack.user("acme", &owner, "alice", "admin").await;
    let (bob_id, _) = stack.user("acme", &owner, "bob", "admin").await;
    stack
        .delete("acme", &bob_id, &root)
        .await
        .expect(StatusCode::OK);
    let (_, globex_owner) = stack.tenant("globex").await;
    let (gina_id, _) = stack.user("globex", &globex_owner, "gina", "admin").await;
    let nobody = uuid::Uuid::now_v7().to_string();

    let cases: Vec<(&str, &str, &str, &str, StatusCode, &str)> = vec![
        // (what, token, tenant, new owner, status, code)
        (
            "the owner to an unknown id",
            &owner,
            "acme",
            &nobody,
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "the owner to a malformed id",
            &owner,
            "acme",
            "no such user!",
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "the owner to an empty id",
            &owner,
            "acme",
            "",
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "the owner to another tenant's admin",
            &owner,
            "acme",
            &gina_id,
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            "root on a tenant that does not exist",
            &root,
            "nowhere",
            &alice_id,
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
    ];
    let events = event_count(&stack, "acme").await;
    let globex_events = event_count(&stack, "globex").await;
    for (what, token, tenant, new_owner, status, expected) in cases {
        let answer = transfer(&stack, tenant, new_owner, token).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{what}: {answer}"
        );
    }
    // Bodies are strict.
    for (body, expected) in [
        (json!({}), "new_owner_id"),
        (json!({"new_owner_id": 7}), "new_owner_id"),
        (json!({"new_owner_id": alice_id, "force": true}), "force"),
        (json!({"owner_id": alice_id}), "owner_id"),
    ] {
        let answer = Request::post("/tenants/acme/ownership")
            .token(&owner)
            .json(body.clone())
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", expected),
            "{body}: {answer}"
        );
    }

    // Nothing moved and nothing was written.
    assert_eq!(event_count(&stack, "acme").await, events);
    assert_eq!(event_count(&stack, "globex").await, globex_events);
    assert_eq!(owners(&stack, "acme", &owner).await, [owner_id.as_str()]);
    assert_eq!(stack.me(&owner).await["is_owner"], true);
    // A deleted admin restored is an active admin again, and may then receive the tenant.
    stack
        .restore("acme", &bob_id, &root)
        .await
        .expect(StatusCode::OK);
    let moved = transfer(&stack, "acme", &bob_id, &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(moved["tenant"]["owner_id"], bob_id.as_str());
}
