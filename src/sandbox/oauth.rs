//! Zoom's OAuth token endpoints: `POST /oauth/token` (authorization code and refresh token
//! grants) and `POST /oauth/revoke`, with Basic client authentication and Zoom's
//! `{"reason","error"}` error bodies.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::Emulator;
use super::form::Fields;
use super::gate::LedgerUser;
use super::tokens::{ACCESS_TOKEN_SECONDS, CodeRejection, TokenPair};

/// The scopes the emulator's app holds.
pub(crate) const SCOPES: &str = "meeting:read meeting:write user:read";

/// The token endpoints.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/oauth/token", post(token))
        .route("/oauth/revoke", post(revoke))
}

/// An OAuth error in Zoom's shape.
struct OAuthError {
    status: StatusCode,
    reason: String,
    error: &'static str,
}

impl OAuthError {
    fn invalid_request(reason: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            reason: reason.into(),
            error: "invalid_request",
        }
    }

    fn invalid_grant() -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            reason: "Invalid Token!".to_owned(),
            error: "invalid_grant",
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"reason": self.reason, "error": self.error});
        no_store((self.status, axum::Json(body)).into_response())
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Whether the request carries `Authorization: Basic base64(client_id:client_secret)` of the app.
fn client_authenticated(emulator: &Emulator, headers: &HeaderMap) -> bool {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let Some((client_id, client_secret)) =
        credentials.as_deref().and_then(|text| text.split_once(':'))
    else {
        return false;
    };
    let config = emulator.config();
    let id_matches = client_id.as_bytes().ct_eq(config.client_id.as_bytes());
    let secret_matches = client_secret
        .as_bytes()
        .ct_eq(config.client_secret.as_bytes());
    bool::from(id_matches & secret_matches)
}

fn invalid_client() -> Response {
    let error = OAuthError {
        status: StatusCode::UNAUTHORIZED,
        reason: "Invalid client_id or client_secret".to_owned(),
        error: "invalid_client",
    };
    error.into_response()
}

async fn token(
    State(emulator): State<Emulator>,
    ledger: LedgerUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !client_authenticated(&emulator, &headers) {
        return invalid_client();
    }
    let form = Fields::parse(&body);
    let outcome = match form.get("grant_type") {
        Some("authorization_code") => authorization_code(&emulator, &form),
        Some("refresh_token") => refresh_token(&emulator, &form),
        _ => Err(OAuthError {
            status: StatusCode::BAD_REQUEST,
            reason: "Unsupported grant type".to_owned(),
            error: "unsupported_grant_type",
        }),
    };
    match outcome {
        Ok((user_id, pair)) => {
            ledger.set(&user_id);
            issued(&emulator, &pair)
        }
        Err(error) => error.into_response(),
    }
}

fn authorization_code(
    emulator: &Emulator,
    form: &Fields,
) -> Result<(String, TokenPair), OAuthError> {
    let code = form.get("code").unwrap_or_default();
    let mut world = emulator.world();
    let now = world.now();
    let redeemed = world.grants.redeem_code(
        code,
        form.get("redirect_uri"),
        form.get("code_verifier"),
        now,
    );
    drop(world);
    redeemed.map_err(|rejection| match rejection {
        CodeRejection::Unknown => {
            OAuthError::invalid_request(format!("Invalid authorization code {code}"))
        }
        CodeRejection::Expired => OAuthError::invalid_request(format!(
            "Invalid authorization code {code} (4733: the code has expired)"
        )),
        CodeRejection::RedirectMismatch => OAuthError::invalid_request(
            "Redirect URI mismatch (4709): redirect_uri must match the authorization's",
        ),
        CodeRejection::VerifierMismatch => OAuthError::invalid_request("Invalid code_verifier"),
    })
}

fn refresh_token(emulator: &Emulator, form: &Fields) -> Result<(String, TokenPair), OAuthError> {
    let presented = form.get("refresh_token").unwrap_or_default();
    let mut world = emulator.world();
    let now = world.now();
    world
        .grants
        .refresh(presented, now)
        .ok_or_else(OAuthError::invalid_grant)
}

fn issued(emulator: &Emulator, pair: &TokenPair) -> Response {
    let body = json!({
        "access_token": pair.access_token,
        "token_type": "bearer",
        "refresh_token": pair.refresh_token,
        "expires_in": ACCESS_TOKEN_SECONDS,
        "scope": SCOPES,
        "api_url": emulator.base(),
    });
    no_store(axum::Json(body).into_response())
}

async fn revoke(
    State(emulator): State<Emulator>,
    ledger: LedgerUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !client_authenticated(&emulator, &headers) {
        return invalid_client();
    }
    let form = Fields::parse(&body);
    let token = form.get("token").unwrap_or_default();
    let revoked = emulator.world().grants.revoke_access_token(token);
    match revoked {
        Some(user_id) => {
            ledger.set(&user_id);
            no_store(axum::Json(json!({"status": "success"})).into_response())
        }
        None => OAuthError {
            error: "invalid_request",
            ..OAuthError::invalid_grant()
        }
        .into_response(),
    }
}
