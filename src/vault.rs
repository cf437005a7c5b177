//! The vault: an AES-256-GCM key ring that seals OAuth tokens and other
//! secrets before they are written to the database.
//!
//! # Keys
//!
//! Keys come from `CONVENE_MASTER_KEYS`, a comma-separated list of
//! `kid:base64key` entries, for example
//!
//! ```text
//! CONVENE_MASTER_KEYS=k20261122a1b2:<44 base64 characters>,k1:<44 base64 characters>
//! ```
//!
//! * Every key is 32 random bytes (AES-256), written in base64 — standard or
//!   URL-safe alphabet, padded or not. `openssl rand -base64 32` makes one,
//!   as does [`KeyRing::generate_spec`].
//! * A key id (`kid`) is 1 to 32 characters of `A-Z a-z 0-9 _ -`, unique in
//!   the list. It is stored in clear in every blob, so it must never be
//!   reused for different key bytes.
//! * The **first** key seals new values; **all** keys open. To rotate, put a
//!   new key first and keep the old ones after it until every row has been
//!   re-sealed ([`KeyRing::reseal`]); then drop the old key.
//!
//! # Blob format (version 1)
//!
//! ```text
//! +---------+---------+-----------+----------+------------------------------+
//! | version | kid len |   kid     |  nonce   | ciphertext ‖ tag             |
//! | 1 byte  | 1 byte  | 1..=32 B  | 12 bytes | plaintext len + 16 bytes     |
//! |   = 1   |         | ASCII     | random   | AES-256-GCM, 16-byte tag     |
//! +---------+---------+-----------+----------+------------------------------+
//! ```
//!
//! The associated data authenticated with the ciphertext is the header
//! (version, kid length, kid) followed by
//! `b"convene/" ‖ purpose ‖ b"/" ‖ row_id` (see [`SealContext`] and
//! [`Purpose::as_str`]). So a blob copied into another row or another field,
//! or one whose header was edited, fails to open with [`VaultError::Rejected`].
//!
//! Nonces are 96 random bits per seal; NIST SP 800-38D bounds that at 2³²
//! seals per key, far beyond what token storage needs, and rotation resets it.
//!
//! # Handling of secrets
//!
//! Opened values come back as [`secrecy::SecretSlice`] / [`secrecy::SecretString`],
//! wiped on drop; decrypted bytes are written straight into the buffer that
//! the secret wrapper then owns (no stray copies). Decoded key bytes are wiped
//! after the cipher is built, and the expanded AES key schedule is wiped on
//! drop (aes-gcm's `zeroize` feature is on in Cargo.toml). `Debug` on
//! [`KeyRing`] prints key ids only, and no error message ever contains key
//! material.

use std::fmt;
use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::inout::InOutBuf;
use aes_gcm::aead::{AeadInOut, KeyInit, Nonce, Tag};
use base64::Engine as _;
use base64::alphabet;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use rand::Rng as _;
use secrecy::zeroize::{Zeroize, Zeroizing};
use secrecy::{SecretSlice, SecretString};

/// The only blob format version this module writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// AES-256 key length in bytes.
const KEY_LEN: usize = 32;
/// AES-GCM nonce length in bytes.
const NONCE_LEN: usize = 12;
/// AES-GCM tag length in bytes.
const TAG_LEN: usize = 16;
/// Longest key id accepted.
const MAX_KID_LEN: usize = 32;
/// How to make a key, quoted in error messages.
const GENERATE_HINT: &str = "generate one with `openssl rand -base64 32`";

/// Base64 decoders accepting padded or unpadded input.
const B64_STANDARD: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);
const B64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Which field a sealed value belongs to. Part of the associated data, so a
/// value sealed for one purpose cannot be opened as another.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Purpose {
    /// A Zoom OAuth access token.
    ZoomAccessToken,
    /// A Zoom OAuth refresh token.
    ZoomRefreshToken,
    /// A webhook signing secret.
    WebhookSecret,
    /// A PKCE code verifier held during an OAuth authorization.
    PkceVerifier,
    /// The token in a connect session's URL.
    ConnectSessionToken,
}

impl Purpose {
    /// The stable name bound into the associated data (never change these:
    /// doing so makes every stored blob of that purpose unopenable).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Purpose::ZoomAccessToken => "zoom_access_token",
            Purpose::ZoomRefreshToken => "zoom_refresh_token",
            Purpose::WebhookSecret => "webhook_secret",
            Purpose::PkceVerifier => "pkce_verifier",
            Purpose::ConnectSessionToken => "connect_session_token",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a sealed value is bound to: the purpose (which field) and the id of
/// the row it lives in. Opening requires exactly the context used to seal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SealContext<'a> {
    /// Which field the value is stored in.
    pub purpose: Purpose,
    /// The primary key of the row the value is stored in.
    pub row_id: &'a str,
}

impl<'a> SealContext<'a> {
    /// A context for `purpose` in the row `row_id`.
    #[must_use]
    pub const fn new(purpose: Purpose, row_id: &'a str) -> Self {
        Self { purpose, row_id }
    }
}

