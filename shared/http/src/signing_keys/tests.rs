//! Tests of the key set: parsing, refusals, rotation, and what is never shown.

use super::*;

/// A fixed test key (RFC 8032, test 1) in PKCS#8 PEM, and its public key.
const PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
    MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n\
    -----END PRIVATE KEY-----\n";
const X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";

fn set(document: Value) -> Result<SigningKeys, KeySetError> {
    SigningKeys::parse(&document.to_string())
}

fn other_x() -> String {
    SigningKeys::generate("o").unwrap().keys[0].x()
}

#[test]
fn a_private_key_signs_and_a_public_one_only_verifies() {
    let keys = set(json!({"active": "new", "keys": [
        {"kid": "new", "private_key": PEM},
        {"kid": "old", "public_key": other_x()},
    ]}))
    .unwrap();
    assert_eq!(keys.active_kid(), Some("new"));
    assert_eq!(keys.kids().collect::<Vec<_>>(), ["new", "old"]);
    assert!(keys.has_private_key("new"));
    assert!(!keys.has_private_key("old"));
    assert_eq!(keys.keys[0].x(), X);
    // Both parts, when they agree.
    let both = set(json!({"active": "k", "keys": [
        {"kid": "k", "private_key": PEM, "public_key": X}
    ]}))
    .unwrap();
    assert_eq!(both.keys[0].x(), X);
}

#[test]
fn bad_documents_are_refused_with_a_reason() {
    let other = other_x();
    let cases: Vec<(&str, String, KeySetError)> = vec![
        (
            "not JSON",
            "active: k".into(),
            KeySetError::NotJson { line: 1, column: 1 },
        ),
        (
            "no keys",
            json!({"active": "k", "keys": []}).to_string(),
            KeySetError::NoKeys,
        ),
        (
            "empty kid",
            json!({"active": "", "keys": [{"kid": "", "private_key": PEM}]}).to_string(),
            KeySetError::EmptyKid(0),
        ),
        (
            "duplicate kid",
            json!({"active": "k", "keys": [
                {"kid": "k", "private_key": PEM}, {"kid": "k", "public_key": other}
            ]})
            .to_string(),
            KeySetError::DuplicateKid("k".into()),
        ),
        (
            "active missing",
            json!({"active": "gone", "keys": [{"kid": "k", "private_key": PEM}]}).to_string(),
            KeySetError::ActiveMissing("gone".into()),
        ),
        (
            "active without a private key",
            json!({"active": "k", "keys": [{"kid": "k", "public_key": X}]}).to_string(),
            KeySetError::ActiveCannotSign("k".into()),
        ),
        (
            "bad PEM",
            json!({"active": "k", "keys": [{"kid": "k", "private_key": "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n"}]}).to_string(),
            KeySetError::BadPrivateKey("k".into()),
        ),
        (
            "a public key PEM as the private key",
            json!({"active": "k", "keys": [{"kid": "k", "private_key": "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n-----END PUBLIC KEY-----\n"}]}).to_string(),
            KeySetError::BadPrivateKey("k".into()),
        ),
        (
            "a truncated public key",
            json!({"active": "k", "keys": [
                {"kid": "k", "private_key": PEM}, {"kid": "o", "public_key": &X[..41]}
            ]})
            .to_string(),
            KeySetError::BadPublicKey("o".into()),
        ),
        (
            "a padded public key",
            json!({"active": "k", "keys": [
                {"kid": "k", "private_key": PEM}, {"kid": "o", "public_key": format!("{X}=")}
            ]})
            .to_string(),
            KeySetError::BadPublicKey("o".into()),
        ),
        (
            "a small-order public key",
            json!({"active": "k", "keys": [
                {"kid": "k", "private_key": PEM},
                {"kid": "o", "public_key": URL_SAFE_NO_PAD.encode([0u8; 32])}
            ]})
            .to_string(),
            KeySetError::BadPublicKey("o".into()),
        ),
        (
            "disagreeing halves",
            json!({"active": "k", "keys": [{"kid": "k", "private_key": PEM, "public_key": other}]}).to_string(),
            KeySetError::KeyMismatch("k".into()),
        ),
        (
            "no key material",
            json!({"active": "k", "keys": [{"kid": "k"}]}).to_string(),
            KeySetError::NoKeyMaterial("k".into()),
        ),
    ];
    for (name, text, expected) in cases {
        assert_eq!(SigningKeys::parse(&text).unwrap_err(), expected, "{name}");
    }
}

