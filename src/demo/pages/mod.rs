//! The practice's pages: what every page shares (the visit cookie, CSRF-checked forms, the
//! navigation, error pages) here, and each part of the story in its own module.

pub mod admin;
pub mod appointments;
pub mod signup;
pub mod zoom;

use std::convert::Infallible;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::Demo;
use super::hub::{HubError, Link};
use super::practice::{Therapist, Visit};
use crate::http::hosted::cookies::{self, SetCookie};
use crate::http::hosted::csrf::CsrfCookie;
use crate::startup::SANDBOX_ZOOM_PATH;

/// The cookie naming a browser's visit.
const VISIT_COOKIE: &str = "calmly_visit";
/// Every form of the demo carries this cookie's value.
const CSRF: CsrfCookie = CsrfCookie {
    name: "calmly_csrf",
    path: "/demo",
};
/// How long the demo's cookies (and so its visits) last: a working day.
pub const COOKIE_SECONDS: i64 = 12 * 3600;

/// What every page shows around its content.
pub struct Chrome {
    /// The signed-in therapist's name.
    pub therapist: Option<String>,
    pub csrf: String,
    /// The sandbox Zoom's meetings and *Manage apps* pages.
    pub zoom_meetings: String,
    pub zoom_apps: String,
    /// The message left by the previous step, shown once.
    pub flash: Option<String>,
}

/// The browser asking: its visit (if any) and its CSRF value.
pub struct Visitor {
    token: Option<String>,
    visit: Visit,
    csrf: String,
}

impl Visitor {
    pub async fn of(demo: &Demo, headers: &HeaderMap) -> Self {
        let token = cookies::read(headers, VISIT_COOKIE).map(str::to_owned);
        let visit = match &token {
            Some(token) => demo.0.visits.get(token).await,
            None => None,
        };
        Self {
            token: visit.is_some().then_some(token).flatten(),
            visit: visit.unwrap_or_default(),
            csrf: CSRF.value(headers),
        }
    }

    /// The signed-in therapist, or a redirect to the start page.
    pub async fn therapist(&self, demo: &Demo) -> Result<Therapist, Refusal> {
        let therapist = match &self.visit.therapist_id {
            Some(id) => demo.0.practice.therapist(id).await,
            None => None,
        };
        therapist.ok_or_else(|| Refusal::Redirect("/demo".to_owned()))
    }

    /// The page chrome, taking the visit's one-time message.
    pub async fn chrome(&self, demo: &Demo, therapist: Option<&Therapist>) -> Chrome {
        if let Some(token) = &self.token {
            demo.0
                .visits
                .update(token, |visit| visit.flash = None)
                .await;
        }
        let zoom = |page: &str| {
            demo.0
                .public_url
                .join(&format!("{SANDBOX_ZOOM_PATH}/{page}"))
                .map(String::from)
                .unwrap_or_default()
        };
        Chrome {
            therapist: therapist.map(|t| t.name.clone()),
            csrf: self.csrf.clone(),
            zoom_meetings: zoom("meetings"),
            zoom_apps: zoom("apps"),
            flash: self.visit.flash.clone(),
        }
    }

    pub fn visit(&self) -> &Visit {
        &self.visit
    }

    /// Changes this browser's visit; a browser without one gets a new visit and its cookie.
    pub async fn remember(
        &self,
        demo: &Demo,
        response: &mut Response,
        edit: impl FnOnce(&mut Visit),
    ) {
        match &self.token {
            Some(token) => demo.0.visits.update(token, edit).await,
            None => {
                let mut visit = Visit::default();
                edit(&mut visit);
                let token = demo.0.visits.start(visit).await;
                set_cookie(demo, response, VISIT_COOKIE, &token, COOKIE_SECONDS);
            }
        }
    }

    /// Ends this browser's visit.
    pub async fn forget(&self, demo: &Demo, response: &mut Response) {
        if let Some(token) = &self.token {
            demo.0.visits.end(token).await;
        }
        set_cookie(demo, response, VISIT_COOKIE, "", 0);
    }
}

impl FromRequestParts<Demo> for Visitor {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, demo: &Demo) -> Result<Self, Infallible> {
        Ok(Self::of(demo, &parts.headers).await)
    }
}

/// A request from a browser signed in as a therapist; others are sent to the start page.
pub struct SignedIn {
    pub visitor: Visitor,
    pub therapist: Therapist,
}

impl FromRequestParts<Demo> for SignedIn {
    type Rejection = Refusal;

    async fn from_request_parts(parts: &mut Parts, demo: &Demo) -> Result<Self, Refusal> {
        let visitor = Visitor::of(demo, &parts.headers).await;
        let therapist = visitor.therapist(demo).await?;
        Ok(Self { visitor, therapist })
    }
}

impl SignedIn {
    /// The page chrome for this therapist.
    pub async fn chrome(&self, demo: &Demo) -> Chrome {
        self.visitor.chrome(demo, Some(&self.therapist)).await
    }

