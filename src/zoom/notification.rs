//! Zoom's event notifications as they arrive at the hub: checking `x-zm-signature`, answering
//! `endpoint.url_validation`, and the payloads of the events the hub handles.
//!
//! The signature is `v0=` + hex HMAC-SHA256 of `"v0:{x-zm-request-timestamp}:{raw body}"` keyed
//! with the app's secret token; the timestamp is unix seconds. Zoom names no freshness window;
//! five minutes is the usual one.

use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;

/// `endpoint.url_validation`: Zoom checks that the endpoint knows the secret token.
pub const URL_VALIDATION: &str = "endpoint.url_validation";
/// The user removed the app inside Zoom.
pub const APP_DEAUTHORIZED: &str = "app_deauthorized";
/// A meeting was deleted (in Zoom's web portal, an app, or through the API).
pub const MEETING_DELETED: &str = "meeting.deleted";
/// A meeting was changed (likewise).
pub const MEETING_UPDATED: &str = "meeting.updated";

/// How far `x-zm-request-timestamp` may be from now, either way.
pub const FRESHNESS_SECONDS: i64 = 5 * 60;

/// Why a request does not count as coming from Zoom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    #[error("the x-zm-request-timestamp or x-zm-signature header is missing")]
    Unsigned,
    #[error("x-zm-request-timestamp is not a number of seconds")]
    BadTimestamp,
    #[error("x-zm-request-timestamp is more than five minutes from now")]
    Stale,
    #[error("x-zm-signature does not match the body")]
    BadSignature,
}

/// The key Zoom signs notifications with: the app's secret token.
#[derive(Clone)]
pub struct NotificationKey(SecretString);

impl NotificationKey {
    pub fn new(secret_token: SecretString) -> Self {
        Self(secret_token)
    }

    /// Checks a notification: the signature over the raw `body` (compared in constant time)
    /// and the timestamp's distance from `now_seconds`.
    pub fn verify(
        &self,
        timestamp: Option<&str>,
        signature: Option<&str>,
        body: &[u8],
        now_seconds: i64,
    ) -> Result<(), Rejection> {
        let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
            return Err(Rejection::Unsigned);
        };
        let seconds: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| Rejection::BadTimestamp)?;
        if (now_seconds - seconds).abs() > FRESHNESS_SECONDS {
            return Err(Rejection::Stale);
        }
        let expected = signature
            .trim()
            .strip_prefix("v0=")
            .and_then(|hex_digest| hex::decode(hex_digest).ok())
            .ok_or(Rejection::BadSignature)?;
        let mut mac = self.mac();
        mac.update(b"v0:");
        mac.update(timestamp.trim().as_bytes());
        mac.update(b":");
        mac.update(body);
        mac.verify_slice(&expected)
            .map_err(|_| Rejection::BadSignature)
    }

    /// The answer to `endpoint.url_validation`: `plainToken` and its hex HMAC-SHA256.
    pub fn validation_reply(&self, plain_token: &str) -> Value {
        let mut mac = self.mac();
        mac.update(plain_token.as_bytes());
        serde_json::json!({
            "plainToken": plain_token,
            "encryptedToken": hex::encode(mac.finalize().into_bytes()),
        })
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        Hmac::<Sha256>::new_from_slice(self.0.expose_secret().as_bytes())
            .expect("HMAC accepts any key length")
    }
}

