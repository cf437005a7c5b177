//! The control API under `/_control`: JSON switches for tests and demos (latency, faults,
//! clock, token deaths, schedulers, deauthorization, the webhook endpoint) and read-outs
//! (ledger, webhook attempts, users, meetings, refresh grants). Not part of Zoom; never
//! faulted or ledgered.

use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::{Fault, FaultScope, RetryAfter};
use super::times::parse_utc;
use super::{Emulator, SandboxUser};

/// The control routes.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/_control/latency", post(set_latency))
        .route("/_control/faults", post(inject).delete(clear_faults))
        .route("/_control/clock", post(advance_clock))
        .route("/_control/expire_access_tokens", post(expire_access_tokens))
        .route("/_control/ledger", get(ledger))
        .route("/_control/webhook", post(set_webhook))
        .route("/_control/webhooks", get(webhooks))
        .route("/_control/users", get(users))
        .route("/_control/refresh_grants", get(all_refresh_grants))
        .route(
            "/_control/users/{user}/kill_refresh_token",
            post(kill_refresh_token),
        )
        .route("/_control/users/{user}/refresh_grants", get(refresh_grants))
        .route("/_control/users/{user}/schedulers", post(add_scheduler))
        .route("/_control/users/{user}/deauthorize", post(deauthorize))
        .route("/_control/users/{user}/meetings", get(meetings))
}

/// A control request that cannot be done: `{"error": "…"}` with a 4xx status.
struct ControlError {
    status: StatusCode,
    message: String,
}

impl ControlError {
    fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    fn unknown_user(user: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!("no user {user}"),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(json!({"error": self.message}))).into_response()
    }
}

type Outcome = Result<Response, ControlError>;

fn done() -> Outcome {
    Ok(axum::Json(json!({"ok": true})).into_response())
}

/// Parses a JSON body into `T`, or explains what is wrong with it.
fn body<T: for<'de> Deserialize<'de>>(bytes: &Bytes) -> Result<T, ControlError> {
    serde_json::from_slice(bytes)
        .map_err(|error| ControlError::bad_request(format!("invalid body: {error}")))
}

/// The user named by id or email.
fn user(emulator: &Emulator, user: &str) -> Result<SandboxUser, ControlError> {
    emulator
        .world()
        .users
        .find(user)
        .map(|found| found.snapshot())
        .ok_or_else(|| ControlError::unknown_user(user))
}

#[derive(Deserialize)]
struct Latency {
    ms: u64,
}

