//! The hosted connect flow: the page an application sends its end user to,
//! *Connect Zoom* or *Skip for now*, and Zoom's return to
//! `/connect/zoom/callback`. Every way out ends in a redirect to the
//! application, except when the session itself is unusable: then an error page.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use secrecy::ExposeSecret;
use serde::Deserialize;
use url::Url;

use super::cookies;
use super::csrf::{CsrfCookie, Forgery};
use super::page::{PageError, no_store, render};
use super::zoom_return::{self, ZoomReturn};
use crate::domain::{Timestamp, UrlToken};
use crate::http::state::AppState;
use crate::store::applications::Application;
use crate::store::connect_sessions::ConnectSession;
use crate::vault::{Purpose, SealContext};

const CSRF: CsrfCookie = CsrfCookie {
    name: "convene_csrf",
    path: "/connect",
};

#[derive(askama::Template)]
#[template(path = "hosted/connect.html")]
struct ConnectPage<'a> {
    app_name: &'a str,
    action: &'a str,
    csrf: &'a str,
}

/// `GET /connect/{token}`: what the application asks for, and the two choices.
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let (session, application) = open_session(&state, &token).await?;
    let csrf = CSRF.value(&headers);
    let action = format!("/connect/{token}");
    let page = ConnectPage {
        app_name: &application.name,
        action: &action,
        csrf: &csrf,
    };
    let mut response = render(&page).into_response();
    CSRF.set(
        &mut response,
        &csrf,
        seconds_left(&session),
        is_https(&state),
    );
    no_store(&mut response);
    Ok(response)
}

#[derive(Deserialize)]
pub struct Choice {
    csrf: String,
    choice: String,
}

/// `POST /connect/{token}`: *Connect Zoom* goes to Zoom; *Skip for now* goes
/// back to the application with `error=access_denied`.
pub async fn choose(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Choice>, FormRejection>,
) -> Result<Response, PageError> {
    let Form(choice) = form.map_err(|_| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "That did not work",
            "The form was incomplete. Go back and choose again.",
        )
    })?;
    match CSRF.check(&state.public_url, &headers, &choice.csrf) {
        Ok(()) => {}
        Err(Forgery::CrossSite) => {
            return Err(PageError::new(
                StatusCode::FORBIDDEN,
                "Please try again",
                "This form was sent from another site. Open the link from the app again.",
            ));
        }
        Err(Forgery::TokenMismatch) => {
            return Err(PageError::new(
                StatusCode::FORBIDDEN,
                "Please try again",
                "This page expired in your browser. Go back, reload it and choose again.",
            ));
        }
    }
    let (session, application) = open_session(&state, &token).await?;
    match choice.choice.as_str() {
        "skip" => {
            if !state
                .store
                .consume_connect_session(&session.id, Timestamp::now())
                .await?
            {
                return Err(used_or_expired(&application));
            }
            Ok(back_to_app(&session, &[("error", "access_denied")]))
        }
        "connect" => {
            let start = state.zoom_oauth.start_authorization();
            let verifier = state.vault.seal_str(
                start.pkce_verifier.expose_secret(),
                &SealContext {
                    purpose: Purpose::PkceVerifier,
                    row_id: &session.id,
                },
            );
            let state_hash = UrlToken::hash_of(start.state.expose_secret());
            if !state
                .store
                .start_connect_authorization(&session.id, &state_hash, verifier, Timestamp::now())
                .await?
            {
                return Err(used_or_expired(&application));
            }
            let mut response = Redirect::to(start.url.as_str()).into_response();
            zoom_return::remember_state(
                &mut response,
                start.state.expose_secret(),
                seconds_left(&session),
                is_https(&state),
            );
            Ok(response)
        }
        _ => Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "That did not work",
            "Choose Connect Zoom or Skip for now.",
        )),
    }
}

