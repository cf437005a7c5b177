//! REST: bearer authentication, users, meeting create/get/patch/delete/list, recurrence,
//! scheduling for others and the daily create/update limit.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::*;

async fn get(emulator: &RunningEmulator, path: &str, token: &str) -> reqwest::Response {
    rest(emulator, Method::GET, path, token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn users_me_answers_the_authorized_user() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let response = get(&emulator, "/v2/users/me", &tokens.access_token).await;

    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_eq!(me["id"], ana.id.as_str());
    assert_eq!(ana.id.len(), 22);
    assert_eq!(me["email"], ANA);
    assert_eq!(me["first_name"], "Ana");
    assert_eq!(me["last_name"], "Novak");
    assert_eq!(me["display_name"], "Ana Novak");
    assert_eq!(me["account_id"], ana.account_id.as_str());
    assert_eq!(me["type"], 2);
    assert_eq!(me["status"], "active");
    assert_eq!(me["language"], "en-US");
    assert_eq!(me["role_name"], "Owner");
    assert_eq!(me["timezone"], "Europe/Ljubljana");
    let pmi = me["pmi"].as_i64().expect("pmi is a JSON integer");
    assert_eq!(pmi.to_string().len(), 10);
}

#[tokio::test]
async fn a_user_is_readable_by_own_id_but_another_user_does_not_exist() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    let chloe = emulator.emulator.user_by_email(CHLOE).unwrap();

    let own = get(
        &emulator,
        &format!("/v2/users/{}", ana.id),
        &tokens.access_token,
    )
    .await;
    let other = get(
        &emulator,
        &format!("/v2/users/{}", chloe.id),
        &tokens.access_token,
    )
    .await;

    assert_eq!(own.status(), StatusCode::OK);
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        other.json::<Value>().await.unwrap(),
        json!({"code": 1001, "message": format!("User does not exist: {}.", chloe.id)})
    );
}

#[tokio::test]
async fn an_access_token_in_the_query_string_is_no_token() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let response = client()
        .get(emulator.url("/v2/users/me"))
        .query(&[("access_token", tokens.access_token.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"code": 124, "message": "Invalid access token."})
    );
}

#[tokio::test]
async fn missing_and_unknown_tokens_answer_code_124() {
    let emulator = start().await;

    let missing = client()
        .get(emulator.url("/v2/users/me"))
        .send()
        .await
        .unwrap();
    let unknown = get(&emulator, "/v2/users/me", "not-a-token").await;

    for response in [missing, unknown] {
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"code": 124, "message": "Invalid access token."})
        );
    }
}

#[tokio::test]
async fn expired_access_tokens_answer_access_token_is_expired() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.expire_access_tokens();

    let response = get(&emulator, "/v2/users/me", &tokens.access_token).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"code": 124, "message": "Access token is expired."})
    );
    let refreshed = refresh(&emulator, &tokens.refresh_token).await;
    assert_eq!(
        refreshed.status(),
        StatusCode::OK,
        "the refresh token still works"
    );
}

#[tokio::test]
async fn access_tokens_expire_after_an_hour() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    emulator.emulator.advance_clock(Duration::from_secs(3599));

    let response = get(&emulator, "/v2/users/me", &tokens.access_token).await;

    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.json::<Value>().await.unwrap()["message"],
        "Access token is expired."
    );
}

