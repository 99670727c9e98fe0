//! Passwords hashed with older argon2 parameters are re-hashed at their owner's next right
//! login, in the transaction that gives the attempt back: the stored hash then has the current
//! parameters and verifies the same password, the user's version stays, and the failure count
//! ends exactly as it would have without the re-hash. A wrong password, a deleted user and a
//! current hash leave the item as it is, and a new password set meanwhile always wins.

use lambda_http::http::StatusCode;
use serde_json::json;
use tenantry_store::{FailedLoginsItem, Item, keys};
use tenantry_tests::{Answer, PASSWORD, Request, Stack, login_guard};

/// `PASSWORD` hashed with parameters older than the current ones, as an earlier release would
/// have stored it. Made offline with the argon2 crate, each from a fixed salt.
pub(crate) const OLDER_HASHES: [(&str, &str); 3] = [
    (
        "argon2id with 8 MiB and one pass",
        "$argon2id$v=19$m=8192,t=1,p=1$CwsLCwsLCwsLCwsLCwsLCw$/CR1Pkb8F0oKL2KeGyhaTpK1Hc1SRO0tNYZUeIaZOXE",
    ),
    (
        "argon2i",
        "$argon2i$v=19$m=19456,t=2,p=1$DAwMDAwMDAwMDAwMDAwMDA$gVVPGDuE1r4K4rkyCnmT4miQjlfY3PsW3GlNKg1NGPk",
    ),
    (
        "argon2id version 0x10",
        "$argon2id$v=16$m=19456,t=2,p=1$DQ0NDQ0NDQ0NDQ0NDQ0NDQ$ex8Mvtv5bYqDd2Pl5vsj09hj0FP7uSEjH5CFkwsNTpU",
    ),
];

/// The first of [`OLDER_HASHES`].
pub(crate) const OLDER_HASH: &str = OLDER_HASHES[0].1;

const NEW_PASSWORD: &str = "a-brand-new-long-password";

async fn login(stack: &Stack, tenant: &str, username: &str, password: &str) -> Answer {
    Request::post("/auth/login")
        .json(json!({"tenant": tenant, "username": username, "password": password}))
        .send(stack)
        .await
}

/// Replaces a user's password hash on the table, as an earlier release would have left it:
/// nothing else of the item moves (not its version).
pub(crate) async fn plant(stack: &Stack, tenant: &str, user_id: &str, hash: &str) {
    stack
        .store
        .client()
        .update_item()
        .table_name(stack.store.table())
        .set_key(Some(user_key(tenant, user_id)))
        .update_expression("SET password_hash = :hash")
        .condition_expression("attribute_exists(PK)")
        .expression_attribute_values(":hash", s(hash))
        .send()
        .await
        .unwrap();
}

fn s(value: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(value.to_owned())
}

fn user_key(tenant: &str, user_id: &str) -> Item {
    Item::from([
        ("PK".to_owned(), s(&keys::tenant_pk(tenant))),
        ("SK".to_owned(), s(&keys::user_sk(user_id))),
    ])
}

/// The user's item exactly as stored, every attribute.
async fn raw_user(stack: &Stack, tenant: &str, user_id: &str) -> Item {
    stack
        .store
        .client()
        .get_item()
        .table_name(stack.store.table())
        .set_key(Some(user_key(tenant, user_id)))
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the user item")
}

fn hash_of(item: &Item) -> &str {
    item["password_hash"].as_s().unwrap()
}

/// A PHC string without its salt and output: the algorithm, version and parameters it was
/// made with.
fn made_with(hash: &str) -> &str {
    hash.rsplitn(3, '$').nth(2).unwrap()
}

/// What a hash made now starts with: that of a user the API has just created.
async fn current_parameters(stack: &Stack, owner: &str) -> String {
    let id = stack
        .create_user("acme", owner, "reference", "user")
        .await
        .expect(StatusCode::CREATED)
        .id();
    made_with(hash_of(&raw_user(stack, "acme", &id).await)).to_owned()
}

async fn counter(stack: &Stack, tenant: &str, username: &str) -> Option<FailedLoginsItem> {
    stack
        .store
        .login_snapshot(tenant, username, &login_guard(tenant, username))
        .await
        .unwrap()
        .1
}

/// Runs `update` (with `values`) on the item `pk`/`sk` when called: a hook for
/// `Faults::before_next_transaction` (`tenantry_tests::update_item_blocking`).
fn update_blocking(
    stack: &Stack,
    pk: String,
    sk: String,
    update: &'static str,
    values: Vec<(&'static str, aws_sdk_dynamodb::types::AttributeValue)>,
) -> impl FnOnce() + Send + 'static {
    let store = stack.store.clone();
    move || tenantry_tests::update_item_blocking(&store, &pk, &sk, update, &[], values)
}

