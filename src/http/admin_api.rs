//! `/admin/api`: the operator's JSON API for applications and their keys.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Json};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};

use super::auth::Operator;
use super::json::ApiJson;
use super::problem::ApiError;
use super::state::AppState;
use crate::domain::Timestamp;
use crate::store::applications::{ApiKeyRecord, Application};
use crate::tenancy::{self, NewApplication};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/applications",
            post(create_application).get(list_applications),
        )
        .route("/applications/{application_id}", get(show_application))
        .route("/applications/{application_id}/keys", post(create_key))
        .route(
            "/applications/{application_id}/keys/{key_id}",
            delete(revoke_key),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateApplication {
    name: String,
    redirect_uris: Vec<String>,
    webhook_url: Option<String>,
    rate_limit_per_second: Option<i64>,
}

/// An application as the operator sees it: never a secret.
#[derive(Serialize)]
struct ApplicationView {
    id: String,
    name: String,
    redirect_uris: Vec<String>,
    webhook_url: Option<String>,
    status: String,
    rate_limit_per_second: Option<i32>,
    created_at: Timestamp,
}

impl From<&Application> for ApplicationView {
    fn from(application: &Application) -> Self {
        Self {
            id: application.id.clone(),
            name: application.name.clone(),
            redirect_uris: tenancy::redirect_uris(application),
            webhook_url: application.webhook_url.clone(),
            status: application.status.clone(),
            rate_limit_per_second: application.rate_limit_per_second,
            created_at: application.created_at,
        }
    }
}

#[derive(Serialize)]
struct KeyView {
    id: String,
    prefix: String,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

impl From<ApiKeyRecord> for KeyView {
    fn from(key: ApiKeyRecord) -> Self {
        Self {
            id: key.id,
            prefix: key.prefix,
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

async fn create_application(
    _: Operator,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateApplication>,
) -> Result<impl IntoResponse, ApiError> {
    let new = NewApplication::parse(
        &body.name,
        &body.redirect_uris,
        body.webhook_url.as_deref(),
        body.rate_limit_per_second,
    )
    .map_err(ApiError::Validation)?;
    let registered = tenancy::register(&state.store, &state.vault, new).await?;
    #[derive(Serialize)]
    struct Created {
        #[serde(flatten)]
        application: ApplicationView,
        webhook_secret: String,
        api_key: String,
    }
    Ok((
        StatusCode::CREATED,
        Json(Created {
            application: ApplicationView::from(&registered.application),
            webhook_secret: registered.webhook_secret.expose().to_owned(),
            api_key: registered.api_key.expose().to_owned(),
        }),
    ))
}

async fn list_applications(
    _: Operator,
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let applications: Vec<ApplicationView> = state
        .store
        .list_applications()
        .await?
        .iter()
        .map(ApplicationView::from)
        .collect();
    Ok(Json(serde_json::json!({ "applications": applications })))
}

async fn show_application(
    _: Operator,
    State(state): State<AppState>,
    Path(application_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let application = state
        .store
        .find_application(&application_id)
        .await?
        .ok_or_else(no_such_application)?;
    let keys: Vec<KeyView> = state
        .store
        .list_api_keys(&application_id)
        .await?
        .into_iter()
        .map(KeyView::from)
        .collect();
    #[derive(Serialize)]
    struct Detail {
        #[serde(flatten)]
        application: ApplicationView,
        keys: Vec<KeyView>,
    }
    Ok(Json(Detail {
        application: ApplicationView::from(&application),
        keys,
    }))
}

async fn create_key(
    _: Operator,
    State(state): State<AppState>,
    Path(application_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let issued = tenancy::issue_key(&state.store, &application_id)
        .await?
        .ok_or_else(no_such_application)?;
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "id": issued.id,
            "key": issued.key.expose(),
            "prefix": issued.key.visible_prefix(),
        })),
    ))
}

async fn revoke_key(
    _: Operator,
    State(state): State<AppState>,
    Path((application_id, key_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    if tenancy::revoke_key(&state.store, &application_id, &key_id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound(
            "This application has no such key.".to_owned(),
        ))
    }
}

fn no_such_application() -> ApiError {
    ApiError::NotFound("No such application.".to_owned())
}
