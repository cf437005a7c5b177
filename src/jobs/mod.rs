//! Background work of one hub instance, stopped together at shutdown.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::FuturesUnordered;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::conferencing::UpkeepReport;
use crate::domain::Timestamp;
use crate::http::state::AppState;
use crate::operators;

/// Starts the periodic upkeep tasks; they stop when `stop` is cancelled.
pub fn spawn_upkeep(state: &AppState, stop: &CancellationToken) -> JoinSet<()> {
    let mut tasks = JoinSet::new();
    let tuning = &state.config.tuning;
    let flush_state = state.clone();
    tasks.spawn(every(tuning.key_usage_flush, stop.clone(), move || {
        let state = flush_state.clone();
        async move {
            if let Err(error) = state.key_usage.flush(&state.store).await {
                tracing::warn!(error = ?error, "could not record API key usage; will retry");
            }
        }
    }));
    let sweep_state = state.clone();
    tasks.spawn(every(tuning.rate_limit_sweep, stop.clone(), move || {
        let state = sweep_state.clone();
        async move { state.rate_limits.sweep() }
    }));
    let keeper_state = state.clone();
    tasks.spawn(every(
        tuning.token_keeper_interval,
        stop.clone(),
        move || {
            let state = keeper_state.clone();
            async move {
                match state.broker.keep_up(TOKEN_KEEPER_BATCH).await {
                    Ok(report) if report != UpkeepReport::default() => {
                        tracing::info!(?report, "token upkeep");
                    }
                    Ok(_) => {}
                    Err(error) => tracing::warn!(error = ?error, "token upkeep failed; will retry"),
                }
            }
        },
    ));
    tasks.spawn(work_outbox(state.clone(), stop.clone()));
    let metrics_state = state.clone();
    tasks.spawn(every(METRICS_UPKEEP, stop.clone(), move || {
        let state = metrics_state.clone();
        async move { state.metrics.run_upkeep() }
    }));
    let sync_state = state.clone();
    tasks.spawn(every(tuning.outbox_poll, stop.clone(), move || {
        let state = sync_state.clone();
        async move {
            if let Err(error) = sync_due_meetings(&state).await {
                tracing::warn!(error = ?error, "meeting sync pass failed; will retry");
            }
        }
    }));
    let inbox_state = state.clone();
    tasks.spawn(every(tuning.outbox_poll, stop.clone(), move || {
        let state = inbox_state.clone();
        async move {
            if let Err(error) = work_zoom_inbox(&state).await {
                tracing::warn!(error = ?error, "Zoom inbox pass failed; will retry");
            }
        }
    }));
    let forget_state = state.clone();
    tasks.spawn(every(tuning.forget_sweep, stop.clone(), move || {
        let state = forget_state.clone();
        async move {
            let now = Timestamp::now();
            let worked = state
                .store
                .forget_worked_inbox_entries(ago(now, INBOX_MEMORY))
                .await;
            log_forgotten("worked Zoom notifications", worked);
            let expired = state
                .store
                .forget_connect_sessions_expired_before(ago(now, CONNECT_SESSION_MEMORY))
                .await;
            log_forgotten("expired connect sessions", expired);
        }
    }));
    // Operators' sessions and sign-in throttles are swept with the API's rate limiters: both
    // are state that matters only while it is recent.
    let operators_state = state.clone();
    tasks.spawn(every(tuning.rate_limit_sweep, stop.clone(), move || {
        let state = operators_state.clone();
        async move {
            let now = Timestamp::now();
            let sessions = operators::forget_expired_sessions(&state.store, now).await;
            log_forgotten("expired operator sessions", sessions);
            let throttles = operators::forget_idle_throttles(&state.store, now).await;
            log_forgotten("idle sign-in throttles", throttles);
        }
    }));
    tasks
}

/// How often the Prometheus recorder drains its histogram samples into their summaries, so
/// memory stays flat between scrapes.
const METRICS_UPKEEP: Duration = Duration::from_secs(5);

/// Webhook passes a busy outbox runs at once. A pass waits on the database for its claim and
/// its record as long as on the receivers (longer on a busy PostgreSQL, where each waits its
/// turn for a pooled connection), so one pass alone delivers a batch per round of waits; a
/// second one claims and sends while the first records.
const WEBHOOK_PASSES_AT_ONCE: usize = 2;

