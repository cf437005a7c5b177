//! Create and update bodies of meetings: every field checked against Zoom's rules before
//! anything changes, with the failures in Zoom's field-error shape.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::{Map, Value};

use super::recurrence::Recurrence;
use super::times::{parse_local, parse_utc};
use super::validation::{FieldError, Reader};

const TOPIC_MAX: usize = 200;
const AGENDA_MAX: usize = 2000;
const PASSCODE_MAX: usize = 10;
const DURATION_MAX: i64 = 1440;

/// A start time as sent: UTC (`…Z`) or local wall-clock time in the meeting's time zone.
#[derive(Clone)]
pub(crate) enum StartTime {
    Utc(Timestamp),
    Local(jiff::civil::DateTime),
}

/// Why a request body is not a meeting.
pub(crate) enum DraftError {
    /// Not a JSON object at all.
    NotJson,
    /// Fields that fail Zoom's rules.
    Invalid(Vec<FieldError>),
}

/// A create or update body, every field checked on its own; absent fields are `None`.
#[derive(Clone)]
pub(crate) struct MeetingDraft {
    pub(crate) topic: Option<String>,
    pub(crate) kind: Option<i64>,
    pub(crate) start_time: Option<StartTime>,
    pub(crate) duration: Option<i64>,
    pub(crate) timezone: Option<String>,
    pub(crate) password: Option<String>,
    pub(crate) default_password: bool,
    pub(crate) agenda: Option<String>,
    /// Email or id of the user to schedule for.
    pub(crate) schedule_for: Option<String>,
    pub(crate) recurrence: Option<Recurrence>,
    pub(crate) settings: Option<Map<String, Value>>,
}

impl MeetingDraft {
    /// Parses a request body.
    pub(crate) fn from_body(body: &[u8]) -> Result<MeetingDraft, DraftError> {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => {
                MeetingDraft::from_object(&object).map_err(DraftError::Invalid)
            }
            _ => Err(DraftError::NotJson),
        }
    }

    /// Parses a JSON object of meeting fields.
    pub(crate) fn from_object(
        object: &Map<String, Value>,
    ) -> Result<MeetingDraft, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut reader = Reader::new(object, "", &mut errors);
        let topic = reader.string("topic");
        if topic
            .as_ref()
            .is_some_and(|topic| topic.chars().count() > TOPIC_MAX)
        {
            reader.fail(
                "topic",
                format!("Topic should be at most {TOPIC_MAX} characters."),
            );
        }
        let agenda = reader.string("agenda");
        if agenda
            .as_ref()
            .is_some_and(|agenda| agenda.chars().count() > AGENDA_MAX)
        {
            reader.fail(
                "agenda",
                format!("Agenda should be at most {AGENDA_MAX} characters."),
            );
        }
        let kind = reader.integer_of("type", &[1, 2, 3, 8]);
        let duration = reader.integer_in("duration", 0..=DURATION_MAX);
        let password = reader.string("password");
        if password
            .as_ref()
            .is_some_and(|password| !is_valid_passcode(password))
        {
            reader.fail(
                "password",
                format!(
                    "Passcode may have at most {PASSCODE_MAX} characters: letters, digits, @ - _ *."
                ),
            );
        }
        let default_password = reader.boolean("default_password").unwrap_or(false);
        let timezone = reader.string("timezone").filter(|name| !name.is_empty());
        if timezone
            .as_ref()
            .is_some_and(|name| TimeZone::get(name).is_err())
        {
            reader.fail("timezone", "Invalid timezone.");
        }
        let start_time = reader.string("start_time").and_then(|text| {
            let parsed = parse_utc(&text)
                .map(StartTime::Utc)
                .or_else(|| parse_local(&text).map(StartTime::Local));
            if parsed.is_none() {
                reader.fail(
                    "start_time",
                    "Use yyyy-MM-ddTHH:mm:ssZ (UTC) or yyyy-MM-ddTHH:mm:ss with a timezone.",
                );
            }
            parsed
        });
        let schedule_for = reader.string("schedule_for").filter(|who| !who.is_empty());
        let recurrence_object = reader.object("recurrence");
        let settings_object = reader.object("settings");
        let recurrence =
            recurrence_object.and_then(|object| Recurrence::parse(object, &mut errors));
        let settings = settings_object.and_then(|object| settings(object, &mut errors));
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(MeetingDraft {
            topic,
            kind,
            start_time,
            duration,
            timezone,
            password,
            default_password,
            agenda,
            schedule_for,
            recurrence,
            settings,
        })
    }

    /// Whether this asks for an instant meeting (type 1).
    pub(crate) fn is_instant(&self) -> bool {
        self.kind == Some(1)
    }
}

fn is_valid_passcode(password: &str) -> bool {
    password.chars().count() <= PASSCODE_MAX
        && password
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '@' | '-' | '_' | '*'))
}

/// Checks the settings Zoom documents a type or a set of values for; passes the rest through.
fn settings(
    object: &Map<String, Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Map<String, Value>> {
    const FLAGS: &[&str] = &[
        "host_video",
        "participant_video",
        "join_before_host",
        "mute_upon_entry",
        "waiting_room",
        "meeting_authentication",
        "email_notification",
        "alternative_hosts_email_notification",
        "watermark",
        "use_pmi",
        "close_registration",
        "show_share_button",
        "allow_multiple_devices",
        "registrants_confirmation_email",
        "registrants_email_notification",
        "private_meeting",
        "focus_mode",
        "host_save_video_order",
        "alternative_host_update_polls",
    ];
    const TEXTS: &[&str] = &[
        "alternative_hosts",
        "authentication_domains",
        "authentication_option",
        "contact_email",
        "contact_name",
    ];
    let before = errors.len();
    let mut reader = Reader::new(object, "settings.", errors);
    for flag in FLAGS {
        reader.boolean(flag);
    }
    for text in TEXTS {
        reader.string(text);
    }
    reader.integer_of("jbh_time", &[0, 5, 10]);
    reader.integer_of("approval_type", &[0, 1, 2]);
    reader.integer_of("registration_type", &[1, 2, 3]);
    reader.string_of("audio", &["both", "telephony", "voip", "thirdParty"]);
    reader.string_of("auto_recording", &["local", "cloud", "none"]);
    reader.string_of("encryption_type", &["enhanced_encryption", "e2ee"]);
    if let Some(invitees) = reader.value("meeting_invitees") {
        let valid = invitees.as_array().is_some_and(|invitees| {
            invitees.iter().all(|invitee| {
                invitee
                    .get("email")
                    .and_then(Value::as_str)
                    .is_some_and(|email| email.contains('@'))
            })
        });
        if !valid {
            reader.fail("meeting_invitees", "Invitees are [{\"email\": \"…\"}].");
        }
    }
    (errors.len() == before).then(|| object.clone())
}
