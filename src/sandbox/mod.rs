//! The Zoom emulator ("sandbox"): a second, independent implementation of Zoom's side of the
//! wire — OAuth with its sign-in and consent pages, the `/v2` REST API for users and
//! meetings, signed webhooks — with switches for latency, faults, expired and dead tokens.
//! It keeps everything in memory and uses nothing of the hub, so that a misreading of Zoom's
//! protocol cannot hide in both.
//!
//! This module owns the public handle ([`Emulator`]), its configuration and the ways to serve
//! it; each submodule owns one part of Zoom's behaviour.

mod authorize;
mod book;
mod control;
mod draft;
mod faults;
mod form;
mod gate;
mod meetings;
mod oauth;
mod pages;
mod portal;
mod random;
mod recurrence;
mod rest;
mod session;
mod state;
mod times;
mod tokens;
mod users;
mod validation;
mod webhooks;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

pub use faults::{Fault, FaultScope, RetryAfter};
pub use gate::LedgerEntry;
pub use users::SandboxUser;
pub use webhooks::WebhookAttempt;

use state::World;

/// How an emulator behaves and where it is reachable.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Externally visible base URL of the emulator (no trailing slash): e.g. "http://127.0.0.1:41234"
    /// standalone, or "http://127.0.0.1:8080/sandbox/zoom" when mounted inside the hub. Used to build
    /// join_url/start_url and form actions/links in pages (pages must use absolute paths under this base).
    pub base_url: Url,
    /// The OAuth app's client ID.
    pub client_id: String,
    /// The OAuth app's client secret.
    pub client_secret: String,
    /// Registered OAuth redirect URIs of the (single) OAuth app; exact match.
    pub redirect_uris: Vec<String>,
    /// Where event notifications go (None: none sent until set through the control API).
    pub webhook_url: Option<String>,
    /// Zoom's "secret token" used to sign notifications.
    pub webhook_secret: String,
    /// Delays between webhook attempts: Zoom's are 5, 20, 60 minutes; tests pass milliseconds.
    pub webhook_retry_delays: Vec<Duration>,
    /// Per-user daily meeting create/update limit (Zoom: 100).
    pub daily_meeting_limit: u32,
}

impl EmulatorConfig {
    /// Zoom's real schedule and limits, with the given base URL, client and redirect URIs.
    pub fn new(
        base_url: Url,
        client_id: &str,
        client_secret: &str,
        redirect_uris: Vec<String>,
        webhook_secret: &str,
    ) -> Self {
        Self {
            base_url,
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            redirect_uris,
            webhook_url: None,
            webhook_secret: webhook_secret.to_owned(),
            webhook_retry_delays: [5, 20, 60]
                .map(|minutes| Duration::from_secs(minutes * 60))
                .to_vec(),
            daily_meeting_limit: 100,
        }
    }
}

impl std::fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("base_url", &self.base_url.as_str())
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .field("redirect_uris", &self.redirect_uris)
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &"[redacted]")
            .field("webhook_retry_delays", &self.webhook_retry_delays)
            .field("daily_meeting_limit", &self.daily_meeting_limit)
            .finish()
    }
}

struct Inner {
    config: EmulatorConfig,
    /// `config.base_url` without a trailing slash.
    base: String,
    /// The path of `base`, "" at the root.
    base_path: String,
    world: Mutex<World>,
    /// Delivers webhooks; none if no client could be built.
    http: Option<reqwest::Client>,
}

/// A Zoom emulator: cheap to clone, all clones share one in-memory world.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

impl Emulator {
    /// A new emulator with the demo users seeded.
    pub fn new(config: EmulatorConfig) -> Self {
        // reqwest is built without a bundled crypto provider; the hub installs the same one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .inspect_err(|error| tracing::warn!(%error, "the Zoom sandbox cannot deliver webhooks"))
            .ok();
        let base = config.base_url.as_str().trim_end_matches('/').to_owned();
        let base_path = config.base_url.path().trim_end_matches('/').to_owned();
        let world = Mutex::new(World::new(config.webhook_url.clone()));
        Self {
            inner: Arc::new(Inner {
                config,
                base,
                base_path,
                world,
                http,
            }),
        }
    }

