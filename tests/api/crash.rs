//! A hub killed while a Zoom create's outcome is unknown to it, restarted on
//! the same database: the meeting Zoom made is adopted, never made twice.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use convene::domain::{Timestamp, new_id};
use convene::sandbox::{Fault, FaultScope};
use convene::store::entity::{end_user, link};
use sea_orm::{ActiveModelTrait, IntoActiveModel};
use serde_json::{Value, json};

use crate::helpers::spawn_app;
use crate::zoom_fixture::{CLIENT_ID, CLIENT_SECRET, WEBHOOK_SECRET, zoom_fixture};

const ANA: &str = "ana.novak@sandbox.zoom.test";

/// `convene serve` as its own process, talking to the given Zoom.
struct HubProcess {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl HubProcess {
    async fn start(database_url: &str, master_keys: &str, zoom_base: &str) -> Self {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let url = format!("http://127.0.0.1:{port}");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_convene"))
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("CONVENE_LISTEN", format!("127.0.0.1:{port}"))
            .env("CONVENE_PUBLIC_URL", &url)
            .env("CONVENE_DATABASE_URL", database_url)
            .env("CONVENE_MASTER_KEYS", master_keys)
            .env("CONVENE_ZOOM_CLIENT_ID", CLIENT_ID)
            .env("CONVENE_ZOOM_CLIENT_SECRET", CLIENT_SECRET)
            .env("CONVENE_ZOOM_WEBHOOK_SECRET", WEBHOOK_SECRET)
            .env("CONVENE_ZOOM_OAUTH_URL", zoom_base)
            .env("CONVENE_ZOOM_API_URL", format!("{zoom_base}/v2"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("convene serve starts");
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if let Ok(response) = client.get(format!("{url}/healthz")).send().await
                && response.status() == 200
            {
                return Self {
                    child,
                    url,
                    _dir: dir,
                };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("convene serve did not come up");
    }

    /// SIGKILL: no draining, no cleanup.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_hub_killed_while_a_create_was_unanswered_makes_exactly_one_meeting_after_restart() {
    let mut app = spawn_app().await;
    let zoom = zoom_fixture().await;
    let tenant = app.create_tenant("Calm").await;
    // Ana connected for end user t-1 (as the connect flow leaves it).
    let credential = zoom.connect(&app, ANA).await;
    let now = Timestamp::now();
    let end_user = end_user::Model {
        id: new_id("eu"),
        application_id: tenant.id.clone(),
        external_id: "t-1".to_owned(),
        email: None,
        name: None,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(app.store.connection())
    .await
    .unwrap();
    link::Model {
        id: new_id("lnk"),
        application_id: tenant.id.clone(),
        end_user_id: end_user.id,
        credential_id: credential.id,
        status: "active".to_owned(),
        connected_at: now,
        last_used_at: None,
        created_at: now,
        updated_at: now,
    }
    .into_active_model()
    .insert(app.store.connection())
    .await
    .unwrap();
    // The in-process hub only prepared the database: its workers (talking to
    // its own sandbox Zoom) must not touch the event.
    app.shut_down().await;
    let zoom_base = zoom.zoom.base_url.as_str().trim_end_matches('/').to_owned();
    let client = reqwest::Client::new();

    let first = HubProcess::start(&app.database_url, &app.master_keys, &zoom_base).await;
    // Zoom makes the meeting, and the answer never reaches the hub.
    zoom.zoom.emulator.inject(Fault::ResetAfterProcessing {
        scope: FaultScope::Api,
        count: 1,
    });
    let event: Value = client
        .put(format!("{}/v1/events/appt-1", first.url))
        .bearer_auth(&tenant.api_key)
        .json(&json!({
            "end_user_id": "t-1",
            "summary": "Therapy session",
            "start": "2030-12-01T15:00:00Z",
            "end": "2030-12-01T15:50:00Z",
            "tzid": "Europe/Ljubljana",
            "conferencing": {"provider": "zoom", "settings": {"waiting_room": true}},
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(event["conferencing"]["status"], "pending");
    first.kill();

    let second = HubProcess::start(&app.database_url, &app.master_keys, &zoom_base).await;
    let mut settled = Value::Null;
    for _ in 0..300 {
        settled = client
            .get(format!("{}/v1/events/appt-1", second.url))
            .bearer_auth(&tenant.api_key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if settled["conferencing"]["status"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(settled["conferencing"]["status"], "ready", "{settled}");

    let user = zoom.zoom.emulator.user_by_email(ANA).unwrap();
    let creates = zoom
        .zoom
        .emulator
        .ledger()
        .iter()
        .filter(|entry| entry.method == "POST" && entry.path.ends_with("/meetings"))
        .count();
    eprintln!("crash test: meeting creates at Zoom for 1 event = {creates}");
    assert_eq!(creates, 1, "exactly one create reached Zoom");
    assert_eq!(zoom.zoom.emulator.meetings_of(&user.id).len(), 1);
    assert_eq!(
        settled["conferencing"]["meeting_id"].as_str().unwrap(),
        zoom.zoom.emulator.meetings_of(&user.id)[0]["id"].to_string()
    );
}
