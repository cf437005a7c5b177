//! Zoom's REST API under `/v2`: bearer authentication, `users/{userId}`, and meeting create,
//! get, update, delete and list, with Zoom's `{"code","message"}` errors and the per-user
//! daily create/update limit.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Value, json};

use super::Emulator;
use super::book::Listing;
use super::draft::{DraftError, MeetingDraft};
use super::form::Fields;
use super::gate::LedgerUser;
use super::meetings::{Host, Meeting};
use super::state::World;
use super::times::zoom_time;
use super::tokens::AccessCheck;
use super::validation::FieldError;
use super::webhooks;

const PAGE_SIZE_DEFAULT: usize = 30;
const PAGE_SIZE_MAX: usize = 300;

/// The REST routes.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v2/users/{user_id}", get(get_user))
        .route(
            "/v2/users/{user_id}/meetings",
            get(list_meetings).post(create_meeting),
        )
        .route(
            "/v2/meetings/{meeting_id}",
            get(get_meeting)
                .patch(update_meeting)
                .delete(delete_meeting),
        )
}

/// A REST error in Zoom's shape.
pub(crate) struct ApiError {
    status: StatusCode,
    code: u32,
    message: String,
    errors: Vec<FieldError>,
    headers: Vec<(HeaderName, String)>,
}

impl ApiError {
    fn new(status: StatusCode, code: u32, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    fn invalid_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 124, "Invalid access token.")
    }

    fn expired_token() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, 124, "Access token is expired.")
    }

    fn user_not_found(user: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            1001,
            format!("User does not exist: {user}."),
        )
    }

    fn meeting_not_found(meeting: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            3001,
            format!("Meeting {meeting} is not found or has expired."),
        )
    }

    fn not_host() -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            3003,
            "You are not the meeting host.",
        )
    }

    fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(StatusCode::BAD_REQUEST, 300, "Validation Failed.")
        }
    }

    fn daily_limit(limit: u32, now: Timestamp) -> Self {
        let message = format!(
            "You have exceeded the daily rate limit ({limit}) of Meeting Create/Update API requests \
             permitted for this particular user. You may resume these requests at GMT 00:00:00."
        );
        let midnight = now
            .to_zoned(TimeZone::UTC)
            .date()
            .tomorrow()
            .and_then(|day| day.to_zoned(TimeZone::UTC))
            .map(|midnight| zoom_time(midnight.timestamp()))
            .unwrap_or_default();
        Self {
            headers: vec![
                (
                    HeaderName::from_static("x-ratelimit-category"),
                    "Medium".to_owned(),
                ),
                (
                    HeaderName::from_static("x-ratelimit-type"),
                    "Daily-limit".to_owned(),
                ),
                (
                    HeaderName::from_static("x-ratelimit-limit"),
                    limit.to_string(),
                ),
                (
                    HeaderName::from_static("x-ratelimit-remaining"),
                    "0".to_owned(),
                ),
                (header::RETRY_AFTER, midnight),
            ],
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, 429, message)
        }
    }
}

impl From<DraftError> for ApiError {
    fn from(error: DraftError) -> Self {
        match error {
            DraftError::NotJson => Self::new(
                StatusCode::BAD_REQUEST,
                300,
                "Request Body should be a valid JSON object.",
            ),
            DraftError::Invalid(errors) => Self::validation(errors),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"code": self.code, "message": self.message});
        if !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        let mut response = (self.status, axum::Json(body)).into_response();
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// The user whose bearer token authenticated the request. Tokens count only in the
/// `Authorization` header: one in the query string is no token at all.
pub(crate) struct Caller {
    user_id: String,
}

impl FromRequestParts<Emulator> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, emulator: &Emulator) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or_else(ApiError::invalid_token)?;
        let check = {
            let world = emulator.world();
            world.grants.check_access(token, world.now())
        };
        match check {
            AccessCheck::Valid { user_id } => {
                LedgerUser::of(parts).set(&user_id);
                Ok(Caller { user_id })
            }
            AccessCheck::Expired => Err(ApiError::expired_token()),
            AccessCheck::Invalid => Err(ApiError::invalid_token()),
        }
    }
}

