//! Emails to end users: the outbox row ([`email`]), the SMTP server they go through
//! ([`SmtpRelay`]), and the worker pass that sends due rows ([`Notifier::send_due_emails`]).
//!
//! Without `CONVENE_SMTP_URL`, emails are marked `kept` at once: they stay in the database for
//! the console to show. With it, a send the server refuses for good (a 5xx answer, an address
//! it cannot take) fails at once; any other failure is retried on the email schedule.

use std::time::Duration;

use anyhow::Context as _;
use futures_util::StreamExt as _;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};
use url::{Host, Url};

use super::retry::{later, next_attempt_at};
use super::{Notifier, shorten};
use crate::config::Config;
use crate::domain::{Timestamp, new_id};
use crate::store::emails::{ClaimedEmail, NewEmail, SendResult};

/// Time allowed for each SMTP command.
const SMTP_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest error text stored for an email.
const MAX_ERROR_CHARS: usize = 300;

/// The outbox row for an email to `to` (pure, no I/O). Insert it with
/// [`insert_emails`](crate::store::emails::insert_emails) in the transaction that makes the
/// change.
pub fn email(to: &str, subject: &str, body: &str, now: Timestamp) -> NewEmail {
    NewEmail {
        id: new_id("eml"),
        to_address: to.to_owned(),
        subject: subject.to_owned(),
        body_text: body.to_owned(),
        created_at: now,
    }
}

/// The SMTP server emails are sent through, and the sender they come from.
pub struct SmtpRelay {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for SmtpRelay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials: show the sender only.
        f.debug_struct("SmtpRelay")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpRelay {
    /// A relay to the server of `smtp_url` (`smtp://`, `smtp://…?tls=required`, `smtps://`,
    /// with optional `user:password@`), sending as `from` (`Name <address>` or an address).
    ///
    /// Must run inside a Tokio runtime: the connection pool starts a cleanup task.
    pub fn new(smtp_url: &SecretString, from: &str) -> anyhow::Result<Self> {
        tokio::runtime::Handle::try_current()
            .context("the SMTP relay must be created inside the Tokio runtime")?;
        let from: Mailbox = from.parse().with_context(|| {
            format!("the sender {from:?} is not an email address such as Convene <no-reply@hub.example.com>")
        })?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose_secret())
            .context("CONVENE_SMTP_URL is not an SMTP URL such as smtp://user:password@mail.example.com:587?tls=required")?
            .timeout(Some(SMTP_COMMAND_TIMEOUT))
            .build();
        Ok(Self { transport, from })
    }

    /// The relay `config` names, or `None` without `CONVENE_SMTP_URL`. The sender is
    /// `CONVENE_EMAIL_FROM`, else `Convene <no-reply@{host of public_url}>`.
    pub fn from_config(config: &Config, public_url: &Url) -> anyhow::Result<Option<Self>> {
        let Some(smtp_url) = &config.smtp_url else {
            return Ok(None);
        };
        let from = match &config.email_from {
            Some(from) => from.clone(),
            None => default_sender(public_url),
        };
        Self::new(smtp_url, &from).map(Some)
    }

    /// Hands one email to the server.
    async fn send(&self, email: &ClaimedEmail) -> Result<(), SendFailure> {
        let to: Mailbox = email
            .to_address
            .parse()
            .map_err(|_| SendFailure::permanent("the recipient address is not valid"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(email.body_text.clone())
            .map_err(|error| {
                SendFailure::permanent(format!("cannot build the message: {error}"))
            })?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) => Err(SendFailure {
                message: error.to_string(),
                permanent: error.is_permanent(),
            }),
        }
    }
}

/// `Convene <no-reply@host>` for the host of `public_url` (`localhost` when it is an address).
fn default_sender(public_url: &Url) -> String {
    let domain = match public_url.host() {
        Some(Host::Domain(domain)) => domain,
        _ => "localhost",
    };
    format!("Convene <no-reply@{domain}>")
}

/// Why an email was not sent.
struct SendFailure {
    message: String,
    /// The server refused it for good.
    permanent: bool,
}

impl SendFailure {
    fn permanent(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            permanent: true,
        }
    }
}

