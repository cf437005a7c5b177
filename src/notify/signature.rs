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
