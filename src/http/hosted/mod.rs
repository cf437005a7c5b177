//! Pages the hub hosts for end users: the connect flow and the account page.

mod account;
mod connect;
pub(crate) mod cookies;
pub(crate) mod csrf;
pub(super) mod page;
mod zoom_return;

use axum::Router;
use axum::routing::{get, post};

use super::state::AppState;

pub use page::PageError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/connect/zoom/callback", get(connect::callback))
        .route("/connect/{token}", get(connect::show).post(connect::choose))
        .route("/account", get(account::show))
        .route("/account/link", get(account::with_link))
        .route("/account/sign_in", post(account::start_sign_in))
        .route("/account/sign_out", post(account::sign_out))
        .route(
            "/account/links/{link_id}/remove",
            get(account::confirm_remove).post(account::remove),
        )
        .route(
            "/account/zoom/{credential_id}/disconnect",
            get(account::confirm_disconnect).post(account::disconnect),
        )
}
