//! Validation of meeting bodies: every rule answers 400 with code 300 and names its field.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

/// A valid type-8 body with `change` merged in (null removes a field).
fn recurring(change: Value) -> Value {
    let mut body = json!({
        "topic": "t", "type": 8, "start_time": "2026-12-01T10:00:00Z",
        "recurrence": {"type": 1, "repeat_interval": 1, "end_times": 2},
    });
    merge(&mut body, change);
    body
}

fn merge(target: &mut Value, change: Value) {
    match (target, change) {
        (Value::Object(target), Value::Object(change)) => {
            for (key, value) in change {
                if value.is_null() {
                    target.remove(&key);
                } else if value.is_object() && target.get(&key).is_some_and(Value::is_object) {
                    merge(target.get_mut(&key).unwrap(), value);
                } else {
                    target.insert(key, value);
                }
            }
        }
        (target, change) => *target = change,
    }
}

#[tokio::test]
async fn each_validation_rule_answers_300_with_its_field() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let cases: Vec<(&str, Value)> = vec![
        ("topic", json!({"topic": "x".repeat(201)})),
        ("topic", json!({"topic": 42})),
        ("agenda", json!({"agenda": "x".repeat(2001)})),
        ("password", json!({"password": "12345678901"})),
        ("password", json!({"password": "no spaces"})),
        ("password", json!({"password": "pässwörd"})),
        ("type", json!({"type": 5})),
        ("start_time", json!({"start_time": "tomorrow at noon"})),
        ("start_time", json!({"start_time": "2026-12-01 10:00:00"})),
        (
            "start_time",
            json!({"start_time": "2026-12-01T10:00:00+02:00"}),
        ),
        ("duration", json!({"duration": -1})),
        ("duration", json!({"duration": 1441})),
        ("timezone", json!({"timezone": "Mars/Olympus_Mons"})),
        (
            "settings.auto_recording",
            json!({"settings": {"auto_recording": "sometimes"}}),
        ),
        ("settings.jbh_time", json!({"settings": {"jbh_time": 7}})),
        (
            "settings.approval_type",
            json!({"settings": {"approval_type": 3}}),
        ),
        (
            "settings.host_video",
            json!({"settings": {"host_video": "yes"}}),
        ),
        (
            "settings.meeting_invitees",
            json!({"settings": {"meeting_invitees": ["a@example.org"]}}),
        ),
        (
            "recurrence",
            json!({"type": 2, "recurrence": {"type": 1, "end_times": 2}}),
        ),
        ("recurrence", json!({"type": 8})),
        (
            "recurrence.type",
            recurring(json!({"recurrence": {"type": 4}})),
        ),
        (
            "recurrence.repeat_interval",
            recurring(json!({"recurrence": {"repeat_interval": 91}})),
        ),
        (
            "recurrence.repeat_interval",
            recurring(
                json!({"recurrence": {"type": 2, "weekly_days": "2", "repeat_interval": 13}}),
            ),
        ),
        (
            "recurrence.repeat_interval",
            recurring(json!({"recurrence": {"type": 3, "monthly_day": 1, "repeat_interval": 4}})),
        ),
        (
            "recurrence.weekly_days",
            recurring(json!({"recurrence": {"type": 2}})),
        ),
        (
            "recurrence.weekly_days",
            recurring(json!({"recurrence": {"type": 2, "weekly_days": "0"}})),
        ),
        (
            "recurrence.weekly_days",
            recurring(json!({"recurrence": {"type": 2, "weekly_days": "1,8"}})),
        ),
        (
            "recurrence.weekly_days",
            recurring(json!({"recurrence": {"type": 2, "weekly_days": "Monday"}})),
        ),
        (
            "recurrence.monthly_day",
            recurring(json!({"recurrence": {"type": 3, "monthly_day": 32}})),
        ),
        (
            "recurrence.monthly_week",
            recurring(json!({"recurrence": {"type": 3, "monthly_week": 5, "monthly_week_day": 2}})),
        ),
        (
            "recurrence.monthly_week_day",
            recurring(json!({"recurrence": {"type": 3, "monthly_week": 2}})),
        ),
        (
            "recurrence.monthly_week_day",
            recurring(json!({"recurrence": {"type": 3, "monthly_week": 2, "monthly_week_day": 8}})),
        ),
        (
            "recurrence.monthly_day",
            recurring(
                json!({"recurrence": {"type": 3, "monthly_day": 3, "monthly_week": 1, "monthly_week_day": 2}}),
            ),
        ),
        (
            "recurrence.end_times",
            recurring(json!({"recurrence": {"end_times": 61}})),
        ),
        (
            "recurrence.end_times",
            recurring(json!({"recurrence": {"end_times": 0}})),
        ),
        (
            "recurrence.end_times",
            recurring(json!({"recurrence": {"end_date_time": "2027-01-01T00:00:00Z"}})),
        ),
        (
            "recurrence.end_date_time",
            recurring(json!({"recurrence": {"end_times": null, "end_date_time": "2027-01-01"}})),
        ),
        (
            "recurrence.end_date_time",
            recurring(
                json!({"recurrence": {"end_times": null, "end_date_time": "2026-11-01T00:00:00Z"}}),
            ),
        ),
    ];

    for (field, body) in cases {
        let response = rest(
            &emulator,
            Method::POST,
            "/v2/users/me/meetings",
            &tokens.access_token,
        )
        .json(&body)
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["code"], 300, "{body}");
        assert_eq!(error["message"], "Validation Failed.", "{body}");
        let fields: Vec<&str> = error["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&field),
            "{body} should fail on {field}, failed on {fields:?}"
        );
        assert!(
            error["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert!(
        emulator.emulator.meetings_of(&ana.id).is_empty(),
        "no invalid body made a meeting"
    );
}

