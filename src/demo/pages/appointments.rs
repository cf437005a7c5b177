//! The therapist's appointments: the home page (Zoom status, *New virtual appointment*,
//! upcoming appointments with their join links, what the hub's webhooks said), scheduling one,
//! starting one as host, and deleting one.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::IgnoredAny;

use super::zoom::ConfirmPage;
use super::{Chrome, Form, Refusal, SignedIn, see_other, see_other_saying, zoom_link};
use crate::demo::Demo;
use crate::demo::appointments::{AppointmentForm, AppointmentView, FormError, LENGTHS, zone};
use crate::demo::hub::{Event, HubError, Link};
use crate::demo::practice::Therapist;
use crate::domain::new_id;

/// How many notifications the home page lists.
const NOTIFICATIONS_SHOWN: usize = 8;

#[derive(Template)]
#[template(path = "demo/home.html")]
struct HomePage {
    chrome: Chrome,
    therapist: Therapist,
    link: Option<Link>,
    /// Whether the link works, so appointments can be scheduled.
    connected: bool,
    appointments: Vec<AppointmentView>,
    notifications: Vec<(String, String)>,
}

/// `GET /demo/home`: the therapist's appointments.
pub async fn home(State(demo): State<Demo>, signed_in: SignedIn) -> Result<Response, Refusal> {
    let therapist = &signed_in.therapist;
    let link = zoom_link(&demo, &therapist.id).await?;
    let appointments = upcoming(&demo, therapist).await?;
    let notifications = demo
        .0
        .practice
        .notifications_of(&therapist.id, NOTIFICATIONS_SHOWN)
        .await
        .into_iter()
        .map(|notification| {
            let when = jiff::Timestamp::from_second(notification.received_at)
                .ok()
                .zip(zone(&therapist.time_zone).ok())
                .map(|(at, tz)| at.to_zoned(tz).strftime("%-d %b, %H:%M").to_string())
                .unwrap_or_default();
            (when, notification.text)
        })
        .collect();
    let template = HomePage {
        chrome: signed_in.chrome(&demo).await,
        therapist: therapist.clone(),
        connected: link.as_ref().is_some_and(Link::works),
        link,
        appointments,
        notifications,
    };
    Ok(signed_in.page(&demo, StatusCode::OK, &template))
}

/// The therapist's appointments from now on, soonest first.
pub async fn upcoming(
    demo: &Demo,
    therapist: &Therapist,
) -> Result<Vec<AppointmentView>, HubError> {
    let now = jiff::Timestamp::now().to_string();
    let events = demo.0.hub.events_from(&therapist.id, &now).await?;
    Ok(events
        .iter()
        .map(|event| AppointmentView::of(event, &therapist.time_zone))
        .collect())
}

#[derive(Template)]
#[template(path = "demo/appointment_form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub form: AppointmentForm,
    pub errors: Vec<FormError>,
    /// Where the form posts.
    pub action: &'static str,
    /// The practice admin picks the therapist; a therapist books for themself.
    pub therapists: Vec<Therapist>,
    pub therapist_id: String,
    pub time_zone: String,
    pub lengths: &'static [u32],
}

impl FormPage {
    /// The form a therapist books with, for themself.
    pub fn for_therapist(
        chrome: Chrome,
        therapist: &Therapist,
        form: AppointmentForm,
        errors: Vec<FormError>,
    ) -> Self {
        Self {
            action: "/demo/appointments",
            ..Self::for_admin(chrome, Vec::new(), Some(therapist), form, errors)
        }
    }

    /// The form the practice admin books with, for one of `therapists`.
    pub fn for_admin(
        chrome: Chrome,
        therapists: Vec<Therapist>,
        chosen: Option<&Therapist>,
        form: AppointmentForm,
        errors: Vec<FormError>,
    ) -> Self {
        Self {
            chrome,
            form,
            errors,
            action: "/demo/admin/appointments",
            therapist_id: chosen.map_or_else(String::new, |t| t.id.clone()),
            time_zone: chosen.map_or_else(String::new, |t| t.time_zone.clone()),
            therapists,
            lengths: LENGTHS,
        }
    }

    /// The message for one field, if it has a problem.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|error| error.field == field)
            .map(|error| error.message.as_str())
    }
}

/// `GET /demo/appointments/new`: the form, once Zoom is connected.
pub async fn new(State(demo): State<Demo>, signed_in: SignedIn) -> Result<Response, Refusal> {
    let therapist = &signed_in.therapist;
    let link = zoom_link(&demo, &therapist.id).await?;
    if !link.as_ref().is_some_and(Link::works) {
        return Ok(see_other("/demo/home"));
    }
    let form = AppointmentForm::blank(&therapist.time_zone, jiff::Timestamp::now());
    let chrome = signed_in.chrome(&demo).await;
    let template = FormPage::for_therapist(chrome, therapist, form, Vec::new());
    Ok(signed_in.page(&demo, StatusCode::OK, &template))
}