    /// All routes, relative to the base: mount with `Router::nest("/sandbox/zoom", emulator.router())` or serve alone.
    pub fn router(&self) -> Router {
        Router::new()
            .merge(authorize::routes())
            .merge(oauth::routes())
            .merge(rest::routes())
            .merge(portal::routes())
            .merge(control::routes())
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                gate::gate,
            ))
            .with_state(self.clone())
    }

    /// Delays every `/oauth/token`, `/oauth/revoke` and `/v2` request by `delay`.
    pub fn set_latency(&self, delay: Duration) {
        self.world().latency = delay;
    }

    /// Arms a fault; faults apply in the order armed.
    pub fn inject(&self, fault: Fault) {
        self.world().faults.arm(fault);
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    /// Makes every access token issued so far expired (REST answers 124 "Access token is expired.").
    pub fn expire_access_tokens(&self) {
        let mut world = self.world();
        let now = world.now();
        world.grants.expire_access_tokens(now);
    }

    /// Kills the user's refresh token (the next refresh answers `invalid_grant`); access tokens live on.
    pub fn kill_refresh_token(&self, user_id: &str) {
        self.world().grants.kill_refresh_tokens(user_id);
    }

    /// Successful refresh_token grants for the user.
    pub fn refresh_grants(&self, user_id: &str) -> u64 {
        self.world().grants.refresh_grants(user_id)
    }

    /// Every request served (except the control API), oldest first; the last 10 000.
    pub fn ledger(&self) -> Vec<LedgerEntry> {
        self.world().ledger.iter().cloned().collect()
    }

    /// Moves the emulator's clock forward (codes, tokens, daily limits and listings follow it).
    pub fn advance_clock(&self, by: Duration) {
        self.world().advance_clock(by);
    }

    /// Points event notifications at `url` and, as Zoom does when an endpoint is saved,
    /// validates it in the background (`endpoint.url_validation`); None stops notifications.
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.subscribe(url, true);
    }

    /// Whether the current endpoint passed URL validation; None until a validation finished.
    pub fn webhook_validated(&self) -> Option<bool> {
        self.world().subscription.validated
    }

    /// Every delivery attempt so far, URL validations included, oldest first.
    pub fn webhook_attempts(&self) -> Vec<WebhookAttempt> {
        self.world().subscription.attempts()
    }

    /// The user with this email (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<SandboxUser> {
        let world = self.world();
        world
            .users
            .all()
            .iter()
            .find(|user| user.email.eq_ignore_ascii_case(email))
            .map(users::User::snapshot)
    }

    /// Every user, demo users first.
    pub fn users(&self) -> Vec<SandboxUser> {
        self.world()
            .users
            .all()
            .iter()
            .map(users::User::snapshot)
            .collect()
    }

    /// The user's meetings as `GET /v2/meetings/{id}` shows them, in start order.
    pub fn meetings_of(&self, user_id: &str) -> Vec<Value> {
        let world = self.world();
        let host_email = world
            .users
            .get(user_id)
            .map(|user| user.email.clone())
            .unwrap_or_default();
        world
            .meetings
            .hosted_by(user_id)
            .map(|meeting| meeting.to_json(&self.inner.base, &host_email))
            .collect()
    }

    /// Gives `scheduler` scheduling privilege for `host` (ids or emails); false if either is unknown.
    pub fn add_scheduler(&self, host: &str, scheduler: &str) -> bool {
        self.world().users.add_scheduler(host, scheduler)
    }

    /// The user removes the app in Zoom: its tokens die and, if the user had authorized the
    /// app, Zoom sends `app_deauthorized`. Returns whether the app was authorized.
    pub fn remove_app(&self, user_id: &str) -> bool {
        let removed = {
            let mut world = self.world();
            let user = world
                .users
                .get(user_id)
                .map(|user| (user.id.clone(), user.account_id.clone()));
            user.filter(|(user_id, _)| world.grants.revoke_user(user_id))
        };
        let Some((user_id, account_id)) = removed else {
            return false;
        };
        let config = self.config();
        let deauthorization_time = times::zoom_time_millis(Timestamp::now());
        // Zoom documents no recipe for this signature; the emulator signs the identifying fields.
        let signed = format!(
            "{account_id}:{user_id}:{}:{deauthorization_time}",
            config.client_id
        );
        let payload = json!({
            "account_id": account_id,
            "user_id": user_id,
            "client_id": config.client_id,
            "deauthorization_time": deauthorization_time,
            "signature": webhooks::hmac_hex(&config.webhook_secret, signed.as_bytes()),
            "user_data_retention": "false",
        });
        webhooks::notify(self, "app_deauthorized", payload);
        true
    }

    /// Sets the notification endpoint, validating it first when asked.
    pub(crate) fn subscribe(&self, url: Option<String>, validate: bool) {
        {
            let mut world = self.world();
            world.subscription.url.clone_from(&url);
            world.subscription.validated = None;
        }
        if let (Some(url), true) = (url, validate) {
            webhooks::validate(self, url);
        }
    }

    /// The world, locked. Keep the guard briefly and never across an `.await`.
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.inner
            .world
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn config(&self) -> &EmulatorConfig {
        &self.inner.config
    }

    /// The base URL without a trailing slash, e.g. "http://127.0.0.1:41234".
    pub(crate) fn base(&self) -> String {
        self.inner.base.clone()
    }

    /// The base URL's path without a trailing slash: "" at the root, or e.g. "/sandbox/zoom".
    pub(crate) fn base_path(&self) -> &str {
        &self.inner.base_path
    }

    pub(crate) fn http(&self) -> Option<&reqwest::Client> {
        self.inner.http.as_ref()
    }
}

/// A standalone emulator serving on loopback; stops when dropped.
pub struct RunningEmulator {
    /// Where it listens, e.g. "http://127.0.0.1:41234/".
    pub base_url: Url,
    /// The handle on its state and switches.
    pub emulator: Emulator,
    _stop: oneshot::Sender<()>,
}

impl RunningEmulator {
    /// The absolute URL of a path under the base, e.g. `url("/v2/users/me")`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.inner.base)
    }
}

/// A standalone emulator on 127.0.0.1 and a random port. It binds first, then asks `config`
/// for the configuration given the bound base URL.
pub async fn spawn_standalone(
    config: impl FnOnce(Url) -> EmulatorConfig,
) -> anyhow::Result<RunningEmulator> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let base_url = Url::parse(&format!("http://{}", listener.local_addr()?))?;
    let emulator = Emulator::new(config(base_url.clone()));
    let (stop, stopped) = oneshot::channel::<()>();
    let app = emulator.router();
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, "the standalone Zoom sandbox stopped");
        }
    });
    Ok(RunningEmulator {
        base_url,
        emulator,
        _stop: stop,
    })
}

/// Serves the emulator alone on `listener` until the task is dropped or the listener fails.
pub async fn serve(listener: TcpListener, emulator: Emulator) -> std::io::Result<()> {
    axum::serve(listener, emulator.router()).await
}
