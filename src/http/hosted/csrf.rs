//! Refusing form posts another site made the browser send: the `Origin` and
//! `Sec-Fetch-Site` check, and a double-submit cookie whose value every form carries.

use axum::http::{HeaderMap, header};
use axum::response::Response;
use subtle::ConstantTimeEq;
use url::Url;

use super::cookies::{self, SetCookie};
use crate::domain::UrlToken;

/// Length of a [`UrlToken`]: 32 bytes, URL-safe base64 without padding.
const TOKEN_LENGTH: usize = 43;

/// The double-submit cookie of one group of pages.
pub struct CsrfCookie {
    pub name: &'static str,
    /// The pages whose forms carry it.
    pub path: &'static str,
}

/// Why a form post was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forgery {
    /// The browser says another site sent it.
    CrossSite,
    /// The form's value is not the cookie's (an old page, or a forged form).
    TokenMismatch,
}

impl CsrfCookie {
    /// The value the browser already has, so that two open tabs both work; else a new one.
    pub fn value(&self, headers: &HeaderMap) -> String {
        cookies::read(headers, self.name)
            .filter(|value| value.len() == TOKEN_LENGTH)
            .map_or_else(|| UrlToken::generate().expose().to_owned(), str::to_owned)
    }

    /// Sets the cookie (`SameSite=Strict`: only this site's own pages post with it).
    pub fn set(&self, response: &mut Response, value: &str, max_age_seconds: i64, secure: bool) {
        cookies::set(
            response,
            &SetCookie {
                name: self.name,
                value,
                path: self.path,
                same_site: "Strict",
                max_age_seconds,
                secure,
            },
        );
    }

    /// Checks a form post: sent by a page of this site, carrying the cookie's value.
    pub fn check(
        &self,
        public_url: &Url,
        headers: &HeaderMap,
        submitted: &str,
    ) -> Result<(), Forgery> {
        if is_cross_site(public_url, headers) {
            return Err(Forgery::CrossSite);
        }
        let cookie = cookies::read(headers, self.name).unwrap_or("");
        let matches: bool = cookie.as_bytes().ct_eq(submitted.as_bytes()).into();
        if !matches || cookie.is_empty() {
            return Err(Forgery::TokenMismatch);
        }
        Ok(())
    }
}

/// Whether the browser says another site made it send this request.
fn is_cross_site(public_url: &Url, headers: &HeaderMap) -> bool {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| site == "cross-site");
    let foreign_origin = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|origin| {
            origin != "null" && origin != public_url.origin().ascii_serialization()
        });
    cross_site || foreign_origin
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const PAGES: CsrfCookie = CsrfCookie {
        name: "t_csrf",
        path: "/t",
    };

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn a_post_from_this_site_with_the_cookies_value_passes() {
        let hub = Url::parse("https://hub.example.com").unwrap();
        let token = "a".repeat(43);
        let sent = headers(&[
            ("cookie", &format!("t_csrf={token}")),
            ("origin", "https://hub.example.com"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(PAGES.check(&hub, &sent, &token), Ok(()));
        assert_eq!(PAGES.value(&sent), token);
    }

    #[test]
    fn foreign_origins_cross_site_posts_and_wrong_values_are_refused() {
        let hub = Url::parse("https://hub.example.com").unwrap();
        let cookie = format!("t_csrf={}", "a".repeat(43));
        let foreign = headers(&[("cookie", &cookie), ("origin", "https://evil.example")]);
        assert_eq!(
            PAGES.check(&hub, &foreign, &"a".repeat(43)),
            Err(Forgery::CrossSite)
        );
        let cross = headers(&[("cookie", &cookie), ("sec-fetch-site", "cross-site")]);
        assert_eq!(
            PAGES.check(&hub, &cross, &"a".repeat(43)),
            Err(Forgery::CrossSite)
        );
        let wrong = headers(&[("cookie", &cookie)]);
        assert_eq!(
            PAGES.check(&hub, &wrong, "guessed"),
            Err(Forgery::TokenMismatch)
        );
        assert_eq!(
            PAGES.check(&hub, &HeaderMap::new(), ""),
            Err(Forgery::TokenMismatch)
        );
    }

    #[test]
    fn a_missing_or_malformed_cookie_gets_a_new_value() {
        let odd = headers(&[("cookie", "t_csrf=short")]);
        let value = PAGES.value(&odd);
        assert_eq!(value.len(), 43);
        assert_ne!(value, "short");
    }
}
