//! The signing keys: Ed25519 key pairs named by a key id (`kid`), read from configuration
//! (`TENANTRY_SIGNING_KEYS`). The active key signs access tokens; every key of the set
//! verifies them, so a key that stops signing keeps verifying until it is retired. A key that
//! only verifies may be given by its public part alone.
//!
//! ```json
//! {"active": "2026-11", "keys": [
//!   {"kid": "2026-11", "private_key": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"},
//!   {"kid": "2026-05", "public_key": "<base64url of the 32-byte public key>"}
//! ]}
//! ```
//!
//! `private_key` is a PKCS#8 PEM (`openssl genpkey -algorithm ed25519` writes one);
//! `public_key` is what the key's JWK calls `x`. A key may have both if they agree.
//!
//! A function that only verifies tokens reads a **verifying set** instead
//! (`TENANTRY_VERIFYING_KEYS`, [`SigningKeys::parse_verifying`]): no `active` member and public
//! keys only, so that no private key ever reaches it, not even by mistake.
//!
//! ```json
//! {"keys": [{"kid": "2026-11", "public_key": "..."}, {"kid": "2026-05", "public_key": "..."}]}
//! ```

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{DecodingKey, EncodingKey};
use serde_json::{Map, Value, json};

/// Why a key set was refused. Never quotes key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeySetError {
    #[error("not JSON (line {line}, column {column})")]
    NotJson { line: usize, column: usize },
    #[error("{0}")]
    Shape(String),
    #[error("no keys: `keys` must list at least one key")]
    NoKeys,
    #[error("keys[{0}]: the kid is empty")]
    EmptyKid(usize),
    #[error("kid {0:?} is used by more than one key")]
    DuplicateKid(String),
    #[error("key {0:?} has neither a private_key nor a public_key")]
    NoKeyMaterial(String),
    #[error("the active kid {0:?} is not a key of the set")]
    ActiveMissing(String),
    #[error("the active key {0:?} has no private_key, so it cannot sign")]
    ActiveCannotSign(String),
    #[error("key {0:?}: private_key is not an Ed25519 private key in PKCS#8 PEM")]
    BadPrivateKey(String),
    #[error(
        "key {0:?}: public_key is not a valid Ed25519 public key (32 bytes, base64url without padding)"
    )]
    BadPublicKey(String),
    #[error("key {0:?}: private_key and public_key are not the same key pair")]
    KeyMismatch(String),
    #[error("no key {0:?} in the set")]
    UnknownKid(String),
    #[error("a verifying set names no active key: it only verifies")]
    ActiveInVerifyingSet,
    #[error("key {0:?} has a private_key: a verifying set holds public keys only")]
    PrivateKeyInVerifyingSet(String),
    #[error("key {0:?} is the active key: make another key active first")]
    RetiringActive(String),
}

#[derive(Clone)]
struct Key {
    kid: String,
    public: VerifyingKey,
    decoding: DecodingKey,
    private: Option<Private>,
}

#[derive(Clone)]
struct Private {
    signing: SigningKey,
    encoding: EncodingKey,
}

impl Key {
    fn from_private(kid: String, signing: SigningKey) -> Result<Key, KeySetError> {
        let der = pkcs8_v1(&signing)
            .to_pkcs8_der()
            .map_err(|_| KeySetError::BadPrivateKey(kid.clone()))?;
        let public = signing.verifying_key();
        Ok(Key {
            decoding: DecodingKey::from_ed_der(public.as_bytes()),
            public,
            private: Some(Private {
                encoding: EncodingKey::from_ed_der(der.as_bytes()),
                signing,
            }),
            kid,
        })
    }

    fn from_public(kid: String, public: VerifyingKey) -> Key {
        Key {
            decoding: DecodingKey::from_ed_der(public.as_bytes()),
            public,
            private: None,
            kid,
        }
    }

    fn generate(kid: &str) -> Result<Key, KeySetError> {
        if kid.is_empty() {
            return Err(KeySetError::Shape("the kid is empty".into()));
        }
        Key::from_private(
            kid.to_owned(),
            SigningKey::from_bytes(&rand::random::<[u8; 32]>()),
        )
    }

    fn x(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.public.as_bytes())
    }
}

/// The PKCS#8 v1 form (no public key inside), the one `openssl genpkey` writes.
fn pkcs8_v1(signing: &SigningKey) -> KeypairBytes {
    KeypairBytes {
        secret_key: signing.to_bytes(),
        public_key: None,
    }
}

/// A validated key set: at least one key, unique non-empty kids, and either an active key
/// that can sign or, for a verifying set, no active key at all.
#[derive(Clone)]
pub struct SigningKeys {
    active: Option<usize>,
    keys: Vec<Key>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| {
                let role = if k.private.is_some() {
                    "signs"
                } else {
                    "verifies"
                };
                format!("{} ({role}, x {})", k.kid, k.x())
            })
            .collect();
        f.debug_struct("SigningKeys")
            .field("active", &self.active_kid())
            .field("keys", &keys)
            .finish()
    }
}

