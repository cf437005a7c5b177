//! The operator console at `/admin`: server-rendered pages behind an operator's sign-in, with
//! CSRF-checked forms, no scripts and nothing loaded from elsewhere.

mod applications;
mod confirmation;
mod connections;
mod deliveries;
mod filters;
mod guard;
mod keys;
mod operators;
mod overview;
mod records;
mod sign_in;
mod webhook_secret;

use axum::routing::{get, post};
use axum::{Router, middleware};

use super::state::AppState;

/// The navigation: path, section name, label.
pub const SECTIONS: &[(&str, &str, &str)] = &[
    ("/admin", "overview", "Overview"),
    ("/admin/applications", "applications", "Applications"),
    ("/admin/deliveries", "deliveries", "Deliveries"),
    ("/admin/links", "links", "Links"),
    ("/admin/events", "events", "Events"),
    ("/admin/audit", "audit", "Audit log"),
    ("/admin/emails", "emails", "Emails"),
    ("/admin/operators", "operators", "Operators"),
];

/// The console's routes, to be nested at `/admin` (beside `/admin/api`, which it leaves alone).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(overview::show))
        .route("/sign_in", get(sign_in::show).post(sign_in::submit))
        .route("/sign_out", post(sign_in::sign_out))
        .route(
            "/applications",
            get(applications::list).post(applications::create),
        )
        .route("/applications/{application_id}", get(applications::show))
        .route(
            "/applications/{application_id}/endpoints",
            post(applications::edit_endpoints),
        )
        .route(
            "/applications/{application_id}/status",
            post(applications::set_status),
        )
        .route(
            "/applications/{application_id}/suspend",
            get(applications::confirm_suspension),
        )
        .route("/applications/{application_id}/keys", post(keys::create))
        .route(
            "/applications/{application_id}/keys/{key_id}/revoke",
            get(keys::confirm_revoke).post(keys::revoke),
        )
        .route(
            "/applications/{application_id}/webhook_secret",
            post(webhook_secret::rotate),
        )
        .route("/deliveries", get(deliveries::list))
        .route("/deliveries/{delivery_id}", get(deliveries::show))
        .route("/deliveries/{delivery_id}/replay", post(deliveries::replay))
        .route("/links", get(connections::links))
        .route(
            "/links/{link_id}/remove",
            get(connections::confirm_removal).post(connections::remove_link),
        )
        .route("/events", get(connections::events))
        .route("/audit", get(records::audit))
        .route("/emails", get(records::emails))
        .route("/operators", get(operators::list))
        .route("/operators/password", post(operators::change_password))
        .layer(middleware::map_response(guard::console_headers))
}
