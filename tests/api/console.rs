//! The operator console at `/admin`: signing in (and being throttled), CSRF-checked forms,
//! applications, API keys and webhook deliveries, confirmation before destructive actions, and
//! the upkeep of sessions and throttles, as an operator's browser sees them.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use convene::domain::{Timestamp, UrlToken};
use convene::operators::{self, OperatorEmail, OperatorPassword};
use convene::store::zoom_inbox::InboxOutcome;
use sea_orm::ConnectionTrait;

use crate::browser::html_forms;
use crate::cli::convene_reading;
use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::notifications::{Receiver, enqueue_link_connected};

const EMAIL: &str = "ops@hub.example";
const PASSWORD: &str = "a long operator passphrase";

/// An operator's browser: keeps cookies, follows no redirect, posts the console's own forms.
struct Console {
    base: String,
    client: reqwest::Client,
}

impl Console {
    fn new(app: &TestApp) -> Self {
        Self::from(app, IpAddr::V4(Ipv4Addr::LOCALHOST))
    }

    /// A browser on another machine: its requests come from `address` (a loopback alias).
    fn from(app: &TestApp, address: IpAddr) -> Self {
        Self {
            base: app.address.clone(),
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .local_address(address)
                .build()
                .unwrap(),
        }
    }

    /// A browser signed in as the operator (made first if need be).
    async fn signed_in(app: &TestApp) -> Self {
        create_operator(app).await;
        let console = Self::new(app);
        let response = console.sign_in(EMAIL, PASSWORD).await;
        assert_eq!(response.status(), 303, "signed in");
        console
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// The page at `path`, which must answer 200.
    async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.text().await.unwrap()
    }

    /// Submits the form of `page` that posts to `action`, with `fields` filled in.
    async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let form = html_forms(page)
            .into_iter()
            .find(|form| form.action == action)
            .unwrap_or_else(|| panic!("a form posting to {action} in:\n{page}"));
        let extra = fields
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        self.client
            .post(format!("{}{action}", self.base))
            .form(&form.submission(extra))
            .send()
            .await
            .unwrap()
    }

    /// Follows the link of `page` to `href` (which must be there); the page it leads to.
    async fn follow(&self, page: &str, href: &str) -> String {
        assert!(
            page.contains(&format!("href=\"{href}\"")),
            "a link to {href} in:\n{page}"
        );
        self.page(href).await
    }

    async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let page = self.page("/admin/sign_in").await;
        self.submit(
            &page,
            "/admin/sign_in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// Registers an application through the form; returns (id, API key, webhook secret).
    async fn register(&self, name: &str, webhook_url: &str) -> (String, String, String) {
        let page = self.page("/admin/applications").await;
        let response = self
            .submit(
                &page,
                "/admin/applications",
                &[
                    ("name", name),
                    (
                        "redirect_uris",
                        "https://calm.example/done\nhttps://calm.example/other",
                    ),
                    ("webhook_url", webhook_url),
                ],
            )
            .await;
        assert_eq!(response.status(), 201);
        let created = response.text().await.unwrap();
        let id = between(&created, "/admin/applications/", "\"");
        let key = between(&created, "id=\"api-key\">", "<");
        let secret = between(&created, "id=\"webhook-secret\">", "<");
        assert!(key.starts_with("cvk_") && secret.starts_with("whsec_"));
        (id, key, secret)
    }
}

async fn create_operator(app: &TestApp) {
    let email = OperatorEmail::parse(EMAIL).unwrap();
    let password = OperatorPassword::parse(PASSWORD).unwrap();
    operators::create(&app.store, &email, &password)
        .await
        .unwrap();
}

/// The text between the first `start` and the next `end` after it.
fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in:\n{text}"))
        + start.len();
    let rest = &text[from..];
    rest[..rest.find(end).unwrap()].to_owned()
}

/// The values of `column` in every row of `table`.
async fn column_values(app: &TestApp, table: &str, column: &str) -> Vec<String> {
    let rows = app
        .store
        .connection()
        .query_all_raw(sea_orm::Statement::from_string(
            app.store.connection().get_database_backend(),
            format!("SELECT \"{column}\" FROM {table}"),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get("", column).unwrap())
        .collect()
}

fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|cookie| cookie.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("a {name} cookie"))
}

#[tokio::test]
async fn an_operator_signs_in_sees_the_overview_and_signs_out() {
    let app = spawn_app().await;
    create_operator(&app).await;
    let console = Console::new(&app);

    let response = console.sign_in("OPS@Hub.Example", PASSWORD).await;

    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin");
    let session = set_cookie(&response, "convene_operator");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(session.contains(part), "{part} in {session}");
    }
    assert!(!session.contains("Secure"), "plain HTTP in tests");
    let overview = console.get("/admin").await;
    assert_eq!(overview.status(), 200);
    assert_eq!(overview.headers()["cache-control"], "no-store");
    let policy = overview.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(policy.contains("default-src 'none'"), "{policy}");
    let page = overview.text().await.unwrap();
    assert!(page.contains("Overview") && page.contains(EMAIL));
    assert!(!page.contains("<script"), "no scripts");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no external assets"
    );

    let signed_out = console.submit(&page, "/admin/sign_out", &[]).await;

    assert_eq!(signed_out.status(), 303);
    assert_eq!(signed_out.headers()["location"], "/admin/sign_in");
    assert!(set_cookie(&signed_out, "convene_operator").contains("Max-Age=0"));
    let value = between(&session, "convene_operator=", ";");
    let replayed = app
        .client
        .get(app.url("/admin"))
        .header("cookie", format!("convene_operator={value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replayed.status(),
        303,
        "the ended session no longer opens the console"
    );
}

