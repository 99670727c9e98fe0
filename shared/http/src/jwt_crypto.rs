//! The cryptography `jsonwebtoken` signs and verifies with: Ed25519 (EdDSA) only, through
//! `ed25519-dalek`, installed as its process-wide provider.
//!
//! Tokens use one algorithm, pinned ([`crate::token`]). The crate's own RustCrypto provider
//! (its `rust_crypto` feature) would compile in RSA, P-256, P-384 and HMAC that no token ever
//! uses; without them every function's binary is smaller (BENCHMARKS.md, section 5). Any other
//! algorithm is refused with an error, never a panic.

use std::sync::Once;

use ed25519_dalek::pkcs8::DecodePrivateKey;
use ed25519_dalek::{Signature, SigningKey, VerifyingKey};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{Error, ErrorKind, Result};
use jsonwebtoken::jwk::{EllipticCurve, ThumbprintHash};
use jsonwebtoken::signature;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, EncodingKey};

static EDDSA_ONLY: CryptoProvider = CryptoProvider {
    signer_factory,
    verifier_factory,
    key_utils: KeyUtils {
        rsa_pub_components_from_private_key: |_| Err(refused()),
        rsa_pub_components_from_public_key: |_| Err(refused()),
        ec_pub_components_from_private_key: |_, _| Err(refused()),
        ed_pub_components_from_private_key,
        compute_digest: |_, _: ThumbprintHash| Err(refused()),
    },
};

/// Makes Ed25519 `jsonwebtoken`'s provider for this process. Idempotent; called by
/// [`crate::Tokens::new`], so before any token is made or checked. A process that used
/// `jsonwebtoken` before calling it keeps the provider it had.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = EDDSA_ONLY.install_default();
    });
}

fn refused() -> Error {
    ErrorKind::InvalidAlgorithm.into()
}

fn signer_factory(algorithm: &Algorithm, key: &EncodingKey) -> Result<Box<dyn JwtSigner>> {
    if *algorithm != Algorithm::EdDSA || key.family() != AlgorithmFamily::Ed {
        return Err(refused());
    }
    let key = SigningKey::from_pkcs8_der(key.as_bytes()).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(Ed25519Signer(key)))
}

fn verifier_factory(algorithm: &Algorithm, key: &DecodingKey) -> Result<Box<dyn JwtVerifier>> {
    if *algorithm != Algorithm::EdDSA || key.family() != AlgorithmFamily::Ed {
        return Err(refused());
    }
    let bytes: &[u8; 32] = key
        .try_get_as_bytes()?
        .try_into()
        .map_err(|_| ErrorKind::InvalidEddsaKey)?;
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(Box::new(Ed25519Verifier(key)))
}

fn ed_pub_components_from_private_key(der: &[u8], curve: &EllipticCurve) -> Result<Vec<u8>> {
    if *curve != EllipticCurve::Ed25519 {
        return Err(refused());
    }
    let key = SigningKey::from_pkcs8_der(der).map_err(|_| ErrorKind::InvalidEddsaKey)?;
    Ok(key.verifying_key().as_bytes().to_vec())
}

struct Ed25519Signer(SigningKey);

impl signature::Signer<Vec<u8>> for Ed25519Signer {
    fn try_sign(&self, message: &[u8]) -> std::result::Result<Vec<u8>, signature::Error> {
        Ok(self.0.sign(message).to_bytes().to_vec())
    }
}

impl JwtSigner for Ed25519Signer {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

struct Ed25519Verifier(VerifyingKey);

impl signature::Verifier<Vec<u8>> for Ed25519Verifier {
    fn verify(
        &self,
        message: &[u8],
        signature: &Vec<u8>,
    ) -> std::result::Result<(), signature::Error> {
        self.0.verify(message, &Signature::from_slice(signature)?)
    }
}

impl JwtVerifier for Ed25519Verifier {
    fn algorithm(&self) -> Algorithm {
        Algorithm::EdDSA
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::jwk::Jwk;
    use jsonwebtoken::{Header, Validation, decode, encode};
    use serde_json::{Value, json};

    use super::*;
    use crate::SigningKeys;

    fn claims() -> Value {
        json!({"sub": "u1", "exp": jsonwebtoken::get_current_timestamp() + 60})
    }

    #[test]
    fn ed25519_signs_and_verifies_and_a_changed_token_fails() {
        install();
        let keys = SigningKeys::generate("k1").unwrap();
        let (_, encoding) = keys.signer().unwrap();
        let token = encode(&Header::new(Algorithm::EdDSA), &claims(), encoding).unwrap();
        let decoding = keys.verifier("k1").unwrap();
        let validation = Validation::new(Algorithm::EdDSA);
        assert!(decode::<Value>(&token, decoding, &validation).is_ok());
        let (input, signature) = token.rsplit_once('.').unwrap();
        let flipped = if signature.starts_with('A') { "B" } else { "A" };
        let changed = format!("{input}.{flipped}{}", &signature[1..]);
        assert!(decode::<Value>(&changed, decoding, &validation).is_err());
        let other = SigningKeys::generate("k2").unwrap();
        let wrong_key = other.verifier("k2").unwrap();
        assert!(decode::<Value>(&token, wrong_key, &validation).is_err());
    }

    #[test]
    fn every_other_algorithm_is_an_error_not_a_panic() {
        install();
        let secret = EncodingKey::from_secret(b"a secret");
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let err = encode(&Header::new(alg), &claims(), &secret).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidAlgorithm, "{alg:?}");
        }
        let rsa = EncodingKey::from_rsa_der(&[0x30, 0x03, 0x02, 0x01, 0x01]);
        let ec = EncodingKey::from_ec_der(&[0x30, 0x03, 0x02, 0x01, 0x01]);
        for (alg, key) in [
            (Algorithm::RS256, &rsa),
            (Algorithm::PS256, &rsa),
            (Algorithm::ES256, &ec),
            (Algorithm::ES384, &ec),
        ] {
            let err = encode(&Header::new(alg), &claims(), key).unwrap_err();
            assert_eq!(err.kind(), &ErrorKind::InvalidAlgorithm, "{alg:?}");
            assert!(Jwk::from_encoding_key(key, alg).is_err(), "{alg:?}");
        }
        // An EdDSA header with a key of another family, and the reverse.
        let err = encode(&Header::new(Algorithm::EdDSA), &claims(), &secret).unwrap_err();
        assert_eq!(err.kind(), &ErrorKind::InvalidAlgorithm);
        let verifying = DecodingKey::from_secret(b"a secret");
        let keys = SigningKeys::generate("k1").unwrap();
        let token = encode(
            &Header::new(Algorithm::EdDSA),
            &claims(),
            keys.signer().unwrap().1,
        )
        .unwrap();
        let err = decode::<Value>(&token, &verifying, &Validation::new(Algorithm::EdDSA));
        assert_eq!(err.unwrap_err().kind(), &ErrorKind::InvalidAlgorithm);
    }

    #[test]
    fn the_public_half_of_an_ed25519_key_is_derived_for_its_jwk() {
        install();
        let keys = SigningKeys::generate("k1").unwrap();
        let (_, encoding) = keys.signer().unwrap();
        let jwk = serde_json::to_value(Jwk::from_encoding_key(encoding, Algorithm::EdDSA).unwrap())
            .unwrap();
        let published = serde_json::to_value(&keys.jwks().keys[0]).unwrap();
        assert_eq!(jwk["x"], published["x"]);
    }
}
