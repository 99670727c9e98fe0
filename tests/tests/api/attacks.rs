//! The attack suite: tokens that must not get past the API. Each forged, stale or tampered
//! token is answered 401 `unauthenticated` on a read and on a delete, and the table is the same
//! afterwards, item for item. A control token, forged the same way but honestly (right key and
//! kid, algorithm, issuer, audience, window and epoch), is accepted: the forgery helper works,
//! so each 401 is the check's doing.

use base64::Engine;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use lambda_http::http::StatusCode;
use serde_json::{Value, json};
use sha2::{Sha256, Sha384, Sha512};
use tenantry_tests::invariants::scan_all;
use tenantry_tests::{
    PASSWORD, Request, SIGNING_KEY_PEM_BODY, SIGNING_KID, Stack, test_encoding_key,
};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;
const B64_STD: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Another Ed25519 key (RFC 8032's second test key), PKCS#8: a key the API does not have.
const OTHER_KEY_PKCS8: &str = "MC4CAQAwBQYDK2VwBCIEIEzNCJso/5banbbDRuwRTg9bijGfNaumJNqM9u1PuKb7";
/// The DER prefix of an Ed25519 SubjectPublicKeyInfo, before the 32 key bytes.
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

fn other_key() -> EncodingKey {
    EncodingKey::from_ed_der(&B64_STD.decode(OTHER_KEY_PKCS8).unwrap())
}

/// The claims of an honest token for `user_id` of `tenant` at `epoch` in session `sid`,
/// valid for ten minutes.
fn claims(user_id: &str, tenant: &str, epoch: u64, sid: &str) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({
        "iss": "tenantry", "aud": "tenantry-api", "sub": user_id, "tid": tenant, "ep": epoch, "sid": sid,
        "iat": now, "nbf": now, "exp": now + 600,
    })
}

/// The session a real token names.
fn sid_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap();
    claims["sid"].as_str().unwrap().to_owned()
}

fn header(alg: Algorithm, kid: Option<&str>) -> Header {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    header
}

/// `claims` signed with EdDSA by `key`, the header naming `kid`.
fn eddsa(claims: &Value, key: &EncodingKey, kid: Option<&str>) -> String {
    encode(&header(Algorithm::EdDSA, kid), claims, key).unwrap()
}

/// `claims` signed the way the API signs: EdDSA, its key, its kid.
fn sign(claims: &Value) -> String {
    eddsa(claims, &test_encoding_key(), Some(SIGNING_KID))
}