/// Why `CONVENE_MASTER_KEYS` could not be used. Each message says what to fix;
/// none contains key material (entries are referred to by position or key id).
#[derive(Debug, thiserror::Error)]
pub enum KeyRingError {
    /// The variable is empty or only whitespace.
    #[error(
        "CONVENE_MASTER_KEYS is empty — set it to kid:base64key, e.g. \"k1:$(openssl rand -base64 32)\""
    )]
    Empty,
    /// An entry between commas is empty.
    #[error(
        "CONVENE_MASTER_KEYS entry {entry} is empty (stray comma?) — remove it or write it as kid:base64key"
    )]
    EmptyEntry {
        /// 1-based position of the entry.
        entry: usize,
    },
    /// An entry has no `:` separating the key id from the key.
    #[error(
        "CONVENE_MASTER_KEYS entry {entry} is not kid:base64 — write it as <key id>:<base64 key>, e.g. \"k1:$(openssl rand -base64 32)\""
    )]
    NotKidColonKey {
        /// 1-based position of the entry.
        entry: usize,
    },
    /// A key id is empty, too long, or has characters outside `[A-Za-z0-9_-]`.
    /// The id itself is not echoed, in case a key was pasted in its place.
    #[error(
        "CONVENE_MASTER_KEYS entry {entry} has an invalid key id ({problem}) — key ids are 1 to 32 characters of A-Z, a-z, 0-9, '_' or '-', written before the ':'"
    )]
    BadKeyId {
        /// 1-based position of the entry.
        entry: usize,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The key after the `:` is not base64.
    #[error(
        "key '{kid}' (CONVENE_MASTER_KEYS entry {entry}) is not valid base64 — use the standard or URL-safe alphabet ({GENERATE_HINT})"
    )]
    BadBase64 {
        /// The entry's key id.
        kid: String,
        /// 1-based position of the entry.
        entry: usize,
    },
    /// The key decodes to the wrong number of bytes.
    #[error("key '{kid}' is {len} bytes; AES-256 needs 32 ({GENERATE_HINT})")]
    WrongLength {
        /// The entry's key id.
        kid: String,
        /// How many bytes it decoded to.
        len: usize,
    },
    /// Two entries share a key id.
    #[error(
        "CONVENE_MASTER_KEYS lists key id '{kid}' twice (entries {first} and {second}) — every key needs its own id; give the newer key a new id"
    )]
    DuplicateKeyId {
        /// The repeated key id.
        kid: String,
        /// 1-based position of the first occurrence.
        first: usize,
        /// 1-based position of the repeat.
        second: usize,
    },
}

/// Why a sealed value could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// Not a vault blob: truncated, unknown format version, or an invalid
    /// header. Also returned by [`KeyRing::open_str`] when the authentic
    /// plaintext is not UTF-8.
    #[error(
        "sealed value is malformed (truncated, unknown format version, or not written by the Convene vault)"
    )]
    Malformed,
    /// Sealed under a key id that is not in the ring.
    #[error(
        "sealed value uses key '{0}', which is not in CONVENE_MASTER_KEYS — add that key back after the active one to open it"
    )]
    UnknownKey(String),
    /// The tag check failed: the blob was tampered with, belongs to another
    /// row or purpose, or the key with its id has different bytes.
    #[error(
        "sealed value failed authentication (tampered, copied from another row or field, or the key with its id has changed)"
    )]
    Rejected,
}

/// One key of the ring (not `Clone`: rings share keys through an `Arc`).
struct RingKey {
    /// Validated key id.
    kid: String,
    /// The blob header for this key: version, kid length, kid.
    header: Vec<u8>,
    /// The expanded AES-256-GCM key.
    cipher: Aes256Gcm,
}

/// Keys in ring order; `active` is the first entry of the spec.
struct Ring {
    active: RingKey,
    older: Vec<RingKey>,
}

impl Ring {
    fn keys(&self) -> impl Iterator<Item = &RingKey> {
        std::iter::once(&self.active).chain(&self.older)
    }
}

/// The set of AES-256-GCM keys the hub seals and opens secrets with.
///
/// Cheap to clone (the keys are shared). `Debug` prints key ids only.
#[derive(Clone)]
pub struct KeyRing {
    ring: Arc<Ring>,
}

impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("active", &self.active_key_id())
            .field("key_ids", &self.key_ids().collect::<Vec<_>>())
            .finish()
    }
}

