//! `/admin/deliveries`: webhook deliveries across applications, filtered by application, type
//! and status; one delivery's payload and attempts; and replaying it.
//!
//! A replay puts the same row back in the queue with a fresh retry schedule rather than
//! copying it: the `webhook-id` stays the same, so a receiver that did process it before (and
//! only failed to answer) can recognise the duplicate, and every attempt stays on one page.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::super::hosted::PageError;
use super::super::state::AppState;
use super::filters::{self, ListQuery, PageQuery, Paging, given};
use super::guard::{Chrome, Posted, Refusal, SignedIn, page};
use crate::domain::Timestamp;
use crate::store::applications::Application;
use crate::store::console::DeliveryFilter;
use crate::store::deliveries::{Delivery, DeliveryAttempt, status};
use crate::tenancy;

/// How many deliveries a page of the list shows.
const PAGE_SIZE: u64 = 50;
/// The statuses a delivery can have, for the filter.
const STATUSES: [&str; 3] = [status::PENDING, status::DELIVERED, status::FAILED];

#[derive(Template)]
#[template(path = "console/deliveries.html")]
struct DeliveriesPage {
    chrome: Chrome,
    deliveries: Vec<Delivery>,
    applications: Vec<Application>,
    event_types: Vec<String>,
    statuses: [&'static str; 3],
    filter: DeliveryFilter,
    paging: Paging,
}

#[derive(Template)]
#[template(path = "console/delivery.html")]
struct DeliveryPage {
    chrome: Chrome,
    delivery: Delivery,
    application_name: String,
    payload: String,
    attempts: Vec<DeliveryAttempt>,
    leased: bool,
}

/// The list's filter as the query string gives it; empty values mean "any".
#[derive(Deserialize)]
pub struct FilterQuery {
    #[serde(flatten)]
    list: ListQuery,
    #[serde(default, rename = "type")]
    event_type: String,
}

impl FilterQuery {
    fn parse(self) -> Result<DeliveryFilter, PageError> {
        let list = self.list.parse(&STATUSES)?;
        Ok(DeliveryFilter {
            application_id: list.application_id,
            event_type: given(self.event_type),
            status: list.status,
        })
    }
}

/// `GET /admin/deliveries?application=&type=&status=&before=`.
pub async fn list(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<FilterQuery>, QueryRejection>,
    position: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let filter = filters::read(query)?.parse()?;
    let before = filters::read(position)?.parse()?;
    let deliveries = state
        .store
        .list_deliveries(&filter, before.as_ref(), PAGE_SIZE)
        .await?;
    let paging = Paging::new(
        "/admin/deliveries",
        &[
            ("application", filter.application_id.as_deref()),
            ("type", filter.event_type.as_deref()),
            ("status", filter.status.as_deref()),
        ],
        before.as_ref(),
        deliveries.older.as_ref(),
    );
    Ok(page(
        &state,
        &signed_in.csrf,
        &DeliveriesPage {
            chrome: signed_in.chrome("deliveries"),
            deliveries: deliveries.rows,
            applications: state.store.list_applications().await?,
            event_types: state.store.delivery_event_types().await?,
            statuses: STATUSES,
            filter,
            paging,
        },
    ))
}

/// `GET /admin/deliveries/{id}`: the payload as sent and every attempt.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(delivery_id): Path<String>,
) -> Result<Response, Refusal> {
    let delivery = find(&state, &delivery_id).await?;
    let application_name = state
        .store
        .find_application(&delivery.application_id)
        .await?
        .map_or_else(|| delivery.application_id.clone(), |app| app.name);
    let payload = serde_json::from_str::<serde_json::Value>(&delivery.payload)
        .and_then(|value| serde_json::to_string_pretty(&value))
        .unwrap_or_else(|_| delivery.payload.clone());
    let attempts = state.store.list_delivery_attempts(&delivery.id).await?;
    let leased = delivery
        .lease_until
        .is_some_and(|until| until > Timestamp::now());
    Ok(page(
        &state,
        &signed_in.csrf,
        &DeliveryPage {
            chrome: signed_in.chrome("deliveries"),
            delivery,
            application_name,
            payload,
            attempts,
            leased,
        },
    ))
}

/// `POST /admin/deliveries/{id}/replay`: due again now, with a fresh retry schedule.
pub async fn replay(
    State(state): State<AppState>,
    Path(delivery_id): Path<String>,
    Posted { signed_in, .. }: Posted<IgnoredAny>,
) -> Result<Response, Refusal> {
    let delivery = find(&state, &delivery_id).await?;
    if !state
        .store
        .replay_delivery(&delivery.id, Timestamp::now())
        .await?
    {
        return Err(PageError::new(
            StatusCode::CONFLICT,
            "Being sent right now",
            "A worker is sending this delivery at this moment. Reload its page in a few seconds.",
        )
        .into());
    }
    tenancy::audit(
        &state.store,
        &delivery.application_id,
        "delivery.replayed",
        &signed_in.operator.email,
        serde_json::json!({ "delivery_id": delivery.id }),
    )
    .await?;
    Ok(Redirect::to(&format!("/admin/deliveries/{}", delivery.id)).into_response())
}

async fn find(state: &AppState, delivery_id: &str) -> Result<Delivery, Refusal> {
    Ok(state
        .store
        .find_delivery(delivery_id)
        .await?
        .ok_or_else(|| {
            PageError::new(
                StatusCode::NOT_FOUND,
                "No such delivery",
                "There is no webhook delivery with this id.",
            )
        })?)
}