#[tokio::test]
async fn creating_a_meeting_answers_201_in_zooms_shape() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let response = rest(&emulator, Method::POST, "/v2/users/me/meetings", &tokens.access_token)
        .json(&json!({
            "topic": "Intake session",
            "type": 2,
            "start_time": "2026-12-01T15:00:00Z",
            "duration": 50,
            "timezone": "Europe/Ljubljana",
            "agenda": "First visit",
            "settings": {"host_video": true, "auto_recording": "cloud", "meeting_invitees": [{"email": "client@example.org"}]},
        }))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::CREATED);
    let meeting: Value = response.json().await.unwrap();
    let id = meeting["id"].as_i64().expect("id is a JSON integer");
    assert_eq!(id.to_string().len(), 11);
    assert!(id > i64::from(i32::MAX));
    let uuid = meeting["uuid"].as_str().unwrap();
    assert_eq!(uuid.len(), 24);
    assert!(uuid.ends_with("=="));
    let ana = emulator.emulator.user_by_email(ANA).unwrap();
    assert_eq!(meeting["host_id"], ana.id.as_str());
    assert_eq!(meeting["host_email"], ANA);
    assert_eq!(meeting["topic"], "Intake session");
    assert_eq!(meeting["type"], 2);
    assert_eq!(meeting["status"], "waiting");
    assert_eq!(meeting["start_time"], "2026-12-01T15:00:00Z");
    assert_eq!(meeting["duration"], 50);
    assert_eq!(meeting["timezone"], "Europe/Ljubljana");
    assert_eq!(meeting["agenda"], "First visit");
    assert!(meeting["created_at"].as_str().unwrap().ends_with('Z'));
    let base = emulator.url("");
    assert!(
        meeting["start_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}/s/{id}?zak="))
    );
    let password = meeting["password"].as_str().unwrap();
    assert!((6..=10).contains(&password.len()));
    let encrypted = meeting["encrypted_password"].as_str().unwrap();
    assert_eq!(
        meeting["join_url"],
        format!("{base}/j/{id}?pwd={encrypted}")
    );
    assert!(
        meeting["h323_password"]
            .as_str()
            .unwrap()
            .chars()
            .all(|c| c.is_ascii_digit())
    );
    assert!(meeting["pstn_password"].is_string());
    let settings = &meeting["settings"];
    assert_eq!(settings["host_video"], true);
    assert_eq!(settings["participant_video"], false);
    assert_eq!(settings["join_before_host"], false);
    assert_eq!(settings["jbh_time"], 0);
    assert_eq!(settings["mute_upon_entry"], false);
    assert_eq!(settings["waiting_room"], false);
    assert_eq!(settings["auto_recording"], "cloud");
    assert_eq!(settings["approval_type"], 2);
    assert_eq!(settings["audio"], "both");
    assert_eq!(
        settings["meeting_invitees"],
        json!([{"email": "client@example.org"}])
    );
    assert!(meeting.get("occurrences").is_none());
}

#[tokio::test]
async fn a_local_start_time_is_converted_with_the_time_zone_database() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let winter = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 2, "start_time": "2026-12-01T16:00:00", "timezone": "Europe/Ljubljana", "duration": 30}),
    )
    .await;
    let summer = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 2, "start_time": "2026-07-01T09:30:00", "timezone": "America/New_York", "duration": 30}),
    )
    .await;
    let users_zone = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 2, "start_time": "2026-07-01T09:30:00", "duration": 30}),
    )
    .await;

    assert_eq!(winter["start_time"], "2026-12-01T15:00:00Z");
    assert_eq!(summer["start_time"], "2026-07-01T13:30:00Z");
    assert_eq!(users_zone["timezone"], "Europe/Ljubljana");
    assert_eq!(users_zone["start_time"], "2026-07-01T07:30:00Z");
}

#[tokio::test]
async fn a_given_passcode_is_kept_and_a_waiting_room_meeting_needs_none() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let with_passcode = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 2, "start_time": "2026-12-01T15:00:00Z", "password": "a@B-_*9"}),
    )
    .await;
    let with_waiting_room = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 2, "start_time": "2026-12-01T15:00:00Z",
               "settings": {"waiting_room": true, "join_before_host": true}}),
    )
    .await;

    assert_eq!(with_passcode["password"], "a@B-_*9");
    assert!(with_waiting_room.get("password").is_none());
    assert_eq!(with_waiting_room["settings"]["waiting_room"], true);
    assert_eq!(
        with_waiting_room["settings"]["join_before_host"], false,
        "the waiting room turns join-before-host off"
    );
}

