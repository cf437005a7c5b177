//! `POST /v1/end_users/{end_user_id}/account_link`: a short-lived, single-use URL that
//! signs the application's end user in to their account page, where they see the Zoom
//! accounts their links use and every application linked to them.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Serialize;

use crate::domain::{EndUserId, Timestamp, UrlToken, new_id};
use crate::http::auth::ApiCaller;
use crate::http::problem::ApiError;
use crate::http::state::AppState;
use crate::store::account::AccountLink;

#[derive(Serialize)]
struct CreatedAccountLink {
    url: String,
    expires_at: Timestamp,
}

/// Makes the URL; the end user must be one of the application's (a connect session made
/// them so). The token is shown in this response only; the hub keeps its hash.
#[utoipa::path(
    post,
    path = "/v1/end_users/{end_user_id}/account_link",
    operation_id = "create_account_link",
    tag = "connect",
    params(("end_user_id" = String, Path, description = "The application's own id for the end user.")),
    responses(
        (status = 201, description = "Single-use, valid for 15 minutes.", body = super::schemas::AccountLink),
        (status = 404, description = "The application has no such end user.", body = super::schemas::Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn create(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(end_user_id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let end_user_id =
        EndUserId::parse(&end_user_id).map_err(|e| ApiError::field(e.field, e.message))?;
    let token = UrlToken::generate();
    let now = Timestamp::now();
    let lifetime =
        i64::try_from(state.config.tuning.account_link_ttl.as_millis()).unwrap_or(i64::MAX);
    let link = AccountLink {
        id: new_id("al"),
        application_id: caller.application_id().to_owned(),
        end_user_id: String::new(),
        token_hash: token.hash(),
        expires_at: Timestamp(now.0.saturating_add(lifetime)),
        consumed_at: None,
        created_at: now,
    };
    let stored = state
        .store
        .insert_account_link(caller.application_id(), end_user_id.as_str(), link)
        .await?
        .ok_or_else(|| ApiError::NotFound("No such end user for this application.".to_owned()))?;
    // The token is URL-safe base64: it needs no escaping.
    let url = format!(
        "{}/account/link?token={}",
        state.public_url.as_str().trim_end_matches('/'),
        token.expose()
    );
    Ok((
        StatusCode::CREATED,
        Json(CreatedAccountLink {
            url,
            expires_at: stored.expires_at,
        }),
    ))
}