impl SigningKeys {
    /// Reads a key set document that signs (see the module's documentation): it names its
    /// active key, which has its private part.
    pub fn parse(text: &str) -> Result<SigningKeys, KeySetError> {
        let (active, keys) = SigningKeys::read(
            text,
            "the key set must be an object with `active` and `keys`",
        )?;
        let active = active.ok_or_else(|| KeySetError::Shape("`active` is missing".into()))?;
        SigningKeys::assemble(Some(&active), keys)
    }

    /// Reads a verifying set (see the module's documentation): public keys only, no `active`.
    /// A set that could sign is refused, so a private key never reaches a function that only
    /// verifies.
    pub fn parse_verifying(text: &str) -> Result<SigningKeys, KeySetError> {
        let (active, keys) =
            SigningKeys::read(text, "the verifying set must be an object with `keys`")?;
        if active.is_some() {
            return Err(KeySetError::ActiveInVerifyingSet);
        }
        if let Some(key) = keys.iter().find(|k| k.private.is_some()) {
            return Err(KeySetError::PrivateKeyInVerifyingSet(key.kid.clone()));
        }
        SigningKeys::assemble(None, keys)
    }

    /// The `active` member, if any, and the keys of a document.
    fn read(text: &str, not_an_object: &str) -> Result<(Option<String>, Vec<Key>), KeySetError> {
        let document: Value = serde_json::from_str(text).map_err(|e| KeySetError::NotJson {
            line: e.line(),
            column: e.column(),
        })?;
        let shape = |message: &str| KeySetError::Shape(message.to_owned());
        let top = document.as_object().ok_or_else(|| shape(not_an_object))?;
        only_fields(top, &["active", "keys"], "the key set")?;
        let active = match top.get("active") {
            None => None,
            Some(value) => Some(
                value
                    .as_str()
                    .ok_or_else(|| shape("`active` must be a string"))?
                    .to_owned(),
            ),
        };
        let entries = match top.get("keys") {
            None => return Err(shape("`keys` is missing")),
            Some(value) => value
                .as_array()
                .ok_or_else(|| shape("`keys` must be an array"))?,
        };
        if entries.is_empty() {
            return Err(KeySetError::NoKeys);
        }
        let mut keys: Vec<Key> = Vec::with_capacity(entries.len());
        for (index, entry) in entries.iter().enumerate() {
            let key = parse_key(index, entry)?;
            if keys.iter().any(|k| k.kid == key.kid) {
                return Err(KeySetError::DuplicateKid(key.kid));
            }
            keys.push(key);
        }
        Ok((active, keys))
    }

    /// A set of one freshly generated key, active.
    pub fn generate(kid: &str) -> Result<SigningKeys, KeySetError> {
        Ok(SigningKeys {
            active: Some(0),
            keys: vec![Key::generate(kid)?],
        })
    }

    fn assemble(active: Option<&str>, keys: Vec<Key>) -> Result<SigningKeys, KeySetError> {
        let Some(active) = active else {
            return Ok(SigningKeys { active: None, keys });
        };
        let index = keys
            .iter()
            .position(|k| k.kid == active)
            .ok_or_else(|| KeySetError::ActiveMissing(active.to_owned()))?;
        if keys[index].private.is_none() {
            return Err(KeySetError::ActiveCannotSign(active.to_owned()));
        }
        Ok(SigningKeys {
            active: Some(index),
            keys,
        })
    }

    /// The kid of the key that signs; `None` for a verifying set.
    pub fn active_kid(&self) -> Option<&str> {
        self.active.map(|index| self.keys[index].kid.as_str())
    }

    /// Whether the set can sign: it has an active key (a verifying set has none).
    pub fn can_sign(&self) -> bool {
        self.active.is_some()
    }

    /// Every kid, in the set's order.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    /// Whether the set holds the private part of `kid`.
    pub fn has_private_key(&self, kid: &str) -> bool {
        self.key(kid).is_some_and(|k| k.private.is_some())
    }

    fn key(&self, kid: &str) -> Option<&Key> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// This set plus a freshly generated key named `kid`, not active yet.
    pub fn with_generated(&self, kid: &str) -> Result<SigningKeys, KeySetError> {
        if self.key(kid).is_some() {
            return Err(KeySetError::DuplicateKid(kid.to_owned()));
        }
        let mut next = self.clone();
        next.keys.push(Key::generate(kid)?);
        Ok(next)
    }

    /// This set with `kid` (which must have its private key) as the active key.
    pub fn activate(&self, kid: &str) -> Result<SigningKeys, KeySetError> {
        if self.key(kid).is_none() {
            return Err(KeySetError::UnknownKid(kid.to_owned()));
        }
        SigningKeys::assemble(Some(kid), self.keys.clone())
    }

