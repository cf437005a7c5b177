//! An application's API keys in the console: issuing one (its value shown once) and revoking.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::IgnoredAny;

use super::super::hosted::PageError;
use super::super::state::AppState;
use super::applications::{back_to, find, no_such_application};
use super::guard::{Chrome, Posted, Refusal, page_with_status};
use crate::store::applications::Application;
use crate::tenancy;

#[derive(Template)]
#[template(path = "console/key_created.html")]
struct KeyCreatedPage<'a> {
    chrome: Chrome,
    application: &'a Application,
    key_id: &'a str,
    key: &'a str,
}

/// `POST /admin/applications/{id}/keys`: issues a key and shows it this once.
pub async fn create(
    State(state): State<AppState>,
    Path(application_id): Path<String>,
    Posted { signed_in, .. }: Posted<IgnoredAny>,
) -> Result<Response, Refusal> {
    let application = find(&state, &application_id).await?;
    let issued = tenancy::issue_key(&state.store, &application.id)
        .await?
        .ok_or_else(no_such_application)?;
    tenancy::audit(
        &state.store,
        &application.id,
        "api_key.issued",
        &signed_in.operator.email,
        serde_json::json!({ "key_id": issued.id }),
    )
    .await?;
    Ok(page_with_status(
        &state,
        StatusCode::CREATED,
        &signed_in.csrf,
        &KeyCreatedPage {
            chrome: signed_in.chrome("applications"),
            application: &application,
            key_id: &issued.id,
            key: issued.key.expose(),
        },
    ))
}

/// `POST /admin/applications/{id}/keys/{key_id}/revoke`: the key stops working at once.
pub async fn revoke(
    State(state): State<AppState>,
    Path((application_id, key_id)): Path<(String, String)>,
    Posted { signed_in, .. }: Posted<IgnoredAny>,
) -> Result<Response, Refusal> {
    if !tenancy::revoke_key(&state.store, &application_id, &key_id).await? {
        return Err(PageError::new(
            StatusCode::NOT_FOUND,
            "No such key",
            "This application has no key with this id.",
        )
        .into());
    }
    tenancy::audit(
        &state.store,
        &application_id,
        "api_key.revoked",
        &signed_in.operator.email,
        serde_json::json!({ "key_id": key_id }),
    )
    .await?;
    Ok(back_to(&application_id))
}
