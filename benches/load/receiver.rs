//! The application's webhook endpoint, served by the harness: remembers every delivery id
//! and what each event's notifications said.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::Value;
use tokio::net::TcpListener;

/// What the application was told.
#[derive(Default)]
pub struct Told {
    /// Every `webhook-id` received (retries of one delivery share it).
    pub deliveries: HashSet<String>,
    /// Event id → the types of the notifications about it, in arrival order.
    pub about_event: HashMap<String, Vec<String>>,
}

/// A running webhook endpoint.
pub struct WebhookReceiver {
    pub url: String,
    told: Arc<Mutex<Told>>,
}

impl WebhookReceiver {
    /// Serves on a loopback port until the harness exits.
    pub async fn start() -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}/hooks", listener.local_addr()?);
        let told = Arc::new(Mutex::new(Told::default()));
        let app = Router::new()
            .route("/hooks", post(receive))
            .with_state(Arc::clone(&told));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { url, told })
    }

    /// Reads what was told so far.
    pub fn with_told<T>(&self, read: impl FnOnce(&Told) -> T) -> T {
        read(&self.told.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

async fn receive(
    State(told): State<Arc<Mutex<Told>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Ok(notification) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let id = headers
        .get("webhook-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let kind = notification["type"].as_str().unwrap_or_default().to_owned();
    let mut told = told.lock().unwrap_or_else(PoisonError::into_inner);
    told.deliveries.insert(id);
    if let Some(event_id) = notification["data"]["event_id"].as_str() {
        told.about_event
            .entry(event_id.to_owned())
            .or_default()
            .push(kind);
    }
    StatusCode::NO_CONTENT
}