impl KeyRing {
    /// Parse `CONVENE_MASTER_KEYS`: "kid:base64key[,kid:base64key…]"; first key seals, all open.
    ///
    /// Whitespace around entries, ids and keys is ignored. Keys may use the
    /// standard or URL-safe base64 alphabet, with or without padding.
    ///
    /// # Errors
    ///
    /// A [`KeyRingError`] naming the entry (by position or key id) and what
    /// to change; never the key text.
    pub fn parse(spec: &str) -> Result<KeyRing, KeyRingError> {
        if spec.trim().is_empty() {
            return Err(KeyRingError::Empty);
        }
        let mut keys: Vec<(usize, RingKey)> = Vec::new();
        for (index, raw) in spec.split(',').enumerate() {
            let entry = index + 1;
            let raw = raw.trim();
            if raw.is_empty() {
                return Err(KeyRingError::EmptyEntry { entry });
            }
            let Some((kid, key_b64)) = raw.split_once(':') else {
                return Err(KeyRingError::NotKidColonKey { entry });
            };
            let kid = kid.trim();
            check_kid(kid).map_err(|problem| KeyRingError::BadKeyId { entry, problem })?;
            if let Some((first, _)) = keys.iter().find(|(_, k)| k.kid == kid) {
                return Err(KeyRingError::DuplicateKeyId {
                    kid: kid.to_owned(),
                    first: *first,
                    second: entry,
                });
            }
            let bytes = decode_key(key_b64.trim()).ok_or_else(|| KeyRingError::BadBase64 {
                kid: kid.to_owned(),
                entry,
            })?;
            let cipher =
                Aes256Gcm::new_from_slice(&bytes).map_err(|_| KeyRingError::WrongLength {
                    kid: kid.to_owned(),
                    len: bytes.len(),
                })?;
            keys.push((
                entry,
                RingKey {
                    kid: kid.to_owned(),
                    header: header_for(kid),
                    cipher,
                },
            ));
        }
        let mut keys = keys.into_iter().map(|(_, key)| key);
        // `spec` is non-empty after trimming, so `split` yields at least one
        // entry, and every entry either became a key or returned an error.
        let active = keys.next().ok_or(KeyRingError::Empty)?;
        Ok(KeyRing {
            ring: Arc::new(Ring {
                active,
                older: keys.collect(),
            }),
        })
    }

    /// A fresh random key in the same textual form ("kid:base64"), kid derived from current UTC date + random suffix, e.g. "k20261122a1b2".
    ///
    /// The key is 32 bytes from the thread-local CSPRNG (seeded from the OS),
    /// in padded standard base64. Prepend it to `CONVENE_MASTER_KEYS` to
    /// rotate.
    #[must_use]
    pub fn generate_spec() -> String {
        let mut rng = rand::rng();
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rng.fill_bytes(key.as_mut_slice());
        let mut suffix = [0u8; 2];
        rng.fill_bytes(&mut suffix);
        let today = time::OffsetDateTime::now_utc().date();
        format!(
            "k{:04}{:02}{:02}{:02x}{:02x}:{}",
            today.year(),
            u8::from(today.month()),
            today.day(),
            suffix[0],
            suffix[1],
            STANDARD.encode(key.as_slice()),
        )
    }

    /// The id of the key that [`seal`](Self::seal) uses (the first in the spec).
    #[must_use]
    pub fn active_key_id(&self) -> &str {
        &self.ring.active.kid
    }

    /// All key ids, the active one first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.ring.keys().map(|k| k.kid.as_str())
    }

    /// Seal `plaintext` for one field of one row.
    ///
    /// Uses the active key and a fresh random nonce, so sealing the same value
    /// twice gives different blobs. The result opens only with the same
    /// `context`.
    ///
    /// # Panics
    ///
    /// Only if `plaintext` exceeds AES-GCM's limit of 64 GiB.
    #[must_use]
    pub fn seal(&self, plaintext: &[u8], context: &SealContext<'_>) -> Vec<u8> {
        let key = &self.ring.active;
        let header_len = key.header.len();
        let body_start = header_len + NONCE_LEN;
        // Exact capacity: the buffer never reallocates, so no copy of the
        // plaintext is left behind in freed memory.
        let mut blob = Vec::with_capacity(body_start + plaintext.len() + TAG_LEN);
        blob.extend_from_slice(&key.header);
        let mut nonce = Nonce::<Aes256Gcm>::default();
        rand::rng().fill_bytes(&mut nonce);
        blob.extend_from_slice(&nonce);
        let aad = associated_data(&key.header, context);
        blob.extend_from_slice(plaintext);
        let tag = key
            .cipher
            .encrypt_inout_detached(&nonce, &aad, InOutBuf::from(&mut blob[body_start..]))
            // aes-gcm fails only for plaintext > 2^36-32 bytes or AAD > 2^61-1
            // bytes; a secret that size cannot be a column value.
            .expect("AES-GCM input within size limits");
        blob.extend_from_slice(&tag);
        blob
    }

    /// Open a blob sealed for exactly this context. Returns a `SecretBox` / zeroizing buffer.
    ///
    /// # Errors
    ///
    /// [`VaultError::Malformed`] if `blob` is not a vault blob,
    /// [`VaultError::UnknownKey`] if its key id is not in the ring, and
    /// [`VaultError::Rejected`] if authentication fails (tampering, another
    /// row or purpose, or different key bytes under the same id).
    pub fn open(
        &self,
        blob: &[u8],
        context: &SealContext<'_>,
    ) -> Result<SecretSlice<u8>, VaultError> {
        let plaintext = self.open_vec(blob, context)?;
        // `open_vec` returns a Vec whose capacity equals its length, so
        // `into_boxed_slice` (inside `From`) does not reallocate.
        Ok(SecretSlice::from(plaintext))
    }

    /// Convenience: seal a UTF-8 string (see [`seal`](Self::seal)).
    ///
    /// # Panics
    ///
    /// Only if `plaintext` exceeds AES-GCM's limit of 64 GiB.
    #[must_use]
    pub fn seal_str(&self, plaintext: &str, context: &SealContext<'_>) -> Vec<u8> {
        self.seal(plaintext.as_bytes(), context)
    }

    /// Convenience: open a blob holding a UTF-8 string (see [`open`](Self::open)).
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open); additionally [`VaultError::Malformed`] if the
    /// authentic plaintext is not UTF-8.
    pub fn open_str(
        &self,
        blob: &[u8],
        context: &SealContext<'_>,
    ) -> Result<SecretString, VaultError> {
        let plaintext = self.open_vec(blob, context)?;
        match String::from_utf8(plaintext) {
            // Capacity equals length, so `into_boxed_str` does not reallocate.
            Ok(text) => Ok(SecretString::from(text)),
            Err(not_utf8) => {
                not_utf8.into_bytes().zeroize();
                Err(VaultError::Malformed)
            }
        }
    }

    /// Re-seal under the active key: `Ok(None)` when the blob already is under the active key, `Ok(Some(new_blob))` otherwise.
    ///
    /// The blob is opened (and so authenticated) in both cases, so a rotation
    /// job also finds damaged or misplaced values.
    ///
    /// # Errors
    ///
    /// As [`open`](Self::open).
    pub fn reseal(
        &self,
        blob: &[u8],
        context: &SealContext<'_>,
    ) -> Result<Option<Vec<u8>>, VaultError> {
        let plaintext = Zeroizing::new(self.open_vec(blob, context)?);
        if sealed_key_id(blob)? == self.active_key_id() {
            return Ok(None);
        }
        Ok(Some(self.seal(&plaintext, context)))
    }

    /// Authenticate and decrypt; the returned Vec has capacity == length.
    fn open_vec(&self, blob: &[u8], context: &SealContext<'_>) -> Result<Vec<u8>, VaultError> {
        let parts = split_blob(blob)?;
        let key = self
            .ring
            .keys()
            .find(|k| k.kid == parts.kid)
            .ok_or_else(|| VaultError::UnknownKey(parts.kid.to_owned()))?;
        let nonce = Nonce::<Aes256Gcm>::try_from(parts.nonce).map_err(|_| VaultError::Malformed)?;
        let tag = Tag::<Aes256Gcm>::try_from(parts.tag).map_err(|_| VaultError::Malformed)?;
        let aad = associated_data(parts.header, context);
        // `to_vec` allocates exactly `len` bytes.
        let mut buffer = parts.ciphertext.to_vec();
        match key.cipher.decrypt_inout_detached(
            &nonce,
            &aad,
            InOutBuf::from(buffer.as_mut_slice()),
            &tag,
        ) {
            Ok(()) => Ok(buffer),
            Err(_) => {
                // aes-gcm decrypts only after the tag verifies, so this is
                // still ciphertext; wipe it anyway.
                buffer.zeroize();
                Err(VaultError::Rejected)
            }
        }
    }
}

