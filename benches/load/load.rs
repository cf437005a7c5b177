//! The load generator: a closed loop of `concurrency` workers, each sending its next
//! request as soon as the last was answered, for a warm-up and then a measured window.
//! Only requests answered inside the window count, and the servers' CPU time is read at
//! the window's edges.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::Args;
use tokio::time::{Instant, sleep_until};

use crate::processes::Process;

/// How hard and how long to push.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub concurrency: usize,
    pub warmup: Duration,
    pub window: Duration,
}

/// The command-line shape of the loads a measurement runs.
#[derive(Args, Debug, Clone)]
pub struct LoadArgs {
    /// Concurrency levels (workers in the closed loop), each measured in turn.
    #[arg(long, value_delimiter = ',', default_value = "50,200")]
    pub concurrency: Vec<usize>,
    /// Seconds of warm-up before each measured window.
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// Seconds in each measured window.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

impl LoadArgs {
    /// One load per concurrency level.
    pub fn loads(&self) -> Vec<Load> {
        self.concurrency
            .iter()
            .map(|&concurrency| Load {
                concurrency,
                warmup: Duration::from_secs(self.warmup),
                window: Duration::from_secs(self.seconds),
            })
            .collect()
    }
}

/// How one request ended: its HTTP status, or what broke the exchange.
pub type Answer = Result<u16, &'static str>;

/// What a measured window saw.
#[derive(Debug, Default)]
pub struct Sample {
    /// Latency of each request answered with the expected status inside the window, in µs.
    pub latencies_us: Vec<u32>,
    /// Every answer inside the window, by status (or transport failure).
    pub answers: BTreeMap<String, u64>,
    /// Requests started, warm-up and stragglers included (their sequence numbers are 0..issued).
    pub issued: u64,
    /// CPU seconds the servers used inside the window.
    pub cpu_seconds: f64,
    pub window: Duration,
}

/// Sends `request` and reads the whole answer.
pub async fn exchange(request: reqwest::RequestBuilder) -> Answer {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            response
                .bytes()
                .await
                .map(|_| status)
                .map_err(|_| "body cut")
        }
        Err(error) if error.is_timeout() => Err("timeout"),
        Err(error) if error.is_connect() => Err("refused"),
        Err(_) => Err("reset"),
    }
}

/// A workload: request sequence number → the exchange.
pub type Workload = Arc<dyn Fn(u64) -> Pin<Box<dyn Future<Output = Answer> + Send>> + Send + Sync>;

/// Wraps `send` as a [`Workload`].
pub fn workload<F, Fut>(send: F) -> Workload
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Answer> + Send + 'static,
{
    Arc::new(move |number| Box::pin(send(number)))
}

/// Runs `send(sequence number)` in a closed loop; answers other than `expected` are
/// counted but not timed. `servers` are the processes whose CPU time is charged.
pub async fn run(load: Load, expected: u16, servers: &[&Process], send: Workload) -> Sample {
    let sequence = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let window_start = start + load.warmup;
    let window_end = window_start + load.window;
    let workers: Vec<_> = (0..load.concurrency)
        .map(|_| {
            let send = Arc::clone(&send);
            let sequence = Arc::clone(&sequence);
            tokio::spawn(async move {
                let mut seen = Sample::default();
                while Instant::now() < window_end {
                    let number = sequence.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let answer = send(number).await;
                    let answered = Instant::now();
                    if sent < window_start || answered > window_end {
                        continue;
                    }
                    let key = match answer {
                        Ok(status) => status.to_string(),
                        Err(broken) => broken.to_owned(),
                    };
                    if answer == Ok(expected) {
                        let micros = (answered - sent).as_micros();
                        seen.latencies_us
                            .push(u32::try_from(micros).unwrap_or(u32::MAX));
                    }
                    *seen.answers.entry(key).or_default() += 1;
                }
                seen
            })
        })
        .collect();
    sleep_until(window_start).await;
    let cpu_before = cpu_seconds(servers);
    sleep_until(window_end).await;
    let cpu_after = cpu_seconds(servers);
    let mut sample = Sample {
        window: load.window,
        cpu_seconds: cpu_after - cpu_before,
        ..Sample::default()
    };
    for worker in workers {
        if let Ok(seen) = worker.await {
            sample.latencies_us.extend(seen.latencies_us);
            for (key, count) in seen.answers {
                *sample.answers.entry(key).or_default() += count;
            }
        }
    }
    sample.issued = sequence.load(Ordering::Relaxed);
    sample
}

fn cpu_seconds(servers: &[&Process]) -> f64 {
    servers
        .iter()
        .filter_map(|server| server.cpu_seconds().ok())
        .sum()
}