#[tokio::test]
async fn get_patch_and_delete_follow_zoom() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let created = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "Before", "type": 2, "start_time": "2026-12-01T15:00:00Z", "duration": 50}),
    )
    .await;
    let path = format!("/v2/meetings/{}", created["id"]);

    let fetched = get(&emulator, &path, &tokens.access_token).await;
    assert_eq!(fetched.status(), StatusCode::OK);
    let fetched: Value = fetched.json().await.unwrap();
    assert_eq!(fetched["id"], created["id"]);
    assert_eq!(fetched["status"], "waiting");

    let patched = rest(&emulator, Method::PATCH, &path, &tokens.access_token)
        .json(&json!({"topic": "After", "start_time": "2026-12-02T10:00:00Z", "duration": 25}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);
    assert!(patched.bytes().await.unwrap().is_empty());

    let after: Value = get(&emulator, &path, &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["topic"], "After");
    assert_eq!(after["start_time"], "2026-12-02T10:00:00Z");
    assert_eq!(after["duration"], 25);
    assert_eq!(after["id"], created["id"]);
    assert_eq!(after["uuid"], created["uuid"]);
    assert_eq!(after["join_url"], created["join_url"]);
    assert_eq!(after["password"], created["password"]);

    let deleted = rest(&emulator, Method::DELETE, &path, &tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let not_found = json!({"code": 3001, "message": format!("Meeting {} is not found or has expired.", created["id"])});
    let gone = get(&emulator, &path, &tokens.access_token).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert_eq!(gone.json::<Value>().await.unwrap(), not_found);
    let again = rest(&emulator, Method::DELETE, &path, &tokens.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(again.json::<Value>().await.unwrap(), not_found);
}

#[tokio::test]
async fn another_users_meeting_answers_3003() {
    let emulator = start().await;
    let ana = connect(&emulator, ANA).await;
    let chloe = connect(&emulator, CHLOE).await;
    let meeting = create_meeting(
        &emulator,
        &ana.access_token,
        json!({"topic": "Ana's", "type": 2}),
    )
    .await;
    let path = format!("/v2/meetings/{}", meeting["id"]);

    for method in [Method::GET, Method::PATCH, Method::DELETE] {
        let response = rest(&emulator, method.clone(), &path, &chloe.access_token)
            .json(&json!({"topic": "hijacked"}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{method}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"code": 3003, "message": "You are not the meeting host."})
        );
    }
}

#[tokio::test]
async fn listing_pages_through_next_page_token() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    for day in 1..=5 {
        create_meeting(
            &emulator,
            &tokens.access_token,
            json!({"topic": format!("Day {day}"), "type": 2, "start_time": format!("2026-12-0{day}T09:00:00Z")}),
        )
        .await;
    }

    let mut topics = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let response = rest(
            &emulator,
            Method::GET,
            "/v2/users/me/meetings",
            &tokens.access_token,
        )
        .query(&[
            ("type", "scheduled"),
            ("page_size", "2"),
            ("next_page_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: Value = response.json().await.unwrap();
        assert_eq!(page["page_size"], 2);
        assert_eq!(page["total_records"], 5);
        for meeting in page["meetings"].as_array().unwrap() {
            let keys: Vec<&str> = meeting
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            for key in [
                "uuid",
                "id",
                "host_id",
                "topic",
                "type",
                "start_time",
                "duration",
                "timezone",
                "agenda",
                "created_at",
                "join_url",
            ] {
                assert!(keys.contains(&key), "list items carry {key}");
            }
            topics.push(meeting["topic"].as_str().unwrap().to_owned());
        }
        pages += 1;
        token = page["next_page_token"].as_str().unwrap().to_owned();
        if token.is_empty() {
            break;
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(topics, ["Day 1", "Day 2", "Day 3", "Day 4", "Day 5"]);
}

#[tokio::test]
async fn listing_defaults_to_thirty_per_page_and_caps_at_three_hundred() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let default: Value = get(&emulator, "/v2/users/me/meetings", &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    let capped: Value = get(
        &emulator,
        "/v2/users/me/meetings?page_size=1000",
        &tokens.access_token,
    )
    .await
    .json()
    .await
    .unwrap();

    assert_eq!(
        default,
        json!({"page_size": 30, "total_records": 0, "next_page_token": "", "meetings": []})
    );
    assert_eq!(capped["page_size"], 300);
}

#[tokio::test]
async fn upcoming_listings_leave_out_meetings_that_ended() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "Past", "type": 2, "start_time": "2020-01-01T09:00:00Z"}),
    )
    .await;
    create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "Future", "type": 2, "start_time": "2099-01-01T09:00:00Z"}),
    )
    .await;

    let upcoming: Value = get(
        &emulator,
        "/v2/users/me/meetings?type=upcoming",
        &tokens.access_token,
    )
    .await
    .json()
    .await
    .unwrap();

    assert_eq!(upcoming["total_records"], 1);
    assert_eq!(upcoming["meetings"][0]["topic"], "Future");
}

#[tokio::test]
async fn weekly_day_1_is_sunday() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    // 2026-12-02 is a Wednesday.
    let meeting = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "Sundays", "type": 8, "start_time": "2026-12-02T10:00:00", "timezone": "Europe/Ljubljana",
               "duration": 45, "recurrence": {"type": 2, "repeat_interval": 1, "weekly_days": "1", "end_times": 3}}),
    )
    .await;

    let occurrences = meeting["occurrences"].as_array().unwrap();
    let starts: Vec<&str> = occurrences
        .iter()
        .map(|o| o["start_time"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-12-06T09:00:00Z",
            "2026-12-13T09:00:00Z",
            "2026-12-20T09:00:00Z"
        ]
    );
    assert_eq!(meeting["start_time"], "2026-12-06T09:00:00Z");
    assert_eq!(
        meeting["recurrence"],
        json!({"type": 2, "repeat_interval": 1, "weekly_days": "1", "end_times": 3})
    );
    for occurrence in occurrences {
        assert_eq!(occurrence["duration"], 45);
        assert_eq!(occurrence["status"], "available");
        let id: i64 = occurrence["occurrence_id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        let start = jiff::Timestamp::from_millisecond(id).unwrap();
        assert_eq!(
            start.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            occurrence["start_time"]
        );
    }
}

