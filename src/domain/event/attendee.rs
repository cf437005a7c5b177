//! Who the event invites, and how the API shows them back.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::domain::{EmailAddress, FieldError};

/// Most attendees an event may have.
const MOST_ATTENDEES: usize = 100;
/// Longest attendee name, in characters.
const LONGEST_NAME: usize = 200;

/// One entry of the request's `attendees`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendeeInput {
    pub email: String,
    pub name: Option<String>,
}

/// An invited person: an email address and, when given, a trimmed name of at
/// most 200 characters (a blank name counts as none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attendee {
    email: EmailAddress,
    name: Option<String>,
}

impl Attendee {
    pub fn email(&self) -> &EmailAddress {
        &self.email
    }
}

/// Parses the attendee list: at most 100, each address once (Zoom would
/// invite a repeated address once, and the event must say what the meeting has).
pub(super) fn parse_attendees(
    inputs: Vec<AttendeeInput>,
) -> Result<Vec<Attendee>, Vec<FieldError>> {
    if inputs.len() > MOST_ATTENDEES {
        return Err(vec![FieldError::new(
            "attendees",
            format!("must have at most {MOST_ATTENDEES} attendees"),
        )]);
    }
    let mut attendees: Vec<Attendee> = Vec::with_capacity(inputs.len());
    let mut errors = Vec::new();
    for (index, input) in inputs.into_iter().enumerate() {
        let email_field = format!("attendees[{index}].email");
        let email = match EmailAddress::parse(&input.email, &email_field) {
            Ok(email) if attendees.iter().any(|a| a.email == email) => {
                errors.push(FieldError::new(email_field, "is already an attendee"));
                None
            }
            Ok(email) => Some(email),
            Err(error) => {
                errors.push(error);
                None
            }
        };
        let name = input
            .name
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        if name
            .as_ref()
            .is_some_and(|name| name.chars().count() > LONGEST_NAME)
        {
            errors.push(FieldError::new(
                format!("attendees[{index}].name"),
                format!("must be at most {LONGEST_NAME} characters"),
            ));
            continue;
        }
        if let Some(email) = email {
            attendees.push(Attendee { email, name });
        }
    }
    if errors.is_empty() {
        Ok(attendees)
    } else {
        Err(errors)
    }
}

/// The attendees as the request writes them: `[{email, name}]`.
pub(super) fn attendees_json(attendees: &[Attendee]) -> Value {
    attendees
        .iter()
        .map(|attendee| json!({"email": attendee.email.as_str(), "name": attendee.name}))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(email: &str, name: Option<&str>) -> AttendeeInput {
        AttendeeInput {
            email: email.to_owned(),
            name: name.map(str::to_owned),
        }
    }

    fn fields(errors: Vec<FieldError>) -> Vec<String> {
        errors.into_iter().map(|error| error.field).collect()
    }

    #[test]
    fn attendees_parse_and_show_back_in_the_request_shape() {
        let attendees = parse_attendees(vec![
            input("Pat@Example.org", Some("  Pat ")),
            input("sam@example.org", Some(" ")),
            input("kim@example.org", None),
        ])
        .unwrap();
        assert_eq!(
            attendees_json(&attendees),
            json!([
                {"email": "Pat@example.org", "name": "Pat"},
                {"email": "sam@example.org", "name": null},
                {"email": "kim@example.org", "name": null},
            ])
        );
    }

    #[test]
    fn every_bad_attendee_is_named_by_its_index() {
        let errors = parse_attendees(vec![
            input("pat@example.org", None),
            input("not an email", None),
            input("pat@example.org", None),
            input("kim@example.org", Some(&"k".repeat(201))),
        ])
        .unwrap_err();
        assert_eq!(
            fields(errors),
            [
                "attendees[1].email",
                "attendees[2].email",
                "attendees[3].name"
            ]
        );
    }

    #[test]
    fn at_most_a_hundred_attendees() {
        let many = |n: usize| {
            (0..n)
                .map(|i| input(&format!("a{i}@example.org"), None))
                .collect()
        };
        assert_eq!(parse_attendees(many(100)).unwrap().len(), 100);
        assert_eq!(
            fields(parse_attendees(many(101)).unwrap_err()),
            ["attendees"]
        );
    }
}
