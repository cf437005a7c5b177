//! Events as applications write them: the body of `PUT /v1/events/{event_id}`
//! parsed once, at the edge, into an [`EventSpec`] nothing downstream re-checks.
//!
//! Parsing reports every problem at once, each as a [`FieldError`] named by
//! its JSON path (`end`, `attendees[1].email`, `recurrence.interval`,
//! `conferencing.settings.passcode`), so an application fixes a body in one
//! round. The spec's parts show back as JSON in the request's own shape, for
//! the store to keep and the API to echo; that JSON parses again into the
//! same spec.

mod attendee;
mod conferencing;
mod patch;
mod recurrence;
mod summary;
mod time_zone;
mod window;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::Value;

pub use attendee::{Attendee, AttendeeInput};
pub use conferencing::{
    AutoRecording, Conferencing, ConferencingInput, Settings, SettingsInput, ZoomPasscode,
};
pub use patch::Patch;
pub use recurrence::{Pattern, Recurrence, RecurrenceEnd, RecurrenceInput};
pub use summary::{Description, Summary};
pub use time_zone::TimeZone;
pub use window::EventWindow;

use super::{EndUserId, FieldError};

/// The raw JSON body of `PUT /v1/events/{event_id}`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    pub end_user_id: String,
    pub summary: String,
    pub description: Option<String>,
    pub start: String,
    pub end: String,
    pub tzid: String,
    #[serde(default)]
    pub attendees: Vec<AttendeeInput>,
    pub recurrence: Option<RecurrenceInput>,
    /// Absent leaves the event's meeting as it is, `null` removes it, an
    /// object sets it.
    #[serde(default)]
    pub conferencing: Patch<ConferencingInput>,
}

/// An event, parsed and valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventSpec {
    /// The end user whose Zoom account hosts the meeting.
    pub host: EndUserId,
    pub summary: Summary,
    pub description: Option<Description>,
    pub window: EventWindow,
    pub time_zone: TimeZone,
    pub attendees: Vec<Attendee>,
    pub recurrence: Option<Recurrence>,
    pub conferencing: Patch<Conferencing>,
}

impl EventInput {
    /// Parses the body as of `now`, collecting every error.
    ///
    /// Beyond each field's own rules: a start in the past is refused when the
    /// body sets conferencing, recurring or not (there is no meeting to hold in
    /// the past; a body that leaves conferencing absent or removes it may
    /// describe a past event), and a recurrence is read against the start in
    /// the event's time zone.
    pub fn parse(self, now: Timestamp) -> Result<EventSpec, Vec<FieldError>> {
        let mut errors = Errors::default();
        let host = errors.check(EndUserId::parse(&self.end_user_id));
        let summary = errors.check(Summary::parse(&self.summary));
        let description = match self.description {
            Some(raw) => errors.check(Description::parse(raw)).map(Some),
            None => Some(None),
        };
        let window = errors.check_all(EventWindow::parse(&self.start, &self.end));
        let time_zone = errors.check(TimeZone::parse(&self.tzid));
        let attendees = errors.check_all(attendee::parse_attendees(self.attendees));
        let local_start = window
            .zip(time_zone.as_ref())
            .map(|(window, time_zone)| window.start().to_zoned(time_zone.zone().clone()));
        let recurrence = match self.recurrence {
            Some(input) => errors
                .check_all(input.parse(local_start.as_ref()))
                .map(Some),
            None => Some(None),
        };
        let conferencing = match self.conferencing {
            Patch::Absent => Some(Patch::Absent),
            Patch::Remove => Some(Patch::Remove),
            Patch::Set(input) => {
                if window.is_some_and(|window| window.start() < now) {
                    errors.push(FieldError::new(
                        "start",
                        "conferencing cannot be added to an event in the past",
                    ));
                }
                errors.check_all(input.parse()).map(Patch::Set)
            }
        };
        let spec = (|| {
            Some(EventSpec {
                host: host?,
                summary: summary?,
                description: description?,
                window: window?,
                time_zone: time_zone?,
                attendees: attendees?,
                recurrence: recurrence?,
                conferencing: conferencing?,
            })
        })();
        errors.finish(spec)
    }
}

