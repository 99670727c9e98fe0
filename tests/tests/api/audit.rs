//! The audit log: newest first, ids only, for the tenant's admins and super admins; pages
//! walk it whole; its query parameters are strict.

use std::collections::{BTreeSet, HashSet};

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_tests::{Answer, PASSWORD, Request, Stack};

use crate::support::{event_count, keys, patch, transfer};

/// `GET /tenants/{tenant}/audit` with `query` (without the `?`).
async fn audit(stack: &Stack, tenant: &str, query: &str, token: &str) -> Answer {
    let path = if query.is_empty() {
        format!("/tenants/{tenant}/audit")
    } else {
        format!("/tenants/{tenant}/audit?{query}")
    };
    Request::get(path).token(token).send(stack).await
}

/// URL-safe base64 without padding, as the API's cursors are written (for forged cursors).
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// The `(action, actor_id, target_id)` of every item of an audit page.
fn triples(page: &Value) -> Vec<(String, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_id"].as_str().unwrap().to_owned(),
                e["target_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn triple(action: &str, actor: &str, target: &str) -> (String, String, String) {
    (action.to_owned(), actor.to_owned(), target.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_tells_the_story_newest_first_with_ids_only() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let root_id = stack.root_id.clone();
    let (owner_id, owner) = stack.tenant("acme").await;
    let (alice_id, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (bruno_id, _) = stack.user("acme", &owner, "bruno", "user").await;
    let ok = |answer: Answer| assert!(answer.status.is_success(), "{answer}");
    ok(patch(&stack, "acme", &bruno_id, &owner, json!({"role": "agent"})).await);
    ok(patch(
        &stack,
        "acme",
        &bruno_id,
        &alice,
        json!({"email": "bruno.new@acme.test"}),
    )
    .await);
    ok(transfer(&stack, "acme", &alice_id, &owner).await);
    ok(stack.delete("acme", &owner_id, &root).await);
    ok(stack.restore("acme", &owner_id, &root).await);

    // Denied attempts, on every endpoint that writes, leave no trace.
    let events = event_count(&stack, "acme").await;
    // Bruno's role changed and the owner was deleted: their old sessions are over.
    let bruno = stack.login("acme", "bruno", PASSWORD).await;
    let owner = stack.login("acme", "acme-owner", PASSWORD).await;
    let denied = [
        patch(
            &stack,
            "acme",
            &alice_id,
            &bruno,
            json!({"email": "x@acme.test"}),
        )
        .await,
        patch(&stack, "acme", &alice_id, &root, json!({"role": "user"})).await,
        transfer(&stack, "acme", &bruno_id, &alice).await,
        transfer(&stack, "acme", &owner_id, &bruno).await,
        stack.delete("acme", &alice_id, &root).await,
        stack.delete("acme", &bruno_id, &bruno).await,
        stack.restore("acme", &bruno_id, &alice).await,
        stack.create_user("acme", &bruno, "zed", "user").await,
        audit(&stack, "acme", "limit=100", &bruno).await,
    ];
    for answer in &denied {
        assert!(answer.status.is_client_error(), "{answer}");
    }
    assert_eq!(event_count(&stack, "acme").await, events);

    let page = audit(&stack, "acme", "limit=100", &alice)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(keys(&page), BTreeSet::from(["items", "next_cursor"]));
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(
        triples(&page),
        [
            triple("user.restore", &root_id, &owner_id),
            triple("user.delete", &root_id, &owner_id),
            triple("tenant.transfer", &owner_id, &alice_id),
            triple("user.update", &alice_id, &bruno_id),
            triple("user.update", &owner_id, &bruno_id),
            triple("user.create", &owner_id, &bruno_id),
            triple("user.create", &owner_id, &alice_id),
            triple("tenant.create", &root_id, "acme"),
        ]
    );
    let items = page["items"].as_array().unwrap();
    for item in items {
        assert_eq!(
            keys(item),
            BTreeSet::from(["id", "at", "actor_id", "action", "target_id", "details"]),
            "{item}"
        );
        assert!(
            uuid::Uuid::try_parse(item["id"].as_str().unwrap()).is_ok(),
            "{item}"
        );
        assert!(item["details"].is_object(), "{item}");
    }
    assert_eq!(
        items[4]["details"],
        json!({"previous_role": "user", "role": "agent", "email_changed": false, "profile_changed": false})
    );
    assert_eq!(items[3]["details"]["email_changed"], true);
    assert_eq!(items[2]["details"]["previous_owner_id"], owner_id.as_str());
    assert_eq!(items[7]["details"]["owner_id"], owner_id.as_str());
    // The same events, in the same order, as the table holds.
    let stored: Vec<String> = stack
        .store
        .list_audit("acme")
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let shown: Vec<&str> = items.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(shown, stored);
    // The owner (now an ordinary admin) and a super admin read the same page.
    for token in [&owner, &root] {
        let same = audit(&stack, "acme", "limit=100", token).await;
        assert_eq!((same.status, &same.body), (StatusCode::OK, &page));
    }

    // No personal data anywhere in the page.
    let text = page.to_string();
    for personal in [
        "acme-owner",
        "alice",
        "bruno",
        "root",
        "acme-owner@acme.test",
        "alice@acme.test",
        "bruno@acme.test",
        "bruno.new@acme.test",
        "root@platform.invalid",
        "@acme.test",
        PASSWORD,
    ] {
        assert!(!text.contains(personal), "{personal:?} leaked into {text}");
    }
    // Reading the log writes nothing.
    assert_eq!(event_count(&stack, "acme").await, events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_audit_log_is_for_the_tenants_admins_and_super_admins() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let (_, owner) = stack.tenant("acme").await;
    let (_, alice) = stack.user("acme", &owner, "alice", "admin").await;
    let (_, globex_owner) = stack.tenant("globex").await;
    let (_, gina) = stack.user("globex", &globex_owner, "gina", "admin").await;

    // Who else is refused is `matrix`'s (agents, users, other tenants) and `contract`'s (no
    // token, a deleted admin's token); here, readers see their own tenant's log, and a tenant
    // that is not there is not found, for a super admin too.
    let cases: Vec<(&str, Option<&str>, &str, StatusCode, &str)> = vec![
        ("owner", Some(&owner), "acme", StatusCode::OK, ""),
        ("admin", Some(&alice), "acme", StatusCode::OK, ""),
        ("super admin", Some(&root), "acme", StatusCode::OK, ""),
        (
            "super admin, unknown tenant",
            Some(&root),
            "nowhere",
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
        (
            "super admin, impossible tenant",
            Some(&root),
            "No_Such!",
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
        (
            "owner, unknown tenant",
            Some(&owner),
            "nowhere",
            StatusCode::NOT_FOUND,
            "tenant_not_found",
        ),
    ];
    for (who, token, tenant, status, expected) in cases {
        let answer = Request::get(format!("/tenants/{tenant}/audit?limit=10"))
            .maybe_token(token)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, expected),
            "{who}: {answer}"
        );
        if answer.status == StatusCode::OK {
            let targets: Vec<&str> = answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["target_id"].as_str().unwrap())
                .collect();
            assert_eq!(targets.last(), Some(&"acme"), "{who}: {answer}");
            assert!(!targets.contains(&"globex"), "{who}: {answer}");
        }
    }
    // Each tenant's log holds only its own events.
    let body = audit(&stack, "globex", "", &gina)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(
        triples(&body)
            .into_iter()
            .map(|(action, _, _)| action)
            .collect::<Vec<_>>(),
        ["user.create", "tenant.create"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_pages_walk_the_whole_log_without_gaps_or_repeats() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let mut ids = Vec::new();
    for i in 0..6 {
        ids.push(
            stack
                .user("acme", &owner, &format!("user{i}"), "user")
                .await
                .0,
        );
    }
    for id in &ids[..5] {
        patch(&stack, "acme", id, &owner, json!({"role": "agent"}))
            .await
            .expect(StatusCode::OK);
    }
    let total = 1 + 6 + 5;
    assert_eq!(event_count(&stack, "acme").await, total);

    let whole = audit(&stack, "acme", "limit=100", &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(whole["next_cursor"], Value::Null);
    let all = whole["items"].as_array().unwrap().clone();
    assert_eq!(all.len(), total);
    // Strictly newest first by time, ties broken by id; no event twice.
    let order: Vec<(&str, &str)> = all
        .iter()
        .map(|e| (e["at"].as_str().unwrap(), e["id"].as_str().unwrap()))
        .collect();
    for pair in order.windows(2) {
        assert!(pair[0] > pair[1], "not strictly descending: {pair:?}");
    }
    let unique: HashSet<&str> = order.iter().map(|(_, id)| *id).collect();
    assert_eq!(unique.len(), total);
    // The default limit (50) covers it all too.
    let default = audit(&stack, "acme", "", &owner).await;
    assert_eq!((default.status, &default.body), (StatusCode::OK, &whole));

    for limit in [1, 2, 3, 5, total - 1, total, 100] {
        let mut walked: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let query = match &cursor {
                Some(c) => format!("limit={limit}&cursor={c}"),
                None => format!("limit={limit}"),
            };
            let page = audit(&stack, "acme", &query, &owner).await;
            assert_eq!(page.status, StatusCode::OK, "limit {limit}: {page}");
            pages += 1;
            assert!(pages <= total + 1, "limit {limit}: the walk does not end");
            let items = page.body["items"].as_array().unwrap();
            walked.extend(items.iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(next) => {
                    assert_eq!(
                        items.len(),
                        limit,
                        "limit {limit}: a short page before the end"
                    );
                    cursor = Some(next.to_owned());
                }
                None => {
                    assert_eq!(page.body["next_cursor"], Value::Null);
                    assert!(
                        (1..=limit).contains(&items.len()),
                        "limit {limit}: last page of {}",
                        items.len()
                    );
                    break;
                }
            }
        }
        assert_eq!(pages, total.div_ceil(limit), "limit {limit}");
        assert_eq!(walked, all, "limit {limit}");
    }

    // A cursor is a position: events written after it was issued appear at the head only.
    let first = audit(&stack, "acme", "limit=4", &owner).await.body;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    patch(&stack, "acme", &ids[5], &owner, json!({"role": "agent"}))
        .await
        .expect(StatusCode::OK);
    let rest = audit(
        &stack,
        "acme",
        &format!("limit=100&cursor={cursor}"),
        &owner,
    )
    .await
    .expect(StatusCode::OK)
    .body;
    assert_eq!(rest["items"].as_array().unwrap()[..], all[4..]);
    let head = audit(&stack, "acme", "limit=1", &owner).await.body;
    assert_eq!(head["items"][0]["target_id"], ids[5].as_str());
    assert_eq!(head["items"][0]["action"], "user.update");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_query_parameters_are_strict() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    for i in 0..3 {
        stack
            .user("acme", &owner, &format!("user{i}"), "user")
            .await;
    }
    let first = audit(&stack, "acme", "limit=1", &owner)
        .await
        .expect(StatusCode::OK)
        .body;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let genuine = audit(&stack, "acme", &format!("limit=1&cursor={cursor}"), &owner).await;
    assert_eq!(genuine.status, StatusCode::OK, "the genuine cursor works");
    let users = Request::get("/tenants/acme/users?limit=1")
        .token(&owner)
        .send(&stack)
        .await
        .body;
    let user_cursor = users["next_cursor"].as_str().unwrap().to_owned();
    let sk = "2024-01-01T00:00:00.000Z";

    let mut cursors = vec![
        "not-a-cursor!".to_owned(),
        "!!!!".to_owned(),
        String::new(),
        format!("A{cursor}"),
        cursor[..cursor.len() - 3].to_owned(),
        format!("{cursor}=="),
        user_cursor,
        base64url(b"hello"),
        base64url(sk.as_bytes()),
        base64url(format!("{sk}#not-a-uuid").as_bytes()),
        base64url(format!("yesterday#{}", uuid::Uuid::now_v7()).as_bytes()),
    ];
    cursors.push(base64url(&[0xff, 0xfe, 0x23, 0x00]));
    for bad in &cursors {
        let answer = audit(&stack, "acme", &format!("cursor={bad}"), &owner).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", "cursor"),
            "cursor {bad:?}: {answer}"
        );
    }
    for bad in [
        "0",
        "101",
        "abc",
        "-1",
        "",
        "1.5",
        "10000",
        "99999999999999999999",
    ] {
        let answer = audit(&stack, "acme", &format!("limit={bad}"), &owner).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", "limit"),
            "limit {bad:?}: {answer}"
        );
    }
    for (query, expected) in [
        ("page=2", "page"),
        ("state=all", "state"),
        ("limit=5&offset=5", "offset"),
        ("limit=1&limit=2", "limit"),
    ] {
        let answer = audit(&stack, "acme", query, &owner).await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", expected),
            "{query}: {answer}"
        );
    }
    // Limits at the edges are fine.
    for (limit, len) in [("1", 1), ("100", 4)] {
        let body = audit(&stack, "acme", &format!("limit={limit}"), &owner)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(body["items"].as_array().unwrap().len(), len);
    }
}