/// The user a `{userId}` path segment names, if the caller may act for them
/// (`me`, their own id or email, or a user they hold scheduling privilege for).
fn resolve_user(world: &World, caller: &Caller, user: &str) -> Result<String, ApiError> {
    if user == "me" {
        return Ok(caller.user_id.clone());
    }
    world
        .users
        .find(user)
        .filter(|found| world.users.may_act_for(&caller.user_id, &found.id))
        .map(|found| found.id.clone())
        .ok_or_else(|| ApiError::user_not_found(user))
}

async fn get_user(
    State(emulator): State<Emulator>,
    caller: Caller,
    Path(user): Path<String>,
) -> Result<Response, ApiError> {
    let world = emulator.world();
    let own = world
        .users
        .get(&caller.user_id)
        .filter(|own| user == "me" || own.id == user || own.email.eq_ignore_ascii_case(&user))
        .ok_or_else(|| ApiError::user_not_found(&user))?;
    Ok(axum::Json(own.to_json(&emulator.base())).into_response())
}

/// Who a new or moved meeting belongs to, given `schedule_for`: (host id, scheduler id).
fn schedule_for(
    world: &World,
    caller: &Caller,
    host_id: String,
    draft: &MeetingDraft,
) -> Result<(String, Option<String>), ApiError> {
    let host_id = match &draft.schedule_for {
        None => host_id,
        Some(who) => {
            let target = world.users.find(who).ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    300,
                    "The value that you entered for the schedule_for field is invalid. Enter a valid value and try again.",
                )
            })?;
            if target.id != caller.user_id && draft.is_instant() {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    3000,
                    "Instant meetings do not support the schedule_for parameter; you cannot schedule an instant meeting for another user.",
                ));
            }
            if !world.users.may_act_for(&caller.user_id, &target.id) {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    3000,
                    format!("You cannot schedule a meeting for {who}."),
                ));
            }
            target.id.clone()
        }
    };
    let scheduler = (host_id != caller.user_id).then(|| caller.user_id.clone());
    Ok((host_id, scheduler))
}

async fn create_meeting(
    State(emulator): State<Emulator>,
    caller: Caller,
    Path(user): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let limit = emulator.config().daily_meeting_limit;
    let path_user = {
        let world = emulator.world();
        let path_user = resolve_user(&world, &caller, &user)?;
        within_daily_limit(&world, &path_user, limit)?;
        path_user
    };
    let draft = MeetingDraft::from_body(&body)?;

    let mut world = emulator.world();
    let (host_id, scheduler) = schedule_for(&world, &caller, path_user, &draft)?;
    within_daily_limit(&world, &host_id, limit)?;
    let now = world.now();
    let id = world.meetings.new_id();
    let host = world
        .users
        .get(&host_id)
        .ok_or_else(|| ApiError::user_not_found(&host_id))?;
    let host_email = host.email.clone();
    let host = Host {
        id: &host.id,
        timezone: &host.timezone,
        display_name: host.display_name(),
    };
    let meeting = Meeting::create(id, &host, scheduler.as_deref(), &draft, now)
        .map_err(ApiError::validation)?;
    let body = meeting.to_json(&emulator.base(), &host_email);
    world.meetings.insert(meeting);
    world.meetings.count_use(&host_id, now);
    drop(world);
    Ok((StatusCode::CREATED, axum::Json(body)).into_response())
}

fn within_daily_limit(world: &World, user_id: &str, limit: u32) -> Result<(), ApiError> {
    let now = world.now();
    if world.meetings.used_today(user_id, now) >= limit {
        Err(ApiError::daily_limit(limit, now))
    } else {
        Ok(())
    }
}

/// The meeting a `{meetingId}` segment names, if the caller hosts it or schedules for its host.
fn accessible<'w>(
    world: &'w World,
    caller: &Caller,
    meeting: &str,
) -> Result<&'w Meeting, ApiError> {
    let found = meeting
        .parse::<i64>()
        .ok()
        .and_then(|id| world.meetings.get(id))
        .ok_or_else(|| ApiError::meeting_not_found(meeting))?;
    if world.users.may_act_for(&caller.user_id, &found.host_id) {
        Ok(found)
    } else {
        Err(ApiError::not_host())
    }
}

async fn get_meeting(
    State(emulator): State<Emulator>,
    caller: Caller,
    Path(meeting): Path<String>,
) -> Result<Response, ApiError> {
    let world = emulator.world();
    let found = accessible(&world, &caller, &meeting)?;
    let host_email = world
        .users
        .get(&found.host_id)
        .map(|host| host.email.clone())
        .unwrap_or_default();
    Ok(axum::Json(found.to_json(&emulator.base(), &host_email)).into_response())
}

