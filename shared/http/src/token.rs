//! Access tokens: signed JWTs naming a user, a tenant and a token epoch. No role inside:
//! roles are read from the table on every request.

use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use tenantry_accounts::Principal;

use crate::signing_keys::SigningKeys;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: String,
    tid: String,
    ep: u64,
    sid: String,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// Why a token was not issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("the key set only verifies: it has no active key to sign with")]
    CannotSign,
    #[error("signing failed: {0}")]
    Signing(#[from] jsonwebtoken::errors::Error),
}

/// Issues tokens with the active key of a key set and verifies them with the key their `kid`
/// names. One algorithm, pinned: EdDSA (Ed25519).
#[derive(Clone)]
pub struct Tokens {
    keys: SigningKeys,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("keys", &self.keys)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 30;

impl Tokens {
    pub fn new(keys: &SigningKeys, issuer: &str, audience: &str, ttl_seconds: u64) -> Tokens {
        crate::jwt_crypto::install();
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Tokens {
            keys: keys.clone(),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl_seconds,
        }
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    /// The key set: the active key signs, every key verifies.
    pub fn keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// A token for `principal`, signed with the active key. A verifying set cannot sign: that
    /// is an error, never a panic.
    pub fn issue(&self, principal: &Principal) -> Result<String, IssueError> {
        let (kid, key) = self.keys.signer().ok_or(IssueError::CannotSign)?;
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: principal.user_id.clone(),
            tid: principal.tenant_id.clone(),
            ep: principal.token_epoch,
            sid: principal.session_id.clone(),
            iat: now,
            nbf: now,
            exp: now + self.ttl_seconds,
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        Ok(encode(&header, &claims, key)?)
    }

    /// The principal a token names, if its header names EdDSA and a key of the set, and the
    /// signature, issuer, audience and validity window all check out. Whether that principal
    /// still exists is the caller's job.
    pub fn verify(&self, token: &str) -> Option<Principal> {
        let header = decode_header(token).ok()?;
        if header.alg != Algorithm::EdDSA {
            return None;
        }
        let key = self.keys.verifier(header.kid.as_deref()?)?;
        let data = decode::<Claims>(token, key, &self.validation).ok()?;
        Some(Principal {
            user_id: data.claims.sub,
            tenant_id: data.claims.tid,
            token_epoch: data.claims.ep,
            session_id: data.claims.sid,
        })
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use hmac::digest::KeyInit;
    use hmac::{Hmac, Mac};
    use serde_json::{Value, json};
    use sha2::{Sha256, Sha384, Sha512};

    use super::*;
    use crate::KeySetError;

    const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn principal() -> Principal {
        Principal {
            user_id: "u1".into(),
            tenant_id: "acme".into(),
            token_epoch: 3,
            session_id: "s1".into(),
        }
    }

    fn keys(kid: &str) -> SigningKeys {
        SigningKeys::generate(kid).unwrap()
    }

    fn tokens(keys: &SigningKeys) -> Tokens {
        Tokens::new(keys, "iss", "aud", 60)
    }

    fn claims() -> Value {
        let now = jsonwebtoken::get_current_timestamp();
        json!({"iss": "iss", "aud": "aud", "sub": "u1", "tid": "acme", "ep": 3, "sid": "s1",
               "iat": now, "nbf": now, "exp": now + 60})
    }

    /// `claims` under `{"alg": alg, "kid": kid}`, signed with HMAC (HS256, HS384 or HS512) keyed
    /// with `secret`.
    fn hmac_signed(alg: &str, kid: &str, claims: &Value, secret: &[u8]) -> String {
        fn tag<M: Mac + KeyInit>(secret: &[u8], input: &str) -> Vec<u8> {
            let mut mac = <M as KeyInit>::new_from_slice(secret).unwrap();
            mac.update(input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        let header = B64.encode(json!({"alg": alg, "kid": kid, "typ": "JWT"}).to_string());
        let input = format!("{header}.{}", B64.encode(claims.to_string()));
        let tag = match alg {
            "HS256" => tag::<Hmac<Sha256>>(secret, &input),
            "HS384" => tag::<Hmac<Sha384>>(secret, &input),
            "HS512" => tag::<Hmac<Sha512>>(secret, &input),
            _ => panic!("not an HMAC algorithm: {alg}"),
        };
        format!("{input}.{}", B64.encode(tag))
    }

    /// `claims` signed with the set's active key under the header `header`.
    fn signed(keys: &SigningKeys, header: &Header, claims: &Value) -> String {
        encode(header, claims, keys.signer().unwrap().1).unwrap()
    }

    fn eddsa(kid: Option<&str>) -> Header {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = kid.map(str::to_owned);
        header
    }

    #[test]
    fn an_issued_token_names_its_key_and_verifies_to_its_principal() {
        let keys = keys("k1");
        let tokens = tokens(&keys);
        let token = tokens.issue(&principal()).unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(header.kid.as_deref(), Some("k1"));
        assert_eq!(tokens.verify(&token), Some(principal()));
        // The helper forges what `issue` issues.
        assert!(
            tokens
                .verify(&signed(&keys, &eddsa(Some("k1")), &claims()))
                .is_some()
        );
    }

    #[test]
    fn tokens_from_another_key_issuer_or_audience_are_rejected() {
        let keys = keys("k1");
        let tokens = tokens(&keys);
        for other in [
            Tokens::new(&self::keys("k1"), "iss", "aud", 60),
            Tokens::new(&keys, "other", "aud", 60),
            Tokens::new(&keys, "iss", "other", 60),
        ] {
            let token = other.issue(&principal()).unwrap();
            assert_eq!(tokens.verify(&token), None);
        }
        assert_eq!(tokens.verify("not.a.token"), None);
    }

    #[test]
    fn an_unknown_or_missing_kid_is_rejected() {
        let keys = keys("k1");
        let tokens = tokens(&keys);
        assert_eq!(
            tokens.verify(&signed(&keys, &eddsa(Some("k2")), &claims())),
            None
        );
        assert_eq!(
            tokens.verify(&signed(&keys, &eddsa(Some("")), &claims())),
            None
        );
        assert_eq!(tokens.verify(&signed(&keys, &eddsa(None), &claims())), None);
    }

    #[test]
    fn rotation_keeps_old_tokens_until_the_old_key_is_retired() {
        let old = keys("2026-05");
        let before = tokens(&old).issue(&principal()).unwrap();

        let rotated = old
            .with_generated("2026-11")
            .unwrap()
            .activate("2026-11")
            .unwrap()
            .public_only_but_active();
        let during = tokens(&rotated);
        let after = during.issue(&principal()).unwrap();
        assert_eq!(
            decode_header(&after).unwrap().kid.as_deref(),
            Some("2026-11")
        );
        assert_eq!(during.verify(&before), Some(principal()));
        assert_eq!(during.verify(&after), Some(principal()));
        // The old key, kept as its public part only, can no longer sign.
        assert!(!rotated.has_private_key("2026-05"));
        assert!(rotated.activate("2026-05").is_err());

        let retired = tokens(&rotated.retire("2026-05").unwrap());
        assert_eq!(retired.verify(&before), None);
        assert_eq!(retired.verify(&after), Some(principal()));
    }

    #[test]
    fn a_verification_only_key_cannot_sign() {
        let keys = keys("k1")
            .with_generated("k2")
            .unwrap()
            .activate("k2")
            .unwrap()
            .public_only_but_active();
        assert_eq!(
            keys.activate("k1").unwrap_err(),
            KeySetError::ActiveCannotSign("k1".into())
        );
        // Nor is a key set read whose active key is only a public key.
        let jwk = serde_json::to_value(&keys.jwks().keys[0]).unwrap();
        let document = json!({"active": "k1", "keys": [{"kid": "k1", "public_key": jwk["x"]}]});
        assert_eq!(
            SigningKeys::parse(&document.to_string()).unwrap_err(),
            KeySetError::ActiveCannotSign("k1".into())
        );
    }

    #[test]
    fn a_verifying_set_verifies_what_the_signing_set_issued_and_issues_nothing() {
        let signing = keys("k1").with_generated("k2").unwrap();
        let token = tokens(&signing).issue(&principal()).unwrap();
        let verifying = SigningKeys::parse_verifying(&signing.verifying_only().to_json()).unwrap();
        let verifier = tokens(&verifying);
        assert_eq!(verifier.verify(&token), Some(principal()));
        assert!(matches!(
            verifier.issue(&principal()),
            Err(IssueError::CannotSign)
        ));
        // A verifying set of other keys rejects it.
        let stranger = keys("k1").verifying_only();
        assert_eq!(tokens(&stranger).verify(&token), None);
    }

    #[test]
    fn the_algorithm_is_pinned_to_eddsa() {
        let keys = keys("k1");
        let tokens = tokens(&keys);
        let jwk = serde_json::to_value(&keys.jwks().keys[0]).unwrap();
        let x = jwk["x"].as_str().unwrap().to_owned();
        let raw = B64.decode(&x).unwrap();
        // HMAC keyed with what a verifier could know of the public key, signed by hand: the
        // provider this crate installs makes Ed25519 signatures only.
        for secret in [raw.as_slice(), x.as_bytes()] {
            for alg in ["HS256", "HS384", "HS512"] {
                let token = hmac_signed(alg, "k1", &claims(), secret);
                assert_eq!(tokens.verify(&token), None, "{alg}");
            }
        }
        // The forgery helper is right: the same HS256 token verifies with HMAC's own check.
        let forged = hmac_signed("HS256", "k1", &claims(), b"secret");
        let (input, tag) = forged.rsplit_once('.').unwrap();
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(b"secret").unwrap();
        mac.update(input.as_bytes());
        mac.verify_slice(&B64.decode(tag).unwrap()).unwrap();
        // The right signature under another algorithm's name.
        let genuine = signed(&keys, &eddsa(Some("k1")), &claims());
        let (_, rest) = genuine.split_once('.').unwrap();
        for alg in ["none", "HS256", "ES256", "RS256", "EdDSA "] {
            let header = B64.encode(json!({"alg": alg, "kid": "k1", "typ": "JWT"}).to_string());
            assert_eq!(tokens.verify(&format!("{header}.{rest}")), None, "{alg}");
        }
        // Unsigned.
        let header = B64.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        let body = B64.encode(claims().to_string());
        assert_eq!(tokens.verify(&format!("{header}.{body}.")), None);
    }

    #[test]
    fn expired_and_premature_tokens_are_rejected_beyond_the_leeway() {
        let keys = keys("k1");
        let tokens = tokens(&keys);
        let now = jsonwebtoken::get_current_timestamp();
        let header = eddsa(Some("k1"));
        let with = |name: &str, value: u64| {
            let mut claims = claims();
            claims[name] = value.into();
            signed(&keys, &header, &claims)
        };
        assert_eq!(tokens.verify(&with("exp", now - 120)), None);
        assert_eq!(tokens.verify(&with("nbf", now + 120)), None);
        assert!(tokens.verify(&with("exp", now - 10)).is_some());
        assert!(tokens.verify(&with("nbf", now + 10)).is_some());
        let mut no_exp = claims();
        no_exp.as_object_mut().unwrap().remove("exp");
        assert_eq!(tokens.verify(&signed(&keys, &header, &no_exp)), None);
    }
}