/// The key id recorded in a blob's header (without opening it).
///
/// # Errors
///
/// [`VaultError::Malformed`] if `blob` is not a well-formed vault blob.
pub fn sealed_key_id(blob: &[u8]) -> Result<&str, VaultError> {
    split_blob(blob).map(|parts| parts.kid)
}

/// The pieces of a blob, borrowed from it.
struct BlobParts<'b> {
    /// Version, kid length and kid: the first part of the associated data.
    header: &'b [u8],
    kid: &'b str,
    nonce: &'b [u8],
    ciphertext: &'b [u8],
    tag: &'b [u8],
}

fn split_blob(blob: &[u8]) -> Result<BlobParts<'_>, VaultError> {
    let [version, kid_len, ..] = *blob else {
        return Err(VaultError::Malformed);
    };
    if version != FORMAT_VERSION {
        return Err(VaultError::Malformed);
    }
    let (header, rest) = blob
        .split_at_checked(2 + usize::from(kid_len))
        .ok_or(VaultError::Malformed)?;
    let kid = header.get(2..).ok_or(VaultError::Malformed)?;
    let kid = std::str::from_utf8(kid).map_err(|_| VaultError::Malformed)?;
    check_kid(kid).map_err(|_| VaultError::Malformed)?;
    let (nonce, rest) = rest
        .split_at_checked(NONCE_LEN)
        .ok_or(VaultError::Malformed)?;
    let ciphertext_len = rest
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(VaultError::Malformed)?;
    let (ciphertext, tag) = rest.split_at(ciphertext_len);
    Ok(BlobParts {
        header,
        kid,
        nonce,
        ciphertext,
        tag,
    })
}

/// `header ‖ "convene/" ‖ purpose ‖ "/" ‖ row_id`.
fn associated_data(header: &[u8], context: &SealContext<'_>) -> Vec<u8> {
    let purpose = context.purpose.as_str();
    let mut aad = Vec::with_capacity(header.len() + 9 + purpose.len() + context.row_id.len());
    aad.extend_from_slice(header);
    aad.extend_from_slice(b"convene/");
    aad.extend_from_slice(purpose.as_bytes());
    aad.push(b'/');
    aad.extend_from_slice(context.row_id.as_bytes());
    aad
}

/// The blob header for a validated key id.
fn header_for(kid: &str) -> Vec<u8> {
    let mut header = Vec::with_capacity(2 + kid.len());
    header.push(FORMAT_VERSION);
    // `check_kid` capped the length at MAX_KID_LEN (32), which fits a byte.
    header.push(u8::try_from(kid.len()).unwrap_or(u8::MAX));
    header.extend_from_slice(kid.as_bytes());
    header
}

