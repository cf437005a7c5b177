//! The bodies of the client API as its OpenAPI document describes them.
//!
//! These types exist for the document only: handlers parse and build the same JSON with the
//! domain's own types. The two cannot drift unnoticed: the API tests check real requests and
//! responses against these schemas (`tests/api/openapi.rs`).

#![allow(dead_code)]

use utoipa::ToSchema;

/// An RFC 3339 instant, e.g. `2030-12-01T15:00:00Z`.
type Instant = String;

/// `POST /v1/connect_sessions`.
#[derive(ToSchema)]
pub struct ConnectSessionRequest {
    /// The application's own id for the end user (1–255 characters).
    end_user_id: String,
    /// Where the browser returns; must equal one of the application's registered URIs.
    redirect_uri: String,
    /// Opaque value given back on the redirect.
    state: Option<String>,
    /// Only `zoom`.
    #[schema(example = "zoom")]
    provider: Option<String>,
    /// The end user's email, for the hub's notices to them.
    #[schema(format = Email)]
    end_user_email: Option<String>,
    end_user_name: Option<String>,
}

/// A connect session just made: send the end user's browser to `url`.
#[derive(ToSchema)]
pub struct ConnectSession {
    #[schema(example = "cs_0193…")]
    id: String,
    #[schema(format = "uri")]
    url: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Instant,
}

/// Where a connect session stands.
#[derive(ToSchema)]
pub struct ConnectSessionState {
    id: String,
    status: ConnectSessionStatus,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Instant,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ConnectSessionStatus {
    Open,
    Used,
    Expired,
}

/// An end user's links (an empty list when the end user is unknown).
#[derive(ToSchema)]
pub struct EndUser {
    end_user_id: String,
    links: Vec<Link>,
}

/// One end user's permission for this application to use one Zoom account.
#[derive(ToSchema)]
pub struct Link {
    #[schema(example = "lnk_0193…")]
    id: String,
    end_user_id: String,
    #[schema(example = "zoom")]
    provider: String,
    status: LinkStatus,
    account: LinkedAccount,
    #[schema(value_type = String, format = DateTime)]
    connected_at: Instant,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum LinkStatus {
    /// Meetings can be made.
    Active,
    /// Zoom no longer honours the authorization: the end user must connect again.
    NeedsReauth,
}

/// The Zoom account behind a link.
#[derive(ToSchema)]
pub struct LinkedAccount {
    #[schema(format = Email)]
    email: String,
    display_name: String,
}

/// A short-lived, single-use sign-in URL to the end user's account page.
#[derive(ToSchema)]
pub struct AccountLink {
    #[schema(format = "uri")]
    url: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Instant,
}

/// `PUT /v1/events/{event_id}`.
#[derive(ToSchema)]
pub struct EventRequest {
    /// The end user whose Zoom account hosts the meeting.
    end_user_id: String,
    summary: String,
    description: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    start: Instant,
    #[schema(value_type = String, format = DateTime)]
    end: Instant,
    /// IANA time zone, e.g. `Europe/Ljubljana`.
    tzid: String,
    attendees: Option<Vec<Attendee>>,
    recurrence: Option<Recurrence>,
    /// Absent: keep the event's meeting as it is; `null`: remove it; an object: have one.
    conferencing: Option<ConferencingRequest>,
}

#[derive(ToSchema)]
pub struct Attendee {
    #[schema(format = Email)]
    email: String,
    name: Option<String>,
}

/// A repetition Zoom can hold; the start is the first occurrence.
#[derive(ToSchema)]
pub struct Recurrence {
    frequency: Frequency,
    interval: Option<u32>,
    /// Weekly: day codes (`MO`…`SU`); monthly: one code with its week (`2TU`, `-1FR`).
    by_day: Option<Vec<String>>,
    /// Occurrences in all (at most 60, Zoom's limit); or `until`.
    count: Option<u32>,
    /// Last day, `YYYY-MM-DD`; or `count`.
    until: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

/// The meeting an event asks for.
#[derive(ToSchema)]
pub struct ConferencingRequest {
    #[schema(example = "zoom")]
    provider: String,
    settings: Option<MeetingSettings>,
    /// Email of another Zoom user to host the meeting (the end user needs scheduling
    /// privilege for them).
    #[schema(format = Email)]
    schedule_for: Option<String>,
}

#[derive(ToSchema)]
pub struct MeetingSettings {
    waiting_room: Option<bool>,
    join_before_host: Option<bool>,
    mute_upon_entry: Option<bool>,
    /// `none`, `local` or `cloud`.
    auto_recording: Option<String>,
    /// Up to 10 characters: letters, digits, `@ - _ *`.
    passcode: Option<String>,
}

/// An event and the state of its Zoom meeting.
#[derive(ToSchema)]
pub struct Event {
    event_id: String,
    end_user_id: String,
    summary: String,
    description: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    start: Instant,
    #[schema(value_type = String, format = DateTime)]
    end: Instant,
    tzid: String,
    attendees: Vec<Attendee>,
    recurrence: Option<Recurrence>,
    conferencing: Conferencing,
    #[schema(value_type = String, format = DateTime)]
    created_at: Instant,
    #[schema(value_type = String, format = DateTime)]
    updated_at: Instant,
}

/// The event's Zoom meeting. Never a start URL (see `POST /v1/events/{event_id}/start_url`).
#[derive(ToSchema)]
pub struct Conferencing {
    #[schema(example = "zoom")]
    provider: String,
    status: ConferencingStatus,
    meeting_id: Option<String>,
    #[schema(format = "uri")]
    join_url: Option<String>,
    passcode: Option<String>,
    error: Option<ConferencingError>,
    settings: Option<MeetingSettings>,
    #[schema(format = Email)]
    schedule_for: Option<String>,
}

#[derive(ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum ConferencingStatus {
    /// No meeting asked for.
    None,
    /// Being made or changed; `event.conferencing.ready` or `.failed` follows.
    Pending,
    Ready,
    Failed,
    /// The host deleted the meeting inside Zoom.
    Removed,
}

/// Why conferencing failed or is being retried.
#[derive(ToSchema)]
pub struct ConferencingError {
    /// `not_connected`, `needs_reauth`, `zoom_rejected`, `zoom_unavailable`, `zoom_error`.
    code: String,
    message: String,
}

/// One page of events, oldest start first.
#[derive(ToSchema)]
pub struct EventList {
    events: Vec<Event>,
    /// Pass as `cursor` for the next page; `null` on the last.
    next_cursor: Option<String>,
}

/// The host's start link, fresh from Zoom; it carries the host's key and expires.
#[derive(ToSchema)]
pub struct StartUrl {
    #[schema(format = "uri")]
    start_url: String,
    #[schema(value_type = String, format = DateTime)]
    expires_at: Instant,
}

/// An error, as RFC 9457 problem details (`application/problem+json`).
#[derive(ToSchema)]
pub struct Problem {
    #[schema(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// Stable machine-readable code, e.g. `not_found`, `validation_failed`, `not_connected`.
    code: String,
    /// With `validation_failed`: each field that failed.
    errors: Option<Vec<FieldProblem>>,
}

#[derive(ToSchema)]
pub struct FieldProblem {
    field: String,
    message: String,
}