#[tokio::test]
async fn the_console_asks_for_sign_in_and_keeps_only_a_hash_of_the_session() {
    let app = spawn_app().await;
    for path in ["/admin", "/admin/applications", "/admin/deliveries"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 303, "{path}");
        assert_eq!(response.headers()["location"], "/admin/sign_in");
    }
    let forged = app
        .client
        .get(app.url("/admin"))
        .header("cookie", "convene_operator=made-up")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 303);
    let posted = app
        .client
        .post(app.url("/admin/applications"))
        .form(&[("name", "Sneaky")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        posted.status(),
        303,
        "a post without a session does nothing"
    );

    create_operator(&app).await;
    let console = Console::new(&app);
    let response = console.sign_in(EMAIL, PASSWORD).await;
    let session = set_cookie(&response, "convene_operator");
    let value = between(&session, "convene_operator=", ";");
    let stored = app
        .store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            app.store.connection().get_database_backend(),
            "SELECT token_hash FROM operator_sessions",
        ))
        .await
        .unwrap()
        .unwrap();
    let token_hash: String = stored.try_get("", "token_hash").unwrap();
    assert_ne!(token_hash, value);
    assert_eq!(token_hash.len(), 64, "a SHA-256 of the cookie value");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_refusal() {
    let app = spawn_app().await;
    create_operator(&app).await;
    let console = Console::new(&app);

    let wrong = console.sign_in(EMAIL, "not the passphrase").await;
    let unknown = console.sign_in("nobody@hub.example", PASSWORD).await;
    let malformed = console.sign_in("not an email", "").await;

    for response in [wrong, unknown, malformed] {
        assert_eq!(response.status(), 401);
        assert!(
            response
                .headers()
                .get_all("set-cookie")
                .iter()
                .all(|cookie| !cookie.to_str().unwrap().starts_with("convene_operator="))
        );
        let page = response.text().await.unwrap();
        assert!(page.contains("That email and password do not match an operator account."));
    }
    assert_eq!(console.get("/admin").await.status(), 303);
}

#[tokio::test]
async fn failures_lock_an_email_at_one_address_for_a_while_but_never_the_operator_elsewhere() {
    let app = spawn_app().await;
    create_operator(&app).await;
    let attacker = Console::new(&app);
    for _ in 0..6 {
        assert_eq!(attacker.sign_in(EMAIL, "guess").await.status(), 401);
    }

    let locked = attacker.sign_in(EMAIL, PASSWORD).await;

    assert_eq!(locked.status(), 429, "locked even with the right password");
    let retry_after: u64 = locked.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=60).contains(&retry_after),
        "a one-minute lock: {retry_after}"
    );
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many failed sign-ins")
    );

    let operator = Console::from(&app, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)));
    assert_eq!(
        operator.sign_in(EMAIL, PASSWORD).await.status(),
        303,
        "the operator at another address is not locked out"
    );

    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE signin_throttles SET locked_until = {}",
            Timestamp::now().0 - 1
        ))
        .await
        .unwrap();
    let after_the_window = attacker.sign_in(EMAIL, PASSWORD).await;
    assert_eq!(
        after_the_window.status(),
        303,
        "the right password is honoured once the lock runs out"
    );
    for _ in 0..5 {
        assert_eq!(attacker.sign_in(EMAIL, "guess").await.status(), 401);
    }
    assert_eq!(
        attacker.sign_in(EMAIL, "guess").await.status(),
        401,
        "a success cleared the count: five free failures again"
    );
}

#[tokio::test]
async fn forms_without_the_pages_csrf_value_or_from_another_site_are_refused() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let page = console.page("/admin/applications").await;
    let fields = [
        ("name", "Forged"),
        ("redirect_uris", "https://evil.example/cb"),
    ];

    let without_token = console
        .client
        .post(app.url("/admin/applications"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    let wrong_token = console
        .submit(
            &page,
            "/admin/applications",
            &[("csrf", "guessed"), fields[0], fields[1]],
        )
        .await;
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"");
    let foreign = console
        .client
        .post(app.url("/admin/applications"))
        .header("origin", "https://evil.example")
        .form(&[("csrf", csrf.as_str()), fields[0], fields[1]])
        .send()
        .await
        .unwrap();
    let cross_site = console
        .client
        .post(app.url("/admin/applications"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("csrf", csrf.as_str()), fields[0], fields[1]])
        .send()
        .await
        .unwrap();

    for response in [without_token, wrong_token, foreign, cross_site] {
        assert_eq!(response.status(), 403);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("This form has expired")
        );
    }
    assert!(app.store.list_applications().await.unwrap().is_empty());
}

#[tokio::test]
async fn an_operator_registers_an_application_whose_secrets_are_shown_once() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;

    let (id, key, secret) = console.register("Calm Therapy", "").await;

    assert_eq!(app.get_as(&key, "/v1/end_users/u1").await.status(), 200);
    let list = console.page("/admin/applications").await;
    assert!(list.contains("Calm Therapy") && list.contains(&id));
    let detail = console.page(&format!("/admin/applications/{id}")).await;
    assert!(detail.contains("https://calm.example/done\nhttps://calm.example/other"));
    assert!(detail.contains(&key[..12]), "the key's visible prefix");
    for page in [list, detail] {
        assert!(!page.contains(&key) && !page.contains(&secret));
    }
    let audit = app
        .store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            app.store.connection().get_database_backend(),
            "SELECT actor, action FROM audit_entries WHERE action = 'application.created'",
        ));
    let entry = audit.await.unwrap().expect("an audit entry");
    assert_eq!(entry.try_get::<String>("", "actor").unwrap(), "operator");
}

