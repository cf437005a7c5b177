//! Tenants are walls: one application's key never reaches another's data.

use convene::domain::{Timestamp, new_id};
use convene::store::entity::{credential, end_user, link};
use convene::vault::{KeyRing, Purpose, SealContext};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use serde_json::Value;

use crate::helpers::{TestApp, assert_problem, spawn_app};

/// Gives `application_id`'s end user `external_id` a link to a Zoom account,
/// as the connect flow would.
async fn seed_link(app: &TestApp, application_id: &str, external_id: &str, email: &str) -> String {
    let now = Timestamp::now();
    let db = app.store.connection();
    let vault = KeyRing::parse(&app.master_keys).unwrap();
    let end_user_id = new_id("eu");
    end_user::Model {
        id: end_user_id.clone(),
        application_id: application_id.to_owned(),
        external_id: external_id.to_owned(),
        email: None,
        name: None,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(db)
    .await
    .unwrap();
    let credential_id = new_id("cred");
    let seal = |purpose, value: &str| {
        vault.seal_str(
            value,
            &SealContext {
                purpose,
                row_id: &credential_id,
            },
        )
    };
    credential::Model {
        id: credential_id.clone(),
        provider: "zoom".to_owned(),
        provider_user_id: new_id("zu"),
        provider_account_id: Some("acct".to_owned()),
        email: email.to_owned(),
        display_name: "Dr. Ana Novak".to_owned(),
        access_token: seal(Purpose::ZoomAccessToken, "zoom-access-token-value"),
        refresh_token: seal(Purpose::ZoomRefreshToken, "zoom-refresh-token-value"),
        access_token_expires_at: now,
        scopes: "meeting:write user:read".to_owned(),
        status: "active".to_owned(),
        version: 0,
        refresh_lease_until: None,
        refresh_lease_holder: None,
        refresh_failures: 0,
        next_refresh_attempt_at: None,
        refresh_failing_since: None,
        last_refreshed_at: now,
        last_used_at: None,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(db)
    .await
    .unwrap();
    let link_id = new_id("lnk");
    link::Model {
        id: link_id.clone(),
        application_id: application_id.to_owned(),
        end_user_id,
        credential_id,
        status: "active".to_owned(),
        connected_at: now,
        last_used_at: None,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(db)
    .await
    .unwrap();
    link_id
}

#[tokio::test]
async fn an_application_sees_its_own_end_users_links_and_never_a_token() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let link_id = seed_link(&app, &calm.id, "therapist-42", "ana@example.org").await;
    let response = app
        .get_as(&calm.api_key, "/v1/end_users/therapist-42")
        .await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        !text.contains("zoom-access-token-value") && !text.contains("zoom-refresh-token-value")
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["end_user_id"], "therapist-42");
    let link = &body["links"][0];
    assert_eq!(link["id"], link_id.as_str());
    assert_eq!(link["end_user_id"], "therapist-42");
    assert_eq!(link["provider"], "zoom");
    assert_eq!(link["status"], "active");
    assert_eq!(link["account"]["email"], "ana@example.org");
    assert_eq!(link["account"]["display_name"], "Dr. Ana Novak");
    assert!(link["connected_at"].as_str().unwrap().ends_with('Z'));
}

#[tokio::test]
async fn an_unknown_end_user_has_no_links() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let body: Value = app
        .get_as(&calm.api_key, "/v1/end_users/nobody")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        serde_json::json!({"end_user_id": "nobody", "links": []})
    );
}

#[tokio::test]
async fn another_application_with_the_same_end_user_id_sees_nothing() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    seed_link(&app, &calm.id, "therapist-42", "ana@example.org").await;
    let body: Value = app
        .get_as(&ehr.api_key, "/v1/end_users/therapist-42")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["links"], serde_json::json!([]));
}

#[tokio::test]
async fn one_application_cannot_revoke_anothers_key_through_its_own_path() {
    let app = spawn_app().await;
    let calm = app.create_tenant("Calm").await;
    let ehr = app.create_tenant("EHR").await;
    let detail = app.application_detail(&ehr.id).await;
    let ehr_key_id = detail["keys"][0]["id"].as_str().unwrap();
    let response = app
        .admin(
            Method::DELETE,
            &format!("/admin/api/applications/{}/keys/{ehr_key_id}", calm.id),
        )
        .send()
        .await
        .unwrap();
    assert_problem(response, 404, "not_found").await;
    assert_eq!(
        app.get_as(&ehr.api_key, "/v1/end_users/x").await.status(),
        200
    );
}
