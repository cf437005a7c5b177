//! The demo's client of the hub's public API: the `/v1` calls a client application makes,
//! over HTTP with its API key, and the problem+json answers turned into [`HubError`].

use std::time::Duration;

use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use url::Url;

/// How long the demo waits for the hub before telling the person it is unreachable.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The hub's `/v1` API as one application sees it.
#[derive(Clone)]
pub struct HubClient {
    http: reqwest::Client,
    /// `{hub}/v1/`
    api: Url,
    key: SecretString,
}

/// Why a call did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// The hub answered with a problem (4xx or 5xx).
    #[error("the hub answered {} {}: {}", .0.status, .0.code, .0.detail)]
    Refused(Problem),
    /// No usable answer: the hub is down, or answered something that is not the contract.
    #[error("the hub could not be reached: {0:#}")]
    Unreachable(anyhow::Error),
}

impl HubError {
    /// The problem's `code`, when the hub answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Refused(problem) => Some(&problem.code),
            Self::Unreachable(_) => None,
        }
    }
}

/// An `application/problem+json` answer.
#[derive(Debug, Deserialize)]
pub struct Problem {
    pub status: u16,
    pub code: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub errors: Vec<FieldProblem>,
}

#[derive(Debug, Deserialize)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

#[derive(Deserialize)]
pub struct ConnectSession {
    pub url: String,
}

#[derive(Deserialize)]
pub struct EndUser {
    pub links: Vec<Link>,
}

#[derive(Clone, Deserialize)]
pub struct Link {
    pub id: String,
    pub status: String,
    pub account: ZoomAccount,
    pub connected_at: String,
}

impl Link {
    /// Whether meetings can be made with it (not waiting to be reconnected).
    pub fn works(&self) -> bool {
        self.status == "active"
    }
}

#[derive(Clone, Deserialize)]
pub struct ZoomAccount {
    pub email: String,
    pub display_name: String,
}

#[derive(Deserialize)]
pub struct AccountLink {
    pub url: String,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Event {
    pub event_id: String,
    pub end_user_id: String,
    pub start: String,
    pub end: String,
    #[serde(default)]
    pub attendees: Vec<Attendee>,
    #[serde(default)]
    pub conferencing: Option<Conferencing>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Attendee {
    pub email: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct Conferencing {
    pub status: String,
    #[serde(default)]
    pub join_url: Option<String>,
    #[serde(default)]
    pub passcode: Option<String>,
    #[serde(default)]
    pub error: Option<ConferencingError>,
}

#[derive(Clone, Debug, Deserialize)]
pub struct ConferencingError {
    pub message: String,
}

#[derive(Deserialize)]
struct EventPage {
    events: Vec<Event>,
}

#[derive(Deserialize)]
pub struct StartUrl {
    pub start_url: String,
}

/// What a new connect session asks for.
pub struct ConnectRequest<'a> {
    pub end_user_id: &'a str,
    pub end_user_email: &'a str,
    pub end_user_name: &'a str,
    pub redirect_uri: &'a str,
    pub state: &'a str,
}

impl HubClient {
    /// A client of the hub at `hub` (its base URL) using `key`.
    pub fn new(hub: &Url, key: SecretString) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            api: hub.join("/v1/")?,
            key,
        })
    }

    pub async fn create_connect_session(
        &self,
        request: &ConnectRequest<'_>,
    ) -> Result<ConnectSession, HubError> {
        let body = json!({
            "end_user_id": request.end_user_id,
            "end_user_email": request.end_user_email,
            "end_user_name": request.end_user_name,
            "redirect_uri": request.redirect_uri,
            "state": request.state,
        });
        self.send(self.call(Method::POST, &["connect_sessions"])?.json(&body))
            .await
    }

    /// The end user's links (none when they never connected).
    pub async fn end_user(&self, end_user_id: &str) -> Result<EndUser, HubError> {
        self.send(self.call(Method::GET, &["end_users", end_user_id])?)
            .await
    }

    pub async fn remove_link(&self, link_id: &str) -> Result<(), HubError> {
        self.send_empty(self.call(Method::DELETE, &["links", link_id])?)
            .await
    }

    pub async fn account_link(&self, end_user_id: &str) -> Result<AccountLink, HubError> {
        self.send(self.call(Method::POST, &["end_users", end_user_id, "account_link"])?)
            .await
    }

    /// Creates or replaces the event with this id.
    pub async fn put_event(&self, event_id: &str, body: &Value) -> Result<Event, HubError> {
        self.send(self.call(Method::PUT, &["events", event_id])?.json(body))
            .await
    }

    pub async fn event(&self, event_id: &str) -> Result<Event, HubError> {
        self.send(self.call(Method::GET, &["events", event_id])?)
            .await
    }

    /// The end user's events starting from `from` (RFC 3339), soonest first.
    pub async fn events_from(&self, end_user_id: &str, from: &str) -> Result<Vec<Event>, HubError> {
        let request = self.call(Method::GET, &["events"])?.query(&[
            ("end_user_id", end_user_id),
            ("from", from),
            ("limit", "50"),
        ]);
        let page: EventPage = self.send(request).await?;
        Ok(page.events)
    }

    pub async fn delete_event(&self, event_id: &str) -> Result<(), HubError> {
        self.send_empty(self.call(Method::DELETE, &["events", event_id])?)
            .await
    }

    pub async fn start_url(&self, event_id: &str) -> Result<StartUrl, HubError> {
        self.send(self.call(Method::POST, &["events", event_id, "start_url"])?)
            .await
    }

    /// A request to `/v1/{segments…}`, each segment percent-encoded.
    fn call(&self, method: Method, segments: &[&str]) -> Result<RequestBuilder, HubError> {
        let mut url = self.api.clone();
        url.path_segments_mut()
            .map_err(|()| HubError::Unreachable(anyhow::anyhow!("the hub URL cannot be a base")))?
            .pop_if_empty()
            .extend(segments);
        Ok(self
            .http
            .request(method, url)
            .bearer_auth(self.key.expose_secret()))
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, HubError> {
        let response = checked(request).await?;
        response
            .json()
            .await
            .map_err(|error| HubError::Unreachable(error.into()))
    }

    async fn send_empty(&self, request: RequestBuilder) -> Result<(), HubError> {
        checked(request).await.map(drop)
    }
}

/// Sends the request; a non-2xx answer becomes its problem.
async fn checked(request: RequestBuilder) -> Result<reqwest::Response, HubError> {
    let response = request
        .send()
        .await
        .map_err(|error| HubError::Unreachable(error.into()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    match response.json::<Problem>().await {
        Ok(problem) => Err(HubError::Refused(problem)),
        Err(_) => Err(HubError::Unreachable(anyhow::anyhow!(
            "the hub answered {status} without a problem document"
        ))),
    }
}
