//! An application's API keys in the console: issuing one (its value shown once) and revoking
//! one, after confirming.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::IgnoredAny;

use super::super::hosted::PageError;
use super::super::state::AppState;
use super::applications::{application_path, back_to, find, no_such_application};
use super::confirmation::{Confirmation, ConfirmationPage};
use super::guard::{Chrome, Posted, Refusal, SignedIn, page, page_with_status};
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

/// `GET /admin/applications/{id}/keys/{key_id}/revoke`: what revoking the key will do, and the
/// button that does it; a key revoked already leads back to the application.
pub async fn confirm_revoke(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((application_id, key_id)): Path<(String, String)>,
) -> Result<Response, Refusal> {
    let application = find(&state, &application_id).await?;
    let keys = state.store.list_api_keys(&application.id).await?;
    let key = keys
        .iter()
        .find(|key| key.id == key_id)
        .ok_or_else(no_such_key)?;
    if key.revoked_at.is_some() {
        return Ok(back_to(&application.id));
    }
    let other_live_keys = keys
        .iter()
        .filter(|other| other.revoked_at.is_none() && other.id != key.id)
        .count();
    let after = if other_live_keys == 0 {
        format!(
            "It is {}'s last live key: every call it makes to the API is refused until you create a new key.",
            application.name
        )
    } else {
        format!(
            "{} other live key(s) of {} keep working.",
            other_live_keys, application.name
        )
    };
    let last_used = key
        .last_used_at
        .map_or_else(|| "never".to_owned(), |at| at.to_rfc3339());
    Ok(page(
        &state,
        &signed_in.csrf,
        &ConfirmationPage {
            chrome: signed_in.chrome("applications"),
            question: format!("Revoke key {}…?", key.prefix),
            facts: vec![
                ("Application", application.name.clone()),
                ("Key", format!("{}… ({})", key.prefix, key.id)),
                ("Created", key.created_at.to_rfc3339()),
                ("Last used", last_used),
            ],
            consequences: vec![
                "Requests with this key are refused (401) at once, on every instance of the hub. A revoked key cannot be restored.".to_owned(),
                after,
            ],
            action: revoke_page(&application.id, &key.id),
            fields: Vec::new(),
            button: "Revoke key",
            cancel: application_path(&application.id),
        },
    ))
}

/// `POST /admin/applications/{id}/keys/{key_id}/revoke`, from the confirmation page: the key
/// stops working at once.
pub async fn revoke(
    State(state): State<AppState>,
    Path((application_id, key_id)): Path<(String, String)>,
    Posted { signed_in, form }: Posted<Confirmation>,
) -> Result<Response, Refusal> {
    form.check(&revoke_page(&application_id, &key_id))?;
    if !tenancy::revoke_key(&state.store, &application_id, &key_id).await? {
        return Err(no_such_key().into());
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

/// The confirmation page of revoking the key, where its form also posts.
fn revoke_page(application_id: &str, key_id: &str) -> String {
    format!("{}/keys/{key_id}/revoke", application_path(application_id))
}

fn no_such_key() -> PageError {
    PageError::new(
        StatusCode::NOT_FOUND,
        "No such key",
        "This application has no key with this id.",
    )
}
