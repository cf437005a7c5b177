//! The database going away under a running hub: requests are answered 503 `unavailable` with
//! `Retry-After` (problem+json for the API, an error page for browsers), not 500, and the hub
//! serves again once the database is back. Needs PostgreSQL: runs in the PostgreSQL pass
//! (CONVENE_TEST_DATABASE_URL) and is skipped on SQLite.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use crate::helpers::{assert_problem, spawn_app_with};

/// Runs `sql` on the server's maintenance connection.
async fn admin(server: &DatabaseConnection, sql: &str) {
    server.execute_unprepared(sql).await.unwrap();
}

#[tokio::test]
async fn a_database_that_goes_away_is_503_with_retry_after_and_the_hub_recovers() {
    let Ok(base) = std::env::var("CONVENE_TEST_DATABASE_URL") else {
        eprintln!("skipped: needs CONVENE_TEST_DATABASE_URL (PostgreSQL)");
        return;
    };
    let server = Database::connect(&base).await.unwrap();
    let name = format!("convene_outage_{}", uuid::Uuid::new_v4().simple());
    admin(&server, &format!("CREATE DATABASE {name}")).await;
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&format!("/{name}"));
    url.set_query(None);
    let hub_url = url.to_string();
    let app = spawn_app_with(move |config| {
        config.database_url = hub_url.into();
    })
    .await;
    let tenant = app.create_tenant("Calm").await;
    let path = "/v1/end_users/therapist-42";
    assert_eq!(app.get_as(&tenant.api_key, path).await.status(), 200);

    // The database stops taking connections and drops the hub's.
    admin(
        &server,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    )
    .await;
    admin(
        &server,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await;
    let response = app.get_as(&tenant.api_key, path).await;
    assert_eq!(
        response.headers()["retry-after"].to_str().unwrap(),
        "5",
        "clients are told when to retry"
    );
    let problem = assert_problem(response, 503, "unavailable").await;
    assert!(
        !problem.to_string().contains(&name),
        "no database detail: {problem}"
    );
    let page = app.client.get(app.url("/account")).send().await.unwrap();
    // The account page needs no database before sign-in; a connect URL does.
    assert_ne!(page.status(), 500);
    let connect = app
        .client
        .get(app.url("/connect/some-token"))
        .send()
        .await
        .unwrap();
    assert_eq!(connect.status(), 503);
    assert!(connect.text().await.unwrap().contains("try again"));

    // Back again: the pool reconnects and the same request succeeds.
    admin(
        &server,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    )
    .await;
    let mut status = 0;
    for _ in 0..100 {
        status = app.get_as(&tenant.api_key, path).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        status, 200,
        "the hub serves again once the database is back"
    );
    drop(app);
    tokio::time::sleep(Duration::from_millis(200)).await;
    admin(
        &server,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await;
    admin(&server, &format!("DROP DATABASE IF EXISTS {name}")).await;
}
