//! A private PostgreSQL server for the chaos run, which restarts it: a fresh cluster in a
//! folder of its own, on a loopback port, owned by the `postgres` user when the harness
//! runs as root (PostgreSQL refuses to run as root).

use std::path::PathBuf;

use anyhow::{Context, bail};
use tempfile::TempDir;
use tokio::process::Command;
use url::Url;

use crate::processes::free_port;

/// A PostgreSQL server of the harness's own; stopped when dropped with [`PrivatePostgres::stop`].
pub struct PrivatePostgres {
    dir: TempDir,
    bin: PathBuf,
    port: u16,
}

impl PrivatePostgres {
    /// Makes a cluster (trust authentication, user `postgres`) and starts it.
    pub async fn start() -> anyhow::Result<Self> {
        let bindir = Command::new("pg_config").arg("--bindir").output().await;
        let bin = match bindir {
            Ok(output) if output.status.success() => {
                PathBuf::from(String::from_utf8(output.stdout)?.trim())
            }
            _ => PathBuf::from("/usr/lib/postgresql/15/bin"),
        };
        let dir = tempfile::Builder::new()
            .prefix("convene-chaos-pg-")
            .tempdir()?;
        if is_root() {
            run(Command::new("chown").arg("postgres:").arg(dir.path())).await?;
        }
        let server = Self {
            dir,
            bin,
            port: free_port()?,
        };
        server
            .as_owner(
                "initdb",
                &["-A", "trust", "-U", "postgres", "-D", &server.data()],
            )
            .await?;
        server.pg_ctl("start").await?;
        Ok(server)
    }

    /// `postgres://postgres@127.0.0.1:{port}/postgres`.
    pub fn url(&self) -> anyhow::Result<Url> {
        Ok(Url::parse(&format!(
            "postgres://postgres@127.0.0.1:{}/postgres",
            self.port
        ))?)
    }

    /// Stops the server (fast: open connections are cut) and starts it again.
    pub async fn restart(&self) -> anyhow::Result<()> {
        self.pg_ctl("restart").await
    }

    /// Stops the server; its folder goes with `self`.
    pub async fn stop(self) -> anyhow::Result<()> {
        let data = self.data();
        self.as_owner("pg_ctl", &["stop", "-m", "fast", "-D", &data])
            .await
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    async fn pg_ctl(&self, action: &str) -> anyhow::Result<()> {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let log = self.dir.path().join("server.log").display().to_string();
        let data = self.data();
        let args = [
            action, "-w", "-m", "fast", "-D", &data, "-l", &log, "-o", &options,
        ];
        self.as_owner("pg_ctl", &args).await
    }

    /// Runs one of PostgreSQL's programs, as `postgres` when the harness is root.
    async fn as_owner(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let path = self.bin.join(program);
        let mut command = if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        };
        run(command.args(args)).await
    }
}

async fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .await
        .with_context(|| format!("cannot run {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}
