//! The `convene` binary as an operator runs it.

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;

use convene::operators::{self, OperatorEmail, OperatorPassword, SignIn};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::helpers::{TestApp, spawn_app};

/// Runs `convene ARGS` over the app's database with only the given keys configured.
async fn convene(
    app: &crate::helpers::TestApp,
    master_keys: &str,
    args: &[&str],
) -> std::process::Output {
    // Run without blocking the test's runtime: the hub under test runs on it, and may hold
    // SQLite's write lock until it is polled again.
    Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(args)
        .env_clear()
        .env("CONVENE_DATABASE_URL", &app.database_url)
        .env("CONVENE_MASTER_KEYS", master_keys)
        .output()
        .await
        .expect("convene runs")
}

/// Runs `convene ARGS` over the app's database with `stdin` piped in.
pub async fn convene_reading(app: &TestApp, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(args)
        .env_clear()
        .env("CONVENE_DATABASE_URL", &app.database_url)
        .env("CONVENE_MASTER_KEYS", &app.master_keys)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("convene runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .await
        .unwrap();
    child.wait_with_output().await.unwrap()
}

const PASSWORD: &str = "a long operator passphrase";

/// Makes an operator with [`PASSWORD`].
async fn create_operator(app: &TestApp, email: &str) {
    let email = OperatorEmail::parse(email).unwrap();
    let password = OperatorPassword::parse(PASSWORD).unwrap();
    operators::create(&app.store, &email, &password)
        .await
        .unwrap();
}

/// Signs in as the console's form does; the session cookie's value, if admitted.
async fn sign_in(app: &TestApp, email: &str, password: &str) -> Option<String> {
    let client = IpAddr::V4(Ipv4Addr::LOCALHOST);
    match operators::sign_in(&app.store, email, password, client)
        .await
        .unwrap()
    {
        SignIn::Admitted(token) => Some(token.0.expose().to_owned()),
        _ => None,
    }
}

/// Whether the console opens to a browser presenting this session cookie.
async fn console_opens(app: &TestApp, session: &str) -> bool {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/admin"))
        .header("cookie", format!("convene_operator={session}"))
        .send()
        .await
        .unwrap();
    response.status() == 200
}

fn succeeded(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn admin_list_shows_each_operator_created_and_last_signed_in_but_no_hash() {
    let app = spawn_app().await;
    create_operator(&app, "day.ops@hub.example").await;
    create_operator(&app, "night.ops@hub.example").await;
    sign_in(&app, "night.ops@hub.example", PASSWORD)
        .await
        .expect("signed in");

    let listed = succeeded(&convene(&app, &app.master_keys, &["admin", "list"]).await);

    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 3, "a heading and two operators:\n{listed}");
    assert_eq!(lines[0], "EMAIL\tCREATED\tLAST SIGN-IN");
    let day: Vec<&str> = lines[1].split('\t').collect();
    let night: Vec<&str> = lines[2].split('\t').collect();
    assert_eq!(day[0], "day.ops@hub.example");
    assert_eq!(day[2], "unknown", "never signed in");
    assert_eq!(night[0], "night.ops@hub.example");
    for at in [day[1], night[1], night[2]] {
        assert!(
            at.starts_with("20") && at.ends_with('Z'),
            "an instant: {at}"
        );
    }
    assert!(!listed.contains("$argon2"), "no hash");
}

#[tokio::test]
async fn admin_remove_ends_the_operators_sessions_and_keeps_the_last_one_unless_forced() {
    let app = spawn_app().await;
    create_operator(&app, "day.ops@hub.example").await;
    create_operator(&app, "night.ops@hub.example").await;
    let session = sign_in(&app, "night.ops@hub.example", PASSWORD)
        .await
        .unwrap();
    assert!(console_opens(&app, &session).await);

    let removed = convene(
        &app,
        &app.master_keys,
        &["admin", "remove", "--email", "Night.Ops@Hub.Example"],
    )
    .await;

    assert!(succeeded(&removed).contains("night.ops@hub.example removed"));
    assert!(!console_opens(&app, &session).await, "its session ended");
    assert!(
        sign_in(&app, "night.ops@hub.example", PASSWORD)
            .await
            .is_none()
    );
    let unknown = convene(
        &app,
        &app.master_keys,
        &["admin", "remove", "--email", "night.ops@hub.example"],
    )
    .await;
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no operator has the email"));

    let last = convene(
        &app,
        &app.master_keys,
        &["admin", "remove", "--email", "day.ops@hub.example"],
    )
    .await;
    assert!(!last.status.success(), "the only operator stays");
    assert!(String::from_utf8_lossy(&last.stderr).contains("--force"));
    assert!(
        sign_in(&app, "day.ops@hub.example", PASSWORD)
            .await
            .is_some()
    );
    let forced = convene(
        &app,
        &app.master_keys,
        &[
            "admin",
            "remove",
            "--email",
            "day.ops@hub.example",
            "--force",
        ],
    )
    .await;
    succeeded(&forced);
    let listed = succeeded(&convene(&app, &app.master_keys, &["admin", "list"]).await);
    assert_eq!(listed.lines().count(), 1, "no operator left:\n{listed}");
}

#[tokio::test]
async fn admin_password_reads_a_new_password_from_stdin_and_ends_the_operators_sessions() {
    let app = spawn_app().await;
    create_operator(&app, "ops@hub.example").await;
    let session = sign_in(&app, "ops@hub.example", PASSWORD).await.unwrap();
    let new = "an even longer operator passphrase";

    let changed = convene_reading(
        &app,
        &["admin", "password", "--email", "ops@hub.example"],
        &format!("{new}\n"),
    )
    .await;

    let printed = succeeded(&changed);
    assert!(printed.contains("1 console session(s) ended"), "{printed}");
    assert!(!printed.contains(new) && !String::from_utf8_lossy(&changed.stderr).contains(new));
    assert!(
        !console_opens(&app, &session).await,
        "the old session ended"
    );
    assert!(sign_in(&app, "ops@hub.example", PASSWORD).await.is_none());
    let session = sign_in(&app, "ops@hub.example", new)
        .await
        .expect("new one");
    assert!(console_opens(&app, &session).await);

    let short = convene_reading(
        &app,
        &["admin", "password", "--email", "ops@hub.example"],
        "short\n",
    )
    .await;
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("12 to 256 characters"));
    assert!(console_opens(&app, &session).await, "nothing changed");
    let unknown = convene_reading(
        &app,
        &["admin", "password", "--email", "nobody@hub.example"],
        &format!("{new}\n"),
    )
    .await;
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no operator has the email"));
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
    )
    .await;
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
    )
    .await;
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
    )
    .await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("re-sealed 1 secrets"));
}

#[test]
fn bad_configuration_exits_2_naming_the_variable() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_convene"))
        .arg("migrate")
        .env_clear()
        .env("CONVENE_LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("CONVENE_LISTEN"));
}
