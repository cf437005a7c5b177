//! What an event is called and what it says: within Zoom's topic and agenda limits.

use crate::domain::FieldError;

/// The event's title, trimmed: 1 to 200 characters (Zoom's topic limit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary(String);

impl Summary {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let trimmed = raw.trim();
        match trimmed.chars().count() {
            0 => Err(FieldError::new("summary", "must not be empty")),
            1..=200 => Ok(Self(trimmed.to_owned())),
            _ => Err(FieldError::new("summary", "must be at most 200 characters")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The event's description, kept exactly as given: at most 2000 characters
/// (Zoom's agenda limit), so it is never cut on its way to Zoom.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: String) -> Result<Self, FieldError> {
        if raw.chars().count() > 2000 {
            return Err(FieldError::new(
                "description",
                "must be at most 2000 characters",
            ));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            Summary::parse("  Therapy session ").unwrap().as_str(),
            "Therapy session"
        );
        assert!(Summary::parse(&"č".repeat(200)).is_ok());
        assert_eq!(Summary::parse("   ").unwrap_err().field, "summary");
        assert_eq!(
            Summary::parse(&"x".repeat(201)).unwrap_err().field,
            "summary"
        );
    }

    #[test]
    fn descriptions_are_kept_whole_up_to_zooms_limit() {
        let long = format!(" {}\n", "ž".repeat(1998));
        assert_eq!(Description::parse(long.clone()).unwrap().as_str(), long);
        assert_eq!(
            Description::parse("x".repeat(2001)).unwrap_err().field,
            "description"
        );
    }
}
