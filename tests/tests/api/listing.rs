//! Listing users: query parameters are strict and named when wrong; pages walk every user
//! exactly once, in creation order; deleted users are only in the deleted and all listings.

use std::collections::BTreeMap;

use lambda_http::http::StatusCode;
use serde_json::Value;
use tenantry_tests::{Request, Stack};

const USERS: &str = "/tenants/acme/users";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_listing_refuses_bad_query_parameters_naming_them() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let cases = [
        ("state=bogus", "state"),
        ("state=", "state"),
        ("state=ACTIVE", "state"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=x", "limit"),
        ("limit=-1", "limit"),
        ("limit=", "limit"),
        ("limit=1.5", "limit"),
        ("limit=%2B5", "limit"),
        ("limit=1&limit=2", "limit"),
        ("state=all&state=active", "state"),
        ("foo=1", "foo"),
        ("limit=10&page=2", "page"),
        ("cursor=!!!", "cursor"),
        ("cursor=", "cursor"),
        // Base64 of a byte that is not UTF-8.
        ("cursor=_w", "cursor"),
        // Base64 of 100 bytes: longer than any id.
        (
            "cursor=YWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYWFhYQ",
            "cursor",
        ),
    ];
    for (query, field) in cases {
        let answer = Request::get(format!("{USERS}?{query}"))
            .token(&owner)
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.code(), answer.field()),
            (StatusCode::BAD_REQUEST, "validation_failed", field),
            "?{query}: {answer}"
        );
    }
    // The bounds themselves are fine.
    for query in [
        "limit=1",
        "limit=100",
        "state=active",
        "state=deleted",
        "state=all",
    ] {
        let answer = Request::get(format!("{USERS}?{query}"))
            .token(&owner)
            .send(&stack)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "?{query}: {answer}");
        assert!(answer.body["items"].is_array(), "?{query}: {answer}");
    }
}

/// Every page of `state`, `limit` at a time, following `next_cursor` until it is null.
async fn walk(stack: &Stack, token: &str, state: &str, limit: usize) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{USERS}?state={state}&limit={limit}");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let answer = Request::get(&path).token(token).send(stack).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {answer}");
        let body = answer.body;
        let items = body["items"].as_array().unwrap().clone();
        assert!(items.len() <= limit, "{path}: {} items", items.len());
        pages.push(items);
        match &body["next_cursor"] {
            Value::Null => return pages,
            Value::String(next) => cursor = Some(next.clone()),
            other => panic!("next_cursor is {other}"),
        }
        assert!(pages.len() <= 20, "the cursor never ends");
    }
}

/// Tenant "acme" with its owner and seven users; returns the owner's token and every id,
/// in creation order.
async fn acme_with_seven_users(stack: &Stack) -> (String, Vec<String>) {
    let (owner_id, owner) = stack.tenant("acme").await;
    let mut created = vec![owner_id];
    for i in 1..=7 {
        let user = stack
            .create_user("acme", &owner, &format!("user{i}"), "user")
            .await
            .expect(StatusCode::CREATED);
        created.push(user.id());
    }
    (owner, created)
}

