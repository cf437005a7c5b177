//! Zoom OAuth through the oauth2 crate: the authorize URL (state + PKCE S256),
//! the code exchange, refresh (which rotates the refresh token) and revoke.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::{BasicTokenIntrospectionResponse, BasicTokenType};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ErrorResponse, ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RefreshToken, RequestTokenError, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

use super::ZoomEndpoints;
use super::error::ZoomError;
use super::transport::{OAuthTransport, TransportError};

/// What Zoom's token endpoint adds to the standard fields.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct ZoomTokenFields {
    /// The REST host for this user (may be regional).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_url: Option<String>,
}
impl ExtraTokenFields for ZoomTokenFields {}

type ZoomTokenResponse = StandardTokenResponse<ZoomTokenFields, BasicTokenType>;

/// Zoom's OAuth error body, `{"reason":"Invalid Token!","error":"invalid_grant"}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct ZoomOAuthError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error_description: Option<String>,
}

impl std::fmt::Display for ZoomOAuthError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.error, self.reason)
    }
}
impl ErrorResponse for ZoomOAuthError {}

impl ZoomOAuthError {
    /// Zoom says a refresh token is dead with `invalid_grant`, and sometimes with
    /// `invalid_request` and the reason "Invalid Token!".
    fn is_dead_token(&self) -> bool {
        self.error == "invalid_grant" || self.reason.contains("Invalid Token")
    }

    fn reason(&self) -> String {
        if self.reason.is_empty() {
            self.error_description.clone().unwrap_or_default()
        } else {
            self.reason.clone()
        }
    }
}

type OAuthClient = oauth2::Client<
    ZoomOAuthError,
    ZoomTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    ZoomOAuthError,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A fresh authorization: where to send the browser, and what to remember.
pub struct AuthorizationStart {
    /// Zoom's authorize URL with `state` and an S256 `code_challenge`.
    pub url: Url,
    /// The random `state` sent (compare in constant time on return).
    pub state: SecretString,
    /// The PKCE verifier to send with the code exchange.
    pub pkce_verifier: SecretString,
}

/// Tokens from a code exchange or a refresh.
pub struct TokenGrant {
    pub access_token: SecretString,
    pub refresh_token: SecretString,
    /// How long the access token lives from now.
    pub expires_in: Duration,
    /// Granted scopes, space-separated as Zoom sends them.
    pub scope: String,
}

impl std::fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenGrant")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// Zoom's OAuth endpoints for the hub's app.
#[derive(Clone)]
pub struct ZoomOAuth {
    client: OAuthClient,
    http: reqwest::Client,
    revocation_url: Url,
    client_id: String,
    client_secret: SecretString,
}

/// Zoom's access tokens live an hour; assume a little less if it does not say.
const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(3599);