impl Notifier {
    /// One worker pass over the email outbox. Without an SMTP server, marks every pending
    /// email `kept`; with one, claims due emails, sends them (`concurrency` at once) and
    /// records each send. Returns how many emails left the outbox as sent or kept.
    ///
    /// # Errors
    ///
    /// When the outbox cannot be read or written.
    #[tracing::instrument(skip_all)]
    pub async fn send_due_emails(&self) -> anyhow::Result<u32> {
        let now = Timestamp::now();
        let Some(smtp) = &self.smtp else {
            let kept = self.store.keep_pending_emails(now).await?;
            return Ok(u32::try_from(kept).unwrap_or(u32::MAX));
        };
        let lease_until = later(now, self.settings.lease(self.settings.email_timeout));
        let claimed = self
            .store
            .claim_due_emails(now, lease_until, self.settings.batch_size)
            .await?;
        // Futures made up front, as in `deliver_due`, so that this pass stays `Send`.
        let sends: Vec<_> = claimed
            .iter()
            .map(|email| self.send_one(smtp, email))
            .collect();
        let results: Vec<anyhow::Result<SendResult>> = futures_util::stream::iter(sends)
            .buffer_unordered(self.settings.concurrency.max(1))
            .collect()
            .await;
        let mut sent = 0;
        for result in results {
            match result {
                Ok(SendResult::Sent) => sent += 1,
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(error = ?error, "could not record an email send; it will be sent again");
                }
            }
        }
        Ok(sent)
    }

    /// Sends one email and records the outcome.
    #[tracing::instrument(skip_all, fields(email_id = %email.id, attempt = email.attempts + 1))]
    async fn send_one(&self, smtp: &SmtpRelay, email: &ClaimedEmail) -> anyhow::Result<SendResult> {
        let at = Timestamp::now();
        let outcome =
            match tokio::time::timeout(self.settings.email_timeout, smtp.send(email)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(SendFailure {
                    message: "the SMTP server did not answer in time".to_owned(),
                    permanent: false,
                }),
            };
        let failures = u32::try_from(email.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        let (error, result) = match outcome {
            Ok(()) => (None, SendResult::Sent),
            Err(failure) if failure.permanent => (Some(failure.message), SendResult::GiveUp),
            Err(failure) => {
                let next = next_attempt_at(
                    &self.settings.email_retry_schedule,
                    failures,
                    Timestamp::now(),
                )
                .map_or(SendResult::GiveUp, SendResult::RetryAt);
                (Some(failure.message), next)
            }
        };
        match (&result, &error) {
            (SendResult::Sent, _) => tracing::debug!("email sent"),
            (SendResult::RetryAt(_), error) => tracing::info!(?error, "email not sent; will retry"),
            (SendResult::GiveUp, error) => tracing::warn!(?error, "email given up"),
        }
        let held = self
            .store
            .record_email_attempt(
                email,
                at,
                error.map(|error| shorten(&error, MAX_ERROR_CHARS)),
                result,
            )
            .await?;
        if !held {
            tracing::warn!(
                "the email's lease ran out during the send; its new holder decides what follows"
            );
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_email_row_is_pending_material() {
        let now = Timestamp(42);
        let row = email("pat@example.org", "Zoom connected", "Hello", now);
        assert!(row.id.starts_with("eml_"), "{}", row.id);
        assert_eq!(row.to_address, "pat@example.org");
        assert_eq!(row.created_at, now);
    }

    #[test]
    fn the_default_sender_is_no_reply_at_the_public_host() {
        let hub = Url::parse("https://hub.example.com/").unwrap();
        assert_eq!(default_sender(&hub), "Convene <no-reply@hub.example.com>");
        let bare = Url::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(default_sender(&bare), "Convene <no-reply@localhost>");
        for url in [hub, bare] {
            assert!(default_sender(&url).parse::<Mailbox>().is_ok(), "{url}");
        }
    }

    #[tokio::test]
    async fn bad_smtp_urls_and_senders_are_refused_without_echoing_the_url() {
        let url = SecretString::from("smtpx://user:hunter2@mail.example.com");
        let error = SmtpRelay::new(&url, "Convene <no-reply@example.com>").unwrap_err();
        let text = format!("{error:?}");
        assert!(text.contains("CONVENE_SMTP_URL"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        let url = SecretString::from("smtp://mail.example.com:2525");
        assert!(SmtpRelay::new(&url, "not an address").is_err());
        let relay = SmtpRelay::new(&url, "Convene <no-reply@example.com>").unwrap();
        assert!(!format!("{relay:?}").contains("mail.example.com"));
    }
}
