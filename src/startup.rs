//! Building and running the hub: key ring, database, router, background work,
//! graceful shutdown on SIGTERM or Ctrl-C.

use std::future::Future;
use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use url::Url;

use crate::conferencing::{BrokerSettings, SyncSettings, TokenBroker};
use crate::config::{Config, MasterKeys};
use crate::demo::Demo;
use crate::http::rate_limit::ApiRateLimits;
use crate::http::state::{AppState, Shared};
use crate::notify::Notifier;
use crate::sandbox::{Emulator, EmulatorConfig};
use crate::store::Store;
use crate::tenancy::KeyUsage;
use crate::vault::KeyRing;
use crate::zoom::{self, ZoomApi, ZoomEndpoints, ZoomOAuth};
use crate::{http, jobs};

/// Where the in-process Zoom emulator is mounted in sandbox mode.
pub const SANDBOX_ZOOM_PATH: &str = "/sandbox/zoom";
/// The OAuth client id of the hub's app at the sandbox emulator.
const SANDBOX_CLIENT_ID: &str = "convene-sandbox";

/// A built hub, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    /// The built-in Zoom emulator, in sandbox mode.
    emulator: Option<Emulator>,
    /// The demo client under `/demo`, in sandbox mode unless turned off.
    demo: Option<Demo>,
}

impl Application {
    /// Opens the key ring and the database (migrating it), and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let vault = load_key_ring(&config)?;
        let store = open_store(&config).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (CONVENE_LISTEN)", config.listen))?;
        let address = listener.local_addr()?;
        let public_url = match &config.public_url {
            Some(url) => url.clone(),
            None => Url::parse(&format!("http://{address}"))?,
        };
        let (endpoints, emulator) = zoom_endpoints(&config, &public_url)?;
        let demo = match config.demo {
            true => Some(
                Demo::start(
                    &store,
                    &vault,
                    &public_url,
                    &own_url(address)?,
                    &config.data_dir,
                )
                .await?,
            ),
            false => None,
        };
        let http_client = zoom::http_client()?;
        let zoom_oauth = ZoomOAuth::new(&endpoints, http_client.clone())?;
        let broker = TokenBroker::new(
            store.clone(),
            vault.clone(),
            zoom_oauth.clone(),
            broker_settings(&config),
        );
        let notifier = Notifier::from_config(store.clone(), vault.clone(), &config, &public_url)?;
        let state = AppState::new(Shared {
            notifier: Arc::new(notifier),
            sync: SyncSettings {
                backoff_base: config.tuning.meeting_retry_base,
                max_attempts: config.tuning.meeting_retry_attempts,
                ..SyncSettings::default()
            },
            rate_limits: ApiRateLimits::new(config.rate_limit_per_second),
            metrics: http::metrics::recorder()?,
            key_usage: KeyUsage::default(),
            zoom: ZoomApi::new(&endpoints.api_base, http_client),
            zoom_oauth,
            broker: Arc::new(broker),
            public_url,
            store,
            vault,
            config,
        });
        Ok(Self {
            listener,
            address,
            state,
            emulator,
            demo,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// This instance's store (tests read what it has asked of the database).
    pub fn store(&self) -> &Store {
        &self.state.store
    }

    /// The base URL this instance announces.
    pub fn public_url(&self) -> &Url {
        &self.state.public_url
    }

    /// What `serve` prints at start in sandbox mode: where to go, and the demo's key.
    pub fn sandbox_banner(&self) -> Option<String> {
        self.emulator.as_ref()?;
        let base = self.state.public_url.as_str().trim_end_matches('/');
        let mut banner = format!(
            "\nConvene is running in SANDBOX mode: its Zoom is the built-in emulator.\n  \
             hub                 {base}\n  \
             sandbox Zoom        {base}{SANDBOX_ZOOM_PATH}/meetings  (any email signs in; Manage apps: {base}{SANDBOX_ZOOM_PATH}/apps)\n  \
             operator console    {base}/admin  (make an operator: convene admin create --email you@example.com)\n"
        );
        if let Some(demo) = &self.demo {
            banner.push_str(&format!(
                "  demo practice       {base}/demo  <- start here\n  \
                 demo application    {}  key {}\n",
                demo.application_id(),
                demo.api_key()
            ));
        }
        Some(banner)
    }

    /// Serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then drains in-flight requests and
    /// background work and writes back pending key usage.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self {
            listener,
            state,
            emulator,
            demo,
            ..
        } = self;
        let mut router = http::router(state.clone());
        if let Some(emulator) = emulator {
            router = router.nest(SANDBOX_ZOOM_PATH, emulator.router());
        }
        if let Some(demo) = demo {
            router = router.nest("/demo", demo.router());
        }
        let stop_jobs = CancellationToken::new();
        let mut jobs = jobs::spawn_upkeep(&state, &stop_jobs);
        // The peer address lets the console throttle sign-ins per client.
        let served = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(stop)
        .await
        .context("the HTTP server failed");
        stop_jobs.cancel();
        while jobs.join_next().await.is_some() {}
        if let Err(error) = state.key_usage.flush(&state.store).await {
            tracing::warn!(error = ?error, "could not record API key usage at shutdown");
        }
        tracing::info!("stopped");
        served
    }
}

