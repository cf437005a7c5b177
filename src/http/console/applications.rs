//! `/admin/applications`: listing and registering applications, and on each one's page
//! changing its endpoints and suspending (after confirming) or resuming it. The webhook secret
//! and first key are shown once, on the page that answers the registration.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::super::hosted::PageError;
use super::super::state::AppState;
use super::confirmation::{Confirmation, ConfirmationPage};
use super::guard::{Chrome, Posted, Refusal, SignedIn, form_status, page, page_with_status};
use super::webhook_secret::OVERLAP_HOURS;
use crate::domain::{FieldError, Timestamp};
use crate::store::applications::{ApiKeyRecord, Application};
use crate::tenancy::{self, Endpoints, NewApplication};

#[derive(Template)]
#[template(path = "console/applications.html")]
struct ApplicationsPage {
    chrome: Chrome,
    applications: Vec<Application>,
    form: ApplicationForm,
    problems: Vec<FieldError>,
}

#[derive(Template)]
#[template(path = "console/application_created.html")]
struct CreatedPage<'a> {
    chrome: Chrome,
    application: &'a Application,
    api_key: &'a str,
    webhook_secret: &'a str,
}

#[derive(Template)]
#[template(path = "console/application.html")]
struct ApplicationPage<'a> {
    chrome: Chrome,
    application: &'a Application,
    suspended: bool,
    redirect_uris: String,
    webhook_url: String,
    keys: Vec<ApiKeyRecord>,
    /// Until when the previous webhook secret signs too, after a rotation.
    previous_secret_until: Option<Timestamp>,
    overlap_hours: [u64; 4],
    problems: Vec<FieldError>,
}

/// The registration form, as typed (shown again when it has problems).
#[derive(Default, Deserialize)]
pub struct ApplicationForm {
    #[serde(default)]
    name: String,
    /// One URI per line.
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    webhook_url: String,
}

#[derive(Deserialize)]
pub struct EndpointsForm {
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    webhook_url: String,
}

#[derive(Deserialize)]
pub struct StatusForm {
    /// `suspend` or `resume`.
    action: String,
    /// Suspending must come from its confirmation page.
    #[serde(flatten)]
    confirmation: Confirmation,
}

/// `GET /admin/applications`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, Refusal> {
    render_list(&state, &signed_in, ApplicationForm::default(), Vec::new()).await
}

/// `POST /admin/applications`: registers an application and shows its secrets once.
pub async fn create(
    State(state): State<AppState>,
    Posted { signed_in, form }: Posted<ApplicationForm>,
) -> Result<Response, Refusal> {
    let webhook_url = Some(form.webhook_url.trim()).filter(|url| !url.is_empty());
    let parsed = NewApplication::parse(&form.name, &lines(&form.redirect_uris), webhook_url, None);
    let new = match parsed {
        Ok(new) => new,
        Err(problems) => return render_list(&state, &signed_in, form, problems).await,
    };
    let registered = tenancy::register(&state.store, &state.vault, new).await?;
    let application = &registered.application;
    tenancy::audit(
        &state.store,
        &application.id,
        "application.created",
        &signed_in.operator.email,
        serde_json::json!({}),
    )
    .await?;
    Ok(page_with_status(
        &state,
        StatusCode::CREATED,
        &signed_in.csrf,
        &CreatedPage {
            chrome: signed_in.chrome("applications"),
            application,
            api_key: registered.api_key.expose(),
            webhook_secret: registered.webhook_secret.expose(),
        },
    ))
}

/// `GET /admin/applications/{id}`.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(application_id): Path<String>,
) -> Result<Response, Refusal> {
    let application = find(&state, &application_id).await?;
    render_application(&state, &signed_in, &application, None).await
}

/// `POST /admin/applications/{id}/endpoints`: new redirect URIs and webhook URL.
pub async fn edit_endpoints(
    State(state): State<AppState>,
    Path(application_id): Path<String>,
    Posted { signed_in, form }: Posted<EndpointsForm>,
) -> Result<Response, Refusal> {
    let application = find(&state, &application_id).await?;
    let endpoints = match Endpoints::parse(&lines(&form.redirect_uris), &form.webhook_url) {
        Ok(endpoints) => endpoints,
        Err(problems) => {
            return render_application(&state, &signed_in, &application, Some((form, problems)))
                .await;
        }
    };
    tenancy::change_endpoints(
        &state.store,
        &application.id,
        endpoints,
        &signed_in.operator.email,
    )
    .await?;
    Ok(back_to(&application.id))
}

