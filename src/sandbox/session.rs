//! Browser sessions on the emulator's pages: the session cookie, the signed-in user, the
//! per-session CSRF token, and single-use nonces for the sign-in form.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::header::COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use jiff::{SignedDuration, Timestamp};
use subtle::ConstantTimeEq;

use super::Emulator;
use super::gate::LedgerUser;
use super::random;

const COOKIE_NAME: &str = "zoom_sandbox_session";
const NONCE_LIFETIME: SignedDuration = SignedDuration::from_mins(30);

struct Session {
    user_id: String,
    csrf: String,
}

/// Signed-in browsers and outstanding sign-in forms.
#[derive(Default)]
pub(crate) struct Sessions {
    sessions: HashMap<String, Session>,
    nonces: HashMap<String, Timestamp>,
}

impl Sessions {
    /// Starts a session for the user; returns the cookie value.
    pub(crate) fn start(&mut self, user_id: &str) -> String {
        let id = random::secret();
        let session = Session {
            user_id: user_id.to_owned(),
            csrf: random::secret(),
        };
        self.sessions.insert(id.clone(), session);
        id
    }

    /// The signed-in user behind a session id, if the session exists.
    pub(crate) fn signed_in(&self, session_id: &str) -> Option<SignedIn> {
        self.sessions.get(session_id).map(|session| SignedIn {
            session_id: session_id.to_owned(),
            user_id: session.user_id.clone(),
            csrf: session.csrf.clone(),
        })
    }

    pub(crate) fn end(&mut self, id: &str) {
        self.sessions.remove(id);
    }

    /// A nonce for one sign-in form.
    pub(crate) fn issue_nonce(&mut self, now: Timestamp) -> String {
        self.nonces
            .retain(|_, issued| *issued + NONCE_LIFETIME > now);
        let nonce = random::secret();
        self.nonces.insert(nonce.clone(), now);
        nonce
    }

    /// Uses up a sign-in nonce; false when unknown, used or stale.
    pub(crate) fn consume_nonce(&mut self, nonce: &str, now: Timestamp) -> bool {
        self.nonces
            .remove(nonce)
            .is_some_and(|issued| issued + NONCE_LIFETIME > now)
    }
}

/// The signed-in user of a page request.
pub(crate) struct SignedIn {
    pub(crate) session_id: String,
    pub(crate) user_id: String,
    csrf: String,
}

impl SignedIn {
    /// The token every form of this session carries.
    pub(crate) fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Whether a submitted form carries this session's CSRF token.
    pub(crate) fn csrf_matches(&self, presented: Option<&str>) -> bool {
        presented
            .is_some_and(|presented| bool::from(presented.as_bytes().ct_eq(self.csrf.as_bytes())))
    }
}

/// Who is at the browser: signed in, or not (yet).
pub(crate) struct Visitor(pub(crate) Option<SignedIn>);

impl FromRequestParts<Emulator> for Visitor {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        emulator: &Emulator,
    ) -> Result<Self, Infallible> {
        let Some(session_id) = session_cookie(&parts.headers) else {
            return Ok(Visitor(None));
        };
        let signed_in = emulator.world().sessions.signed_in(&session_id);
        if let Some(signed_in) = &signed_in {
            LedgerUser::of(parts).set(&signed_in.user_id);
        }
        Ok(Visitor(signed_in))
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Lax, scoped to the emulator's base path,
/// Secure when the emulator is served over https.
pub(crate) fn session_cookie_header(emulator: &Emulator, session_id: &str) -> Option<HeaderValue> {
    cookie_header(emulator, session_id, "")
}

/// `Set-Cookie` that ends the session in the browser.
pub(crate) fn clear_cookie_header(emulator: &Emulator) -> Option<HeaderValue> {
    cookie_header(emulator, "", "; Max-Age=0")
}

fn cookie_header(emulator: &Emulator, value: &str, extra: &str) -> Option<HeaderValue> {
    let path = match emulator.base_path() {
        "" => "/",
        path => path,
    };
    let secure = if emulator.config().base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path={path}; HttpOnly; SameSite=Lax{secure}{extra}"
    ))
    .ok()
}