#[tokio::test]
async fn the_boundaries_of_each_rule_are_accepted() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let bodies = [
        json!({"topic": "x".repeat(200), "agenda": "y".repeat(2000), "password": "Ab1@-_*xyz", "duration": 1440}),
        json!({"topic": "t", "duration": 0, "timezone": "UTC", "start_time": "2026-12-01T10:00:00"}),
        recurring(json!({"recurrence": {"repeat_interval": 90, "end_times": 60}})),
        recurring(
            json!({"recurrence": {"type": 2, "weekly_days": "1,2,3,4,5,6,7", "repeat_interval": 12}}),
        ),
        recurring(
            json!({"recurrence": {"type": 3, "monthly_week": -1, "monthly_week_day": 7, "repeat_interval": 3}}),
        ),
    ];

    for body in bodies {
        let response = rest(
            &emulator,
            Method::POST,
            "/v2/users/me/meetings",
            &tokens.access_token,
        )
        .json(&body)
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{body}");
    }
}

#[tokio::test]
async fn a_body_that_is_not_a_json_object_is_refused() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    for body in ["{\"topic\": ", "[1, 2]", ""] {
        let response = rest(
            &emulator,
            Method::POST,
            "/v2/users/me/meetings",
            &tokens.access_token,
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"code": 300, "message": "Request Body should be a valid JSON object."})
        );
    }
}

#[tokio::test]
async fn an_update_is_validated_like_a_create_and_changes_nothing_when_refused() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let meeting = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "Kept", "duration": 30}),
    )
    .await;
    let path = format!("/v2/meetings/{}", meeting["id"]);

    let response = rest(&emulator, Method::PATCH, &path, &tokens.access_token)
        .json(&json!({"topic": "Changed", "duration": 5000}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.json::<Value>().await.unwrap()["errors"][0]["field"],
        "duration"
    );
    let after: Value = rest(&emulator, Method::GET, &path, &tokens.access_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["topic"], "Kept");
    assert_eq!(after["duration"], 30);
}
