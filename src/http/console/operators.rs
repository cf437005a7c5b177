//! `/admin/operators`: who can sign in to the console (email, created, last sign-in), and the
//! signed-in operator changing their own password, which ends their other sessions. Accounts
//! are made and removed on the hub's host (`convene admin …`), not here.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::super::hosted::cookies;
use super::super::state::AppState;
use super::guard::{
    Chrome, Posted, Refusal, SESSION_COOKIE, SignedIn, form_status, page_with_status,
};
use crate::domain::FieldError;
use crate::operators::{self, OperatorPassword};
use crate::store::operators::OperatorRecord;

#[derive(Template)]
#[template(path = "console/operators.html")]
struct OperatorsPage {
    chrome: Chrome,
    operators: Vec<OperatorRecord>,
    /// The signed-in operator's id, to mark them in the list.
    you: String,
    problems: Vec<FieldError>,
    /// After a password change: how many of the operator's other sessions it ended.
    sessions_ended: Option<u64>,
}

/// The password form, as typed.
#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    new_password_again: String,
}

/// `GET /admin/operators`.
pub async fn list(State(state): State<AppState>, signed_in: SignedIn) -> Result<Response, Refusal> {
    render(&state, &signed_in, Vec::new(), None).await
}

/// `POST /admin/operators/password`: the signed-in operator's new password, given their
/// current one and the new one twice; their other sessions end and this one stays.
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Posted { signed_in, form }: Posted<PasswordForm>,
) -> Result<Response, Refusal> {
    let mut problems = Vec::new();
    if !operators::is_password_of(&signed_in.operator, &form.current_password).await? {
        problems.push(FieldError::new(
            "current_password",
            "is not your current password",
        ));
    }
    let password = OperatorPassword::parse(&form.new_password)
        .map_err(|problem| problems.push(FieldError::new("new_password", problem.message)))
        .ok();
    if form.new_password_again != form.new_password {
        problems.push(FieldError::new(
            "new_password_again",
            "differs from the new password",
        ));
    }
    let Some(password) = password.filter(|_| problems.is_empty()) else {
        return render(&state, &signed_in, problems, None).await;
    };
    let ended = operators::change_password(
        &state.store,
        &signed_in.operator,
        &password,
        cookies::read(&headers, SESSION_COOKIE),
    )
    .await?;
    render(&state, &signed_in, Vec::new(), Some(ended)).await
}

/// The page, with the password form's problems (422) if any.
async fn render(
    state: &AppState,
    signed_in: &SignedIn,
    problems: Vec<FieldError>,
    sessions_ended: Option<u64>,
) -> Result<Response, Refusal> {
    Ok(page_with_status(
        state,
        form_status(&problems),
        &signed_in.csrf,
        &OperatorsPage {
            chrome: signed_in.chrome("operators"),
            operators: state.store.list_operators().await?,
            you: signed_in.operator.id.clone(),
            problems,
            sessions_ended,
        },
    ))
}
