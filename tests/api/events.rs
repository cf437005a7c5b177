//! Events with Zoom meetings against the in-process sandbox Zoom: create, move,
//! rename, re-host, delete — and the Cal.com bugs, each a test.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, TestTenant, assert_problem, spawn_app_with};

const ANA: &str = "ana.novak@sandbox.zoom.test";
const BEN: &str = "ben.okafor@sandbox.zoom.test";

async fn hub() -> TestApp {
    spawn_app_with(|config| {
        config.tuning.outbox_poll = Duration::from_millis(50);
        config.tuning.meeting_retry_base = Duration::from_millis(100);
    })
    .await
}

/// A tenant whose end user `t-1` has connected Ana's Zoom account.
async fn connected(app: &TestApp) -> TestTenant {
    let tenant = app.create_tenant("Calm").await;
    assert_eq!(
        app.connect_as(&tenant, "t-1", ANA).await["status"],
        "connected"
    );
    tenant
}

fn session(start: &str, end: &str) -> Value {
    json!({
        "end_user_id": "t-1",
        "summary": "Therapy session",
        "description": "Weekly check-in",
        "start": start,
        "end": end,
        "tzid": "Europe/Ljubljana",
        "attendees": [{"email": "pat@example.org", "name": "Pat"}],
        "conferencing": {"provider": "zoom", "settings": {"waiting_room": true, "join_before_host": false, "mute_upon_entry": true}},
    })
}

