//! The outbound HTTP client for Zoom, and its adapter for the oauth2 crate.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use oauth2::{HttpRequest, HttpResponse};

/// Time to establish a connection to Zoom.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest a whole Zoom call may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// A client for calling Zoom: rustls on ring, timeouts, and no redirect
/// following (an OAuth or REST redirect is never something to obey blindly).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    // Installing twice is harmless: the first provider stays.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("convene/", env!("CARGO_PKG_VERSION")))
        .pool_max_idle_per_host(64)
        .build()?)
}

/// Why an OAuth endpoint call produced no OAuth answer.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The request failed on the way (connect, timeout, reset, body cut short).
    #[error("transport: {0}")]
    Network(#[source] reqwest::Error),
    /// Zoom answered with a status that is not an OAuth answer (429, 5xx).
    #[error("Zoom answered {status}")]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
}

/// The oauth2 crate's HTTP client: reqwest, with futures that are `Send`
/// (closures would make them higher-ranked and not `Send` in axum handlers).
pub struct OAuthTransport<'a>(pub &'a reqwest::Client);

impl<'c> oauth2::AsyncHttpClient<'c> for OAuthTransport<'_> {
    type Error = TransportError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, TransportError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(send(self.0, request))
    }
}

/// Sends an oauth2-crate request with reqwest. 200 and 4xx answers go back to
/// the oauth2 crate to parse; 429 and 5xx become [`TransportError::Status`].
async fn send(
    client: &reqwest::Client,
    request: HttpRequest,
) -> Result<HttpResponse, TransportError> {
    let (parts, body) = request.into_parts();
    let response = client
        .request(parts.method, parts.uri.to_string())
        .headers(parts.headers)
        .body(body)
        .send()
        .await
        .map_err(TransportError::Network)?;
    let status = response.status();
    if status.as_u16() == 429 || status.is_server_error() {
        return Err(TransportError::Status {
            status: status.as_u16(),
            retry_after: super::error::retry_after(response.headers()),
        });
    }
    let mut builder = http::Response::builder().status(status);
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response.bytes().await.map_err(TransportError::Network)?;
    builder
        .body(body.to_vec())
        .map_err(|_| TransportError::Status {
            status: status.as_u16(),
            retry_after: None,
        })
}
