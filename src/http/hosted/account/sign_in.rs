//! The ways into the account page and out of it: an application's single-use link
//! (`GET /account/link?token=…`), *Sign in with Zoom* (`POST /account/sign_in`, finished by
//! Zoom's return to the shared callback), and `POST /account/sign_out`.
//!
//! The link's token rides in the query, not the path: request logs carry paths only.

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;

use super::super::page::{PageError, render};
use super::super::zoom_return::{self, ZoomReturn};
use super::{SESSION_COOKIE, check_form, incomplete_form, is_https, protect, set_session_cookie};
use crate::conferencing::SignedInWithZoom;
use crate::domain::{Timestamp, UrlToken, new_id};
use crate::http::hosted::cookies;
use crate::http::state::AppState;
use crate::store::account::{AccountSession, AccountSignin, LinkSignIn};
use crate::vault::{Purpose, SealContext};

/// How long a trip through Zoom's sign-in may take.
const SIGN_IN_TTL_MS: i64 = 10 * 60 * 1000;

#[derive(Deserialize)]
pub struct LinkToken {
    token: Option<String>,
}

/// `GET /account/link?token=…`: an application's link; used up at once, it signs the
/// browser in as that application's end user and goes on to the page.
pub async fn with_link(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<LinkToken>, QueryRejection>,
) -> Result<Response, PageError> {
    let not_valid = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that you opened the whole link, or go back to the app and open your account page again.",
        )
    };
    let token = query
        .ok()
        .and_then(|Query(q)| q.token)
        .filter(|t| !t.is_empty())
        .ok_or_else(not_valid)?;
    let now = Timestamp::now();
    let (session, session_token) = new_session(&state, now);
    let seconds = seconds_until(session.expires_at, now);
    match state
        .store
        .sign_in_with_account_link(&UrlToken::hash_of(&token), session, now)
        .await?
    {
        LinkSignIn::Unknown => Err(not_valid()),
        LinkSignIn::UsedOrExpired { application_name } => Err(PageError::new(
            StatusCode::GONE,
            "This link has expired",
            format!(
                "It was already used or is too old. Go back to {application_name} and open your account page again."
            ),
        )),
        LinkSignIn::SignedIn => {
            Ok(signed_in(&state, &headers, session_token.expose(), seconds).await)
        }
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    csrf: String,
}

/// `POST /account/sign_in`: *Sign in with Zoom* goes to Zoom's authorize page.
pub async fn start_sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| incomplete_form())?;
    check_form(&state, &headers, &form.csrf)?;
    let start = state.zoom_oauth.start_authorization();
    let now = Timestamp::now();
    let id = new_id("asi");
    let verifier = state.vault.seal_str(
        start.pkce_verifier.expose_secret(),
        &SealContext {
            purpose: Purpose::PkceVerifier,
            row_id: &id,
        },
    );
    state
        .store
        .insert_account_signin(AccountSignin {
            id,
            oauth_state_hash: UrlToken::hash_of(start.state.expose_secret()),
            pkce_verifier: verifier,
            expires_at: Timestamp(now.0 + SIGN_IN_TTL_MS),
            consumed_at: None,
            created_at: now,
        })
        .await?;
    let mut response = Redirect::to(start.url.as_str()).into_response();
    zoom_return::remember_state(
        &mut response,
        start.state.expose_secret(),
        SIGN_IN_TTL_MS / 1000,
        is_https(&state),
    );
    protect(&mut response);
    Ok(response)
}

/// Zoom's return from *Sign in with Zoom*, dispatched here by the shared callback when the
/// `state` is no connect session's.
pub async fn finish_sign_in(
    state: &AppState,
    headers: &HeaderMap,
    returned: ZoomReturn,
) -> Result<Response, PageError> {
    let not_valid = || {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "It is incomplete, was already used, or did not start here. Go back to the app, or to your account page, and start again.",
        )
    };
    let oauth_state = returned
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(not_valid)?;
    let signin = state
        .store
        .find_account_signin_by_oauth_state(&UrlToken::hash_of(oauth_state))
        .await?
        .ok_or_else(not_valid)?;
    if !zoom_return::is_same_browser(headers, oauth_state) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Please start again",
            "This sign-in did not start in this browser. Open your account page and sign in again.",
        ));
    }
    if !state
        .store
        .consume_account_signin(&signin.id, Timestamp::now())
        .await?
    {
        return Err(not_valid());
    }
    let mut response = match finish(state, headers, &signin, returned).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    };
    zoom_return::forget_state(&mut response, is_https(state));
    protect(&mut response);
    Ok(response)
}

