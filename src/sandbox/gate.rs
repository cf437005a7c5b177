//! What every request to the emulator passes through: the configured latency, armed faults,
//! and the ledger of requests served.

use std::convert::Infallible;
use std::sync::{Arc, OnceLock};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::Response;
use serde::Serialize;

use super::Emulator;
use super::faults::{self, Area, Effect};

/// One request the emulator served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    /// HTTP method, e.g. "POST".
    pub method: String,
    /// Path relative to the emulator's base, without the query string.
    pub path: String,
    /// Status answered (for a cut connection: the status the handler produced).
    pub status: u16,
    /// The Zoom user the request acted for, when known.
    pub user_id: Option<String>,
    /// When it was answered, unix milliseconds on the emulator's clock.
    pub at: i64,
    /// Whether a `ResetAfterProcessing` fault cut the connection instead of answering.
    pub reset: bool,
}

/// Where handlers note the user a request acts for, for the ledger.
#[derive(Clone, Default)]
pub(crate) struct LedgerUser(Arc<OnceLock<String>>);

impl LedgerUser {
    /// The slot of the request these parts belong to (a detached one outside the gate).
    pub(crate) fn of(parts: &Parts) -> Self {
        parts
            .extensions
            .get::<LedgerUser>()
            .cloned()
            .unwrap_or_default()
    }

    /// Notes the user; the first note wins.
    pub(crate) fn set(&self, user_id: &str) {
        let _ = self.0.set(user_id.to_owned());
    }
}

impl<S: Send + Sync> FromRequestParts<S> for LedgerUser {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Infallible> {
        Ok(LedgerUser::of(parts))
    }
}

/// The middleware: latency and faults for OAuth and REST calls, then the ledger.
/// The control API passes straight through and is not recorded.
pub(crate) async fn gate(
    State(emulator): State<Emulator>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/_control") {
        return next.run(request).await;
    }
    let method = request.method().to_string();
    let user = LedgerUser::default();
    request.extensions_mut().insert(user.clone());

    let mut reset = false;
    let response = match Area::of(&path) {
        None => next.run(request).await,
        Some(area) => {
            let latency = emulator.world().latency;
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            let fault = emulator.world().faults.take(area);
            match fault.as_ref().map(faults::effect) {
                None => next.run(request).await,
                Some(Effect::Answer(response)) => response,
                Some(Effect::Reset) => {
                    reset = true;
                    next.run(request).await
                }
            }
        }
    };

    let mut world = emulator.world();
    let at = world.now().as_millisecond();
    world.record(LedgerEntry {
        method,
        path,
        status: response.status().as_u16(),
        user_id: user.0.get().cloned(),
        at,
        reset,
    });
    drop(world);
    if reset {
        faults::cut_connection()
    } else {
        response
    }
}
