//! Pages the hub hosts for end users: the connect flow (and later the account page).

mod connect;
mod cookies;
mod page;

use axum::Router;
use axum::routing::get;

use super::state::AppState;

pub use page::PageError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/connect/zoom/callback", get(connect::callback))
        .route("/connect/{token}", get(connect::show).post(connect::choose))
}
