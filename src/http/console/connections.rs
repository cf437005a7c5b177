//! `/admin/links` and `/admin/events`: what applications' end users have connected, and the
//! events whose meetings the hub keeps; an operator may remove a link (reason `operator`).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::IgnoredAny;

use super::super::hosted::PageError;
use super::super::state::AppState;
use super::applications::find;
use super::filters::{self, ListQuery};
use super::guard::{Chrome, Posted, Refusal, SignedIn, page};
use crate::domain::RemovalReason;
use crate::store::applications::Application;
use crate::store::console::{EventRow, LinkRow, ListFilter};

/// How many rows a list shows.
const PAGE_SIZE: u64 = 200;
const LINK_STATUSES: [&str; 2] = ["active", "needs_reauth"];
const CONFERENCING_STATES: [&str; 5] = ["none", "pending", "ready", "failed", "removed"];

#[derive(Template)]
#[template(path = "console/links.html")]
struct LinksPage {
    chrome: Chrome,
    links: Vec<LinkRow>,
    applications: Vec<Application>,
    statuses: &'static [&'static str],
    filter: ListFilter,
}

#[derive(Template)]
#[template(path = "console/events.html")]
struct EventsPage {
    chrome: Chrome,
    events: Vec<EventRow>,
    applications: Vec<Application>,
    statuses: &'static [&'static str],
    filter: ListFilter,
}

/// `GET /admin/links?application=&status=`.
pub async fn links(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let filter = filters::read(query)?.parse(&LINK_STATUSES)?;
    Ok(page(
        &state,
        &signed_in.csrf,
        &LinksPage {
            chrome: signed_in.chrome("links"),
            links: state.store.console_links(&filter, PAGE_SIZE).await?,
            applications: state.store.list_applications().await?,
            statuses: &LINK_STATUSES,
            filter,
        },
    ))
}

/// `POST /admin/links/{id}/remove`: removes the link with reason `operator`; the application
/// gets `link.removed`, and a Zoom account left with no link is disconnected.
pub async fn remove_link(
    State(state): State<AppState>,
    Path(link_id): Path<String>,
    _: Posted<IgnoredAny>,
) -> Result<Response, Refusal> {
    let no_such_link = || {
        PageError::new(
            StatusCode::NOT_FOUND,
            "No such link",
            "There is no link with this id; it may have been removed already.",
        )
    };
    let application_id = state
        .store
        .link_application(&link_id)
        .await?
        .ok_or_else(no_such_link)?;
    let application = find(&state, &application_id).await?;
    state
        .connections()
        .remove_link(&application, &link_id, RemovalReason::Operator)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(no_such_link)?;
    Ok(Redirect::to("/admin/links").into_response())
}

/// `GET /admin/events?application=&status=` (status: the conferencing state).
pub async fn events(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let filter = filters::read(query)?.parse(&CONFERENCING_STATES)?;
    Ok(page(
        &state,
        &signed_in.csrf,
        &EventsPage {
            chrome: signed_in.chrome("events"),
            events: state.store.console_events(&filter, PAGE_SIZE).await?,
            applications: state.store.list_applications().await?,
            statuses: &CONFERENCING_STATES,
            filter,
        },
    ))
}