/// `GET /admin/applications/{id}/suspend`: what suspending the application will do, and the
/// button that does it; an application suspended already leads back to its page.
pub async fn confirm_suspension(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(application_id): Path<String>,
) -> Result<Response, Refusal> {
    let application = find(&state, &application_id).await?;
    if application.status == tenancy::status::SUSPENDED {
        return Ok(back_to(&application.id));
    }
    let live_keys = state
        .store
        .list_api_keys(&application.id)
        .await?
        .iter()
        .filter(|key| key.revoked_at.is_none())
        .count();
    Ok(page(
        &state,
        &signed_in.csrf,
        &ConfirmationPage {
            chrome: signed_in.chrome("applications"),
            question: format!("Suspend {}?", application.name),
            facts: vec![
                ("Application", application.name.clone()),
                ("Id", application.id.clone()),
                ("Live API keys", live_keys.to_string()),
            ],
            consequences: vec![
                format!(
                    "Every call {} makes to the API, with any of its keys, is refused (403) until it is resumed.",
                    application.name
                ),
                "Its keys, links and events are kept; Resume application on its page undoes this."
                    .to_owned(),
            ],
            action: format!("{}/status", application_path(&application.id)),
            fields: vec![("action", "suspend")],
            button: "Suspend application",
            cancel: application_path(&application.id),
        },
    ))
}

/// `POST /admin/applications/{id}/status`: suspend (from the confirmation page) or resume.
pub async fn set_status(
    State(state): State<AppState>,
    Path(application_id): Path<String>,
    Posted { signed_in, form }: Posted<StatusForm>,
) -> Result<Response, Refusal> {
    let suspended = match form.action.as_str() {
        "suspend" => {
            form.confirmation
                .check(&format!("{}/suspend", application_path(&application_id)))?;
            true
        }
        "resume" => false,
        _ => {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "Unknown action",
                "An application can be suspended or resumed.",
            )
            .into());
        }
    };
    if !tenancy::set_suspended(
        &state.store,
        &application_id,
        suspended,
        &signed_in.operator.email,
    )
    .await?
    {
        return Err(no_such_application().into());
    }
    Ok(back_to(&application_id))
}

/// The application, or the console's not-found page.
pub async fn find(state: &AppState, application_id: &str) -> Result<Application, Refusal> {
    Ok(state
        .store
        .find_application(application_id)
        .await?
        .ok_or_else(no_such_application)?)
}

/// The path of the application's page.
pub fn application_path(application_id: &str) -> String {
    format!("/admin/applications/{application_id}")
}

/// A 303 to the application's page.
pub fn back_to(application_id: &str) -> Response {
    Redirect::to(&application_path(application_id)).into_response()
}

async fn render_list(
    state: &AppState,
    signed_in: &SignedIn,
    form: ApplicationForm,
    problems: Vec<FieldError>,
) -> Result<Response, Refusal> {
    Ok(page_with_status(
        state,
        form_status(&problems),
        &signed_in.csrf,
        &ApplicationsPage {
            chrome: signed_in.chrome("applications"),
            applications: state.store.list_applications().await?,
            form,
            problems,
        },
    ))
}

/// The application's page; with `edited`, the endpoints form as typed and its problems.
async fn render_application(
    state: &AppState,
    signed_in: &SignedIn,
    application: &Application,
    edited: Option<(EndpointsForm, Vec<FieldError>)>,
) -> Result<Response, Refusal> {
    let keys = state.store.list_api_keys(&application.id).await?;
    let previous_secret_until = state
        .store
        .webhook_secret_overlap(&application.id, Timestamp::now())
        .await?
        .map(|overlap| overlap.overlap_until);
    let (redirect_uris, webhook_url, problems) = match edited {
        Some((form, problems)) => (form.redirect_uris, form.webhook_url, problems),
        None => (
            tenancy::redirect_uris(application).join("\n"),
            application.webhook_url.clone().unwrap_or_default(),
            Vec::new(),
        ),
    };
    let template = ApplicationPage {
        chrome: signed_in.chrome("applications"),
        application,
        suspended: application.status == tenancy::status::SUSPENDED,
        redirect_uris,
        webhook_url,
        keys,
        previous_secret_until,
        overlap_hours: OVERLAP_HOURS,
        problems,
    };
    Ok(page_with_status(
        state,
        form_status(&template.problems),
        &signed_in.csrf,
        &template,
    ))
}

/// The non-blank lines of a textarea, trimmed.
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The page for an application id that names none.
pub fn no_such_application() -> PageError {
    PageError::new(
        StatusCode::NOT_FOUND,
        "No such application",
        "There is no application with this id.",
    )
}
