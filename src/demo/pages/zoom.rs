//! The therapist's Zoom connection: connecting through the hub's connect page (and the
//! browser's return from it), and the settings page where they see the connection, open
//! their Convene account page, or disconnect.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Chrome, Form, Refusal, SignedIn, see_other, see_other_saying, zoom_link};
use crate::demo::Demo;
use crate::demo::enrolment::redirect_uri;
use crate::demo::hub::{ConnectRequest, Link};
use crate::demo::practice::Therapist;
use crate::domain::UrlToken;

/// `POST /demo/zoom/connect`: starts a connect session at the hub and sends the browser there.
pub async fn connect(
    State(demo): State<Demo>,
    SignedIn { visitor, therapist }: SignedIn,
    Form(_): Form<IgnoredAny>,
) -> Result<Response, Refusal> {
    let state = UrlToken::generate().expose().to_owned();
    let redirect_uri = redirect_uri(&demo.0.public_url)?.to_string();
    let session = demo
        .0
        .hub
        .create_connect_session(&ConnectRequest {
            end_user_id: &therapist.id,
            end_user_email: &therapist.email,
            end_user_name: &therapist.name,
            redirect_uri: &redirect_uri,
            state: &state,
        })
        .await?;
    let mut response = see_other(&session.url);
    visitor
        .remember(&demo, &mut response, |visit| {
            visit.connect_state = Some(state);
        })
        .await;
    Ok(response)
}

/// Where the hub's connect page sends the browser back.
#[derive(Deserialize)]
pub struct Return {
    status: Option<String>,
    error: Option<String>,
    state: Option<String>,
    end_user_id: Option<String>,
}

/// `GET /demo/zoom/connected`: the browser back from the hub, connected or not.
pub async fn connected(
    State(demo): State<Demo>,
    SignedIn { visitor, therapist }: SignedIn,
    Query(back): Query<Return>,
) -> Result<Response, Refusal> {
    let expected = visitor.visit().connect_state.as_deref();
    if expected.is_none() || back.state.as_deref() != expected {
        return Err(Refusal::page(
            StatusCode::BAD_REQUEST,
            "This is not the connection you started",
            "Calmly did not send this browser to connect Zoom, or it already came back. Start again from your appointments.",
        ));
    }
    let flash = match (back.status.as_deref(), back.error.as_deref()) {
        (Some("connected"), _) if back.end_user_id.as_deref() == Some(&therapist.id) => {
            "Zoom is connected. You can schedule virtual appointments now."
        }
        (_, Some("access_denied")) => "Zoom was not connected: you chose not to allow access.",
        _ => "Zoom was not connected: Zoom had a problem. Please try again.",
    };
    let mut response = see_other("/demo/home");
    visitor
        .remember(&demo, &mut response, |visit| {
            visit.connect_state = None;
            visit.flash = Some(flash.to_owned());
        })
        .await;
    Ok(response)
}

#[derive(Template)]
#[template(path = "demo/settings.html")]
struct SettingsPage {
    chrome: Chrome,
    therapist: Therapist,
    link: Option<Link>,
}

/// `GET /demo/settings`: the profile and the Zoom connection.
pub async fn settings(State(demo): State<Demo>, signed_in: SignedIn) -> Result<Response, Refusal> {
    let template = SettingsPage {
        link: zoom_link(&demo, &signed_in.therapist.id).await?,
        chrome: signed_in.chrome(&demo).await,
        therapist: signed_in.therapist.clone(),
    };
    Ok(signed_in.page(&demo, StatusCode::OK, &template))
}

/// `POST /demo/settings/account`: a fresh sign-in link to the therapist's Convene account page.
pub async fn account_page(
    State(demo): State<Demo>,
    SignedIn { therapist, .. }: SignedIn,
    Form(_): Form<IgnoredAny>,
) -> Result<Response, Refusal> {
    let link = demo.0.hub.account_link(&therapist.id).await?;
    Ok(see_other(&link.url))
}

#[derive(Template)]
#[template(path = "demo/confirm.html")]
pub struct ConfirmPage {
    pub chrome: Chrome,
    pub title: String,
    pub message: String,
    pub action: String,
    pub button: &'static str,
    pub cancel: &'static str,
}

/// `GET /demo/settings/disconnect`: asks before disconnecting.
pub async fn confirm_disconnect(
    State(demo): State<Demo>,
    signed_in: SignedIn,
) -> Result<Response, Refusal> {
    let Some(link) = zoom_link(&demo, &signed_in.therapist.id).await? else {
        return Ok(see_other("/demo/settings"));
    };
    let template = ConfirmPage {
        chrome: signed_in.chrome(&demo).await,
        title: "Disconnect Zoom?".to_owned(),
        message: format!(
            "Calmly will no longer be able to create Zoom meetings in {} ({}). Meetings already scheduled keep their join links.",
            link.account.display_name, link.account.email
        ),
        action: "/demo/settings/disconnect".to_owned(),
        button: "Disconnect Zoom",
        cancel: "/demo/settings",
    };
    Ok(signed_in.page(&demo, StatusCode::OK, &template))
}

/// `POST /demo/settings/disconnect`: the practice drops its link to the therapist's Zoom.
pub async fn disconnect(
    State(demo): State<Demo>,
    SignedIn { visitor, therapist }: SignedIn,
    Form(_): Form<IgnoredAny>,
) -> Result<Response, Refusal> {
    if let Some(link) = zoom_link(&demo, &therapist.id).await? {
        demo.0.hub.remove_link(&link.id).await?;
    }
    let message = "Zoom is disconnected from Calmly.";
    Ok(see_other_saying(&demo, &visitor, "/demo/settings", message).await)
}
