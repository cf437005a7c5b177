//! The audit trail of a Zoom account in words, for its owner: which application connected,
//! was removed, or created, moved or deleted which meeting. Actions the page does not know
//! yet are shown by name rather than hidden.

use serde_json::Value;

use super::When;
use crate::domain::Timestamp;
use crate::store::audit::AuditEntry;

/// Longest meeting topic shown in full.
const TOPIC_SHOWN: usize = 80;

/// One line of the activity list.
pub(super) struct ActivityLine {
    pub when: When,
    pub text: String,
}

impl ActivityLine {
    pub fn of(entry: &AuditEntry) -> Self {
        let detail: Value = entry
            .detail
            .as_deref()
            .and_then(|detail| serde_json::from_str(detail).ok())
            .unwrap_or(Value::Null);
        Self {
            when: When::of(entry.created_at),
            text: describe(&entry.action, &detail),
        }
    }
}

/// What an entry says happened.
fn describe(action: &str, detail: &Value) -> String {
    let app = detail
        .get("application")
        .and_then(Value::as_str)
        .filter(|name| !name.is_empty())
        .unwrap_or("An app");
    let meeting = match detail.get("topic").and_then(Value::as_str) {
        Some(topic) => format!("the meeting “{}”", shortened(topic)),
        None => "a meeting".to_owned(),
    };
    let at = detail
        .get("start")
        .and_then(start_in_words)
        .map(|start| format!(" for {start}"))
        .unwrap_or_default();
    match action {
        "link.connected" => format!("{app} was connected to this Zoom account"),
        "link.removed" => {
            let by = match detail.get("reason").and_then(Value::as_str) {
                Some("end_user") => " by you",
                Some("app") => " by the app",
                Some("provider_deauthorized") => " in Zoom",
                Some("operator") => " by the Convene operator",
                _ => "",
            };
            format!("{app} was removed{by}")
        }
        "link.needs_reauth" => format!("{app} lost access until Zoom is connected again"),
        "meeting.created" => format!("{app} created {meeting}{at}"),
        "meeting.updated" => format!("{app} changed {meeting}{at}"),
        "meeting.deleted" => format!("{app} deleted {meeting}"),
        "meeting.removed_in_zoom" => {
            let meeting = meeting.replacen("the meeting", "The meeting", 1);
            let meeting = meeting.replacen("a meeting", "A meeting", 1);
            format!("{meeting} of {app} was deleted in Zoom")
        }
        other if detail.get("application").is_some() => format!("{app}: {other}"),
        other => other.to_owned(),
    }
}

fn shortened(topic: &str) -> String {
    if topic.chars().count() <= TOPIC_SHOWN {
        topic.to_owned()
    } else {
        let mut short: String = topic.chars().take(TOPIC_SHOWN - 1).collect();
        short.push('…');
        short
    }
}

/// A meeting's start as stored in the detail (RFC 3339, or unix milliseconds).
fn start_in_words(start: &Value) -> Option<String> {
    let at = match start {
        Value::String(text) => Timestamp::from(
            time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                .ok()?,
        ),
        Value::Number(millis) => Timestamp(millis.as_i64()?),
        _ => return None,
    };
    Some(super::in_words(at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_actions_read_as_sentences() {
        let created =
            json!({"application": "Calm", "topic": "Therapy", "start": "2030-12-01T15:00:00Z"});
        assert_eq!(
            describe("meeting.created", &created),
            "Calm created the meeting “Therapy” for 1 Dec 2030, 15:00 UTC"
        );
        assert_eq!(
            describe("meeting.deleted", &created),
            "Calm deleted the meeting “Therapy”"
        );
        assert_eq!(
            describe("meeting.removed_in_zoom", &created),
            "The meeting “Therapy” of Calm was deleted in Zoom"
        );
        assert_eq!(
            describe(
                "link.removed",
                &json!({"application": "EHR", "reason": "end_user"})
            ),
            "EHR was removed by you"
        );
        assert_eq!(
            describe("link.connected", &json!({"application": "EHR"})),
            "EHR was connected to this Zoom account"
        );
    }

    #[test]
    fn unknown_actions_are_shown_by_name() {
        assert_eq!(
            describe("meeting.renamed", &json!({"application": "Calm"})),
            "Calm: meeting.renamed"
        );
        assert_eq!(describe("something.else", &Value::Null), "something.else");
    }

    #[test]
    fn long_topics_are_shortened() {
        let long = "x".repeat(200);
        let text = describe(
            "meeting.deleted",
            &json!({"application": "Calm", "topic": long}),
        );
        assert!(text.chars().count() < 120, "{text}");
        assert!(text.contains('…'));
    }
}