impl TestApp {
    pub async fn put_event(
        &self,
        tenant: &TestTenant,
        event_id: &str,
        body: &Value,
    ) -> reqwest::Response {
        self.client
            .put(self.url(&format!("/v1/events/{event_id}")))
            .bearer_auth(&tenant.api_key)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn delete_event(&self, tenant: &TestTenant, event_id: &str) -> reqwest::Response {
        self.client
            .delete(self.url(&format!("/v1/events/{event_id}")))
            .bearer_auth(&tenant.api_key)
            .send()
            .await
            .unwrap()
    }

    /// PUTs the standard session as `appt-1` and returns the event.
    pub async fn put_standard_session(&self, tenant: &TestTenant) -> Value {
        self.put_event(
            tenant,
            "appt-1",
            &session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z"),
        )
        .await
        .json()
        .await
        .unwrap()
    }

    /// The sandbox Zoom's meetings of one user, as Zoom shows them.
    pub async fn zoom_meetings(&self, email: &str) -> Vec<Value> {
        let body: Value = self
            .client
            .get(self.url(&format!("/sandbox/zoom/_control/users/{email}/meetings")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["meetings"].as_array().cloned().unwrap_or_default()
    }

    /// How many meeting creates the sandbox Zoom answered.
    pub async fn zoom_meeting_creates(&self) -> usize {
        let ledger: Value = self
            .client
            .get(self.url("/sandbox/zoom/_control/ledger"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ledger["requests"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| {
                r["method"] == "POST"
                    && r["path"].as_str().unwrap().ends_with("/meetings")
                    && r["status"] == 201
            })
            .count()
    }

    /// The event once its conferencing is no longer pending.
    pub async fn settled_event(&self, tenant: &TestTenant, event_id: &str) -> Value {
        for _ in 0..200 {
            let event: Value = self
                .get_as(&tenant.api_key, &format!("/v1/events/{event_id}"))
                .await
                .json()
                .await
                .unwrap();
            if event["conferencing"]["status"] != "pending" {
                return event;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("conferencing stayed pending");
    }
}

#[tokio::test]
async fn an_event_with_zoom_gets_one_meeting_at_the_same_instant() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let response = app
        .put_event(
            &tenant,
            "appt-1",
            &session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z"),
        )
        .await;
    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["event_id"], "appt-1");
    assert_eq!(event["end_user_id"], "t-1");
    assert_eq!(event["conferencing"]["status"], "ready");
    assert!(
        event["conferencing"]["join_url"]
            .as_str()
            .unwrap()
            .contains("/j/")
    );
    assert!(event["conferencing"].get("start_url").is_none());
    assert!(!event.to_string().contains("zak="), "never a start URL");
    let meetings = app.zoom_meetings(ANA).await;
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0]["start_time"], "2030-12-01T15:00:00Z");
    assert_eq!(meetings[0]["duration"], 50);
    assert_eq!(meetings[0]["timezone"], "Europe/Ljubljana");
    assert_eq!(meetings[0]["topic"], "Therapy session");
    assert_eq!(
        meetings[0]["id"].to_string(),
        event["conferencing"]["meeting_id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn the_waiting_room_setting_is_honoured_and_attendees_are_invited() {
    let app = hub().await;
    let tenant = connected(&app).await;
    app.put_standard_session(&tenant).await;
    let settings = &app.zoom_meetings(ANA).await[0]["settings"];
    assert_eq!(settings["waiting_room"], true);
    assert_eq!(settings["join_before_host"], false);
    assert_eq!(settings["mute_upon_entry"], true);
    assert_eq!(settings["meeting_invitees"][0]["email"], "pat@example.org");
}

#[tokio::test]
async fn rescheduling_moves_the_meeting_and_keeps_the_join_url() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let first: Value = app.put_standard_session(&tenant).await;
    let mut moved = session("2030-12-03T09:30:00Z", "2030-12-03T10:30:00Z");
    moved["summary"] = json!("Therapy session (moved)");
    let response = app.put_event(&tenant, "appt-1", &moved).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    assert_eq!(
        second["conferencing"]["join_url"],
        first["conferencing"]["join_url"]
    );
    assert_eq!(
        second["conferencing"]["meeting_id"],
        first["conferencing"]["meeting_id"]
    );
    let meetings = app.zoom_meetings(ANA).await;
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0]["start_time"], "2030-12-03T09:30:00Z");
    assert_eq!(meetings[0]["duration"], 60);
    assert_eq!(meetings[0]["topic"], "Therapy session (moved)");
}

#[tokio::test]
async fn a_recurring_event_saved_five_times_is_still_one_meeting() {
    let app = hub().await;
    let tenant = connected(&app).await;
    for i in 0..5 {
        let mut body = session("2030-12-02T15:00:00Z", "2030-12-02T15:50:00Z");
        body["recurrence"] =
            json!({"frequency": "weekly", "interval": 1, "by_day": ["MO"], "count": 6});
        body["summary"] = json!(format!("Group therapy v{}", i % 2));
        let response = app.put_event(&tenant, "series-1", &body).await;
        assert!(response.status().is_success());
    }
    let meetings = app.zoom_meetings(ANA).await;
    assert_eq!(meetings.len(), 1);
    assert_eq!(meetings[0]["type"], 8);
    assert_eq!(
        meetings[0]["recurrence"]["weekly_days"], "2",
        "Monday is 2 when 1 is Sunday"
    );
    assert_eq!(app.zoom_meeting_creates().await, 1);
}

#[tokio::test]
async fn cancelling_the_event_deletes_the_meeting() {
    let app = hub().await;
    let tenant = connected(&app).await;
    app.put_standard_session(&tenant).await;
    let response = app.delete_event(&tenant, "appt-1").await;
    assert_eq!(response.status(), 204);
    assert!(app.zoom_meetings(ANA).await.is_empty());
    assert_problem(
        app.get_as(&tenant.api_key, "/v1/events/appt-1").await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn conferencing_absent_leaves_the_meeting_and_null_removes_it() {
    let app = hub().await;
    let tenant = connected(&app).await;
    app.put_standard_session(&tenant).await;
    let mut without = session("2030-12-01T16:00:00Z", "2030-12-01T16:50:00Z");
    without.as_object_mut().unwrap().remove("conferencing");
    let kept: Value = app
        .put_event(&tenant, "appt-1", &without)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(kept["conferencing"]["status"], "ready");
    assert_eq!(
        app.zoom_meetings(ANA).await[0]["start_time"],
        "2030-12-01T16:00:00Z"
    );
    without["conferencing"] = Value::Null;
    let removed: Value = app
        .put_event(&tenant, "appt-1", &without)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(removed["conferencing"]["status"], "none");
    assert!(removed["conferencing"]["join_url"].is_null());
    assert!(app.zoom_meetings(ANA).await.is_empty());
}

#[tokio::test]
async fn changing_the_host_moves_the_meeting_to_the_new_hosts_account() {
    let app = hub().await;
    let tenant = connected(&app).await;
    assert_eq!(
        app.connect_as(&tenant, "t-2", BEN).await["status"],
        "connected"
    );
    app.put_standard_session(&tenant).await;
    let mut rehosted = session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z");
    rehosted["end_user_id"] = json!("t-2");
    let event: Value = app
        .put_event(&tenant, "appt-1", &rehosted)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(event["end_user_id"], "t-2");
    assert_eq!(event["conferencing"]["status"], "ready");
    assert!(app.zoom_meetings(ANA).await.is_empty());
    assert_eq!(app.zoom_meetings(BEN).await.len(), 1);
}

#[tokio::test]
async fn a_host_without_a_link_is_409_not_connected_and_one_needing_reauth_is_409_needs_reauth() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let mut stranger = session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z");
    stranger["end_user_id"] = json!("nobody");
    let problem = assert_problem(
        app.put_event(&tenant, "appt-1", &stranger).await,
        409,
        "not_connected",
    )
    .await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("connect session")
    );

    crate::zoom_fixture::zoom_stops_honouring(&app.store).await;
    let body = session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z");
    assert_problem(
        app.put_event(&tenant, "appt-2", &body).await,
        409,
        "needs_reauth",
    )
    .await;
}

#[tokio::test]
async fn zoom_failing_does_not_fail_the_booking_it_finishes_later_and_tells_the_app() {
    let app = hub().await;
    let hooks = crate::notifications::Receiver::start(&[], 200).await;
    let tenant = app.create_tenant_with_webhook("Calm", &hooks.url()).await;
    app.connect_as(&tenant, "t-1", ANA).await;
    app.zoom_fault(json!({"kind": "status", "scope": "api", "status": 503, "count": 2}))
        .await;

    let response = app
        .put_event(
            &tenant,
            "appt-1",
            &session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z"),
        )
        .await;

    assert_eq!(response.status(), 201);
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["conferencing"]["status"], "pending");
    let settled = app.settled_event(&tenant, "appt-1").await;
    assert_eq!(settled["conferencing"]["status"], "ready");
    assert_eq!(app.zoom_meetings(ANA).await.len(), 1);
    let mut told = Vec::new();
    for _ in 0..100 {
        told = hooks
            .requests()
            .iter()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .collect();
        if told.iter().any(|b| b["type"] == "event.conferencing.ready") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = told
        .iter()
        .find(|b| b["type"] == "event.conferencing.ready")
        .expect("told ready");
    assert_eq!(ready["data"]["event_id"], "appt-1");
    assert!(ready["data"]["conferencing"]["join_url"].is_string());
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_adopted_not_made_twice() {
    let app = hub().await;
    let tenant = connected(&app).await;
    app.zoom_fault(json!({"kind": "reset", "scope": "api", "count": 1}))
        .await;

    app.put_standard_session(&tenant).await;
    let settled = app.settled_event(&tenant, "appt-1").await;

    assert_eq!(settled["conferencing"]["status"], "ready");
    assert_eq!(app.zoom_meetings(ANA).await.len(), 1);
    assert_eq!(
        app.zoom_meeting_creates().await,
        1,
        "meetings created per event: exactly 1"
    );
}

#[tokio::test]
async fn deleting_an_event_whose_create_answer_was_lost_deletes_the_meeting_zoom_made() {
    // No retry before the delete: only the delete can find the meeting.
    let app = spawn_app_with(|config| {
        config.tuning.meeting_retry_base = Duration::from_secs(3600);
    })
    .await;
    let tenant = connected(&app).await;
    app.zoom_fault(json!({"kind": "reset", "scope": "api", "count": 1}))
        .await;
    let event = app.put_standard_session(&tenant).await;
    assert_eq!(event["conferencing"]["status"], "pending");
    assert_eq!(app.zoom_meetings(ANA).await.len(), 1, "Zoom made it");

    assert_eq!(app.delete_event(&tenant, "appt-1").await.status(), 204);

    for _ in 0..100 {
        if app.zoom_meetings(ANA).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the meeting of the lost create was left in Zoom");
}

#[tokio::test]
async fn a_zoom_refusal_fails_the_conferencing_with_zooms_reason() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let mut body = session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z");
    body["conferencing"]["schedule_for"] = json!("chloe.martin@sandbox.zoom.test");
    let event: Value = app
        .put_event(&tenant, "appt-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(event["conferencing"]["status"], "failed");
    assert_eq!(event["conferencing"]["error"]["code"], "zoom_rejected");
    assert!(
        !event["conferencing"]["error"]["message"]
            .as_str()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn schedule_for_creates_the_meeting_in_the_other_users_account() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let mut body = session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z");
    body["conferencing"]["schedule_for"] = json!(BEN);
    let event: Value = app
        .put_event(&tenant, "appt-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(event["conferencing"]["status"], "ready");
    assert_eq!(app.zoom_meetings(BEN).await.len(), 1);
}

#[tokio::test]
async fn the_start_url_is_fetched_fresh_and_never_stored() {
    let app = hub().await;
    let tenant = connected(&app).await;
    app.put_standard_session(&tenant).await;
    let response = app
        .client
        .post(app.url("/v1/events/appt-1/start_url"))
        .bearer_auth(&tenant.api_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let start_url = body["start_url"].as_str().unwrap();
    assert!(start_url.contains("zak="));
    assert!(body["expires_at"].is_string());
    let event = app
        .get_as(&tenant.api_key, "/v1/events/appt-1")
        .await
        .text()
        .await
        .unwrap();
    assert!(!event.contains(start_url) && !event.contains("zak="));
}

#[tokio::test]
async fn another_applications_event_id_is_a_different_event() {
    let app = hub().await;
    let calm = connected(&app).await;
    let ehr = app.create_tenant("EHR").await;
    let mut plain = session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z");
    plain.as_object_mut().unwrap().remove("conferencing");
    assert_eq!(app.put_event(&calm, "appt-1", &plain).await.status(), 201);
    assert_problem(
        app.get_as(&ehr.api_key, "/v1/events/appt-1").await,
        404,
        "not_found",
    )
    .await;
    plain["summary"] = json!("EHR visit");
    assert_eq!(
        app.put_event(&ehr, "appt-1", &plain).await.status(),
        201,
        "a different event"
    );
    let calm_event: Value = app
        .get_as(&calm.api_key, "/v1/events/appt-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(calm_event["summary"], "Therapy session");
    let deleted = app.delete_event(&ehr, "appt-1").await;
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        app.get_as(&calm.api_key, "/v1/events/appt-1")
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn events_are_listed_oldest_first_with_cursor_paging_and_filters() {
    let app = hub().await;
    let tenant = app.create_tenant("Calm").await;
    for (i, day) in [5, 1, 3, 2, 4].iter().enumerate() {
        let mut body = session(
            &format!("2030-12-0{day}T10:00:00Z"),
            &format!("2030-12-0{day}T11:00:00Z"),
        );
        body.as_object_mut().unwrap().remove("conferencing");
        body["end_user_id"] = json!(if i % 2 == 0 { "t-1" } else { "t-2" });
        app.put_event(&tenant, &format!("e-{day}"), &body).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/v1/events?limit=2&cursor={cursor}"),
            None => "/v1/events?limit=2".to_owned(),
        };
        let page: Value = app
            .get_as(&tenant.api_key, &path)
            .await
            .json()
            .await
            .unwrap();
        for event in page["events"].as_array().unwrap() {
            seen.push(event["event_id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, ["e-1", "e-2", "e-3", "e-4", "e-5"]);
    let filtered: Value = app
        .get_as(
            &tenant.api_key,
            "/v1/events?end_user_id=t-1&from=2030-12-02T00:00:00Z&to=2030-12-05T00:00:00Z",
        )
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = filtered["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["e-3", "e-4"]);
    assert_problem(
        app.get_as(&tenant.api_key, "/v1/events?limit=0").await,
        400,
        "invalid_request",
    )
    .await;
    assert_problem(
        app.get_as(&tenant.api_key, "/v1/events?from=yesterday")
            .await,
        400,
        "invalid_request",
    )
    .await;
    assert_problem(
        app.get_as(&tenant.api_key, "/v1/events?cursor=garbage!")
            .await,
        400,
        "invalid_request",
    )
    .await;
    assert_problem(
        app.get_as(&tenant.api_key, "/v1/events?color=red").await,
        400,
        "invalid_request",
    )
    .await;
}

#[tokio::test]
async fn times_keep_their_instant_across_daylight_saving_in_two_zones() {
    let app = hub().await;
    let tenant = connected(&app).await;
    // 09:00 local on both sides of each zone's 2031 spring switch.
    let cases = [
        (
            "Europe/Ljubljana",
            "2031-03-29T09:00:00+01:00",
            "2031-03-29T08:00:00Z",
        ),
        (
            "Europe/Ljubljana",
            "2031-03-31T09:00:00+02:00",
            "2031-03-31T07:00:00Z",
        ),
        (
            "America/New_York",
            "2031-03-08T09:00:00-05:00",
            "2031-03-08T14:00:00Z",
        ),
        (
            "America/New_York",
            "2031-03-10T09:00:00-04:00",
            "2031-03-10T13:00:00Z",
        ),
    ];
    for (i, (zone, start, utc)) in cases.iter().enumerate() {
        let end = start.replace("T09:00", "T09:45");
        let mut body = session(start, &end);
        body["tzid"] = json!(zone);
        let response = app.put_event(&tenant, &format!("dst-{i}"), &body).await;
        assert_eq!(response.status(), 201, "{zone} {start}");
        let meetings = app.zoom_meetings(ANA).await;
        let meeting = meetings
            .iter()
            .find(|m| m["start_time"] == *utc)
            .unwrap_or_else(|| panic!("{utc} in {meetings:?}"));
        assert_eq!(meeting["timezone"], *zone);
        assert_eq!(meeting["duration"], 45);
    }
}

#[tokio::test]
async fn bad_events_name_their_fields() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let mut backwards = session("2030-12-01T15:00:00Z", "2030-12-01T14:00:00Z");
    let problem = assert_problem(
        app.put_event(&tenant, "e", &backwards).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "end");
    backwards["tzid"] = json!("Mars/Olympus");
    backwards["end"] = json!("2030-12-01T16:00:00Z");
    let problem = assert_problem(
        app.put_event(&tenant, "e", &backwards).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "tzid");
    let past = session("2020-01-01T15:00:00Z", "2020-01-01T16:00:00Z");
    let problem = assert_problem(
        app.put_event(&tenant, "e", &past).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "start");
}

/// A hub whose request budget is short, with its webhooks going to `hooks`.
async fn hub_with_hooks(
    budget: Duration,
    attempts: i32,
) -> (TestApp, TestTenant, crate::notifications::Receiver) {
    let app = spawn_app_with(|config| {
        config.tuning.outbox_poll = Duration::from_millis(50);
        config.tuning.meeting_retry_base = Duration::from_millis(100);
        config.tuning.meeting_retry_attempts = attempts;
        config.tuning.zoom_request_budget = budget;
    })
    .await;
    let hooks = crate::notifications::Receiver::start(&[], 200).await;
    let tenant = app.create_tenant_with_webhook("Calm", &hooks.url()).await;
    assert_eq!(
        app.connect_as(&tenant, "t-1", ANA).await["status"],
        "connected"
    );
    (app, tenant, hooks)
}

/// The webhook of `kind` the app received, once it arrives.
async fn told(hooks: &crate::notifications::Receiver, kind: &str) -> Value {
    for _ in 0..200 {
        let bodies: Vec<Value> = hooks
            .requests()
            .iter()
            .map(|r| serde_json::from_str(&r.body).unwrap())
            .collect();
        if let Some(found) = bodies.into_iter().find(|b| b["type"] == kind) {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no {kind} webhook");
}

async fn set_latency(app: &TestApp, ms: u64) {
    let response = app
        .client
        .post(app.url("/sandbox/zoom/_control/latency"))
        .json(&json!({"ms": ms}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
}

#[tokio::test]
async fn zoom_slower_than_the_request_budget_answers_pending_and_finishes_later() {
    let (app, tenant, hooks) = hub_with_hooks(Duration::from_millis(150), 32).await;
    set_latency(&app, 600).await;
    let started = std::time::Instant::now();
    let response = app
        .put_event(
            &tenant,
            "appt-1",
            &session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z"),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "answered within the budget"
    );
    let event: Value = response.json().await.unwrap();
    assert_eq!(event["conferencing"]["status"], "pending");
    let ready = told(&hooks, "event.conferencing.ready").await;
    assert_eq!(ready["data"]["event_id"], "appt-1");
    assert_eq!(app.zoom_meeting_creates().await, 1);
}

#[tokio::test]
async fn a_zoom_rate_limit_is_waited_out_as_retry_after_says() {
    let (app, tenant, hooks) = hub_with_hooks(Duration::from_secs(3), 32).await;
    app.zoom_fault(
        json!({"kind": "rate_limited", "scope": "api", "count": 1, "retry_after_seconds": 1}),
    )
    .await;
    let started = std::time::Instant::now();
    let event: Value = app.put_standard_session(&tenant).await;
    assert_eq!(event["conferencing"]["status"], "pending");
    told(&hooks, "event.conferencing.ready").await;
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(app.zoom_meeting_creates().await, 1);
}

#[tokio::test]
async fn a_zoom_outage_that_outlasts_the_retries_fails_and_tells_the_app() {
    let (app, tenant, hooks) = hub_with_hooks(Duration::from_secs(3), 3).await;
    app.zoom_fault(json!({"kind": "status", "scope": "api", "status": 503, "count": 50}))
        .await;
    app.put_standard_session(&tenant).await;
    let failed = told(&hooks, "event.conferencing.failed").await;
    assert_eq!(failed["data"]["conferencing"]["status"], "failed");
    assert_eq!(
        failed["data"]["conferencing"]["error"]["code"],
        "zoom_unavailable"
    );
    let event: Value = app
        .get_as(&tenant.api_key, "/v1/events/appt-1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(event["conferencing"]["status"], "failed");
    assert_eq!(app.zoom_meeting_creates().await, 0);
}

#[tokio::test]
async fn deleting_an_event_whose_meeting_is_being_created_deletes_that_meeting() {
    let (app, tenant, _hooks) = hub_with_hooks(Duration::from_millis(100), 32).await;
    set_latency(&app, 500).await;
    let event: Value = app.put_standard_session(&tenant).await;
    assert_eq!(
        event["conferencing"]["status"], "pending",
        "the create is still in flight"
    );
    let deleted = app.delete_event(&tenant, "appt-1").await;
    assert_eq!(deleted.status(), 204);
    use convene::store::entity::event;
    use sea_orm::EntityTrait;
    let rows = || async {
        event::Entity::find()
            .all(app.store.connection())
            .await
            .unwrap()
            .len()
    };
    // Zoom forgets the meeting a moment before the hub drops the row: wait for both.
    let mut remaining = usize::MAX;
    for _ in 0..100 {
        remaining = app.zoom_meetings(ANA).await.len();
        if remaining == 0 && app.zoom_meeting_creates().await == 1 && rows().await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(remaining, 0, "the meeting made meanwhile is deleted");
    assert_eq!(app.zoom_meeting_creates().await, 1);
    assert_eq!(rows().await, 0, "the deleted event's row is gone");
}

#[tokio::test]
async fn an_update_that_meets_a_zoom_outage_is_queued_and_applied_when_zoom_is_back() {
    let (app, tenant, _hooks) = hub_with_hooks(Duration::from_secs(3), 32).await;
    let created: Value = app.put_standard_session(&tenant).await;
    app.zoom_fault(json!({"kind": "status", "scope": "api", "status": 503, "count": 2}))
        .await;
    let moved = app
        .put_event(
            &tenant,
            "appt-1",
            &session("2030-12-05T09:00:00Z", "2030-12-05T09:30:00Z"),
        )
        .await;
    assert_eq!(moved.status(), 200, "the outage does not fail the update");
    let moved: Value = moved.json().await.unwrap();
    assert_eq!(
        moved["conferencing"]["join_url"],
        created["conferencing"]["join_url"]
    );
    let mut start = Value::Null;
    for _ in 0..100 {
        start = app.zoom_meetings(ANA).await[0]["start_time"].clone();
        if start == "2030-12-05T09:00:00Z" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(start, "2030-12-05T09:00:00Z", "applied once Zoom answered");
    assert_eq!(app.zoom_meeting_creates().await, 1);
}

#[tokio::test]
async fn deleting_an_event_whose_meeting_is_already_gone_in_zoom_succeeds() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let event: Value = app.put_standard_session(&tenant).await;
    // Ana deletes the meeting herself on Zoom's meetings page.
    let meeting_id = event["conferencing"]["meeting_id"].as_str().unwrap();
    let (browser, meetings, html) = crate::browser::zoom_portal(&app, "/meetings", ANA).await;
    crate::browser::submit(
        &browser,
        &meetings,
        &html,
        &format!("{meeting_id}/delete"),
        Vec::new(),
    )
    .await;
    assert!(app.zoom_meetings(ANA).await.is_empty());

    let deleted = app.delete_event(&tenant, "appt-1").await;
    assert_eq!(
        deleted.status(),
        204,
        "Zoom's 3001 counts as already deleted"
    );
    assert_problem(
        app.get_as(&tenant.api_key, "/v1/events/appt-1").await,
        404,
        "not_found",
    )
    .await;
}

async fn zoom_control(app: &TestApp, path: &str) {
    let response = app
        .client
        .post(app.url(&format!("/sandbox/zoom/_control/{path}")))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{path}");
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_and_the_meeting_is_made() {
    let (app, tenant, _hooks) = hub_with_hooks(Duration::from_secs(3), 32).await;
    zoom_control(&app, "expire_access_tokens").await;
    let event: Value = app.put_standard_session(&tenant).await;
    assert_eq!(event["conferencing"]["status"], "ready");
    assert_eq!(app.zoom_meeting_creates().await, 1);
}

#[tokio::test]
async fn a_dead_zoom_authorization_fails_the_conferencing_as_needs_reauth_and_tells_the_app() {
    let (app, tenant, hooks) = hub_with_hooks(Duration::from_secs(3), 32).await;
    zoom_control(&app, "expire_access_tokens").await;
    zoom_control(&app, &format!("users/{ANA}/kill_refresh_token")).await;
    let event: Value = app.put_standard_session(&tenant).await;
    assert_eq!(event["conferencing"]["status"], "failed");
    assert_eq!(event["conferencing"]["error"]["code"], "needs_reauth");
    let failed = told(&hooks, "event.conferencing.failed").await;
    assert_eq!(failed["data"]["event_id"], "appt-1");
    let reauth = told(&hooks, "link.needs_reauth").await;
    assert_eq!(reauth["data"]["end_user_id"], "t-1");
    assert_eq!(reauth["data"]["status"], "needs_reauth");
    let emails = {
        use sea_orm::EntityTrait;
        convene::store::entity::email::Entity::find()
            .all(app.store.connection())
            .await
            .unwrap()
    };
    assert!(
        emails.iter().any(|email| email.to_address == ANA
            && email.subject == "Please reconnect your Zoom account"),
        "the user is asked to reconnect"
    );
    let again = session("2030-12-02T15:00:00Z", "2030-12-02T15:50:00Z");
    assert_problem(
        app.put_event(&tenant, "appt-2", &again).await,
        409,
        "needs_reauth",
    )
    .await;
    assert_eq!(app.zoom_meeting_creates().await, 0);
}

#[tokio::test]
async fn a_request_waits_for_a_sync_already_working_on_the_event_and_sees_its_own_change() {
    let app = hub().await;
    let tenant = connected(&app).await;
    let mut body = session("2030-12-01T15:00:00Z", "2030-12-01T15:50:00Z");
    app.put_event(&tenant, "appt-1", &body).await;
    use convene::store::entity::event;
    use sea_orm::EntityTrait;
    let stored = event::Entity::find()
        .one(app.store.connection())
        .await
        .unwrap()
        .unwrap();
    // Another sync (the worker, another instance) holds the event for a moment.
    let now = convene::domain::Timestamp::now();
    assert!(
        app.store
            .take_sync_lease(&stored.id, now, convene::domain::Timestamp(now.0 + 400))
            .await
            .unwrap()
    );

    body["conferencing"] = Value::Null;
    let removed: Value = app
        .put_event(&tenant, "appt-1", &body)
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(removed["conferencing"]["status"], "none");
    assert!(removed["conferencing"]["join_url"].is_null());
    assert!(app.zoom_meetings(ANA).await.is_empty());
}

/// A hub that works its outbox only once an hour, but is woken by what it commits; a pass
/// claims 16 deliveries.
async fn hub_woken_by_deliveries() -> (TestApp, TestTenant, crate::notifications::Receiver) {
    let app = spawn_app_with(|config| {
        config.tuning.outbox_poll = Duration::from_secs(3600);
        config.tuning.webhook_batch = 16;
    })
    .await;
    let hooks = crate::notifications::Receiver::start(&[], 200).await;
    let tenant = app.create_tenant_with_webhook("Calm", &hooks.url()).await;
    assert_eq!(
        app.connect_as(&tenant, "t-1", ANA).await["status"],
        "connected"
    );
    (app, tenant, hooks)
}

#[tokio::test]
async fn a_webhook_goes_out_when_it_is_committed_not_at_the_next_tick() {
    let (app, tenant, hooks) = hub_woken_by_deliveries().await;
    let event = app.put_standard_session(&tenant).await;
    assert_eq!(event["conferencing"]["status"], "ready", "{event}");
    let ready = told(&hooks, "event.conferencing.ready").await;
    assert_eq!(ready["data"]["event_id"], "appt-1");
}

#[tokio::test]
async fn a_backlog_larger_than_one_pass_drains_without_waiting_for_ticks() {
    let (app, tenant, hooks) = hub_woken_by_deliveries().await;
    // Written behind the hub's back (another process, say): nothing wakes the worker yet.
    let mut backlog = Vec::new();
    for _ in 0..150 {
        backlog.push(crate::notifications::enqueue_link_connected(&app, &tenant.id).await);
    }
    // One create wakes it; passes come back full (two at once) until the backlog is gone.
    app.put_standard_session(&tenant).await;
    for _ in 0..200 {
        let mut received: std::collections::HashMap<String, usize> = Default::default();
        for request in hooks.requests() {
            *received.entry(request.id).or_default() += 1;
        }
        if backlog.iter().all(|id| received.contains_key(id)) {
            let twice: Vec<_> = received.iter().filter(|(_, times)| **times > 1).collect();
            assert!(
                twice.is_empty(),
                "passes at once sent the same delivery: {twice:?}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the backlog was not drained");
}
