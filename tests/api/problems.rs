//! Every malformed input gets the contract's problem+json, never a 500.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn unknown_routes_are_404_problems() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let app = spawn_app().await;
    let response = app.client.delete(app.url("/healthz")).send().await.unwrap();
    let allow = response.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET"), "{allow}");
    assert_problem(response, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn a_body_that_is_not_json_is_400() {
    let app = spawn_app().await;
    let response = app
        .admin(Method::POST, "/admin/api/applications")
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 400, "invalid_request").await;
    assert!(body["detail"].as_str().unwrap().contains("not valid JSON"));
}

#[tokio::test]
async fn a_wrong_content_type_is_400() {
    let app = spawn_app().await;
    let response = app
        .admin(Method::POST, "/admin/api/applications")
        .header("content-type", "text/plain")
        .body(r#"{"name":"x","redirect_uris":["https://a.example/cb"]}"#)
        .send()
        .await
        .unwrap();
    let body = assert_problem(response, 400, "invalid_request").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("application/json")
    );
}

#[tokio::test]
async fn missing_fields_and_wrong_types_are_422_naming_the_field() {
    let app = spawn_app().await;
    let cases = [
        (json!({"redirect_uris": ["https://a.example/cb"]}), "name"),
        (
            json!({"name": 7, "redirect_uris": ["https://a.example/cb"]}),
            "name",
        ),
        (
            json!({"name": "x", "redirect_uris": "https://a.example/cb"}),
            "redirect_uris",
        ),
        (
            json!({"name": "x", "redirect_uris": [42]}),
            "redirect_uris[0]",
        ),
        (
            json!({"name": "x", "redirect_uris": ["https://a.example/cb"], "extra": 1}),
            "extra",
        ),
        (json!(["not", "an", "object"]), "body"),
    ];
    for (body, field) in cases {
        let response = app
            .admin(Method::POST, "/admin/api/applications")
            .json(&body)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["field"], field,
            "for {body}: {problem}"
        );
    }
}

#[tokio::test]
async fn invalid_values_are_422_listing_every_bad_field() {
    let app = spawn_app().await;
    let response = app
        .admin(Method::POST, "/admin/api/applications")
        .json(&json!({
            "name": "  ",
            "redirect_uris": ["https://ok.example/cb", "not a url"],
            "webhook_url": "ftp://hooks.example",
            "rate_limit_per_second": 0,
        }))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "redirect_uris[1]",
            "webhook_url",
            "rate_limit_per_second"
        ]
    );
}

#[tokio::test]
async fn an_oversized_body_is_413() {
    let app = spawn_app_with(|config| config.tuning.max_body_bytes = 1024).await;
    let response = app
        .admin(Method::POST, "/admin/api/applications")
        .json(&json!({"name": "x".repeat(4096), "redirect_uris": ["https://a.example/cb"]}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 413, "payload_too_large").await;
}

#[tokio::test]
async fn a_bad_path_parameter_is_a_problem_not_a_500() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Paths").await;
    let long = "x".repeat(300);
    let response = app
        .get_as(&tenant.api_key, &format!("/v1/end_users/{long}"))
        .await;
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["errors"][0]["field"], "end_user_id");
    let response = app
        .client
        .delete(app.url("/admin/api/applications/app_x/keys/%FF"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_problem(response, 400, "invalid_request").await;
}
