//! What an application (tenant) is made of: its name, where end users may be sent
//! back to, and where its webhooks go.

use url::Url;

use super::FieldError;

/// An application's display name: 1 to 200 characters, shown to end users.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplicationName(String);

impl ApplicationName {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(FieldError::new("name", "must not be empty"));
        }
        if trimmed.chars().count() > 200 {
            return Err(FieldError::new("name", "must be at most 200 characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                "must not contain control characters",
            ));
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An application's own request rate per API key: 1 to 10,000 per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit(i32);

impl RateLimit {
    pub fn parse(per_second: i64) -> Result<Self, FieldError> {
        match i32::try_from(per_second) {
            Ok(value @ 1..=10_000) => Ok(Self(value)),
            _ => Err(FieldError::new(
                "rate_limit_per_second",
                "must be a whole number from 1 to 10000",
            )),
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

/// A registered redirect URI: absolute http(s), no fragment, compared by exact match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedirectUri(String);

impl RedirectUri {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let url = absolute_http_url(raw, field)?;
        if url.fragment().is_some() {
            return Err(FieldError::new(field, "must not contain a #fragment"));
        }
        // Kept exactly as registered: redirect URIs are compared byte for byte.
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where an application receives its webhooks: an absolute http(s) URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookUrl(String);

impl WebhookUrl {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let url = absolute_http_url(raw, field)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(FieldError::new(field, "must not carry credentials"));
        }
        Ok(Self(url.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn absolute_http_url(raw: &str, field: &str) -> Result<Url, FieldError> {
    if raw.len() > 2048 {
        return Err(FieldError::new(field, "must be at most 2048 characters"));
    }
    let url = Url::parse(raw).map_err(|_| {
        FieldError::new(
            field,
            "must be an absolute URL such as https://app.example.com/callback",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(FieldError::new(field, "must be an http:// or https:// URL"));
    }
    Ok(url)
}

/// Parses a non-empty list of redirect URIs, naming the failing entry (`redirect_uris[1]`).
pub fn parse_redirect_uris(raw: &[String]) -> Result<Vec<RedirectUri>, FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new(
            "redirect_uris",
            "must list at least one URI",
        ));
    }
    if raw.len() > 20 {
        return Err(FieldError::new(
            "redirect_uris",
            "must list at most 20 URIs",
        ));
    }
    raw.iter()
        .enumerate()
        .map(|(i, uri)| RedirectUri::parse(uri, &format!("redirect_uris[{i}]")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ApplicationName::parse("  Calm  ").unwrap().as_str(), "Calm");
        assert!(ApplicationName::parse("   ").is_err());
        assert!(ApplicationName::parse(&"x".repeat(201)).is_err());
        assert!(ApplicationName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn redirect_uris_must_be_absolute_http_without_fragment() {
        assert!(RedirectUri::parse("https://app.example.com/cb?x=1", "r").is_ok());
        assert!(RedirectUri::parse("http://localhost:3000/cb", "r").is_ok());
        assert!(RedirectUri::parse("/cb", "r").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)", "r").is_err());
        assert!(RedirectUri::parse("https://app.example.com/cb#x", "r").is_err());
        let err = parse_redirect_uris(&["https://a.example/cb".into(), "nope".into()]).unwrap_err();
        assert_eq!(err.field, "redirect_uris[1]");
        assert!(parse_redirect_uris(&[]).is_err());
    }

    #[test]
    fn webhook_urls_refuse_credentials() {
        assert!(WebhookUrl::parse("https://app.example.com/hooks", "w").is_ok());
        assert!(WebhookUrl::parse("https://user:pw@app.example.com/hooks", "w").is_err());
    }
}
