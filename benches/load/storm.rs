//! `storm`: many credentials connected through two hub instances on one PostgreSQL, every
//! access token expired at once at Zoom, and each credential then used from both
//! instances at the same moment. Counts, at the emulator, the refresh grants of each
//! credential (goal: exactly one) and the refused ones (goal: none).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use clap::Args;
use futures_util::{StreamExt, stream};
use tokio::time::Instant;
use url::Url;

use crate::hub_db::HubDatabase;
use crate::load::exchange;
use crate::testbed::{Testbed, TestbedPlan};
use crate::workload::{Target, event_body, put_event};

/// The arguments of `storm`.
#[derive(Args, Debug)]
pub struct StormArgs {
    /// PostgreSQL server to make the run's database on (both instances share it).
    #[arg(long)]
    pub postgres: Url,
    /// Credentials to connect and then refresh all at once.
    #[arg(long, default_value_t = 10_000)]
    pub credentials: usize,
    /// Credentials being used at once (each from both instances).
    #[arg(long, default_value_t = 100)]
    pub concurrency: usize,
}

/// Runs `storm` and prints its table.
pub async fn run(args: StormArgs) -> anyhow::Result<()> {
    let plan = TestbedPlan {
        postgres: Some(args.postgres.clone()),
        instances: 2,
        webhook_url: None,
    };
    Testbed::run(plan, async |bed| storm(bed, &args).await).await
}

async fn storm(bed: &Testbed, args: &StormArgs) -> anyhow::Result<()> {
    println!(
        "Refresh storm: {} credentials, 2 hub instances on one PostgreSQL database",
        args.credentials
    );
    let connecting = Instant::now();
    let hosts = bed.connect_end_users("storm", args.credentials).await?;
    println!(
        "connected {} end users through the OAuth flow in {:.1} s",
        hosts.len(),
        connecting.elapsed().as_secs_f64()
    );
    let target = Target {
        http: bed.http.clone(),
        bases: Arc::new(bed.hub_bases()),
        keys: Arc::new(vec![bed.tenant.api_key.clone()]),
        hosts: Arc::new(Vec::new()),
    };
    bed.zoom.expire_access_tokens().await?;
    let storming = Instant::now();
    let answers: Vec<_> = stream::iter(hosts.iter().enumerate())
        .map(|(n, host)| {
            let target = target.clone();
            async move {
                let number = u64::try_from(n).unwrap_or(0);
                let body = event_body(host, number, "Storm session");
                // Request 0 goes to the first instance, request 1 to the second.
                let first = put_event(&target, 0, &format!("storm-{n}-a"), &body);
                let second = put_event(&target, 1, &format!("storm-{n}-b"), &body);
                let (first, second) = tokio::join!(exchange(first), exchange(second));
                [first, second]
            }
        })
        .buffer_unordered(args.concurrency)
        .collect()
        .await;
    let took = storming.elapsed();
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    for answer in answers.iter().flatten() {
        let key = match answer {
            Ok(status) => status.to_string(),
            Err(broken) => (*broken).to_owned(),
        };
        *statuses.entry(key).or_default() += 1;
    }
    let grants = bed.zoom.refresh_grants().await?;
    let ids: HashMap<String, String> = bed
        .zoom
        .users()
        .await?
        .into_iter()
        .filter_map(|user| {
            Some((
                user["email"].as_str()?.to_owned(),
                user["id"].as_str()?.to_owned(),
            ))
        })
        .collect();
    let mut per_credential: BTreeMap<u64, usize> = BTreeMap::new();
    for host in &hosts {
        let grants_of_host = ids
            .get(&format!("{host}@bench.test"))
            .and_then(|id| grants.by_user.get(id))
            .copied()
            .unwrap_or(0);
        *per_credential.entry(grants_of_host).or_default() += 1;
    }
    let database = HubDatabase::open(bed.database.url()).await?;
    let credential_statuses = database.count_by("credentials", "status", "").await?;
    let requests = answers.len() * 2;
    println!(
        "{requests} event creates (2 per credential, one to each instance) in {:.1} s: {:.0} req/s",
        took.as_secs_f64(),
        requests as f64 / took.as_secs_f64()
    );
    println!();
    println!("{:<44} {:>10}", "check", "measured");
    println!(
        "{:<44} {:>10}",
        "event creates answered, by status",
        format_map(&statuses)
    );
    for (count, credentials) in &per_credential {
        println!(
            "{:<44} {:>10}",
            format!("credentials refreshed exactly {count}×"),
            credentials
        );
    }
    println!(
        "{:<44} {:>10}",
        "refresh grants refused (invalid_grant)", grants.rejected
    );
    println!(
        "{:<44} {:>10}",
        "hub credentials by status",
        format_map(&credential_statuses)
    );
    Ok(())
}

fn format_map<V: std::fmt::Display>(map: &BTreeMap<String, V>) -> String {
    map.iter()
        .map(|(key, value)| format!("{key}: {value}"))
        .collect::<Vec<_>>()
        .join(", ")
}
