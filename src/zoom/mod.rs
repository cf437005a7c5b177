//! The hub's side of Zoom's wire protocol: OAuth (authorize URL with PKCE,
//! code exchange, refresh, revoke) and the typed REST calls for users and
//! meetings, with every failure classified by what the hub must do about it.

mod error;
pub mod notification;
mod oauth;
mod rest;
mod transport;
pub mod types;

pub use error::{ZoomError, ZoomFieldError};
pub use oauth::{AuthorizationStart, TokenGrant, ZoomOAuth};
pub use rest::ZoomApi;
pub use transport::http_client;

use secrecy::SecretString;
use url::Url;

/// Where the hub reaches Zoom and as which OAuth app.
#[derive(Clone)]
pub struct ZoomEndpoints {
    /// OAuth base: `{base}/oauth/authorize`, `/oauth/token`, `/oauth/revoke`.
    pub oauth_base: Url,
    /// REST base, e.g. `https://api.zoom.us/v2`.
    pub api_base: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The hub's `/connect/zoom/callback`, registered with Zoom.
    pub redirect_uri: Url,
}