#[tokio::test]
async fn a_bad_application_form_comes_back_with_its_problems_and_nothing_is_registered() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let page = console.page("/admin/applications").await;

    let response = console
        .submit(
            &page,
            "/admin/applications",
            &[
                ("name", ""),
                ("redirect_uris", "not a uri"),
                ("webhook_url", "ftp://hooks.example"),
            ],
        )
        .await;

    assert_eq!(response.status(), 422);
    let page = response.text().await.unwrap();
    assert!(page.contains("Please correct"));
    for field in [
        "<code>name</code>",
        "<code>redirect_uris",
        "<code>webhook_url</code>",
    ] {
        assert!(page.contains(field), "{field} in:\n{page}");
    }
    assert!(page.contains("not a uri"), "the form keeps what was typed");
    assert!(app.store.list_applications().await.unwrap().is_empty());

    let garbled = console
        .client
        .post(app.url("/admin/applications"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=%ZZ&&name")
        .send()
        .await
        .unwrap();
    assert!(matches!(garbled.status().as_u16(), 400 | 403));
}

#[tokio::test]
async fn an_operator_changes_an_applications_redirect_uris_and_webhook_url() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let (id, _, _) = console.register("Calm", "").await;
    let path = format!("/admin/applications/{id}");
    let action = format!("{path}/endpoints");
    let page = console.page(&path).await;

    let bad = console
        .submit(
            &page,
            &action,
            &[("redirect_uris", ""), ("webhook_url", "nope")],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("Please correct"));

    let saved = console
        .submit(
            &page,
            &action,
            &[
                ("redirect_uris", "https://calm.example/new\r\n\r\n"),
                ("webhook_url", "https://calm.example/hooks"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert_eq!(saved.headers()["location"], path);
    let detail = app.application_detail(&id).await;
    assert_eq!(
        detail["redirect_uris"],
        serde_json::json!(["https://calm.example/new"])
    );
    assert_eq!(detail["webhook_url"], "https://calm.example/hooks");

    let page = console.page(&path).await;
    console
        .submit(
            &page,
            &action,
            &[
                ("redirect_uris", "https://calm.example/new"),
                ("webhook_url", ""),
            ],
        )
        .await;
    assert_eq!(
        app.application_detail(&id).await["webhook_url"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn a_suspended_applications_keys_answer_403_until_it_is_resumed() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let (id, key, _) = console.register("Calm", "").await;
    let path = format!("/admin/applications/{id}");
    let page = console.page(&path).await;
    let confirmation = console.follow(&page, &format!("{path}/suspend")).await;
    assert!(confirmation.contains("Suspend Calm?"));
    assert!(confirmation.contains("is refused (403) until it is resumed"));
    assert!(confirmation.contains("<dt>Live API keys</dt><dd>1</dd>"));

    let suspended = console
        .submit(&confirmation, &format!("{path}/status"), &[])
        .await;

    assert_eq!(suspended.status(), 303);
    assert_eq!(suspended.headers()["location"], path);
    assert_problem(app.get_as(&key, "/v1/end_users/u1").await, 403, "forbidden").await;
    let page = console.page(&path).await;
    assert!(page.contains("suspended") && page.contains("Resume application"));
    let again = console.get(&format!("{path}/suspend")).await;
    assert_eq!(again.status(), 303, "nothing to confirm");

    console.submit(&page, &format!("{path}/status"), &[]).await;

    assert_eq!(app.get_as(&key, "/v1/end_users/u1").await.status(), 200);
    let unknown = console
        .submit(
            &confirmation,
            &format!("{path}/status"),
            &[("action", "delete")],
        )
        .await;
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        console.get("/admin/applications/app_nope").await.status(),
        404
    );
    assert_eq!(
        console
            .get("/admin/applications/app_nope/suspend")
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn an_operator_creates_a_key_shown_once_sees_it_used_and_revokes_it() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let (id, first_key, _) = console.register("Calm", "").await;
    let path = format!("/admin/applications/{id}");
    let page = console.page(&path).await;

    let created = console.submit(&page, &format!("{path}/keys"), &[]).await;

    assert_eq!(created.status(), 201);
    let created = created.text().await.unwrap();
    let key = between(&created, "id=\"api-key\">", "<");
    let key_id = between(&created, "<dt>Key id</dt><dd><code>", "<");
    assert_eq!(app.get_as(&key, "/v1/end_users/u1").await.status(), 200);
    let mut page = console.page(&path).await;
    for _ in 0..50 {
        let row = between(&page, &format!("id=\"key-{key_id}\""), "</tr>");
        if !row.contains("never") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        page = console.page(&path).await;
    }
    let row = between(&page, &format!("id=\"key-{key_id}\""), "</tr>");
    assert!(!row.contains("never"), "last used is shown: {row}");
    assert!(!page.contains(&key) && !page.contains(&first_key));
    let revoke = format!("{path}/keys/{key_id}/revoke");
    let confirmation = console.follow(&page, &revoke).await;
    assert!(confirmation.contains(&format!("Revoke key {}…?", &key[..12])));
    assert!(confirmation.contains("refused (401) at once"));
    assert!(confirmation.contains("1 other live key(s) of Calm keep working."));
    assert!(!confirmation.contains(&key) && !confirmation.contains(&first_key));

    let revoked = console.submit(&confirmation, &revoke, &[]).await;

    assert_eq!(revoked.status(), 303);
    assert_problem(
        app.get_as(&key, "/v1/end_users/u1").await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(
        app.get_as(&first_key, "/v1/end_users/u1").await.status(),
        200
    );
    let page = console.page(&path).await;
    let row = between(&page, &format!("id=\"key-{key_id}\""), "</tr>");
    assert!(row.contains("revoked") && !row.contains(&revoke));
    assert_eq!(
        console.get(&revoke).await.status(),
        303,
        "nothing to confirm"
    );
    let first_key_row = page
        .split("<tr id=\"key-")
        .find(|row| row.contains(&first_key[..12]))
        .expect("the first key's row");
    let first_key_id = &first_key_row[..first_key_row.find('"').unwrap()];
    let last = console
        .page(&format!("{path}/keys/{first_key_id}/revoke"))
        .await;
    assert!(last.contains("last live key: every call it makes to the API is refused"));
    let other = console.submit(&page, &format!("{path}/keys"), &[]).await;
    assert_eq!(other.status(), 201);
    let forged = console
        .client
        .post(app.url(&format!("{path}/keys/key_nope/revoke")))
        .form(&[
            (
                "csrf",
                between(&page, "name=\"csrf\" value=\"", "\"").as_str(),
            ),
            ("confirmed", "yes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 404);
    assert_eq!(
        console
            .get(&format!("{path}/keys/key_nope/revoke"))
            .await
            .status(),
        404
    );
}

/// Waits until the hub's own worker has settled the delivery as `status`.
async fn wait_for_status(app: &TestApp, id: &str, status: &str) {
    for _ in 0..100 {
        if app.store.find_delivery(id).await.unwrap().unwrap().status == status {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery {id} never became {status}");
}

#[tokio::test]
async fn a_failed_delivery_is_found_by_filter_inspected_and_replayed_with_the_same_id() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let (id, key, secret) = console.register("Calm", "").await;
    let (other, _, _) = console.register("Other", "").await;
    let delivery_id = enqueue_link_connected(&app, &id).await;
    wait_for_status(&app, &delivery_id, "failed").await;

    let overview = console.page("/admin").await;
    assert!(overview.contains("1 webhook deliveries failed"));
    assert!(overview.contains("application has no webhook URL"));
    let failed = console
        .page(&format!(
            "/admin/deliveries?application={id}&type=link.connected&status=failed"
        ))
        .await;
    assert!(failed.contains(&delivery_id));
    for filter in [
        format!("application={other}"),
        "status=delivered".to_owned(),
        "type=link.removed".to_owned(),
    ] {
        let page = console.page(&format!("/admin/deliveries?{filter}")).await;
        assert!(!page.contains(&delivery_id), "{filter}");
    }
    assert_eq!(
        console.get("/admin/deliveries?status=lost").await.status(),
        400
    );
    assert_eq!(
        console.get("/admin/deliveries/msg_nope").await.status(),
        404
    );

    let detail = console
        .page(&format!("/admin/deliveries/{delivery_id}"))
        .await;
    assert!(detail.contains("pat@example.org"), "the payload");
    assert!(
        detail.contains("application has no webhook URL"),
        "the attempt"
    );

    let receiver = Receiver::start(&[], 204).await;
    let page = console.page(&format!("/admin/applications/{id}")).await;
    console
        .submit(
            &page,
            &format!("/admin/applications/{id}/endpoints"),
            &[
                ("redirect_uris", "https://calm.example/done"),
                ("webhook_url", &receiver.url()),
            ],
        )
        .await;
    let replayed = console
        .submit(
            &detail,
            &format!("/admin/deliveries/{delivery_id}/replay"),
            &[],
        )
        .await;

    assert_eq!(replayed.status(), 303);
    wait_for_status(&app, &delivery_id, "delivered").await;
    let received = receiver.requests();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].id, delivery_id, "same webhook-id");
    crate::notifications::assert_signed(&secret, &received[0]);
    let detail = console
        .page(&format!("/admin/deliveries/{delivery_id}"))
        .await;
    assert!(detail.contains("HTTP 204"));
    assert!(
        detail.contains("application has no webhook URL"),
        "history kept"
    );

    for page in [overview, failed, detail] {
        assert!(!page.contains(&key) && !page.contains(&secret));
        assert!(!page.contains(&received[0].signature));
    }
}

#[tokio::test]
async fn no_console_page_shows_a_key_its_hash_or_a_webhook_secret() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let (id, key, secret) = console.register("Calm", "").await;
    let hash = convene::domain::KeyHash::of(&key);
    let delivery_id = enqueue_link_connected(&app, &id).await;
    wait_for_status(&app, &delivery_id, "failed").await;
    let secret_key = secret.trim_start_matches("whsec_");

    for path in [
        "/admin".to_owned(),
        "/admin/applications".to_owned(),
        format!("/admin/applications/{id}"),
        "/admin/deliveries".to_owned(),
        format!("/admin/deliveries/{delivery_id}"),
        "/admin/links".to_owned(),
        "/admin/events".to_owned(),
        format!("/admin/audit?application={id}"),
        "/admin/emails".to_owned(),
    ] {
        let page = console.page(&path).await;
        for (what, value) in [
            ("API key", key.as_str()),
            ("key hash", hash.as_str()),
            ("webhook secret", secret_key),
            ("admin token", crate::helpers::ADMIN_TOKEN),
        ] {
            assert!(!page.contains(value), "{what} on {path}");
        }
    }
}

/// Runs `convene admin create --email EMAIL` over the app's database with `stdin` piped in.
async fn admin_create(app: &TestApp, email: &str, stdin: &str) -> std::process::Output {
    convene_reading(app, &["admin", "create", "--email", email], stdin).await
}

#[tokio::test]
async fn admin_create_reads_the_password_from_stdin_and_the_operator_can_sign_in() {
    let app = spawn_app().await;

    let output = admin_create(&app, "Night.Ops@Hub.Example", &format!("{PASSWORD}\n")).await;

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed = String::from_utf8_lossy(&output.stdout);
    assert!(printed.contains("night.ops@hub.example"), "{printed}");
    assert!(
        !printed.contains(PASSWORD) && !String::from_utf8_lossy(&output.stderr).contains(PASSWORD)
    );
    let console = Console::new(&app);
    assert_eq!(
        console
            .sign_in("night.ops@hub.example", PASSWORD)
            .await
            .status(),
        303
    );

    let again = admin_create(&app, "night.ops@hub.example", &format!("{PASSWORD}\n")).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let short = admin_create(&app, "day.ops@hub.example", "short\n").await;
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("12 to 256 characters"));
    let bad_email = admin_create(&app, "not-an-email", &format!("{PASSWORD}\n")).await;
    assert!(!bad_email.status.success());
    assert!(String::from_utf8_lossy(&bad_email.stderr).contains("--email"));
}

#[tokio::test]
async fn an_operator_sees_links_events_emails_and_the_audit_log_and_removes_a_link() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[], 204).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let back = app
        .connect_as(&tenant, "therapist-42", "ana@example.org")
        .await;
    let link_id = back["link_id"].clone();
    let event = app
        .client
        .put(app.url("/v1/events/appt-1"))
        .bearer_auth(&tenant.api_key)
        .json(&serde_json::json!({
            "end_user_id": "therapist-42",
            "summary": "Therapy session",
            "start": "2030-12-01T15:00:00Z",
            "end": "2030-12-01T15:50:00Z",
            "tzid": "Europe/Ljubljana",
            "conferencing": {"provider": "zoom"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(event.status(), 201);
    let console = Console::signed_in(&app).await;

    let links = console.page("/admin/links").await;
    let row = between(&links, &format!("id=\"link-{link_id}\""), "</tr>");
    assert!(
        row.contains("therapist-42") && row.contains("ana@example.org") && row.contains("active")
    );
    let filtered = console
        .page(&format!(
            "/admin/links?application={}&status=needs_reauth",
            tenant.id
        ))
        .await;
    assert!(!filtered.contains(&link_id));
    assert_eq!(console.get("/admin/links?status=gone").await.status(), 400);
    let events = console.page("/admin/events").await;
    assert!(events.contains("Therapy session") && events.contains("appt-1"));
    assert!(events.contains("status-ready"));
    let failed = console.page("/admin/events?status=failed").await;
    assert!(!failed.contains("appt-1"));
    let overview = console.page("/admin").await;
    assert!(overview.contains("status-ready"));
    let emails = console.page("/admin/emails").await;
    assert!(emails.contains("No SMTP server is configured"));
    assert!(emails.contains("ana@example.org") && emails.contains("status-kept"));

    let remove = format!("/admin/links/{link_id}/remove");
    let confirmation = console.follow(&links, &remove).await;
    assert!(confirmation.contains("Remove the link of therapist-42?"));
    assert!(confirmation.contains("ana@example.org"));
    assert!(confirmation.contains("Calm is told with a link.removed webhook, reason operator."));
    assert!(confirmation.contains("last link: the hub revokes its Zoom authorization"));

    let removed = console.submit(&confirmation, &remove, &[]).await;

    assert_eq!(removed.status(), 303);
    let body: serde_json::Value = app
        .get_as(&tenant.api_key, "/v1/end_users/therapist-42")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["links"], serde_json::json!([]));
    let mut reasons = Vec::new();
    for _ in 0..100 {
        reasons = receiver
            .requests()
            .iter()
            .filter_map(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .filter(|body| body["type"] == "link.removed")
            .map(|body| body["data"]["reason"].clone())
            .collect();
        if !reasons.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(reasons, vec![serde_json::json!("operator")]);
    let again = console.submit(&confirmation, &remove, &[]).await;
    assert_eq!(again.status(), 404);
    assert_eq!(console.get(&remove).await.status(), 404);
    let audit = console
        .page(&format!("/admin/audit?application={}", tenant.id))
        .await;
    assert!(audit.contains("link.removed"), "{audit}");
    assert!(audit.contains("operator"));
    for page in [links, confirmation, events, emails, audit] {
        assert!(!page.contains(&tenant.api_key) && !page.contains(&tenant.webhook_secret));
    }
}

/// Puts a `link.connected` in the outbox and waits until the receiver has it as its `n`th.
async fn deliver_nth(
    app: &TestApp,
    receiver: &Receiver,
    application_id: &str,
    n: usize,
) -> crate::notifications::Received {
    let id = enqueue_link_connected(app, application_id).await;
    wait_for_status(app, &id, "delivered").await;
    let received = receiver.requests();
    assert_eq!(received.len(), n);
    received[n - 1].clone()
}

#[tokio::test]
async fn a_rotated_webhook_secret_signs_beside_the_old_one_until_the_overlap_ends() {
    let app = spawn_app().await;
    let receiver = Receiver::start(&[], 204).await;
    let tenant = app
        .create_tenant_with_webhook("Calm", &receiver.url())
        .await;
    let console = Console::signed_in(&app).await;
    let path = format!("/admin/applications/{}", tenant.id);
    let action = format!("{path}/webhook_secret");
    let page = console.page(&path).await;
    let refused = console
        .submit(&page, &action, &[("overlap_hours", "5")])
        .await;
    assert_eq!(refused.status(), 400);

    let rotated = console
        .submit(&page, &action, &[("overlap_hours", "24")])
        .await;

    assert_eq!(rotated.status(), 201);
    let rotated = rotated.text().await.unwrap();
    let secret = between(&rotated, "id=\"webhook-secret\">", "<");
    assert!(secret.starts_with("whsec_") && secret != tenant.webhook_secret);
    let page = console.page(&path).await;
    assert!(page.contains("the previous secret also signs deliveries until"));
    assert!(!page.contains(&secret) && !page.contains(&tenant.webhook_secret));
    let during = deliver_nth(&app, &receiver, &tenant.id, 1).await;

    crate::notifications::assert_signed_by_each(&[&secret, &tenant.webhook_secret], &during);

    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE webhook_secret_rotations SET overlap_until = {}",
            Timestamp::now().0 - 1
        ))
        .await
        .unwrap();
    let after = deliver_nth(&app, &receiver, &tenant.id, 2).await;

    assert!(
        !after.signature.contains(' '),
        "one signature after the overlap"
    );
    crate::notifications::assert_signed(&secret, &after);
    assert!(
        !console
            .page(&path)
            .await
            .contains("previous secret also signs")
    );
}

#[tokio::test]
async fn a_destructive_post_without_confirmation_leads_to_its_confirmation_page_and_does_nothing() {
    let app = spawn_app().await;
    let tenant = app.create_tenant("Calm").await;
    let back = app
        .connect_as(&tenant, "therapist-42", "ana@example.org")
        .await;
    let link_id = &back["link_id"];
    let key_id = &app.store.list_api_keys(&tenant.id).await.unwrap()[0].id;
    let console = Console::signed_in(&app).await;
    let csrf = between(
        &console.page("/admin/links").await,
        "name=\"csrf\" value=\"",
        "\"",
    );
    let application = format!("/admin/applications/{}", tenant.id);
    let remove = format!("/admin/links/{link_id}/remove");
    let revoke = format!("{application}/keys/{key_id}/revoke");
    let suspend = format!("{application}/suspend");

    for (action, action_fields, confirmation) in [
        (&remove, &[][..], &remove),
        (&revoke, &[][..], &revoke),
        (
            &format!("{application}/status"),
            &[("action", "suspend")][..],
            &suspend,
        ),
    ] {
        for (given, expected) in [
            (vec![("csrf", csrf.as_str())], 303),
            (vec![("csrf", csrf.as_str()), ("confirmed", "no")], 303),
            // The CSRF check still comes first.
            (vec![("confirmed", "yes")], 403),
        ] {
            let mut form = given;
            form.extend_from_slice(action_fields);
            let response = console
                .client
                .post(app.url(action))
                .form(&form)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), expected, "{action} {form:?}");
            if expected == 303 {
                assert_eq!(response.headers()["location"], confirmation.as_str());
            }
        }
    }

    let end_user: serde_json::Value = app
        .get_as(&tenant.api_key, "/v1/end_users/therapist-42")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        end_user["links"][0]["id"],
        link_id.as_str(),
        "the link is kept, the key works and the application is active"
    );
}

#[tokio::test]
async fn the_overview_shows_zoom_notifications_given_up_but_never_their_payload() {
    // The hub's own inbox worker is kept out of the way: the test works the notifications.
    let app = spawn_app_with(|config| config.tuning.outbox_poll = Duration::from_secs(3600)).await;
    let console = Console::signed_in(&app).await;
    assert!(
        console
            .page("/admin")
            .await
            .contains("The hub has worked every notification Zoom sent.")
    );
    let notification = |user_id: &str| {
        serde_json::json!({
            "event": "app_deauthorized",
            "event_ts": 1_900_000_000_000_i64,
            "payload": {
                "account_id": "acct-kept-out-of-the-console",
                "user_id": user_id,
                "client_id": "client-kept-out-of-the-console",
                "deauthorization_time": "2030-03-17T09:00:00Z",
                "signature": "5f1e0d9c8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f10",
            },
        })
        .to_string()
    };
    let received_at = Timestamp::now();
    let given_up = app
        .store
        .receive_zoom_notification(
            "app_deauthorized",
            &notification("zoom-user-1"),
            received_at,
        )
        .await
        .unwrap()
        .unwrap();
    let worked = app
        .store
        .receive_zoom_notification(
            "app_deauthorized",
            &notification("zoom-user-2"),
            received_at,
        )
        .await
        .unwrap()
        .unwrap();
    let outcomes = [
        (
            &given_up,
            InboxOutcome::RetryAt(received_at, "Zoom answered 503".to_owned()),
        ),
        (
            &given_up,
            InboxOutcome::RetryAt(received_at, "Zoom answered 503".to_owned()),
        ),
        (
            &given_up,
            InboxOutcome::GiveUp("Zoom answered 500: internal error".to_owned()),
        ),
        (&worked, InboxOutcome::Done),
    ];
    for (id, outcome) in outcomes {
        let now = Timestamp::now();
        let entry = app
            .store
            .claim_inbox_entry(id, now, Timestamp(now.0 + 60_000))
            .await
            .unwrap()
            .expect("due and free");
        app.store
            .finish_inbox_entry(&entry, outcome, now)
            .await
            .unwrap();
    }

    let overview = console.page("/admin").await;

    assert!(
        overview.contains("1 Zoom notifications failed for good"),
        "{overview}"
    );
    let row = between(
        &overview,
        &format!("id=\"notification-{given_up}\""),
        "</tr>",
    );
    assert!(row.contains("app_deauthorized"));
    assert!(row.contains(&received_at.to_rfc3339()));
    assert!(row.contains("<td>3</td>"), "three attempts: {row}");
    assert!(row.contains("Zoom answered 500: internal error"));
    assert!(
        !overview.contains(&worked),
        "a worked notification is not listed"
    );
    for (what, value) in [
        ("account", "acct-kept-out-of-the-console"),
        ("user", "zoom-user-1"),
        ("client id", "client-kept-out-of-the-console"),
        ("signature", "5f1e0d9c8b7a6f5e"),
        ("body hash", "body_hash"),
    ] {
        assert!(
            !overview.contains(value),
            "the {what} is not on the overview"
        );
    }
}

#[tokio::test]
async fn upkeep_deletes_expired_sessions_and_idle_throttles_and_keeps_live_ones() {
    let app =
        spawn_app_with(|config| config.tuning.rate_limit_sweep = Duration::from_millis(50)).await;
    let live = Console::signed_in(&app).await;
    let response = Console::new(&app).sign_in(EMAIL, PASSWORD).await;
    let expired = UrlToken::hash_of(&between(
        &set_cookie(&response, "convene_operator"),
        "convene_operator=",
        ";",
    ));
    let day_ago = Timestamp::now().0 - 24 * 3600 * 1000;
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE operator_sessions SET expires_at = {day_ago} WHERE token_hash = '{expired}'"
        ))
        .await
        .unwrap();
    let idle = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let recent = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    for address in [idle, recent] {
        let response = Console::from(&app, address).sign_in(EMAIL, "guess").await;
        assert_eq!(response.status(), 401);
    }
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE signin_throttles SET last_failed_at = {} WHERE \"key\" LIKE '%{idle}'",
            day_ago - 1
        ))
        .await
        .unwrap();

    let mut throttles = column_values(&app, "signin_throttles", "key").await;
    for _ in 0..100 {
        if throttles.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        throttles = column_values(&app, "signin_throttles", "key").await;
    }

    throttles.sort();
    assert_eq!(
        throttles,
        [
            format!("account:{EMAIL}@{recent}"),
            format!("client:{recent}")
        ],
        "the failures of a day ago are forgotten, the recent ones kept"
    );
    let sessions = column_values(&app, "operator_sessions", "token_hash").await;
    assert_eq!(sessions.len(), 1, "the expired session is deleted");
    assert_ne!(sessions[0], expired);
    assert_eq!(
        live.get("/admin").await.status(),
        200,
        "the live session stays"
    );
}