async fn set_latency(State(emulator): State<Emulator>, bytes: Bytes) -> Outcome {
    let latency = body::<Latency>(&bytes)?;
    emulator.set_latency(Duration::from_millis(latency.ms));
    done()
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FaultKind {
    Status,
    RateLimited,
    Reset,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Scope {
    Oauth,
    Api,
    All,
}

#[derive(Deserialize)]
struct FaultRequest {
    kind: FaultKind,
    scope: Scope,
    #[serde(default = "one")]
    count: u32,
    status: Option<u16>,
    retry_after_seconds: Option<u64>,
    /// RFC 3339 UTC, e.g. "2026-12-02T00:00:00Z".
    retry_after_date: Option<String>,
    /// Same instant format, sent as an HTTP-date.
    retry_after_http_date: Option<String>,
}

fn one() -> u32 {
    1
}

impl FaultRequest {
    fn into_fault(self) -> Result<Fault, String> {
        let scope = match self.scope {
            Scope::Oauth => FaultScope::OAuth,
            Scope::Api => FaultScope::Api,
            Scope::All => FaultScope::All,
        };
        let count = self.count;
        match self.kind {
            FaultKind::Status => match self.status {
                Some(status @ 500..=599) => Ok(Fault::Status {
                    scope,
                    status,
                    count,
                }),
                _ => Err("status faults need a \"status\" from 500 to 599".to_owned()),
            },
            FaultKind::Reset => Ok(Fault::ResetAfterProcessing { scope, count }),
            FaultKind::RateLimited => {
                let instant = |text: &str| {
                    parse_utc(text).ok_or_else(|| format!("{text} is not yyyy-MM-ddTHH:mm:ssZ"))
                };
                let retry_after = match (
                    self.retry_after_seconds,
                    self.retry_after_date.as_deref(),
                    self.retry_after_http_date.as_deref(),
                ) {
                    (Some(seconds), None, None) => RetryAfter::Seconds(seconds),
                    (None, Some(date), None) => RetryAfter::DateTime(instant(date)?),
                    (None, None, Some(date)) => RetryAfter::HttpDate(instant(date)?),
                    _ => {
                        return Err("give one of retry_after_seconds, retry_after_date, retry_after_http_date".to_owned());
                    }
                };
                Ok(Fault::RateLimited {
                    scope,
                    count,
                    retry_after,
                })
            }
        }
    }
}

async fn inject(State(emulator): State<Emulator>, bytes: Bytes) -> Outcome {
    let fault = body::<FaultRequest>(&bytes)?
        .into_fault()
        .map_err(ControlError::bad_request)?;
    emulator.inject(fault);
    done()
}

async fn clear_faults(State(emulator): State<Emulator>) -> Outcome {
    emulator.clear_faults();
    done()
}

#[derive(Deserialize)]
struct Advance {
    seconds: u64,
}

async fn advance_clock(State(emulator): State<Emulator>, bytes: Bytes) -> Outcome {
    let advance = body::<Advance>(&bytes)?;
    emulator.advance_clock(Duration::from_secs(advance.seconds));
    done()
}

async fn expire_access_tokens(State(emulator): State<Emulator>) -> Outcome {
    emulator.expire_access_tokens();
    done()
}

async fn ledger(State(emulator): State<Emulator>) -> Response {
    axum::Json(json!({"requests": emulator.ledger()})).into_response()
}

#[derive(Deserialize)]
struct Endpoint {
    url: Option<String>,
    #[serde(default = "yes")]
    validate: bool,
}

fn yes() -> bool {
    true
}

async fn set_webhook(State(emulator): State<Emulator>, bytes: Bytes) -> Outcome {
    let endpoint = body::<Endpoint>(&bytes)?;
    if let Some(url) = &endpoint.url
        && url::Url::parse(url).is_err()
    {
        return Err(ControlError::bad_request(format!("{url} is not a URL")));
    }
    emulator.subscribe(endpoint.url, endpoint.validate);
    done()
}

async fn webhooks(State(emulator): State<Emulator>) -> Response {
    let (url, validated) = {
        let world = emulator.world();
        (world.subscription.url.clone(), world.subscription.validated)
    };
    axum::Json(json!({
        "url": url,
        "validated": validated,
        "attempts": emulator.webhook_attempts(),
    }))
    .into_response()
}

async fn users(State(emulator): State<Emulator>) -> Response {
    let users: Vec<Value> = emulator
        .users()
        .into_iter()
        .map(|user| {
            json!({
                "id": user.id,
                "email": user.email,
                "first_name": user.first_name,
                "last_name": user.last_name,
                "account_id": user.account_id,
            })
        })
        .collect();
    axum::Json(json!({"users": users})).into_response()
}

async fn kill_refresh_token(State(emulator): State<Emulator>, Path(name): Path<String>) -> Outcome {
    let found = user(&emulator, &name)?;
    emulator.kill_refresh_token(&found.id);
    done()
}

async fn refresh_grants(State(emulator): State<Emulator>, Path(name): Path<String>) -> Outcome {
    let found = user(&emulator, &name)?;
    Ok(axum::Json(json!({"count": emulator.refresh_grants(&found.id)})).into_response())
}

/// Every user's successful refresh grants, and how many grants were refused.
async fn all_refresh_grants(State(emulator): State<Emulator>) -> Response {
    let world = emulator.world();
    let grants = &world.grants;
    axum::Json(json!({
        "by_user": grants.all_refresh_grants(),
        "rejected": grants.refused_refreshes(),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct Scheduler {
    scheduler: String,
}

async fn add_scheduler(
    State(emulator): State<Emulator>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Outcome {
    let scheduler = body::<Scheduler>(&bytes)?.scheduler;
    if emulator.add_scheduler(&name, &scheduler) {
        done()
    } else {
        Err(ControlError::unknown_user(&format!(
            "{name} or {scheduler}"
        )))
    }
}

async fn deauthorize(State(emulator): State<Emulator>, Path(name): Path<String>) -> Outcome {
    let found = user(&emulator, &name)?;
    if emulator.remove_app(&found.id) {
        done()
    } else {
        Err(ControlError {
            status: StatusCode::CONFLICT,
            message: format!("{} has not authorized the app", found.email),
        })
    }
}

async fn meetings(State(emulator): State<Emulator>, Path(name): Path<String>) -> Outcome {
    let found = user(&emulator, &name)?;
    Ok(axum::Json(json!({"meetings": emulator.meetings_of(&found.id)})).into_response())
}
