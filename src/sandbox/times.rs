//! Zoom's date-time formats on the wire.

use jiff::Timestamp;
use jiff::civil::DateTime;

/// `yyyy-MM-ddTHH:mm:ssZ`, the only form Zoom answers with.
pub(crate) fn zoom_time(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// RFC 3339 in UTC with milliseconds, as in `deauthorization_time`.
pub(crate) fn zoom_time_millis(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// Parses `yyyy-MM-ddTHH:mm:ssZ`.
pub(crate) fn parse_utc(text: &str) -> Option<Timestamp> {
    let local = text.strip_suffix('Z')?;
    Some(
        parse_local(local)?
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp(),
    )
}

/// Parses the local form `yyyy-MM-ddTHH:mm:ss`.
pub(crate) fn parse_local(text: &str) -> Option<DateTime> {
    DateTime::strptime("%Y-%m-%dT%H:%M:%S", text).ok()
}