/// Every page of a list from `first`, following its *Older →* links.
async fn every_page(console: &Console, first: String) -> Vec<String> {
    let mut pages = Vec::new();
    let mut path = Some(first);
    while let Some(next) = path {
        let page = console.page(&next).await;
        path = older_link(&page);
        pages.push(page);
    }
    pages
}

/// The href of the page's *Older →* link, if it has one.
fn older_link(page: &str) -> Option<String> {
    let end = page.find("\" rel=\"next\">Older")?;
    let start = page[..end].rfind("href=\"")? + "href=\"".len();
    Some(page[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

#[tokio::test]
async fn the_audit_log_pages_through_every_entry_once_newest_first_keeping_its_filter() {
    use convene::store::audit::NewAuditEntry;
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let tenant = app.create_tenant("Calm").await;
    let other = app.create_tenant("Northside").await;
    // 120 entries about Calm, three to each millisecond, and some about Northside between.
    let base = Timestamp::now().0 - 1_000_000;
    for n in 0..120_i64 {
        for (application, subject) in [
            (&tenant.id, format!("calm-{n:03}")),
            (&other.id, format!("north-{n:03}")),
        ] {
            if application == &other.id && n % 10 != 0 {
                continue;
            }
            app.store
                .record_audit(NewAuditEntry {
                    application_id: Some(application.clone()),
                    actor: "test",
                    action: "test.entry",
                    subject_type: "test",
                    subject_id: subject,
                    detail: None,
                    created_at: Timestamp(base + n / 3),
                })
                .await
                .unwrap();
        }
    }
    let mut seen: Vec<i64> = Vec::new();
    let pages = every_page(&console, format!("/admin/audit?application={}", tenant.id)).await;
    for (number, page) in pages.iter().enumerate() {
        assert!(!page.contains("north-"), "the filter is kept on every page");
        let mut rest = page.as_str();
        while let Some(at) = rest.find("calm-") {
            seen.push(rest[at + 5..at + 8].parse().unwrap());
            rest = &rest[at + 8..];
        }
        if number > 0 {
            assert!(page.contains("← Newest"), "a way back to the newest page");
        }
    }
    assert_eq!(pages.len(), 3, "50 + 50 + 20");
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted,
        (0..120).collect::<Vec<_>>(),
        "every entry exactly once"
    );
    assert_eq!(seen.len(), 120);
    assert!(
        seen.windows(2).all(|pair| pair[0] / 3 >= pair[1] / 3),
        "newest first: {seen:?}"
    );

    for forged in [
        "garbage",
        "123",
        "abc.def",
        "1.x%27%20OR%201%3D1",
        "1.%3Cscript%3E",
    ] {
        let response = console.get(&format!("/admin/audit?before={forged}")).await;
        assert_eq!(response.status(), 400, "{forged}");
    }
}

#[tokio::test]
async fn the_deliveries_list_pages_through_one_applications_deliveries() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let tenant = app.create_tenant("Calm").await;
    let mut made = Vec::new();
    for _ in 0..60 {
        made.push(enqueue_link_connected(&app, &tenant.id).await);
    }
    let mut listed = Vec::new();
    let first = format!(
        "/admin/deliveries?application={}&type=link.connected",
        tenant.id
    );
    let pages = every_page(&console, first).await;
    for page in &pages {
        let mut rest = page.as_str();
        while let Some(at) = rest.find("href=\"/admin/deliveries/") {
            rest = &rest[at + "href=\"/admin/deliveries/".len()..];
            listed.push(rest[..rest.find('"').unwrap()].to_owned());
        }
    }
    assert_eq!(pages.len(), 2, "50 + 10");
    made.sort();
    listed.sort();
    assert_eq!(listed, made, "every delivery exactly once");
}

#[tokio::test]
async fn the_operators_page_lists_every_operator_with_created_and_last_sign_in_but_no_hash() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let other = OperatorEmail::parse("night.ops@hub.example").unwrap();
    let password = OperatorPassword::parse(PASSWORD).unwrap();
    operators::create(&app.store, &other, &password)
        .await
        .unwrap();

    let overview = console.page("/admin").await;
    let page = console.follow(&overview, "/admin/operators").await;

    assert!(page.contains("aria-current=\"page\">Operators"));
    let row = |email: &str| between(&page, &format!("<td class=\"wrap\">{email}"), "</tr>");
    let mine = row(EMAIL);
    assert!(mine.contains("(you)"), "{mine}");
    assert!(!mine.contains("unknown"), "signed in just now: {mine}");
    let theirs = row("night.ops@hub.example");
    assert!(
        !theirs.contains("(you)") && theirs.contains("unknown"),
        "{theirs}"
    );
    assert!(!page.contains("$argon2"), "no hash");
}