#[tokio::test]
async fn weekly_occurrences_keep_local_time_across_daylight_saving() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    // Mondays and Wednesdays (2, 4) every other week, across the end of CEST on 2026-10-25.
    let meeting = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 8, "start_time": "2026-10-19T18:00:00", "timezone": "Europe/Ljubljana",
               "recurrence": {"type": 2, "repeat_interval": 2, "weekly_days": "4,2", "end_times": 4}}),
    )
    .await;

    let starts: Vec<&str> = meeting["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["start_time"].as_str().unwrap())
        .collect();
    assert_eq!(
        starts,
        [
            "2026-10-19T16:00:00Z",
            "2026-10-21T16:00:00Z",
            "2026-11-02T17:00:00Z",
            "2026-11-04T17:00:00Z"
        ]
    );
}

#[tokio::test]
async fn daily_and_monthly_recurrences_expand_like_zoom() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;

    let daily = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 8, "start_time": "2026-12-30T08:00:00Z", "timezone": "UTC",
               "recurrence": {"type": 1, "repeat_interval": 2, "end_date_time": "2027-01-05T08:00:00Z"}}),
    )
    .await;
    let last_friday = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 8, "start_time": "2026-12-01T08:00:00Z", "timezone": "UTC",
               "recurrence": {"type": 3, "monthly_week": -1, "monthly_week_day": 6, "end_times": 3}}),
    )
    .await;
    let thirty_first = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "t", "type": 8, "start_time": "2027-01-01T08:00:00Z", "timezone": "UTC",
               "recurrence": {"type": 3, "monthly_day": 31, "end_times": 2}}),
    )
    .await;

    let starts = |meeting: &Value| -> Vec<String> {
        meeting["occurrences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["start_time"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        starts(&daily),
        [
            "2026-12-30T08:00:00Z",
            "2027-01-01T08:00:00Z",
            "2027-01-03T08:00:00Z",
            "2027-01-05T08:00:00Z"
        ]
    );
    assert_eq!(
        starts(&last_friday),
        [
            "2026-12-25T08:00:00Z",
            "2027-01-29T08:00:00Z",
            "2027-02-26T08:00:00Z"
        ]
    );
    assert_eq!(
        starts(&thirty_first),
        ["2027-01-31T08:00:00Z", "2027-02-28T08:00:00Z"]
    );
}

