//! Random identifiers and secrets, each in the shape Zoom gives it.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngExt;

const ALPHANUMERIC: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// An opaque secret (token, authorization code, session id, nonce): 32 random bytes, base64url.
pub(crate) fn secret() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A user or account id: 22 characters of base64url, like "r55v2FgSTVmDmVot18DX3A".
pub(crate) fn zoom_id() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A meeting UUID: base64 of 16 random bytes, like "gFYYRVHMRdSWzGZX/6LsJA==".
pub(crate) fn meeting_uuid() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    STANDARD.encode(bytes)
}

/// The `pwd` of a join URL: an opaque encoding of the passcode.
pub(crate) fn encrypted_passcode() -> String {
    let mut bytes = [0u8; 24];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A number in `range`, e.g. an 11-digit meeting id or a 10-digit PMI.
pub(crate) fn number(range: std::ops::RangeInclusive<i64>) -> i64 {
    rand::rng().random_range(range)
}

/// A generated passcode: 8 letters and digits without look-alikes.
pub(crate) fn passcode() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| char::from(ALPHANUMERIC[rng.random_range(0..ALPHANUMERIC.len())]))
        .collect()
}

/// `len` random decimal digits (the numeric passcodes for phone and H.323 dial-in).
pub(crate) fn digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}
