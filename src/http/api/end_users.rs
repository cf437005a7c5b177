//! `GET /v1/end_users/{end_user_id}`: an end user's links.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use crate::domain::{EndUserId, Timestamp};
use crate::http::auth::ApiCaller;
use crate::http::problem::ApiError;
use crate::http::state::AppState;
use crate::store::links::LinkSummary;

/// A link as the contract shows it.
#[derive(Serialize)]
pub struct LinkView {
    id: String,
    end_user_id: String,
    provider: String,
    status: String,
    account: AccountView,
    connected_at: Timestamp,
}

#[derive(Serialize)]
struct AccountView {
    email: String,
    display_name: String,
}

impl From<LinkSummary> for LinkView {
    fn from(link: LinkSummary) -> Self {
        Self {
            id: link.id,
            end_user_id: link.end_user_id,
            provider: link.provider,
            status: link.status,
            account: AccountView {
                email: link.account_email,
                display_name: link.account_display_name,
            },
            connected_at: link.connected_at,
        }
    }
}

#[derive(Serialize)]
pub struct EndUserView {
    end_user_id: String,
    links: Vec<LinkView>,
}

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
        links: links.into_iter().map(LinkView::from).collect(),
    }))
}