#[tokio::test]
async fn one_occurrence_can_be_moved_or_deleted_by_occurrence_id() {
    let emulator = start().await;
    let tokens = connect(&emulator, ANA).await;
    let meeting = create_meeting(
        &emulator,
        &tokens.access_token,
        json!({"topic": "Daily", "type": 8, "start_time": "2026-12-01T08:00:00Z", "timezone": "UTC", "duration": 30,
               "recurrence": {"type": 1, "end_times": 3}}),
    )
    .await;
    let path = format!("/v2/meetings/{}", meeting["id"]);
    let ids: Vec<String> = meeting["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["occurrence_id"].as_str().unwrap().to_owned())
        .collect();

    let moved = rest(&emulator, Method::PATCH, &path, &tokens.access_token)
        .query(&[("occurrence_id", ids[1].as_str())])
        .json(&json!({"start_time": "2026-12-02T09:15:00Z", "duration": 20}))
        .send()
        .await
        .unwrap();
    let deleted = rest(&emulator, Method::DELETE, &path, &tokens.access_token)
        .query(&[("occurrence_id", ids[2].as_str())])
        .send()
        .await
        .unwrap();
    let unknown = rest(&emulator, Method::DELETE, &path, &tokens.access_token)
        .query(&[("occurrence_id", ids[2].as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(moved.status(), StatusCode::NO_CONTENT);
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(unknown.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        unknown.json::<Value>().await.unwrap(),
        json!({"code": 3000, "message": "Invalid occurrence_id."})
    );
    let after: Value = get(&emulator, &path, &tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        after["occurrences"],
        json!([
            {"occurrence_id": ids[0], "start_time": "2026-12-01T08:00:00Z", "duration": 30, "status": "available"},
            {"occurrence_id": ids[1], "start_time": "2026-12-02T09:15:00Z", "duration": 20, "status": "available"},
        ])
    );
    assert_eq!(after["topic"], "Daily", "the series is otherwise unchanged");
}

#[tokio::test]
async fn scheduling_for_a_user_needs_their_scheduling_privilege() {
    let emulator = start().await;
    let ana = connect(&emulator, ANA).await;
    let ben = emulator.emulator.user_by_email(BEN).unwrap();

    let for_ben = create_meeting(
        &emulator,
        &ana.access_token,
        json!({"topic": "For Ben", "schedule_for": BEN}),
    )
    .await;
    assert_eq!(for_ben["host_id"], ben.id.as_str());
    assert_eq!(for_ben["host_email"], BEN);
    assert_eq!(emulator.emulator.meetings_of(&ben.id).len(), 1);

    let for_chloe = rest(
        &emulator,
        Method::POST,
        "/v2/users/me/meetings",
        &ana.access_token,
    )
    .json(&json!({"topic": "For Chloé", "schedule_for": CHLOE}))
    .send()
    .await
    .unwrap();
    assert_eq!(for_chloe.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        for_chloe.json::<Value>().await.unwrap(),
        json!({"code": 3000, "message": format!("You cannot schedule a meeting for {CHLOE}.")})
    );

    let for_nobody = rest(
        &emulator,
        Method::POST,
        "/v2/users/me/meetings",
        &ana.access_token,
    )
    .json(&json!({"topic": "For nobody", "schedule_for": "nobody@example.org"}))
    .send()
    .await
    .unwrap();
    assert_eq!(for_nobody.status(), StatusCode::BAD_REQUEST);
    assert_eq!(for_nobody.json::<Value>().await.unwrap()["code"], 300);
}

#[tokio::test]
async fn a_scheduler_added_through_the_control_api_may_schedule() {
    let emulator = start().await;
    let chloe = connect(&emulator, CHLOE).await;
    let added = client()
        .post(emulator.url(&format!("/_control/users/{ANA}/schedulers")))
        .json(&json!({"scheduler": CHLOE}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), StatusCode::OK);

    let meeting = create_meeting(
        &emulator,
        &chloe.access_token,
        json!({"topic": "For Ana", "schedule_for": ANA}),
    )
    .await;

    assert_eq!(meeting["host_email"], ANA);
    let path = format!("/v2/meetings/{}", meeting["id"]);
    assert_eq!(
        get(&emulator, &path, &chloe.access_token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_daily_create_update_limit_answers_429_until_the_next_utc_day() {
    let emulator = start_with(|config| config.daily_meeting_limit = 2).await;
    let tokens = connect(&emulator, ANA).await;
    let meeting = create_meeting(&emulator, &tokens.access_token, json!({"topic": "one"})).await;
    let patched = rest(
        &emulator,
        Method::PATCH,
        &format!("/v2/meetings/{}", meeting["id"]),
        &tokens.access_token,
    )
    .json(&json!({"topic": "two"}))
    .send()
    .await
    .unwrap();
    assert_eq!(patched.status(), StatusCode::NO_CONTENT);

    let refused = rest(
        &emulator,
        Method::POST,
        "/v2/users/me/meetings",
        &tokens.access_token,
    )
    .json(&json!({"topic": "three"}))
    .send()
    .await
    .unwrap();

    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let headers = refused.headers().clone();
    assert_eq!(headers["x-ratelimit-category"], "Medium");
    assert_eq!(headers["x-ratelimit-type"], "Daily-limit");
    assert_eq!(headers["x-ratelimit-limit"], "2");
    assert_eq!(headers["x-ratelimit-remaining"], "0");
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .tomorrow()
        .unwrap()
        .strftime("%Y-%m-%dT00:00:00Z")
        .to_string();
    assert_eq!(headers["retry-after"], tomorrow.as_str());
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"code": 429, "message": "You have exceeded the daily rate limit (2) of Meeting Create/Update API requests permitted for this particular user. You may resume these requests at GMT 00:00:00."})
    );
    let other_user = connect(&emulator, BEN).await;
    create_meeting(
        &emulator,
        &other_user.access_token,
        json!({"topic": "Ben is not limited"}),
    )
    .await;

    emulator
        .emulator
        .advance_clock(Duration::from_secs(24 * 3600));
    emulator.emulator.expire_access_tokens();
    let fresh: Value = refresh(&emulator, &tokens.refresh_token)
        .await
        .json()
        .await
        .unwrap();
    create_meeting(
        &emulator,
        fresh["access_token"].as_str().unwrap(),
        json!({"topic": "next day"}),
    )
    .await;
}
