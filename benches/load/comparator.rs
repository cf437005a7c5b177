//! The bare-minimum comparator, run as a child process of its own: a few-line handler that
//! does only what no hub can avoid — read the event, make one loopback call to the emulator
//! to create the meeting, and insert one row into the same database, over the hub's own
//! connection pool settings.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::put;
use clap::Args;
use convene::store::Store;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// Its one table, made beside the hub's.
const TABLE: &str = "bench_comparator_events";
/// Connections in its pool: the hub's default.
const POOL_SIZE: u32 = 16;

/// The comparator role's arguments.
#[derive(Args, Debug)]
pub struct ComparatorRole {
    /// Port to serve on (127.0.0.1).
    #[arg(long)]
    port: u16,
    /// The hub's database.
    #[arg(long)]
    database_url: String,
    /// The emulator's base URL.
    #[arg(long)]
    zoom: String,
    /// Access tokens of the Zoom users it creates meetings for, used in turn.
    #[arg(
        long,
        env = "BENCH_ZOOM_TOKENS",
        value_delimiter = ',',
        hide_env_values = true
    )]
    tokens: Vec<String>,
}

struct Comparator {
    db: DatabaseConnection,
    http: reqwest::Client,
    meetings_url: String,
    tokens: Vec<String>,
    turn: AtomicUsize,
}

impl ComparatorRole {
    /// Serves `PUT /events/{id}` until killed.
    pub async fn serve(self) -> anyhow::Result<()> {
        anyhow::ensure!(!self.tokens.is_empty(), "the comparator needs Zoom tokens");
        let store = Store::connect(&self.database_url.clone().into(), POOL_SIZE).await?;
        let db = store.connection().clone();
        db.execute_unprepared(&format!(
            "CREATE TABLE IF NOT EXISTS {TABLE} (id TEXT PRIMARY KEY, event TEXT NOT NULL, meeting_id TEXT NOT NULL)"
        ))
        .await?;
        let comparator = Comparator {
            db,
            http: reqwest::Client::new(),
            meetings_url: format!("{}/v2/users/me/meetings", self.zoom),
            tokens: self.tokens,
            turn: AtomicUsize::new(0),
        };
        let app = Router::new()
            .route("/events/{id}", put(create))
            .route("/healthz", axum::routing::get(|| async { "ok" }))
            .with_state(Arc::new(comparator));
        let listener = TcpListener::bind(("127.0.0.1", self.port)).await?;
        axum::serve(listener, app).await?;
        Ok(())
    }
}

async fn create(
    State(comparator): State<Arc<Comparator>>,
    Path(id): Path<String>,
    body: Bytes,
) -> StatusCode {
    match comparator.create(id, &body).await {
        Ok(()) => StatusCode::CREATED,
        Err(_) => StatusCode::BAD_GATEWAY,
    }
}

impl Comparator {
    async fn create(&self, id: String, body: &[u8]) -> anyhow::Result<()> {
        let event: Value = serde_json::from_slice(body)?;
        let token = &self.tokens[self.turn.fetch_add(1, Ordering::Relaxed) % self.tokens.len()];
        let meeting: Value = self
            .http
            .post(&self.meetings_url)
            .bearer_auth(token)
            .json(&json!({
                "topic": event["summary"],
                "type": 2,
                "start_time": event["start"],
                "duration": 50,
                "timezone": event["tzid"],
            }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let insert = Query::insert()
            .into_table(Alias::new(TABLE))
            .columns([
                Alias::new("id"),
                Alias::new("event"),
                Alias::new("meeting_id"),
            ])
            .values([
                id.into(),
                event.to_string().into(),
                meeting["id"].to_string().into(),
            ])?
            .to_owned();
        self.db.execute(&insert).await?;
        Ok(())
    }
}
