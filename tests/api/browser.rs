//! A browser as the tests need one: keeps cookies, follows no redirect by
//! itself, reads server-rendered forms and submits them.

use url::Url;

/// A cookie-keeping HTTP client that lets tests see every redirect.
pub struct Browser {
    pub client: reqwest::Client,
}

/// What the person does on Zoom's consent page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ZoomChoice {
    Allow,
    Deny,
}

impl Browser {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    /// Opens `url` (Zoom's authorize URL, or a hub URL redirecting there),
    /// signs in as `email`, answers the consent page, and follows redirects
    /// until one leaves for `return_prefix`: returns that URL.
    pub async fn through_zoom(
        &self,
        url: Url,
        email: &str,
        choice: ZoomChoice,
        return_prefix: &str,
    ) -> Url {
        let mut url = url;
        let mut response = self.client.get(url.clone()).send().await.unwrap();
        for _ in 0..12 {
            if let Some(location) = response.headers().get("location") {
                let target = url.join(location.to_str().unwrap()).unwrap();
                if target.as_str().starts_with(return_prefix) {
                    return target;
                }
                url = target;
                response = self.client.get(url.clone()).send().await.unwrap();
                continue;
            }
            assert_eq!(response.status(), 200, "a Zoom page at {url}");
            let page = response.text().await.unwrap();
            let forms = html_forms(&page);
            let label = if choice == ZoomChoice::Allow {
                "Allow"
            } else {
                "Deny"
            };
            let (form, extra) = if let Some(form) = forms.iter().find(|f| f.has_field("email")) {
                (form, vec![("email".to_owned(), email.to_owned())])
            } else {
                let form = forms
                    .iter()
                    .find(|f| f.button(label).is_some())
                    .unwrap_or_else(|| panic!("a sign-in or consent form in:\n{page}"));
                (form, form.button(label).into_iter().flatten().collect())
            };
            let fields = form.submission(extra);
            url = url.join(&form.action).unwrap();
            response = self
                .client
                .post(url.clone())
                .form(&fields)
                .send()
                .await
                .unwrap();
        }
        panic!("the flow did not come back to {return_prefix}");
    }
}

/// An HTML form: where it posts, its fields, and its buttons.
pub struct HtmlForm {
    pub action: String,
    pub fields: Vec<(String, String)>,
    /// (label, name=value it submits)
    pub buttons: Vec<(String, Option<(String, String)>)>,
}

impl HtmlForm {
    /// The fields as the browser submits them, with `extra` replacing or adding some.
    pub fn submission(&self, extra: Vec<(String, String)>) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = self
            .fields
            .iter()
            .filter(|(name, _)| !extra.iter().any(|(n, _)| n == name))
            .cloned()
            .collect();
        fields.extend(extra);
        fields
    }

    pub fn has_field(&self, name: &str) -> bool {
        self.fields.iter().any(|(field, _)| field == name)
    }

    pub fn button(&self, label: &str) -> Option<Option<(String, String)>> {
        self.buttons
            .iter()
            .find(|(text, _)| text.contains(label))
            .map(|(_, submits)| submits.clone())
    }
}

/// The forms of a page: enough HTML reading for server-rendered pages.
pub fn html_forms(page: &str) -> Vec<HtmlForm> {
    let mut forms = Vec::new();
    let mut rest = page;
    while let Some(start) = rest.find("<form") {
        let after = &rest[start..];
        let end = after.find("</form>").unwrap_or(after.len());
        let body = &after[..end];
        let open_tag = &body[..body.find('>').unwrap_or(body.len())];
        let mut form = HtmlForm {
            action: attribute(open_tag, "action").unwrap_or_default(),
            fields: Vec::new(),
            buttons: Vec::new(),
        };
        for tag in tags(body, "<input") {
            if let Some(name) = attribute(tag, "name") {
                let kind = attribute(tag, "type").unwrap_or_default();
                if kind == "submit" {
                    let value = attribute(tag, "value").unwrap_or_default();
                    form.buttons.push((value.clone(), Some((name, value))));
                } else {
                    form.fields
                        .push((name, attribute(tag, "value").unwrap_or_default()));
                }
            }
        }
        let mut buttons = body;
        while let Some(at) = buttons.find("<button") {
            let button = &buttons[at..];
            let close = button.find("</button>").unwrap_or(button.len());
            let tag_end = button.find('>').unwrap_or(close);
            let label = strip_tags(&button[tag_end + 1..close.max(tag_end + 1)]);
            let submits = attribute(&button[..tag_end], "name").map(|name| {
                (
                    name,
                    attribute(&button[..tag_end], "value").unwrap_or_default(),
                )
            });
            form.buttons.push((label, submits));
            buttons = &button[close.min(button.len())..];
            if close == button.len() {
                break;
            }
        }
        forms.push(form);
        rest = &after[end.min(after.len())..];
        if end == after.len() {
            break;
        }
    }
    forms
}

fn tags<'a>(html: &'a str, open: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find(open) {
        let tag = &rest[at..];
        let end = tag.find('>').unwrap_or(tag.len());
        found.push(&tag[..end]);
        rest = &tag[end..];
    }
    found
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    for quote in ['"', '\''] {
        let needle = format!(" {name}={quote}");
        if let Some(at) = tag.find(&needle) {
            let value = &tag[at + needle.len()..];
            let end = value.find(quote)?;
            return Some(unescape(&value[..end]));
        }
    }
    None
}

fn strip_tags(html: &str) -> String {
    let mut text = String::new();
    let mut inside = false;
    for c in html.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => text.push(c),
            _ => {}
        }
    }
    unescape(text.trim())
}

fn unescape(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Signs `email` in on one of the sandbox Zoom's own pages (`/apps`, `/meetings`).
pub async fn zoom_portal(
    app: &crate::helpers::TestApp,
    page: &str,
    email: &str,
) -> (Browser, url::Url, String) {
    let browser = Browser::new();
    let url = url::Url::parse(&app.url(&format!("/sandbox/zoom{page}"))).unwrap();
    let signin = browser.client.get(url.clone()).send().await.unwrap();
    let form = html_forms(&signin.text().await.unwrap())
        .into_iter()
        .find(|f| f.has_field("email"))
        .expect("a sign-in form");
    browser
        .client
        .post(url.join(&form.action).unwrap())
        .form(&form.submission(vec![("email".to_owned(), email.to_owned())]))
        .send()
        .await
        .unwrap();
    let html = browser
        .client
        .get(url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (browser, url, html)
}

/// Presses the form of `html` whose action ends with `action_suffix`.
pub async fn submit(
    browser: &Browser,
    url: &url::Url,
    html: &str,
    action_suffix: &str,
    fields: Vec<(String, String)>,
) {
    let form = html_forms(html)
        .into_iter()
        .find(|f| f.action.ends_with(action_suffix))
        .unwrap_or_else(|| panic!("a form posting to …{action_suffix}"));
    let response = browser
        .client
        .post(url.join(&form.action).unwrap())
        .form(&form.submission(fields))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success() || response.status().is_redirection(),
        "{}",
        response.status()
    );
}