/// `claims` signed with HMAC keyed with `secret`, under the API's kid. Signed by hand, as an
/// attacker would: the API's crypto provider makes and checks Ed25519 signatures only.
fn hmac(alg: Algorithm, claims: &Value, secret: &[u8]) -> String {
    fn tag<M: Mac + KeyInit>(secret: &[u8], input: &str) -> Vec<u8> {
        let mut mac = <M as KeyInit>::new_from_slice(secret).unwrap();
        mac.update(input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
    let header = serde_json::to_vec(&header(alg, Some(SIGNING_KID))).unwrap();
    let input = format!("{}.{}", B64.encode(header), B64.encode(claims.to_string()));
    let tag = match alg {
        Algorithm::HS256 => tag::<Hmac<Sha256>>(secret, &input),
        Algorithm::HS384 => tag::<Hmac<Sha384>>(secret, &input),
        Algorithm::HS512 => tag::<Hmac<Sha512>>(secret, &input),
        other => panic!("not an HMAC algorithm: {other:?}"),
    };
    format!("{input}.{}", B64.encode(tag))
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
    sign(&claims)
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
    stack
        .delete("acme", &carl, &root)
        .await
        .expect(StatusCode::OK);
    Request::patch(format!("/tenants/acme/users/{dana}"))
        .token(&root)
        .json(json!({"role": "agent"}))
        .send(&stack)
        .await
        .expect(StatusCode::OK);

    // The public key, as anyone can read it.
    let jwks = Request::get("/.well-known/jwks.json")
        .send(&stack)
        .await
        .expect(StatusCode::OK)
        .body;
    let x = jwks["keys"][0]["x"].as_str().unwrap().to_owned();
    let public_key = B64.decode(&x).unwrap();
    let public_pem = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        B64_STD.encode([SPKI_PREFIX.as_slice(), &public_key].concat())
    );
    let private_der = B64_STD.decode(SIGNING_KEY_PEM_BODY).unwrap();

    // Sessions ended three ways: a logout, a logout everywhere, and a reused refresh token.
    let (_, ella_token) = stack.user("acme", &owner, "ella", "user").await;
    Request::post("/auth/logout")
        .token(&ella_token)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    let (_, finn_token) = stack.user("acme", &owner, "finn", "user").await;
    let finn_again = stack.login("acme", "finn", PASSWORD).await;
    Request::post("/auth/logout-all")
        .token(&finn_again)
        .send(&stack)
        .await
        .expect(StatusCode::OK);
    stack.user("acme", &owner, "gus", "user").await;
    let login_body = json!({"tenant": "acme", "username": "gus", "password": PASSWORD});
    let gus = Request::post("/auth/login")
        .json(login_body)
        .send(&stack)
        .await
        .expect(StatusCode::OK)
        .body;
    let stolen = json!({"refresh_token": gus["refresh_token"]});
    let next = Request::post("/auth/refresh")
        .json(stolen.clone())
        .send(&stack)
        .await
        .expect(StatusCode::OK)
        .body;
    Request::post("/auth/refresh")
        .json(stolen.clone())
        .send(&stack)
        .await
        .expect(StatusCode::UNAUTHORIZED);

    let honest = claims(
        &owner_id,
        "acme",
        epoch_of(owner_id.clone()).await,
        &sid_of(&owner),
    );
    let control = sign(&honest);
    let now = jsonwebtoken::get_current_timestamp();
    let unsigned = format!(
        "{}.{}.",
        B64.encode(json!({"alg": "none", "typ": "JWT", "kid": SIGNING_KID}).to_string()),
        B64.encode(honest.to_string())
    );
    let epoch = honest["ep"].as_u64().unwrap();
    let attacks: Vec<(&str, String)> = vec![
        ("alg none, unsigned", unsigned.clone()),
        ("alg none with the EdDSA signature", {
            let signature = control.rsplit('.').next().unwrap();
            format!("{}{signature}", unsigned)
        }),
        (
            "alg HS512 keyed with the API's private key",
            hmac(Algorithm::HS512, &honest, &private_der),
        ),
        (
            "HS256 with another key",
            hmac(
                Algorithm::HS256,
                &honest,
                b"another-secret-another-secret-!!",
            ),
        ),
        (
            "HS256 keyed with the public key's 32 bytes",
            hmac(Algorithm::HS256, &honest, &public_key),
        ),
        (
            "HS256 keyed with the public key's JWKS x",
            hmac(Algorithm::HS256, &honest, x.as_bytes()),
        ),
        (
            "HS256 keyed with the public key's PEM",
            hmac(Algorithm::HS256, &honest, public_pem.as_bytes()),
        ),
        (
            "an unknown kid",
            eddsa(&honest, &test_encoding_key(), Some("test-2099-01")),
        ),
        ("no kid", eddsa(&honest, &test_encoding_key(), None)),
        (
            "the kid of a retired key, signed with that key",
            eddsa(&honest, &other_key(), Some("test-2026-05")),
        ),
        (
            "EdDSA with another key under the active kid",
            eddsa(&honest, &other_key(), Some(SIGNING_KID)),
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
            tampered(
                &mallory_token,
                &claims(&owner_id, "globex", epoch, &sid_of(&owner)),
            ),
        ),
        (
            "a truncated signature",
            control[..control.len() - 4].to_owned(),
        ),
        ("the token of a deleted admin", carl_token),
        ("a logged-out session's token", ella_token),
        ("a token from before a logout everywhere", finn_token),
        (
            "a token of a session revoked for a reused refresh token",
            next["access_token"].as_str().unwrap().to_owned(),
        ),
        ("a token issued before a role change", dana_token),
        ("garbage", "not-a-token".to_owned()),
        ("empty", String::new()),
    ];

    // The control: forged like the attacks, but honestly, it is accepted.
    let answer = Request::get("/me").token(&control).send(&stack).await;
    assert_eq!(
        answer.status,
        StatusCode::OK,
        "the forgery helper is broken: {}",
        answer.body
    );

    let before = table(&stack).await;
    let mut passed = Vec::new();
    for (name, token) in &attacks {
        for (method, path) in [
            ("GET", "/me".to_owned()),
            ("DELETE", format!("/tenants/acme/users/{ben}")),
        ] {
            let answer = Request::new(method, &path).token(token).send(&stack).await;
            if answer.status != StatusCode::UNAUTHORIZED || answer.code() != "unauthenticated" {
                passed.push(format!("{name}: {method} {path} -> {answer}"));
            }
        }
    }
    // The reused refresh token again, and the one its exchange gave: no new tokens.
    for refresh_token in [&gus["refresh_token"], &next["refresh_token"]] {
        let answer = Request::post("/auth/refresh")
            .json(json!({"refresh_token": refresh_token}))
            .send(&stack)
            .await;
        if answer.status != StatusCode::UNAUTHORIZED || answer.code() != "session_ended" {
            passed.push(format!("a reused refresh token: {answer}"));
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
    stack
        .delete("acme", &ben, &owner)
        .await
        .expect(StatusCode::OK);
}