    /// This set without `kid`: tokens it signed stop verifying. The active key cannot go.
    pub fn retire(&self, kid: &str) -> Result<SigningKeys, KeySetError> {
        if self.key(kid).is_none() {
            return Err(KeySetError::UnknownKid(kid.to_owned()));
        }
        if Some(kid) == self.active_kid() {
            return Err(KeySetError::RetiringActive(kid.to_owned()));
        }
        let keys = self.keys.iter().filter(|k| k.kid != kid).cloned().collect();
        SigningKeys::assemble(self.active_kid(), keys)
    }

    /// This set with only the public part of every key but the active one.
    pub fn public_only_but_active(&self) -> SigningKeys {
        let mut next = self.clone();
        for (index, key) in next.keys.iter_mut().enumerate() {
            if Some(index) != self.active {
                key.private = None;
            }
        }
        next
    }

    /// The verifying set of this set: every key, its public part only, and no active key.
    pub fn verifying_only(&self) -> SigningKeys {
        let mut next = self.clone();
        next.active = None;
        for key in &mut next.keys {
            key.private = None;
        }
        next
    }

    /// The key set document, private keys included: it is the secret itself. A verifying set's
    /// document has no `active` member and no private key.
    pub fn to_json(&self) -> String {
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| {
                let mut entry = json!({"kid": k.kid, "public_key": k.x()});
                if let Some(private) = &k.private {
                    let pem = pkcs8_v1(&private.signing)
                        .to_pkcs8_pem(Default::default())
                        .expect("a 32-byte key always encodes");
                    entry["private_key"] = Value::String(pem.to_string());
                }
                entry
            })
            .collect();
        let document = match self.active_kid() {
            Some(active) => json!({"active": active, "keys": keys}),
            None => json!({"keys": keys}),
        };
        serde_json::to_string_pretty(&document).expect("JSON values always serialize")
    }

    /// The public keys as a JSON Web Key Set (RFC 7517), for whoever verifies tokens.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self
                .keys
                .iter()
                .map(|k| Jwk {
                    common: CommonParameters {
                        public_key_use: Some(PublicKeyUse::Signature),
                        key_algorithm: Some(KeyAlgorithm::EdDSA),
                        key_id: Some(k.kid.clone()),
                        ..CommonParameters::default()
                    },
                    algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                        key_type: OctetKeyPairType::OctetKeyPair,
                        curve: EllipticCurve::Ed25519,
                        x: k.x(),
                    }),
                })
                .collect(),
        }
    }

    /// The active key's kid and signing key; `None` for a verifying set.
    pub(crate) fn signer(&self) -> Option<(&str, &EncodingKey)> {
        let key = &self.keys[self.active?];
        let private = key.private.as_ref()?;
        Some((&key.kid, &private.encoding))
    }

    /// The verifying key named `kid`, if the set has it.
    pub(crate) fn verifier(&self, kid: &str) -> Option<&DecodingKey> {
        self.key(kid).map(|k| &k.decoding)
    }
}

fn only_fields(object: &Map<String, Value>, known: &[&str], what: &str) -> Result<(), KeySetError> {
    match object.keys().find(|name| !known.contains(&name.as_str())) {
        Some(name) => Err(KeySetError::Shape(format!(
            "{what}: unknown field `{name}` (expected {})",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

fn parse_key(index: usize, entry: &Value) -> Result<Key, KeySetError> {
    let shape = |message: String| KeySetError::Shape(format!("keys[{index}]: {message}"));
    let object = entry
        .as_object()
        .ok_or_else(|| shape("must be an object".into()))?;
    only_fields(
        object,
        &["kid", "private_key", "public_key"],
        &format!("keys[{index}]"),
    )?;
    let text = |name: &str| -> Result<Option<&str>, KeySetError> {
        match object.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .map(Some)
                .ok_or_else(|| shape(format!("`{name}` must be a string"))),
        }
    };
    let kid = text("kid")?.ok_or_else(|| shape("`kid` is missing".into()))?;
    if kid.is_empty() {
        return Err(KeySetError::EmptyKid(index));
    }
    let kid = kid.to_owned();
    let public = match text("public_key")? {
        None => None,
        Some(x) => Some(public_key(x).ok_or_else(|| KeySetError::BadPublicKey(kid.clone()))?),
    };
    match text("private_key")? {
        Some(pem) => {
            let signing = SigningKey::from_pkcs8_pem(pem.trim())
                .map_err(|_| KeySetError::BadPrivateKey(kid.clone()))?;
            if public.is_some_and(|p| p != signing.verifying_key()) {
                return Err(KeySetError::KeyMismatch(kid));
            }
            Key::from_private(kid, signing)
        }
        None => match public {
            Some(public) => Ok(Key::from_public(kid, public)),
            None => Err(KeySetError::NoKeyMaterial(kid)),
        },
    }
}

/// A base64url (unpadded) Ed25519 public key, if it is one and not of small order.
fn public_key(x: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = URL_SAFE_NO_PAD.decode(x).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes)
        .ok()
        .filter(|key| !key.is_weak())
}

#[cfg(test)]
mod tests;
