//! The requests of each measured path, (a) to (f): an event body and the calls that carry it
//! to the emulator directly, to the comparator, or to the hub.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::load::{Workload, exchange, workload};

/// When the first generated event starts; later ones follow an hour apart.
pub const FIRST_START_MS: i64 = 1_924_992_000_000; // 2031-01-01T00:00:00Z

/// The standard session: event `number` of `host`, fifty minutes with a Zoom meeting.
pub fn event_body(host: &str, number: u64, summary: &str) -> Value {
    let start_ms = FIRST_START_MS + i64::try_from(number).unwrap_or(i64::MAX / 2) * 3_600_000;
    let at = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|at| at.to_string())
            .unwrap_or_default()
    };
    json!({
        "end_user_id": host,
        "summary": summary,
        "start": at(start_ms),
        "end": at(start_ms + 50 * 60_000),
        "tzid": "Europe/Ljubljana",
        "conferencing": {"provider": "zoom"},
    })
}

/// Who a workload talks to, and as whom.
#[derive(Clone)]
pub struct Target {
    pub http: reqwest::Client,
    /// Base URLs to spread requests over (several hub instances), in turn.
    pub bases: Arc<Vec<String>>,
    /// The application's key (hub paths) or Zoom access tokens in turn (direct path).
    pub keys: Arc<Vec<String>>,
    /// End-user ids of the hosts, used in turn.
    pub hosts: Arc<Vec<String>>,
}

impl Target {
    fn base(&self, number: u64) -> &str {
        pick(&self.bases, number)
    }

    fn key(&self, number: u64) -> &str {
        pick(&self.keys, number)
    }

    fn host(&self, number: u64) -> &str {
        pick(&self.hosts, number)
    }
}

fn pick(items: &[String], number: u64) -> &str {
    let index = usize::try_from(number).unwrap_or(0) % items.len().max(1);
    items.get(index).map(String::as_str).unwrap_or_default()
}

/// (a) A meeting create sent straight to Zoom, as the hub would send it.
pub fn direct_create(target: Target) -> Workload {
    workload(move |number| {
        let body = event_body("", number, &format!("Direct {number}"));
        let request = target
            .http
            .post(format!("{}/v2/users/me/meetings", target.base(number)))
            .bearer_auth(target.key(number))
            .json(&json!({
                "topic": body["summary"],
                "type": 2,
                "start_time": body["start"],
                "duration": 50,
                "timezone": body["tzid"],
            }));
        exchange(request)
    })
}

/// (b) An event sent to the bare-minimum comparator.
pub fn comparator_create(target: Target, run: &str) -> Workload {
    let run = run.to_owned();
    workload(move |number| {
        let body = event_body(target.host(number), number, &format!("Session {number}"));
        let request = target
            .http
            .put(format!("{}/events/{run}-{number}", target.base(number)))
            .json(&body);
        exchange(request)
    })
}

/// (c) `PUT /v1/events/{id}` creating event `{prefix}-{number}` with a Zoom meeting.
pub fn hub_create(target: Target, prefix: &str) -> Workload {
    let prefix = prefix.to_owned();
    workload(move |number| {
        let body = event_body(target.host(number), number, &format!("Session {number}"));
        let request = put_event(&target, number, &format!("{prefix}-{number}"), &body);
        exchange(request)
    })
}

/// (d) `PUT /v1/events/{id}` renaming one of the `existing` events `{prefix}-0…`, in turn,
/// so that the hub updates its Zoom meeting.
pub fn hub_update(target: Target, prefix: &str, existing: u64) -> Workload {
    let prefix = prefix.to_owned();
    workload(move |number| {
        let event = number % existing.max(1);
        let summary = format!("Session {event}, revision {number}");
        let body = event_body(target.host(event), event, &summary);
        let request = put_event(&target, number, &format!("{prefix}-{event}"), &body);
        exchange(request)
    })
}

/// (e) `GET /v1/events?end_user_id=…`: a host's first page.
pub fn hub_list(target: Target) -> Workload {
    workload(move |number| {
        let request = list_events(&target, number, target.key(number))
            .query(&[("end_user_id", target.host(number)), ("limit", "50")]);
        exchange(request)
    })
}

/// (f) A request with a key the hub never issued.
pub fn bad_key(target: Target) -> Workload {
    workload(move |number| {
        exchange(list_events(
            &target,
            number,
            &format!("cvk_bench_unknown_{number:016}"),
        ))
    })
}

/// `GET /v1/events` to the base of request `number`, with `key`.
fn list_events(target: &Target, number: u64, key: &str) -> reqwest::RequestBuilder {
    target
        .http
        .get(format!("{}/v1/events", target.base(number)))
        .bearer_auth(key)
}

/// `PUT /v1/events/{event_id}` to the base and with the key of request `number`.
pub fn put_event(
    target: &Target,
    number: u64,
    event_id: &str,
    body: &Value,
) -> reqwest::RequestBuilder {
    target
        .http
        .put(format!("{}/v1/events/{event_id}", target.base(number)))
        .bearer_auth(target.key(number))
        .json(body)
}
