//! `GET /admin`: the hub at a glance, with what failed for good and waits for an operator.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::super::state::AppState;
use super::guard::{Chrome, Refusal, SignedIn, page};
use crate::store::console::{FailedZoomNotification, StatusCounts};
use crate::store::deliveries::{Delivery, status as delivery_status};
use crate::store::zoom_inbox::status as inbox_status;

/// How many recent delivery errors the overview lists.
const RECENT_ERRORS: u64 = 10;
/// How many of the Zoom notifications given up the overview lists.
const RECENT_FAILED_NOTIFICATIONS: u64 = 5;

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    applications: StatusCounts,
    links: StatusCounts,
    events: StatusCounts,
    deliveries: StatusCounts,
    zoom_notifications: StatusCounts,
    failing: i64,
    recent_errors: Vec<Delivery>,
    /// How many Zoom notifications were given up.
    failed_notifications: i64,
    recent_failed_notifications: Vec<FailedZoomNotification>,
}

pub async fn show(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, Refusal> {
    let overview = state.store.console_overview().await?;
    let recent_errors = state.store.recent_delivery_errors(RECENT_ERRORS).await?;
    let recent_failed_notifications = state
        .store
        .recent_failed_zoom_notifications(RECENT_FAILED_NOTIFICATIONS)
        .await?;
    Ok(page(
        &state,
        &signed_in.csrf,
        &OverviewPage {
            chrome: signed_in.chrome("overview"),
            failing: count_of(&overview.deliveries, delivery_status::FAILED),
            failed_notifications: count_of(&overview.zoom_notifications, inbox_status::FAILED),
            applications: overview.applications,
            links: overview.links,
            events: overview.events,
            deliveries: overview.deliveries,
            zoom_notifications: overview.zoom_notifications,
            recent_errors,
            recent_failed_notifications,
        },
    ))
}

/// The count of `status` among `counts`.
fn count_of(counts: &StatusCounts, status: &str) -> i64 {
    counts
        .iter()
        .filter(|(counted, _)| counted == status)
        .map(|(_, count)| count)
        .sum()
}
