//! What every console page shares: the signed-in operator, CSRF-checked form posts, and
//! rendering with the console's cookies and headers.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use askama::Template;
use axum::body::{Bytes, to_bytes};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::super::hosted::PageError;
use super::super::hosted::cookies;
use super::super::hosted::csrf::CsrfCookie;
use super::super::hosted::page::{no_store, render};
use super::super::state::AppState;
use crate::domain::FieldError;
use crate::operators::{self, SESSION_LIFETIME};
use crate::store::operators::OperatorRecord;

/// The console's session cookie: only its hash is stored.
pub const SESSION_COOKIE: &str = "convene_operator";
/// The console's double-submit CSRF cookie.
pub const CSRF: CsrfCookie = CsrfCookie {
    name: "convene_operator_csrf",
    path: "/admin",
};
/// Where the console's cookies are sent.
pub const COOKIE_PATH: &str = "/admin";
/// The sign-in page, where a request without a live session is sent.
pub const SIGN_IN_PATH: &str = "/admin/sign_in";
/// Largest form body the console reads.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// The operator whose session cookie came with the request, and the CSRF value the page's
/// forms must carry.
pub struct SignedIn {
    pub operator: OperatorRecord,
    pub csrf: String,
}

/// The parts of a page every console template shows: who is signed in, the navigation's
/// current section, and the CSRF value for the sign-out form.
pub struct Chrome {
    pub operator_email: String,
    pub csrf: String,
    pub section: &'static str,
}

impl SignedIn {
    /// The page chrome for a page of `section`.
    pub fn chrome(&self, section: &'static str) -> Chrome {
        Chrome {
            operator_email: self.operator.email.clone(),
            csrf: self.csrf.clone(),
            section,
        }
    }
}

/// Why a console request was not served.
pub enum Refusal {
    /// No live session: go and sign in.
    SignIn,
    /// A destructive action posted without confirmation: go to this, its confirmation page.
    Unconfirmed(String),
    Page(PageError),
}

impl From<PageError> for Refusal {
    fn from(error: PageError) -> Self {
        Self::Page(error)
    }
}

impl From<anyhow::Error> for Refusal {
    fn from(error: anyhow::Error) -> Self {
        Self::Page(error.into())
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::SignIn => Redirect::to(SIGN_IN_PATH).into_response(),
            Self::Unconfirmed(page) => Redirect::to(&page).into_response(),
            Self::Page(error) => error.into_response(),
        }
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Refusal> {
        let presented = cookies::read(&parts.headers, SESSION_COOKIE).ok_or(Refusal::SignIn)?;
        let operator = operators::signed_in_operator(&state.store, presented)
            .await?
            .ok_or(Refusal::SignIn)?;
        Ok(Self {
            operator,
            csrf: CSRF.value(&parts.headers),
        })
    }
}

/// A form posted by a signed-in operator from one of the console's own pages.
pub struct Posted<T> {
    pub signed_in: SignedIn,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Refusal> {
        let (mut parts, body) = request.into_parts();
        let signed_in = SignedIn::from_request_parts(&mut parts, state).await?;
        let body = to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| bad_form())?;
        let form = checked_form(state, &parts.headers, &body)?;
        Ok(Self { signed_in, form })
    }
}

/// A form body that passed the CSRF check, parsed.
pub fn checked_form<T: DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, PageError> {
    #[derive(Deserialize)]
    struct Token {
        #[serde(default)]
        csrf: String,
    }
    let token: Token = serde_urlencoded::from_bytes(body).map_err(|_| bad_form())?;
    CSRF.check(&state.public_url, headers, &token.csrf)
        .map_err(|_| {
            PageError::new(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form did not come from a current console page. Go back, reload the page and try again.",
            )
        })?;
    serde_urlencoded::from_bytes(body).map_err(|_| bad_form())
}

fn bad_form() -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "This form could not be read",
        "The form was not filled in as expected. Go back and try again.",
    )
}

/// The client's network address, for throttling sign-ins.
pub struct ClientAddress(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let address = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
        Ok(Self(address))
    }
}

/// A rendered console page that (re)sets the CSRF cookie its forms carry.
pub fn page(state: &AppState, csrf: &str, template: &impl Template) -> Response {
    page_with_status(state, StatusCode::OK, csrf, template)
}

/// [`page`] with another status, e.g. a form shown again with its errors.
pub fn page_with_status(
    state: &AppState,
    status: StatusCode,
    csrf: &str,
    template: &impl Template,
) -> Response {
    let mut response = (status, render(template)).into_response();
    CSRF.set(
        &mut response,
        csrf,
        session_seconds(),
        cookies::secure_for(&state.public_url),
    );
    response
}

/// The status of a page with a form: 422 while the form has problems to show, else 200.
pub fn form_status(problems: &[FieldError]) -> StatusCode {
    if problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    }
}

/// Sets the session cookie, or with `None` clears it.
pub fn set_session_cookie(state: &AppState, response: &mut Response, value: Option<&str>) {
    cookies::set(
        response,
        &cookies::SetCookie {
            name: SESSION_COOKIE,
            value: value.unwrap_or(""),
            path: COOKIE_PATH,
            same_site: "Strict",
            max_age_seconds: if value.is_some() {
                session_seconds()
            } else {
                0
            },
            secure: cookies::secure_for(&state.public_url),
        },
    );
}

fn session_seconds() -> i64 {
    i64::try_from(SESSION_LIFETIME.as_secs()).unwrap_or(i64::MAX)
}

/// Headers on every console response: never cached, never framed, nothing loaded from
/// anywhere (the pages carry their own styles and no scripts).
pub async fn console_headers(mut response: Response) -> Response {
    no_store(&mut response);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
