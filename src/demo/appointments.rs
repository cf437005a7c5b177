//! Appointments as the practice sees them: the *New virtual appointment* form turned into a
//! hub event with a Zoom meeting, and a hub event turned into a line of the upcoming list, in
//! the therapist's time zone.

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use super::hub::{Event, HubError};

/// The time zones a therapist may pick from.
pub const TIME_ZONES: &[&str] = &[
    "Europe/Ljubljana",
    "Europe/London",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Australia/Sydney",
    "UTC",
];
/// The lengths of appointment offered, in minutes.
pub const LENGTHS: &[u32] = &[30, 50, 60, 90];
/// What an appointment is called in the therapist's calendar and in Zoom.
const SUMMARY: &str = "Therapy session";

/// The *New virtual appointment* form as posted.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct AppointmentForm {
    #[serde(default)]
    pub patient_name: String,
    #[serde(default)]
    pub patient_email: String,
    /// `YYYY-MM-DD`
    #[serde(default)]
    pub date: String,
    /// `HH:MM`
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub minutes: String,
}

/// A problem with one field of the form, shown beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormError {
    pub field: &'static str,
    pub message: String,
}

impl FormError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }

    /// The hub's `validation_failed` errors, put beside the form's fields.
    pub fn from_hub(error: &HubError) -> Vec<Self> {
        let HubError::Refused(problem) = error else {
            return Vec::new();
        };
        let mut errors: Vec<Self> = problem
            .errors
            .iter()
            .map(|error| {
                let field = if error.field.starts_with("attendees") {
                    "patient_email"
                } else if error.field == "start" || error.field == "end" {
                    "date"
                } else {
                    "form"
                };
                Self::new(field, error.message.clone())
            })
            .collect();
        if errors.is_empty() {
            errors.push(Self::new("form", problem.detail.clone()));
        }
        errors
    }
}

impl AppointmentForm {
    /// A blank form for `time_zone`: tomorrow at ten, fifty minutes.
    pub fn blank(time_zone: &str, now: Timestamp) -> Self {
        let tomorrow = zone(time_zone)
            .map(|tz| now.to_zoned(tz).date().tomorrow().ok())
            .ok()
            .flatten();
        Self {
            date: tomorrow.map(|date| date.to_string()).unwrap_or_default(),
            time: "10:00".to_owned(),
            minutes: "50".to_owned(),
            ..Self::default()
        }
    }

    /// The hub event for this appointment with `therapist_id` as host, or what is wrong with
    /// the form. The times are read in `time_zone`; the appointment must start after `now`.
    pub fn event(
        &self,
        therapist_id: &str,
        time_zone: &str,
        now: Timestamp,
    ) -> Result<Value, Vec<FormError>> {
        let mut errors = Vec::new();
        let name = self.patient_name.trim();
        let email = self.patient_email.trim();
        if name.is_empty() {
            errors.push(FormError::new("patient_name", "Enter the patient's name."));
        }
        if !looks_like_email(email) {
            errors.push(FormError::new(
                "patient_email",
                "Enter the patient's email address, such as pat@example.org.",
            ));
        }
        let minutes = self
            .minutes
            .parse::<u32>()
            .ok()
            .filter(|minutes| LENGTHS.contains(minutes));
        if minutes.is_none() {
            errors.push(FormError::new("minutes", "Choose a length."));
        }
        let start = format!("{}T{}", self.date.trim(), self.time.trim())
            .parse::<DateTime>()
            .ok()
            .zip(zone(time_zone).ok())
            .and_then(|(local, tz)| local.to_zoned(tz).ok())
            .map(|zoned| zoned.timestamp());
        match start {
            None => errors.push(FormError::new("date", "Enter a date and a time.")),
            Some(start) if start <= now => {
                errors.push(FormError::new("date", "Choose a time in the future."))
            }
            Some(_) => {}
        }
        let (Some(start), Some(minutes), true) = (start, minutes, errors.is_empty()) else {
            return Err(errors);
        };
        let end = start + SignedDuration::from_mins(i64::from(minutes));
        Ok(json!({
            "end_user_id": therapist_id,
            "summary": SUMMARY,
            "start": start.to_string(),
            "end": end.to_string(),
            "tzid": time_zone,
            "attendees": [{"email": email, "name": name}],
            "conferencing": {
                "provider": "zoom",
                "settings": {"waiting_room": true, "join_before_host": false, "mute_upon_entry": true},
            },
        }))
    }
}

/// An upcoming appointment as a line of the list.
pub struct AppointmentView {
    pub id: String,
    pub when: String,
    pub minutes: i64,
    pub patient: String,
    /// `ready`, `pending`, `failed`, `removed` or `none`.
    pub status: String,
    pub join_url: Option<String>,
    pub passcode: Option<String>,
    pub problem: Option<String>,
}

