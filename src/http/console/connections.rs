//! `/admin/links` and `/admin/events`: what applications' end users have connected, and the
//! events whose meetings the hub keeps; an operator may remove a link (reason `operator`),
//! after confirming.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};

use super::super::hosted::PageError;
use super::super::state::AppState;
use super::applications::find;
use super::confirmation::{Confirmation, ConfirmationPage};
use super::filters::{self, ListQuery, PageQuery, Paging};
use super::guard::{Chrome, Posted, Refusal, SignedIn, page};
use crate::domain::RemovalReason;
use crate::store::applications::Application;
use crate::store::console::{EventRow, LinkRow, ListFilter};

/// How many rows a page of a list shows.
const PAGE_SIZE: u64 = 50;
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
    paging: Paging,
}

#[derive(Template)]
#[template(path = "console/events.html")]
struct EventsPage {
    chrome: Chrome,
    events: Vec<EventRow>,
    applications: Vec<Application>,
    statuses: &'static [&'static str],
    filter: ListFilter,
    paging: Paging,
}

/// `GET /admin/links?application=&status=&before=`.
pub async fn links(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
    position: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let filter = filters::read(query)?.parse(&LINK_STATUSES)?;
    let before = filters::read(position)?.parse()?;
    let links = state
        .store
        .console_links(&filter, before.as_ref(), PAGE_SIZE)
        .await?;
    Ok(page(
        &state,
        &signed_in.csrf,
        &LinksPage {
            chrome: signed_in.chrome("links"),
            links: links.rows,
            applications: state.store.list_applications().await?,
            statuses: &LINK_STATUSES,
            paging: Paging::of_list(
                "/admin/links",
                &filter,
                before.as_ref(),
                links.older.as_ref(),
            ),
            filter,
        },
    ))
}

/// `GET /admin/links/{id}/remove`: what removing the link will do, and the button that does it.
pub async fn confirm_removal(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(link_id): Path<String>,
) -> Result<Response, Refusal> {
    let row = state
        .store
        .console_link(&link_id)
        .await?
        .ok_or_else(no_such_link)?;
    let application = find(&state, &row.link.application_id).await?;
    let account = format!("{} ({})", row.account_name, row.account_email);
    let mut consequences = vec![format!(
        "{} can no longer make Zoom meetings for {}: new conferencing for them fails with not_connected. Meetings already made stay in Zoom.",
        application.name, row.end_user
    )];
    if application.webhook_url.is_some() {
        consequences.push(format!(
            "{} is told with a link.removed webhook, reason operator.",
            application.name
        ));
    }
    let links_to_account = state
        .store
        .count_links_to_credential(&row.link.credential_id)
        .await?;
    consequences.push(if links_to_account > 1 {
        format!(
            "The Zoom account stays connected for its {} other link(s).",
            links_to_account - 1
        )
    } else {
        "This is the Zoom account's last link: the hub revokes its Zoom authorization and forgets its tokens.".to_owned()
    });
    Ok(page(
        &state,
        &signed_in.csrf,
        &ConfirmationPage {
            chrome: signed_in.chrome("links"),
            question: format!("Remove the link of {}?", row.end_user),
            facts: vec![
                ("Application", application.name.clone()),
                ("End user", row.end_user.clone()),
                ("Zoom account", account),
                ("Connected", row.link.connected_at.to_rfc3339()),
                ("Link", row.link.id.clone()),
            ],
            consequences,
            action: removal_page(&link_id),
            fields: Vec::new(),
            button: "Remove link",
            cancel: "/admin/links".to_owned(),
        },
    ))
}

/// `POST /admin/links/{id}/remove`, from the confirmation page: removes the link with reason
/// `operator`; the application gets `link.removed`, and a Zoom account left with no link is
/// disconnected.
pub async fn remove_link(
    State(state): State<AppState>,
    Path(link_id): Path<String>,
    Posted { form, .. }: Posted<Confirmation>,
) -> Result<Response, Refusal> {
    form.check(&removal_page(&link_id))?;
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

/// The confirmation page of removing the link, where its form also posts.
fn removal_page(link_id: &str) -> String {
    format!("/admin/links/{link_id}/remove")
}

fn no_such_link() -> PageError {
    PageError::new(
        StatusCode::NOT_FOUND,
        "No such link",
        "There is no link with this id; it may have been removed already.",
    )
}

/// `GET /admin/events?application=&status=&before=` (status: the conferencing state).
pub async fn events(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
    position: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let filter = filters::read(query)?.parse(&CONFERENCING_STATES)?;
    let before = filters::read(position)?.parse()?;
    let events = state
        .store
        .console_events(&filter, before.as_ref(), PAGE_SIZE)
        .await?;
    Ok(page(
        &state,
        &signed_in.csrf,
        &EventsPage {
            chrome: signed_in.chrome("events"),
            events: events.rows,
            applications: state.store.list_applications().await?,
            statuses: &CONFERENCING_STATES,
            paging: Paging::of_list(
                "/admin/events",
                &filter,
                before.as_ref(),
                events.older.as_ref(),
            ),
            filter,
        },
    ))
}
