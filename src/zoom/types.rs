//! Zoom's request and response bodies for the calls the hub makes, named and
//! shaped as in Zoom's published Meeting API schema. Unknown response fields
//! are ignored; absent optional request fields are not sent.

use serde::{Deserialize, Deserializer, Serialize};

/// `GET /users/me`.
#[derive(Clone, Debug, Deserialize)]
pub struct ZoomUser {
    pub id: String,
    #[serde(default)]
    pub account_id: Option<String>,
    pub email: String,
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
}

impl ZoomUser {
    /// The name Zoom shows for the user.
    pub fn name(&self) -> String {
        match &self.display_name {
            Some(name) if !name.trim().is_empty() => name.trim().to_owned(),
            _ => format!("{} {}", self.first_name, self.last_name)
                .trim()
                .to_owned(),
        }
    }
}

/// Zoom meeting types the hub creates.
pub mod meeting_type {
    /// A scheduled meeting.
    pub const SCHEDULED: u8 = 2;
    /// A recurring meeting with a fixed time.
    pub const RECURRING_FIXED_TIME: u8 = 8;
}

/// The body of `POST /users/{userId}/meetings` and `PATCH /meetings/{meetingId}`.
#[derive(Clone, Debug, Default, Serialize)]
pub struct MeetingRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<u8>,
    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC, or local `yyyy-MM-ddTHH:mm:ss` with `timezone`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agenda: Option<String>,
    /// Email or user id of the real host (the caller needs scheduling privilege).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurrence: Option<Recurrence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<MeetingSettings>,
}

/// Zoom's recurrence object (type 8 meetings only). Days of the week count 1 = Sunday.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recurrence {
    /// 1 daily, 2 weekly, 3 monthly.
    #[serde(rename = "type")]
    pub kind: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_interval: Option<u32>,
    /// Comma-separated `"1".."7"`, 1 = Sunday.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_days: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_day: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_week: Option<i8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_week_day: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_times: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_date_time: Option<String>,
}

/// The meeting settings the hub controls.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_before_host: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting_room: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mute_upon_entry: Option<bool>,
    /// `local`, `cloud` or `none`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_recording: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting_invitees: Option<Vec<Invitee>>,
}

/// A meeting invitee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    pub email: String,
}

/// A meeting as Zoom returns it from create and get.
#[derive(Clone, Debug, Deserialize)]
pub struct Meeting {
    #[serde(deserialize_with = "int64")]
    pub id: i64,
    #[serde(default)]
    pub uuid: Option<String>,
    #[serde(default)]
    pub host_id: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: Option<u8>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub timezone: Option<String>,
    pub join_url: String,
    /// The host's start link with its ZAK: expires, never stored.
    #[serde(default)]
    pub start_url: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub settings: Option<MeetingSettings>,
    #[serde(default)]
    pub occurrences: Option<Vec<Occurrence>>,
}

/// One occurrence of a recurring meeting.
#[derive(Clone, Debug, Deserialize)]
pub struct Occurrence {
    pub occurrence_id: String,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub status: Option<String>,
}

/// One page of `GET /users/{userId}/meetings`.
#[derive(Clone, Debug, Deserialize)]
pub struct MeetingList {
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub total_records: Option<u64>,
    #[serde(default)]
    pub meetings: Vec<MeetingSummary>,
}

/// A meeting as listed.
#[derive(Clone, Debug, Deserialize)]
pub struct MeetingSummary {
    #[serde(deserialize_with = "int64")]
    pub id: i64,
    #[serde(default)]
    pub topic: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub join_url: Option<String>,
}

/// Zoom sends meeting ids as JSON integers beyond 32 bits; accept a string too.
pub(super) fn int64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Number(i64),
        Text(String),
    }
    match Id::deserialize(deserializer)? {
        Id::Number(id) => Ok(id),
        Id::Text(text) => text.parse().map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_captured_create_response_parses_with_its_int64_id() {
        let meeting: Meeting = serde_json::from_str(
            r#"{"uuid":"gFYYRVHMRdSWzGZX/6LsJA==","id":91538056781,"host_id":"r55v2FgSTVmDmVot18DX3A",
                "host_email":"host@example.org","topic":"Therapy","type":2,"status":"waiting",
                "start_time":"2026-12-01T15:00:00Z","duration":50,"timezone":"Europe/Ljubljana",
                "created_at":"2026-11-22T10:00:00Z","start_url":"https://x/s/91538056781?zak=z",
                "join_url":"https://x/j/91538056781?pwd=p","password":"a1b2c3","settings":{"waiting_room":true}}"#,
        )
        .unwrap();
        assert_eq!(meeting.id, 91_538_056_781);
        assert_eq!(meeting.settings.unwrap().waiting_room, Some(true));
    }

    #[test]
    fn absent_request_fields_are_not_sent() {
        let body = serde_json::to_value(MeetingRequest {
            topic: Some("Session".into()),
            kind: Some(meeting_type::SCHEDULED),
            ..MeetingRequest::default()
        })
        .unwrap();
        assert_eq!(body, serde_json::json!({"topic": "Session", "type": 2}));
    }
}