    /// `template` as this therapist's page.
    pub fn page(&self, demo: &Demo, status: StatusCode, template: &impl Template) -> Response {
        page(demo, status, &self.visitor.csrf, template)
    }
}

/// A form posted by one of the demo's own pages (CSRF-checked), parsed.
pub struct Form<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Demo> for Form<T> {
    type Rejection = Refusal;

    async fn from_request(request: Request, demo: &Demo) -> Result<Self, Refusal> {
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, demo)
            .await
            .map_err(|_| Refusal::bad_form())?;
        posted(demo, &headers, &body).map(Self)
    }
}

/// A 303 to `path`, with `message` shown on the page it leads to.
pub async fn see_other_saying(
    demo: &Demo,
    visitor: &Visitor,
    path: &str,
    message: impl Into<String>,
) -> Response {
    let mut response = see_other(path);
    let message = message.into();
    visitor
        .remember(demo, &mut response, |visit| visit.flash = Some(message))
        .await;
    response
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form posted by one of the demo's own pages, parsed; anything else is refused.
fn posted<T: DeserializeOwned>(
    demo: &Demo,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Refusal> {
    let CsrfField { csrf } = serde_urlencoded::from_bytes(body).map_err(|_| Refusal::bad_form())?;
    CSRF.check(&demo.0.public_url, headers, &csrf)
        .map_err(|_| {
            Refusal::page(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Go back, reload the page and try again.",
            )
        })?;
    serde_urlencoded::from_bytes(body).map_err(|_| Refusal::bad_form())
}

/// The page, with the CSRF cookie its forms need; never cached.
pub fn page(demo: &Demo, status: StatusCode, csrf: &str, template: &impl Template) -> Response {
    let html = template.render().unwrap_or_else(|error| {
        tracing::error!(%error, "demo: a page failed to render");
        "<!doctype html><title>Error</title><p>Something went wrong.</p>".to_owned()
    });
    let mut response = (status, Html(html)).into_response();
    set_cookie(demo, &mut response, CSRF.name, csrf, COOKIE_SECONDS);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A 303 to `path` (after a form post).
pub fn see_other(path: &str) -> Response {
    Redirect::to(path).into_response()
}

fn set_cookie(demo: &Demo, response: &mut Response, name: &str, value: &str, seconds: i64) {
    cookies::set(
        response,
        &SetCookie {
            name,
            value,
            path: "/demo",
            same_site: "Lax",
            max_age_seconds: seconds,
            secure: cookies::secure_for(&demo.0.public_url),
        },
    );
}

/// The therapist's Zoom link at the hub, if they have one.
pub async fn zoom_link(demo: &Demo, therapist_id: &str) -> Result<Option<Link>, HubError> {
    Ok(demo
        .0
        .hub
        .end_user(therapist_id)
        .await?
        .links
        .into_iter()
        .next())
}

/// Why a page is not shown: a redirect, or an error page.
pub enum Refusal {
    Redirect(String),
    Page {
        status: StatusCode,
        title: &'static str,
        message: String,
    },
}

impl Refusal {
    pub fn page(status: StatusCode, title: &'static str, message: impl Into<String>) -> Self {
        Self::Page {
            status,
            title,
            message: message.into(),
        }
    }

    pub fn not_found() -> Self {
        Self::page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such appointment in your calendar.",
        )
    }

    fn bad_form() -> Self {
        Self::page(
            StatusCode::BAD_REQUEST,
            "That form could not be read",
            "Go back, reload the page and try again.",
        )
    }
}

impl From<anyhow::Error> for Refusal {
    fn from(error: anyhow::Error) -> Self {
        tracing::error!(error = ?error, "demo: a page failed");
        Self::page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Something went wrong in the demo practice. Please try again.",
        )
    }
}

impl From<HubError> for Refusal {
    fn from(error: HubError) -> Self {
        tracing::warn!(%error, "demo: the hub refused a call");
        match error {
            HubError::Unreachable(_) => Self::page(
                StatusCode::BAD_GATEWAY,
                "The hub did not answer",
                "Calmly could not reach Convene. Please try again in a moment.",
            ),
            HubError::Refused(problem) if problem.code == "forbidden" => Self::page(
                StatusCode::FORBIDDEN,
                "Calmly is suspended at the hub",
                "The hub's operator has suspended this application; its calls are refused until it is resumed in the console.",
            ),
            HubError::Refused(problem) if problem.code == "not_found" => Self::not_found(),
            HubError::Refused(problem) => Self::page(
                StatusCode::BAD_GATEWAY,
                "The hub refused",
                format!("Convene answered: {}", problem.detail),
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "demo/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(path) => see_other(&path),
            Self::Page {
                status,
                title,
                message,
            } => {
                let html = ErrorPage {
                    title,
                    message: &message,
                }
                .render()
                .unwrap_or_else(|_| title.to_owned());
                (status, Html(html)).into_response()
            }
        }
    }
}
