//! Rotating an application's webhook signing secret from the console: the new secret is shown
//! once, and the old one keeps signing beside it for the overlap the operator chose.

use std::time::Duration;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::super::hosted::PageError;
use super::super::state::AppState;
use super::applications::{find, no_such_application};
use super::guard::{Chrome, Posted, Refusal, page_with_status};
use crate::domain::Timestamp;
use crate::store::applications::Application;
use crate::tenancy;

/// The overlaps an operator may choose, in hours.
pub const OVERLAP_HOURS: [u64; 4] = [1, 24, 72, 168];

#[derive(Template)]
#[template(path = "console/secret_rotated.html")]
struct RotatedPage<'a> {
    chrome: Chrome,
    application: &'a Application,
    webhook_secret: &'a str,
    previous_until: Timestamp,
}

#[derive(Deserialize)]
pub struct RotateForm {
    overlap_hours: u64,
}

/// `POST /admin/applications/{id}/webhook_secret`.
pub async fn rotate(
    State(state): State<AppState>,
    Path(application_id): Path<String>,
    Posted { signed_in, form }: Posted<RotateForm>,
) -> Result<Response, Refusal> {
    if !OVERLAP_HOURS.contains(&form.overlap_hours) {
        return Err(PageError::new(
            StatusCode::BAD_REQUEST,
            "Unknown overlap",
            "Choose how long the old secret keeps signing from the list.",
        )
        .into());
    }
    let application = find(&state, &application_id).await?;
    let overlap = Duration::from_secs(form.overlap_hours * 60 * 60);
    let secret = tenancy::rotate_webhook_secret(
        &state.store,
        &state.vault,
        &application.id,
        overlap,
        &signed_in.operator.email,
    )
    .await?
    .ok_or_else(no_such_application)?;
    let previous_until = state
        .store
        .webhook_secret_overlap(&application.id, Timestamp::now())
        .await?
        .map_or_else(Timestamp::now, |overlap| overlap.overlap_until);
    Ok(page_with_status(
        &state,
        StatusCode::CREATED,
        &signed_in.csrf,
        &RotatedPage {
            chrome: signed_in.chrome("applications"),
            application: &application,
            webhook_secret: secret.expose(),
            previous_until,
        },
    ))
}