#[tokio::test]
async fn an_operator_changes_their_password_which_ends_their_other_sessions_but_not_this_one() {
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    let elsewhere = Console::new(&app);
    assert_eq!(elsewhere.sign_in(EMAIL, PASSWORD).await.status(), 303);
    let new = "an even longer operator passphrase";
    let page = console.page("/admin/operators").await;
    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let page = page.clone();
        let console = &console;
        async move {
            console
                .submit(
                    &page,
                    "/admin/operators/password",
                    &[
                        ("current_password", current),
                        ("new_password", new),
                        ("new_password_again", again),
                    ],
                )
                .await
        }
    };

    for (current, new_password, again, problem) in [
        ("not my password at all", new, new, "current_password"),
        (
            PASSWORD,
            new,
            "an even longer operator passphrasE",
            "new_password_again",
        ),
        (PASSWORD, "short", "short", "new_password"),
    ] {
        let refused = change(current, new_password, again).await;
        assert_eq!(refused.status(), 422, "{problem}");
        let refused = refused.text().await.unwrap();
        assert!(
            refused.contains(&format!("<code>{problem}</code>")),
            "{refused}"
        );
    }
    assert_eq!(
        elsewhere.get("/admin").await.status(),
        200,
        "nothing changed"
    );
    let forged = console
        .client
        .post(format!("{}/admin/operators/password", console.base))
        .form(&[
            ("csrf", "guessed"),
            ("current_password", PASSWORD),
            ("new_password", new),
            ("new_password_again", new),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403, "CSRF-checked");

    let changed = change(PASSWORD, new, new).await;

    assert_eq!(changed.status(), 200);
    assert!(
        changed
            .text()
            .await
            .unwrap()
            .contains("Your other sessions (1) are ended")
    );
    assert_eq!(
        console.get("/admin").await.status(),
        200,
        "this session stays"
    );
    let ended = elsewhere.get("/admin").await;
    assert_eq!(ended.status(), 303, "the other session ended");
    assert_eq!(ended.headers()["location"], "/admin/sign_in");
    let fresh = Console::new(&app);
    assert_eq!(fresh.sign_in(EMAIL, PASSWORD).await.status(), 401);
    assert_eq!(fresh.sign_in(EMAIL, new).await.status(), 303);
}