impl ZoomOAuth {
    pub fn new(endpoints: &ZoomEndpoints, http: reqwest::Client) -> anyhow::Result<Self> {
        let base = endpoints.oauth_base.as_str().trim_end_matches('/');
        let client = oauth2::Client::new(ClientId::new(endpoints.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                endpoints.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(AuthUrl::new(format!("{base}/oauth/authorize"))?)
            .set_token_uri(TokenUrl::new(format!("{base}/oauth/token"))?)
            .set_redirect_uri(RedirectUrl::new(endpoints.redirect_uri.to_string())?);
        Ok(Self {
            client,
            http,
            revocation_url: Url::parse(&format!("{base}/oauth/revoke"))?,
            client_id: endpoints.client_id.clone(),
            client_secret: endpoints.client_secret.clone(),
        })
    }

    /// The hub's Zoom app, as Zoom names it in notifications.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    /// A new authorize URL with a random state and an S256 PKCE challenge.
    pub fn start_authorization(&self) -> AuthorizationStart {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut state = [0u8; 32];
        rand::fill(&mut state);
        let state = URL_SAFE_NO_PAD.encode(state);
        let (url, _) = self
            .client
            .authorize_url(|| CsrfToken::new(state.clone()))
            .set_pkce_challenge(challenge)
            .url();
        AuthorizationStart {
            url,
            state: SecretString::from(state),
            pkce_verifier: SecretString::from(verifier.secret().to_owned()),
        }
    }

    /// Exchanges an authorization code (with its PKCE verifier) for tokens.
    #[tracing::instrument(skip_all)]
    pub async fn exchange_code(
        &self,
        code: &str,
        pkce_verifier: &SecretString,
    ) -> Result<TokenGrant, ZoomError> {
        let send = OAuthTransport(&self.http);
        let response = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(
                pkce_verifier.expose_secret().to_owned(),
            ))
            .request_async(&send)
            .await;
        grant(response, false)
    }

    /// Trades a refresh token for new tokens. Zoom rotates: the refresh token
    /// given here stops working as soon as Zoom answers.
    #[tracing::instrument(skip_all)]
    pub async fn refresh(&self, refresh_token: &SecretString) -> Result<TokenGrant, ZoomError> {
        let send = OAuthTransport(&self.http);
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let response = self
            .client
            .exchange_refresh_token(&token)
            .request_async(&send)
            .await;
        grant(response, true)
    }

    /// Revokes the app's authorization at Zoom (`POST /oauth/revoke`, Basic
    /// client auth, form `token=`). A token Zoom no longer knows counts as
    /// revoked. Sent directly rather than through the oauth2 crate, which
    /// refuses revocation endpoints that are not HTTPS (Zoom fakes on loopback are not).
    #[tracing::instrument(skip_all)]
    pub async fn revoke(&self, access_token: &SecretString) -> Result<(), ZoomError> {
        let response = self
            .http
            .post(self.revocation_url.clone())
            .basic_auth(
                self.client_id.as_str(),
                Some(self.client_secret.expose_secret()),
            )
            .form(&[("token", access_token.expose_secret())])
            .send()
            .await
            .map_err(|error| ZoomError::network(&error))?;
        let status = response.status();
        let retry_after = super::error::retry_after(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|error| ZoomError::network(&error))?;
        if status.is_success() {
            return Ok(());
        }
        if status.as_u16() == 429 {
            return Err(ZoomError::RateLimited { retry_after });
        }
        if status.is_server_error() {
            return Err(ZoomError::Unavailable(format!("status {status}")));
        }
        let error: ZoomOAuthError = serde_json::from_slice(&body).unwrap_or_default();
        if error.is_dead_token() {
            Ok(())
        } else {
            Err(ZoomError::OAuth {
                reason: error.reason(),
                error: error.error,
            })
        }
    }
}

fn grant(
    response: Result<ZoomTokenResponse, RequestTokenError<TransportError, ZoomOAuthError>>,
    refreshing: bool,
) -> Result<TokenGrant, ZoomError> {
    let response = response.map_err(|error| classify(error, refreshing))?;
    let refresh_token = response
        .refresh_token()
        .ok_or_else(|| ZoomError::Protocol("token response without refresh_token".to_owned()))?;
    let scope = response
        .scopes()
        .map(|scopes| {
            scopes
                .iter()
                .map(|scope| scope.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    Ok(TokenGrant {
        access_token: SecretString::from(response.access_token().secret().to_owned()),
        refresh_token: SecretString::from(refresh_token.secret().to_owned()),
        expires_in: response.expires_in().unwrap_or(DEFAULT_EXPIRES_IN),
        scope,
    })
}

fn classify(
    error: RequestTokenError<TransportError, ZoomOAuthError>,
    refreshing: bool,
) -> ZoomError {
    match error {
        RequestTokenError::ServerResponse(error) if refreshing && error.is_dead_token() => {
            ZoomError::RefreshTokenDead(error.reason())
        }
        RequestTokenError::ServerResponse(error) => ZoomError::OAuth {
            reason: error.reason(),
            error: error.error,
        },
        RequestTokenError::Request(TransportError::Network(error)) => ZoomError::network(&error),
        RequestTokenError::Request(TransportError::Status {
            status: 429,
            retry_after,
        }) => ZoomError::RateLimited { retry_after },
        RequestTokenError::Request(TransportError::Status { status, .. }) => {
            ZoomError::Unavailable(format!("status {status}"))
        }
        RequestTokenError::Parse(error, _) => {
            ZoomError::Protocol(format!("token response does not parse at {}", error.path()))
        }
        RequestTokenError::Other(message) => ZoomError::Protocol(message),
    }
}