/// What came of asking the hub for an appointment.
pub enum Booked {
    /// Scheduled: the message to show next.
    Scheduled(String),
    /// The form again, with what is wrong.
    Invalid(Vec<FormError>),
}

/// Schedules `form` with `therapist` as host.
pub async fn book(
    demo: &Demo,
    therapist: &Therapist,
    form: &AppointmentForm,
) -> Result<Booked, Refusal> {
    let body = match form.event(&therapist.id, &therapist.time_zone, jiff::Timestamp::now()) {
        Ok(body) => body,
        Err(errors) => return Ok(Booked::Invalid(errors)),
    };
    match demo.0.hub.put_event(&new_id("appt"), &body).await {
        Ok(event) => {
            let view = AppointmentView::of(&event, &therapist.time_zone);
            let meeting = match view.status.as_str() {
                "ready" => "with its Zoom meeting",
                _ => "; its Zoom meeting is on its way",
            };
            Ok(Booked::Scheduled(format!(
                "Scheduled {} with {}, {} {meeting}.",
                view.when, view.patient, therapist.name
            )))
        }
        Err(error @ HubError::Refused(_)) => match error.code() {
            Some("validation_failed") => Ok(Booked::Invalid(FormError::from_hub(&error))),
            Some("not_connected" | "needs_reauth") => Ok(Booked::Invalid(vec![FormError {
                field: "form",
                message: format!(
                    "{} has no working Zoom connection: connect Zoom first.",
                    therapist.name
                ),
            }])),
            _ => Err(error.into()),
        },
        Err(error) => Err(error.into()),
    }
}

/// `POST /demo/appointments`: schedules the appointment with a Zoom meeting.
pub async fn create(
    State(demo): State<Demo>,
    signed_in: SignedIn,
    Form(form): Form<AppointmentForm>,
) -> Result<Response, Refusal> {
    match book(&demo, &signed_in.therapist, &form).await? {
        Booked::Scheduled(message) => {
            Ok(see_other_saying(&demo, &signed_in.visitor, "/demo/home", message).await)
        }
        Booked::Invalid(errors) => {
            let chrome = signed_in.chrome(&demo).await;
            let template = FormPage::for_therapist(chrome, &signed_in.therapist, form, errors);
            Ok(signed_in.page(&demo, StatusCode::UNPROCESSABLE_ENTITY, &template))
        }
    }
}

/// The therapist's own appointment, or not found.
async fn own(demo: &Demo, therapist: &Therapist, event_id: &str) -> Result<Event, Refusal> {
    let event = demo.0.hub.event(event_id).await?;
    if event.end_user_id != therapist.id {
        return Err(Refusal::not_found());
    }
    Ok(event)
}

/// `POST /demo/appointments/{id}/start`: the host's fresh start link, opened.
pub async fn start(
    State(demo): State<Demo>,
    SignedIn { therapist, .. }: SignedIn,
    Path(event_id): Path<String>,
    Form(_): Form<IgnoredAny>,
) -> Result<Response, Refusal> {
    own(&demo, &therapist, &event_id).await?;
    let start = demo.0.hub.start_url(&event_id).await?;
    Ok(see_other(&start.start_url))
}

/// `GET /demo/appointments/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    State(demo): State<Demo>,
    signed_in: SignedIn,
    Path(event_id): Path<String>,
) -> Result<Response, Refusal> {
    let therapist = &signed_in.therapist;
    let event = own(&demo, therapist, &event_id).await?;
    let view = AppointmentView::of(&event, &therapist.time_zone);
    let template = ConfirmPage {
        chrome: signed_in.chrome(&demo).await,
        title: "Delete this appointment?".to_owned(),
        message: format!(
            "The appointment with {} on {} and its Zoom meeting will be deleted.",
            view.patient, view.when
        ),
        action: format!("/demo/appointments/{}/delete", view.id),
        button: "Delete appointment",
        cancel: "/demo/home",
    };
    Ok(signed_in.page(&demo, StatusCode::OK, &template))
}

/// `POST /demo/appointments/{id}/delete`: deletes it and its Zoom meeting.
pub async fn delete(
    State(demo): State<Demo>,
    SignedIn { visitor, therapist }: SignedIn,
    Path(event_id): Path<String>,
    Form(_): Form<IgnoredAny>,
) -> Result<Response, Refusal> {
    own(&demo, &therapist, &event_id).await?;
    demo.0.hub.delete_event(&event_id).await?;
    let message = "The appointment and its Zoom meeting are deleted.";
    Ok(see_other_saying(&demo, &visitor, "/demo/home", message).await)
}
