//! Verifies a Convene webhook (Standard Webhooks) with the hmac, sha2 and base64 crates.
//!
//! As a command, over a delivery saved by receiver.mjs (files `headers` and `body`):
//!     WEBHOOK_SECRET=whsec_... cargo run -- deliveries/msg_...

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

const TOLERANCE_SECONDS: u64 = 5 * 60;

/// True when the `webhook-*` headers carry a valid signature of `body` (the raw bytes,
/// exactly as received) under `secret` (`whsec_<base64 key>`), sent within five minutes
/// of `now` (unix seconds). `header` looks a header up by its lower-case name.
pub fn verify_webhook<'a>(
    secret: &str,
    header: impl Fn(&str) -> Option<&'a str>,
    body: &[u8],
    now: u64,
) -> bool {
    let (Some(id), Some(timestamp), Some(signatures)) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    ) else {
        return false;
    };
    let Ok(sent) = timestamp.parse::<u64>() else {
        return false;
    };
    if now.abs_diff(sent) > TOLERANCE_SECONDS {
        return false;
    }
    let Some(Ok(key)) = secret.strip_prefix("whsec_").map(|k| STANDARD.decode(k)) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return false;
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    // The header may carry several signatures ("v1,abc v1,def") while a secret is rotated.
    signatures.split(' ').any(|entry| {
        let Some(("v1", signature)) = entry.split_once(',') else {
            return false;
        };
        let Ok(given) = STANDARD.decode(signature) else {
            return false;
        };
        // verify_slice compares in constant time.
        mac.clone().verify_slice(&given).is_ok()
    })
}

fn main() -> std::process::ExitCode {
    let (Some(dir), Ok(secret)) = (std::env::args().nth(1), std::env::var("WEBHOOK_SECRET"))
    else {
        eprintln!("usage: WEBHOOK_SECRET=whsec_... rust-verify DELIVERY_DIR");
        return std::process::ExitCode::from(2);
    };
    let dir = std::path::Path::new(&dir);
    let headers = std::fs::read_to_string(dir.join("headers")).expect("a headers file");
    let body = std::fs::read(dir.join("body")).expect("a body file");
    let header = |name: &str| {
        headers
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    if verify_webhook(&secret, header, &body, now) {
        println!("valid: {}", header("webhook-id").unwrap_or_default());
        std::process::ExitCode::SUCCESS
    } else {
        println!("INVALID: {}", dir.display());
        std::process::ExitCode::FAILURE
    }
}
