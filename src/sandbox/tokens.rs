//! The OAuth app's grants: authorization codes, access tokens, rotating refresh tokens and
//! which users have authorized the app. Pure state; the HTTP side lives in `oauth.rs`.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::random;

/// Access tokens live an hour, announced as `expires_in: 3599`.
pub(crate) const ACCESS_TOKEN_SECONDS: i64 = 3599;
const CODE_LIFETIME: SignedDuration = SignedDuration::from_mins(5);
/// Expired access tokens are remembered this long, so they answer "expired" and not "invalid".
const EXPIRED_MEMORY: SignedDuration = SignedDuration::from_hours(24);

/// A PKCE `code_challenge` with its method (Zoom defaults the method to `plain`).
#[derive(Clone)]
pub(crate) enum Challenge {
    Plain(String),
    S256(String),
}

impl Challenge {
    fn accepts(&self, verifier: &str) -> bool {
        let (expected, presented) = match self {
            Challenge::Plain(challenge) => (challenge.as_str(), verifier.to_owned()),
            Challenge::S256(challenge) => (
                challenge.as_str(),
                URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            ),
        };
        bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
    }
}

struct AuthorizationCode {
    user_id: String,
    redirect_uri: String,
    challenge: Option<Challenge>,
    expires_at: Timestamp,
}

struct AccessGrant {
    user_id: String,
    expires_at: Timestamp,
}

/// A freshly issued token pair.
pub(crate) struct TokenPair {
    pub(crate) access_token: String,
    pub(crate) refresh_token: String,
}

/// Why an authorization code was not exchanged.
pub(crate) enum CodeRejection {
    /// Never issued, already used, or killed.
    Unknown,
    Expired,
    RedirectMismatch,
    VerifierMismatch,
}

/// What an access token is worth right now.
pub(crate) enum AccessCheck {
    Valid { user_id: String },
    Expired,
    Invalid,
}

/// All grants of the emulator's single OAuth app.
#[derive(Default)]
pub(crate) struct Grants {
    codes: HashMap<String, AuthorizationCode>,
    access: HashMap<String, AccessGrant>,
    /// Live refresh token → user id.
    refresh: HashMap<String, String>,
    refresh_grants: HashMap<String, u64>,
    /// Refresh-token grants refused: unknown, already used or killed tokens.
    refused_refreshes: u64,
    /// User id → when the user authorized the app.
    authorized: HashMap<String, Timestamp>,
}

impl Grants {
    /// Issues a single-use code bound to the user, redirect URI and PKCE challenge.
    pub(crate) fn issue_code(
        &mut self,
        user_id: &str,
        redirect_uri: &str,
        challenge: Option<Challenge>,
        now: Timestamp,
    ) -> String {
        self.codes.retain(|_, code| code.expires_at > now);
        let code = random::secret();
        self.codes.insert(
            code.clone(),
            AuthorizationCode {
                user_id: user_id.to_owned(),
                redirect_uri: redirect_uri.to_owned(),
                challenge,
                expires_at: now + CODE_LIFETIME,
            },
        );
        code
    }

    /// Exchanges a code. Any attempt uses the code up. Success is a new authorization:
    /// every earlier token of that user dies.
    pub(crate) fn redeem_code(
        &mut self,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
        now: Timestamp,
    ) -> Result<(String, TokenPair), CodeRejection> {
        let grant = self.codes.remove(code).ok_or(CodeRejection::Unknown)?;
        if grant.expires_at <= now {
            return Err(CodeRejection::Expired);
        }
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(CodeRejection::RedirectMismatch);
        }
        if let Some(challenge) = &grant.challenge
            && !verifier.is_some_and(|verifier| challenge.accepts(verifier))
        {
            return Err(CodeRejection::VerifierMismatch);
        }
        self.revoke_user(&grant.user_id);
        self.authorized.insert(grant.user_id.clone(), now);
        let pair = self.issue_pair(&grant.user_id, now);
        Ok((grant.user_id, pair))
    }

    /// Rotates a refresh token: the presented one dies at once, earlier access tokens live on.
    pub(crate) fn refresh(
        &mut self,
        refresh_token: &str,
        now: Timestamp,
    ) -> Option<(String, TokenPair)> {
        let Some(user_id) = self.refresh.remove(refresh_token) else {
            self.refused_refreshes += 1;
            return None;
        };
        *self.refresh_grants.entry(user_id.clone()).or_default() += 1;
        let pair = self.issue_pair(&user_id, now);
        Some((user_id, pair))
    }

    /// `POST /oauth/revoke`: the app's authorization by the token's user ends, with all its
    /// tokens. None when the access token is unknown.
    pub(crate) fn revoke_access_token(&mut self, access_token: &str) -> Option<String> {
        let user_id = self.access.get(access_token)?.user_id.clone();
        self.revoke_user(&user_id);
        Some(user_id)
    }

    /// Ends the user's authorization of the app and kills all of its tokens and codes.
    /// True when the user had authorized the app.
    pub(crate) fn revoke_user(&mut self, user_id: &str) -> bool {
        self.access.retain(|_, grant| grant.user_id != user_id);
        self.refresh.retain(|_, owner| owner != user_id);
        self.codes.retain(|_, code| code.user_id != user_id);
        self.authorized.remove(user_id).is_some()
    }

    /// Kills the user's refresh tokens only (as when Zoom expires or revokes them).
    pub(crate) fn kill_refresh_tokens(&mut self, user_id: &str) {
        self.refresh.retain(|_, owner| owner != user_id);
    }

    /// Makes every live access token expired.
    pub(crate) fn expire_access_tokens(&mut self, now: Timestamp) {
        for grant in self.access.values_mut() {
            grant.expires_at = grant.expires_at.min(now);
        }
    }

    /// What a bearer token is worth.
    pub(crate) fn check_access(&self, access_token: &str, now: Timestamp) -> AccessCheck {
        match self.access.get(access_token) {
            None => AccessCheck::Invalid,
            Some(grant) if grant.expires_at <= now => AccessCheck::Expired,
            Some(grant) => AccessCheck::Valid {
                user_id: grant.user_id.clone(),
            },
        }
    }

    /// Successful refresh_token grants for the user.
    pub(crate) fn refresh_grants(&self, user_id: &str) -> u64 {
        self.refresh_grants.get(user_id).copied().unwrap_or(0)
    }

    /// Successful refresh_token grants of every user who had one.
    pub(crate) fn all_refresh_grants(&self) -> &HashMap<String, u64> {
        &self.refresh_grants
    }

    /// Refresh-token grants refused so far (each answered `invalid_grant`).
    pub(crate) fn refused_refreshes(&self) -> u64 {
        self.refused_refreshes
    }

    /// When the user authorized the app, if they currently have.
    pub(crate) fn authorized_at(&self, user_id: &str) -> Option<Timestamp> {
        self.authorized.get(user_id).copied()
    }

    fn issue_pair(&mut self, user_id: &str, now: Timestamp) -> TokenPair {
        self.access
            .retain(|_, grant| grant.expires_at + EXPIRED_MEMORY > now);
        let pair = TokenPair {
            access_token: random::secret(),
            refresh_token: random::secret(),
        };
        self.access.insert(
            pair.access_token.clone(),
            AccessGrant {
                user_id: user_id.to_owned(),
                expires_at: now + SignedDuration::from_secs(ACCESS_TOKEN_SECONDS),
            },
        );
        self.refresh
            .insert(pair.refresh_token.clone(), user_id.to_owned());
        pair
    }
}
