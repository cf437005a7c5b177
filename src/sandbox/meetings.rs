//! Meetings: the model, how a validated body changes one (defaults, passcode rule,
//! recurrence expansion), and the JSON Zoom answers with.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use super::draft::{MeetingDraft, StartTime};
use super::random;
use super::recurrence::Recurrence;
use super::times::zoom_time;
use super::validation::FieldError;

/// The settings a meeting has when the request names none.
fn default_settings() -> Map<String, Value> {
    let defaults = json!({
        "host_video": false,
        "participant_video": false,
        "cn_meeting": false,
        "in_meeting": false,
        "join_before_host": false,
        "jbh_time": 0,
        "mute_upon_entry": false,
        "watermark": false,
        "use_pmi": false,
        "approval_type": 2,
        "audio": "both",
        "auto_recording": "none",
        "enforce_login": false,
        "enforce_login_domains": "",
        "alternative_hosts": "",
        "alternative_hosts_email_notification": true,
        "close_registration": false,
        "show_share_button": false,
        "allow_multiple_devices": false,
        "registrants_confirmation_email": true,
        "waiting_room": false,
        "registrants_email_notification": true,
        "meeting_authentication": false,
        "encryption_type": "enhanced_encryption",
        "approved_or_denied_countries_or_regions": {"enable": false},
        "breakout_room": {"enable": false},
        "email_notification": true,
        "focus_mode": false,
        "private_meeting": false,
        "host_save_video_order": false,
        "meeting_invitees": [],
    });
    match defaults {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[derive(Clone)]
struct Passcode {
    plain: String,
    /// Digits-only equivalent for phone and H.323 dial-in.
    numeric: String,
    /// The `pwd` of the join URL.
    encrypted: String,
}

impl Passcode {
    fn new(plain: String) -> Self {
        let numeric = if plain.chars().all(|c| c.is_ascii_digit()) {
            plain.clone()
        } else {
            random::digits(plain.len().max(6))
        };
        Self {
            plain,
            numeric,
            encrypted: random::encrypted_passcode(),
        }
    }
}

/// A change to one occurrence of a recurring meeting (`occurrence_id` on PATCH or DELETE).
#[derive(Clone)]
enum Exception {
    Deleted,
    Moved { start: Timestamp, duration: i64 },
}

/// One occurrence as Zoom lists it.
struct Occurrence {
    /// The original start in unix milliseconds, which names the occurrence.
    id: i64,
    start: Timestamp,
    duration: i64,
}

/// Who a new meeting is for.
pub(crate) struct Host<'a> {
    pub(crate) id: &'a str,
    pub(crate) timezone: &'a str,
    pub(crate) display_name: String,
}

/// A Zoom meeting.
#[derive(Clone)]
pub(crate) struct Meeting {
    pub(crate) id: i64,
    uuid: String,
    pub(crate) host_id: String,
    /// The scheduler who created it for the host, if any.
    assistant_id: Option<String>,
    pub(crate) topic: String,
    kind: i64,
    /// Start of the meeting (of the first occurrence for type 8); none for type 3.
    pub(crate) start: Option<Timestamp>,
    pub(crate) duration: i64,
    pub(crate) timezone: String,
    agenda: String,
    created_at: Timestamp,
    passcode: Option<Passcode>,
    settings: Map<String, Value>,
    recurrence: Option<Recurrence>,
    /// Original starts of the series' occurrences.
    occurrences: Vec<Timestamp>,
    /// Occurrences changed one by one, by occurrence id.
    exceptions: BTreeMap<i64, Exception>,
}

impl Meeting {
    /// A new meeting for `host` from a validated body; `id` comes from the book.
    pub(crate) fn create(
        id: i64,
        host: &Host<'_>,
        scheduler: Option<&str>,
        draft: &MeetingDraft,
        now: Timestamp,
    ) -> Result<Meeting, Vec<FieldError>> {
        let blank = Meeting {
            id,
            uuid: random::meeting_uuid(),
            host_id: host.id.to_owned(),
            assistant_id: scheduler.map(str::to_owned),
            topic: format!("{}'s Zoom Meeting", host.display_name),
            kind: 2,
            start: None,
            duration: 60,
            timezone: host.timezone.to_owned(),
            agenda: String::new(),
            created_at: now,
            passcode: None,
            settings: default_settings(),
            recurrence: None,
            occurrences: Vec::new(),
            exceptions: BTreeMap::new(),
        };
        let mut draft = draft.clone();
        if draft.password.is_none() && draft.default_password {
            draft.password = Some(random::passcode());
        }
        blank.updated(&draft, now)
    }

    /// This meeting with the draft's fields applied (PATCH semantics: absent fields stay).
    pub(crate) fn updated(
        &self,
        draft: &MeetingDraft,
        now: Timestamp,
    ) -> Result<Meeting, Vec<FieldError>> {
        let now = Timestamp::from_second(now.as_second()).unwrap_or(now);
        let mut errors = Vec::new();
        let mut next = self.clone();
        if let Some(topic) = draft.topic.as_ref().filter(|topic| !topic.is_empty()) {
            next.topic.clone_from(topic);
        }
        if let Some(agenda) = &draft.agenda {
            next.agenda.clone_from(agenda);
        }
        if let Some(kind) = draft.kind {
            next.kind = kind;
        }
        if let Some(duration) = draft.duration {
            next.duration = duration;
        }
        if let Some(timezone) = &draft.timezone {
            next.timezone.clone_from(timezone);
        }
        let tz = TimeZone::get(&next.timezone).unwrap_or(TimeZone::UTC);
        match &draft.start_time {
            Some(StartTime::Utc(at)) => next.start = Some(*at),
            Some(StartTime::Local(local)) => match local.to_zoned(tz.clone()) {
                Ok(zoned) => next.start = Some(zoned.timestamp()),
                Err(_) => errors.push(field_error("start_time", "Invalid start time.")),
            },
            None => {}
        }
        if let Some(settings) = &draft.settings {
            next.settings.extend(settings.clone());
        }
        let same_passcode = |passcode: &Passcode| Some(&passcode.plain) == draft.password.as_ref();
        if let Some(password) = &draft.password
            && !self.passcode.as_ref().is_some_and(same_passcode)
        {
            next.passcode = (!password.is_empty()).then(|| Passcode::new(password.clone()));
        }
        if draft.recurrence.is_some() && next.kind != 8 {
            let message = "Only recurring meetings with a fixed time (type 8) take a recurrence.";
            errors.push(field_error("recurrence", message));
        }
        match next.kind {
            1 => next.start = Some(self.start.unwrap_or(now)),
            3 => next.start = None,
            _ => next.start = Some(next.start.unwrap_or(now)),
        }
        next.recurrence = match next.kind {
            8 => draft.recurrence.clone().or(next.recurrence),
            _ => None,
        };
        next.occurrences = Vec::new();
        if next.kind == 8 {
            match (&next.recurrence, next.start) {
                (Some(recurrence), Some(start)) => {
                    let first = start.to_zoned(tz.clone()).datetime();
                    next.occurrences = recurrence.occurrences(first, &tz);
                    match next.occurrences.first() {
                        Some(first) => next.start = Some(*first),
                        None => errors.push(field_error(
                            "recurrence.end_date_time",
                            "The series would end before its first occurrence.",
                        )),
                    }
                }
                _ => errors.push(field_error(
                    "recurrence",
                    "A recurring meeting with a fixed time (type 8) needs a recurrence.",
                )),
            }
        }
        let ids: Vec<i64> = next
            .occurrences
            .iter()
            .map(|start| start.as_millisecond())
            .collect();
        next.exceptions.retain(|id, _| ids.contains(id));
        if next.setting("waiting_room") {
            next.settings
                .insert("join_before_host".into(), json!(false));
        }
        // Zoom insists on a passcode, a waiting room or authentication.
        if next.passcode.is_none()
            && !next.setting("waiting_room")
            && !next.setting("meeting_authentication")
        {
            next.passcode = Some(Passcode::new(random::passcode()));
        }
        if errors.is_empty() {
            Ok(next)
        } else {
            Err(errors)
        }
    }

    fn setting(&self, flag: &str) -> bool {
        self.settings
            .get(flag)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    /// The join URL (stable until the passcode changes).
    pub(crate) fn join_url(&self, base: &str) -> String {
        match &self.passcode {
            Some(passcode) => format!("{base}/j/{}?pwd={}", self.id, passcode.encrypted),
            None => format!("{base}/j/{}", self.id),
        }
    }

    /// The body of `GET /v2/meetings/{meetingId}` (and of the create response).
    pub(crate) fn to_json(&self, base: &str, host_email: &str) -> Value {
        let mut object = Map::new();
        object.insert("uuid".into(), json!(self.uuid));
        object.insert("id".into(), json!(self.id));
        object.insert("host_id".into(), json!(self.host_id));
        object.insert("host_email".into(), json!(host_email));
        if let Some(assistant_id) = &self.assistant_id {
            object.insert("assistant_id".into(), json!(assistant_id));
        }
        object.insert("topic".into(), json!(self.topic));
        object.insert("type".into(), json!(self.kind));
        object.insert("status".into(), json!("waiting"));
        if let Some(start) = self.start {
            object.insert("start_time".into(), json!(zoom_time(start)));
        }
        object.insert("duration".into(), json!(self.duration));
        object.insert("timezone".into(), json!(self.timezone));
        object.insert("agenda".into(), json!(self.agenda));
        object.insert("created_at".into(), json!(zoom_time(self.created_at)));
        let zak = random::secret();
        object.insert(
            "start_url".into(),
            json!(format!("{base}/s/{}?zak={zak}", self.id)),
        );
        object.insert("join_url".into(), json!(self.join_url(base)));
        if let Some(passcode) = &self.passcode {
            object.insert("password".into(), json!(passcode.plain));
            object.insert("h323_password".into(), json!(passcode.numeric));
            object.insert("pstn_password".into(), json!(passcode.numeric));
            object.insert("encrypted_password".into(), json!(passcode.encrypted));
        }
        object.insert("pre_schedule".into(), json!(false));
        object.insert("settings".into(), Value::Object(self.settings.clone()));
        if let Some(recurrence) = &self.recurrence {
            object.insert("recurrence".into(), recurrence.to_json());
            let occurrences: Vec<Value> = self
                .live_occurrences()
                .map(|occurrence| {
                    json!({
                        "occurrence_id": occurrence.id.to_string(),
                        "start_time": zoom_time(occurrence.start),
                        "duration": occurrence.duration,
                        "status": "available",
                    })
                })
                .collect();
            object.insert("occurrences".into(), Value::Array(occurrences));
        }
        Value::Object(object)
    }

    /// One item of `GET /v2/users/{userId}/meetings`.
    pub(crate) fn summary_json(&self, base: &str) -> Value {
        let mut object = Map::new();
        object.insert("uuid".into(), json!(self.uuid));
        object.insert("id".into(), json!(self.id));
        object.insert("host_id".into(), json!(self.host_id));
        object.insert("topic".into(), json!(self.topic));
        object.insert("type".into(), json!(self.kind));
        if let Some(start) = self.start {
            object.insert("start_time".into(), json!(zoom_time(start)));
        }
        object.insert("duration".into(), json!(self.duration));
        object.insert("timezone".into(), json!(self.timezone));
        object.insert("agenda".into(), json!(self.agenda));
        object.insert("created_at".into(), json!(zoom_time(self.created_at)));
        object.insert("join_url".into(), json!(self.join_url(base)));
        Value::Object(object)
    }

    /// The fields meeting webhooks carry in `payload.object`.
    pub(crate) fn event_object(&self) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("id".into(), json!(self.id));
        object.insert("uuid".into(), json!(self.uuid));
        object.insert("host_id".into(), json!(self.host_id));
        object.insert("topic".into(), json!(self.topic));
        object.insert("type".into(), json!(self.kind));
        if let Some(start) = self.start {
            object.insert("start_time".into(), json!(zoom_time(start)));
        }
        object.insert("duration".into(), json!(self.duration));
        object.insert("timezone".into(), json!(self.timezone));
        object
    }

    /// The occurrences not deleted, each as changed.
    fn live_occurrences(&self) -> impl Iterator<Item = Occurrence> + '_ {
        self.occurrences.iter().filter_map(|start| {
            let id = start.as_millisecond();
            match self.exceptions.get(&id) {
                Some(Exception::Deleted) => None,
                Some(Exception::Moved { start, duration }) => Some(Occurrence {
                    id,
                    start: *start,
                    duration: *duration,
                }),
                None => Some(Occurrence {
                    id,
                    start: *start,
                    duration: self.duration,
                }),
            }
        })
    }

    /// The id of a live occurrence named by an `occurrence_id` parameter.
    pub(crate) fn occurrence(&self, occurrence_id: &str) -> Option<i64> {
        let id = occurrence_id.parse::<i64>().ok()?;
        self.live_occurrences()
            .any(|occurrence| occurrence.id == id)
            .then_some(id)
    }

    /// This meeting with one occurrence deleted.
    pub(crate) fn without_occurrence(&self, occurrence: i64) -> Meeting {
        let mut next = self.clone();
        next.exceptions.insert(occurrence, Exception::Deleted);
        next
    }

    /// This meeting with one occurrence moved: only `start_time` and `duration` apply to a
    /// single occurrence.
    pub(crate) fn with_occurrence_changed(
        &self,
        occurrence: i64,
        draft: &MeetingDraft,
    ) -> Result<Meeting, Vec<FieldError>> {
        let current = self
            .live_occurrences()
            .find(|live| live.id == occurrence)
            .ok_or_else(|| vec![field_error("occurrence_id", "No such occurrence.")])?;
        let tz = TimeZone::get(&self.timezone).unwrap_or(TimeZone::UTC);
        let start = match &draft.start_time {
            None => current.start,
            Some(StartTime::Utc(at)) => *at,
            Some(StartTime::Local(local)) => local
                .to_zoned(tz)
                .map(|zoned| zoned.timestamp())
                .map_err(|_| vec![field_error("start_time", "Invalid start time.")])?,
        };
        let duration = draft.duration.unwrap_or(current.duration);
        let mut next = self.clone();
        next.exceptions
            .insert(occurrence, Exception::Moved { start, duration });
        Ok(next)
    }

    /// When the meeting (its last occurrence) ends; none for meetings without a fixed time.
    pub(crate) fn ends_at(&self) -> Option<Timestamp> {
        let last_occurrence = self
            .live_occurrences()
            .filter_map(|occurrence| {
                occurrence
                    .start
                    .checked_add(SignedDuration::from_mins(occurrence.duration))
                    .ok()
            })
            .max();
        let single = self.start.and_then(|start| {
            start
                .checked_add(SignedDuration::from_mins(self.duration))
                .ok()
        });
        if self.occurrences.is_empty() {
            single
        } else {
            last_occurrence
        }
    }

    /// The order of listings: by start (creation for meetings without a fixed time), then id.
    pub(crate) fn sort_key(&self) -> (Timestamp, i64) {
        (self.start.unwrap_or(self.created_at), self.id)
    }
}

fn field_error(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        message: message.to_owned(),
    }
}
