//! The signed-in user's own Zoom pages: "Manage apps" (removing the app deauthorizes it) and
//! "Meetings" (edits and deletions there notify the app), plus the landing pages behind
//! join and start URLs.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use jiff::tz::TimeZone;
use serde_json::{Map, json};

use super::Emulator;
use super::authorize::{AfterSignIn, sign_in_page};
use super::draft::MeetingDraft;
use super::form::Fields;
use super::meetings::Meeting;
use super::oauth::SCOPES;
use super::pages::{PageError, html, see_other};
use super::session::{SignedIn, Visitor};
use super::webhooks;

/// The portal pages.
pub(crate) fn routes() -> Router<Emulator> {
    Router::new()
        .route("/apps", get(apps))
        .route("/apps/remove", post(remove_app))
        .route("/meetings", get(meetings))
        .route("/meetings/{meeting_id}", post(edit_meeting))
        .route("/meetings/{meeting_id}/delete", post(delete_meeting))
        .route("/j/{meeting_id}", get(join))
        .route("/s/{meeting_id}", get(start))
}

struct AppView {
    client_id: String,
    scopes: &'static str,
    authorized_at: String,
}

#[derive(Template)]
#[template(path = "sandbox/apps.html")]
struct AppsPage<'a> {
    base: &'a str,
    csrf: &'a str,
    name: String,
    email: String,
    app: Option<AppView>,
}

struct MeetingView {
    id: i64,
    topic: String,
    when: String,
    timezone: String,
    /// The start as a `datetime-local` value in the meeting's time zone; none without a fixed time.
    start_local: Option<String>,
    duration: i64,
    join_url: String,
}

#[derive(Template)]
#[template(path = "sandbox/meetings.html")]
struct MeetingsPage<'a> {
    base: &'a str,
    csrf: &'a str,
    name: String,
    email: String,
    meetings: Vec<MeetingView>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "sandbox/launch.html")]
struct LaunchPage {
    action: &'static str,
    verb: &'static str,
    topic: String,
    id: i64,
}

async fn apps(State(emulator): State<Emulator>, Visitor(visitor): Visitor) -> Response {
    let Some(signed_in) = visitor else {
        return sign_in_page(&emulator, AfterSignIn::Apps, &[], None);
    };
    let (name, email, authorized_at) = {
        let world = emulator.world();
        let Some(user) = world.users.get(&signed_in.user_id) else {
            return PageError::stale_form().into_response();
        };
        (
            user.display_name(),
            user.email.clone(),
            world.grants.authorized_at(&user.id),
        )
    };
    let page = AppsPage {
        base: emulator.base_path(),
        csrf: signed_in.csrf(),
        name,
        email,
        app: authorized_at.map(|at| AppView {
            client_id: emulator.config().client_id.clone(),
            scopes: SCOPES,
            authorized_at: at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        }),
    };
    html(StatusCode::OK, &page)
}

async fn remove_app(
    State(emulator): State<Emulator>,
    Visitor(visitor): Visitor,
    body: Bytes,
) -> Response {
    let Some(signed_in) = visitor else {
        return see_other(&emulator, "/apps");
    };
    if !signed_in.csrf_matches(Fields::parse(&body).get("csrf")) {
        return PageError::stale_form().into_response();
    }
    emulator.remove_app(&signed_in.user_id);
    see_other(&emulator, "/apps")
}

async fn meetings(State(emulator): State<Emulator>, Visitor(visitor): Visitor) -> Response {
    match visitor {
        None => sign_in_page(&emulator, AfterSignIn::Meetings, &[], None),
        Some(signed_in) => meetings_page(&emulator, &signed_in, None),
    }
}