fn invalid_occurrence() -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, 3000, "Invalid occurrence_id.")
}

/// The `occurrence_id` query parameter, when given.
fn occurrence_param(query: Option<String>) -> Option<String> {
    Fields::parse(query.unwrap_or_default().as_bytes())
        .non_empty("occurrence_id")
        .map(str::to_owned)
}

async fn update_meeting(
    State(emulator): State<Emulator>,
    caller: Caller,
    Path(meeting): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    let occurrence = occurrence_param(query);
    let limit = emulator.config().daily_meeting_limit;
    {
        let world = emulator.world();
        let found = accessible(&world, &caller, &meeting)?;
        within_daily_limit(&world, &found.host_id, limit)?;
    }
    let draft = MeetingDraft::from_body(&body)?;

    let mut world = emulator.world();
    let current = accessible(&world, &caller, &meeting)?;
    let (host_id, _) = schedule_for(&world, &caller, current.host_id.clone(), &draft)?;
    within_daily_limit(&world, &host_id, limit)?;
    let now = world.now();
    let updated = match &occurrence {
        None => {
            let mut updated = current.updated(&draft, now).map_err(ApiError::validation)?;
            updated.host_id = host_id.clone();
            updated
        }
        Some(occurrence) => {
            let occurrence = current
                .occurrence(occurrence)
                .ok_or_else(invalid_occurrence)?;
            current
                .with_occurrence_changed(occurrence, &draft)
                .map_err(ApiError::validation)?
        }
    };
    // Zoom notifies changes made through the API as it does those made in its portal.
    let notification = webhooks::meeting_updated(&world, current, &updated, &caller.user_id);
    world.meetings.insert(updated);
    world.meetings.count_use(&host_id, now);
    drop(world);
    if let Some(payload) = notification {
        webhooks::notify(&emulator, "meeting.updated", payload);
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_meeting(
    State(emulator): State<Emulator>,
    caller: Caller,
    Path(meeting): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let mut world = emulator.world();
    let current = accessible(&world, &caller, &meeting)?;
    match occurrence_param(query) {
        None => {
            let id = current.id;
            if let Some(deleted) = world.meetings.remove(id) {
                let payload = webhooks::meeting_deleted(&world, &deleted, &caller.user_id);
                drop(world);
                webhooks::notify(&emulator, "meeting.deleted", payload);
            }
        }
        Some(occurrence) => {
            let occurrence = current
                .occurrence(&occurrence)
                .ok_or_else(invalid_occurrence)?;
            let remaining = current.without_occurrence(occurrence);
            world.meetings.insert(remaining);
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_meetings(
    State(emulator): State<Emulator>,
    caller: Caller,
    Path(user): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let query = Fields::parse(query.unwrap_or_default().as_bytes());
    let mut errors = Vec::new();
    let listing = Listing::parse(query.non_empty("type").unwrap_or("scheduled"));
    if listing.is_none() {
        errors.push(invalid_field("type"));
    }
    let page_size = match query.non_empty("page_size").map(str::parse::<usize>) {
        None => Some(PAGE_SIZE_DEFAULT),
        Some(Ok(size)) if size >= 1 => Some(size.min(PAGE_SIZE_MAX)),
        Some(_) => None,
    };
    if page_size.is_none() {
        errors.push(invalid_field("page_size"));
    }
    let (Some(listing), Some(page_size)) = (listing, page_size) else {
        return Err(ApiError::validation(errors));
    };
    let token = query.non_empty("next_page_token");

    let mut world = emulator.world();
    let host_id = resolve_user(&world, &caller, &user)?;
    let now = world.now();
    let base = emulator.base();
    let page = world
        .meetings
        .page(&host_id, listing, page_size, token, now)
        .ok_or_else(|| ApiError::validation(vec![invalid_field("next_page_token")]))?;
    let meetings: Vec<Value> = page
        .meetings
        .iter()
        .map(|meeting| meeting.summary_json(&base))
        .collect();
    let body = json!({
        "page_size": page_size,
        "total_records": page.total_records,
        "next_page_token": page.next_page_token,
        "meetings": meetings,
    });
    drop(world);
    Ok(axum::Json(body).into_response())
}

fn invalid_field(field: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: "Invalid field.".to_owned(),
    }
}
