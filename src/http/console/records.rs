//! `/admin/audit` and `/admin/emails`: the audit log, and the emails to end users (those the
//! hub keeps when no SMTP server is configured among them).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;

use super::super::state::AppState;
use super::filters::{self, ListQuery, PageQuery, Paging};
use super::guard::{Chrome, Refusal, SignedIn, page};
use crate::store::applications::Application;
use crate::store::audit::AuditEntry;
use crate::store::console::ListFilter;
use crate::store::emails::Email;

/// How many rows a page of a list shows.
const PAGE_SIZE: u64 = 50;

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<AuditEntry>,
    applications: Vec<Application>,
    filter: ListFilter,
    paging: Paging,
}

#[derive(Template)]
#[template(path = "console/emails.html")]
struct EmailsPage {
    chrome: Chrome,
    emails: Vec<Email>,
    smtp: bool,
    paging: Paging,
}

/// `GET /admin/audit?application=&before=`.
pub async fn audit(
    State(state): State<AppState>,
    signed_in: SignedIn,
    query: Result<Query<ListQuery>, QueryRejection>,
    position: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let filter = filters::read(query)?.parse(&[])?;
    let before = filters::read(position)?.parse()?;
    let entries = state
        .store
        .list_audit_entries(filter.application_id.as_deref(), before.as_ref(), PAGE_SIZE)
        .await?;
    let paging = Paging::of_list(
        "/admin/audit",
        &filter,
        before.as_ref(),
        entries.older.as_ref(),
    );
    Ok(page(
        &state,
        &signed_in.csrf,
        &AuditPage {
            chrome: signed_in.chrome("audit"),
            entries: entries.rows,
            applications: state.store.list_applications().await?,
            filter,
            paging,
        },
    ))
}

/// `GET /admin/emails?before=`.
pub async fn emails(
    State(state): State<AppState>,
    signed_in: SignedIn,
    position: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let before = filters::read(position)?.parse()?;
    let emails = state.store.list_emails(before.as_ref(), PAGE_SIZE).await?;
    Ok(page(
        &state,
        &signed_in.csrf,
        &EmailsPage {
            chrome: signed_in.chrome("emails"),
            emails: emails.rows,
            smtp: state.config.smtp_url.is_some(),
            paging: Paging::new("/admin/emails", &[], before.as_ref(), emails.older.as_ref()),
        },
    ))
}
