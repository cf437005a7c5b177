//! *Remove* one application's link and *Disconnect Zoom*: each a confirmation page
//! (`GET`) and the action (`POST` from it). Only what the session may see can be named: any
//! other link or account id gets the same "not on your account" page, and nothing changes.

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{CSRF, SignedIn, check_form, incomplete_form, page_response, protect};
use crate::domain::RemovalReason;
use crate::http::hosted::page::PageError;
use crate::http::state::AppState;
use crate::store::account::{LinkedApplication, ZoomAccount};

/// What a confirmation page asks.
struct Confirmation {
    title: String,
    /// The Zoom account concerned.
    lead: String,
    consequences: Vec<String>,
    /// Where the form posts.
    action: String,
    button: String,
}

#[derive(askama::Template)]
#[template(path = "hosted/account_confirm.html")]
struct ConfirmPage<'a> {
    confirmation: &'a Confirmation,
    csrf: &'a str,
}

impl Confirmation {
    fn page(&self, state: &AppState, headers: &HeaderMap, signed_in: &SignedIn) -> Response {
        let csrf = CSRF.value(headers);
        let page = ConfirmPage {
            confirmation: self,
            csrf: &csrf,
        };
        page_response(state, &page, &csrf, signed_in.seconds_left())
    }
}

#[derive(Deserialize)]
pub struct Confirmed {
    csrf: String,
}

/// `GET /account/links/{link_id}/remove`: what removing the link does, and the button.
pub async fn confirm_remove(
    State(state): State<AppState>,
    Path(link_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let signed_in = SignedIn::required(&state, &headers).await?;
    let (account, link) = link_in_view(&state, &signed_in, &link_id).await?;
    let others: Vec<&str> = account
        .links
        .iter()
        .filter(|other| other.link_id != link.link_id)
        .map(|other| other.application_name.as_str())
        .collect();
    let app = &link.application_name;
    let mut consequences = vec![
        format!(
            "{app} will no longer be able to create, change or delete Zoom meetings in {}.",
            account.email
        ),
        format!("{app} is told that you removed its access."),
        "Meetings already scheduled stay in Zoom, and their join links keep working.".to_owned(),
    ];
    consequences.push(if others.is_empty() {
        "No other app uses this Zoom account, so Convene also deletes its access to it and tells Zoom.".to_owned()
    } else {
        format!("These apps keep working: {}.", others.join(", "))
    });
    let confirmation = Confirmation {
        title: format!("Remove {app}'s access to your Zoom account?"),
        lead: format!("{} ({})", account.display_name, account.email),
        consequences,
        action: format!("/account/links/{}/remove", link.link_id),
        button: format!("Remove {app}"),
    };
    Ok(confirmation.page(&state, &headers, &signed_in))
}

/// `POST /account/links/{link_id}/remove`: removes the link; the application gets
/// `link.removed` with reason `end_user`.
pub async fn remove(
    State(state): State<AppState>,
    Path(link_id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Confirmed>, FormRejection>,
) -> Result<Response, PageError> {
    let signed_in = confirmed(&state, &headers, form).await?;
    let (_, link) = link_in_view(&state, &signed_in, &link_id).await?;
    let application = state
        .store
        .find_application(&link.application_id)
        .await?
        .ok_or_else(not_on_account)?;
    state
        .connections()
        .remove_link(&application, &link.link_id, RemovalReason::EndUser)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(not_on_account)?;
    Ok(back_to_page("removed"))
}

/// `GET /account/zoom/{credential_id}/disconnect`: what disconnecting does, and the button.
pub async fn confirm_disconnect(
    State(state): State<AppState>,
    Path(credential_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let signed_in = SignedIn::required(&state, &headers).await?;
    let account = account_in_view(&state, &signed_in, &credential_id).await?;
    let names: Vec<&str> = account
        .links
        .iter()
        .map(|link| link.application_name.as_str())
        .collect();
    let consequences = vec![
        if names.is_empty() {
            "No app uses this Zoom account now.".to_owned()
        } else {
            format!(
                "Every app loses access to it, and each is told: {}.",
                names.join(", ")
            )
        },
        "Convene deletes its access to your Zoom account and asks Zoom to revoke it.".to_owned(),
        "Meetings already scheduled stay in Zoom, and their join links keep working.".to_owned(),
        "You can connect again later from any app.".to_owned(),
    ];
    let confirmation = Confirmation {
        title: "Disconnect your Zoom account?".to_owned(),
        lead: format!("{} ({})", account.display_name, account.email),
        consequences,
        action: format!("/account/zoom/{}/disconnect", account.credential_id),
        button: "Disconnect Zoom".to_owned(),
    };
    Ok(confirmation.page(&state, &headers, &signed_in))
}

/// `POST /account/zoom/{credential_id}/disconnect`: removes every link to the account,
/// revokes the authorization at Zoom and deletes the credential with its tokens.
pub async fn disconnect(
    State(state): State<AppState>,
    Path(credential_id): Path<String>,
    headers: HeaderMap,
    form: Result<Form<Confirmed>, FormRejection>,
) -> Result<Response, PageError> {
    let signed_in = confirmed(&state, &headers, form).await?;
    let account = account_in_view(&state, &signed_in, &credential_id).await?;
    state
        .connections()
        .remove_account(&account.credential_id, RemovalReason::EndUser)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(not_on_account)?;
    Ok(back_to_page("disconnected"))
}

/// The session behind a confirmation form this browser's account page sent.
async fn confirmed(
    state: &AppState,
    headers: &HeaderMap,
    form: Result<Form<Confirmed>, FormRejection>,
) -> Result<SignedIn, PageError> {
    let Form(form) = form.map_err(|_| incomplete_form())?;
    check_form(state, headers, &form.csrf)?;
    SignedIn::required(state, headers).await
}

/// The account holding `link_id`, if the session may see it.
async fn link_in_view(
    state: &AppState,
    signed_in: &SignedIn,
    link_id: &str,
) -> Result<(ZoomAccount, LinkedApplication), PageError> {
    signed_in
        .accounts(state)
        .await?
        .into_iter()
        .find_map(|account| {
            let link = account
                .links
                .iter()
                .find(|link| link.link_id == link_id)
                .cloned()?;
            Some((account, link))
        })
        .ok_or_else(not_on_account)
}

/// The account `credential_id` names, if the session may see it.
async fn account_in_view(
    state: &AppState,
    signed_in: &SignedIn,
    credential_id: &str,
) -> Result<ZoomAccount, PageError> {
    signed_in
        .accounts(state)
        .await?
        .into_iter()
        .find(|account| account.credential_id == credential_id)
        .ok_or_else(not_on_account)
}

fn not_on_account() -> PageError {
    PageError::new(
        StatusCode::NOT_FOUND,
        "Not on your account",
        "This app or Zoom account is not on your account page, or it was already removed. Open your account page again.",
    )
}

/// 303 back to the page, which says what was done.
fn back_to_page(notice: &str) -> Response {
    let mut response = Redirect::to(&format!("/account?notice={notice}")).into_response();
    protect(&mut response);
    response
}
