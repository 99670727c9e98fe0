//! Access tokens: signed JWTs naming a user, a tenant and a token epoch. No role inside:
//! roles are read from the table on every request.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use tenantry_accounts::Principal;

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

/// Issues and verifies tokens with one pinned algorithm (HS256).
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl_seconds: u64,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECONDS: u64 = 30;

impl Tokens {
    pub fn new(secret: &[u8], issuer: &str, audience: &str, ttl_seconds: u64) -> Tokens {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        Tokens {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl_seconds,
        }
    }

    pub fn ttl_seconds(&self) -> u64 {
        self.ttl_seconds
    }

    pub fn issue(&self, principal: &Principal) -> Result<String, jsonwebtoken::errors::Error> {
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
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
    }

    /// The principal a token names, if the signature, algorithm, issuer, audience and
    /// validity window all check out. Whether that principal still exists is the caller's job.
    pub fn verify(&self, token: &str) -> Option<Principal> {
        let data = decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
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
    use super::*;

    fn principal() -> Principal {
        Principal {
            user_id: "u1".into(),
            tenant_id: "acme".into(),
            token_epoch: 3,
            session_id: "s1".into(),
        }
    }

    #[test]
    fn an_issued_token_verifies_to_its_principal() {
        let tokens = Tokens::new(b"0123456789abcdef0123456789abcdef", "iss", "aud", 60);
        let token = tokens.issue(&principal()).unwrap();
        assert_eq!(tokens.verify(&token), Some(principal()));
    }

    #[test]
    fn tokens_from_another_key_issuer_or_audience_are_rejected() {
        let tokens = Tokens::new(b"0123456789abcdef0123456789abcdef", "iss", "aud", 60);
        for other in [
            Tokens::new(b"another secret another secret 12", "iss", "aud", 60),
            Tokens::new(b"0123456789abcdef0123456789abcdef", "other", "aud", 60),
            Tokens::new(b"0123456789abcdef0123456789abcdef", "iss", "other", 60),
        ] {
            let token = other.issue(&principal()).unwrap();
            assert_eq!(tokens.verify(&token), None);
        }
        assert_eq!(tokens.verify("not.a.token"), None);
    }

    #[test]
    fn expired_tokens_and_alg_none_are_rejected() {
        let tokens = Tokens::new(b"0123456789abcdef0123456789abcdef", "iss", "aud", 60);
        let now = jsonwebtoken::get_current_timestamp();
        let expired = Claims {
            iss: "iss".into(),
            aud: "aud".into(),
            sub: "u1".into(),
            tid: "acme".into(),
            ep: 1,
            sid: "s1".into(),
            iat: now - 600,
            nbf: now - 600,
            exp: now - 120,
        };
        let token = encode(&Header::new(Algorithm::HS256), &expired, &tokens.encoding).unwrap();
        assert_eq!(tokens.verify(&token), None);

        // An unsigned token claiming `alg: none`.
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let mut fresh = serde_json::to_value(&expired).unwrap();
        fresh["exp"] = (now + 600).into();
        fresh["nbf"] = now.into();
        let body = b64.encode(fresh.to_string());
        assert_eq!(tokens.verify(&format!("{header}.{body}.")), None);
    }
}
