//! Notifications: signed webhooks to applications and emails to end users.
//!
//! Both go through a transactional outbox. Whoever changes state builds the notification with
//! a pure function ([`delivery`] or [`delivery_for`], [`email`]) and inserts it with
//! [`insert_deliveries`](crate::store::deliveries::insert_deliveries) /
//! [`insert_emails`](crate::store::emails::insert_emails) inside the same database
//! transaction, so a change is never committed without its notifications, nor the other way
//! round. A [`Notifier`] then works the outboxes: [`Notifier::deliver_due`] POSTs due webhooks
//! (Standard Webhooks signatures, retried on a schedule of about a day, at least once) and
//! [`Notifier::send_due_emails`] sends due emails through SMTP, or keeps them in the database
//! when no SMTP server is configured.

mod destination;
mod emails;
mod retry;
pub(crate) mod signature;
mod webhooks;

use std::time::Duration;

use url::Url;

pub use emails::{SmtpRelay, email};
pub use webhooks::{AppEvent, DeliveryReport, delivery, delivery_for};

use crate::config::{Config, Tuning};
use crate::store::Store;
use crate::vault::KeyRing;

/// How the outbox workers behave; [`Default`] is what production uses.
#[derive(Clone, Debug)]
pub struct NotifierSettings {
    /// Waits between webhook attempts: the first entry after the first failure, and so on.
    /// Once used up, the delivery is given up (`failed`). Each wait varies by ±10 %.
    pub retry_schedule: Vec<Duration>,
    /// Waits between email send attempts, used the same way.
    pub email_retry_schedule: Vec<Duration>,
    /// Most rows claimed per pass (per outbox).
    pub batch_size: u64,
    /// Most webhooks (or emails) in flight at once.
    pub concurrency: usize,
    /// Time allowed to connect to an application's webhook URL.
    pub connect_timeout: Duration,
    /// Time allowed for a whole webhook request; only a 2xx answer within it counts.
    pub request_timeout: Duration,
    /// Time allowed to hand one email to the SMTP server.
    pub email_timeout: Duration,
    /// Whether webhooks may go to loopback, private, link-local and other non-public
    /// addresses. Only for the sandbox and tests: it lets a tenant reach the hub's own network.
    pub allow_private_networks: bool,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        Self {
            retry_schedule: Tuning::default().webhook_retry_schedule,
            email_retry_schedule: [60, 5 * 60, 30 * 60, 2 * 3600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            batch_size: Tuning::default().webhook_batch,
            concurrency: 64,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            email_timeout: Duration::from_secs(30),
            allow_private_networks: false,
        }
    }
}

impl NotifierSettings {
    /// The defaults, with the retry schedule, the batch and the private-network allowance of
    /// `config`.
    pub fn from_config(config: &Config) -> Self {
        Self {
            retry_schedule: config.tuning.webhook_retry_schedule.clone(),
            batch_size: config.tuning.webhook_batch,
            allow_private_networks: config.webhook_allow_private,
            ..Self::default()
        }
    }

    /// How long a pass holds its claimed rows when each takes at most `per_item`: long enough
    /// for the whole batch to go through `concurrency` slots, with one round to spare, so a
    /// row's lease does not run out while it waits for a slot.
    fn lease(&self, per_item: Duration) -> Duration {
        let slots = u64::try_from(self.concurrency.max(1)).unwrap_or(u64::MAX);
        let rounds = self.batch_size.div_ceil(slots).saturating_add(1);
        per_item.saturating_mul(u32::try_from(rounds).unwrap_or(u32::MAX))
    }
}

/// Works the webhook and email outboxes of the hub. Build one per instance and run its passes
/// periodically; any number of instances may share a database.
pub struct Notifier {
    store: Store,
    vault: KeyRing,
    /// The client for application webhooks, behind the destination guard.
    http: reqwest::Client,
    settings: NotifierSettings,
    /// Where emails go; `None` keeps them in the database.
    smtp: Option<SmtpRelay>,
}

impl Notifier {
    /// A notifier over `store`, opening webhook secrets with `vault`.
    pub fn new(
        store: Store,
        vault: KeyRing,
        settings: NotifierSettings,
        smtp: Option<SmtpRelay>,
    ) -> anyhow::Result<Self> {
        let http = webhooks::client(&settings)?;
        Ok(Self {
            store,
            vault,
            http,
            settings,
            smtp,
        })
    }

    /// A notifier as `config` describes it; `public_url` names the sender's domain when
    /// `CONVENE_EMAIL_FROM` is not set.
    pub fn from_config(
        store: Store,
        vault: KeyRing,
        config: &Config,
        public_url: &Url,
    ) -> anyhow::Result<Self> {
        Self::new(
            store,
            vault,
            NotifierSettings::from_config(config),
            SmtpRelay::from_config(config, public_url)?,
        )
    }

    /// Deliveries one pass claims at most.
    pub fn batch_size(&self) -> u64 {
        self.settings.batch_size
    }
}

/// `text` cut to at most `max` characters, for stored error strings.
fn shorten(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_outlasts_a_whole_batch() {
        let settings = NotifierSettings {
            batch_size: 64,
            concurrency: 16,
            ..NotifierSettings::default()
        };
        // 64 rows through 16 slots is 4 rounds, plus one to spare.
        assert_eq!(
            settings.lease(settings.request_timeout),
            Duration::from_secs(50)
        );
        // The defaults: 256 rows through 64 slots.
        let defaults = NotifierSettings::default();
        assert_eq!(
            defaults.lease(defaults.request_timeout),
            Duration::from_secs(50)
        );
    }

    #[test]
    fn stored_errors_are_short() {
        assert_eq!(shorten("abc", 5), "abc");
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("ééééé", 2), "éé…");
    }
}
