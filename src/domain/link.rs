//! A link: one application's end user granted the use of one Zoom account, as
//! the contract shows it to applications (API responses and webhooks alike).

use serde::Serialize;

use super::Timestamp;

/// A link as applications see it: never a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub id: String,
    /// The application's own id for the end user.
    pub end_user_id: String,
    pub provider: String,
    /// `active` or `needs_reauth`.
    pub status: String,
    pub account: LinkedAccount,
    pub connected_at: Timestamp,
}

/// The Zoom account behind a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LinkedAccount {
    pub email: String,
    pub display_name: String,
}

/// Why a link was removed, as `link.removed` webhooks say.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RemovalReason {
    /// The end user removed it on the account page.
    EndUser,
    /// The application removed it through the API.
    App,
    /// The user removed the app inside Zoom.
    ProviderDeauthorized,
    /// The hub's operator removed it.
    Operator,
}
