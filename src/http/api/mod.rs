//! `/v1`: the client API, authenticated by application API keys.

mod end_users;

use axum::Router;
use axum::routing::get;

use super::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/end_users/{end_user_id}", get(end_users::show))
}
