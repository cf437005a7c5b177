//! The event's IANA time zone.

use crate::domain::FieldError;

/// An IANA time zone name found in jiff's bundled time zone database, such as
/// `Europe/Ljubljana`.
///
/// The name is kept as the database spells it: the lookup ignores case, and
/// an alias (`US/Eastern`) stays that alias rather than becoming its target.
/// Fixed offsets (`+01:00`) are refused: they know nothing of daylight saving,
/// so a repeating meeting would drift by an hour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeZone {
    name: String,
    zone: jiff::tz::TimeZone,
}

impl TimeZone {
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let zone = jiff::tz::db().get(raw).map_err(|_| {
            FieldError::new(
                "tzid",
                "must be an IANA time zone name such as Europe/Ljubljana",
            )
        })?;
        let name = zone.iana_name().unwrap_or(raw).to_owned();
        Ok(Self { name, zone })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone's rules, to find local dates and weekdays.
    pub fn zone(&self) -> &jiff::tz::TimeZone {
        &self.zone
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_zones_keep_their_name() {
        assert_eq!(
            TimeZone::parse("Europe/Ljubljana").unwrap().name(),
            "Europe/Ljubljana"
        );
        assert_eq!(
            TimeZone::parse("europe/ljubljana").unwrap().name(),
            "Europe/Ljubljana"
        );
        assert_eq!(TimeZone::parse("US/Eastern").unwrap().name(), "US/Eastern");
    }

    #[test]
    fn unknown_zones_and_offsets_are_refused_on_tzid() {
        for bad in [
            "",
            "Mars/Olympus_Mons",
            "+01:00",
            "CEST",
            " Europe/Ljubljana",
        ] {
            assert_eq!(TimeZone::parse(bad).unwrap_err().field, "tzid", "{bad}");
        }
    }
}
