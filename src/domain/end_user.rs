//! The application's own identifier for one of its end users.

use super::FieldError;

/// An application's id for its end user: 1 to 255 printable characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndUserId(String);

impl EndUserId {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.is_empty() || raw.len() > 255 {
            return Err(FieldError::new(
                "end_user_id",
                "must be 1 to 255 characters",
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                "end_user_id",
                "must not contain control characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_user_ids_are_bounded_and_printable() {
        assert!(EndUserId::parse("therapist-42").is_ok());
        assert!(EndUserId::parse("").is_err());
        assert!(EndUserId::parse(&"x".repeat(256)).is_err());
        assert!(EndUserId::parse("a\nb").is_err());
    }
}
