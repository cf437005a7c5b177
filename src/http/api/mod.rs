//! `/v1`: the client API, authenticated by application API keys.

mod account_links;
mod connect_sessions;
mod end_users;
mod events;
mod links;
pub mod openapi;
mod schemas;

use axum::Router;
use axum::routing::{delete, get, post};

use super::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/connect_sessions", post(connect_sessions::create))
        .route("/connect_sessions/{id}", get(connect_sessions::show))
        .route("/end_users/{end_user_id}", get(end_users::show))
        .route(
            "/end_users/{end_user_id}/account_link",
            post(account_links::create),
        )
        .route("/links/{link_id}", delete(links::remove))
        .route("/events", get(events::list))
        .route(
            "/events/{event_id}",
            get(events::show).put(events::put).delete(events::remove),
        )
        .route("/events/{event_id}/start_url", post(events::start_url))
        .route("/openapi.json", get(openapi::serve))
}
