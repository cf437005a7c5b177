//! The processes under test: the hub binary and the harness's own child roles (the
//! emulator, the comparator), each on a loopback port chosen up front so that it can be
//! restarted where it was. Reads their CPU time and memory from `/proc`, and stops them
//! gracefully (SIGTERM) or not at all (SIGKILL).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};
use tokio::time::{Instant, sleep};

/// How long a process may take to answer its readiness URL.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

/// How to start one process, kept so that it can be started again.
#[derive(Clone)]
pub struct Launch {
    /// Short name used in logs and reports, e.g. "hub-1".
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Base URL, e.g. "http://127.0.0.1:41234".
    pub base: String,
    /// Path that answers 2xx once the process serves, e.g. "/healthz".
    pub ready_path: String,
    /// Where stdout and stderr go (appended across restarts); the process runs in its
    /// folder, so that no `convene.toml` of the caller's is read.
    pub log: PathBuf,
}

impl Launch {
    /// A child of this harness binary in `role`, on `port`.
    pub fn harness_role(
        name: &str,
        role: &[&str],
        port: u16,
        ready_path: &str,
        run_dir: &Path,
    ) -> anyhow::Result<Self> {
        let mut args: Vec<String> = role.iter().map(|arg| (*arg).to_owned()).collect();
        args.extend(["--port".to_owned(), port.to_string()]);
        Ok(Self {
            name: name.to_owned(),
            program: std::env::current_exe().context("cannot find the harness binary")?,
            args,
            env: Vec::new(),
            base: format!("http://127.0.0.1:{port}"),
            ready_path: ready_path.to_owned(),
            log: run_dir.join(format!("{name}.log")),
        })
    }

    /// Starts the process and waits until it answers.
    pub async fn start(&self) -> anyhow::Result<Process> {
        let log = File::options()
            .create(true)
            .append(true)
            .open(&self.log)
            .with_context(|| format!("cannot open {}", self.log.display()))?;
        let child = Command::new(&self.program)
            .args(&self.args)
            .current_dir(self.log.parent().unwrap_or(Path::new(".")))
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", self.program.display()))?;
        let mut process = Process {
            pid: child.id().context("the child exited at once")?,
            child,
            launch: self.clone(),
        };
        process.wait_ready().await?;
        Ok(process)
    }
}

/// A running child process.
pub struct Process {
    pid: u32,
    child: Child,
    launch: Launch,
}

/// A process's memory, in bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Memory {
    /// Resident now (VmRSS).
    pub resident: u64,
    /// Highest resident so far (VmHWM).
    pub peak: u64,
}

impl Process {
    /// The base URL it serves on.
    pub fn base(&self) -> &str {
        &self.launch.base
    }

    /// User plus system CPU time consumed so far.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))?;
        // The command name may hold spaces; fields are counted after its closing parenthesis.
        let after_name = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .context("unreadable /proc stat")?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        // utime and stime are fields 14 and 15 of stat(5); `fields` starts at field 3.
        let ticks: u64 = fields
            .get(11..13)
            .context("short /proc stat")?
            .iter()
            .map(|field| field.parse::<u64>())
            .sum::<Result<u64, _>>()?;
        // SAFETY: sysconf only reads a constant.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        Ok(ticks as f64 / per_second.max(1) as f64)
    }

    /// Resident and peak resident memory.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let kilobytes = |key: &str| -> u64 {
            status
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|value| value.parse().ok())
                .unwrap_or(0)
        };
        Ok(Memory {
            resident: kilobytes("VmRSS:") * 1024,
            peak: kilobytes("VmHWM:") * 1024,
        })
    }

    /// SIGKILL: no chance to finish anything.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }

    /// SIGTERM, then waits for a graceful exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let pid = libc::pid_t::try_from(self.pid)?;
        // SAFETY: signalling our own child, whose pid we hold until it is reaped.
        unsafe { libc::kill(pid, libc::SIGTERM) };
        match tokio::time::timeout(Duration::from_secs(30), self.child.wait()).await {
            Ok(status) => {
                status?;
            }
            Err(_) => self.child.kill().await?,
        }
        Ok(())
    }

    /// Starts the same process again (after [`Process::kill`]) and waits until it answers.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        *self = self.launch.start().await?;
        Ok(())
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::new();
        let url = format!("{}{}", self.launch.base, self.launch.ready_path);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited with {status} before answering; see {}",
                    self.launch.name,
                    self.launch.log.display()
                );
            }
            if let Ok(response) = http.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "{} did not answer {url}; see {}",
                    self.launch.name,
                    self.launch.log.display()
                );
            }
            sleep(Duration::from_millis(50)).await;
        }
    }
}
