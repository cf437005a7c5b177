//! `GET /admin`: the hub at a glance.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::super::state::AppState;
use super::guard::{Chrome, Refusal, SignedIn, page};
use crate::store::console::StatusCounts;
use crate::store::deliveries::Delivery;

/// How many recent delivery errors the overview lists.
const RECENT_ERRORS: u64 = 10;

#[derive(Template)]
#[template(path = "console/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    applications: StatusCounts,
    links: StatusCounts,
    events: StatusCounts,
    deliveries: StatusCounts,
    failing: i64,
    recent_errors: Vec<Delivery>,
}

pub async fn show(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, Refusal> {
    let overview = state.store.console_overview().await?;
    let recent_errors = state.store.recent_delivery_errors(RECENT_ERRORS).await?;
    let failing = overview
        .deliveries
        .iter()
        .filter(|(status, _)| status == crate::store::deliveries::status::FAILED)
        .map(|(_, count)| count)
        .sum();
    Ok(page(
        &state,
        &signed_in.csrf,
        &OverviewPage {
            chrome: signed_in.chrome("overview"),
            applications: overview.applications,
            links: overview.links,
            events: overview.events,
            deliveries: overview.deliveries,
            failing,
            recent_errors,
        },
    ))
}