/// `GET /connect/zoom/callback`: Zoom sends the browser back here, from a connect session
/// or from *Sign in with Zoom* on the account page (the `state` says which).
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ZoomReturn>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let incomplete = || {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "This sign-in link is not valid",
            "It is incomplete, was already used, or did not start here. Go back to the app and connect Zoom again.",
        )
    };
    let Query(returned) = query.map_err(|_| incomplete())?;
    let oauth_state = returned
        .state
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(incomplete)?;
    let Some(session) = state
        .store
        .find_connect_session_by_oauth_state(&UrlToken::hash_of(oauth_state))
        .await?
    else {
        return super::account::finish_sign_in(&state, &headers, returned).await;
    };
    let application = state
        .store
        .find_application(&session.application_id)
        .await?
        .ok_or_else(incomplete)?;
    // The state must come back to the browser that left with it.
    if !zoom_return::is_same_browser(&headers, oauth_state) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Please start again",
            format!(
                "This sign-in did not start in this browser. Go back to {} and connect Zoom again.",
                application.name
            ),
        ));
    }
    let verifier = session.pkce_verifier.clone();
    if !state
        .store
        .consume_connect_session(&session.id, Timestamp::now())
        .await?
    {
        return Err(used_or_expired(&application));
    }
    let mut response = finish(&state, &session, &application, returned, verifier).await;
    zoom_return::forget_state(&mut response, is_https(&state));
    Ok(response)
}

/// With the session used up: connect, or tell the application why not.
async fn finish(
    state: &AppState,
    session: &ConnectSession,
    application: &Application,
    returned: ZoomReturn,
    sealed_verifier: Option<Vec<u8>>,
) -> Response {
    if let Some(error) = returned.error {
        let reason = if error == "access_denied" {
            "access_denied"
        } else {
            "provider_error"
        };
        tracing::info!(%error, "Zoom authorization not granted");
        return back_to_app(session, &[("error", reason)]);
    }
    let (Some(code), Some(sealed_verifier)) = (returned.code, sealed_verifier) else {
        return back_to_app(session, &[("error", "provider_error")]);
    };
    let verifier = match state.vault.open_str(
        &sealed_verifier,
        &SealContext {
            purpose: Purpose::PkceVerifier,
            row_id: &session.id,
        },
    ) {
        Ok(verifier) => verifier,
        Err(error) => {
            tracing::error!(%error, "PKCE verifier does not open");
            return back_to_app(session, &[("error", "provider_error")]);
        }
    };
    match state
        .connections()
        .connect(application, &session.end_user_id, &code, &verifier)
        .await
    {
        Ok(link) => back_to_app(
            session,
            &[
                ("status", "connected"),
                ("link_id", &link.id),
                ("end_user_id", &link.end_user_id),
            ],
        ),
        Err(error) => {
            tracing::warn!(error = %error, "connecting Zoom failed");
            back_to_app(session, &[("error", "provider_error")])
        }
    }
}

/// The session behind a connect URL, if it can still be used.
async fn open_session(
    state: &AppState,
    token: &str,
) -> Result<(ConnectSession, Application), PageError> {
    let not_found = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "Check that you opened the whole link, or go back to the app and start again.",
        )
    };
    let session = state
        .store
        .find_connect_session_by_token(&UrlToken::hash_of(token))
        .await?
        .ok_or_else(not_found)?;
    let application = state
        .store
        .find_application(&session.application_id)
        .await?
        .ok_or_else(not_found)?;
    if session.consumed_at.is_some() || session.expires_at <= Timestamp::now() {
        return Err(used_or_expired(&application));
    }
    Ok((session, application))
}

fn used_or_expired(application: &Application) -> PageError {
    PageError::new(
        StatusCode::GONE,
        "This link has expired",
        format!(
            "It was already used or is too old. Go back to {} and connect Zoom again.",
            application.name
        ),
    )
}

/// 303 to the session's redirect URI with `params` and the application's `state`.
fn back_to_app(session: &ConnectSession, params: &[(&str, &str)]) -> Response {
    let Ok(mut target) = Url::parse(&session.redirect_uri) else {
        return PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "The app's return address is not usable.",
        )
        .into_response();
    };
    {
        let mut query = target.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(app_state) = &session.app_state {
            query.append_pair("state", app_state);
        }
    }
    let mut response = Redirect::to(target.as_str()).into_response();
    no_store(&mut response);
    response
}

fn seconds_left(session: &ConnectSession) -> i64 {
    (session.expires_at.0 - Timestamp::now().0) / 1000
}

fn is_https(state: &AppState) -> bool {
    cookies::secure_for(&state.public_url)
}