#[tokio::test]
async fn the_emails_list_pages_through_every_email_once_and_no_list_answers_a_forged_position_with_500()
 {
    use convene::store::emails::NewEmail;
    let app = spawn_app().await;
    let console = Console::signed_in(&app).await;
    // 70 emails, two to each millisecond, so that pages split between equal instants.
    let base = Timestamp::now().0 - 1_000_000;
    let emails = (0..70_i64)
        .map(|n| NewEmail {
            id: convene::domain::new_id("eml"),
            to_address: format!("reader-{n:03}@example.org"),
            subject: format!("Reading {n:03}"),
            body_text: "Hello".to_owned(),
            created_at: Timestamp(base + n / 2),
        })
        .collect();
    app.store.enqueue_emails(emails).await.unwrap();

    let mut seen: Vec<i64> = Vec::new();
    let pages = every_page(&console, "/admin/emails".to_owned()).await;
    for (number, page) in pages.iter().enumerate() {
        let mut rest = page.as_str();
        while let Some(at) = rest.find("\">Reading ") {
            rest = &rest[at + "\">Reading ".len()..];
            seen.push(rest[..3].parse().unwrap());
        }
        assert_eq!(
            number > 0,
            page.contains("← Newest"),
            "a way back, but on the first page"
        );
    }
    assert_eq!(pages.len(), 2, "50 + 20");
    assert_eq!(seen.len(), 70);
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted,
        (0..70).collect::<Vec<_>>(),
        "every email exactly once"
    );
    assert!(
        seen.windows(2).all(|pair| pair[0] / 2 >= pair[1] / 2),
        "newest first: {seen:?}"
    );

    for list in ["links", "events", "emails", "deliveries", "audit"] {
        for forged in ["garbage", "9999999999999999999999.x", "1.%3Cscript%3E", "."] {
            let path = format!("/admin/{list}?before={forged}");
            assert_eq!(console.get(&path).await.status(), 400, "{path}");
        }
        let unknown = format!("/admin/{list}?before=1.row_that_never_was");
        assert_eq!(
            console.get(&unknown).await.status(),
            200,
            "{unknown}: an empty page"
        );
    }
}
