//! Zoom's return to `/connect/zoom/callback`, the one redirect URI registered with Zoom,
//! shared by the connect flow and *Sign in with Zoom*: the query Zoom brings, and the cookie
//! that ties the returned `state` to the browser that left with it.

use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::cookies::{self, SetCookie};

/// Where Zoom sends the browser back.
pub const CALLBACK_PATH: &str = "/connect/zoom/callback";
const STATE_COOKIE: &str = "convene_oauth_state";

/// The query Zoom sends the browser back with.
#[derive(Deserialize)]
pub struct ZoomReturn {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
}

/// Remembers the `state` sent to Zoom in this browser, for the callback only.
pub fn remember_state(response: &mut Response, state: &str, max_age_seconds: i64, secure: bool) {
    state_cookie(response, state, max_age_seconds, secure);
}

/// Forgets the remembered `state` once Zoom has sent the browser back.
pub fn forget_state(response: &mut Response, secure: bool) {
    state_cookie(response, "", 0, secure);
}

/// Whether `state` came back to the browser that left with it.
pub fn is_same_browser(headers: &HeaderMap, state: &str) -> bool {
    let cookie = cookies::read(headers, STATE_COOKIE).unwrap_or("");
    cookie.as_bytes().ct_eq(state.as_bytes()).into()
}

fn state_cookie(response: &mut Response, value: &str, max_age_seconds: i64, secure: bool) {
    cookies::set(
        response,
        &SetCookie {
            name: STATE_COOKIE,
            value,
            path: CALLBACK_PATH,
            // Lax: Zoom sends the browser back with a top-level GET.
            same_site: "Lax",
            max_age_seconds,
            secure,
        },
    );
}
