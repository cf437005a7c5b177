//! What each event request asks of the database, counted by the hub's own store: data
//! statements (SELECT, INSERT, UPDATE, DELETE) and write transactions. The bounds hold the
//! core path to one read (the API key with what the request needs) and two units of work;
//! a change that adds a round trip to a request fails here, not in production.

use std::time::Duration;

use convene::store::counts::Counted;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, spawn_app_with};

/// A hub whose background passes do not run while a request is counted, and whose sandbox
/// Zoom sends it no notifications (each would be a request of its own, counted with the
/// one measured).
async fn quiet_hub() -> TestApp {
    let app = spawn_app_with(|config| {
        let hour = Duration::from_secs(3600);
        config.tuning.outbox_poll = hour;
        config.tuning.outbox_wake_on_enqueue = false;
        config.tuning.key_usage_flush = hour;
        config.tuning.rate_limit_sweep = hour;
        config.tuning.token_keeper_interval = hour;
        config.tuning.forget_sweep = hour;
    })
    .await;
    let silenced = app
        .client
        .post(app.url("/sandbox/zoom/_control/webhook"))
        .json(&json!({"url": null}))
        .send()
        .await
        .unwrap();
    assert!(silenced.status().is_success());
    app
}

/// An application with a webhook URL (as real ones have), whose end user `t-1` has
/// connected Zoom.
async fn connected(app: &TestApp) -> TestTenant {
    let tenant = app
        .create_tenant_with_webhook("Calm", "http://127.0.0.1:9/hooks")
        .await;
    assert_eq!(
        app.connect_as(&tenant, "t-1", "ana.novak@sandbox.zoom.test")
            .await["status"],
        "connected"
    );
    tenant
}

fn session(start: &str) -> Value {
    json!({
        "end_user_id": "t-1",
        "summary": "Therapy session",
        "start": start,
        "end": "2030-12-01T17:00:00Z",
        "tzid": "Europe/Ljubljana",
        "conferencing": {"provider": "zoom"},
    })
}

/// Books `id` for `t-1` at `start` (a new event, with its meeting).
async fn book(app: &TestApp, tenant: &TestTenant, id: &str, start: &str) {
    let response = app.put_event(tenant, id, &session(start)).await;
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

/// What booking `id` cost the hub's database.
async fn cost_of_booking(app: &TestApp, tenant: &TestTenant, id: &str, start: &str) -> Counted {
    let before = app.hub_store.counted();
    book(app, tenant, id, start).await;
    app.hub_store.counted().since(before)
}

/// What `request` cost the hub's database.
async fn cost_of<F: Future<Output = reqwest::Response>>(
    app: &TestApp,
    request: F,
) -> (reqwest::Response, Counted) {
    let before = app.hub_store.counted();
    let response = request.await;
    (response, app.hub_store.counted().since(before))
}

fn within(what: &str, cost: Counted, statements: u64, write_transactions: u64) {
    eprintln!("{what}: {cost:?}");
    assert!(
        cost.statements <= statements && cost.write_transactions <= write_transactions,
        "{what} cost {cost:?}; at most {statements} statements and {write_transactions} write transactions"
    );
}

#[tokio::test]
async fn an_event_create_with_its_meeting_is_one_read_and_two_units_of_work() {
    let app = quiet_hub().await;
    let tenant = connected(&app).await;

    let (response, cost) = cost_of(
        &app,
        app.put_event(&tenant, "appt-1", &session("2030-12-01T15:00:00Z")),
    )
    .await;
    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["conferencing"]["status"], "ready", "{event}");
    // The key with the event, its host, link and credential (1); the event with its lease
    // and intent (1); then the meeting (1), the link's first use (1), the audit entry (1)
    // and the webhook (1).
    within("a host's first create", cost, 6, 2);

    let cost = cost_of_booking(&app, &tenant, "appt-2", "2030-12-01T16:00:00Z").await;
    // The same, but the link's last use is less than a minute old and stays.
    within("the next create", cost, 5, 2);
}

