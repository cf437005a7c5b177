//! The end user's account page, `/account`: each Zoom account the signed-in person may see,
//! every application linked to it, and what was done in it lately; *Remove* per link and
//! *Disconnect Zoom*, each behind a confirmation step.
//!
//! Two ways in (see [`sign_in`]): an application's single-use link, which sees the Zoom
//! accounts that application's end user has linked (and every application's link to them),
//! or *Sign in with Zoom*, which sees that Zoom user's account. Either way the browser holds a
//! session cookie (HttpOnly, `SameSite=Lax`, `Secure` behind HTTPS) and every form carries
//! the double-submit value of [`CSRF`].

mod activity;
mod removal;
mod sign_in;

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use self::activity::ActivityLine;
use super::cookies::{self, SetCookie};
use super::csrf::{CsrfCookie, Forgery};
use super::page::{PageError, no_store, render};
use crate::domain::{Timestamp, UrlToken};
use crate::http::state::AppState;
use crate::store::account::{AccountHolder, AccountSession, ZoomAccount};
use crate::store::credentials::status;

pub use removal::{confirm_disconnect, confirm_remove, disconnect, remove};
pub use sign_in::{finish_sign_in, sign_out, start_sign_in, with_link};

/// Where the page lives; the session and CSRF cookies are sent to it only.
const ACCOUNT_PATH: &str = "/account";
const SESSION_COOKIE: &str = "convene_account";
const CSRF: CsrfCookie = CsrfCookie {
    name: "convene_account_csrf",
    path: ACCOUNT_PATH,
};
/// How many activity entries each Zoom account shows.
const ACTIVITY_SHOWN: u64 = 10;

/// A browser signed in to the account page.
pub(super) struct SignedIn {
    holder: AccountHolder,
    session: AccountSession,
}

impl SignedIn {
    /// The browser's session, if it has one that has not expired.
    async fn of(state: &AppState, headers: &HeaderMap) -> Result<Option<Self>, PageError> {
        let Some(token) = cookies::read(headers, SESSION_COOKIE).filter(|t| !t.is_empty()) else {
            return Ok(None);
        };
        let Some(session) = state
            .store
            .find_account_session(&UrlToken::hash_of(token), Timestamp::now())
            .await?
        else {
            return Ok(None);
        };
        Ok(AccountHolder::of(&session).map(|holder| Self { holder, session }))
    }

    /// The browser's session, or a page asking to sign in again.
    async fn required(state: &AppState, headers: &HeaderMap) -> Result<Self, PageError> {
        Self::of(state, headers).await?.ok_or_else(|| {
            PageError::new(
                StatusCode::UNAUTHORIZED,
                "Please sign in again",
                "Your account page session has ended. Open your account page from the app again, or sign in with Zoom.",
            )
        })
    }

    /// The Zoom accounts this session may see and change.
    async fn accounts(&self, state: &AppState) -> Result<Vec<ZoomAccount>, PageError> {
        Ok(state.store.zoom_accounts_of(&self.holder).await?)
    }

    fn seconds_left(&self) -> i64 {
        (self.session.expires_at.0 - Timestamp::now().0) / 1000
    }
}

#[derive(Deserialize)]
pub struct Notice {
    notice: Option<String>,
}

/// What the page says after a redirect back to it.
fn notice_text(notice: Option<&str>) -> Option<&'static str> {
    match notice? {
        "removed" => {
            Some("The app's access was removed. It was told, and other apps keep working.")
        }
        "disconnected" => Some(
            "Your Zoom account is disconnected: every app lost access and Convene deleted its access to Zoom.",
        ),
        "signin_cancelled" => Some("Signing in with Zoom was cancelled."),
        "signed_out" => Some("You are signed out."),
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "hosted/account.html")]
struct AccountPage<'a> {
    signed_in_as: &'a str,
    notice: Option<&'static str>,
    accounts: Vec<AccountView>,
    csrf: &'a str,
}

struct AccountView {
    display_name: String,
    email: String,
    needs_reauth: bool,
    disconnect_action: String,
    links: Vec<LinkView>,
    activity: Vec<ActivityLine>,
}

struct LinkView {
    application_name: String,
    needs_reauth: bool,
    since: When,
    last_used: Option<When>,
    remove_action: String,
}

#[derive(Template)]
#[template(path = "hosted/account_signin.html")]
struct SignInPage<'a> {
    notice: Option<&'static str>,
    csrf: &'a str,
}

