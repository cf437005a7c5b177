//! `chaos`: steady event creates and deletes through two hub instances on a private
//! PostgreSQL server, while Zoom answers 429 storms, 5xx and resets, slows down and expires
//! every token, each hub is SIGKILLed and restarted, and PostgreSQL restarts. Then, once
//! everything settled, checks from the database, the emulator and the webhooks received
//! that nothing accepted was lost, and prints the checks as a table.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};
use tokio::time::{Instant, sleep, sleep_until};

use crate::hub_db::HubDatabase;
use crate::load::{self, Load};
use crate::postgres::PrivatePostgres;
use crate::processes::Process;
use crate::receiver::WebhookReceiver;
use crate::testbed::{Testbed, TestbedPlan};
use crate::workload::{Target, event_body, put_event};
use crate::zoom::ZoomControl;

/// The emulator's latency outside the spike.
const BASE_LATENCY: Duration = Duration::from_millis(20);
/// The spike: beyond the hub's 3 s budget, so events go `pending`.
const SPIKE_LATENCY: Duration = Duration::from_secs(4);
/// Every fifth request deletes the event created four requests earlier.
const DELETE_EVERY: u64 = 5;

/// The arguments of `chaos`.
#[derive(Args, Debug)]
pub struct ChaosArgs {
    /// Seconds of steady load during which the faults happen.
    #[arg(long, default_value_t = 60)]
    pub seconds: u64,
    /// Requests in flight.
    #[arg(long, default_value_t = 40)]
    pub concurrency: usize,
    /// End users connected to Zoom (hosts of the events).
    #[arg(long, default_value_t = 20)]
    pub hosts: usize,
    /// Seconds to wait for everything to settle after the load.
    #[arg(long, default_value_t = 300)]
    pub settle_seconds: u64,
}

/// What the API accepted.
#[derive(Default)]
struct Accepted {
    /// Event id → the conferencing status the create answered with.
    created: HashMap<String, String>,
    deleted: HashSet<String>,
    /// Events a delete was sent for, answered or not (an instance killed after deleting
    /// never answers).
    delete_sent: HashSet<String>,
}

/// Runs `chaos` and prints its timeline and checks.
pub async fn run(args: ChaosArgs) -> anyhow::Result<()> {
    let postgres = PrivatePostgres::start().await?;
    let receiver = WebhookReceiver::start().await?;
    let plan = TestbedPlan {
        postgres: Some(postgres.url()?),
        instances: 2,
        webhook_url: Some(receiver.url.clone()),
    };
    let outcome = Testbed::run(plan, async |bed| {
        chaos(bed, &args, &postgres, &receiver).await
    })
    .await;
    postgres.stop().await?;
    outcome
}

async fn chaos(
    bed: &mut Testbed,
    args: &ChaosArgs,
    postgres: &PrivatePostgres,
    receiver: &WebhookReceiver,
) -> anyhow::Result<()> {
    let hosts = Arc::new(bed.connect_end_users("chaos", args.hosts).await?);
    println!(
        "Chaos run: 2 hub instances on a private PostgreSQL, {} hosts, {} concurrent, {} s of load",
        hosts.len(),
        args.concurrency,
        args.seconds
    );
    bed.zoom.set_latency(BASE_LATENCY).await?;
    let accepted = Arc::new(Mutex::new(Accepted::default()));
    let target = Target {
        http: bed.http.clone(),
        bases: Arc::new(bed.hub_bases()),
        keys: Arc::new(vec![bed.tenant.api_key.clone()]),
        hosts: Arc::clone(&hosts),
    };
    let load = Load {
        concurrency: args.concurrency,
        warmup: Duration::ZERO,
        window: Duration::from_secs(args.seconds),
    };
    let steady = load::run(load, 201, &[], steady_load(target, Arc::clone(&accepted)));
    let script = faults(
        &mut bed.hubs,
        &bed.zoom,
        postgres,
        Duration::from_secs(args.seconds),
    );
    let (sample, scripted) = tokio::join!(steady, script);
    scripted?;
    println!("requests answered during the load: {:?}", sample.answers);
    bed.zoom.clear_faults().await?;
    bed.zoom.set_latency(Duration::ZERO).await?;
    let database = HubDatabase::open(bed.database.url()).await?;
    settle(&database, Duration::from_secs(args.settle_seconds)).await?;
    let accepted = std::mem::take(&mut *accepted.lock().unwrap_or_else(PoisonError::into_inner));
    verify(bed, &database, receiver, &accepted, hosts.len()).await
}

