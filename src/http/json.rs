//! The JSON body extractor: its rejections are our problem+json, with syntax
//! errors as 400 `invalid_request` and type or missing-field errors as 422
//! `validation_failed` naming the field.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::problem::ApiError;

/// A JSON request body of type `T`.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !has_json_content_type(&request) {
            return Err(ApiError::InvalidRequest(
                "Send the body as JSON with `Content-Type: application/json`.".to_owned(),
            ));
        }
        let limit = request
            .extensions()
            .get::<BodyLimit>()
            .map_or(usize::MAX, |limit| limit.0);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::PayloadTooLarge { limit }
                } else {
                    ApiError::InvalidRequest(rejection.body_text())
                }
            })?;
        parse(&bytes).map(ApiJson)
    }
}

/// The body limit in force, recorded for the error message.
#[derive(Clone, Copy)]
pub struct BodyLimit(pub usize);

fn has_json_content_type(request: &Request) -> bool {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return false;
    };
    let Ok(value) = value.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    // serde would read a struct from an array too; every body we take is an object.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok()
    {
        return Err(ApiError::field("body", "must be a JSON object"));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.classify() != serde_json::error::Category::Data {
            return ApiError::InvalidRequest(format!("The body is not valid JSON: {inner}."));
        }
        let message = strip_position(&inner.to_string());
        ApiError::field(field_name(&path, &message), message)
    })?;
    deserializer.end().map_err(|_| {
        ApiError::InvalidRequest("The body has data after the JSON value.".to_owned())
    })?;
    Ok(value)
}

/// serde names a missing field only in its message, at the parent's path.
fn field_name(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(field)) => field.to_owned(),
        (parent, Some(field)) => format!("{parent}.{field}"),
        (".", None) => "body".to_owned(),
        (path, None) => path.to_owned(),
    }
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        inner: Option<Inner>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        count: u32,
    }

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected validation, got {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_invalid_requests() {
        assert!(matches!(
            parse::<Body>(b"{"),
            Err(ApiError::InvalidRequest(_))
        ));
        assert!(matches!(
            parse::<Body>(br#"{"name":"a"} x"#),
            Err(ApiError::InvalidRequest(_))
        ));
    }

    #[test]
    fn data_errors_name_the_field() {
        assert_eq!(fields(parse::<Body>(b"{}").unwrap_err()), ["name"]);
        assert_eq!(
            fields(parse::<Body>(br#"{"name": 5}"#).unwrap_err()),
            ["name"]
        );
        assert_eq!(
            fields(parse::<Body>(br#"{"name":"a","inner":{"count":"x"}}"#).unwrap_err()),
            ["inner.count"]
        );
        assert_eq!(
            fields(parse::<Body>(br#"{"name":"a","inner":{}}"#).unwrap_err()),
            ["inner.count"]
        );
        assert_eq!(fields(parse::<Body>(b"[]").unwrap_err()), ["body"]);
    }
}
