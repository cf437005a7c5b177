//! `scale`: event creates through one hub instance, then spread over two instances on the
//! same PostgreSQL database, in both latency regimes.

use std::sync::Arc;

use clap::Args;
use url::Url;

use crate::hub_metrics::Scrape;
use crate::load::{self, LoadArgs};
use crate::stats::Summary;
use crate::testbed::{Testbed, TestbedPlan};
use crate::workload::{self, Target};
use crate::zoom::Regime;

/// The arguments of `scale`.
#[derive(Args, Debug)]
pub struct ScaleArgs {
    /// PostgreSQL server to make the run's database on (both instances share it).
    #[arg(long)]
    pub postgres: Url,
    #[command(flatten)]
    pub load: LoadArgs,
    /// End users connected to Zoom (hosts of the events).
    #[arg(long, default_value_t = 100)]
    pub hosts: usize,
    /// The emulator's added latency per call in the Zoom-like regime, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub zoom_latency_ms: u64,
    /// Runs of each pair (one instance, then two) per level; the ratio printed is their
    /// median.
    #[arg(long, default_value_t = 3)]
    pub repeats: usize,
}

/// Runs `scale` and prints its tables.
pub async fn run(args: ScaleArgs) -> anyhow::Result<()> {
    let plan = TestbedPlan {
        postgres: Some(args.postgres.clone()),
        instances: 2,
        webhook_url: None,
    };
    Testbed::run(plan, async |bed| scale(bed, &args).await).await
}

async fn scale(bed: &Testbed, args: &ScaleArgs) -> anyhow::Result<()> {
    let hosts = Arc::new(bed.connect_end_users("host", args.hosts).await?);
    println!(
        "Scale-out: event creates through 1 and 2 hub instances on one PostgreSQL database, {} hosts",
        hosts.len()
    );
    let target = |hubs: usize| Target {
        http: bed.http.clone(),
        bases: Arc::new(bed.hub_bases().into_iter().take(hubs).collect()),
        keys: Arc::new(vec![bed.tenant.api_key.clone()]),
        hosts: Arc::clone(&hosts),
    };
    let one_hub = [&bed.hubs[0]];
    let two_hubs = [&bed.hubs[0], &bed.hubs[1]];
    for regime in Regime::both(args.zoom_latency_ms) {
        bed.zoom.set_latency(regime.latency).await?;
        for load in args.load.loads() {
            println!();
            println!("{}", regime.heading(&load));
            println!("{}", Summary::header());
            let mut ratios = Vec::new();
            let collisions_before = collisions(bed).await;
            for repeat in 1..=args.repeats.max(1) {
                let run = format!(
                    "scale-{}-{}-{repeat}",
                    regime.latency.as_millis(),
                    load.concurrency
                );
                let mut throughput = Vec::new();
                for hubs in [&one_hub[..], &two_hubs[..]] {
                    let instances = hubs.len();
                    let prefix = format!("{run}-{instances}");
                    let send = workload::hub_create(target(instances), &prefix);
                    let sample = load::run(load, 201, hubs, send).await;
                    let label = format!("run {repeat}, {instances} instance(s): create");
                    let summary = Summary::of(&label, 201, &sample);
                    println!("{}", summary.row());
                    throughput.push(summary.rps);
                }
                ratios.push(throughput[1] / throughput[0]);
            }
            ratios.sort_by(f64::total_cmp);
            let listed: Vec<String> = ratios.iter().map(|ratio| format!("{ratio:.2}")).collect();
            println!(
                "   2 instances / 1 instance: {:.2}× throughput (median of {}: {})",
                ratios[ratios.len() / 2],
                ratios.len(),
                listed.join(", ")
            );
            match (collisions_before, collisions(bed).await) {
                (Some(before), Some(after)) => println!(
                    "   lease collisions counted by the hubs: {}",
                    after - before
                ),
                _ => println!("   lease collisions: a hub did not answer /metrics"),
            }
        }
    }
    Ok(())
}

/// Leases the hub instances found held by another worker, so far, summed over instances. A
/// counter appears on `/metrics` at its first increment, so none listed reads as 0 (as it
/// does for a build without the counter).
async fn collisions(bed: &Testbed) -> Option<f64> {
    let mut total = 0.0;
    for base in bed.hub_bases() {
        total += Scrape::of(&bed.http, &base)
            .await?
            .total("convene_lease_collisions_total")
            .unwrap_or(0.0);
    }
    Some(total)
}
