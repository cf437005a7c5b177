//! `GET /v1/end_users/{end_user_id}`: an end user's links.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use crate::domain::{EndUserId, Link};
use crate::http::auth::ApiCaller;
use crate::http::problem::ApiError;
use crate::http::state::AppState;

#[derive(Serialize)]
pub struct EndUserView {
    end_user_id: String,
    links: Vec<Link>,
}

/// The end user's links (an empty list for an end user the hub does not know).
#[utoipa::path(
    get,
    path = "/v1/end_users/{end_user_id}",
    operation_id = "get_end_user",
    tag = "connect",
    params(("end_user_id" = String, Path, description = "The application's own id for the end user.")),
    responses((status = 200, description = "The end user and their links.", body = super::schemas::EndUser)),
)]
pub async fn show(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(end_user_id): Path<String>,
) -> Result<Json<EndUserView>, ApiError> {
    let end_user_id =
        EndUserId::parse(&end_user_id).map_err(|e| ApiError::field(e.field, e.message))?;
    let links = state
        .store
        .end_user_links(caller.application_id(), end_user_id.as_str())
        .await?;
    Ok(Json(EndUserView {
        end_user_id: end_user_id.as_str().to_owned(),
        links,
    }))
}
