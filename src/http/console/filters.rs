//! The filters of the console's lists, read from the query string: empty values mean "any",
//! and a status must be one the list knows.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use axum::http::StatusCode;
use serde::Deserialize;

use super::super::hosted::PageError;
use crate::store::console::{ListFilter, Older};

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

/// `?before=` as given: where an older page of a list starts.
#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    before: String,
}

impl PageQuery {
    /// Where the page starts: `None` for the newest page.
    pub fn parse(self) -> Result<Option<Older>, PageError> {
        let Some(before) = given(self.before) else {
            return Ok(None);
        };
        Older::parse(&before).map(Some).ok_or_else(|| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "This page link could not be read",
                "Go back to the newest page of the list.",
            )
        })
    }
}

/// Links from one page of a list to its newest page and to the next older one, keeping the
/// list's filters.
pub struct Paging {
    pub newest: Option<String>,
    pub older: Option<String>,
}

impl Paging {
    /// For the page of `path` filtered by `filters` that starts at `current` (`None`: the
    /// newest) and is followed by `next`.
    pub fn new(
        path: &str,
        filters: &[(&str, Option<&str>)],
        current: Option<&Older>,
        next: Option<&Older>,
    ) -> Self {
        let link = |before: Option<&Older>| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in filters {
                if let Some(value) = value {
                    query.append_pair(name, value);
                }
            }
            if let Some(before) = before {
                query.append_pair("before", &before.encode());
            }
            let query = query.finish();
            match query.is_empty() {
                true => path.to_owned(),
                false => format!("{path}?{query}"),
            }
        };
        Self {
            newest: current.map(|_| link(None)),
            older: next.map(|next| link(Some(next))),
        }
    }

    /// [`Paging::new`] for a list filtered by application and status.
    pub fn of_list(
        path: &str,
        filter: &ListFilter,
        current: Option<&Older>,
        next: Option<&Older>,
    ) -> Self {
        let filters = [
            ("application", filter.application_id.as_deref()),
            ("status", filter.status.as_deref()),
        ];
        Self::new(path, &filters, current, next)
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
