//! Zoom for the harness: the emulator as a child process of its own (so that its CPU time
//! is its own), and a client for the emulator's control API.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use convene::sandbox::{Emulator, EmulatorConfig};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use url::Url;

use crate::processes::{Launch, free_port};

/// The OAuth client id of the hub's app at the emulator.
pub const CLIENT_ID: &str = "convene-bench";
/// Its client secret (loopback only).
pub const CLIENT_SECRET: &str = "convene-bench-client-secret";
/// Zoom's "secret token" for event notifications.
pub const WEBHOOK_SECRET: &str = "convene-bench-webhook-secret";
/// Where the harness, as an OAuth client of its own, is sent back with a code. Never fetched.
pub const DIRECT_REDIRECT_URI: &str = "http://127.0.0.1:9/bench/direct";

/// A latency regime: how long the emulator takes for each OAuth and REST call.
pub struct Regime {
    pub name: &'static str,
    pub latency: Duration,
}

impl Regime {
    /// The heading of a table measured in this regime under `load`.
    pub fn heading(&self, load: &crate::load::Load) -> String {
        format!(
            "== {} regime (emulator +{} ms per call), {} concurrent, {} s windows ==",
            self.name,
            self.latency.as_millis(),
            load.concurrency,
            load.window.as_secs()
        )
    }

    /// Zoom-like (`zoom_latency_ms` per call), then zero (CPU-bound).
    pub fn both(zoom_latency_ms: u64) -> [Regime; 2] {
        [
            Regime {
                name: "Zoom-like",
                latency: Duration::from_millis(zoom_latency_ms),
            },
            Regime {
                name: "zero latency",
                latency: Duration::ZERO,
            },
        ]
    }
}

/// The emulator role's arguments.
#[derive(Args, Debug)]
pub struct EmulatorRole {
    /// Port to serve on (127.0.0.1).
    #[arg(long)]
    port: u16,
    /// Registered OAuth redirect URIs.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
}

impl EmulatorRole {
    /// Serves the emulator until killed, with no daily meeting limit (the harness creates
    /// far more than Zoom's 100 a day per user).
    pub async fn serve(self) -> anyhow::Result<()> {
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        let base = Url::parse(&format!("http://127.0.0.1:{}", self.port))?;
        let mut config = EmulatorConfig::new(
            base,
            CLIENT_ID,
            CLIENT_SECRET,
            self.redirect_uris,
            WEBHOOK_SECRET,
        );
        config.daily_meeting_limit = u32::MAX;
        convene::sandbox::serve(listener, Emulator::new(config)).await?;
        Ok(())
    }
}

/// How to start the emulator so that each hub in `hub_bases` can connect users through it.
pub fn launch(hub_bases: &[String], run_dir: &Path) -> anyhow::Result<Launch> {
    let mut role = vec!["emulator".to_owned()];
    for redirect in hub_bases
        .iter()
        .map(|base| format!("{base}/connect/zoom/callback"))
        .chain([DIRECT_REDIRECT_URI.to_owned()])
    {
        role.extend(["--redirect-uri".to_owned(), redirect]);
    }
    let role: Vec<&str> = role.iter().map(String::as_str).collect();
    Launch::harness_role("emulator", &role, free_port()?, "/_control/users", run_dir)
}

/// The emulator's control API.
#[derive(Clone)]
pub struct ZoomControl {
    base: String,
    http: reqwest::Client,
}

/// Refresh-token grants the emulator answered.
pub struct RefreshGrants {
    /// Successful grants per Zoom user id.
    pub by_user: std::collections::HashMap<String, u64>,
    /// Grants refused with `invalid_grant` (unknown, used or killed refresh token).
    pub rejected: u64,
}

impl ZoomControl {
    /// A client for the emulator at `base`.
    pub fn new(base: &str, http: reqwest::Client) -> Self {
        Self {
            base: base.to_owned(),
            http,
        }
    }

    /// The emulator's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Delays every OAuth and REST call by `delay`.
    pub async fn set_latency(&self, delay: Duration) -> anyhow::Result<()> {
        let ms = u64::try_from(delay.as_millis())?;
        self.post("/_control/latency", json!({ "ms": ms })).await
    }

    /// Arms a fault, e.g. `{"kind": "status", "scope": "api", "status": 503, "count": 20}`.
    pub async fn inject(&self, fault: Value) -> anyhow::Result<()> {
        self.post("/_control/faults", fault).await
    }

    /// Disarms every fault.
    pub async fn clear_faults(&self) -> anyhow::Result<()> {
        let response = self
            .http
            .delete(format!("{}/_control/faults", self.base))
            .send()
            .await?;
        response.error_for_status()?;
        Ok(())
    }

    /// Makes every access token issued so far expired.
    pub async fn expire_access_tokens(&self) -> anyhow::Result<()> {
        self.post("/_control/expire_access_tokens", json!({})).await
    }

    /// Every refresh grant answered so far.
    pub async fn refresh_grants(&self) -> anyhow::Result<RefreshGrants> {
        let body = self.get("/_control/refresh_grants").await?;
        let by_user = body["by_user"]
            .as_object()
            .context("no by_user in refresh grants")?
            .iter()
            .map(|(user, count)| (user.clone(), count.as_u64().unwrap_or(0)))
            .collect();
        Ok(RefreshGrants {
            by_user,
            rejected: body["rejected"].as_u64().unwrap_or(0),
        })
    }

    /// Every Zoom user as `{id, email, …}`.
    pub async fn users(&self) -> anyhow::Result<Vec<Value>> {
        let mut body = self.get("/_control/users").await?;
        Ok(body["users"].take().as_array().cloned().unwrap_or_default())
    }

    /// The user's meetings as Zoom shows them.
    pub async fn meetings_of(&self, user_id: &str) -> anyhow::Result<Vec<Value>> {
        let mut body = self
            .get(&format!("/_control/users/{user_id}/meetings"))
            .await?;
        Ok(body["meetings"]
            .take()
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await?
            .error_for_status()?;
        Ok(response.json().await?)
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<()> {
        self.http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
        Ok(())
    }
}
