//! Email addresses as the hub accepts them: what mail systems and Zoom take.

use super::FieldError;

/// An email address: `local@domain`, at most 254 characters, no spaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new(field, "must be an email address such as pat@example.org");
        let raw = raw.trim();
        if raw.len() > 254 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = raw.rsplit_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with(['.', '-'])
            && !domain.ends_with(['.', '-'])
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_are_accepted_with_the_domain_lowercased() {
        let email = EmailAddress::parse(" Pat.Doe+zoom@Example.ORG ", "email").unwrap();
        assert_eq!(email.as_str(), "Pat.Doe+zoom@example.org");
    }

    #[test]
    fn malformed_addresses_name_the_field() {
        for bad in [
            "",
            "pat",
            "pat@",
            "@example.org",
            "pat@localhost",
            "p at@example.org",
            "a@b@c.org",
            "pat@.example.org",
            "pat@example..org",
        ] {
            let error = EmailAddress::parse(bad, "attendees[0].email").unwrap_err();
            assert_eq!(error.field, "attendees[0].email", "{bad}");
        }
    }
}