#[test]
fn shape_errors_name_the_place_and_quote_no_value() {
    for (document, expected) in [
        (json!([]), "the key set must be an object"),
        (
            json!({"keys": [{"kid": "k", "private_key": PEM}]}),
            "`active` is missing",
        ),
        (json!({"active": "k"}), "`keys` is missing"),
        (
            json!({"active": 1, "keys": []}),
            "`active` must be a string",
        ),
        (
            json!({"active": "k", "keys": PEM}),
            "`keys` must be an array",
        ),
        (
            json!({"active": "k", "keys": [PEM]}),
            "keys[0]: must be an object",
        ),
        (
            json!({"active": "k", "keys": [{"kid": "k", "private_key": [PEM]}]}),
            "keys[0]: `private_key` must be a string",
        ),
        (
            json!({"active": "k", "keys": [{"kid": "k", "privatekey": PEM}]}),
            "keys[0]: unknown field `privatekey`",
        ),
        (
            json!({"active": "k", "keys": [{"private_key": PEM}]}),
            "keys[0]: `kid` is missing",
        ),
        (
            json!({"active": "k", "keys": [], "extra": PEM}),
            "the key set: unknown field `extra`",
        ),
    ] {
        let message = set(document).unwrap_err().to_string();
        assert!(message.starts_with(expected), "{message}");
        assert!(!message.contains("MC4CAQ"), "{message}");
    }
}

#[test]
fn debug_and_errors_show_no_private_material() {
    let keys = set(json!({"active": "k", "keys": [{"kid": "k", "private_key": PEM}]})).unwrap();
    let debug = format!("{keys:?}");
    assert!(debug.contains("k (signs, x 11qYAYKx"), "{debug}");
    assert!(
        !debug.contains("MC4CAQ") && !debug.contains("PRIVATE"),
        "{debug}"
    );
    let secret = URL_SAFE_NO_PAD.encode(keys.keys[0].private.as_ref().unwrap().signing.to_bytes());
    assert!(!debug.contains(&secret), "{debug}");
}

#[test]
fn the_document_round_trips() {
    let keys = SigningKeys::generate("a")
        .unwrap()
        .with_generated("b")
        .unwrap();
    let again = SigningKeys::parse(&keys.to_json()).unwrap();
    assert_eq!(again.active_kid(), Some("a"));
    assert!(again.has_private_key("a") && again.has_private_key("b"));
    assert_eq!(again.jwks(), keys.jwks());
    // The PEM is the PKCS#8 v1 form, like openssl's.
    let fixed = set(json!({"active": "k", "keys": [{"kid": "k", "private_key": PEM}]})).unwrap();
    assert!(
        fixed.to_json().contains(&PEM.replace('\n', "\\n")),
        "{}",
        fixed.to_json()
    );
}

#[test]
fn rotation_steps() {
    let one = SigningKeys::generate("2026-05").unwrap();
    let two = one.with_generated("2026-11").unwrap();
    assert_eq!(two.active_kid(), Some("2026-05"));
    assert_eq!(
        two.with_generated("2026-11").unwrap_err(),
        KeySetError::DuplicateKid("2026-11".into())
    );
    let two = two.activate("2026-11").unwrap().public_only_but_active();
    assert_eq!(two.active_kid(), Some("2026-11"));
    assert!(!two.has_private_key("2026-05"));
    // A key without its private part can no longer be made active.
    assert_eq!(
        two.activate("2026-05").unwrap_err(),
        KeySetError::ActiveCannotSign("2026-05".into())
    );
    assert_eq!(
        two.retire("2026-11").unwrap_err(),
        KeySetError::RetiringActive("2026-11".into())
    );
    assert_eq!(
        two.retire("2025-01").unwrap_err(),
        KeySetError::UnknownKid("2025-01".into())
    );
    let retired = two.retire("2026-05").unwrap();
    assert_eq!(retired.kids().collect::<Vec<_>>(), ["2026-11"]);
    assert!(SigningKeys::generate("").is_err());
}

