//! `measure`: paths (a) to (f) at each concurrency level, in the Zoom-like and the zero
//! latency regime, with the ratios the targets speak of and the hub's memory.

use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use url::Url;

use crate::hub_metrics::Scrape;
use crate::load::{self, Load, LoadArgs};
use crate::processes::Process;
use crate::receiver::WebhookReceiver;
use crate::stats::{Summary, megabytes};
use crate::testbed::{Testbed, TestbedPlan};
use crate::workload::{self, Target};
use crate::zoom::Regime;

/// The arguments of `measure`.
#[derive(Args, Debug, Clone)]
pub struct MeasureArgs {
    /// PostgreSQL server (e.g. postgres://postgres@127.0.0.1:5432/postgres) to make the
    /// run's database on; SQLite when absent.
    #[arg(long)]
    pub postgres: Option<Url>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// End users connected to Zoom (hosts of the events), and as many direct Zoom users.
    #[arg(long, default_value_t = 100)]
    pub hosts: usize,
    /// The emulator's added latency per call in the Zoom-like regime, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub zoom_latency_ms: u64,
    /// Fail when a path got an answer other than its expected one, or none (a smoke test).
    #[arg(long)]
    pub check: bool,
}

/// One concurrency level's rows.
struct Level {
    direct: Summary,
    comparator: Summary,
    create: Summary,
}

/// Runs `measure` and prints its tables.
pub async fn run(args: MeasureArgs) -> anyhow::Result<()> {
    // Real applications take webhooks: the hub's outbox works during the run as it would.
    let receiver = WebhookReceiver::start().await?;
    let plan = TestbedPlan {
        postgres: args.postgres.clone(),
        instances: 1,
        webhook_url: Some(receiver.url.clone()),
    };
    Testbed::run(plan, async |bed| measure(bed, &args, &receiver).await).await
}

async fn measure(
    bed: &Testbed,
    args: &MeasureArgs,
    receiver: &WebhookReceiver,
) -> anyhow::Result<()> {
    let hosts = Arc::new(bed.connect_end_users("host", args.hosts).await?);
    let tokens = bed.direct_tokens(args.hosts).await?;
    let mut off_paths = Vec::new();
    let mut comparator_launch = bed.role(
        "comparator",
        &[
            "comparator",
            "--database-url",
            bed.database.url(),
            "--zoom",
            bed.zoom.base(),
        ],
        "/healthz",
    )?;
    comparator_launch
        .env
        .push(("BENCH_ZOOM_TOKENS".to_owned(), tokens.join(",")));
    let comparator = comparator_launch.start().await?;
    let hub = &bed.hubs[0];
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = hub.memory()?;
    println!(
        "Convene load harness: {} database, 1 hub instance, {} hosts connected through the OAuth flow",
        bed.database.kind(),
        hosts.len()
    );
    println!(
        "hub idle RSS after seeding: {:.1} MB",
        megabytes(idle.resident)
    );
    let target = |bases: Vec<String>, keys: Vec<String>| Target {
        http: bed.http.clone(),
        bases: Arc::new(bases),
        keys: Arc::new(keys),
        hosts: Arc::clone(&hosts),
    };
    let direct = target(vec![bed.zoom.base().to_owned()], tokens.clone());
    let to_comparator = target(vec![comparator.base().to_owned()], Vec::new());
    let to_hub = target(
        vec![hub.base().to_owned()],
        vec![bed.tenant.api_key.clone()],
    );
    for regime in Regime::both(args.zoom_latency_ms) {
        bed.zoom.set_latency(regime.latency).await?;
        for load in args.load.loads() {
            let concurrency = load.concurrency;
            println!();
            println!("{}", regime.heading(&load));
            println!("{}", Summary::header());
            let run = format!("{}-{concurrency}", regime.latency.as_millis());
            let prefix = format!("create-{run}");
            let (direct, _) = path(
                "(a) direct to Zoom",
                load,
                201,
                &bed.emulator,
                workload::direct_create(direct.clone()),
            )
            .await;
            let (bare, _) = path(
                "(b) bare-minimum comparator",
                load,
                201,
                &comparator,
                workload::comparator_create(to_comparator.clone(), &run),
            )
            .await;
            let counted_before = StoreCounts::scrape(&bed.http, hub.base()).await;
            let server_before = bed.database.server_counts().await?;
            let told_before = receiver.with_told(|told| told.deliveries.len());
            let (create, created) = path(
                "(c) hub event create",
                load,
                201,
                hub,
                workload::hub_create(to_hub.clone(), &prefix),
            )
            .await;
            let told = receiver.with_told(|told| told.deliveries.len()) - told_before;
            let counted = StoreCounts::scrape(&bed.http, hub.base()).await;
            print_create_costs(created, counted_before.zip(counted), told);
            if let Some(before) = server_before {
                // Let the server publish the last backends' counts.
                tokio::time::sleep(Duration::from_millis(1500)).await;
                if let Some(after) = bed.database.server_counts().await? {
                    let per_create = |n: i64| n as f64 / created.max(1) as f64;
                    println!(
                        "   per create, from pg_stat_database: {:.2} commits, {:.1} rows written",
                        per_create(after.commits - before.commits),
                        per_create(after.rows_written - before.rows_written),
                    );
                }
            }
            let update = workload::hub_update(to_hub.clone(), &prefix, created);
            let (update, _) = path("(d) hub event update", load, 200, hub, update).await;
            let list = workload::hub_list(to_hub.clone());
            let (list, _) = path("(e) hub event list", load, 200, hub, list).await;
            let rejected = workload::bad_key(to_hub.clone());
            let (rejected, _) = path("(f) hub bad key", load, 401, hub, rejected).await;
            off_paths.extend(
                [&direct, &bare, &create, &update, &list, &rejected]
                    .into_iter()
                    .filter(|row| !row.unexpected.is_empty() || row.rps == 0.0)
                    .map(|row| format!("{} at {concurrency} ({})", row.label, regime.name)),
            );
            let level = Level {
                direct,
                comparator: bare,
                create,
            };
            print_ratios(&level);
        }
    }
    let memory = hub.memory()?;
    println!();
    println!(
        "hub RSS: idle {:.1} MB, peak under load {:.1} MB (VmHWM)",
        megabytes(idle.resident),
        megabytes(memory.peak)
    );
    comparator.stop().await?;
    if args.check && !off_paths.is_empty() {
        anyhow::bail!(
            "paths with unexpected answers or none: {}",
            off_paths.join("; ")
        );
    }
    Ok(())
}

