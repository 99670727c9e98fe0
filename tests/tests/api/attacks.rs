//! The attack suite: tokens that must not get past the API. Each forged, stale or tampered
//! token is answered 401 `unauthenticated` on a read and on a delete, and the table is the same
//! afterwards, item for item. A control token, forged the same way but honestly (right key,
//! algorithm, issuer, audience, window and epoch), is accepted: the forgery helper works, so
//! each 401 is the check's doing.

use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use tenantry_tests::invariants::scan_all;
use tenantry_tests::{JWT_SECRET, Stack};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The claims of an honest token for `user_id` of `tenant` at `epoch`, valid for ten minutes.
fn claims(user_id: &str, tenant: &str, epoch: u64) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "iss": "tenantry", "aud": "tenantry-api", "sub": user_id, "tid": tenant, "ep": epoch, "sid": "",
        "iat": now, "nbf": now, "exp": now + 600,
    })
}

fn sign(alg: Algorithm, claims: &Value, key: &[u8]) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(key)).unwrap()
}

/// `claims` with `key` set to `value` (`Value::Null` removes it), signed with the API's key.
fn with(claims: &Value, key: &str, value: Value) -> String {
    let mut claims = claims.clone();
    match value {
        Value::Null => {
            claims.as_object_mut().unwrap().remove(key);
        }
        value => claims[key] = value,
    }
    sign(Algorithm::HS256, &claims, JWT_SECRET)
}

/// A token whose payload is replaced by `claims` while its header and signature are kept.
fn tampered(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (header, _, signature) = (parts.next().unwrap(), parts.next(), parts.next().unwrap());
    format!("{header}.{}.{signature}", B64.encode(claims.to_string()))
}

/// The whole table, each item as JSON (maps sorted), in a stable order.
async fn table(stack: &Stack) -> std::collections::BTreeSet<String> {
    scan_all(&stack.store)
        .await
        .into_iter()
        .map(|item| {
            serde_dynamo::from_item::<_, Value>(item)
                .unwrap()
                .to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_and_tampered_tokens_get_401_and_change_nothing() {
    let stack = Stack::new().await;
    let (owner_id, owner) = stack.tenant("acme").await;
    let (ben, _) = stack.user("acme", &owner, "ben", "user").await;
    let (carl, carl_token) = stack.user("acme", &owner, "carl", "admin").await;
    let (dana, dana_token) = stack.user("acme", &owner, "dana", "admin").await;
    let (_, mallory_token) = stack.user("acme", &owner, "mallory", "user").await;
    let epoch_of = |id: String| {
        let stack = &stack;
        async move { stack.token_of("acme", &id).await.unwrap().1.token_epoch }
    };

    // A deleted admin, and an admin whose role change bumped its epoch.
    // Only a super admin deletes an admin.
    let root = stack.root_token.clone();
    assert_eq!(stack.delete("acme", &carl, &root).await.0, StatusCode::OK);
    let (status, body) = stack
        .call(
            "PATCH",
            &format!("/tenants/acme/users/{dana}"),
            Some(&root),
            Some(json!({"role": "agent"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let honest = claims(&owner_id, "acme", epoch_of(owner_id.clone()).await);
    let control = sign(Algorithm::HS256, &honest, JWT_SECRET);
    let now = jsonwebtoken::get_current_timestamp();
    let unsigned = format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        B64.encode(honest.to_string())
    );
    let epoch = honest["ep"].as_u64().unwrap();
    let attacks: Vec<(&str, String)> = vec![
        ("alg none, unsigned", unsigned.clone()),
        ("alg none with the HS256 signature", {
            let signature = control.rsplit('.').next().unwrap();
            format!("{}{signature}", unsigned)
        }),
        (
            "alg HS512 with the API's key",
            sign(Algorithm::HS512, &honest, JWT_SECRET),
        ),
        (
            "HS256 with another key",
            sign(
                Algorithm::HS256,
                &honest,
                b"another-secret-another-secret-!!",
            ),
        ),
        ("expired", with(&honest, "exp", json!(now - 120))),
        ("not yet valid", with(&honest, "nbf", json!(now + 600))),
        ("no exp", with(&honest, "exp", Value::Null)),
        ("wrong iss", with(&honest, "iss", json!("someone-else"))),
        ("wrong aud", with(&honest, "aud", json!("another-api"))),
        ("no aud", with(&honest, "aud", Value::Null)),
        ("a future epoch", with(&honest, "ep", json!(epoch + 1))),
        (
            "a user's token with the owner's id",
            tampered(&mallory_token, &honest),
        ),
        (
            "a user's token naming another tenant",
            tampered(&mallory_token, &claims(&owner_id, "globex", epoch)),
        ),
        (
            "a truncated signature",
            control[..control.len() - 4].to_owned(),
        ),
        ("the token of a deleted admin", carl_token),
        ("a token issued before a role change", dana_token),
        ("garbage", "not-a-token".to_owned()),
        ("empty", String::new()),
    ];

    // The control: forged like the attacks, but honestly, it is accepted.
    let (status, body) = stack.call("GET", "/me", Some(&control), None).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the forgery helper is broken: {body}"
    );

    let before = table(&stack).await;
    let mut passed = Vec::new();
    for (name, token) in &attacks {
        for (method, path) in [
            ("GET", "/me".to_owned()),
            ("DELETE", format!("/tenants/acme/users/{ben}")),
        ] {
            let (status, body) = stack.call(method, &path, Some(token), None).await;
            if status != StatusCode::UNAUTHORIZED || body["code"] != "unauthenticated" {
                passed.push(format!("{name}: {method} {path} -> {status} {body}"));
            }
        }
    }
    assert!(
        passed.is_empty(),
        "attacks that got through:\n{}",
        passed.join("\n")
    );
    let after = table(&stack).await;
    assert!(
        after == before,
        "an attack changed the table: gone {:?}, new {:?}",
        before.difference(&after).collect::<Vec<_>>(),
        after.difference(&before).collect::<Vec<_>>()
    );
    // Still there, and still deletable by the real owner.
    assert_eq!(stack.delete("acme", &ben, &owner).await.0, StatusCode::OK);
}