/// Zoom as configured, or in sandbox mode the built-in emulator under
/// [`SANDBOX_ZOOM_PATH`], with the hub's URLs pointed at it.
fn zoom_endpoints(
    config: &Config,
    public_url: &Url,
) -> anyhow::Result<(ZoomEndpoints, Option<Emulator>)> {
    let redirect_uri = public_url.join("/connect/zoom/callback")?;
    let Some(client) = &config.zoom.client else {
        let base = Url::parse(&format!(
            "{}{SANDBOX_ZOOM_PATH}",
            public_url.as_str().trim_end_matches('/')
        ))?;
        let mut secret = [0u8; 24];
        rand::fill(&mut secret);
        let client_secret =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, secret);
        let mut emulator_config = EmulatorConfig::new(
            base.clone(),
            SANDBOX_CLIENT_ID,
            &client_secret,
            vec![redirect_uri.to_string()],
            config.zoom.webhook_secret.expose_secret(),
        );
        emulator_config.webhook_url = Some(public_url.join("/webhooks/zoom")?.to_string());
        let endpoints = ZoomEndpoints {
            api_base: Url::parse(&format!("{base}/v2"))?,
            oauth_base: base,
            client_id: SANDBOX_CLIENT_ID.to_owned(),
            client_secret: client_secret.into(),
            redirect_uri,
        };
        return Ok((endpoints, Some(Emulator::new(emulator_config))));
    };
    let configured = |url: &Option<Url>, name: &str| {
        url.clone()
            .with_context(|| format!("{name} is required with a real Zoom app"))
    };
    Ok((
        ZoomEndpoints {
            oauth_base: configured(&config.zoom.oauth_url, "CONVENE_ZOOM_OAUTH_URL")?,
            api_base: configured(&config.zoom.api_url, "CONVENE_ZOOM_API_URL")?,
            client_id: client.client_id.clone(),
            client_secret: client.client_secret.clone(),
            redirect_uri,
        },
        None,
    ))
}

/// This instance's own base URL, for the demo's calls to the API (loopback when bound to
/// every address).
fn own_url(address: SocketAddr) -> anyhow::Result<Url> {
    let reachable = match address.ip().is_unspecified() {
        true => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), address.port()),
        false => address,
    };
    Ok(Url::parse(&format!("http://{reachable}"))?)
}

fn broker_settings(config: &Config) -> BrokerSettings {
    BrokerSettings {
        // Refresh idle credentials at a third of the refresh token's lifetime.
        idle_refresh_after: config.zoom.refresh_token_lifetime / 3,
        ..BrokerSettings::default()
    }
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&config.database_url, config.tuning.max_db_connections).await?;
    store.migrate().await?;
    Ok(store)
}

/// The vault's key ring: `CONVENE_MASTER_KEYS`, or in the sandbox a key kept in
/// the data directory (generated on first start, with a warning).
pub fn load_key_ring(config: &Config) -> anyhow::Result<KeyRing> {
    match &config.master_keys {
        MasterKeys::Configured(spec) => {
            KeyRing::parse(spec.expose_secret()).context("CONVENE_MASTER_KEYS is not usable")
        }
        MasterKeys::SandboxFile(path) => sandbox_key_ring(path),
    }
}

fn sandbox_key_ring(path: &Path) -> anyhow::Result<KeyRing> {
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        }
        let mut file = create_private(path)
            .with_context(|| format!("cannot write the sandbox key to {}", path.display()))?;
        file.write_all(KeyRing::generate_spec().as_bytes())?;
        tracing::warn!(
            path = %path.display(),
            "SANDBOX: generated a master key for sealing secrets; set CONVENE_MASTER_KEYS before real use"
        );
    }
    let spec = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the sandbox key {}", path.display()))?;
    KeyRing::parse(spec.trim())
        .with_context(|| format!("the sandbox key {} is not usable", path.display()))
}

/// Creates a file readable by its owner only, refusing to overwrite one.
fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
