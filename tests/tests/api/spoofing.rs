//! Username spoofing, through the API. A username is NFKC-folded, lowercased and then must be
//! ASCII `[a-z0-9._-]`: case and width variants (`BEN`, `ｂｅｎ`, styled letters) are the same
//! name and hit its claim; look-alikes that stay non-ASCII (a Cyrillic `е`, invisible
//! characters, accents) are refused outright, so they can never become a second account.
//! Usernames cannot be changed by a PATCH at all.

use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_tests::{PASSWORD, Request, Stack};

/// Spellings that fold to `ben`.
const SAME_AS_BEN: [&str; 9] = [
    "BEN",
    "Ben",
    " ben ",
    "\u{ff42}\u{ff45}\u{ff4e}",    // ｂｅｎ, full width
    "\u{ff22}\u{ff25}\u{ff2e}",    // ＢＥＮ
    "\u{212c}en",                  // ℬen, script capital B
    "\u{24d1}\u{24d4}\u{24dd}",    // ⓑⓔⓝ, circled
    "\u{1d41b}\u{1d41e}\u{1d427}", // 𝐛𝐞𝐧, mathematical bold
    "\u{3000}ben\u{3000}",         // ideographic spaces around
];

/// Look-alikes of `ben` that are not `ben` under NFKC: refused.
const LOOK_ALIKES: [&str; 7] = [
    "b\u{0435}n",               // Cyrillic small ie
    "\u{ff42}\u{0435}\u{ff4e}", // full-width b and n around a Cyrillic ie
    "ben\u{200b}",              // zero-width space
    "b\u{200d}en",              // zero-width joiner
    "be\u{0301}n",              // e with a combining acute: bén
    "\u{0184}en",               // Latin capital letter tone six (looks like b)
    "b\u{0435}\u{0578}",        // Cyrillic ie, Armenian vo
];

fn user(username: &str, email: &str) -> Value {
    json!({"username": username, "email": email, "password": PASSWORD, "role": "user"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_and_width_variants_hit_the_existing_claim_and_look_alikes_are_refused() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    let before = stack.list_ids("acme", "all", &owner).await;
    let mut wrong = Vec::new();
    for (n, name) in SAME_AS_BEN.iter().enumerate() {
        // A fresh email each time, so only the username can collide.
        let body = user(name, &format!("variant{n}@acme.test"));
        let answer = Request::post("/tenants/acme/users")
            .token(&owner)
            .json(body)
            .send(&stack)
            .await;
        if (answer.status, answer.code()) != (StatusCode::CONFLICT, "username_taken") {
            wrong.push(format!(
                "create {name:?}: expected 409 username_taken, got {answer}"
            ));
        }
    }
    for (n, name) in LOOK_ALIKES.iter().enumerate() {
        let body = user(name, &format!("lookalike{n}@acme.test"));
        let answer = Request::post("/tenants/acme/users")
            .token(&owner)
            .json(body)
            .send(&stack)
            .await;
        if (answer.status, answer.code(), answer.field())
            != (StatusCode::BAD_REQUEST, "validation_failed", "username")
        {
            wrong.push(format!(
                "create {name:?}: expected 400 on username, got {answer}"
            ));
        }
    }
    if stack.list_ids("acme", "all", &owner).await != before {
        wrong.push("a variant or a look-alike became an account".into());
    }
    // The name is stored folded.
    let ben = stack.get("acme", &ben_id, &owner).await;
    assert_eq!(ben.body["username"], "ben");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_tenants_owner_name_is_folded_and_look_alikes_are_refused() {
    let stack = Stack::new().await;
    let root = stack.root_token.clone();
    let tenant = |id: &str, owner: &str| json!({"id": id, "name": id, "owner": {"username": owner, "email": format!("owner@{id}.test"), "password": PASSWORD}});
    for (n, name) in LOOK_ALIKES.iter().enumerate() {
        let id = format!("spoof{n}");
        let answer = Request::post("/tenants")
            .token(&root)
            .json(tenant(&id, name))
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.field()),
            (StatusCode::BAD_REQUEST, "owner.username"),
            "owner {name:?}: {answer}"
        );
        assert!(stack.store.get_tenant(&id).await.unwrap().is_none());
    }
    // Full width and upper case: the owner is `ben`, and `ben` in any spelling is taken there.
    let answer = Request::post("/tenants")
        .token(&root)
        .json(tenant("wide", "\u{ff22}\u{ff25}\u{ff2e}"))
        .send(&stack)
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(answer.body["owner"]["username"], "ben");
    let owner = stack.login("wide", "ben", PASSWORD).await;
    for (n, name) in ["ben", "BEN", "\u{ff42}\u{ff45}\u{ff4e}"]
        .iter()
        .enumerate()
    {
        Request::post("/tenants/wide/users")
            .token(&owner)
            .json(user(name, &format!("b{n}@wide.test")))
            .send(&stack)
            .await
            .expect_code(StatusCode::CONFLICT, "username_taken");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_username_cannot_be_patched_in_any_spelling() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, ben) = stack.user("acme", &owner, "ben", "user").await;
    let (ann_id, _) = stack.user("acme", &owner, "ann", "user").await;
    let path = format!("/tenants/acme/users/{ann_id}");
    for (token, target, name) in [
        (&owner, &path, "BEN"),
        (&owner, &path, "b\u{0435}n"),
        (
            &ben,
            &format!("/tenants/acme/users/{ben_id}"),
            "\u{ff42}\u{ff45}\u{ff4e}2",
        ),
    ] {
        let answer = Request::patch(target)
            .token(token)
            .json(json!({"username": name}))
            .send(&stack)
            .await;
        assert_eq!(
            (answer.status, answer.field()),
            (StatusCode::BAD_REQUEST, "username"),
            "{name:?}: {answer}"
        );
    }
    let ann = stack.get("acme", &ann_id, &owner).await;
    assert_eq!(ann.body["username"], "ann");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_folds_the_username_like_the_claim_and_refuses_look_alikes() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (ben_id, _) = stack.user("acme", &owner, "ben", "user").await;
    for name in ["BEN", "\u{ff42}\u{ff45}\u{ff4e}", " Ben "] {
        let token = stack.login("acme", name, PASSWORD).await;
        assert_eq!(stack.me(&token).await["id"], ben_id.as_str(), "{name:?}");
    }
    for name in ["b\u{0435}n", "ben\u{200b}"] {
        let answer = Request::post("/auth/login")
            .json(json!({"tenant": "acme", "username": name, "password": PASSWORD}))
            .send(&stack)
            .await
            .expect_code(StatusCode::UNAUTHORIZED, "invalid_credentials");
        assert!(answer.body.get("access_token").is_none(), "{name:?}");
    }
}
