//! Zoom's REST API for the calls the hub makes: the user, and meetings.

use reqwest::{Method, RequestBuilder};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use super::error::ZoomError;
use super::types::{Meeting, MeetingList, MeetingRequest, ZoomUser};

/// Zoom's REST API at a base URL such as `https://api.zoom.us/v2`.
#[derive(Clone)]
pub struct ZoomApi {
    http: reqwest::Client,
    base: String,
}

impl ZoomApi {
    pub fn new(api_base: &Url, http: reqwest::Client) -> Self {
        Self {
            http,
            base: api_base.as_str().trim_end_matches('/').to_owned(),
        }
    }

    /// `GET /users/me`: who the token belongs to.
    #[tracing::instrument(skip_all)]
    pub async fn me(&self, token: &SecretString) -> Result<ZoomUser, ZoomError> {
        self.json(self.request(Method::GET, "/users/me", token))
            .await
    }

    /// `POST /users/{user}/meetings` (`user` is `me` for the token's own user).
    #[tracing::instrument(skip_all)]
    pub async fn create_meeting(
        &self,
        token: &SecretString,
        meeting: &MeetingRequest,
    ) -> Result<Meeting, ZoomError> {
        self.json(
            self.request(Method::POST, "/users/me/meetings", token)
                .json(meeting),
        )
        .await
    }

    /// `GET /meetings/{id}`: the meeting, with a fresh `start_url`.
    #[tracing::instrument(skip(self, token))]
    pub async fn get_meeting(
        &self,
        token: &SecretString,
        meeting_id: i64,
    ) -> Result<Meeting, ZoomError> {
        self.json(self.request(Method::GET, &format!("/meetings/{meeting_id}"), token))
            .await
    }

    /// `PATCH /meetings/{id}`: Zoom answers 204 with no body.
    #[tracing::instrument(skip(self, token, changes))]
    pub async fn update_meeting(
        &self,
        token: &SecretString,
        meeting_id: i64,
        changes: &MeetingRequest,
    ) -> Result<(), ZoomError> {
        let request = self
            .request(Method::PATCH, &format!("/meetings/{meeting_id}"), token)
            .json(changes);
        self.empty(request).await
    }

    /// `DELETE /meetings/{id}`: [`ZoomError::MeetingNotFound`] when it is already gone.
    #[tracing::instrument(skip(self, token))]
    pub async fn delete_meeting(
        &self,
        token: &SecretString,
        meeting_id: i64,
    ) -> Result<(), ZoomError> {
        self.empty(self.request(Method::DELETE, &format!("/meetings/{meeting_id}"), token))
            .await
    }

    /// `GET /users/me/meetings?type=scheduled`: one page of the user's meetings.
    #[tracing::instrument(skip(self, token))]
    pub async fn list_meetings(
        &self,
        token: &SecretString,
        page_size: u16,
        next_page_token: Option<&str>,
    ) -> Result<MeetingList, ZoomError> {
        #[derive(Serialize)]
        struct Query<'a> {
            #[serde(rename = "type")]
            kind: &'a str,
            page_size: u16,
            #[serde(skip_serializing_if = "Option::is_none")]
            next_page_token: Option<&'a str>,
        }
        let request = self
            .request(Method::GET, "/users/me/meetings", token)
            .query(&Query {
                kind: "scheduled",
                page_size: page_size.clamp(1, 300),
                next_page_token: next_page_token.filter(|token| !token.is_empty()),
            });
        self.json(request).await
    }

    fn request(&self, method: Method, path: &str, token: &SecretString) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token.expose_secret())
    }

    async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ZoomError> {
        let body = send(request).await?;
        serde_json::from_slice(&body)
            .map_err(|error| ZoomError::Protocol(format!("response does not parse: {error}")))
    }

    async fn empty(&self, request: RequestBuilder) -> Result<(), ZoomError> {
        send(request).await.map(drop)
    }
}

/// Sends a request; a 2xx gives its body, anything else a classified error.
async fn send(request: RequestBuilder) -> Result<Vec<u8>, ZoomError> {
    let response = request.send().await.map_err(|e| ZoomError::network(&e))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.bytes().await.map_err(|e| ZoomError::network(&e))?;
    if status.is_success() {
        Ok(body.to_vec())
    } else {
        Err(ZoomError::from_rest(status.as_u16(), &headers, &body))
    }
}