#[test]
fn the_jwks_has_every_public_key_and_no_private_part() {
    let keys = set(json!({"active": "k", "keys": [
        {"kid": "k", "private_key": PEM}, {"kid": "o", "public_key": other_x()}
    ]}))
    .unwrap();
    let jwks = serde_json::to_value(keys.jwks()).unwrap();
    assert_eq!(
        jwks["keys"][0],
        json!({"kty": "OKP", "crv": "Ed25519", "x": X, "kid": "k", "alg": "EdDSA", "use": "sig"})
    );
    assert_eq!(jwks["keys"][1]["kid"], "o");
    assert!(jwks["keys"][1].get("d").is_none());
}

#[test]
fn a_verifying_set_has_public_keys_only_and_no_active_key() {
    let keys = SigningKeys::parse_verifying(
        &json!({"keys": [{"kid": "new", "public_key": X}, {"kid": "old", "public_key": other_x()}]})
            .to_string(),
    )
    .unwrap();
    assert_eq!(keys.active_kid(), None);
    assert!(!keys.can_sign());
    assert_eq!(keys.kids().collect::<Vec<_>>(), ["new", "old"]);
    assert!(keys.signer().is_none());
    assert!(keys.verifier("new").is_some());
    // Nor can it be made to sign: none of its keys has a private part.
    assert_eq!(
        keys.activate("new").unwrap_err(),
        KeySetError::ActiveCannotSign("new".into())
    );
    // A verifying set is no signing set.
    assert_eq!(
        SigningKeys::parse(&keys.to_json()).unwrap_err(),
        KeySetError::Shape("`active` is missing".into())
    );
}

#[test]
fn a_verifying_set_refuses_what_could_sign() {
    let cases = [
        (
            json!({"keys": [{"kid": "k", "private_key": PEM}]}),
            KeySetError::PrivateKeyInVerifyingSet("k".into()),
        ),
        (
            json!({"keys": [{"kid": "o", "public_key": X}, {"kid": "k", "private_key": PEM, "public_key": X}]}),
            KeySetError::PrivateKeyInVerifyingSet("k".into()),
        ),
        (
            json!({"active": "k", "keys": [{"kid": "k", "public_key": X}]}),
            KeySetError::ActiveInVerifyingSet,
        ),
        (json!({"keys": []}), KeySetError::NoKeys),
        (
            json!({"keys": [{"kid": "k", "public_key": &X[..41]}]}),
            KeySetError::BadPublicKey("k".into()),
        ),
    ];
    for (document, expected) in cases {
        let refused = SigningKeys::parse_verifying(&document.to_string()).unwrap_err();
        assert_eq!(refused, expected, "{document}");
        assert!(!refused.to_string().contains("PRIVATE KEY"), "{refused}");
    }
}

#[test]
fn the_verifying_set_of_a_signing_set_round_trips_without_private_parts() {
    let keys = set(json!({"active": "new", "keys": [
        {"kid": "new", "private_key": PEM},
        {"kid": "old", "public_key": other_x()},
    ]}))
    .unwrap();
    let verifying = keys.verifying_only();
    let text = verifying.to_json();
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    assert!(!text.contains("active"), "{text}");
    let again = SigningKeys::parse_verifying(&text).unwrap();
    assert_eq!(again.kids().collect::<Vec<_>>(), ["new", "old"]);
    assert_eq!(again.jwks(), keys.jwks());
}
