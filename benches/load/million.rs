//! `million`: event create and list on an empty database, then again with a million stored
//! events across ten thousand end users (seeded straight into the database).

use std::sync::Arc;

use clap::Args;
use tokio::time::Instant;
use url::Url;

use crate::bulk::Seed;
use crate::hub_db::HubDatabase;
use crate::load::{self, Load, LoadArgs};
use crate::stats::Summary;
use crate::testbed::{Testbed, TestbedPlan};
use crate::workload::{self, Target};

/// The arguments of `million`.
#[derive(Args, Debug)]
pub struct MillionArgs {
    /// PostgreSQL server to make the run's database on; SQLite when absent.
    #[arg(long)]
    pub postgres: Option<Url>,
    #[command(flatten)]
    pub load: LoadArgs,
    /// Stored events to seed.
    #[arg(long, default_value_t = 1_000_000)]
    pub events: usize,
    /// End users the stored events belong to.
    #[arg(long, default_value_t = 10_000)]
    pub end_users: usize,
    /// End users connected to Zoom (hosts of the created events).
    #[arg(long, default_value_t = 100)]
    pub hosts: usize,
}

/// Runs `million` and prints its tables (the emulator answers at once: CPU-bound).
pub async fn run(args: MillionArgs) -> anyhow::Result<()> {
    let plan = TestbedPlan {
        postgres: args.postgres.clone(),
        instances: 1,
        webhook_url: None,
    };
    Testbed::run(plan, async |bed| million(bed, &args).await).await
}

async fn million(bed: &Testbed, args: &MillionArgs) -> anyhow::Result<()> {
    let hosts = Arc::new(bed.connect_end_users("host", args.hosts).await?);
    let seeded: Vec<String> = (0..args.end_users).map(|n| format!("seeded-{n}")).collect();
    let target = |hosts: Arc<Vec<String>>| Target {
        http: bed.http.clone(),
        bases: Arc::new(bed.hub_bases()),
        keys: Arc::new(vec![bed.tenant.api_key.clone()]),
        hosts,
    };
    println!(
        "Stored events: {} database, 1 hub instance, zero Zoom latency",
        bed.database.kind()
    );
    let empty = measure(bed, &args.load, "empty", target(Arc::clone(&hosts)), None).await;
    let seeding = Instant::now();
    let database = HubDatabase::open(bed.database.url()).await?;
    Seed {
        application_id: &bed.tenant.id,
        end_users: args.end_users,
        events_per_end_user: args.events / args.end_users.max(1),
    }
    .insert(&database)
    .await?;
    println!(
        "\nseeded {} events across {} end users in {:.1} s",
        args.events,
        args.end_users,
        seeding.elapsed().as_secs_f64()
    );
    let full = measure(
        bed,
        &args.load,
        "stored",
        target(Arc::clone(&hosts)),
        Some(target(Arc::new(seeded))),
    )
    .await;
    println!();
    for (empty, full) in empty.iter().zip(&full) {
        println!(
            "{} concurrent: create with stored events / empty: {:.2}× throughput, p50 {:+.2} ms",
            empty.0,
            full.1.rps / empty.1.rps,
            full.1.p50_ms - empty.1.p50_ms
        );
    }
    Ok(())
}

/// Creates and lists at each level; lists `seeded` end users' events when given. Returns
/// each level's create summary.
async fn measure(
    bed: &Testbed,
    loads: &LoadArgs,
    label: &str,
    hosts: Target,
    seeded: Option<Target>,
) -> Vec<(usize, Summary)> {
    let hub = &bed.hubs[0];
    let mut creates = Vec::new();
    for load in loads.loads() {
        let Load { concurrency, .. } = load;
        println!("\n== {label} database, {concurrency} concurrent ==");
        println!("{}", Summary::header());
        let prefix = format!("{label}-{concurrency}");
        let sample = load::run(
            load,
            201,
            &[hub],
            workload::hub_create(hosts.clone(), &prefix),
        )
        .await;
        let create = Summary::of("(c) event create", 201, &sample);
        println!("{}", create.row());
        let sample = load::run(load, 200, &[hub], workload::hub_list(hosts.clone())).await;
        println!(
            "{}",
            Summary::of("(e) list, connected hosts", 200, &sample).row()
        );
        if let Some(seeded) = &seeded {
            let sample = load::run(load, 200, &[hub], workload::hub_list(seeded.clone())).await;
            println!(
                "{}",
                Summary::of("(e) list, seeded end users", 200, &sample).row()
            );
        }
        creates.push((concurrency, create));
    }
    creates
}