/// Request `n` goes to instance `n % 2`: a delete of event `n - 4` every fifth request,
/// else a create of event `chaos-n`.
fn steady_load(target: Target, accepted: Arc<Mutex<Accepted>>) -> load::Workload {
    load::workload(move |number| {
        let target = target.clone();
        let accepted = Arc::clone(&accepted);
        async move {
            let deleting = number % DELETE_EVERY == DELETE_EVERY - 1;
            let event_id = if deleting {
                format!("chaos-{}", number + 1 - DELETE_EVERY)
            } else {
                format!("chaos-{number}")
            };
            let request = if deleting {
                let sent = event_id.clone();
                let mut accepted = accepted.lock().unwrap_or_else(PoisonError::into_inner);
                accepted.delete_sent.insert(sent);
                drop(accepted);
                let base = &target.bases[usize::try_from(number % 2).unwrap_or(0)];
                target
                    .http
                    .delete(format!("{base}/v1/events/{event_id}"))
                    .bearer_auth(&target.keys[0])
            } else {
                let host = &target.hosts[usize::try_from(number).unwrap_or(0) % target.hosts.len()];
                let body = event_body(host, number, &format!("Chaos {number}"));
                put_event(&target, number, &event_id, &body)
            };
            let response = match request.send().await {
                Ok(response) => response,
                Err(_) => {
                    // An instance is down: do not spin on it.
                    sleep(Duration::from_millis(100)).await;
                    return Err("refused or reset");
                }
            };
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap_or(Value::Null);
            let mut accepted = accepted.lock().unwrap_or_else(PoisonError::into_inner);
            match status {
                201 => {
                    let conferencing = body["conferencing"]["status"].as_str().unwrap_or_default();
                    accepted.created.insert(event_id, conferencing.to_owned());
                }
                204 => {
                    accepted.deleted.insert(event_id);
                }
                _ => {}
            }
            Ok(status)
        }
    })
}

/// The fault timeline, at fixed fractions of the load's duration.
async fn faults(
    hubs: &mut [Process],
    zoom: &ZoomControl,
    postgres: &PrivatePostgres,
    length: Duration,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let at = |fraction: f64| start + length.mul_f64(fraction);
    let say = |what: &str| println!("  t+{:5.1}s  {what}", start.elapsed().as_secs_f64());
    sleep_until(at(0.10)).await;
    zoom.inject(
        json!({"kind": "rate_limited", "scope": "all", "count": 300, "retry_after_seconds": 2}),
    )
    .await?;
    say("Zoom: 429 storm armed (300 answers, Retry-After 2 s)");
    sleep_until(at(0.20)).await;
    zoom.inject(json!({"kind": "status", "scope": "all", "status": 503, "count": 300}))
        .await?;
    say("Zoom: 503 armed (300 answers)");
    sleep_until(at(0.30)).await;
    zoom.inject(json!({"kind": "reset", "scope": "all", "count": 100}))
        .await?;
    say("Zoom: connection resets armed (100, after processing)");
    sleep_until(at(0.40)).await;
    zoom.set_latency(SPIKE_LATENCY).await?;
    say("Zoom: latency spike to 4 s per call");
    sleep_until(at(0.47)).await;
    zoom.set_latency(BASE_LATENCY).await?;
    say("Zoom: latency back to 20 ms");
    sleep_until(at(0.50)).await;
    zoom.expire_access_tokens().await?;
    say("Zoom: every access token expired");
    for (fraction, index) in [(0.55, 0), (0.85, 1)] {
        sleep_until(at(fraction)).await;
        hubs[index].kill().await?;
        say(&format!("hub-{} SIGKILLed", index + 1));
        sleep(Duration::from_secs(2)).await;
        hubs[index].restart().await?;
        say(&format!("hub-{} restarted and ready", index + 1));
        if index == 0 {
            sleep_until(at(0.70)).await;
            postgres.restart().await?;
            say("PostgreSQL restarted");
        }
    }
    Ok(())
}

/// Waits until no event is pending or awaiting its delete and no webhook is undelivered.
async fn settle(database: &HubDatabase, limit: Duration) -> anyhow::Result<()> {
    let start = Instant::now();
    loop {
        let pending = database
            .count_by(
                "events",
                "conferencing_status",
                "conferencing_status = 'pending' OR deleted_at IS NOT NULL",
            )
            .await?;
        let undelivered = database
            .count_by("webhook_deliveries", "status", "status = 'pending'")
            .await?;
        if pending.is_empty() && undelivered.is_empty() {
            println!(
                "settled {:.1} s after the load",
                start.elapsed().as_secs_f64()
            );
            return Ok(());
        }
        if start.elapsed() > limit {
            println!(
                "NOT settled after {} s: events {pending:?}, deliveries {undelivered:?}",
                limit.as_secs()
            );
            return Ok(());
        }
        sleep(Duration::from_secs(2)).await;
    }
}

