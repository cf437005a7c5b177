//! The testbed every measurement runs on: a folder for the run, the emulator process, the
//! run's database, one or more hub instances on it, an application, and its end users
//! connected to Zoom through the real OAuth flow.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use futures_util::{StreamExt, TryStreamExt, stream};
use tempfile::TempDir;
use url::Url;

use crate::browser::Browser;
use crate::database::{Analyzer, RunDatabase};
use crate::hub::{HubSetup, Tenant, register_app};
use crate::processes::{Launch, Process, free_port};
use crate::zoom::{self, ZoomControl};

/// Browsers going through the connect flow at once.
const PARALLEL_CONNECTS: usize = 32;

/// What a testbed is made of.
pub struct TestbedPlan {
    /// PostgreSQL server to make the run's database on; SQLite when absent.
    pub postgres: Option<Url>,
    /// Hub instances sharing the database.
    pub instances: usize,
    /// Where the application's webhooks go; none when absent.
    pub webhook_url: Option<String>,
}

/// A running testbed.
pub struct Testbed {
    /// The run's folder: logs and the SQLite file.
    pub run_dir: TempDir,
    /// A client that follows no redirect, with room for every worker's connection.
    pub http: reqwest::Client,
    pub zoom: ZoomControl,
    pub emulator: Process,
    pub database: RunDatabase,
    pub hubs: Vec<Process>,
    pub tenant: Tenant,
    /// Analyzes the database while the run lasts, where the server's autovacuum would not.
    analyzer: Option<Analyzer>,
}

impl Testbed {
    /// Starts the emulator, makes the database, starts the hubs and registers an application.
    async fn start(plan: TestbedPlan) -> anyhow::Result<Self> {
        let run_dir = tempfile::Builder::new().prefix("convene-load-").tempdir()?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(1024)
            .timeout(Duration::from_secs(60))
            .build()?;
        let hub_ports = (0..plan.instances)
            .map(|_| free_port())
            .collect::<anyhow::Result<Vec<u16>>>()?;
        let hub_bases: Vec<String> = hub_ports
            .iter()
            .map(|port| format!("http://127.0.0.1:{port}"))
            .collect();
        let emulator = zoom::launch(&hub_bases, run_dir.path())?.start().await?;
        let zoom = ZoomControl::new(emulator.base(), http.clone());
        let database = RunDatabase::create(plan.postgres.as_ref(), run_dir.path(), "hub").await?;
        let analyzer = database.stand_in_for_autovacuum().await?;
        let setup = HubSetup {
            database_url: database.url().to_owned(),
            master_keys: convene::vault::KeyRing::generate_spec(),
            zoom: zoom.base().to_owned(),
        };
        let mut hubs = Vec::new();
        for (index, port) in hub_ports.into_iter().enumerate() {
            // One at a time: the first one migrates the database.
            let launch = setup.launch(&format!("hub-{}", index + 1), port, run_dir.path());
            hubs.push(launch.start().await?);
        }
        let tenant =
            register_app(&http, hubs[0].base(), "Bench", plan.webhook_url.as_deref()).await?;
        Ok(Self {
            run_dir,
            http,
            zoom,
            emulator,
            database,
            hubs,
            tenant,
            analyzer,
        })
    }

    /// Starts a testbed, runs `work` on it, then shuts it down whatever came of the work.
    pub async fn run<F>(plan: TestbedPlan, work: F) -> anyhow::Result<()>
    where
        F: AsyncFnOnce(&mut Testbed) -> anyhow::Result<()>,
    {
        let mut bed = Self::start(plan).await?;
        let outcome = work(&mut bed).await;
        bed.shut_down().await?;
        outcome
    }

    /// Every hub's base URL.
    pub fn hub_bases(&self) -> Vec<String> {
        self.hubs.iter().map(|hub| hub.base().to_owned()).collect()
    }

    /// Connects `count` end users `{prefix}-{n}` to Zoom users `{prefix}-{n}@bench.test`
    /// through the hub's connect page and Zoom's sign-in and consent, spread over the
    /// instances. Returns their end-user ids.
    pub async fn connect_end_users(
        &self,
        prefix: &str,
        count: usize,
    ) -> anyhow::Result<Vec<String>> {
        let bases = Arc::new(self.hub_bases());
        let ids: Vec<String> = (0..count).map(|n| format!("{prefix}-{n}")).collect();
        stream::iter(ids.iter().enumerate())
            .map(|(n, end_user)| {
                let bases = Arc::clone(&bases);
                async move {
                    let hub = &bases[n % bases.len()];
                    let email = format!("{end_user}@bench.test");
                    Browser::new(self.http.clone())
                        .connect(hub, &self.tenant, end_user, &email)
                        .await
                        .with_context(|| format!("connecting {end_user}"))
                }
            })
            .buffer_unordered(PARALLEL_CONNECTS)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(ids)
    }

    /// Access tokens for `count` Zoom users `direct-{n}@bench.test`, obtained by the harness
    /// as an OAuth client of its own (they are not the hub's users, whose tokens a new
    /// authorization would kill).
    pub async fn direct_tokens(&self, count: usize) -> anyhow::Result<Vec<String>> {
        stream::iter(0..count)
            .map(|n| async move {
                Browser::new(self.http.clone())
                    .direct_token(self.zoom.base(), &format!("direct-{n}@bench.test"))
                    .await
            })
            .buffer_unordered(PARALLEL_CONNECTS)
            .try_collect()
            .await
    }

    /// How to start a child role of the harness in this run's folder.
    pub fn role(&self, name: &str, role: &[&str], ready_path: &str) -> anyhow::Result<Launch> {
        Launch::harness_role(name, role, free_port()?, ready_path, self.run_dir.path())
    }

    /// Stops the hubs gracefully, then the emulator, and drops the run's database.
    async fn shut_down(self) -> anyhow::Result<()> {
        drop(self.analyzer);
        for hub in self.hubs {
            hub.stop().await?;
        }
        self.emulator.stop().await?;
        self.database.drop_database().await
    }
}