fn number(value: u64) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::N(value.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_right_password_replaces_an_older_hash_in_the_transaction_that_clears_the_count() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let current = current_parameters(&stack, &owner).await;
    for (i, (what, older)) in OLDER_HASHES.into_iter().enumerate() {
        assert_ne!(made_with(older), current, "{what}");
        let name = format!("ben{i}");
        let id = stack
            .create_user("acme", &owner, &name, "user")
            .await
            .expect(StatusCode::CREATED)
            .id();
        plant(&stack, "acme", &id, older).await;
        // A wrong password first, so that there is a count to clear.
        login(&stack, "acme", &name, "wrong-password")
            .await
            .expect(StatusCode::UNAUTHORIZED);
        assert_eq!(counter(&stack, "acme", &name).await.unwrap().failures, 1);
        let before = raw_user(&stack, "acme", &id).await;
        assert_eq!(
            hash_of(&before),
            older,
            "{what}: a wrong password re-hashes nothing"
        );

        stack.round_trips.reset();
        login(&stack, "acme", &name, PASSWORD)
            .await
            .expect(StatusCode::OK);
        let ops = stack.round_trips.by_operation();
        // The count cleared and the hash replaced by one transaction, and by nothing else.
        assert_eq!(ops.get("TransactWriteItems"), Some(&1), "{what}: {ops:?}");
        assert_eq!(ops.get("DeleteItem"), None, "{what}: {ops:?}");
        assert_eq!(ops.get("UpdateItem"), None, "{what}: {ops:?}");
        assert!(counter(&stack, "acme", &name).await.is_none(), "{what}");

        let after = raw_user(&stack, "acme", &id).await;
        let rehashed = hash_of(&after);
        assert_ne!(rehashed, older, "{what}");
        assert_eq!(made_with(rehashed), current, "{what}: {rehashed}");
        // Only the hash moved: not the version, the token epoch or `updated_at`.
        let mut unchanged = after.clone();
        unchanged.insert("password_hash".into(), s(older));
        assert_eq!(unchanged, before, "{what}");

        // The new hash verifies the same password (and no other), and is not re-hashed again.
        login(&stack, "acme", &name, "wrong-password")
            .await
            .expect(StatusCode::UNAUTHORIZED);
        stack.round_trips.reset();
        login(&stack, "acme", &name, PASSWORD)
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            stack.round_trips.by_operation().get("TransactWriteItems"),
            None
        );
        assert_eq!(raw_user(&stack, "acme", &id).await, after, "{what}");
        assert!(counter(&stack, "acme", &name).await.is_none(), "{what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_leaves_an_older_hash_as_it_is_and_is_counted() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (id, _) = stack.user("acme", &owner, "ben", "user").await;
    plant(&stack, "acme", &id, OLDER_HASH).await;
    let before = raw_user(&stack, "acme", &id).await;
    stack.round_trips.reset();
    for failures in 1..=2 {
        login(&stack, "acme", "ben", "wrong-password")
            .await
            .expect(StatusCode::UNAUTHORIZED);
        assert_eq!(
            counter(&stack, "acme", "ben").await.unwrap().failures,
            failures
        );
    }
    assert_eq!(
        stack.round_trips.by_operation().get("TransactWriteItems"),
        None
    );
    assert_eq!(raw_user(&stack, "acme", &id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_current_hash_is_left_byte_for_byte_as_it_is() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (id, _) = stack.user("acme", &owner, "ben", "user").await;
    login(&stack, "acme", "ben", "wrong-password")
        .await
        .expect(StatusCode::UNAUTHORIZED);
    let before = raw_user(&stack, "acme", &id).await;
    stack.round_trips.reset();
    login(&stack, "acme", "ben", PASSWORD)
        .await
        .expect(StatusCode::OK);
    // Today's give-back: the counter deleted on its own, no transaction.
    let ops = stack.round_trips.by_operation();
    assert_eq!(ops.get("TransactWriteItems"), None, "{ops:?}");
    assert_eq!(ops.get("DeleteItem"), Some(&1), "{ops:?}");
    assert!(counter(&stack, "acme", "ben").await.is_none());
    assert_eq!(raw_user(&stack, "acme", &id).await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_with_an_older_hash_is_refused_and_keeps_it() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (id, _) = stack.user("acme", &owner, "ben", "user").await;
    plant(&stack, "acme", &id, OLDER_HASH).await;
    stack
        .delete("acme", &id, &owner)
        .await
        .expect(StatusCode::OK);
    let before = raw_user(&stack, "acme", &id).await;
    stack.round_trips.reset();
    login(&stack, "acme", "ben", PASSWORD)
        .await
        .expect_code(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(
        stack.round_trips.by_operation().get("TransactWriteItems"),
        None
    );
    assert_eq!(raw_user(&stack, "acme", &id).await, before);
    assert_eq!(counter(&stack, "acme", "ben").await.unwrap().failures, 1);
}

/// Another attempt is counted after this one was, just before its transaction: the clear
/// cannot hold, so the attempt is taken back (the other one stands) with the hash.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attempt_counted_meanwhile_stands_and_the_hash_is_replaced_with_the_release() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let current = current_parameters(&stack, &owner).await;
    let (id, _) = stack.user("acme", &owner, "ben", "user").await;
    plant(&stack, "acme", &id, OLDER_HASH).await;
    let pk = keys::failed_logins_pk("acme", &login_guard("acme", "ben"));
    stack.faults.before_next_transaction(update_blocking(
        &stack,
        pk,
        keys::FAILED_LOGINS_SK.to_owned(),
        "SET failures = failures + :one, version = version + :one",
        vec![(":one", number(1))],
    ));
    stack.round_trips.reset();
    login(&stack, "acme", "ben", PASSWORD)
        .await
        .expect(StatusCode::OK);
    assert_eq!(stack.faults.pending(), 0, "the login ran a transaction");
    let ops = stack.round_trips.by_operation();
    assert_eq!(ops.get("TransactWriteItems"), Some(&2), "{ops:?}");
    assert_eq!(
        ops.get("UpdateItem"),
        Some(&1),
        "only the planted one: {ops:?}"
    );
    // Counted: this attempt (version 1), the other (2); this one taken back (3).
    let left = counter(&stack, "acme", "ben").await.unwrap();
    assert_eq!((left.failures, left.version), (1, 3), "{left:?}");
    let rehashed = raw_user(&stack, "acme", &id).await;
    assert_eq!(made_with(hash_of(&rehashed)), current);
}

/// A new password lands between the login's read and its transaction: the hash is not the
/// one verified any more, so it stays, and the attempt is given back alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_changed_meanwhile_stays_and_the_count_is_still_cleared() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (id, _) = stack.user("acme", &owner, "ben", "user").await;
    // A hash of NEW_PASSWORD with the current parameters, made by the API.
    let donor = Request::post("/tenants/acme/users")
        .token(&owner)
        .json(json!({"username": "donor", "email": "donor@acme.test", "password": NEW_PASSWORD, "role": "user"}))
        .send(&stack)
        .await
        .expect(StatusCode::CREATED)
        .id();
    let new_hash = hash_of(&raw_user(&stack, "acme", &donor).await).to_owned();
    plant(&stack, "acme", &id, OLDER_HASH).await;
    login(&stack, "acme", "ben", "wrong-password")
        .await
        .expect(StatusCode::UNAUTHORIZED);
    // As set-password would: a new hash, the next version, a new token epoch.
    stack.faults.before_next_transaction(update_blocking(
        &stack,
        keys::tenant_pk("acme"),
        keys::user_sk(&id),
        "SET password_hash = :hash ADD version :one, token_epoch :one",
        vec![(":hash", s(&new_hash)), (":one", number(1))],
    ));
    stack.round_trips.reset();
    login(&stack, "acme", "ben", PASSWORD)
        .await
        .expect(StatusCode::OK);
    assert_eq!(stack.faults.pending(), 0, "the login ran a transaction");
    let ops = stack.round_trips.by_operation();
    assert_eq!(ops.get("TransactWriteItems"), Some(&1), "{ops:?}");
    assert_eq!(ops.get("DeleteItem"), Some(&1), "the clear, alone: {ops:?}");
    assert!(counter(&stack, "acme", "ben").await.is_none());
    assert_eq!(hash_of(&raw_user(&stack, "acme", &id).await), new_hash);
    login(&stack, "acme", "ben", PASSWORD)
        .await
        .expect(StatusCode::UNAUTHORIZED);
    login(&stack, "acme", "ben", NEW_PASSWORD)
        .await
        .expect(StatusCode::OK);
}

/// Another transaction holds the user item: nothing is written, the attempt is given back
/// alone, and the next login re-hashes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_conflict_on_the_user_leaves_the_hash_for_the_next_login() {
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let current = current_parameters(&stack, &owner).await;
    let (id, _) = stack.user("acme", &owner, "ben", "user").await;
    plant(&stack, "acme", &id, OLDER_HASH).await;
    login(&stack, "acme", "ben", "wrong-password")
        .await
        .expect(StatusCode::UNAUTHORIZED);
    // The reason lands on the transaction's second part: the user's.
    stack.faults.cancel_next(1, "TransactionConflict");
    login(&stack, "acme", "ben", PASSWORD)
        .await
        .expect(StatusCode::OK);
    assert_eq!(stack.faults.pending(), 0);
    assert!(counter(&stack, "acme", "ben").await.is_none());
    assert_eq!(hash_of(&raw_user(&stack, "acme", &id).await), OLDER_HASH);
    login(&stack, "acme", "ben", PASSWORD)
        .await
        .expect(StatusCode::OK);
    let rehashed = raw_user(&stack, "acme", &id).await;
    assert_eq!(made_with(hash_of(&rehashed)), current);
}

/// A new password and a login with the old one that re-hashes it, at the same moment, many
/// times: the new password always wins, whichever commits first, and the count is as the
/// login's answer says.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_password_racing_a_rehashing_login_always_wins() {
    const ROUNDS: usize = 30;
    let stack = Stack::new().await;
    let (_, owner) = stack.tenant("acme").await;
    let (id, _) = stack.user("acme", &owner, "ben", "user").await;
    // How each round went: the login re-hashed first (and the new password replaced its
    // hash), the new password came first and the login's re-hash was refused (its count
    // cleared alone), or the new password came before the login read the user.
    let (mut rehashed_first, mut set_first, mut refused) = (0, 0, 0);
    for round in 0..ROUNDS {
        plant(&stack, "acme", &id, OLDER_HASH).await;
        let before = raw_user(&stack, "acme", &id).await;
        let new_password = format!("{NEW_PASSWORD}-{round}");
        // Either side a few milliseconds late, so both orders happen.
        let (set_after, login_after) = match round % 3 {
            0 => (0, 0),
            1 => (0, rand::random_range(0..60)),
            _ => (rand::random_range(0..60), 0),
        };
        stack.round_trips.reset();
        let (set, signed) = tokio::join!(
            async {
                tokio::time::sleep(std::time::Duration::from_millis(set_after)).await;
                Request::post(format!("/tenants/acme/users/{id}/password"))
                    .token(&owner)
                    .json(json!({ "new_password": new_password }))
                    .send(&stack)
                    .await
            },
            async {
                tokio::time::sleep(std::time::Duration::from_millis(login_after)).await;
                login(&stack, "acme", "ben", PASSWORD).await
            },
        );
        set.expect(StatusCode::OK);
        // Only a login whose re-hash was refused deletes the counter on its own.
        let cleared_alone = stack.round_trips.by_operation().contains_key("DeleteItem");
        let left = counter(&stack, "acme", "ben").await;
        match signed.status {
            StatusCode::OK if cleared_alone => set_first += 1,
            StatusCode::OK => rehashed_first += 1,
            StatusCode::UNAUTHORIZED => refused += 1,
            other => panic!("round {round}: {other}: {signed}"),
        }
        if signed.status == StatusCode::OK {
            assert!(left.is_none(), "round {round}: {left:?}");
        } else {
            assert_eq!(left.map(|c| c.failures), Some(1), "round {round}");
        }
        // Only the new password's write moved the version.
        let after = raw_user(&stack, "acme", &id).await;
        let version = |item: &Item| item["version"].as_n().unwrap().parse::<u64>().unwrap();
        assert_eq!(version(&after), version(&before) + 1, "round {round}");
        assert_ne!(hash_of(&after), OLDER_HASH, "round {round}");
        // The stored hash is the new password's, never the old one's.
        login(&stack, "acme", "ben", PASSWORD)
            .await
            .expect(StatusCode::UNAUTHORIZED);
        login(&stack, "acme", "ben", &new_password)
            .await
            .expect(StatusCode::OK);
        assert!(
            counter(&stack, "acme", "ben").await.is_none(),
            "round {round}"
        );
        assert_eq!(raw_user(&stack, "acme", &id).await, after, "round {round}");
    }
    println!(
        "re-hashed first: {rehashed_first}, new password first: {set_first}, refused: {refused}"
    );
    assert_eq!(rehashed_first + set_first + refused, ROUNDS);
    // Both orders of the two commits happened, so the race was really run.
    assert!(
        rehashed_first > 0 && set_first > 0,
        "re-hashed first: {rehashed_first}, new password first: {set_first}"
    );
}