impl EventSpec {
    /// `attendees` as the request writes them: `[{email, name}]`.
    pub fn attendees_json(&self) -> Value {
        attendee::attendees_json(&self.attendees)
    }

    /// `recurrence` as the request writes it, every field present and `by_day`
    /// as it applies; `None` for an event that does not repeat.
    pub fn recurrence_json(&self) -> Option<Value> {
        self.recurrence.as_ref().map(Recurrence::to_json)
    }

    /// `conferencing` as the request writes it (`provider`, `settings`,
    /// `schedule_for`), when the body set it.
    pub fn conferencing_json(&self) -> Option<Value> {
        match &self.conferencing {
            Patch::Set(conferencing) => Some(conferencing.to_json()),
            Patch::Absent | Patch::Remove => None,
        }
    }
}

/// The errors found so far while parsing one body.
#[derive(Default)]
struct Errors(Vec<FieldError>);

impl Errors {
    fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// The value, or `None` with its error kept.
    fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// The value, or `None` with its errors kept.
    fn check_all<T>(&mut self, result: Result<T, Vec<FieldError>>) -> Option<T> {
        result.map_err(|errors| self.0.extend(errors)).ok()
    }

    /// The parsed value if nothing went wrong, else every error found.
    fn finish<T>(self, value: Option<T>) -> Result<T, Vec<FieldError>> {
        match value {
            Some(value) if self.0.is_empty() => Ok(value),
            _ => Err(self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn now() -> Timestamp {
        "2026-11-22T10:00:00Z".parse().unwrap()
    }

    /// The contract's example body.
    fn example() -> Value {
        json!({
            "end_user_id": "therapist-42",
            "summary": "Therapy session",
            "description": "optional",
            "start": "2026-12-01T15:00:00Z",
            "end": "2026-12-01T15:50:00Z",
            "tzid": "Europe/Ljubljana",
            "attendees": [{"email": "pat@example.org", "name": "Pat"}],
            "recurrence": {"frequency": "weekly", "interval": 1, "by_day": ["TU"], "count": 6},
            "conferencing": {"provider": "zoom",
                             "settings": {"waiting_room": true, "join_before_host": false,
                                          "mute_upon_entry": true, "auto_recording": "none",
                                          "passcode": "a1b2c3"}}
        })
    }

    fn input(body: Value) -> EventInput {
        serde_json::from_value(body).unwrap()
    }

    fn parse(body: Value) -> Result<EventSpec, Vec<FieldError>> {
        input(body).parse(now())
    }

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|error| error.field.as_str()).collect()
    }

    #[test]
    fn the_contract_example_parses() {
        let spec = parse(example()).unwrap();
        assert_eq!(spec.host.as_str(), "therapist-42");
        assert_eq!(spec.summary.as_str(), "Therapy session");
        assert_eq!(spec.time_zone.name(), "Europe/Ljubljana");
        assert_eq!(spec.window.start().to_string(), "2026-12-01T15:00:00Z");
        assert!(matches!(spec.conferencing, Patch::Set(_)));
    }

    #[test]
    fn each_part_shows_back_in_the_request_shape_and_parses_to_the_same_event() {
        let spec = parse(example()).unwrap();
        let mut shown = example();
        shown["attendees"] = spec.attendees_json();
        shown["recurrence"] = spec.recurrence_json().unwrap();
        shown["conferencing"] = spec.conferencing_json().unwrap();
        assert_eq!(shown["attendees"], example()["attendees"]);
        assert_eq!(
            shown["recurrence"],
            json!({"frequency": "weekly", "interval": 1, "by_day": ["TU"], "count": 6, "until": null})
        );
        assert_eq!(
            shown["conferencing"]["settings"],
            example()["conferencing"]["settings"]
        );
        assert_eq!(shown["conferencing"]["schedule_for"], Value::Null);
        assert_eq!(parse(shown).unwrap(), spec);
    }

    #[test]
    fn conferencing_absent_null_and_object_are_three_different_things() {
        let mut body = example();
        body.as_object_mut().unwrap().remove("conferencing");
        let spec = parse(body.clone()).unwrap();
        assert_eq!(spec.conferencing, Patch::Absent);
        assert_eq!(spec.conferencing_json(), None);
        body["conferencing"] = Value::Null;
        let spec = parse(body.clone()).unwrap();
        assert_eq!(spec.conferencing, Patch::Remove);
        assert_eq!(spec.conferencing_json(), None);
        body["conferencing"] = json!({"provider": "zoom"});
        assert!(matches!(parse(body).unwrap().conferencing, Patch::Set(_)));
    }

    #[test]
    fn a_start_in_the_past_is_refused_only_when_conferencing_is_set() {
        let mut body = example();
        body["start"] = json!("2026-11-22T09:00:00Z");
        body["end"] = json!("2026-11-22T09:50:00Z");
        body["recurrence"] = Value::Null;
        let errors = parse(body.clone()).unwrap_err();
        assert_eq!(
            errors,
            [FieldError::new(
                "start",
                "conferencing cannot be added to an event in the past"
            )]
        );
        body["conferencing"] = Value::Null;
        assert!(parse(body.clone()).is_ok());
        body.as_object_mut().unwrap().remove("conferencing");
        assert!(parse(body).is_ok());
    }

    #[test]
    fn every_error_in_a_body_is_reported_under_its_path() {
        let body = json!({
            "end_user_id": "",
            "summary": " ",
            "description": "d".repeat(2001),
            "start": "2026-12-01T15:00:00Z",
            "end": "2026-12-01T14:00:00Z",
            "tzid": "Europe/Atlantis",
            "attendees": [{"email": "pat@example.org"}, {"email": "nobody", "name": "N"}],
            "recurrence": {"frequency": "yearly", "interval": 0, "count": 61},
            "conferencing": {"provider": "meet", "settings": {"passcode": "no spaces", "auto_recording": "yes"},
                             "schedule_for": "x"}
        });
        let errors = parse(body).unwrap_err();
        assert_eq!(
            fields(&errors),
            [
                "end_user_id",
                "summary",
                "description",
                "end",
                "tzid",
                "attendees[1].email",
                "recurrence.frequency",
                "recurrence.interval",
                "recurrence.count",
                "conferencing.provider",
                "conferencing.settings.auto_recording",
                "conferencing.settings.passcode",
                "conferencing.schedule_for",
            ]
        );
    }

    #[test]
    fn a_recurrence_is_not_blamed_for_a_bad_start_or_zone() {
        let mut body = example();
        body["tzid"] = json!("Nowhere/Special");
        assert_eq!(fields(&parse(body).unwrap_err()), ["tzid"]);
        let mut body = example();
        body["start"] = json!("soon");
        assert_eq!(fields(&parse(body).unwrap_err()), ["start"]);
    }

    #[test]
    fn unknown_fields_are_not_accepted() {
        let mut body = example();
        body["colour"] = json!("blue");
        assert!(serde_json::from_value::<EventInput>(body).is_err());
        let mut body = example();
        body["recurrence"]["byday"] = json!(["TU"]);
        assert!(serde_json::from_value::<EventInput>(body).is_err());
    }

    #[test]
    fn attendees_and_recurrence_may_be_left_out() {
        let mut body = example();
        let object = body.as_object_mut().unwrap();
        object.remove("attendees");
        object.remove("recurrence");
        object.remove("description");
        let spec = parse(body).unwrap();
        assert_eq!(spec.attendees_json(), json!([]));
        assert_eq!(spec.recurrence_json(), None);
        assert_eq!(spec.description, None);
    }
}
