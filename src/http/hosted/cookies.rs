//! The few cookies hosted pages set: HttpOnly, SameSite, Secure behind HTTPS.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

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
    use axum::http::HeaderValue;

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