/// Whether an unsigned validation's `plainToken` is safe to answer: Zoom's tokens are short
/// URL-safe base64, while a token with `:` or JSON in it could make the reply a signature
/// for a forged notification (`"v0:{ts}:{body}"`).
pub fn is_plain_token(token: &str) -> bool {
    (1..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Any notification: `{event, event_ts, payload}`.
#[derive(Debug, Deserialize)]
pub struct Notification {
    pub event: String,
    #[serde(default)]
    pub payload: Value,
}

/// `app_deauthorized`'s payload (the fields the hub uses).
#[derive(Debug, Deserialize)]
pub struct Deauthorization {
    pub user_id: String,
    #[serde(default)]
    pub client_id: Option<String>,
}

/// `meeting.deleted` / `meeting.updated`: `payload.object`, the meeting as it is now (for an
/// update, Zoom may send only the changed fields beside `id`).
#[derive(Debug, Deserialize)]
pub struct MeetingChange {
    pub object: MeetingObject,
}

/// The meeting fields of a notification.
#[derive(Debug, Deserialize)]
pub struct MeetingObject {
    #[serde(deserialize_with = "super::types::int64")]
    pub id: i64,
    #[serde(default)]
    pub topic: Option<String>,
    /// UTC, `yyyy-MM-ddTHH:mm:ssZ`.
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub duration: Option<i64>,
    #[serde(default)]
    pub timezone: Option<String>,
    /// Present when only some occurrences of a recurring meeting changed or were deleted.
    #[serde(default)]
    pub occurrences: Option<Vec<Value>>,
    /// Every other field Zoom sent (passcode, settings, …).
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> NotificationKey {
        NotificationKey::new(SecretString::from("secret-token"))
    }

    fn sign(timestamp: &str, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret-token").unwrap();
        mac.update(format!("v0:{timestamp}:").as_bytes());
        mac.update(body);
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn a_signed_fresh_body_is_accepted() {
        let body = br#"{"event":"meeting.deleted"}"#;
        let signature = sign("1700000000", body);
        assert_eq!(
            key().verify(Some("1700000000"), Some(&signature), body, 1_700_000_100),
            Ok(())
        );
    }

    #[test]
    fn tampering_staleness_and_missing_headers_are_rejected() {
        let body = br#"{"event":"meeting.deleted"}"#;
        let signature = sign("1700000000", body);
        let verify = |ts: Option<&str>, sig: Option<&str>, body: &[u8], now| {
            key().verify(ts, sig, body, now)
        };
        let tampered = br#"{"event":"meeting.deletes"}"#;
        assert_eq!(
            verify(
                Some("1700000000"),
                Some(&signature),
                tampered,
                1_700_000_000
            ),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verify(Some("1700000000"), Some(&signature), body, 1_700_000_301),
            Err(Rejection::Stale)
        );
        assert_eq!(
            verify(Some("1700000000"), Some(&signature), body, 1_699_999_699),
            Err(Rejection::Stale)
        );
        assert_eq!(
            verify(None, Some(&signature), body, 1_700_000_000),
            Err(Rejection::Unsigned)
        );
        assert_eq!(
            verify(Some("soon"), Some(&signature), body, 1_700_000_000),
            Err(Rejection::BadTimestamp)
        );
        assert_eq!(
            verify(Some("1700000000"), Some("v0=zz"), body, 1_700_000_000),
            Err(Rejection::BadSignature)
        );
        // The same signature with another timestamp header no longer matches.
        assert_eq!(
            verify(Some("1700000001"), Some(&signature), body, 1_700_000_000),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn plain_tokens_that_could_forge_a_signature_are_not_answered() {
        assert!(is_plain_token("qgg8vlvZRS6UYooatFL8Aw"));
        assert!(!is_plain_token(
            "v0:1700000000:{\"event\":\"app_deauthorized\"}"
        ));
        assert!(!is_plain_token(""));
        assert!(!is_plain_token(&"a".repeat(65)));
    }

    #[test]
    fn meeting_ids_arrive_as_numbers_or_strings() {
        let numeric: MeetingChange =
            serde_json::from_value(serde_json::json!({"object": {"id": 85_746_065_432_i64}}))
                .unwrap();
        let text: MeetingChange =
            serde_json::from_value(serde_json::json!({"object": {"id": "85746065432"}})).unwrap();
        assert_eq!(numeric.object.id, 85_746_065_432);
        assert_eq!(text.object.id, 85_746_065_432);
    }
}
