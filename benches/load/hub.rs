//! The hub under test: how to launch the release `convene` binary against the harness's
//! emulator and database, and registering applications through the admin API.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Value, json};

use crate::processes::Launch;
use crate::zoom::{CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET};

/// The admin token of every hub the harness starts (loopback only).
pub const ADMIN_TOKEN: &str = "convene-bench-admin-token";
/// The redirect URI every bench application registers.
pub const APP_REDIRECT_URI: &str = "https://app.bench.test/connected";

/// What every hub instance of one run shares.
pub struct HubSetup {
    pub database_url: String,
    pub master_keys: String,
    /// The emulator's base URL.
    pub zoom: String,
}

impl HubSetup {
    /// How to start an instance named `name` on `port`.
    pub fn launch(&self, name: &str, port: u16, run_dir: &Path) -> Launch {
        let base = format!("http://127.0.0.1:{port}");
        let env = [
            ("CONVENE_LISTEN", format!("127.0.0.1:{port}")),
            ("CONVENE_PUBLIC_URL", base.clone()),
            ("CONVENE_DATABASE_URL", self.database_url.clone()),
            ("CONVENE_MASTER_KEYS", self.master_keys.clone()),
            ("CONVENE_ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            ("CONVENE_ZOOM_CLIENT_ID", CLIENT_ID.to_owned()),
            ("CONVENE_ZOOM_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
            ("CONVENE_ZOOM_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
            ("CONVENE_ZOOM_OAUTH_URL", self.zoom.clone()),
            ("CONVENE_ZOOM_API_URL", format!("{}/v2", self.zoom)),
            // Load comes from one key; the per-key limit is not what is measured.
            ("CONVENE_RATE_LIMIT_PER_SECOND", "1000000".to_owned()),
            // Application webhooks go to the harness on loopback.
            ("CONVENE_WEBHOOK_ALLOW_PRIVATE", "true".to_owned()),
            ("CONVENE_DATA_DIR", run_dir.display().to_string()),
        ];
        Launch {
            name: name.to_owned(),
            program: hub_program(),
            args: vec!["serve".to_owned()],
            env: env.map(|(k, v)| (k.to_owned(), v)).to_vec(),
            base,
            ready_path: "/readyz".to_owned(),
            log: run_dir.join(format!("{name}.log")),
        }
    }
}

/// The hub binary under test: this build's, or the one `CONVENE_BENCH_HUB` names (a build of
/// an earlier commit, to compare before and after on the same machine in one sitting).
pub fn hub_program() -> PathBuf {
    std::env::var_os("CONVENE_BENCH_HUB")
        .filter(|path| !path.is_empty())
        .map_or_else(|| env!("CARGO_BIN_EXE_convene").into(), PathBuf::from)
}

/// An application registered with the hub.
#[derive(Clone)]
pub struct Tenant {
    pub id: String,
    pub api_key: String,
}

/// Registers an application, with its webhooks sent to `webhook_url` when given.
pub async fn register_app(
    http: &reqwest::Client,
    hub: &str,
    name: &str,
    webhook_url: Option<&str>,
) -> anyhow::Result<Tenant> {
    let body: Value = http
        .post(format!("{hub}/admin/api/applications"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({
            "name": name,
            "redirect_uris": [APP_REDIRECT_URI],
            "webhook_url": webhook_url,
        }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let field = |name: &str| {
        body[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no {name} in {body}"))
    };
    Ok(Tenant {
        id: field("id")?,
        api_key: field("api_key")?,
    })
}
