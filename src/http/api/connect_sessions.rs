//! `POST /v1/connect_sessions` and `GET /v1/connect_sessions/{id}`: single-use
//! tickets that send one end user to the hosted connect page.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::domain::credentials::sha256_hex;
use crate::domain::{EmailAddress, EndUserId, FieldError, Timestamp, UrlToken, new_id};
use crate::http::auth::ApiCaller;
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::http::state::AppState;
use crate::store::connect_sessions::{ConnectSession, NewConnectSession};
use crate::store::end_users::EndUserDetails;
use crate::tenancy;
use crate::vault::{Purpose, SealContext};

/// Longest `state` an application may pass through.
const MAX_STATE: usize = 2048;

#[derive(Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CreateConnectSession {
    end_user_id: String,
    redirect_uri: String,
    state: Option<String>,
    provider: Option<String>,
    end_user_email: Option<String>,
    end_user_name: Option<String>,
}

#[derive(Serialize)]
struct CreatedSession {
    id: String,
    url: String,
    expires_at: Timestamp,
}

/// Starts connecting an end user. With an `Idempotency-Key` already used, the
/// same body gets the same session and a different body a 422.
#[utoipa::path(
    post,
    path = "/v1/connect_sessions",
    operation_id = "create_connect_session",
    tag = "connect",
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key and body get the same session.")),
    request_body = super::schemas::ConnectSessionRequest,
    responses((status = 201, description = "Send the end user's browser to `url`.", body = super::schemas::ConnectSession)),
)]
pub async fn create(
    caller: ApiCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<CreateConnectSession>,
) -> Result<impl IntoResponse, ApiError> {
    let application = &caller.0.application;
    let idempotency_key = idempotency_key(&headers)?;
    let request_hash = sha256_hex(&serde_json::to_vec(&body).map_err(anyhow::Error::from)?);
    let details =
        parse(&body, &tenancy::redirect_uris(application)).map_err(ApiError::Validation)?;

    let id = new_id("cs");
    let token = UrlToken::generate();
    let now = Timestamp::now();
    let session = ConnectSession {
        token_sealed: state.vault.seal_str(token.expose(), &token_context(&id)),
        token_hash: token.hash(),
        id,
        application_id: application.id.clone(),
        end_user_id: String::new(),
        redirect_uri: body.redirect_uri.clone(),
        app_state: body.state.clone(),
        oauth_state_hash: None,
        pkce_verifier: None,
        idempotency_key,
        request_hash: Some(request_hash.clone()),
        expires_at: Timestamp(now.0 + state.config.tuning.connect_session_ttl.as_millis() as i64),
        consumed_at: None,
        created_at: now,
    };
    let stored = state
        .store
        .insert_connect_session(NewConnectSession {
            session,
            end_user: details,
        })
        .await?;
    if stored.request_hash.as_deref() != Some(request_hash.as_str()) {
        return Err(ApiError::field(
            "Idempotency-Key",
            "was already used with a different request body",
        ));
    }
    let token = state
        .vault
        .open_str(&stored.token_sealed, &token_context(&stored.id))
        .map_err(|e| anyhow::anyhow!("connect session token does not open: {e}"))?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedSession {
            url: connect_url(&state, &token),
            id: stored.id,
            expires_at: stored.expires_at,
        }),
    ))
}

#[derive(Serialize)]
struct SessionView {
    id: String,
    status: &'static str,
    expires_at: Timestamp,
}

/// Where one of the application's sessions stands.
#[utoipa::path(
    get,
    path = "/v1/connect_sessions/{id}",
    operation_id = "get_connect_session",
    tag = "connect",
    params(("id" = String, Path, description = "The session's id.")),
    responses(
        (status = 200, description = "`open`, `used` or `expired`.", body = super::schemas::ConnectSessionState),
        (status = 404, description = "No such session of this application.", body = super::schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn show(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let session = state
        .store
        .find_connect_session(caller.application_id(), &id)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such connect session.".to_owned()))?;
    let status = if session.consumed_at.is_some() {
        "used"
    } else if session.expires_at <= Timestamp::now() {
        "expired"
    } else {
        "open"
    };
    Ok(Json(SessionView {
        id: session.id,
        status,
        expires_at: session.expires_at,
    }))
}

fn parse(
    body: &CreateConnectSession,
    registered: &[String],
) -> Result<EndUserDetails, Vec<FieldError>> {
    let mut errors = Vec::new();
    let end_user_id = EndUserId::parse(&body.end_user_id)
        .map_err(|e| errors.push(e))
        .ok();
    // Exact match only: no prefix, path, query or scheme leeway (open redirects).
    if !registered.contains(&body.redirect_uri) {
        errors.push(FieldError::new(
            "redirect_uri",
            "is not one of this application's registered redirect URIs (exact match)",
        ));
    }
    if body.state.as_ref().is_some_and(|s| s.len() > MAX_STATE) {
        errors.push(FieldError::new("state", "must be at most 2048 characters"));
    }
    if body.provider.as_deref().is_some_and(|p| p != "zoom") {
        errors.push(FieldError::new("provider", "must be \"zoom\""));
    }
    let email = body
        .end_user_email
        .as_deref()
        .map(|email| EmailAddress::parse(email, "end_user_email"))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if body
        .end_user_name
        .as_ref()
        .is_some_and(|n| n.chars().count() > 200)
    {
        errors.push(FieldError::new(
            "end_user_name",
            "must be at most 200 characters",
        ));
    }
    match end_user_id {
        Some(end_user_id) if errors.is_empty() => Ok(EndUserDetails {
            external_id: end_user_id.as_str().to_owned(),
            email: email.map(|email| email.as_str().to_owned()),
            name: body.end_user_name.clone(),
        }),
        _ => Err(errors),
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= 255 => Ok(Some(key.to_owned())),
        _ => Err(ApiError::field(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        )),
    }
}

fn token_context(session_id: &str) -> SealContext<'_> {
    SealContext {
        purpose: Purpose::ConnectSessionToken,
        row_id: session_id,
    }
}

fn connect_url(state: &AppState, token: &SecretString) -> String {
    format!(
        "{}/connect/{}",
        state.public_url.as_str().trim_end_matches('/'),
        token.expose_secret()
    )
}
