use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    let health = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    let id = response.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "caller-chosen-id")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "caller-chosen-id");
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_without_ids_or_keys() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Metrics").await;
    app.get_as(&tenant.api_key, "/v1/end_users/patient-secret-id-123")
        .await;
    app.get_as("cvk_not-a-real-key", "/v1/end_users/x").await;
    let text = app.metrics().await;
    assert!(
        text.contains(r#"route="/v1/end_users/{end_user_id}""#),
        "route template in metrics:\n{text}"
    );
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(!text.contains("patient-secret-id-123"), "no ids in labels");
    assert!(!text.contains(&tenant.api_key), "no keys in metrics");
    assert!(!text.contains(&tenant.id), "no application ids in labels");
}