fn meetings_page(emulator: &Emulator, signed_in: &SignedIn, error: Option<String>) -> Response {
    let base = emulator.base();
    let (name, email, meetings) = {
        let world = emulator.world();
        let Some(user) = world.users.get(&signed_in.user_id) else {
            return PageError::stale_form().into_response();
        };
        let meetings = world
            .meetings
            .hosted_by(&user.id)
            .map(|meeting| meeting_view(meeting, &base))
            .collect();
        (user.display_name(), user.email.clone(), meetings)
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = MeetingsPage {
        base: emulator.base_path(),
        csrf: signed_in.csrf(),
        name,
        email,
        meetings,
        error,
    };
    html(status, &page)
}

fn meeting_view(meeting: &Meeting, base: &str) -> MeetingView {
    let tz = TimeZone::get(&meeting.timezone).unwrap_or(TimeZone::UTC);
    let local = meeting.start.map(|start| start.to_zoned(tz.clone()));
    MeetingView {
        id: meeting.id,
        topic: meeting.topic.clone(),
        when: match &local {
            Some(local) => format!(
                "{} ({}), {} min",
                local.strftime("%a %Y-%m-%d %H:%M"),
                meeting.timezone,
                meeting.duration
            ),
            None => format!("no fixed time, {} min", meeting.duration),
        },
        timezone: meeting.timezone.clone(),
        start_local: local.map(|local| local.strftime("%Y-%m-%dT%H:%M").to_string()),
        duration: meeting.duration,
        join_url: meeting.join_url(base),
    }
}

/// The signed-in user's meeting named by the path, with the form's CSRF token checked.
fn own_meeting(
    emulator: &Emulator,
    signed_in: &SignedIn,
    meeting_id: &str,
    form: &Fields,
) -> Result<i64, PageError> {
    if !signed_in.csrf_matches(form.get("csrf")) {
        return Err(PageError::stale_form());
    }
    meeting_id
        .parse::<i64>()
        .ok()
        .filter(|id| {
            emulator
                .world()
                .meetings
                .get(*id)
                .is_some_and(|meeting| meeting.host_id == signed_in.user_id)
        })
        .ok_or_else(|| {
            PageError::new(
                StatusCode::NOT_FOUND,
                "Meeting not found",
                format!("You have no meeting {meeting_id}."),
            )
        })
}

async fn edit_meeting(
    State(emulator): State<Emulator>,
    Visitor(visitor): Visitor,
    Path(meeting_id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(signed_in) = visitor else {
        return see_other(&emulator, "/meetings");
    };
    let form = Fields::parse(&body);
    let id = match own_meeting(&emulator, &signed_in, &meeting_id, &form) {
        Ok(id) => id,
        Err(error) => return error.into_response(),
    };
    let draft = match page_draft(&form) {
        Ok(draft) => draft,
        Err(message) => return meetings_page(&emulator, &signed_in, Some(message)),
    };
    let notification = {
        let mut world = emulator.world();
        let now = world.now();
        let Some(current) = world.meetings.get(id) else {
            return see_other(&emulator, "/meetings");
        };
        let updated = match current.updated(&draft, now) {
            Ok(updated) => updated,
            Err(errors) => {
                drop(world);
                let message = errors
                    .iter()
                    .map(|error| format!("{}: {}", error.field, error.message))
                    .collect::<Vec<_>>()
                    .join(" ");
                return meetings_page(&emulator, &signed_in, Some(message));
            }
        };
        let payload = webhooks::meeting_updated(&world, current, &updated, &signed_in.user_id);
        world.meetings.insert(updated);
        payload
    };
    if let Some(payload) = notification {
        webhooks::notify(&emulator, "meeting.updated", payload);
    }
    see_other(&emulator, "/meetings")
}

/// The meeting fields of the edit form, validated as an API update would be.
fn page_draft(form: &Fields) -> Result<MeetingDraft, String> {
    let mut object = Map::new();
    if let Some(topic) = form.non_empty("topic") {
        object.insert("topic".into(), json!(topic));
    }
    if let Some(start) = form.non_empty("start_time") {
        // `datetime-local` inputs send minutes only.
        let start = if start.len() == 16 {
            format!("{start}:00")
        } else {
            start.to_owned()
        };
        object.insert("start_time".into(), json!(start));
    }
    if let Some(duration) = form.non_empty("duration") {
        let duration = duration
            .parse::<i64>()
            .map_err(|_| "duration: Enter a number of minutes.".to_owned())?;
        object.insert("duration".into(), json!(duration));
    }
    MeetingDraft::from_object(&object).map_err(|errors| {
        errors
            .iter()
            .map(|error| format!("{}: {}", error.field, error.message))
            .collect::<Vec<_>>()
            .join(" ")
    })
}

async fn delete_meeting(
    State(emulator): State<Emulator>,
    Visitor(visitor): Visitor,
    Path(meeting_id): Path<String>,
    body: Bytes,
) -> Response {
    let Some(signed_in) = visitor else {
        return see_other(&emulator, "/meetings");
    };
    let id = match own_meeting(&emulator, &signed_in, &meeting_id, &Fields::parse(&body)) {
        Ok(id) => id,
        Err(error) => return error.into_response(),
    };
    let payload = {
        let mut world = emulator.world();
        let Some(deleted) = world.meetings.remove(id) else {
            return see_other(&emulator, "/meetings");
        };
        webhooks::meeting_deleted(&world, &deleted, &signed_in.user_id)
    };
    webhooks::notify(&emulator, "meeting.deleted", payload);
    see_other(&emulator, "/meetings")
}

async fn join(State(emulator): State<Emulator>, Path(meeting_id): Path<String>) -> Response {
    launch(&emulator, &meeting_id, "Join", "join")
}

async fn start(State(emulator): State<Emulator>, Path(meeting_id): Path<String>) -> Response {
    launch(&emulator, &meeting_id, "Start", "start")
}

fn launch(
    emulator: &Emulator,
    meeting_id: &str,
    action: &'static str,
    verb: &'static str,
) -> Response {
    let found = meeting_id.parse::<i64>().ok().and_then(|id| {
        let world = emulator.world();
        world
            .meetings
            .get(id)
            .map(|meeting| (meeting.id, meeting.topic.clone()))
    });
    match found {
        Some((id, topic)) => html(
            StatusCode::OK,
            &LaunchPage {
                action,
                verb,
                topic,
                id,
            },
        ),
        None => PageError::new(
            StatusCode::NOT_FOUND,
            "Meeting not found",
            format!("Meeting {meeting_id} is not found or has expired."),
        )
        .into_response(),
    }
}
