//! The sandbox demo client: *Calmly*, a pretend therapy practice that uses the hub the way a
//! client application does, through the public `/v1` API over HTTP with its own API key and
//! the signed webhooks the hub sends it. `convene serve` runs it under `/demo` in sandbox mode,
//! so a newcomer can walk the whole story in a browser without a Zoom account: a therapist
//! signs up and connects the sandbox Zoom, schedules an appointment with a patient, sees its
//! join link, deletes it, disconnects in settings, and a practice admin books for a second
//! therapist; removing the app inside the sandbox Zoom reaches the practice as a webhook.
//!
//! Apart from registering itself (see [`enrolment`]) it uses nothing of the hub: its records
//! live in its own file in the data directory (see [`practice`]).

mod appointments;
mod enrolment;
mod hub;
mod pages;
mod practice;
mod webhooks;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use secrecy::SecretString;
use url::Url;

use self::hub::HubClient;
use self::practice::{Practice, Visits};
use crate::notify::signature::SigningKey;
use crate::store::Store;
use crate::vault::KeyRing;

/// The practice's file in the data directory.
const PRACTICE_FILE: &str = "convene-demo.json";

/// The running demo practice.
#[derive(Clone)]
pub struct Demo(Arc<Practiced>);

struct Practiced {
    hub: HubClient,
    practice: Practice,
    visits: Visits,
    webhook_key: SigningKey,
    /// The hub's public URL: where browsers are sent.
    public_url: Url,
    application_id: String,
    api_key: String,
}

impl Demo {
    /// Registers the practice with the hub on first start (or reuses its registration), and
    /// makes it a client of the hub's API at `api_base` (this instance's own address).
    pub async fn start(
        store: &Store,
        vault: &KeyRing,
        public_url: &Url,
        api_base: &Url,
        data_dir: &Path,
    ) -> anyhow::Result<Self> {
        let path = data_dir.join(PRACTICE_FILE);
        let saved = Practice::load(&path)?;
        let enrolment = enrolment::enrol(store, vault, public_url, saved).await?;
        let records = enrolment.records;
        Ok(Self(Arc::new(Practiced {
            hub: HubClient::new(api_base, SecretString::from(records.api_key.clone()))?,
            application_id: records.application_id.clone(),
            api_key: records.api_key.clone(),
            practice: Practice::keep(path, records)?,
            visits: Visits::new(Duration::from_secs(pages::COOKIE_SECONDS.unsigned_abs())),
            webhook_key: enrolment.webhook_key,
            public_url: public_url.clone(),
        })))
    }

    /// The demo's application id at the hub.
    pub fn application_id(&self) -> &str {
        &self.0.application_id
    }

    /// The demo's API key, for the start banner (sandbox only).
    pub fn api_key(&self) -> &str {
        &self.0.api_key
    }

    /// The demo's pages and webhook receiver, to be mounted at `/demo`.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/", get(pages::signup::landing))
            .route(
                "/signup",
                get(pages::signup::details_form).post(pages::signup::sign_up),
            )
            .route(
                "/signup/profile",
                get(pages::signup::profile_form).post(pages::signup::save_profile),
            )
            .route("/signup/zoom", get(pages::signup::zoom_step))
            .route("/sign_in", post(pages::signup::sign_in))
            .route("/sign_out", post(pages::signup::sign_out))
            .route("/zoom/connect", post(pages::zoom::connect))
            .route("/zoom/connected", get(pages::zoom::connected))
            .route("/home", get(pages::appointments::home))
            .route("/appointments/new", get(pages::appointments::new))
            .route("/appointments", post(pages::appointments::create))
            .route(
                "/appointments/{event_id}/start",
                post(pages::appointments::start),
            )
            .route(
                "/appointments/{event_id}/delete",
                get(pages::appointments::confirm_delete).post(pages::appointments::delete),
            )
            .route("/settings", get(pages::zoom::settings))
            .route("/settings/account", post(pages::zoom::account_page))
            .route(
                "/settings/disconnect",
                get(pages::zoom::confirm_disconnect).post(pages::zoom::disconnect),
            )
            .route("/admin", get(pages::admin::overview))
            .route("/admin/appointments/new", get(pages::admin::new))
            .route("/admin/appointments", post(pages::admin::book_for))
            .route("/webhooks", post(webhooks::receive))
            .with_state(self.clone())
    }
}