#[tokio::test]
async fn a_read_or_a_start_url_is_one_statement_and_a_list_one_besides_the_key() {
    let app = quiet_hub().await;
    let tenant = connected(&app).await;
    for (id, start) in [
        ("appt-1", "2030-12-01T15:00:00Z"),
        ("appt-2", "2030-12-01T16:00:00Z"),
        ("appt-3", "2030-12-01T16:30:00Z"),
    ] {
        book(&app, &tenant, id, start).await;
    }

    let (response, cost) = cost_of(&app, app.get_as(&tenant.api_key, "/v1/events?limit=2")).await;
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    assert_eq!(page["events"][0]["end_user_id"], "t-1");
    within("a list", cost, 2, 0);

    let next = format!(
        "/v1/events?end_user_id=t-1&cursor={}",
        page["next_cursor"].as_str().unwrap()
    );
    let (response, cost) = cost_of(&app, app.get_as(&tenant.api_key, &next)).await;
    let page: Value = response.json().await.unwrap();
    assert_eq!(page["events"][0]["event_id"], "appt-3");
    within("a host's next page", cost, 2, 0);

    let (response, cost) = cost_of(&app, app.get_as(&tenant.api_key, "/v1/events/appt-2")).await;
    assert_eq!(response.status(), 200);
    // The key with the event and its host.
    within("a read", cost, 1, 0);

    let start = app
        .client
        .post(app.url("/v1/events/appt-2/start_url"))
        .bearer_auth(&tenant.api_key)
        .send();
    let (response, cost) = cost_of(&app, async { start.await.unwrap() }).await;
    assert_eq!(response.status(), 200);
    // The same read, which brings the host's credential: the token needs no read of its own.
    within("a start URL", cost, 1, 0);
}

#[tokio::test]
async fn moving_and_deleting_an_event_are_bounded() {
    let app = quiet_hub().await;
    let tenant = connected(&app).await;
    book(&app, &tenant, "appt-1", "2030-12-01T15:00:00Z").await;

    let (response, cost) = cost_of(
        &app,
        app.put_event(&tenant, "appt-1", &session("2030-12-01T15:30:00Z")),
    )
    .await;
    assert_eq!(response.status(), 200);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["start"], "2030-12-01T15:30:00Z");
    // The key with the event and its host (1); the change taking the sync lease (1); then
    // the synced version (1) and the audit entry (1). The link was used by the create, less
    // than a minute ago.
    within("a move", cost, 4, 2);

    let (response, cost) = cost_of(&app, app.delete_event(&tenant, "appt-1")).await;
    assert_eq!(response.status(), 204);
    // The key with the event and its host (1); the deletion taking the sync lease (1); then
    // the row dropped (1) and the audit entry (1).
    within("a delete", cost, 4, 2);
}

#[tokio::test]
async fn a_link_last_used_more_than_a_minute_ago_is_marked_used_again() {
    let app = quiet_hub().await;
    let tenant = connected(&app).await;
    book(&app, &tenant, "appt-1", "2030-12-01T15:00:00Z").await;
    let two_minutes_ago = convene::domain::Timestamp::now().0 - 120_000;
    app.hub_store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE links SET last_used_at = {two_minutes_ago}"
        ))
        .await
        .unwrap();

    let cost = cost_of_booking(&app, &tenant, "appt-2", "2030-12-01T16:00:00Z").await;
    assert_eq!(
        cost.statements, 6,
        "the link's last use is written: {cost:?}"
    );
    let last_used: i64 = app
        .hub_store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            app.hub_store.connection().get_database_backend(),
            "SELECT last_used_at FROM links",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "last_used_at")
        .unwrap();
    assert!(last_used > two_minutes_ago + 60_000, "{last_used}");
}

