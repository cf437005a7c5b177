//! When an event happens: two instants, the end after the start.

use jiff::{SignedDuration, Timestamp};

use crate::domain::FieldError;

/// The longest event the hub accepts.
const LONGEST: SignedDuration = SignedDuration::from_hours(24);

/// An event's start and end: the end after the start, at most 24 hours apart.
///
/// Both are instants, so the window means the same thing in every time zone
/// and across daylight-saving changes; the event's [`super::TimeZone`] only
/// says how to show it and how it repeats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventWindow {
    start: Timestamp,
    end: Timestamp,
}

impl EventWindow {
    /// Parses `start` and `end`, reporting each under its own field.
    pub fn parse(start: &str, end: &str) -> Result<Self, Vec<FieldError>> {
        let parsed = (parse_instant(start, "start"), parse_instant(end, "end"));
        let (start, end) = match parsed {
            (Ok(start), Ok(end)) => (start, end),
            (start, end) => return Err([start.err(), end.err()].into_iter().flatten().collect()),
        };
        if end <= start {
            return Err(vec![FieldError::new("end", "must be after start")]);
        }
        if end.duration_since(start) > LONGEST {
            return Err(vec![FieldError::new(
                "end",
                "must be at most 24 hours after start",
            )]);
        }
        Ok(Self { start, end })
    }

    pub fn start(&self) -> Timestamp {
        self.start
    }

    pub fn end(&self) -> Timestamp {
        self.end
    }

    /// How long the event lasts: positive and at most 24 hours.
    pub fn duration(&self) -> SignedDuration {
        self.end.duration_since(self.start)
    }
}

/// An RFC 3339 date-time with an offset, such as `2026-12-01T15:00:00Z` or
/// `2026-12-01T16:00:00+01:00`: seconds required, fractions kept.
///
/// Checked for RFC 3339's shape before jiff reads it, because jiff also takes
/// ISO 8601's basic format and a trailing `[Zone/Name]` annotation, and an
/// annotation that disagrees with `tzid` must not slip in unnoticed.
pub(super) fn parse_instant(raw: &str, field: &str) -> Result<Timestamp, FieldError> {
    let invalid = || {
        FieldError::new(
            field,
            "must be an RFC 3339 date-time with an offset, such as 2026-12-01T15:00:00Z",
        )
    };
    if !has_rfc3339_shape(raw) {
        return Err(invalid());
    }
    raw.parse().map_err(|_| invalid())
}

/// `YYYY-MM-DD(T|t| )hh:mm:ss[.fraction](Z|z|±hh:mm)`, digits where digits belong.
fn has_rfc3339_shape(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let pattern = b"dddd-dd-ddTdd:dd:dd";
    if bytes.len() < pattern.len() {
        return false;
    }
    let (date_time, rest) = bytes.split_at(pattern.len());
    let date_time_ok = pattern
        .iter()
        .zip(date_time)
        .all(|(expected, byte)| match expected {
            b'd' => byte.is_ascii_digit(),
            b'T' => matches!(byte, b'T' | b't' | b' '),
            other => byte == other,
        });
    let offset = match rest.strip_prefix(b".") {
        Some(fraction) => {
            let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if digits == 0 {
                return false;
            }
            &fraction[digits..]
        }
        None => rest,
    };
    let offset_ok = match offset {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    date_time_ok && offset_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_keeps_both_instants_whatever_offsets_they_were_written_in() {
        let window =
            EventWindow::parse("2026-12-01T16:00:00+01:00", "2026-12-01T15:50:00Z").unwrap();
        assert_eq!(window.start().to_string(), "2026-12-01T15:00:00Z");
        assert_eq!(window.duration(), SignedDuration::from_mins(50));
    }

    #[test]
    fn the_end_must_come_after_the_start() {
        for end in ["2026-12-01T15:00:00Z", "2026-12-01T14:00:00Z"] {
            let errors = EventWindow::parse("2026-12-01T15:00:00Z", end).unwrap_err();
            assert_eq!(errors, vec![FieldError::new("end", "must be after start")]);
        }
    }

    #[test]
    fn an_event_lasts_at_most_a_day() {
        assert!(EventWindow::parse("2026-12-01T15:00:00Z", "2026-12-02T15:00:00Z").is_ok());
        let errors =
            EventWindow::parse("2026-12-01T15:00:00Z", "2026-12-02T15:00:01Z").unwrap_err();
        assert_eq!(errors[0].field, "end");
        assert!(errors[0].message.contains("24 hours"));
    }

    #[test]
    fn both_unreadable_times_are_reported() {
        let errors = EventWindow::parse("tomorrow", "2026-12-01T15:00:00").unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["start", "end"]);
    }

    #[test]
    fn only_rfc_3339_with_an_offset_is_read() {
        for good in [
            "2026-12-01T15:00:00Z",
            "2026-12-01t15:00:00z",
            "2026-12-01 15:00:00Z",
            "2026-12-01T15:00:00.250+01:00",
            "2026-12-01T15:00:00-05:00",
        ] {
            assert!(parse_instant(good, "start").is_ok(), "{good}");
        }
        for bad in [
            "",
            "2026-12-01T15:00:00",
            "2026-12-01T15:00Z",
            "20261201T150000Z",
            "2026-12-01T15:00:00+01:00[America/New_York]",
            "2026-12-01T15:00:00.Z",
            "2026-12-01T15:00:00+0100",
            "2026-13-01T15:00:00Z",
            "2026-02-30T15:00:00Z",
            "2026-12-01T15:00:00Zé",
            "２０２６-12-01T15:00:00Z",
        ] {
            let error = parse_instant(bad, "recurrence.until").unwrap_err();
            assert_eq!(error.field, "recurrence.until", "{bad}");
        }
    }
}
