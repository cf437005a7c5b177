//! `DELETE /v1/links/{link_id}`: the application drops one of its links.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::domain::RemovalReason;
use crate::http::auth::ApiCaller;
use crate::http::problem::ApiError;
use crate::http::state::AppState;

/// The application drops its link; the end user's other applications keep theirs.
#[utoipa::path(
    delete,
    path = "/v1/links/{link_id}",
    operation_id = "delete_link",
    tag = "connect",
    params(("link_id" = String, Path)),
    responses(
        (status = 204, description = "Removed; `link.removed` with reason `app` follows."),
        (status = 404, description = "No such link of this application.", body = super::schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn remove(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(link_id): Path<String>,
) -> Result<StatusCode, ApiError> {
    match state
        .connections()
        .remove_link(&caller.0.application, &link_id, RemovalReason::App)
        .await
        .map_err(anyhow::Error::from)?
    {
        Some(_) => Ok(StatusCode::NO_CONTENT),
        None => Err(ApiError::NotFound("No such link.".to_owned())),
    }
}
