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
use crate::domain::Timestamp;
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
        let presented = bearer_token(parts).ok_or(ApiError::Unauthorized(
            "Send your API key as `Authorization: Bearer cvk_…`.",
        ))?;
        let caller = match tenancy::authenticate(&state.store, presented).await? {
            Ok(caller) => caller,
            Err(Rejection::UnknownKey) => {
                return Err(ApiError::Unauthorized(
                    "The API key is malformed, unknown or revoked.",
                ));
            }
            Err(Rejection::Suspended) => {
                return Err(ApiError::Forbidden(
                    "This application is suspended; contact the hub's operator.",
                ));
            }
        };
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
