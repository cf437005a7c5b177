//! `spawn_app()`: the hub on port 0 over its own fresh database.

use std::sync::{Mutex, Once};
use std::time::Duration;

use convene::config::Config;
use convene::startup::Application;
use convene::store::Store;
use convene::vault::KeyRing;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tokio::sync::oneshot;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// A running hub and what tests need to drive it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The hub's own store, which counts what the hub asks of the database.
    pub hub_store: Store,
    pub database_url: String,
    pub master_keys: String,
    _database: TestDatabase,
    stop: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// An application registered through the admin API.
pub struct TestTenant {
    pub id: String,
    pub api_key: String,
    pub webhook_secret: String,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Where a test's data lives; dropped with the test.
pub enum TestDatabase {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    /// A PostgreSQL schema (dropped with the run's database), or a database owned by another instance.
    External,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the hub; `customize` may change the configuration first.
pub async fn spawn_app_with(customize: impl FnOnce(&mut Config)) -> TestApp {
    init_logging();
    let (database, database_url) = fresh_database().await;
    let master_keys = KeyRing::generate_spec();
    spawn_on(database, database_url, master_keys, customize).await
}

/// Starts another hub over the same database as `other` (as a second instance would).
pub async fn spawn_beside(other: &TestApp) -> TestApp {
    spawn_beside_with(other, |_| {}).await
}

/// [`spawn_beside`], with `customize` changing the configuration first.
pub async fn spawn_beside_with(other: &TestApp, customize: impl FnOnce(&mut Config)) -> TestApp {
    spawn_on(
        TestDatabase::External,
        other.database_url.clone(),
        other.master_keys.clone(),
        customize,
    )
    .await
}

async fn spawn_on(
    database: TestDatabase,
    database_url: String,
    master_keys: String,
    customize: impl FnOnce(&mut Config),
) -> TestApp {
    let vars = [
        ("CONVENE_LISTEN", "127.0.0.1:0"),
        ("CONVENE_DATABASE_URL", database_url.as_str()),
        ("CONVENE_MASTER_KEYS", master_keys.as_str()),
        ("CONVENE_ADMIN_TOKEN", ADMIN_TOKEN),
        // The demo practice registers an application of its own; tests/api/demo.rs turns it on.
        ("CONVENE_DEMO", "off"),
    ];
    let mut config = Config::from_vars(vars.map(|(k, v)| (k.to_owned(), v.to_owned())))
        .expect("test configuration is valid");
    config.tuning.key_usage_flush = Duration::from_millis(50);
    config.tuning.max_db_connections = 4;
    config.tuning.outbox_poll = Duration::from_millis(100);
    customize(&mut config);
    let application = Application::build(config).await.expect("hub builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let hub_store = application.store().clone();
    let store = convene::startup::open_store(
        &Config::from_vars([("CONVENE_DATABASE_URL".to_owned(), database_url.clone())]).unwrap(),
    )
    .await
    .expect("test store opens");
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(application.run_until(async {
        let _ = stopped.await;
    }));
    TestApp {
        address,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        store,
        hub_store,
        database_url,
        master_keys,
        _database: database,
        stop: Some(stop),
        running: Some(running),
    }
}

/// A fresh SQLite file, or a fresh schema in the PostgreSQL database named by
/// CONVENE_TEST_DATABASE_URL.
async fn fresh_database() -> (TestDatabase, String) {
    match std::env::var("CONVENE_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
            let admin = Database::connect(&base)
                .await
                .expect("PostgreSQL reachable");
            admin
                .execute_unprepared(&format!("CREATE SCHEMA {schema}"))
                .await
                .expect("schema created");
            admin.close().await.ok();
            let separator = if base.contains('?') { '&' } else { '?' };
            (
                TestDatabase::External,
                format!("{base}{separator}options[search_path]={schema}"),
            )
        }
        _ => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("convene.db").display()
            );
            (TestDatabase::Sqlite(dir), url)
        }
    }
}

/// Every log line the hubs in this test process wrote (all levels down to debug).
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

/// The log lines written so far by every hub in this process.
pub fn captured_logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned()
}

/// Writes log lines into [`LOGS`], and to stderr when CONVENE_TEST_LOG is set.
struct CapturedLogs;

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(bytes);
        if std::env::var_os("CONVENE_TEST_LOG").is_some() {
            std::io::stderr().write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::new(
            "debug,sqlx=warn,sea_orm=warn,hyper=warn,reqwest=warn,h2=warn,rustls=warn",
        );
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(false)
            .with_writer(|| CapturedLogs)
            .try_init();
    });
}

impl TestApp {
    /// Stops the hub as SIGTERM would and waits until it has shut down.
    pub async fn shut_down(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running.await.expect("hub task").expect("hub stops cleanly");
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The hub's `/metrics` page.
    pub async fn metrics(&self) -> String {
        self.client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Registers an application through the admin API.
    pub async fn create_tenant(&self, name: &str) -> TestTenant {
        let response = self
            .client
            .post(self.url("/admin/api/applications"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"name": name, "redirect_uris": ["https://app.example.com/callback"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        TestTenant {
            id: body["id"].as_str().unwrap().to_owned(),
            api_key: body["api_key"].as_str().unwrap().to_owned(),
            webhook_secret: body["webhook_secret"].as_str().unwrap().to_owned(),
        }
    }

    /// `GET path` with an API key.
    pub async fn get_as(&self, key: &str, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
    }

    /// The admin API's view of an application, with its keys.
    pub async fn application_detail(&self, application_id: &str) -> Value {
        let response = self
            .admin(
                reqwest::Method::GET,
                &format!("/admin/api/applications/{application_id}"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// An admin API call with the admin token.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(ADMIN_TOKEN)
    }
}

/// Asserts a problem+json response with this status and code; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status, "status");
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json",
        "content type"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "code in {body}");
    assert_eq!(body["status"], status, "status in {body}");
    for field in ["type", "title", "detail"] {
        assert!(body[field].is_string(), "{field} missing in {body}");
    }
    body
}

impl TestApp {
    /// Registers an application with a webhook URL through the admin API.
    pub async fn create_tenant_with_webhook(&self, name: &str, webhook_url: &str) -> TestTenant {
        let response = self
            .client
            .post(self.url("/admin/api/applications"))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({
                "name": name,
                "redirect_uris": ["https://app.example.com/callback"],
                "webhook_url": webhook_url,
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["webhook_url"], webhook_url);
        TestTenant {
            id: body["id"].as_str().unwrap().to_owned(),
            api_key: body["api_key"].as_str().unwrap().to_owned(),
            webhook_secret: body["webhook_secret"].as_str().unwrap().to_owned(),
        }
    }
}