/// Key ids: 1..=32 characters of `[A-Za-z0-9_-]`.
fn check_kid(kid: &str) -> Result<(), &'static str> {
    if kid.is_empty() {
        return Err("it is empty");
    }
    if kid.len() > MAX_KID_LEN {
        return Err("it is longer than 32 characters");
    }
    if !kid
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err("it contains a character other than A-Z, a-z, 0-9, '_' or '-'");
    }
    Ok(())
}

/// Decode a base64 key (standard or URL-safe, padding optional) into a
/// buffer that is wiped on drop; `None` if it is not base64.
fn decode_key(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    [B64_STANDARD, B64_URL_SAFE].iter().find_map(|engine| {
        // Room for the decoder's estimate (at most len + 3), so it never
        // reallocates and leaves key bytes behind.
        let mut bytes = Zeroizing::new(Vec::with_capacity(text.len() + 3));
        engine.decode_vec(text, &mut bytes).ok().map(|()| bytes)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    /// 32 bytes of 0x11, standard padded base64.
    const KEY_A: &str = "ERERERERERERERERERERERERERERERERERERERERERE=";
    /// 32 bytes of 0x22.
    const KEY_B: &str = "IiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiIiI=";
    /// 32 bytes of 0xfb (exercises '+' / '-' and '/' / '_').
    const KEY_C_STD: &str = "+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=";

    const ACCESS: SealContext<'static> = SealContext::new(Purpose::ZoomAccessToken, "row-1");

    fn ring(spec: &str) -> KeyRing {
        match KeyRing::parse(spec) {
            Ok(ring) => ring,
            Err(e) => panic!("parse {spec:?}: {e}"),
        }
    }

    fn parse_err(spec: &str) -> KeyRingError {
        match KeyRing::parse(spec) {
            Ok(ring) => panic!("parse {spec:?} unexpectedly succeeded: {ring:?}"),
            Err(e) => e,
        }
    }

    /// The message names what to fix and leaks none of the key text.
    fn assert_helpful(err: &KeyRingError, must_mention: &[&str], secrets: &[&str]) {
        let msg = err.to_string();
        for needle in must_mention {
            assert!(msg.contains(needle), "{msg:?} should mention {needle:?}");
        }
        for secret in secrets {
            assert!(!msg.contains(secret), "{msg:?} leaks key text {secret:?}");
            // Nor a recognisable chunk of it.
            if secret.len() >= 12 {
                assert!(
                    !msg.contains(&secret[..12]),
                    "{msg:?} leaks part of {secret:?}"
                );
            }
        }
        let dbg = format!("{err:?}");
        for secret in secrets {
            assert!(!dbg.contains(secret), "{dbg:?} leaks key text {secret:?}");
        }
    }

    #[test]
    fn round_trip() {
        let ring = ring(&format!("k1:{KEY_A}"));
        let blob = ring.seal(b"zoom-token-\x00\xff", &ACCESS);
        let opened = ring.open(&blob, &ACCESS).expect("opens");
        assert_eq!(opened.expose_secret(), b"zoom-token-\x00\xff");

        let blob = ring.seal_str("héllo token", &ACCESS);
        assert_eq!(
            ring.open_str(&blob, &ACCESS)
                .expect("opens")
                .expose_secret(),
            "héllo token"
        );

        let empty = ring.seal(b"", &ACCESS);
        assert!(
            ring.open(&empty, &ACCESS)
                .expect("opens")
                .expose_secret()
                .is_empty()
        );
    }

    #[test]
    fn blob_layout_matches_documented_format() {
        let ring = ring(&format!("kid_1:{KEY_A}"));
        let blob = ring.seal(b"abc", &ACCESS);
        assert_eq!(blob[0], FORMAT_VERSION);
        assert_eq!(blob[1], 5);
        assert_eq!(&blob[2..7], b"kid_1");
        assert_eq!(blob.len(), 2 + 5 + NONCE_LEN + 3 + TAG_LEN);
        assert_eq!(sealed_key_id(&blob).expect("kid"), "kid_1");
        assert!(
            !blob.windows(3).any(|w| w == b"abc"),
            "plaintext visible in blob"
        );
    }

    #[test]
    fn two_seals_of_one_value_differ() {
        let ring = ring(&format!("k1:{KEY_A}"));
        let a = ring.seal(b"same", &ACCESS);
        let b = ring.seal(b"same", &ACCESS);
        assert_ne!(a, b);
        let header = 2 + 2;
        assert_ne!(
            a[header..header + NONCE_LEN],
            b[header..header + NONCE_LEN],
            "nonces repeat"
        );
    }

    #[test]
    fn tampered_ciphertext_or_tag_is_rejected() {
        let ring = ring(&format!("k1:{KEY_A}"));
        let blob = ring.seal(b"secret value", &ACCESS);
        let body_start = 2 + 2 + NONCE_LEN;
        for i in [2 + 2, body_start, body_start + 5, blob.len() - 1] {
            let mut bad = blob.clone();
            bad[i] ^= 0x01;
            assert!(
                matches!(ring.open(&bad, &ACCESS), Err(VaultError::Rejected)),
                "byte {i}"
            );
        }
    }

    #[test]
    fn tampered_header_kid_fails() {
        // Changed to an id the ring does not have.
        let ring1 = ring(&format!("k1:{KEY_A}"));
        let mut bad = ring1.seal(b"secret", &ACCESS);
        bad[3] = b'9';
        assert!(matches!(ring1.open(&bad, &ACCESS), Err(VaultError::UnknownKey(k)) if k == "k9"));

        // Changed to another id the ring does have: wrong key and wrong AAD.
        let ring2 = ring(&format!("k1:{KEY_A},k2:{KEY_B}"));
        let mut bad = ring2.seal(b"secret", &ACCESS);
        bad[3] = b'2';
        assert!(matches!(
            ring2.open(&bad, &ACCESS),
            Err(VaultError::Rejected)
        ));

        // Same key bytes under two ids: only the AAD catches the edit.
        let ring3 = ring(&format!("k1:{KEY_A},k2:{KEY_A}"));
        let mut bad = ring3.seal(b"secret", &ACCESS);
        bad[3] = b'2';
        assert!(matches!(
            ring3.open(&bad, &ACCESS),
            Err(VaultError::Rejected)
        ));

        // Version byte and kid length byte.
        let blob = ring1.seal(b"secret", &ACCESS);
        let mut bad = blob.clone();
        bad[0] = 2;
        assert!(matches!(
            ring1.open(&bad, &ACCESS),
            Err(VaultError::Malformed)
        ));
        let mut bad = blob.clone();
        bad[1] = 3;
        assert!(ring1.open(&bad, &ACCESS).is_err());
        let mut bad = blob;
        bad[2] = b'!';
        assert!(matches!(
            ring1.open(&bad, &ACCESS),
            Err(VaultError::Malformed)
        ));
    }

    #[test]
    fn other_row_is_rejected() {
        let ring = ring(&format!("k1:{KEY_A}"));
        let blob = ring.seal(b"secret", &ACCESS);
        for row in ["row-2", "row-1 ", "", "row-"] {
            let other = SealContext::new(Purpose::ZoomAccessToken, row);
            assert!(
                matches!(ring.open(&blob, &other), Err(VaultError::Rejected)),
                "row {row:?}"
            );
        }
    }

    #[test]
    fn other_purpose_is_rejected() {
        let ring = ring(&format!("k1:{KEY_A}"));
        let blob = ring.seal(b"secret", &ACCESS);
        for purpose in [
            Purpose::ZoomRefreshToken,
            Purpose::WebhookSecret,
            Purpose::PkceVerifier,
        ] {
            let other = SealContext::new(purpose, "row-1");
            assert!(
                matches!(ring.open(&blob, &other), Err(VaultError::Rejected)),
                "{purpose}"
            );
        }
        assert!(matches!(
            ring.open_str(&blob, &SealContext::new(Purpose::PkceVerifier, "row-1")),
            Err(VaultError::Rejected)
        ));
    }

    #[test]
    fn unknown_key_id() {
        let old = ring(&format!("old:{KEY_A}"));
        let new = ring(&format!("new:{KEY_B}"));
        let blob = old.seal(b"secret", &ACCESS);
        let err = new.open(&blob, &ACCESS).expect_err("must not open");
        assert!(
            matches!(&err, VaultError::UnknownKey(k) if k == "old"),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("'old'") && err.to_string().contains("CONVENE_MASTER_KEYS")
        );
        assert!(matches!(
            new.reseal(&blob, &ACCESS),
            Err(VaultError::UnknownKey(_))
        ));
    }

    #[test]
    fn same_kid_different_key_is_rejected() {
        let a = ring(&format!("k1:{KEY_A}"));
        let b = ring(&format!("k1:{KEY_B}"));
        let blob = a.seal(b"secret", &ACCESS);
        assert!(matches!(b.open(&blob, &ACCESS), Err(VaultError::Rejected)));
    }

    #[test]
    fn truncated_blob_is_malformed() {
        let ring = ring(&format!("k1:{KEY_A}"));
        let blob = ring.seal(b"", &ACCESS);
        // An empty plaintext gives the shortest valid blob; every prefix is malformed.
        for len in 0..blob.len() {
            assert!(
                matches!(ring.open(&blob[..len], &ACCESS), Err(VaultError::Malformed)),
                "len {len}"
            );
        }
        assert!(matches!(sealed_key_id(&[]), Err(VaultError::Malformed)));
        assert!(matches!(
            sealed_key_id(&[1, 40, b'k']),
            Err(VaultError::Malformed)
        ));
        // Truncating a non-empty blob inside the ciphertext fails the tag instead.
        let blob = ring.seal(b"0123456789", &ACCESS);
        assert!(matches!(
            ring.open(&blob[..blob.len() - 1], &ACCESS),
            Err(VaultError::Rejected)
        ));
    }

    #[test]
    fn open_str_rejects_non_utf8() {
        let ring = ring(&format!("k1:{KEY_A}"));
        let blob = ring.seal(&[0xff, 0xfe], &ACCESS);
        assert!(matches!(
            ring.open_str(&blob, &ACCESS),
            Err(VaultError::Malformed)
        ));
    }

    #[test]
    fn parse_error_empty() {
        for spec in ["", "   ", "\n"] {
            let err = parse_err(spec);
            assert!(matches!(err, KeyRingError::Empty), "{spec:?}: {err:?}");
            assert_helpful(
                &err,
                &[
                    "CONVENE_MASTER_KEYS",
                    "kid:base64",
                    "openssl rand -base64 32",
                ],
                &[],
            );
        }
        let err = parse_err(&format!("k1:{KEY_A},"));
        assert!(
            matches!(err, KeyRingError::EmptyEntry { entry: 2 }),
            "{err:?}"
        );
        assert_helpful(
            &err,
            &["CONVENE_MASTER_KEYS", "entry 2", "kid:base64"],
            &[KEY_A],
        );
    }

    #[test]
    fn parse_error_missing_colon() {
        let err = parse_err(KEY_A);
        assert!(
            matches!(err, KeyRingError::NotKidColonKey { entry: 1 }),
            "{err:?}"
        );
        assert_helpful(
            &err,
            &["CONVENE_MASTER_KEYS entry 1 is not kid:base64"],
            &[KEY_A],
        );

        let err = parse_err(&format!("k1:{KEY_A},{KEY_B}"));
        assert!(
            matches!(err, KeyRingError::NotKidColonKey { entry: 2 }),
            "{err:?}"
        );
        assert_helpful(
            &err,
            &["CONVENE_MASTER_KEYS entry 2 is not kid:base64"],
            &[KEY_A, KEY_B],
        );
    }

    #[test]
    fn parse_error_bad_base64() {
        let bad = "not*base64*at*all*but*forty*four*chars*long";
        let err = parse_err(&format!("k1:{bad}"));
        assert!(
            matches!(&err, KeyRingError::BadBase64 { kid, entry: 1 } if kid == "k1"),
            "{err:?}"
        );
        assert_helpful(&err, &["'k1'", "base64", "openssl rand -base64 32"], &[bad]);
        // The base64 crate's own error would name the offending byte; make sure it is not passed on.
        assert!(!err.to_string().contains("offset"), "{err}");
        // Mixing alphabets within one key is not accepted either.
        let mixed = "+-v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/v7+/s=";
        assert!(matches!(
            parse_err(&format!("k1:{mixed}")),
            KeyRingError::BadBase64 { .. }
        ));
    }

    #[test]
    fn parse_error_wrong_length() {
        let short = "AAAAAAAAAAAAAAAAAAAAAA=="; // 16 bytes
        let err = parse_err(&format!("k1:{short}"));
        assert!(
            matches!(&err, KeyRingError::WrongLength { kid, len: 16 } if kid == "k1"),
            "{err:?}"
        );
        assert_helpful(
            &err,
            &[
                "key 'k1' is 16 bytes; AES-256 needs 32 (generate one with `openssl rand -base64 32`)",
            ],
            &[short],
        );
        let long = STANDARD.encode([7u8; 48]);
        let err = parse_err(&format!("k1:{KEY_A},k2:{long}"));
        assert!(
            matches!(&err, KeyRingError::WrongLength { kid, len: 48 } if kid == "k2"),
            "{err:?}"
        );
        assert_helpful(&err, &["'k2'", "48 bytes", "32"], &[KEY_A, &long]);
        let err = parse_err("k1:");
        assert!(
            matches!(&err, KeyRingError::WrongLength { len: 0, .. }),
            "{err:?}"
        );
    }

    #[test]
    fn parse_error_duplicate_kid() {
        let err = parse_err(&format!("k1:{KEY_A},k2:{KEY_B},k1:{KEY_C_STD}"));
        assert!(
            matches!(&err, KeyRingError::DuplicateKeyId { kid, first: 1, second: 3 } if kid == "k1"),
            "{err:?}"
        );
        assert_helpful(
            &err,
            &["'k1'", "twice", "new id"],
            &[KEY_A, KEY_B, KEY_C_STD],
        );
    }

    #[test]
    fn parse_error_bad_kid() {
        let too_long = "k".repeat(33);
        for (kid, entry_text) in [
            ("", format!(":{KEY_A}")),
            ("k 1", format!("k 1:{KEY_A}")),
            ("k.1", format!("k.1:{KEY_A}")),
            ("kö", format!("kö:{KEY_A}")),
            (too_long.as_str(), format!("{too_long}:{KEY_A}")),
        ] {
            let err = parse_err(&entry_text);
            assert!(
                matches!(err, KeyRingError::BadKeyId { entry: 1, .. }),
                "{kid:?}: {err:?}"
            );
            assert_helpful(
                &err,
                &["entry 1", "key id", "A-Z, a-z, 0-9, '_' or '-'"],
                &[KEY_A],
            );
        }
        // Key and id swapped: the key text lands in the id and must not be echoed.
        let err = parse_err(&format!("{KEY_C_STD}:k1"));
        assert!(matches!(err, KeyRingError::BadKeyId { .. }), "{err:?}");
        assert_helpful(&err, &["invalid key id"], &[KEY_C_STD]);
        // 32 characters is fine.
        ring(&format!("{}:{KEY_A}", "k".repeat(32)));
    }

    #[test]
    fn parse_accepts_alphabets_padding_and_whitespace() {
        let url_unpadded = KEY_C_STD
            .replace('+', "-")
            .replace('/', "_")
            .replace('=', "");
        let std_unpadded = KEY_C_STD.trim_end_matches('=');
        let r = ring(&format!(
            " a:{KEY_C_STD} , b : {url_unpadded},c:{std_unpadded}\n"
        ));
        assert_eq!(r.active_key_id(), "a");
        assert_eq!(r.key_ids().collect::<Vec<_>>(), ["a", "b", "c"]);
        // All three decode to the same bytes: a blob sealed under `a`, with its
        // header (and so the AAD) left alone, opens with the same key.
        let blob = r.seal(b"x", &ACCESS);
        let only_b = ring(&format!("a:{url_unpadded}"));
        assert_eq!(
            only_b.open(&blob, &ACCESS).expect("opens").expose_secret(),
            b"x"
        );
    }

    #[test]
    fn rotation_opens_old_blobs_and_reseals() {
        let old = ring(&format!("old:{KEY_A}"));
        let rotated = ring(&format!("new:{KEY_B},old:{KEY_A}"));
        assert_eq!(rotated.active_key_id(), "new");

        let old_blob = old.seal(b"refresh-token", &ACCESS);
        assert_eq!(
            rotated
                .open(&old_blob, &ACCESS)
                .expect("opens")
                .expose_secret(),
            b"refresh-token"
        );

        let resealed = rotated
            .reseal(&old_blob, &ACCESS)
            .expect("reseal")
            .expect("needs reseal");
        assert_eq!(sealed_key_id(&resealed).expect("kid"), "new");
        assert_eq!(
            rotated
                .open(&resealed, &ACCESS)
                .expect("opens")
                .expose_secret(),
            b"refresh-token"
        );
        assert!(
            rotated
                .reseal(&resealed, &ACCESS)
                .expect("reseal")
                .is_none()
        );

        let fresh = rotated.seal(b"v", &ACCESS);
        assert!(rotated.reseal(&fresh, &ACCESS).expect("reseal").is_none());

        // Reseal still authenticates: a blob under the active key but for another row fails.
        let elsewhere = SealContext::new(Purpose::ZoomAccessToken, "row-2");
        assert!(matches!(
            rotated.reseal(&fresh, &elsewhere),
            Err(VaultError::Rejected)
        ));

        // Once the old key is dropped, old blobs name it.
        let new_only = ring(&format!("new:{KEY_B}"));
        assert!(
            matches!(new_only.open(&old_blob, &ACCESS), Err(VaultError::UnknownKey(k)) if k == "old")
        );
        assert!(new_only.open(&resealed, &ACCESS).is_ok());
    }

    #[test]
    fn debug_shows_only_key_ids() {
        let r = ring(&format!("new:{KEY_B},old:{KEY_A}"));
        let dbg = format!("{r:?}");
        assert!(dbg.contains("new") && dbg.contains("old"), "{dbg}");
        for key in [KEY_A, KEY_B] {
            assert!(
                !dbg.contains(key) && !dbg.contains(&key[..8]),
                "{dbg} leaks key"
            );
        }
        assert!(
            !dbg.contains("0x11") && !dbg.contains("17, 17"),
            "{dbg} leaks key bytes"
        );
        let clone = r.clone();
        assert_eq!(format!("{clone:?}"), dbg);
        let blob = r.seal(b"x", &ACCESS);
        assert!(clone.open(&blob, &ACCESS).is_ok());
    }

    #[test]
    fn generate_spec_parses_and_is_fresh() {
        let spec = KeyRing::generate_spec();
        let (kid, key) = spec.split_once(':').expect("kid:key");
        assert_eq!(kid.len(), 13, "{kid}");
        assert!(kid.starts_with('k'));
        assert!(kid[1..9].bytes().all(|b| b.is_ascii_digit()), "{kid}");
        assert!(kid[9..].bytes().all(|b| b.is_ascii_hexdigit()), "{kid}");
        let today = time::OffsetDateTime::now_utc().date();
        assert!(
            kid[1..5] == today.year().to_string() || kid[1..5] == (today.year() - 1).to_string()
        );
        assert_eq!(key.len(), 44);
        let r = ring(&spec);
        assert_eq!(r.active_key_id(), kid);
        let blob = r.seal(b"x", &ACCESS);
        assert_eq!(r.open(&blob, &ACCESS).expect("opens").expose_secret(), b"x");
        assert_ne!(KeyRing::generate_spec(), spec);
    }

    #[test]
    fn purpose_names() {
        assert_eq!(Purpose::ZoomAccessToken.as_str(), "zoom_access_token");
        assert_eq!(Purpose::ZoomRefreshToken.as_str(), "zoom_refresh_token");
        assert_eq!(Purpose::WebhookSecret.as_str(), "webhook_secret");
        assert_eq!(Purpose::PkceVerifier.as_str(), "pkce_verifier");
        assert_eq!(Purpose::PkceVerifier.to_string(), "pkce_verifier");
        assert_eq!(
            Purpose::ConnectSessionToken.as_str(),
            "connect_session_token"
        );
    }
}
