//! The `convene` binary as an operator runs it.

use std::process::Command;

use serde_json::Value;

use crate::helpers::spawn_app;

/// Runs `convene ARGS` over the app's database with only the given keys configured.
fn convene(
    app: &crate::helpers::TestApp,
    master_keys: &str,
    args: &[&str],
) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(args)
        .env_clear()
        .env("CONVENE_DATABASE_URL", &app.database_url)
        .env("CONVENE_MASTER_KEYS", master_keys)
        .output()
        .expect("convene runs")
}

#[tokio::test]
async fn app_create_prints_an_application_whose_key_works() {
    let app = spawn_app().await;
    let output = convene(
        &app,
        &app.master_keys,
        &[
            "app",
            "create",
            "--name",
            "Calm",
            "--redirect-uri",
            "https://calm.example/cb",
        ],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON alone");
    assert!(printed["id"].as_str().unwrap().starts_with("app_"));
    assert_eq!(printed["name"], "Calm");
    assert!(
        printed["webhook_secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    let key = printed["api_key"].as_str().unwrap();
    assert_eq!(app.get_as(key, "/v1/end_users/u1").await.status(), 200);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(key), "the key is not logged");
}

#[tokio::test]
async fn app_create_refuses_bad_input_naming_the_field() {
    let app = spawn_app().await;
    let output = convene(
        &app,
        &app.master_keys,
        &[
            "app",
            "create",
            "--name",
            "Calm",
            "--redirect-uri",
            "not-a-url",
        ],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("redirect_uris[0]"));
}

#[tokio::test]
async fn keys_rotate_reseals_and_reports() {
    let app = spawn_app().await;
    app.create_tenant("Calm").await;
    let new = convene::vault::KeyRing::generate_spec();
    let output = convene(
        &app,
        &format!("{new},{}", app.master_keys),
        &["keys", "rotate"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("re-sealed 1 secrets"));
}

#[test]
fn bad_configuration_exits_2_naming_the_variable() {
    let output = Command::new(env!("CARGO_BIN_EXE_convene"))
        .arg("migrate")
        .env_clear()
        .env("CONVENE_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("CONVENE_LISTEN"));
}
