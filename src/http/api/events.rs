//! `/v1/events`: the applications' events, each with its Zoom meeting kept in step.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::{Value, json};

use crate::conferencing::{ConnectedHost, EventView, KnownHost, meeting_request};
use crate::domain::event::{EventInput, EventSpec, Patch};
use crate::domain::{EndUserId, Timestamp, new_id};
use crate::http::auth::{ApiCaller, PresentedKey};
use crate::http::json::ApiJson;
use crate::http::problem::ApiError;
use crate::http::state::AppState;
use crate::store::applications::Application;
use crate::store::credentials::status as link_status;
use crate::store::events::{
    Event, EventChanges, EventContext, EventQuery, MAX_PAGE_SIZE, ShownEvent, changes,
    conferencing_status as state,
};
use crate::zoom::types::MeetingRequest;

/// Longest an application's event id may be.
const MAX_EVENT_ID: usize = 255;
/// How often a request re-tries an event another sync is working on.
const LEASE_POLL: std::time::Duration = std::time::Duration::from_millis(20);
/// Zoom start links carry the host's ZAK and expire after two hours.
const START_URL_LIFETIME_MS: i64 = 2 * 3600 * 1000;

/// `PUT /v1/events/{event_id}`: create (201) or update (200) by the application's id.
#[utoipa::path(
    put,
    path = "/v1/events/{event_id}",
    operation_id = "put_event",
    tag = "events",
    params(("event_id" = String, Path, description = "The application's own id for the event (1–255 characters).")),
    request_body = super::schemas::EventRequest,
    responses(
        (status = 201, description = "Created.", body = super::schemas::Event),
        (status = 200, description = "Updated, or unchanged.", body = super::schemas::Event),
        (status = 409, description = "`not_connected` or `needs_reauth`: the host cannot have a Zoom meeting now.", body = super::schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn put(
    key: PresentedKey,
    State(state): State<AppState>,
    Path(event_id): Path<String>,
    body: Result<ApiJson<EventInput>, ApiError>,
) -> Result<Response, ApiError> {
    let input = match body.and_then(|ApiJson(input)| check_event_id(&event_id).map(|()| input)) {
        Ok(input) => input,
        Err(error) => return Err(key.refuse(&state, error).await),
    };
    let now = Timestamp::now();
    let mut context = state
        .store
        .event_context(key.hash(), &event_id, &input.end_user_id)
        .await?;
    let caller = key.admit(&state, context.key.take())?;
    let application = &caller.0.application;
    // An event already under way can still be updated; only new starts must be ahead.
    let as_of = match &context.event {
        Some(event) if event.deleted_at.is_none() => event.start_at.min(now),
        _ => now,
    };
    let as_of = jiff::Timestamp::from_millisecond(as_of.0).map_err(anyhow::Error::from)?;
    let spec = input.parse(as_of).map_err(ApiError::Validation)?;
    let conferencing = match (&spec.conferencing, &context.event) {
        (Patch::Absent, Some(existing)) if existing.deleted_at.is_none() => {
            existing.conferencing.clone()
        }
        (Patch::Absent | Patch::Remove, _) => None,
        (Patch::Set(_), _) => spec.conferencing_json().map(|json| json.to_string()),
    };
    let host_end_user_id = match &context.host {
        Some(host) => host.id.clone(),
        None => {
            state
                .store
                .end_user_row(&application.id, spec.host.as_str(), now)
                .await?
                .id
        }
    };
    if conferencing.is_some() {
        check_host_can_meet(&context, &spec.host)?;
    }
    let content = Content {
        host_end_user_id,
        summary: spec.summary.as_str().to_owned(),
        description: spec.description.as_ref().map(|d| d.as_str().to_owned()),
        start_at: Timestamp(spec.window.start().as_millisecond()),
        end_at: Timestamp(spec.window.end().as_millisecond()),
        tzid: spec.time_zone.name().to_owned(),
        attendees: spec.attendees_json().to_string(),
        recurrence: spec.recurrence_json().map(|json| json.to_string()),
        conferencing,
    };
    let host = KnownHost {
        link: context.host_link(),
        credential: context.credential,
    };
    let (event, status) = match context.event {
        None => {
            let event = create(&state, application, &event_id, content, &spec, host, now).await?;
            (event, StatusCode::CREATED)
        }
        Some(existing) if existing.deleted_at.is_none() && content.matches(&existing) => {
            (existing, StatusCode::OK)
        }
        Some(existing) => {
            let revived = existing.deleted_at.is_some();
            let request = match &spec.conferencing {
                Patch::Set(conferencing) => Some(meeting_request(&spec, conferencing)),
                _ => None,
            };
            let changes = content.changes_to(&existing, now);
            let event = change(&state, application, changes, host, request, now)
                .await?
                .ok_or_else(|| anyhow::anyhow!("an updated event vanished"))?;
            match revived {
                true => (event, StatusCode::CREATED),
                false => (event, StatusCode::OK),
            }
        }
    };
    let shown = ShownEvent::of(&event, spec.host.as_str());
    Ok((status, Json(EventView::of(&shown))).into_response())
}

/// Stores a new event and, when it has conferencing, makes its meeting within the request
/// budget (the rest goes on in the background, and the worker finishes what is left).
async fn create(
    state: &AppState,
    application: &Application,
    event_id: &str,
    content: Content,
    spec: &EventSpec,
    host: KnownHost,
    now: Timestamp,
) -> Result<Event, ApiError> {
    let mut event = content.new_event(&application.id, event_id, now);
    let (Patch::Set(conferencing), Some(link), Some(credential)) =
        (&spec.conferencing, host.link, host.credential)
    else {
        return Ok(state.store.insert_event(event).await?);
    };
    // The request is the event's first sync: it holds the lease, and the intent to create
    // is committed with the event, before Zoom is asked.
    event.sync_lease_until = Some(now.plus(state.sync.lease));
    event.meeting_create_started_at = Some(now);
    event.meeting_credential_id = Some(credential.id.clone());
    let event = state.store.insert_event(event).await?;
    let request = meeting_request(spec, conferencing);
    let application = application.clone();
    let host = ConnectedHost {
        external_id: spec.host.as_str().to_owned(),
        link,
        credential,
    };
    let stored = event.clone();
    let background = state.clone();
    let synced = within_budget(state, async move {
        background
            .meetings()
            .create_for_new_event(&application, stored, &host, &request)
            .await
            .map(Some)
    })
    .await?;
    Ok(synced.flatten().unwrap_or(event))
}

/// Applies `changes` to an event and, holding its sync lease, brings its meeting in step
/// within the request budget. When another sync holds the event, waits for it instead.
/// The event as it now is (`None` once deleted).
async fn change(
    state: &AppState,
    application: &Application,
    changes: EventChanges,
    host: KnownHost,
    request: Option<MeetingRequest>,
    now: Timestamp,
) -> Result<Option<Event>, ApiError> {
    let (event, leased) = state
        .store
        .update_event_taking_lease(changes, now, now.plus(state.sync.lease))
        .await?;
    if !leased {
        return Ok(Some(sync_within_budget(state, event).await?));
    }
    let background = state.clone();
    let application = application.clone();
    let stored = event.clone();
    let synced = within_budget(state, async move {
        background
            .meetings()
            .sync_changed(&application, stored, host, request)
            .await
    })
    .await?;
    Ok(synced.unwrap_or(Some(event)))
}

/// Runs the request's own sync of an event in the background, answering with its outcome
/// if it finishes within the request budget (`None` when it does not; the sync goes on,
/// and the worker finishes what is left).
async fn within_budget(
    state: &AppState,
    sync: impl Future<Output = anyhow::Result<Option<Event>>> + Send + 'static,
) -> Result<Option<Option<Event>>, ApiError> {
    let mut task = tokio::spawn(sync);
    match tokio::time::timeout(state.config.tuning.zoom_request_budget, &mut task).await {
        Ok(Ok(Ok(synced))) => Ok(Some(synced)),
        Ok(Ok(Err(error))) => {
            tracing::warn!(error = ?error, "meeting sync failed; the worker will retry");
            Ok(None)
        }
        Ok(Err(error)) => Err(ApiError::Internal(error.into())),
        Err(_) => {
            tracing::info!("Zoom is slow; answering with conferencing pending");
            Ok(None)
        }
    }
}

/// `GET /v1/events/{event_id}`.
#[utoipa::path(
    get,
    path = "/v1/events/{event_id}",
    operation_id = "get_event",
    tag = "events",
    params(("event_id" = String, Path)),
    responses(
        (status = 200, description = "The event.", body = super::schemas::Event),
        (status = 404, description = "No such event of this application.", body = super::schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn show(
    key: PresentedKey,
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Response, ApiError> {
    let (_, context) = admitted_event(&state, &key, &event_id).await?;
    let (Some(event), Some(host)) = (&context.event, &context.host) else {
        return Err(no_such_event());
    };
    Ok(Json(EventView::of(&ShownEvent::of(event, &host.external_id))).into_response())
}

/// `DELETE /v1/events/{event_id}`: the event and its Zoom meeting.
#[utoipa::path(
    delete,
    path = "/v1/events/{event_id}",
    operation_id = "delete_event",
    tag = "events",
    params(("event_id" = String, Path)),
    responses(
        (status = 204, description = "Deleted; the Zoom meeting is deleted too."),
        (status = 404, description = "No such event of this application.", body = super::schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn remove(
    key: PresentedKey,
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (caller, context) = admitted_event(&state, &key, &event_id).await?;
    let host = KnownHost {
        link: context.host_link(),
        credential: context.credential,
    };
    let Some(event) = context.event else {
        return Err(no_such_event());
    };
    let now = Timestamp::now();
    let mut deleted = changes(&event.id);
    deleted.deleted_at = sea_orm::Set(Some(now));
    deleted.version = sea_orm::Set(event.version + 1);
    deleted.next_sync_at = sea_orm::Set(Some(now));
    deleted.updated_at = sea_orm::Set(now);
    change(&state, &caller.0.application, deleted, host, None, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/events?end_user_id=&from=&to=&limit=&cursor=`: oldest start first.
#[utoipa::path(
    get,
    path = "/v1/events",
    operation_id = "list_events",
    tag = "events",
    params(
        ("end_user_id" = Option<String>, Query, description = "Only this host's events."),
        ("from" = Option<String>, Query, format = DateTime, description = "Only events starting at or after this instant."),
        ("to" = Option<String>, Query, format = DateTime, description = "Only events starting before this instant."),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 50 by default."),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page."),
    ),
    responses((status = 200, description = "One page.", body = super::schemas::EventList)),
)]
pub async fn list(
    caller: ApiCaller,
    State(state): State<AppState>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    for name in params.keys() {
        if !["end_user_id", "from", "to", "limit", "cursor"].contains(&name.as_str()) {
            return Err(ApiError::InvalidRequest(format!(
                "Unknown query parameter `{name}`."
            )));
        }
    }
    let instant = |name: &str| -> Result<Option<Timestamp>, ApiError> {
        params
            .get(name)
            .map(|raw| {
                raw.parse::<jiff::Timestamp>()
                    .map(|at| Timestamp(at.as_millisecond()))
                    .map_err(|_| {
                        ApiError::InvalidRequest(format!("`{name}` must be an RFC 3339 time."))
                    })
            })
            .transpose()
    };
    let limit = match params.get("limit") {
        None => 50,
        Some(raw) => raw
            .parse::<u64>()
            .ok()
            .filter(|limit| (1..=MAX_PAGE_SIZE).contains(limit))
            .ok_or_else(|| {
                ApiError::InvalidRequest(format!(
                    "`limit` must be a whole number from 1 to {MAX_PAGE_SIZE}."
                ))
            })?,
    };
    let after = params
        .get("cursor")
        .map(|cursor| decode_cursor(cursor))
        .transpose()?;
    let mut events = state
        .store
        .list_events(EventQuery {
            application_id: caller.application_id(),
            host_external_id: params.get("end_user_id").map(String::as_str),
            from: instant("from")?,
            to: instant("to")?,
            after,
            limit: limit + 1,
        })
        .await?;
    let next_cursor = if events.len() as u64 > limit {
        events.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        events.last().map(encode_cursor)
    } else {
        None
    };
    let page = EventPage {
        events: events.iter().map(EventView::of).collect(),
        next_cursor,
    };
    // Serialised here, while the rows it borrows are alive.
    Ok(Json(page).into_response())
}

/// A page of `GET /v1/events`.
#[derive(Serialize)]
pub struct EventPage<'a> {
    events: Vec<EventView<'a>>,
    next_cursor: Option<String>,
}

/// `POST /v1/events/{event_id}/start_url`: the host's start link, fresh from Zoom.
#[utoipa::path(
    post,
    path = "/v1/events/{event_id}/start_url",
    operation_id = "create_start_url",
    tag = "events",
    params(("event_id" = String, Path)),
    responses(
        (status = 200, description = "Valid for about two hours; fetch it when the host is about to start.", body = super::schemas::StartUrl),
        (status = 404, description = "No such event of this application.", body = super::schemas::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no_meeting`, `not_connected` or `needs_reauth`.", body = super::schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn start_url(
    key: PresentedKey,
    State(state): State<AppState>,
    Path(event_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (_, context) = admitted_event(&state, &key, &event_id).await?;
    let event = context.event.ok_or_else(no_such_event)?;
    let (Some(meeting_id), Some(credential_id)) = (
        event
            .meeting_id
            .as_deref()
            .and_then(|id| id.parse::<i64>().ok()),
        event.meeting_credential_id.as_deref(),
    ) else {
        return Err(ApiError::Conflict {
            code: "no_meeting",
            detail: format!(
                "The event has no Zoom meeting (conferencing status `{}`).",
                event.conferencing_status
            ),
        });
    };
    let api = &state.zoom;
    let fetch = |token: SecretString| async move { api.get_meeting(&token, meeting_id).await };
    // The meeting's credential is usually the host's current one, read with the event.
    let meeting = match context
        .credential
        .filter(|current| current.id == credential_id)
    {
        Some(current) => state.broker.with_token_of(&current, fetch).await,
        None => state.broker.with_token(credential_id, fetch).await,
    }
    .map_err(|error| match error {
        crate::conferencing::ConferencingError::NeedsReauth => needs_reauth(),
        crate::conferencing::ConferencingError::NoCredential => not_connected(),
        other => ApiError::Internal(anyhow::Error::from(other)),
    })?;
    let start_url = meeting
        .start_url
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("Zoom returned no start_url")))?;
    Ok(Json(json!({
        "start_url": start_url,
        "expires_at": Timestamp(Timestamp::now().0 + START_URL_LIFETIME_MS),
    })))
}

/// What an event says, as stored.
struct Content {
    host_end_user_id: String,
    summary: String,
    description: Option<String>,
    start_at: Timestamp,
    end_at: Timestamp,
    tzid: String,
    attendees: String,
    recurrence: Option<String>,
    conferencing: Option<String>,
}

impl Content {
    fn matches(&self, event: &Event) -> bool {
        self.host_end_user_id == event.host_end_user_id
            && self.summary == event.summary
            && self.description == event.description
            && self.start_at == event.start_at
            && self.end_at == event.end_at
            && self.tzid == event.tzid
            && self.attendees == event.attendees
            && self.recurrence == event.recurrence
            && self.conferencing == event.conferencing
    }

    fn new_event(self, application_id: &str, event_id: &str, now: Timestamp) -> Event {
        let wanted = self.conferencing.is_some();
        Event {
            id: new_id("evt"),
            application_id: application_id.to_owned(),
            external_id: event_id.to_owned(),
            host_end_user_id: self.host_end_user_id,
            summary: self.summary,
            description: self.description,
            start_at: self.start_at,
            end_at: self.end_at,
            tzid: self.tzid,
            attendees: self.attendees,
            recurrence: self.recurrence,
            conferencing: self.conferencing,
            conferencing_status: if wanted { state::PENDING } else { state::NONE }.to_owned(),
            meeting_id: None,
            meeting_credential_id: None,
            join_url: None,
            passcode: None,
            conferencing_error: None,
            sync_attempts: 0,
            next_sync_at: wanted.then_some(now),
            sync_lease_until: None,
            meeting_create_started_at: None,
            synced_version: None,
            deleted_at: None,
            version: 0,
            created_at: now,
            updated_at: now,
        }
    }

    fn changes_to(self, event: &Event, now: Timestamp) -> crate::store::events::EventChanges {
        use sea_orm::Set;
        let mut changed = changes(&event.id);
        let status = match (&self.conferencing, &event.meeting_id) {
            (Some(_), Some(_)) => state::READY,
            (Some(_), None) => state::PENDING,
            (None, _) => state::NONE,
        };
        changed.conferencing_status = Set(status.to_owned());
        changed.conferencing_error = Set(None);
        changed.host_end_user_id = Set(self.host_end_user_id);
        changed.summary = Set(self.summary);
        changed.description = Set(self.description);
        changed.start_at = Set(self.start_at);
        changed.end_at = Set(self.end_at);
        changed.tzid = Set(self.tzid);
        changed.attendees = Set(self.attendees);
        changed.recurrence = Set(self.recurrence);
        changed.conferencing = Set(self.conferencing);
        changed.deleted_at = Set(None);
        changed.version = Set(event.version + 1);
        changed.next_sync_at = Set(Some(now));
        changed.sync_attempts = Set(0);
        changed.updated_at = Set(now);
        changed
    }
}

/// Runs the meeting sync, answering with what is known after the request budget
/// (the sync goes on in the background and the worker finishes what is left).
async fn sync_within_budget(state: &AppState, event: Event) -> Result<Event, ApiError> {
    if event.next_sync_at.is_none() {
        return Ok(event);
    }
    let background = state.clone();
    let id = event.id.clone();
    let budget = state.config.tuning.zoom_request_budget;
    let mut task = tokio::spawn(async move {
        let meetings = background.meetings();
        // Another sync may hold the event (the worker): wait for it so this
        // request sees its own change, within the budget.
        let give_up = tokio::time::Instant::now() + budget;
        loop {
            match meetings.sync(&id).await {
                Ok(true) => return,
                Ok(false) if tokio::time::Instant::now() < give_up => {
                    tokio::time::sleep(LEASE_POLL).await;
                }
                Ok(false) => return,
                Err(error) => {
                    tracing::warn!(error = ?error, "meeting sync failed; the worker will retry");
                    return;
                }
            }
        }
    });
    if tokio::time::timeout(budget, &mut task).await.is_err() {
        tracing::info!("Zoom is slow; answering with conferencing pending");
    }
    Ok(state
        .store
        .find_event_by_id(&event.id)
        .await?
        .unwrap_or(event))
}

fn check_host_can_meet(context: &EventContext, host: &EndUserId) -> Result<(), ApiError> {
    match &context.link {
        None => Err(ApiError::Conflict {
            code: "not_connected",
            detail: format!(
                "End user `{}` has not connected Zoom. Create a connect session (POST /v1/connect_sessions) and send them to its URL, then try again.",
                host.as_str()
            ),
        }),
        Some(link) if link.status != link_status::ACTIVE => Err(needs_reauth()),
        Some(_) => Ok(()),
    }
}

fn not_connected() -> ApiError {
    ApiError::Conflict {
        code: "not_connected",
        detail:
            "The host has no Zoom connection. Create a connect session (POST /v1/connect_sessions)."
                .to_owned(),
    }
}

/// The answer for an event id the application has no live event under (404).
fn no_such_event() -> ApiError {
    ApiError::NotFound("No such event.".to_owned())
}

fn needs_reauth() -> ApiError {
    ApiError::Conflict {
        code: "needs_reauth",
        detail: "The host's Zoom connection needs reconnecting. Create a connect session (POST /v1/connect_sessions) for them.".to_owned(),
    }
}

/// The application's live event `event_id` with its host, link and credential, read with
/// the presented key in one statement, and the caller the key admits (refused otherwise,
/// before anything about the event is told).
async fn admitted_event(
    state: &AppState,
    key: &PresentedKey,
    event_id: &str,
) -> Result<(ApiCaller, EventContext), ApiError> {
    let mut context = state.store.live_event_context(key.hash(), event_id).await?;
    let caller = key.admit(state, context.key.take())?;
    Ok((caller, context))
}

fn check_event_id(event_id: &str) -> Result<(), ApiError> {
    if event_id.is_empty()
        || event_id.len() > MAX_EVENT_ID
        || event_id.chars().any(char::is_control)
    {
        return Err(ApiError::field(
            "event_id",
            "must be 1 to 255 printable characters",
        ));
    }
    Ok(())
}

fn encode_cursor(event: &ShownEvent) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", event.start_at.0, event.id))
}

fn decode_cursor(cursor: &str) -> Result<(Timestamp, String), ApiError> {
    let invalid = || ApiError::InvalidRequest("`cursor` is not one this API gave out.".to_owned());
    let text = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| invalid())?;
    let text = String::from_utf8(text).map_err(|_| invalid())?;
    let (start, id) = text.split_once(':').ok_or_else(invalid)?;
    Ok((
        Timestamp(start.parse().map_err(|_| invalid())?),
        id.to_owned(),
    ))
}
