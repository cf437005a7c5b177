//! A field an update may leave alone, clear or set: JSON's absent, `null` and value.

use serde::{Deserialize, Deserializer};

/// What an update asks of one optional field. In a body deserialized with
/// `#[serde(default)]` on the field, a missing field is [`Patch::Absent`],
/// `null` is [`Patch::Remove`] and any other value is [`Patch::Set`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// The field was not sent: keep what is there.
    #[default]
    Absent,
    /// The field was `null`: remove what is there.
    Remove,
    /// The field was given.
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// Only called when the field is present, so only `null` or a value is seen here.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Self::Remove,
            Some(value) => Self::Set(value),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Body {
        #[serde(default)]
        field: Patch<u32>,
    }

    fn field(json: &str) -> Patch<u32> {
        serde_json::from_str::<Body>(json).unwrap().field
    }

    #[test]
    fn a_missing_field_is_absent_null_is_remove_and_a_value_is_set() {
        assert_eq!(field("{}"), Patch::Absent);
        assert_eq!(field(r#"{"field": null}"#), Patch::Remove);
        assert_eq!(field(r#"{"field": 7}"#), Patch::Set(7));
    }

    #[test]
    fn a_value_of_the_wrong_type_is_still_an_error() {
        assert!(serde_json::from_str::<Body>(r#"{"field": "seven"}"#).is_err());
    }
}