fn ids(pages: &[Vec<Value>]) -> Vec<String> {
    pages
        .iter()
        .flatten()
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_walks_every_active_user_exactly_once_in_order() {
    let stack = Stack::new().await;
    let (owner, created) = acme_with_seven_users(&stack).await;
    let pages = walk(&stack, &owner, "active", 3).await;
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 2]);
    // Ids are time-ordered, so id order is creation order.
    assert_eq!(ids(&pages), created);
    for user in pages.iter().flatten() {
        assert_eq!(user["state"], "active");
        assert!(user.get("password_hash").is_none(), "{user}");
    }
    // The default listing is the active one.
    let body = Request::get(USERS)
        .token(&owner)
        .send(&stack)
        .await
        .expect(StatusCode::OK)
        .body;
    assert_eq!(ids(&[body["items"].as_array().unwrap().clone()]), created);
    assert_eq!(body["next_cursor"], Value::Null);
    // A page that ends exactly at the last user has no next page.
    let pages = walk(&stack, &owner, "active", 4).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4]);
    assert_eq!(ids(&pages), created);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_users_appear_only_in_the_deleted_and_all_listings() {
    let stack = Stack::new().await;
    let (owner, created) = acme_with_seven_users(&stack).await;
    // Delete one in the middle of a page and the last two, so the active listing ends on
    // deleted users it must skip.
    let deleted = [created[2].clone(), created[6].clone(), created[7].clone()];
    for id in &deleted {
        stack
            .delete("acme", id, &owner)
            .await
            .expect(StatusCode::OK);
    }
    let active: Vec<String> = created
        .iter()
        .filter(|id| !deleted.contains(id))
        .cloned()
        .collect();

    let pages = walk(&stack, &owner, "active", 3).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 2]);
    assert_eq!(ids(&pages), active);
    assert!(pages.iter().flatten().all(|u| u["state"] == "active"));

    let pages = walk(&stack, &owner, "deleted", 2).await;
    assert_eq!(ids(&pages), deleted.to_vec());
    assert!(pages.iter().flatten().all(|u| u["state"] == "deleted"
        && u["deleted_at"].is_string()
        && u["purge_after"].is_string()));

    let pages = walk(&stack, &owner, "all", 3).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 3, 2]
    );
    assert_eq!(ids(&pages), created);
    let states: BTreeMap<String, String> = pages
        .iter()
        .flatten()
        .map(|u| {
            (
                u["id"].as_str().unwrap().to_owned(),
                u["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for id in &created {
        let expected = if deleted.contains(id) {
            "deleted"
        } else {
            "active"
        };
        assert_eq!(states[id], expected, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_reads_a_bounded_number_of_users_and_only_once_it_is_allowed() {
    use tenantry_store::USERS_READ_PER_PAGE;
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    // A big tenant with a small trash: one deleted user, created last (ids follow creation).
    let active = 2 * USERS_READ_PER_PAGE + 200;
    let users: Vec<_> = (0..active)
        .map(|n| tenantry_tests::seed::user("acme", &format!("member{n}"), "user", false))
        .collect();
    tenantry_tests::seed::put_users(&stack.store, &users, 16).await;
    let (doomed, _) = stack.user("acme", &owner, "doomed", "user").await;
    stack.delete("acme", &doomed, &owner).await;

    // The trash, 100 at a time: each request reads at most USERS_READ_PER_PAGE users, so the
    // walk answers empty pages with a cursor until it reaches the deleted user.
    let pages = walk(&stack, &owner, "deleted", 100).await;
    let read = active + 2;
    assert_eq!(pages.len(), read.div_ceil(USERS_READ_PER_PAGE), "{pages:?}");
    assert!(pages[..pages.len() - 1].iter().all(Vec::is_empty));
    assert_eq!(ids(&pages), [doomed]);
    // The active users are all there, each once, whatever the bound.
    let everyone = ids(&walk(&stack, &owner, "active", 100).await);
    assert_eq!(everyone.len(), active + 1);
    assert_eq!(
        everyone
            .iter()
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        active + 1
    );

    // Callers refused read nothing of the tenant: another tenant's admin (answered as a
    // missing tenant) and a signed-out session.
    let (_, beta_owner) = stack.tenant("beta").await;
    let (_, beta_admin) = stack.user("beta", &beta_owner, "bea", "admin").await;
    let (_, signed_out) = stack.user("acme", &owner, "sol", "admin").await;
    Request::post("/auth/logout")
        .token(&signed_out)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    for (token, status) in [
        (&beta_admin, StatusCode::NOT_FOUND),
        (&signed_out, StatusCode::UNAUTHORIZED),
    ] {
        stack.round_trips.reset();
        let answer = Request::get(format!("{USERS}?state=deleted"))
            .token(token)
            .send(&stack)
            .await;
        assert_eq!(answer.status, status, "{answer}");
        let calls = stack.round_trips.by_operation();
        assert_eq!(calls.get("Query"), None, "{status}: {calls:?}");
    }
}
