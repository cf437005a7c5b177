//! Migrations on the database under test (SQLite, or PostgreSQL in CI).

use convene::config::Config;
use convene::startup::open_store;
use migration::{Migrator, MigratorTrait};

use crate::helpers::spawn_app;

#[tokio::test]
async fn migrations_are_applied_once_and_rerunning_them_is_harmless() {
    let app = spawn_app().await;
    let config =
        Config::from_vars([("CONVENE_DATABASE_URL".to_owned(), app.database_url.clone())]).unwrap();
    let store = open_store(&config).await.unwrap();
    let applied = Migrator::get_applied_migrations(store.connection())
        .await
        .unwrap();
    assert_eq!(applied.len(), Migrator::migrations().len());
    assert!(
        Migrator::get_pending_migrations(store.connection())
            .await
            .unwrap()
            .is_empty()
    );
    store.ping().await.unwrap();
}

#[tokio::test]
async fn concurrent_writes_do_not_fail_with_database_locked() {
    let app = spawn_app().await;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..24 {
        let client = app.client.clone();
        let url = app.url("/admin/api/applications");
        tasks.spawn(async move {
            client
                .post(url)
                .bearer_auth(crate::helpers::ADMIN_TOKEN)
                .json(&serde_json::json!({"name": format!("App {i}"), "redirect_uris": ["https://a.example/cb"]}))
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    while let Some(status) = tasks.join_next().await {
        assert_eq!(status.unwrap(), 201);
    }
    assert_eq!(app.store.list_applications().await.unwrap().len(), 24);
}