async fn verify(
    bed: &Testbed,
    database: &HubDatabase,
    receiver: &WebhookReceiver,
    accepted: &Accepted,
    hosts: usize,
) -> anyhow::Result<()> {
    let live: HashMap<String, String> = database
        .pairs("SELECT external_id, conferencing_status FROM events WHERE deleted_at IS NULL")
        .await?
        .into_iter()
        .collect();
    let mut meetings_by_topic: HashMap<String, usize> = HashMap::new();
    for user in bed.zoom.users().await? {
        let Some(id) = user["id"].as_str() else {
            continue;
        };
        for meeting in bed.zoom.meetings_of(id).await? {
            let topic = meeting["topic"].as_str().unwrap_or_default().to_owned();
            *meetings_by_topic.entry(topic).or_default() += 1;
        }
    }
    let meetings_of = |event_id: &str| {
        let number = event_id.trim_start_matches("chaos-");
        meetings_by_topic
            .get(&format!("Chaos {number}"))
            .copied()
            .unwrap_or(0)
    };
    let kept: Vec<&String> = accepted
        .created
        .keys()
        .filter(|id| !accepted.deleted.contains(*id))
        .collect();
    let unfinished = kept
        .iter()
        .filter(|id| {
            live.get(id.as_str())
                .is_some_and(|status| !is_final(status))
        })
        .count();
    // Gone from the database: fine when a delete was sent whose answer was lost.
    let (gone_after_delete, gone): (Vec<&&String>, Vec<&&String>) = kept
        .iter()
        .filter(|id| !live.contains_key(id.as_str()))
        .partition(|id| accepted.delete_sent.contains(id.as_str()));
    let (told, untold) = receiver.with_told(|told| {
        let untold = kept
            .iter()
            .filter(|id| live.contains_key(id.as_str()))
            .filter(|id| {
                !told.about_event.get(id.as_str()).is_some_and(|kinds| {
                    kinds.iter().any(|kind| {
                        matches!(
                            kind.as_str(),
                            "event.conferencing.ready"
                                | "event.conferencing.failed"
                                | "event.conferencing.removed"
                        )
                    })
                })
            })
            .count();
        (told.deliveries.clone(), untold)
    });
    let ready: Vec<&String> = live
        .iter()
        .filter(|(_, status)| status.as_str() == "ready")
        .map(|(id, _)| id)
        .collect();
    let ready_not_one = ready.iter().filter(|id| meetings_of(id) != 1).count();
    let deleted_with_meeting = accepted
        .deleted
        .iter()
        .filter(|id| meetings_of(id) != 0)
        .count();
    let duplicated = meetings_by_topic
        .values()
        .filter(|count| **count > 1)
        .count();
    let credentials = database.count_by("credentials", "status", "").await?;
    let active = credentials.get("active").copied().unwrap_or(0);
    let not_active = hosts.saturating_sub(usize::try_from(active).unwrap_or(0));
    let deliveries = database
        .pairs("SELECT id, status FROM webhook_deliveries")
        .await?;
    let delivery_statuses = deliveries
        .iter()
        .fold(BTreeMap::new(), |mut counts, (_, status)| {
            *counts.entry(status.clone()).or_insert(0) += 1;
            counts
        });
    let unreceived = deliveries
        .iter()
        .filter(|(id, _)| !told.contains(id))
        .count();
    let statuses = live.values().fold(BTreeMap::new(), |mut counts, status| {
        *counts.entry(status.clone()).or_insert(0) += 1;
        counts
    });
    let rows: Vec<(String, String, &str)> = vec![
        (
            "event creates accepted (201)".into(),
            accepted.created.len().to_string(),
            "",
        ),
        (
            "event deletes accepted (204)".into(),
            accepted.deleted.len().to_string(),
            "",
        ),
        (
            "live events by conferencing status".into(),
            format!("{statuses:?}"),
            "",
        ),
        (
            "accepted events not ready/failed/removed".into(),
            unfinished.to_string(),
            "0",
        ),
        (
            "accepted events gone, no delete sent".into(),
            gone.len().to_string(),
            "0",
        ),
        (
            "accepted events gone, delete unanswered".into(),
            gone_after_delete.len().to_string(),
            "",
        ),
        (
            "accepted events whose app was not told".into(),
            untold.to_string(),
            "0",
        ),
        (
            "ready events with ≠ 1 Zoom meeting".into(),
            ready_not_one.to_string(),
            "0",
        ),
        (
            "deleted events with a Zoom meeting left".into(),
            deleted_with_meeting.to_string(),
            "0",
        ),
        (
            "Zoom topics with more than 1 meeting".into(),
            duplicated.to_string(),
            "0",
        ),
        (
            "hub credentials by status".into(),
            format!("{credentials:?}"),
            "",
        ),
        (
            "connected credentials lost or needs_reauth".into(),
            not_active.to_string(),
            "0",
        ),
        (
            "webhook deliveries by status".into(),
            format!("{delivery_statuses:?}"),
            "",
        ),
        (
            "webhook deliveries never received".into(),
            unreceived.to_string(),
            "0",
        ),
    ];
    println!();
    println!("{:<44} {:>24} {:>6}", "check", "measured", "goal");
    for (check, measured, goal) in rows {
        let verdict = match goal {
            "" => "",
            goal if goal == measured => "ok",
            _ => "MISSED",
        };
        println!("{check:<44} {measured:>24} {goal:>6} {verdict}");
    }
    Ok(())
}

/// Whether a conferencing status is one an event may end in.
fn is_final(status: &str) -> bool {
    matches!(status, "ready" | "failed" | "removed")
}