/// Measures one path and prints its row; also returns how many requests were started
/// (sequence numbers 0 to that).
async fn path(
    label: &str,
    load: Load,
    expected: u16,
    server: &Process,
    send: load::Workload,
) -> (Summary, u64) {
    let sample = load::run(load, expected, &[server], send).await;
    let summary = Summary::of(label, expected, &sample);
    println!("{}", summary.row());
    (summary, sample.issued)
}

/// What the hub's store counted (`/metrics`), for a build that exports it.
#[derive(Clone, Copy)]
struct StoreCounts {
    statements: f64,
    write_transactions: f64,
}

impl StoreCounts {
    async fn scrape(http: &reqwest::Client, hub: &str) -> Option<Self> {
        let scrape = Scrape::of(http, hub).await?;
        Some(Self {
            statements: scrape.total("convene_db_statements_total")?,
            write_transactions: scrape.total("convene_db_write_transactions_total")?,
        })
    }
}

/// The database's and the outbox's work per create during path (c): everything the hub's
/// store counted in that time (the outbox and the worker included), and the webhooks the
/// application received.
fn print_create_costs(created: u64, counted: Option<(StoreCounts, StoreCounts)>, told: usize) {
    let per_create = |n: f64| n / created.max(1) as f64;
    match counted {
        Some((before, after)) => println!(
            "   per create (all hub work during (c), outbox included): {:.1} statements, {:.2} write transactions",
            per_create(after.statements - before.statements),
            per_create(after.write_transactions - before.write_transactions),
        ),
        None => println!("   per create: this hub build does not count its statements"),
    }
    println!(
        "   webhooks received during (c) ÷ creates started: {:.2} ({told} for {created})",
        per_create(told as f64),
    );
}

fn print_ratios(level: &Level) {
    println!(
        "   hub create / direct: {:.2}× throughput, hub-added latency p50 {:+.2} ms, p99 {:+.2} ms",
        level.create.rps / level.direct.rps,
        level.create.p50_ms - level.direct.p50_ms,
        level.create.p99_ms - level.direct.p99_ms,
    );
    println!(
        "   hub create / comparator: {:.2}× throughput, {:.2}× CPU per request",
        level.create.rps / level.comparator.rps,
        level.create.cpu_per_1000 / level.comparator.cpu_per_1000,
    );
}
