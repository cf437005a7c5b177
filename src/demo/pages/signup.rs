//! The start page and signing up in three steps: basic details, profile, then connect Zoom or
//! skip. Also signing in as a therapist who already signed up (the demo has no passwords: it
//! is a sandbox, and the practice's accounts are not what it shows).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Chrome, Form, Refusal, SignedIn, Visitor, page, see_other};
use crate::demo::Demo;
use crate::demo::appointments::TIME_ZONES;
use crate::demo::practice::Therapist;

#[derive(Template)]
#[template(path = "demo/landing.html")]
struct LandingPage {
    chrome: Chrome,
    therapists: Vec<Therapist>,
    signed_in: bool,
}

/// `GET /demo`: what the demo is, sign up, or continue as a therapist.
pub async fn landing(State(demo): State<Demo>, visitor: Visitor) -> Response {
    let therapist = visitor.therapist(&demo).await.ok();
    let chrome = visitor.chrome(&demo, therapist.as_ref()).await;
    let template = LandingPage {
        therapists: demo.0.practice.therapists().await,
        signed_in: therapist.is_some(),
        chrome,
    };
    page(&demo, StatusCode::OK, &visitor.csrf, &template)
}

#[derive(Default, Deserialize)]
pub struct Details {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
}

#[derive(Template)]
#[template(path = "demo/signup_details.html")]
struct DetailsPage {
    chrome: Chrome,
    form: Details,
    problems: Vec<&'static str>,
}

/// `GET /demo/signup`: step 1 of 3.
pub async fn details_form(State(demo): State<Demo>, visitor: Visitor) -> Response {
    let template = DetailsPage {
        chrome: visitor.chrome(&demo, None).await,
        form: Details::default(),
        problems: Vec::new(),
    };
    page(&demo, StatusCode::OK, &visitor.csrf, &template)
}

/// `POST /demo/signup`: makes the therapist and signs this browser in as them.
pub async fn sign_up(
    State(demo): State<Demo>,
    visitor: Visitor,
    Form(form): Form<Details>,
) -> Result<Response, Refusal> {
    let name = form.name.trim();
    let email = form.email.trim();
    let mut problems = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push("Enter your name (up to 100 characters).");
    }
    if !email.contains('@') || email.contains(char::is_whitespace) || email.len() > 254 {
        problems.push("Enter your email address, such as you@clinic.example.");
    }
    if !problems.is_empty() {
        let template = DetailsPage {
            chrome: visitor.chrome(&demo, None).await,
            form,
            problems,
        };
        return Ok(page(
            &demo,
            StatusCode::UNPROCESSABLE_ENTITY,
            &visitor.csrf,
            &template,
        ));
    }
    let therapist = demo.0.practice.sign_up(name, email, TIME_ZONES[0]).await?;
    Ok(signed_in_as(&demo, &visitor, therapist, "/demo/signup/profile").await)
}

/// Signs this browser in as `therapist` and sends it to `path`.
async fn signed_in_as(
    demo: &Demo,
    visitor: &Visitor,
    therapist: Therapist,
    path: &str,
) -> Response {
    let mut response = see_other(path);
    visitor
        .remember(demo, &mut response, |visit| {
            *visit = Default::default();
            visit.therapist_id = Some(therapist.id);
        })
        .await;
    response
}

#[derive(Template)]
#[template(path = "demo/signup_profile.html")]
struct ProfilePage {
    chrome: Chrome,
    therapist: Therapist,
    time_zones: &'static [&'static str],
}

/// `GET /demo/signup/profile`: step 2 of 3.
pub async fn profile_form(State(demo): State<Demo>, signed_in: SignedIn) -> Response {
    let template = ProfilePage {
        chrome: signed_in.chrome(&demo).await,
        therapist: signed_in.therapist.clone(),
        time_zones: TIME_ZONES,
    };
    signed_in.page(&demo, StatusCode::OK, &template)
}

#[derive(Deserialize)]
pub struct Profile {
    #[serde(default)]
    title: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    time_zone: String,
}

/// `POST /demo/signup/profile`: keeps the profile, on to step 3.
pub async fn save_profile(
    State(demo): State<Demo>,
    SignedIn { therapist, .. }: SignedIn,
    Form(profile): Form<Profile>,
) -> Result<Response, Refusal> {
    let time_zone = TIME_ZONES
        .iter()
        .find(|zone| **zone == profile.time_zone)
        .copied()
        .unwrap_or(TIME_ZONES[0]);
    let title: String = profile.title.trim().chars().take(100).collect();
    let bio: String = profile.bio.trim().chars().take(2000).collect();
    demo.0
        .practice
        .set_profile(&therapist.id, &title, &bio, time_zone)
        .await?;
    Ok(see_other("/demo/signup/zoom"))
}

#[derive(Template)]
#[template(path = "demo/signup_zoom.html")]
struct ZoomStepPage {
    chrome: Chrome,
}

/// `GET /demo/signup/zoom`: step 3 of 3, connect Zoom or skip.
pub async fn zoom_step(State(demo): State<Demo>, signed_in: SignedIn) -> Response {
    let template = ZoomStepPage {
        chrome: signed_in.chrome(&demo).await,
    };
    signed_in.page(&demo, StatusCode::OK, &template)
}

#[derive(Deserialize)]
pub struct SignIn {
    therapist_id: String,
}

/// `POST /demo/sign_in`: continues as a therapist who signed up before.
pub async fn sign_in(
    State(demo): State<Demo>,
    visitor: Visitor,
    Form(form): Form<SignIn>,
) -> Result<Response, Refusal> {
    let therapist = demo
        .0
        .practice
        .therapist(&form.therapist_id)
        .await
        .ok_or_else(|| {
            Refusal::page(
                StatusCode::NOT_FOUND,
                "No such therapist",
                "That therapist is not part of the practice.",
            )
        })?;
    Ok(signed_in_as(&demo, &visitor, therapist, "/demo/home").await)
}

/// `POST /demo/sign_out`
pub async fn sign_out(
    State(demo): State<Demo>,
    visitor: Visitor,
    Form(_): Form<IgnoredAny>,
) -> Result<Response, Refusal> {
    let mut response = see_other("/demo");
    visitor.forget(&demo, &mut response).await;
    Ok(response)
}
