//! The contract's JSON for an event, serialised straight from the stored row: the JSON
//! columns (attendees, recurrence, the requested conferencing, its error) are copied as
//! stored, never rebuilt as a tree. Never a start URL.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::domain::Timestamp;
use crate::store::events::{Event, ShownEvent};

/// An event as the API shows it, hosted by `end_user_id` (the application's id for the end user).
#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    event_id: &'a str,
    end_user_id: &'a str,
    summary: &'a str,
    description: Option<&'a str>,
    start: Timestamp,
    end: Timestamp,
    tzid: &'a str,
    attendees: Option<&'a RawValue>,
    recurrence: Option<&'a RawValue>,
    conferencing: ConferencingView<'a>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

#[derive(Debug, Serialize)]
struct ConferencingView<'a> {
    provider: &'static str,
    status: &'a str,
    meeting_id: Option<&'a str>,
    join_url: Option<&'a str>,
    passcode: Option<&'a str>,
    error: Option<&'a RawValue>,
    settings: Option<&'a RawValue>,
    schedule_for: Option<&'a RawValue>,
}

/// What the application asked of the meeting, as stored.
#[derive(Debug, Default, Deserialize)]
struct Requested<'a> {
    #[serde(borrow)]
    settings: Option<&'a RawValue>,
    #[serde(borrow)]
    schedule_for: Option<&'a RawValue>,
}

impl<'a> EventView<'a> {
    pub fn of(event: &'a ShownEvent) -> Self {
        let requested: Requested<'a> = event
            .conferencing
            .as_deref()
            .and_then(stored)
            .unwrap_or_default();
        EventView {
            event_id: &event.external_id,
            end_user_id: &event.host_external_id,
            summary: &event.summary,
            description: event.description.as_deref(),
            start: event.start_at,
            end: event.end_at,
            tzid: &event.tzid,
            attendees: stored(&event.attendees),
            recurrence: event.recurrence.as_deref().and_then(stored),
            conferencing: ConferencingView {
                provider: "zoom",
                status: &event.conferencing_status,
                meeting_id: event.meeting_id.as_deref(),
                join_url: event.join_url.as_deref(),
                passcode: event.passcode.as_deref(),
                error: event.conferencing_error.as_deref().and_then(stored),
                settings: requested.settings,
                schedule_for: requested.schedule_for,
            },
            created_at: event.created_at,
            updated_at: event.updated_at,
        }
    }
}

/// A JSON column as the hub wrote it. The hub writes only JSON there, so a column that
/// does not parse (a database edited by hand) is logged and shown as `null`.
fn stored<'a, T: Deserialize<'a>>(text: &'a str) -> Option<T> {
    serde_json::from_str(text)
        .inspect_err(
            |error| tracing::error!(%error, "a stored JSON column of an event does not parse"),
        )
        .ok()
}

/// [`EventView`] as a JSON value, for webhook payloads.
pub fn event_view(event: &Event, host: &str) -> Value {
    serde_json::to_value(EventView::of(&ShownEvent::of(event, host)))
        .expect("an event view always serialises")
}