impl AppointmentView {
    /// The event as the therapist reads it, its times in `time_zone`.
    pub fn of(event: &Event, time_zone: &str) -> Self {
        let start = event.start.parse::<Timestamp>().ok();
        let end = event.end.parse::<Timestamp>().ok();
        let when = match (start, zone(time_zone)) {
            (Some(start), Ok(tz)) => start
                .to_zoned(tz)
                .strftime("%a %-d %b %Y, %H:%M")
                .to_string(),
            _ => event.start.clone(),
        };
        let minutes = start
            .zip(end)
            .map_or(0, |(start, end)| end.duration_since(start).as_mins());
        let patient = event
            .attendees
            .first()
            .map(|attendee| match &attendee.name {
                Some(name) if !name.is_empty() => format!("{name} <{}>", attendee.email),
                _ => attendee.email.clone(),
            })
            .unwrap_or_default();
        let conferencing = event.conferencing.as_ref();
        Self {
            id: event.event_id.clone(),
            when,
            minutes,
            patient,
            status: conferencing.map_or_else(|| "none".to_owned(), |c| c.status.clone()),
            join_url: conferencing.and_then(|c| c.join_url.clone()),
            passcode: conferencing.and_then(|c| c.passcode.clone()),
            problem: conferencing
                .and_then(|c| c.error.as_ref())
                .map(|error| error.message.clone()),
        }
    }
}

/// The named time zone; the demo only offers [`TIME_ZONES`].
pub fn zone(name: &str) -> Result<TimeZone, jiff::Error> {
    TimeZone::get(name)
}

/// A deliberately loose check: the hub validates properly and its answer is shown too.
fn looks_like_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !text.contains(' ')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2030-03-10T12:00:00Z".parse().unwrap()
    }

    fn form(date: &str, time: &str) -> AppointmentForm {
        AppointmentForm {
            patient_name: "Pat Doe".into(),
            patient_email: "pat@example.org".into(),
            date: date.into(),
            time: time.into(),
            minutes: "50".into(),
        }
    }

    #[test]
    fn the_form_becomes_an_event_in_the_therapists_time_zone() {
        let event = form("2030-03-11", "10:00")
            .event("therapist_1", "Europe/Ljubljana", now())
            .unwrap();
        assert_eq!(event["start"], "2030-03-11T09:00:00Z");
        assert_eq!(event["end"], "2030-03-11T09:50:00Z");
        assert_eq!(event["tzid"], "Europe/Ljubljana");
        assert_eq!(event["end_user_id"], "therapist_1");
        assert_eq!(event["attendees"][0]["email"], "pat@example.org");
        assert_eq!(event["conferencing"]["provider"], "zoom");
    }

    #[test]
    fn missing_and_past_fields_are_all_reported() {
        let errors = AppointmentForm {
            minutes: "7".into(),
            ..form("2030-03-09", "10:00")
        }
        .event("t", "UTC", now())
        .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["minutes", "date"]);
        let errors = AppointmentForm::default()
            .event("t", "UTC", now())
            .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["patient_name", "patient_email", "minutes", "date"]);
    }

    #[test]
    fn a_blank_form_proposes_tomorrow_at_ten_for_fifty_minutes() {
        let blank = AppointmentForm::blank("Asia/Tokyo", now());
        assert_eq!(blank.date, "2030-03-11");
        assert_eq!(
            (blank.time.as_str(), blank.minutes.as_str()),
            ("10:00", "50")
        );
        assert!(
            blank.event("t", "Asia/Tokyo", now()).is_err(),
            "no patient yet"
        );
    }

    #[test]
    fn an_event_reads_in_the_therapists_time_zone() {
        let event: Event = serde_json::from_value(json!({
            "event_id": "appt_1", "end_user_id": "t", "summary": "Therapy session",
            "start": "2030-03-11T09:00:00Z", "end": "2030-03-11T09:50:00Z",
            "attendees": [{"email": "pat@example.org", "name": "Pat Doe"}],
            "conferencing": {"provider": "zoom", "status": "ready", "meeting_id": "1",
                             "join_url": "https://zoom.example/j/1", "passcode": "abc", "error": null}
        }))
        .unwrap();
        let view = AppointmentView::of(&event, "Europe/Ljubljana");
        assert_eq!(view.when, "Mon 11 Mar 2030, 10:00");
        assert_eq!(view.minutes, 50);
        assert_eq!(view.patient, "Pat Doe <pat@example.org>");
        assert_eq!(view.status, "ready");
        assert_eq!(view.join_url.as_deref(), Some("https://zoom.example/j/1"));
    }
}
