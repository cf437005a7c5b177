//! An end user's browser going through the real OAuth flow: the hub's connect page, the
//! emulator's sign-in and consent pages, and back. It keeps cookies by hand so that one
//! HTTP client (and its connection pool) serves thousands of browsers.

use anyhow::{Context, bail};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::json;
use url::Url;

use crate::forms::Form;
use crate::hub::{APP_REDIRECT_URI, Tenant};
use crate::zoom::{CLIENT_ID, CLIENT_SECRET, DIRECT_REDIRECT_URI};

/// Redirects followed at most before a flow is called lost.
const MAX_STEPS: usize = 12;

/// What a response showed the browser.
enum Page {
    Redirect(Url),
    Html(String),
}

/// One person's browser: its cookies, over a shared client.
pub struct Browser {
    http: reqwest::Client,
    cookies: Vec<(String, String)>,
}

impl Browser {
    /// A browser with no cookies yet; `http` must not follow redirects.
    pub fn new(http: reqwest::Client) -> Self {
        Self {
            http,
            cookies: Vec::new(),
        }
    }

    /// Connects `email`'s Zoom account as the tenant's `end_user_id`, choosing *Connect Zoom*
    /// and then *Allow* at Zoom. Returns the link id the hub gave the app.
    pub async fn connect(
        &mut self,
        hub: &str,
        tenant: &Tenant,
        end_user_id: &str,
        email: &str,
    ) -> anyhow::Result<String> {
        let session: serde_json::Value = self
            .http
            .post(format!("{hub}/v1/connect_sessions"))
            .bearer_auth(&tenant.api_key)
            .json(&json!({"end_user_id": end_user_id, "redirect_uri": APP_REDIRECT_URI}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let connect_url = Url::parse(session["url"].as_str().context("no connect url")?)?;
        let Page::Html(page) = self.open(connect_url.clone(), None).await? else {
            bail!("the connect page redirected");
        };
        let mut form = Form::find(&page, "").context("no form on the connect page")?;
        form.set("choice", "connect");
        let Page::Redirect(authorize) = self.submit(&connect_url, form).await? else {
            bail!("choosing Connect Zoom did not lead to Zoom");
        };
        let back = self
            .allow_at_zoom(authorize, email, APP_REDIRECT_URI)
            .await?;
        back.query_pairs()
            .find(|(name, _)| name == "link_id")
            .map(|(_, link)| link.into_owned())
            .with_context(|| format!("the hub sent the browser back without a link: {back}"))
    }

    /// The harness as an OAuth client of its own: signs in as `email` at the emulator,
    /// allows, and exchanges the code for an access token.
    pub async fn direct_token(&mut self, zoom: &str, email: &str) -> anyhow::Result<String> {
        let mut authorize = Url::parse(&format!("{zoom}/oauth/authorize"))?;
        authorize
            .query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", DIRECT_REDIRECT_URI);
        let back = self
            .allow_at_zoom(authorize, email, DIRECT_REDIRECT_URI)
            .await?;
        let code = back
            .query_pairs()
            .find(|(name, _)| name == "code")
            .map(|(_, code)| code.into_owned())
            .with_context(|| format!("Zoom sent no code: {back}"))?;
        let grant: serde_json::Value = self
            .http
            .post(format!("{zoom}/oauth/token"))
            .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", DIRECT_REDIRECT_URI),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        grant["access_token"]
            .as_str()
            .map(str::to_owned)
            .context("no access token in the grant")
    }

    /// From an authorize URL: signs in as `email`, allows, and follows redirects until one
    /// leaves for `return_prefix`, which it returns.
    async fn allow_at_zoom(
        &mut self,
        authorize: Url,
        email: &str,
        return_prefix: &str,
    ) -> anyhow::Result<Url> {
        let mut url = authorize;
        let mut page = self.open(url.clone(), None).await?;
        for _ in 0..MAX_STEPS {
            let html = match page {
                Page::Redirect(target) if target.as_str().starts_with(return_prefix) => {
                    return Ok(target);
                }
                Page::Redirect(target) => {
                    url = target;
                    page = self.open(url.clone(), None).await?;
                    continue;
                }
                Page::Html(html) => html,
            };
            let form = if let Some(mut sign_in) = Form::find(&html, "/signin") {
                sign_in.set("email", email);
                sign_in
            } else {
                let mut consent =
                    Form::find(&html, "/oauth/authorize").context("no sign-in or consent form")?;
                consent.set("decision", "allow");
                consent
            };
            page = self.submit(&url, form).await?;
        }
        bail!("the flow did not come back to {return_prefix}")
    }

    async fn submit(&mut self, from: &Url, form: Form) -> anyhow::Result<Page> {
        let target = from.join(&form.action)?;
        self.open(target, Some(form.fields)).await
    }

    /// GET, or POST a form when `fields` are given.
    async fn open(
        &mut self,
        url: Url,
        fields: Option<Vec<(String, String)>>,
    ) -> anyhow::Result<Page> {
        let request = match &fields {
            None => self.http.get(url.clone()),
            Some(fields) => self.http.post(url.clone()).form(fields),
        };
        let cookie_header = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie_header.is_empty() {
            request
        } else {
            request.header(COOKIE, cookie_header)
        };
        let response = request.send().await?;
        for set in response.headers().get_all(SET_COOKIE) {
            let pair = set.to_str()?.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(known, _)| known != name);
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        if let Some(location) = response.headers().get(LOCATION) {
            return Ok(Page::Redirect(url.join(location.to_str()?)?));
        }
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            bail!("{url} answered {status}: {body}");
        }
        Ok(Page::Html(body))
    }
}
