//! Secrets the hub mints for applications: API keys (`cvk_…`, kept only as a
//! hash) and webhook signing secrets (`whsec_…`, Standard Webhooks form).

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

const API_KEY_PREFIX: &str = "cvk_";
/// Random bytes in a key: 256 bits, so a fast hash is a safe way to store it.
const API_KEY_BYTES: usize = 32;
/// Characters of the key shown in listings after it is issued.
const VISIBLE_PREFIX_CHARS: usize = 12;

/// A freshly issued API key: shown to its owner once, then only its hash is kept.
pub struct ApiKey(SecretString);

impl ApiKey {
    /// A new random key, `cvk_` followed by 43 URL-safe base64 characters.
    pub fn generate() -> Self {
        let mut bytes = [0u8; API_KEY_BYTES];
        rand::fill(&mut bytes);
        Self(SecretString::from(format!(
            "{API_KEY_PREFIX}{}",
            URL_SAFE_NO_PAD.encode(bytes)
        )))
    }

    /// The key itself, for the one response that shows it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The non-secret start of the key that listings show (`cvk_AbCdEfGh`).
    pub fn visible_prefix(&self) -> String {
        self.expose().chars().take(VISIBLE_PREFIX_CHARS).collect()
    }

    pub fn hash(&self) -> KeyHash {
        KeyHash::of(self.expose())
    }
}

/// The stored form of an API key: hex SHA-256 of the whole key.
///
/// Keys carry 256 random bits, so no slow hash is needed; lookups go through a
/// unique index on the hash, so response time does not depend on how much of a
/// guessed key is right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHash(String);

impl KeyHash {
    /// Hashes a key as presented by a caller (whatever its shape).
    pub fn of(presented: &str) -> Self {
        Self(UrlToken::hash_of(presented))
    }

    /// Whether a presented bearer token has the shape of one of our keys.
    pub fn is_key_shaped(presented: &str) -> bool {
        presented.len() == API_KEY_PREFIX.len() + 43
            && presented.starts_with(API_KEY_PREFIX)
            && presented[API_KEY_PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A random single-use token carried in a URL or cookie (connect links, OAuth
/// state); only its hash is stored and looked up.
pub struct UrlToken(SecretString);

impl UrlToken {
    /// 32 random bytes, URL-safe base64.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        Self(SecretString::from(URL_SAFE_NO_PAD.encode(bytes)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The stored form of this token.
    pub fn hash(&self) -> String {
        Self::hash_of(self.expose())
    }

    /// The stored form of a token as presented (whatever its shape).
    pub fn hash_of(presented: &str) -> String {
        sha256_hex(presented.as_bytes())
    }
}

impl From<SecretString> for UrlToken {
    fn from(token: SecretString) -> Self {
        Self(token)
    }
}

/// An application's webhook signing secret, `whsec_<base64 key>` as Standard Webhooks defines.
pub struct WebhookSigningSecret(SecretString);

impl WebhookSigningSecret {
    /// A new random 24-byte secret.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 24];
        rand::fill(&mut bytes);
        Self(SecretString::from(format!(
            "whsec_{}",
            STANDARD.encode(bytes)
        )))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Lower-case hex SHA-256 of `bytes`: how the hub fingerprints what it need not keep.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_random_and_hash_stably() {
        let key = ApiKey::generate();
        assert!(KeyHash::is_key_shaped(key.expose()), "{}", key.expose());
        assert_eq!(key.visible_prefix().len(), 12);
        assert_eq!(key.hash(), KeyHash::of(key.expose()));
        assert_ne!(key.hash(), ApiKey::generate().hash());
        assert_eq!(key.hash().as_str().len(), 64);
    }

    #[test]
    fn malformed_bearer_tokens_are_not_key_shaped() {
        assert!(!KeyHash::is_key_shaped("cvk_short"));
        assert!(!KeyHash::is_key_shaped(&format!("sk_{}", "a".repeat(44))));
        assert!(!KeyHash::is_key_shaped(&format!("cvk_{}", "!".repeat(43))));
    }

    #[test]
    fn webhook_secrets_decode_to_24_bytes() {
        let secret = WebhookSigningSecret::generate();
        let key = secret.expose().strip_prefix("whsec_").unwrap();
        assert_eq!(STANDARD.decode(key).unwrap().len(), 24);
    }
}
