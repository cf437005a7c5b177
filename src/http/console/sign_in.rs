//! Signing operators in and out of the console.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::super::hosted::cookies;
use super::super::state::AppState;
use super::guard::{
    CSRF, ClientAddress, Posted, Refusal, SESSION_COOKIE, SIGN_IN_PATH, checked_form, page,
    page_with_status, set_session_cookie,
};
use crate::domain::Timestamp;
use crate::operators::{self, SignIn};

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage<'a> {
    csrf: &'a str,
    email: &'a str,
    problem: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// `GET /admin/sign_in`.
pub async fn show(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let csrf = CSRF.value(&headers);
    page(
        &state,
        &csrf,
        &SignInPage {
            csrf: &csrf,
            email: "",
            problem: None,
        },
    )
}

/// `POST /admin/sign_in`: a session on the right password, else the form again — refused, or
/// throttled after too many failures from this client.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddress(client): ClientAddress,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refusal> {
    let form: SignInForm = checked_form(&state, &headers, &body)?;
    let csrf = CSRF.value(&headers);
    let again = |status, problem: String| {
        page_with_status(
            &state,
            status,
            &csrf,
            &SignInPage {
                csrf: &csrf,
                email: &form.email,
                problem: Some(problem),
            },
        )
    };
    match operators::sign_in(&state.store, &form.email, &form.password, client).await? {
        SignIn::Admitted(token) => {
            let mut response = Redirect::to("/admin").into_response();
            set_session_cookie(&state, &mut response, Some(token.0.expose()));
            Ok(response)
        }
        SignIn::Refused => Ok(again(
            StatusCode::UNAUTHORIZED,
            "That email and password do not match an operator account.".to_owned(),
        )),
        SignIn::Throttled { until } => {
            let wait_seconds = ((until.0 - Timestamp::now().0).max(1) + 999) / 1000;
            let mut response = again(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many failed sign-ins from here. Try again in {} minute(s).",
                    (wait_seconds + 59) / 60
                ),
            );
            if let Ok(value) = HeaderValue::from_str(&wait_seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            Ok(response)
        }
    }
}

/// `POST /admin/sign_out`: ends the session and clears its cookie.
pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
    _: Posted<serde::de::IgnoredAny>,
) -> Result<Response, Refusal> {
    if let Some(presented) = cookies::read(&headers, SESSION_COOKIE) {
        operators::end_session(&state.store, presented).await?;
    }
    let mut response = Redirect::to(SIGN_IN_PATH).into_response();
    set_session_cookie(&state, &mut response, None);
    Ok(response)
}
