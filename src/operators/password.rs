//! Operator passwords: the length rule, their argon2id hashes, and checking one against them.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::FieldError;
use crate::store::operators::OperatorRecord;

/// Shortest password accepted: long passphrases beat composition rules.
const MIN_CHARS: usize = 12;
/// Longest accepted, so a huge input cannot make hashing slow.
const MAX_CHARS: usize = 256;

/// A password that meets the length rule.
pub struct OperatorPassword(SecretString);

impl OperatorPassword {
    /// Accepts 12 to 256 characters (a trailing newline, as from `echo`, is not part of it).
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let raw = raw.strip_suffix('\n').unwrap_or(raw);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let length = raw.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&length) {
            return Err(FieldError::new(
                "password",
                format!("must be {MIN_CHARS} to {MAX_CHARS} characters long"),
            ));
        }
        Ok(Self(SecretString::from(raw.to_owned())))
    }

    /// The argon2id PHC string of this password, with a fresh salt.
    pub fn hash(&self) -> anyhow::Result<String> {
        Ok(Argon2::default()
            .hash_password(self.0.expose_secret().as_bytes())
            .map_err(|error| anyhow::anyhow!("hashing the password failed: {error}"))?
            .to_string())
    }
}

/// Whether `presented` matches the PHC string `stored`. CPU-heavy by design: call it off the
/// async threads.
pub fn matches(presented: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(presented.as_bytes(), stored)
        .is_ok()
}

/// Whether `presented` is the password whose PHC string is `stored`, checked off the async
/// threads.
pub async fn verify(presented: &str, stored: String) -> anyhow::Result<bool> {
    let presented = presented.to_owned();
    tokio::task::spawn_blocking(move || matches(&presented, &stored))
        .await
        .context("password check did not finish")
}

/// Whether `presented` is `operator`'s current password.
pub async fn is_password_of(operator: &OperatorRecord, presented: &str) -> anyhow::Result<bool> {
    verify(presented, operator.password_hash.clone()).await
}

/// A hash no password is checked against for real: verifying an unknown account's password
/// against it costs as long as a known account's, so timing does not tell which emails exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        OperatorPassword(SecretString::from("decoy password, never used"))
            .hash()
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let password = OperatorPassword::parse("correct horse battery\n").unwrap();
        let hash = password.hash().unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(matches("correct horse battery", &hash));
        assert!(!matches("correct horse battery\n", &hash));
        assert!(!matches("wrong", &hash));
        assert!(!matches("wrong", "not a phc string"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(OperatorPassword::parse("short").is_err());
        assert!(OperatorPassword::parse(&"x".repeat(257)).is_err());
        assert!(OperatorPassword::parse(&"x".repeat(12)).is_ok());
    }
}
