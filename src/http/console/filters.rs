//! The filters of the console's lists, read from the query string: empty values mean "any",
//! and a status must be one the list knows.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use serde::Deserialize;

use super::super::hosted::PageError;
use crate::store::console::ListFilter;

/// `?application=&status=` as given.
#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    application: String,
    #[serde(default)]
    status: String,
}

impl ListQuery {
    /// The filter, when `status` is empty or one of `statuses`.
    pub fn parse(self, statuses: &[&str]) -> Result<ListFilter, PageError> {
        let status = given(self.status);
        if status.as_deref().is_some_and(|s| !statuses.contains(&s)) {
            return Err(PageError::new(
                StatusCode::BAD_REQUEST,
                "Unknown status",
                format!("Filter by one of: {}.", statuses.join(", ")),
            ));
        }
        Ok(ListFilter {
            application_id: given(self.application),
            status,
        })
    }
}

/// A query string the list can read, or a page saying it cannot.
pub fn read<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, PageError> {
    query.map(|Query(query)| query).map_err(|_| {
        PageError::new(
            StatusCode::BAD_REQUEST,
            "This filter could not be read",
            "Choose the filter's values from the form.",
        )
    })
}

/// A trimmed value, `None` when empty.
pub fn given(value: String) -> Option<String> {
    Some(value.trim().to_owned()).filter(|value| !value.is_empty())
}