/// With the sign-in used up: who Zoom says the user is, and their session.
async fn finish(
    state: &AppState,
    headers: &HeaderMap,
    signin: &AccountSignin,
    returned: ZoomReturn,
) -> Result<Response, PageError> {
    let zoom_failed = || {
        PageError::new(
            StatusCode::BAD_GATEWAY,
            "Zoom could not sign you in",
            "Zoom did not complete the sign-in. Open your account page and try again in a moment.",
        )
    };
    if let Some(error) = returned.error {
        tracing::info!(%error, "Sign in with Zoom not granted");
        if error == "access_denied" {
            return Ok(Redirect::to("/account?notice=signin_cancelled").into_response());
        }
        return Err(zoom_failed());
    }
    let code = returned.code.ok_or_else(zoom_failed)?;
    let verifier = state
        .vault
        .open_str(
            &signin.pkce_verifier,
            &SealContext {
                purpose: Purpose::PkceVerifier,
                row_id: &signin.id,
            },
        )
        .map_err(|error| anyhow::anyhow!("PKCE verifier of a sign-in does not open: {error}"))?;
    match state.connections().sign_in(&code, &verifier).await {
        Ok(SignedInWithZoom::Known { zoom_user_id }) => {
            let now = Timestamp::now();
            let (session, session_token) = new_session(state, now);
            let seconds = seconds_until(session.expires_at, now);
            state
                .store
                .insert_account_session(AccountSession {
                    provider_user_id: Some(zoom_user_id),
                    ..session
                })
                .await?;
            Ok(signed_in(state, headers, session_token.expose(), seconds).await)
        }
        Ok(SignedInWithZoom::NoAccount) => {
            let page = NoAccountPage {};
            Ok((StatusCode::OK, render(&page)).into_response())
        }
        Err(error) => {
            tracing::warn!(error = %error, "Sign in with Zoom failed");
            Err(zoom_failed())
        }
    }
}

#[derive(askama::Template)]
#[template(path = "hosted/account_no_account.html")]
struct NoAccountPage {}

/// `POST /account/sign_out`: ends the session.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<SignInForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(form) = form.map_err(|_| incomplete_form())?;
    check_form(&state, &headers, &form.csrf)?;
    if let Some(token) = cookies::read(&headers, SESSION_COOKIE).filter(|t| !t.is_empty()) {
        state
            .store
            .delete_account_session(&UrlToken::hash_of(token))
            .await?;
    }
    let mut response = Redirect::to("/account?notice=signed_out").into_response();
    set_session_cookie(&state, &mut response, "", 0);
    protect(&mut response);
    Ok(response)
}

/// A new session (naming nobody yet) and the token its cookie carries.
fn new_session(state: &AppState, now: Timestamp) -> (AccountSession, UrlToken) {
    let token = UrlToken::generate();
    let lifetime =
        i64::try_from(state.config.tuning.account_session_ttl.as_millis()).unwrap_or(i64::MAX);
    let session = AccountSession {
        id: new_id("acs"),
        token_hash: token.hash(),
        application_id: None,
        end_user_id: None,
        provider_user_id: None,
        expires_at: Timestamp(now.0.saturating_add(lifetime)),
        created_at: now,
    };
    (session, token)
}

fn seconds_until(at: Timestamp, now: Timestamp) -> i64 {
    (at.0 - now.0) / 1000
}

/// Sets the new session's cookie, ends the browser's previous session, and goes to the page.
async fn signed_in(state: &AppState, headers: &HeaderMap, token: &str, seconds: i64) -> Response {
    if let Some(previous) = cookies::read(headers, SESSION_COOKIE).filter(|t| !t.is_empty())
        && let Err(error) = state
            .store
            .delete_account_session(&UrlToken::hash_of(previous))
            .await
    {
        tracing::warn!(error = ?error, "could not end the previous account session");
    }
    let mut response = Redirect::to("/account").into_response();
    set_session_cookie(state, &mut response, token, seconds);
    protect(&mut response);
    response
}