/// Works the webhook and email outboxes: on every tick, and at once when deliveries are
/// committed. While passes come back full, [`WEBHOOK_PASSES_AT_ONCE`] run at once, so a busy
/// outbox drains at the speed of its receivers instead of a batch per tick.
async fn work_outbox(state: AppState, stop: CancellationToken) {
    let tuning = &state.config.tuning;
    let mut ticks = tokio::time::interval(tuning.outbox_poll);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    let enqueued = || async {
        match tuning.outbox_wake_on_enqueue {
            true => state.store.deliveries_waiting().await,
            false => std::future::pending().await,
        }
    };
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => {}
            _ = enqueued() => {}
        }
        deliver_webhooks(&state, &stop).await;
        if stop.is_cancelled() {
            return;
        }
        if let Err(error) = state.notifier.send_due_emails().await {
            tracing::warn!(error = ?error, "email pass failed; will retry");
        }
    }
}

/// Webhook passes until one finds less than a full batch due: one to begin with, and while
/// they come back full, [`WEBHOOK_PASSES_AT_ONCE`]. Claims never overlap, so passes at once
/// send different deliveries.
async fn deliver_webhooks(state: &AppState, stop: &CancellationToken) {
    let pass = || state.notifier.deliver_due();
    let mut passes = FuturesUnordered::new();
    passes.push(pass());
    while let Some(outcome) = passes.next().await {
        match outcome {
            Ok(report) if report.claimed() >= state.notifier.batch_size() => {
                while passes.len() < WEBHOOK_PASSES_AT_ONCE && !stop.is_cancelled() {
                    passes.push(pass());
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(error = ?error, "webhook delivery pass failed; will retry");
            }
        }
    }
}

/// Logs how many rows of `what` a sweep deleted, or why it could not (the next sweep retries).
fn log_forgotten(what: &str, forgotten: anyhow::Result<u64>) {
    match forgotten {
        Ok(0) => {}
        Ok(count) => tracing::info!(count, "forgot {what}"),
        Err(error) => tracing::warn!(error = ?error, "could not forget {what}; will retry"),
    }
}

/// Zoom notifications the worker takes per pass.
const INBOX_BATCH: u64 = 32;
/// How long a worked notification is remembered, so that a redelivery is recognised: Zoom's
/// last retry comes 85 minutes after the first attempt; three days leaves room for clock and
/// queue delays on Zoom's side.
const INBOX_MEMORY: Duration = Duration::from_secs(3 * 24 * 3600);
/// How long a connect session is kept after it expired: a day, so that a late click on its
/// URL still reads "this link has expired" rather than "unknown link", and a replayed
/// `Idempotency-Key` within a day still finds its session.
const CONNECT_SESSION_MEMORY: Duration = Duration::from_secs(24 * 3600);

/// The instant `span` before `now`.
fn ago(now: Timestamp, span: Duration) -> Timestamp {
    let span = i64::try_from(span.as_millis()).unwrap_or(i64::MAX);
    Timestamp(now.0.saturating_sub(span))
}

/// Works due Zoom notifications (those whose first attempt failed, or whose instance died).
async fn work_zoom_inbox(state: &AppState) -> anyhow::Result<()> {
    let due = state
        .store
        .due_inbox_entries(Timestamp::now(), INBOX_BATCH)
        .await?;
    let inbox = state.zoom_inbox();
    for entry_id in due {
        if let Err(error) = inbox.work(&entry_id).await {
            tracing::warn!(error = ?error, "working a Zoom notification failed; will retry");
        }
    }
    Ok(())
}

/// Events whose meetings the worker handles per pass.
const MEETING_SYNC_BATCH: u64 = 32;

/// Brings due events' meetings in step (several at once).
async fn sync_due_meetings(state: &AppState) -> anyhow::Result<()> {
    state.meetings().sync_due(MEETING_SYNC_BATCH).await
}

/// Credentials the token keeper handles per pass.
const TOKEN_KEEPER_BATCH: u64 = 100;

/// Runs `work` every `period` until `stop` is cancelled.
async fn every<F, Fut>(period: Duration, stop: CancellationToken, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = ticks.tick() => work().await,
        }
    }
}
