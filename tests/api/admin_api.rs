//! The operator's JSON API and its token.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{assert_problem, spawn_app, spawn_app_with};

#[tokio::test]
async fn creating_an_application_returns_its_secrets_once() {
    let app = spawn_app().await;
    let response = app
        .admin(Method::POST, "/admin/api/applications")
        .json(&json!({
            "name": "Calm Therapy",
            "redirect_uris": ["https://calm.example/zoom/done", "http://localhost:3000/cb"],
            "webhook_url": "https://calm.example/hooks",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert!(created["id"].as_str().unwrap().starts_with("app_"));
    assert_eq!(created["name"], "Calm Therapy");
    assert_eq!(created["redirect_uris"][1], "http://localhost:3000/cb");
    assert_eq!(created["webhook_url"], "https://calm.example/hooks");
    let api_key = created["api_key"].as_str().unwrap();
    let secret = created["webhook_secret"].as_str().unwrap();
    assert!(api_key.starts_with("cvk_") && api_key.len() >= 4 + 43);
    assert!(secret.starts_with("whsec_"));

    let shown = app
        .application_detail(created["id"].as_str().unwrap())
        .await;
    let text = shown.to_string();
    assert!(
        !text.contains(api_key) && !text.contains(secret),
        "no secret shown again: {text}"
    );
    assert_eq!(shown["keys"][0]["prefix"], &api_key[..12]);
    assert_eq!(shown["status"], "active");

    let listed: Value = app
        .admin(Method::GET, "/admin/api/applications")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["applications"].as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(secret));
}

#[tokio::test]
async fn the_admin_api_needs_the_admin_token() {
    let app = spawn_app().await;
    let missing = app
        .client
        .get(app.url("/admin/api/applications"))
        .send()
        .await
        .unwrap();
    assert_problem(missing, 401, "unauthorized").await;
    for wrong in [
        "nope",
        "test-admin-token-012345678",
        "test-admin-token-01234567890",
    ] {
        let response = app
            .client
            .get(app.url("/admin/api/applications"))
            .bearer_auth(wrong)
            .send()
            .await
            .unwrap();
        assert_problem(response, 401, "unauthorized").await;
    }
    let tenant = app.create_tenant("Calm").await;
    let with_api_key = app.get_as(&tenant.api_key, "/admin/api/applications").await;
    assert_problem(with_api_key, 401, "unauthorized").await;
}

#[tokio::test]
async fn without_an_admin_token_the_admin_api_does_not_exist() {
    let app = spawn_app_with(|config| config.admin_token = None).await;
    let response = app
        .admin(Method::GET, "/admin/api/applications")
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn keys_of_unknown_applications_are_404() {
    let app = spawn_app().await;
    let response = app
        .admin(Method::POST, "/admin/api/applications/app_nope/keys")
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
    let response = app
        .admin(
            Method::DELETE,
            "/admin/api/applications/app_nope/keys/key_nope",
        )
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
    let response = app
        .admin(Method::GET, "/admin/api/applications/app_nope")
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
}

#[tokio::test]
async fn revoking_twice_is_idempotent() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let detail = app.application_detail(&tenant.id).await;
    let key_id = detail["keys"][0]["id"].as_str().unwrap();
    let path = format!("/admin/api/applications/{}/keys/{key_id}", tenant.id);
    for _ in 0..2 {
        let response = app.admin(Method::DELETE, &path).send().await.unwrap();
        assert_eq!(response.status(), 204);
    }
}
