//! Zoom's validation errors (`400 {"code":300,"message":"Validation Failed.","errors":[…]}`) and
//! a reader that takes typed fields out of a JSON object, noting each bad one.

use serde::Serialize;
use serde_json::{Map, Value};

/// One entry of a validation error's `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FieldError {
    pub(crate) field: String,
    pub(crate) message: String,
}

/// Reads the fields of one JSON object whose fields are named `{prefix}{key}` in errors.
pub(crate) struct Reader<'o, 'e> {
    object: &'o Map<String, Value>,
    prefix: &'static str,
    errors: &'e mut Vec<FieldError>,
}

impl<'o, 'e> Reader<'o, 'e> {
    pub(crate) fn new(
        object: &'o Map<String, Value>,
        prefix: &'static str,
        errors: &'e mut Vec<FieldError>,
    ) -> Self {
        Self {
            object,
            prefix,
            errors,
        }
    }

    /// Notes an error on `key`.
    pub(crate) fn fail(&mut self, key: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: format!("{}{key}", self.prefix),
            message: message.into(),
        });
    }

    /// The raw value, `None` when absent or null.
    pub(crate) fn value(&self, key: &str) -> Option<&'o Value> {
        self.object.get(key).filter(|value| !value.is_null())
    }

    pub(crate) fn string(&mut self, key: &str) -> Option<String> {
        match self.value(key)? {
            Value::String(text) => Some(text.clone()),
            _ => self.invalid(key),
        }
    }

    pub(crate) fn integer(&mut self, key: &str) -> Option<i64> {
        match self.value(key)?.as_i64() {
            Some(number) => Some(number),
            None => self.invalid(key),
        }
    }

    pub(crate) fn boolean(&mut self, key: &str) -> Option<bool> {
        match self.value(key)? {
            Value::Bool(flag) => Some(*flag),
            _ => self.invalid(key),
        }
    }

    pub(crate) fn object(&mut self, key: &str) -> Option<&'o Map<String, Value>> {
        match self.value(key)? {
            Value::Object(object) => Some(object),
            _ => self.invalid(key),
        }
    }

    /// An integer that must lie in `range`.
    pub(crate) fn integer_in(
        &mut self,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let number = self.integer(key)?;
        if range.contains(&number) {
            Some(number)
        } else {
            let message = format!("Must be between {} and {}.", range.start(), range.end());
            self.fail(key, message);
            None
        }
    }

    /// An integer that must be one of `allowed`.
    pub(crate) fn integer_of(&mut self, key: &str, allowed: &[i64]) -> Option<i64> {
        let number = self.integer(key)?;
        if allowed.contains(&number) {
            Some(number)
        } else {
            self.invalid(key)
        }
    }

    /// A string that must be one of `allowed`.
    pub(crate) fn string_of(&mut self, key: &str, allowed: &[&str]) -> Option<String> {
        let text = self.string(key)?;
        if allowed.contains(&text.as_str()) {
            Some(text)
        } else {
            self.invalid(key)
        }
    }

    fn invalid<T>(&mut self, key: &str) -> Option<T> {
        self.fail(key, "Invalid field.");
        None
    }
}
