//! Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">`,
//! keyed with the base64-decoded part of the application's `whsec_…` secret.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::zeroize::Zeroizing;
use sha2::Sha256;

/// The prefix of every webhook signing secret.
const SECRET_PREFIX: &str = "whsec_";

/// Why an application's stored secret cannot key a signature.
#[derive(Debug, thiserror::Error)]
#[error("the application's webhook secret is not of the form whsec_<base64 key>")]
pub struct MalformedSecret;

/// An application's webhook signing key, ready to sign. `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SigningKey(Hmac<Sha256>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// Reads a `whsec_<base64 key>` secret; the HMAC key is the decoded part.
    pub fn from_secret(secret: &str) -> Result<Self, MalformedSecret> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or(MalformedSecret)?;
        let key = Zeroizing::new(STANDARD.decode(encoded).map_err(|_| MalformedSecret)?);
        if key.is_empty() {
            return Err(MalformedSecret);
        }
        let mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| MalformedSecret)?;
        Ok(Self(mac))
    }

    /// The `webhook-signature` header value for message `id` sent at `timestamp` (unix
    /// seconds) with exactly these body bytes.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body.as_bytes());
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

/// The keys an application's webhooks are signed with: its secret's, and while a rotation's
/// overlap lasts the previous secret's too, so receivers still holding the old secret verify.
#[derive(Clone, Debug)]
pub struct SigningKeys {
    pub current: SigningKey,
    pub previous: Option<SigningKey>,
}

impl SigningKeys {
    /// The `webhook-signature` header value: one `v1,…` per key, separated by a space, as
    /// Standard Webhooks carries several signatures.
    pub fn sign(&self, id: &str, timestamp: i64, body: &str) -> String {
        let mut header = self.current.sign(id, timestamp, body);
        if let Some(previous) = &self.previous {
            header.push(' ');
            header.push_str(&previous.sign(id, timestamp, body));
        }
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_standard_webhooks_reference_example() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(
            key.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                r#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn during_an_overlap_both_keys_sign_separated_by_a_space() {
        let old = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let new = SigningKey::from_secret("whsec_bmV3IHNlY3JldCBrZXkgYnl0ZXM=").unwrap();
        let body = r#"{"test": 2432232314}"#;
        let keys = SigningKeys {
            current: new.clone(),
            previous: Some(old.clone()),
        };
        assert_eq!(
            keys.sign("msg_1", 1_614_265_330, body),
            format!(
                "{} {}",
                new.sign("msg_1", 1_614_265_330, body),
                old.sign("msg_1", 1_614_265_330, body)
            )
        );
        let alone = SigningKeys {
            current: new.clone(),
            previous: None,
        };
        assert_eq!(alone.sign("msg_1", 1, body), new.sign("msg_1", 1, body));
    }

    #[test]
    fn secrets_without_prefix_or_base64_are_malformed() {
        for secret in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not*base64",
            "whsec_",
        ] {
            assert!(SigningKey::from_secret(secret).is_err(), "{secret}");
        }
        let key = SigningKey::from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(format!("{key:?}"), "SigningKey(..)");
    }
}
