//! `GET /.well-known/jwks.json`: the public keys that verify access tokens, for anyone, with
//! nothing private in it; and a token the API issues verifies with the key it publishes.

use std::sync::Arc;

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use lambda_http::http::{StatusCode, header};
use serde_json::{Value, json};
use tenantry_dev::Router;
use tenantry_dev::template::{self, Template};
use tenantry_http::{App, KeySetError, SigningKeys, Tokens};
use tenantry_tests::{Answer, Request, SIGNING_KID, Stack, signing_keys};

async fn get_jwks(router: &Router) -> Answer {
    Request::get("/.well-known/jwks.json").send(router).await
}

/// Every published key is a public Ed25519 signing key, and the kids are exactly `kids`.
fn check_keys(body: &Value, kids: &[&str]) {
    let keys = body["keys"].as_array().expect("a `keys` array");
    let published: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(published, kids, "{body}");
    for key in keys {
        let mut members: Vec<&str> = key
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        members.sort_unstable();
        assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x"], "{key}");
        assert_eq!(key["kty"], "OKP", "{key}");
        assert_eq!(key["crv"], "Ed25519", "{key}");
        assert_eq!(key["alg"], "EdDSA", "{key}");
        assert_eq!(key["use"], "sig", "{key}");
        assert!(key.get("d").is_none(), "a private part: {key}");
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(key["x"].as_str().unwrap())
            .unwrap();
        assert_eq!(x.len(), 32, "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jwks_publishes_the_key_set_and_verifies_the_api_s_tokens() {
    let stack = Stack::new().await;
    let Answer {
        status,
        headers,
        body,
    } = get_jwks(&stack.router).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=300");
    let configured = signing_keys();
    check_keys(&body, &configured.kids().collect::<Vec<_>>());

    // A token the API issued, verified by a client from the published key alone.
    let token = stack.root_token.clone();
    let kid = decode_header(&token).unwrap().kid.expect("a kid");
    assert_eq!(kid, SIGNING_KID);
    let jwks: JwkSet = serde_json::from_value(body).unwrap();
    let jwk = jwks.find(&kid).expect("the token's key is published");
    let key = DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&["tenantry"]);
    validation.set_audience(&["tenantry-api"]);
    let claims = decode::<Value>(&token, &key, &validation).unwrap().claims;
    assert_eq!(claims["sub"], stack.root_id);
    assert_eq!(claims["tid"], "platform");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn during_a_rotation_both_keys_are_published_and_none_with_its_private_part() {
    let stack = Stack::new().await;
    let rotated = signing_keys()
        .with_generated("test-2027-05")
        .unwrap()
        .activate("test-2027-05")
        .unwrap()
        .public_only_but_active();
    let old_token = stack.root_token.clone();
    let app = Arc::new(App {
        accounts: stack.app.accounts.clone(),
        tokens: Tokens::new(&rotated, "tenantry", "tenantry-api", 900),
    });
    let routes = Template::load(&template::default_path())
        .unwrap()
        .routes()
        .unwrap();
    let router = Router::new(Arc::clone(&app), &routes).unwrap();
    let body = get_jwks(&router).await.expect(StatusCode::OK).body;
    check_keys(&body, &[SIGNING_KID, "test-2027-05"]);

    // The token signed by the old key still verifies with what is published.
    let jwks: JwkSet = serde_json::from_value(body.clone()).unwrap();
    let old = DecodingKey::from_jwk(jwks.find(SIGNING_KID).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["tenantry-api"]);
    assert!(decode::<Value>(&old_token, &old, &validation).is_ok());
    // What is published is no key set that can sign.
    let public_parts: Vec<Value> = body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| json!({"kid": k["kid"], "public_key": k["x"]}))
        .collect();
    for active in [SIGNING_KID, "test-2027-05"] {
        let published = json!({"active": active, "keys": public_parts});
        assert_eq!(
            SigningKeys::parse(&published.to_string()).unwrap_err(),
            KeySetError::ActiveCannotSign(active.into())
        );
    }
}
