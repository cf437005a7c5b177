//! Extractors that say who is calling: [`ApiCaller`] for `/v1` (an application,
//! by API key) and [`Operator`] for `/admin/api` (the admin token).

use std::num::NonZeroU32;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::problem::ApiError;
use super::state::AppState;
use crate::domain::{KeyHash, Timestamp};
use crate::store::applications::{ApiKeyRecord, Application};
use crate::tenancy::{self, Caller, Rejection};

/// The application calling `/v1`. Every query a handler makes is scoped by it.
pub struct ApiCaller(pub Caller);

impl ApiCaller {
    /// The calling application's id.
    pub fn application_id(&self) -> &str {
        &self.0.application.id
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        PresentedKey::from_request_parts(parts, state)
            .await?
            .check(state)
            .await
    }
}

/// A `/v1` API key as presented, key-shaped but not yet looked up: for the hot paths, whose
/// one read of what the request needs also finds the key (see [`PresentedKey::admit`]).
/// A request without one, or with a bearer token that cannot be a key, is 401 here.
pub struct PresentedKey(KeyHash);

impl FromRequestParts<AppState> for PresentedKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let presented = bearer_token(parts).ok_or(ApiError::Unauthorized(
            "Send your API key as `Authorization: Bearer cvk_…`.",
        ))?;
        if !KeyHash::is_key_shaped(presented) {
            return Err(rejected(Rejection::UnknownKey));
        }
        Ok(Self(KeyHash::of(presented)))
    }
}

impl PresentedKey {
    /// The hash the store looks the key up by.
    pub fn hash(&self) -> &str {
        self.0.as_str()
    }

    /// Admits the caller whose live key (and application) the request's read found for
    /// this key (`None`: unknown or revoked), under the caller's rate limit.
    pub fn admit(
        &self,
        state: &AppState,
        found: Option<(ApiKeyRecord, Application)>,
    ) -> Result<ApiCaller, ApiError> {
        under_rate_limit(state, tenancy::admit(found))
    }

    /// Looks the key up on its own and admits its caller.
    pub async fn check(&self, state: &AppState) -> Result<ApiCaller, ApiError> {
        let verdict = tenancy::authenticate(&state.store, &self.0).await?;
        under_rate_limit(state, verdict)
    }

    /// The answer to a request found bad before its key was looked up: the key's own
    /// rejection when it admits no one (so a caller without a working key learns nothing
    /// about the request), else `error`.
    pub async fn refuse(&self, state: &AppState, error: ApiError) -> ApiError {
        match self.check(state).await {
            Ok(_) => error,
            Err(rejection) => rejection,
        }
    }
}

/// The admitted caller, unless its key is past its rate limit (429); the answer to a key
/// that admits no one.
fn under_rate_limit(
    state: &AppState,
    verdict: Result<Caller, Rejection>,
) -> Result<ApiCaller, ApiError> {
    let caller = verdict.map_err(rejected)?;
    let own_limit = caller
        .application
        .rate_limit_per_second
        .and_then(|limit| u32::try_from(limit).ok())
        .and_then(NonZeroU32::new);
    state
        .rate_limits
        .check(&caller.key_id, own_limit)
        .map_err(|retry_after| ApiError::RateLimited { retry_after })?;
    state.key_usage.record(&caller.key_id, Timestamp::now());
    Ok(ApiCaller(caller))
}

/// The answer to a key that admits no one.
fn rejected(rejection: Rejection) -> ApiError {
    match rejection {
        Rejection::UnknownKey => {
            ApiError::Unauthorized("The API key is malformed, unknown or revoked.")
        }
        Rejection::Suspended => {
            ApiError::Forbidden("This application is suspended; contact the hub's operator.")
        }
    }
}

/// The operator, proven by `CONVENE_ADMIN_TOKEN`. Without a configured token the
/// admin API does not exist (404).
pub struct Operator;

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = &state.config.admin_token else {
            return Err(ApiError::NotFound("No such resource.".to_owned()));
        };
        let presented = bearer_token(parts).ok_or(ApiError::Unauthorized(
            "Send the admin token as `Authorization: Bearer <CONVENE_ADMIN_TOKEN>`.",
        ))?;
        // Comparing digests keeps the comparison constant-time whatever the lengths.
        let matches: bool = Sha256::digest(presented.as_bytes())
            .ct_eq(&Sha256::digest(expected.expose_secret().as_bytes()))
            .into();
        if matches {
            Ok(Operator)
        } else {
            Err(ApiError::Unauthorized("The admin token is wrong."))
        }
    }
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive).
fn bearer_token(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}