/// `GET /account`: the signed-in person's Zoom accounts, or the way to sign in.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Notice>, QueryRejection>,
) -> Result<Response, PageError> {
    let notice = notice_text(query.ok().and_then(|Query(q)| q.notice).as_deref());
    let csrf = CSRF.value(&headers);
    let Some(signed_in) = SignedIn::of(&state, &headers).await? else {
        let page = SignInPage {
            notice,
            csrf: &csrf,
        };
        let seconds =
            i64::try_from(state.config.tuning.account_session_ttl.as_secs()).unwrap_or(i64::MAX);
        return Ok(page_response(&state, &page, &csrf, seconds));
    };
    let mut accounts = Vec::new();
    for account in signed_in.accounts(&state).await? {
        let entries = state
            .store
            .zoom_user_activity(&account.zoom_user_id, ACTIVITY_SHOWN)
            .await?;
        accounts.push(AccountView {
            disconnect_action: format!("/account/zoom/{}/disconnect", account.credential_id),
            needs_reauth: account.status == status::NEEDS_REAUTH,
            links: account
                .links
                .into_iter()
                .map(|link| LinkView {
                    remove_action: format!("/account/links/{}/remove", link.link_id),
                    needs_reauth: link.status == status::NEEDS_REAUTH,
                    since: When::of(link.connected_at),
                    last_used: link.last_used_at.map(When::of),
                    application_name: link.application_name,
                })
                .collect(),
            activity: entries.iter().map(ActivityLine::of).collect(),
            display_name: account.display_name,
            email: account.email,
        });
    }
    let signed_in_as = match &signed_in.holder {
        AccountHolder::EndUser { application_id, .. } => {
            let name = state
                .store
                .find_application(application_id)
                .await?
                .map_or_else(|| "an app".to_owned(), |application| application.name);
            format!("You opened this page from {name}.")
        }
        AccountHolder::ZoomUser { .. } => "You signed in with Zoom.".to_owned(),
    };
    let page = AccountPage {
        signed_in_as: &signed_in_as,
        notice,
        accounts,
        csrf: &csrf,
    };
    Ok(page_response(
        &state,
        &page,
        &csrf,
        signed_in.seconds_left(),
    ))
}

/// An account page with its CSRF cookie; never cached, never framed.
fn page_response(
    state: &AppState,
    page: &impl Template,
    csrf: &str,
    csrf_seconds: i64,
) -> Response {
    let mut response = render(page).into_response();
    CSRF.set(&mut response, csrf, csrf_seconds, is_https(state));
    protect(&mut response);
    response
}

/// Account pages carry session-bound forms: no caching, and no framing (clickjacking).
fn protect(response: &mut Response) {
    no_store(response);
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
}

/// Refuses a form post that did not come from this browser's account page.
fn check_form(state: &AppState, headers: &HeaderMap, submitted: &str) -> Result<(), PageError> {
    CSRF.check(&state.public_url, headers, submitted)
        .map_err(|forgery| {
            let message = match forgery {
                Forgery::CrossSite => {
                    "This form was sent from another site. Open your account page and try again."
                }
                Forgery::TokenMismatch => {
                    "This page expired in your browser. Open your account page again and retry."
                }
            };
            PageError::new(StatusCode::FORBIDDEN, "Please try again", message)
        })
}

/// The form was incomplete.
fn incomplete_form() -> PageError {
    PageError::new(
        StatusCode::BAD_REQUEST,
        "That did not work",
        "The form was incomplete. Open your account page again and retry.",
    )
}

/// Sets the session cookie: `Lax`, so that the redirect from an app's link or from Zoom
/// (a top-level navigation that began on another site) arrives signed in.
fn set_session_cookie(state: &AppState, response: &mut Response, value: &str, seconds: i64) {
    cookies::set(
        response,
        &SetCookie {
            name: SESSION_COOKIE,
            value,
            path: ACCOUNT_PATH,
            same_site: "Lax",
            max_age_seconds: seconds,
            secure: is_https(state),
        },
    );
}

fn is_https(state: &AppState) -> bool {
    cookies::secure_for(&state.public_url)
}

/// An instant as the page shows it: in words, and machine-readable for `<time>`.
struct When {
    iso: String,
    text: String,
}

impl When {
    fn of(at: Timestamp) -> Self {
        Self {
            iso: at.to_rfc3339(),
            text: in_words(at),
        }
    }
}

/// `1 Dec 2030, 15:00 UTC`: the page has no script to show local times.
fn in_words(at: Timestamp) -> String {
    let format = time::macros::format_description!(
        "[day padding:none] [month repr:short] [year], [hour]:[minute] UTC"
    );
    at.to_datetime().format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_read_in_utc_words() {
        // 2030-12-01T15:00:00Z
        assert_eq!(
            in_words(Timestamp(1_922_367_600_000)),
            "1 Dec 2030, 15:00 UTC"
        );
    }

    #[test]
    fn only_known_notices_are_shown() {
        assert!(notice_text(Some("removed")).is_some());
        assert_eq!(notice_text(Some("<script>")), None);
        assert_eq!(notice_text(None), None);
    }
}
