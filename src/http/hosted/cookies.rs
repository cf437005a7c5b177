//! The few cookies hosted pages set: HttpOnly, SameSite, Secure behind HTTPS.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use url::Url;

/// A cookie to set.
pub struct SetCookie<'a> {
    pub name: &'a str,
    pub value: &'a str,
    pub path: &'a str,
    /// `Strict` or `Lax`.
    pub same_site: &'a str,
    pub max_age_seconds: i64,
    pub secure: bool,
}

impl SetCookie<'_> {
    /// The `Set-Cookie` header value.
    pub fn header(&self) -> String {
        format!(
            "{}={}; Path={}; Max-Age={}; HttpOnly; SameSite={}{}",
            self.name,
            self.value,
            self.path,
            self.max_age_seconds.max(0),
            self.same_site,
            if self.secure { "; Secure" } else { "" }
        )
    }
}

/// Adds `cookie` to the response.
pub fn set(response: &mut Response, cookie: &SetCookie<'_>) {
    if let Ok(value) = HeaderValue::from_str(&cookie.header()) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// Whether cookies must be `Secure`: the hub is reached over HTTPS.
pub fn secure_for(public_url: &Url) -> bool {
    public_url.scheme() == "https"
}

/// The value of the named cookie the browser sent.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; convene_csrf=xyz; b=2"),
        );
        assert_eq!(read(&headers, "convene_csrf"), Some("xyz"));
        assert_eq!(read(&headers, "missing"), None);
    }

    #[test]
    fn set_cookie_is_http_only_and_secure_when_asked() {
        let cookie = SetCookie {
            name: "n",
            value: "v",
            path: "/connect",
            same_site: "Strict",
            max_age_seconds: 60,
            secure: true,
        };
        assert_eq!(
            cookie.header(),
            "n=v; Path=/connect; Max-Age=60; HttpOnly; SameSite=Strict; Secure"
        );
    }
}