#[tokio::test]
async fn a_sync_lease_found_held_is_counted_as_a_collision() {
    let app = quiet_hub().await;
    let tenant = connected(&app).await;
    book(&app, &tenant, "appt-1", "2030-12-01T15:00:00Z").await;
    let key = convene::domain::credentials::KeyHash::of(&tenant.api_key);
    let event = app
        .hub_store
        .live_event_context(key.as_str(), "appt-1")
        .await
        .unwrap()
        .event
        .unwrap();
    let collisions = || async {
        app.metrics()
            .await
            .lines()
            .find_map(|line| {
                line.strip_prefix(r#"convene_lease_collisions_total{lease="event_sync"} "#)
            })
            .map_or(0.0, |value| value.trim().parse::<f64>().unwrap())
    };
    let now = convene::domain::Timestamp::now();
    let until = now.plus(Duration::from_secs(30));
    let before = collisions().await;

    assert!(
        app.hub_store
            .take_sync_lease(&event.id, now, until)
            .await
            .unwrap()
    );
    assert!(
        !app.hub_store
            .take_sync_lease(&event.id, now, until)
            .await
            .unwrap()
    );

    // The recorder is shared by every hub in this test process: at least this one.
    assert!(collisions().await >= before + 1.0);
}

/// Books eight events with meetings, then makes all of them due for sync; returns an instant
/// to claim them at.
async fn book_eight_due_events(app: &TestApp, tenant: &TestTenant) -> convene::domain::Timestamp {
    for hour in 8..16 {
        let start = format!("2030-12-01T{hour:02}:00:00Z");
        book(app, tenant, &format!("appt-{hour}"), &start).await;
    }
    let now = convene::domain::Timestamp::now();
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE events SET next_sync_at = {}",
            now.0 - 1_000
        ))
        .await
        .unwrap();
    now
}

/// PostgreSQL plans a prepared statement once it has run a few times; claims made while
/// nothing was due leave it a plan for an empty table. The claim still takes no more than
/// its limit once many events are due.
#[tokio::test]
async fn a_claim_planned_on_an_empty_table_still_takes_no_more_than_its_limit() {
    let app = quiet_hub().await;
    let tenant = connected(&app).await;
    let now = convene::domain::Timestamp::now();
    let until = now.plus(Duration::from_secs(30));
    for _ in 0..10 {
        let claimed = app.store.claim_events_due_for_sync(now, until, 3).await;
        assert_eq!(claimed.unwrap(), Vec::<String>::new());
    }
    let now = book_eight_due_events(&app, &tenant).await;
    let until = now.plus(Duration::from_secs(30));

    let claimed = app.store.claim_events_due_for_sync(now, until, 3).await;
    assert_eq!(claimed.unwrap().len(), 3);
    let rest = app.store.claim_events_due_for_sync(now, until, 10).await;
    assert_eq!(rest.unwrap().len(), 5, "the others were left unclaimed");
}

#[tokio::test]
async fn instances_claiming_due_events_at_once_each_get_different_ones() {
    let app = quiet_hub().await;
    let tenant = connected(&app).await;
    let now = book_eight_due_events(&app, &tenant).await;
    let until = now.plus(Duration::from_secs(30));

    // The test's own store and the hub's are two instances on one database.
    let (first, second) = tokio::join!(
        app.store.claim_events_due_for_sync(now, until, 5),
        app.hub_store.claim_events_due_for_sync(now, until, 5),
    );
    let (first, second) = (first.unwrap(), second.unwrap());

    assert!(
        first.iter().all(|id| !second.contains(id)),
        "{first:?} {second:?}"
    );
    assert_eq!(first.len() + second.len(), 8, "{first:?} {second:?}");
    let again = app
        .store
        .claim_events_due_for_sync(now, until, 5)
        .await
        .unwrap();
    assert!(again.is_empty(), "claimed events stay held: {again:?}");
}
