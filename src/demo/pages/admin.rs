//! The practice admin's pages: every therapist with their Zoom connection and upcoming
//! appointments, and booking an appointment on a therapist's behalf. The meeting is created
//! with that therapist as host, so it lands in their Zoom account. (In the demo anyone may act
//! as the practice admin.)

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::appointments::{Booked, FormPage, book, upcoming};
use super::{Chrome, Form, Refusal, Visitor, page, see_other_saying, zoom_link};
use crate::demo::Demo;
use crate::demo::appointments::{AppointmentForm, AppointmentView, FormError};
use crate::demo::hub::Link;
use crate::demo::practice::Therapist;

#[derive(Template)]
#[template(path = "demo/admin.html")]
struct AdminPage {
    chrome: Chrome,
    roster: Vec<(Therapist, Option<Link>, Vec<AppointmentView>)>,
}

/// `GET /demo/admin`: the practice's therapists and their appointments.
pub async fn overview(State(demo): State<Demo>, visitor: Visitor) -> Result<Response, Refusal> {
    let signed_in = visitor.therapist(&demo).await.ok();
    let mut roster = Vec::new();
    for therapist in demo.0.practice.therapists().await {
        let link = zoom_link(&demo, &therapist.id).await?;
        let appointments = upcoming(&demo, &therapist).await?;
        roster.push((therapist, link, appointments));
    }
    let template = AdminPage {
        chrome: visitor.chrome(&demo, signed_in.as_ref()).await,
        roster,
    };
    Ok(page(&demo, StatusCode::OK, &visitor.csrf, &template))
}

/// `GET /demo/admin/appointments/new`: the booking form, with a choice of therapist.
pub async fn new(State(demo): State<Demo>, visitor: Visitor) -> Response {
    let signed_in = visitor.therapist(&demo).await.ok();
    let therapists = demo.0.practice.therapists().await;
    let time_zone = therapists.first().map_or("UTC", |t| t.time_zone.as_str());
    let form = AppointmentForm::blank(time_zone, jiff::Timestamp::now());
    let chrome = visitor.chrome(&demo, signed_in.as_ref()).await;
    let template = FormPage::for_admin(chrome, therapists, None, form, Vec::new());
    page(&demo, StatusCode::OK, &visitor.csrf, &template)
}

#[derive(Deserialize)]
pub struct Booking {
    #[serde(default)]
    therapist_id: String,
    #[serde(flatten)]
    appointment: AppointmentForm,
}

/// `POST /demo/admin/appointments`: books for the chosen therapist, as their host.
pub async fn book_for(
    State(demo): State<Demo>,
    visitor: Visitor,
    Form(booking): Form<Booking>,
) -> Result<Response, Refusal> {
    let therapists = demo.0.practice.therapists().await;
    let chosen = therapists
        .iter()
        .find(|t| t.id == booking.therapist_id)
        .cloned();
    let outcome = match &chosen {
        Some(therapist) => book(&demo, therapist, &booking.appointment).await?,
        None => Booked::Invalid(vec![FormError {
            field: "therapist_id",
            message: "Choose a therapist.".to_owned(),
        }]),
    };
    match outcome {
        Booked::Scheduled(message) => {
            Ok(see_other_saying(&demo, &visitor, "/demo/admin", message).await)
        }
        Booked::Invalid(errors) => {
            let signed_in = visitor.therapist(&demo).await.ok();
            let chrome = visitor.chrome(&demo, signed_in.as_ref()).await;
            let template = FormPage::for_admin(
                chrome,
                therapists.clone(),
                chosen.as_ref(),
                booking.appointment,
                errors,
            );
            Ok(page(
                &demo,
                StatusCode::UNPROCESSABLE_ENTITY,
                &visitor.csrf,
                &template,
            ))
        }
    }
}
