//! The OpenAPI document: served at `/v1/openapi.json`, identical to the checked-in
//! `sdk-docs/openapi.json`, naming every operation of the contract — and true: real requests
//! and responses of a whole session against the hub satisfy its schemas.
//!
//! After changing the API, refresh the copy with
//! `CONVENE_WRITE_OPENAPI=1 cargo test --test api openapi` and commit it.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

const CHECKED_IN: &str = "sdk-docs/openapi.json";

async fn served(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url("/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_served_document_is_the_checked_in_one() {
    let app = spawn_app().await;
    let document = served(&app).await;
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(CHECKED_IN);
    let pretty = format!("{}\n", serde_json::to_string_pretty(&document).unwrap());
    if std::env::var_os("CONVENE_WRITE_OPENAPI").is_some() {
        std::fs::write(&path, &pretty).unwrap();
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == pretty,
        "{CHECKED_IN} is not what the hub serves: run CONVENE_WRITE_OPENAPI=1 cargo test --test api openapi"
    );
}

#[tokio::test]
async fn every_operation_of_the_contract_is_documented_with_its_problems() {
    let app = spawn_app().await;
    let document = served(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    for (path, method) in [
        ("/v1/connect_sessions", "post"),
        ("/v1/connect_sessions/{id}", "get"),
        ("/v1/end_users/{end_user_id}", "get"),
        ("/v1/end_users/{end_user_id}/account_link", "post"),
        ("/v1/links/{link_id}", "delete"),
        ("/v1/events", "get"),
        ("/v1/events/{event_id}", "put"),
        ("/v1/events/{event_id}", "get"),
        ("/v1/events/{event_id}", "delete"),
        ("/v1/events/{event_id}/start_url", "post"),
    ] {
        let operation = &document["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is documented");
        for status in ["401", "422", "500"] {
            assert_eq!(
                operation["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} documents {status}"
            );
        }
    }
    assert_eq!(
        document["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );
}

/// A validator for the document's schema `name`, strict: an object may hold only the
/// properties its schema names, so an undocumented field in a response fails too.
fn validator(document: &Value, name: &str) -> jsonschema::Validator {
    let mut root = document.clone();
    for schema in root["components"]["schemas"]
        .as_object_mut()
        .unwrap()
        .values_mut()
    {
        if schema["type"] == "object" {
            schema["additionalProperties"] = json!(false);
        }
    }
    root["$schema"] = json!("https://json-schema.org/draft/2020-12/schema");
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    jsonschema::validator_for(&root).unwrap()
}

/// Checks `instance` against the document's schema `name`.
fn conforms(document: &Value, name: &str, instance: &Value) {
    let validator = validator(document, name);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{instance} is not a {name}: {errors:?}");
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn real_requests_and_responses_match_the_documented_schemas() {
    let app = spawn_app().await;
    let document = served(&app).await;
    let tenant = app.create_tenant("Calm").await;
    let key = tenant.api_key.as_str();
    let v1 = |path: &str| app.url(&format!("/v1{path}"));

    let session_request = json!({"end_user_id": "t-1", "redirect_uri": "https://app.example.com/callback",
        "state": "s", "provider": "zoom", "end_user_email": "t1@example.org", "end_user_name": "T One"});
    conforms(&document, "ConnectSessionRequest", &session_request);
    let (status, session) = send(
        app.client
            .post(v1("/connect_sessions"))
            .bearer_auth(key)
            .json(&session_request),
    )
    .await;
    assert_eq!(status, 201);
    conforms(&document, "ConnectSession", &session);
    let (_, state) = send(
        app.client
            .get(v1(&format!(
                "/connect_sessions/{}",
                session["id"].as_str().unwrap()
            )))
            .bearer_auth(key),
    )
    .await;
    conforms(&document, "ConnectSessionState", &state);

    assert_eq!(
        app.connect_as(&tenant, "t-1", "ana.novak@sandbox.zoom.test")
            .await["status"],
        "connected"
    );
    let (_, end_user) = send(app.client.get(v1("/end_users/t-1")).bearer_auth(key)).await;
    conforms(&document, "EndUser", &end_user);
    let (status, account_link) = send(
        app.client
            .post(v1("/end_users/t-1/account_link"))
            .bearer_auth(key),
    )
    .await;
    assert_eq!(status, 201);
    conforms(&document, "AccountLink", &account_link);

    let event_request = json!({"end_user_id": "t-1", "summary": "Therapy session",
        "description": "Weekly", "start": "2030-12-01T15:00:00Z", "end": "2030-12-01T15:50:00Z",
        "tzid": "Europe/Ljubljana", "attendees": [{"email": "pat@example.org", "name": "Pat"}],
        "recurrence": {"frequency": "weekly", "by_day": ["SU"], "count": 4},
        "conferencing": {"provider": "zoom", "settings": {"waiting_room": true, "passcode": "abc123"}}});
    conforms(&document, "EventRequest", &event_request);
    let (status, event) = send(
        app.client
            .put(v1("/events/appt-1"))
            .bearer_auth(key)
            .json(&event_request),
    )
    .await;
    assert_eq!(status, 201);
    conforms(&document, "Event", &event);
    let plain = json!({"end_user_id": "t-1", "summary": "Plain", "start": "2030-12-02T15:00:00Z",
        "end": "2030-12-02T15:30:00Z", "tzid": "UTC", "conferencing": null});
    conforms(&document, "EventRequest", &plain);
    let (_, plain_event) = send(
        app.client
            .put(v1("/events/plain"))
            .bearer_auth(key)
            .json(&plain),
    )
    .await;
    conforms(&document, "Event", &plain_event);
    let (_, list) = send(app.client.get(v1("/events?limit=1")).bearer_auth(key)).await;
    assert!(list["next_cursor"].is_string());
    conforms(&document, "EventList", &list);
    let (_, start) = send(
        app.client
            .post(v1("/events/appt-1/start_url"))
            .bearer_auth(key),
    )
    .await;
    conforms(&document, "StartUrl", &start);

    let (status, missing) = send(app.client.get(v1("/events/nope")).bearer_auth(key)).await;
    assert_eq!(status, 404);
    conforms(&document, "Problem", &missing);
    let (status, invalid) = send(
        app.client
            .put(v1("/events/bad"))
            .bearer_auth(key)
            .json(&json!({"end_user_id": "t-1"})),
    )
    .await;
    assert_eq!(status, 422);
    conforms(&document, "Problem", &invalid);
    let (status, conflict) = send(app.client.put(v1("/events/other")).bearer_auth(key).json(
        &json!({"end_user_id": "t-2",
            "summary": "x", "start": "2030-12-02T15:00:00Z", "end": "2030-12-02T15:30:00Z",
            "tzid": "UTC", "conferencing": {"provider": "zoom"}}),
    ))
    .await;
    assert_eq!(status, 409);
    conforms(&document, "Problem", &conflict);
}

#[test]
fn a_body_the_schemas_refuse_is_refused() {
    // The checks above are only worth something if a wrong body fails them.
    let document = serde_json::to_value(convene::http::api::openapi::document()).unwrap();
    let event = validator(&document, "Event");
    assert!(!event.is_valid(&json!({"event_id": "x"})), "fields missing");
    let link = validator(&document, "Link");
    let mut body = json!({"id": "l", "end_user_id": "t", "provider": "zoom", "status": "gone",
        "account": {"email": "a@b.c", "display_name": "A"}, "connected_at": "2030-01-01T00:00:00Z"});
    assert!(!link.is_valid(&body), "an unknown status");
    body["status"] = json!("active");
    assert!(link.is_valid(&body));
    body["access_token"] = json!("secret");
    assert!(!link.is_valid(&body), "an undocumented field");
}
