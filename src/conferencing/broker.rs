//! The token broker: a valid Zoom access token for a credential, whatever
//! happens around it.
//!
//! Zoom's access tokens live an hour and every refresh rotates the refresh
//! token, killing the previous one, so two refreshes racing lose the
//! connection. Refresh is therefore single-flight twice over: a per-credential
//! async mutex inside this process, and a lease on the credential row across
//! instances (the loser waits and re-reads instead of refreshing again). New
//! tokens are sealed and committed before anyone uses them.
//!
//! A refresh whose answer is lost (connection cut after Zoom may have rotated)
//! is asked again at once with the same refresh token: either Zoom had not
//! rotated and the retry works, or it had and the retry is refused with
//! `invalid_grant`, and the credential is marked `needs_reauth` — never left
//! holding a token that silently no longer works.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use super::ConferencingError;
use crate::domain::{Timestamp, new_id};
use crate::notify::{self, AppEvent};
use crate::store::Store;
use crate::store::credentials::{Credential, status};
use crate::store::emails::NewEmail;
use crate::store::links::AppLink;
use crate::store::outbox::Outbox;
use crate::vault::{KeyRing, Purpose, SealContext};
use crate::zoom::{TokenGrant, ZoomError, ZoomOAuth};

/// Timings of token upkeep.
#[derive(Clone, Debug)]
pub struct BrokerSettings {
    /// Refresh when the access token has less than this left.
    pub refresh_margin: Duration,
    /// How long a refresh lease holds before another instance may take over.
    pub lease: Duration,
    /// How often a waiter re-reads a credential another instance is refreshing.
    pub lease_poll: Duration,
    /// The keeper refreshes credentials unused for this long, so the refresh
    /// token never reaches its own end of life.
    pub idle_refresh_after: Duration,
    /// The keeper stops retrying a failing refresh after this long and marks
    /// the credential `needs_reauth`.
    pub give_up_after: Duration,
    /// First retry delay after a failed refresh; doubles up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl Default for BrokerSettings {
    fn default() -> Self {
        Self {
            refresh_margin: Duration::from_secs(60),
            lease: Duration::from_secs(60),
            lease_poll: Duration::from_millis(25),
            idle_refresh_after: Duration::from_secs(30 * 24 * 3600),
            give_up_after: Duration::from_secs(4 * 24 * 3600),
            backoff_base: Duration::from_secs(60),
            backoff_max: Duration::from_secs(3600),
        }
    }
}

/// What one keeper pass did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UpkeepReport {
    pub refreshed: u32,
    pub failed: u32,
    pub needs_reauth: u32,
}

/// Hands out valid access tokens, refreshing them single-flight.
pub struct TokenBroker {
    store: Store,
    vault: KeyRing,
    oauth: ZoomOAuth,
    settings: BrokerSettings,
    /// Names this instance in refresh leases.
    holder: String,
    /// One async mutex per credential being refreshed in this process.
    refreshing: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// Why a refresh is wanted.
#[derive(Clone, Copy)]
enum Need<'a> {
    /// A token with more than the margin left.
    Fresh,
    /// Zoom refused this token (124): anything newer will do.
    Replace(&'a SecretString),
    /// The keeper's refresh of an idle or failing credential it saw at this version.
    Upkeep(i64),
}

impl TokenBroker {
    pub fn new(store: Store, vault: KeyRing, oauth: ZoomOAuth, settings: BrokerSettings) -> Self {
        Self {
            store,
            vault,
            oauth,
            settings,
            holder: new_id("inst"),
            refreshing: Mutex::default(),
        }
    }

    /// A valid access token for the credential.
    #[tracing::instrument(skip(self))]
    pub async fn access_token(
        &self,
        credential_id: &str,
    ) -> Result<SecretString, ConferencingError> {
        let credential = self.load(credential_id).await?;
        self.token_of(&credential).await
    }

    /// A valid access token for `credential` as just read: its own while fresh.
    async fn token_of(&self, credential: &Credential) -> Result<SecretString, ConferencingError> {
        if credential.status == status::ACTIVE && self.is_fresh(credential, Timestamp::now()) {
            return self.open(credential, Purpose::ZoomAccessToken);
        }
        self.refresh(&credential.id, Need::Fresh).await
    }

    /// Runs a Zoom call with a valid token; when Zoom refuses the token (124),
    /// refreshes once and runs it again.
    pub async fn with_token<T, F, Fut>(
        &self,
        credential_id: &str,
        call: F,
    ) -> Result<T, ConferencingError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, ZoomError>>,
    {
        let token = self.access_token(credential_id).await?;
        self.retrying_rejected(credential_id, token, call).await
    }

    /// [`TokenBroker::with_token`] for a credential the caller has just read.
    pub async fn with_token_of<T, F, Fut>(
        &self,
        credential: &Credential,
        call: F,
    ) -> Result<T, ConferencingError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, ZoomError>>,
    {
        let token = self.token_of(credential).await?;
        self.retrying_rejected(&credential.id, token, call).await
    }

    async fn retrying_rejected<T, F, Fut>(
        &self,
        credential_id: &str,
        token: SecretString,
        call: F,
    ) -> Result<T, ConferencingError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, ZoomError>>,
    {
        match call(token.clone()).await {
            Err(ZoomError::AccessTokenRejected(_)) => {
                let fresh = self.refresh(credential_id, Need::Replace(&token)).await?;
                Ok(call(fresh).await?)
            }
            outcome => Ok(outcome?),
        }
    }

    /// One keeper pass: refreshes credentials idle for long and retries failing
    /// ones whose backoff is over, up to `batch` of them.
    #[tracing::instrument(skip(self))]
    pub async fn keep_up(&self, batch: u64) -> anyhow::Result<UpkeepReport> {
        let now = Timestamp::now();
        let idle_before = Timestamp(now.0 - millis(self.settings.idle_refresh_after));
        let due = self
            .store
            .credentials_due_for_upkeep(idle_before, now, batch)
            .await?;
        let mut report = UpkeepReport::default();
        for credential in due {
            match self
                .refresh(&credential.id, Need::Upkeep(credential.version))
                .await
            {
                Ok(_) => report.refreshed += 1,
                Err(ConferencingError::NeedsReauth) => report.needs_reauth += 1,
                Err(ConferencingError::NoCredential) => {}
                Err(error) => {
                    tracing::warn!(credential_id = %credential.id, error = %error, "token upkeep failed; will retry");
                    report.failed += 1;
                }
            }
        }
        Ok(report)
    }

    async fn refresh(
        &self,
        credential_id: &str,
        need: Need<'_>,
    ) -> Result<SecretString, ConferencingError> {
        let lock = self.local_lock(credential_id);
        let outcome = {
            let _only_one_here = lock.lock().await;
            self.refresh_single_flight(credential_id, need).await
        };
        self.forget_local_lock(credential_id, lock);
        outcome
    }

    /// With the local lock held: refresh under the row lease, or wait for the
    /// instance that holds it and use what it stored.
    async fn refresh_single_flight(
        &self,
        credential_id: &str,
        need: Need<'_>,
    ) -> Result<SecretString, ConferencingError> {
        let give_up_waiting = Instant::now() + self.settings.lease * 2;
        loop {
            let credential = self.load(credential_id).await?;
            if credential.status != status::ACTIVE {
                return Err(ConferencingError::NeedsReauth);
            }
            let now = Timestamp::now();
            let current = self.open(&credential, Purpose::ZoomAccessToken)?;
            let satisfied = match need {
                Need::Fresh => self.is_fresh(&credential, now),
                Need::Replace(rejected) => current.expose_secret() != rejected.expose_secret(),
                Need::Upkeep(seen) => credential.version != seen,
            };
            if satisfied {
                return Ok(current);
            }
            let until = Timestamp(now.0 + millis(self.settings.lease));
            if self
                .store
                .take_refresh_lease(credential_id, credential.version, &self.holder, now, until)
                .await?
            {
                return self.refresh_holding_lease(&credential, current, need).await;
            }
            if Instant::now() >= give_up_waiting {
                return Err(ZoomError::Unavailable(
                    "another instance is still refreshing".to_owned(),
                )
                .into());
            }
            tokio::time::sleep(self.settings.lease_poll).await;
        }
    }

    async fn refresh_holding_lease(
        &self,
        credential: &Credential,
        current: SecretString,
        need: Need<'_>,
    ) -> Result<SecretString, ConferencingError> {
        let refresh_token = self.open(credential, Purpose::ZoomRefreshToken)?;
        let mut outcome = self.oauth.refresh(&refresh_token).await;
        if matches!(outcome, Err(ZoomError::Unavailable(_))) {
            // The answer may be lost after Zoom rotated: asking again settles it.
            outcome = self.oauth.refresh(&refresh_token).await;
        }
        let now = Timestamp::now();
        match outcome {
            Ok(grant) => self.store_grant(credential, grant, now).await,
            Err(ZoomError::RefreshTokenDead(reason)) => {
                tracing::warn!(credential_id = %credential.id, %reason, "Zoom refused the refresh token; the user must reconnect");
                self.mark_needs_reauth(credential, now).await?;
                Err(ConferencingError::NeedsReauth)
            }
            Err(error) => {
                let failing_since = credential.refresh_failing_since.unwrap_or(now);
                if now.0 - failing_since.0 >= millis(self.settings.give_up_after) {
                    tracing::warn!(credential_id = %credential.id, %error, "refresh has failed for too long; giving up");
                    self.mark_needs_reauth(credential, now).await?;
                    return Err(ConferencingError::NeedsReauth);
                }
                let next = Timestamp(now.0 + millis(self.backoff(credential.refresh_failures)));
                self.store
                    .release_refresh_lease_after_failure(&credential.id, &self.holder, now, next)
                    .await?;
                match need {
                    // A token that still works beats an error while Zoom recovers.
                    Need::Fresh if credential.access_token_expires_at > now => Ok(current),
                    _ => Err(error.into()),
                }
            }
        }
    }

    /// The user must reconnect: the credential and its links say so, each linked application
    /// hears `link.needs_reauth` and the user gets an email — unless a new authorization
    /// arrived since `credential` was read.
    async fn mark_needs_reauth(
        &self,
        credential: &Credential,
        now: Timestamp,
    ) -> anyhow::Result<()> {
        let outbox = |credential: &Credential, links: &[AppLink]| Outbox {
            deliveries: links
                .iter()
                .filter_map(|app_link| {
                    notify::delivery_for(
                        &app_link.application,
                        &AppEvent::LinkNeedsReauth(app_link.link.clone()),
                        now,
                    )
                })
                .collect(),
            emails: vec![reconnect_email(credential, links, now)],
            audit: Vec::new(),
        };
        self.store
            .mark_credential_needs_reauth(&credential.id, credential.version, now, outbox)
            .await?;
        Ok(())
    }

    async fn store_grant(
        &self,
        credential: &Credential,
        grant: TokenGrant,
        now: Timestamp,
    ) -> Result<SecretString, ConferencingError> {
        let tokens = super::seal_grant(&self.vault, &credential.id, &grant, now);
        if !self
            .store
            .store_refreshed_tokens(&credential.id, &self.holder, tokens, now)
            .await?
        {
            // Our lease ran out and another instance took over: what it stores wins.
            tracing::error!(credential_id = %credential.id, "refresh lease lost before the new tokens were stored");
            return Err(ZoomError::Unavailable("refresh lease lost".to_owned()).into());
        }
        tracing::debug!(credential_id = %credential.id, "Zoom tokens refreshed");
        Ok(grant.access_token)
    }

    fn is_fresh(&self, credential: &Credential, now: Timestamp) -> bool {
        credential.access_token_expires_at.0 - now.0 > millis(self.settings.refresh_margin)
    }

    fn backoff(&self, failures: i32) -> Duration {
        let doublings = u32::try_from(failures).unwrap_or(0).min(16);
        (self.settings.backoff_base * 2u32.pow(doublings)).min(self.settings.backoff_max)
    }

    async fn load(&self, credential_id: &str) -> Result<Credential, ConferencingError> {
        self.store
            .find_credential(credential_id)
            .await?
            .ok_or(ConferencingError::NoCredential)
    }

    fn open(
        &self,
        credential: &Credential,
        purpose: Purpose,
    ) -> Result<SecretString, ConferencingError> {
        let blob = match purpose {
            Purpose::ZoomRefreshToken => &credential.refresh_token,
            _ => &credential.access_token,
        };
        let context = SealContext {
            purpose,
            row_id: &credential.id,
        };
        self.vault.open_str(blob, &context).map_err(|error| {
            anyhow::anyhow!(
                "credential {}: {purpose} does not open: {error}",
                credential.id
            )
            .into()
        })
    }

    fn local_lock(&self, credential_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut refreshing = self
            .refreshing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Arc::clone(refreshing.entry(credential_id.to_owned()).or_default())
    }

    /// Drops the per-credential mutex once nobody else holds or waits for it.
    fn forget_local_lock(&self, credential_id: &str, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut refreshing = self
            .refreshing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Two references left: the map's and ours.
        if Arc::strong_count(&lock) <= 2 {
            refreshing.remove(credential_id);
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Asks the user to reconnect the Zoom account the linked applications can no longer use.
fn reconnect_email(credential: &Credential, links: &[AppLink], now: Timestamp) -> NewEmail {
    let apps: Vec<&str> = links
        .iter()
        .map(|app_link| app_link.application.name.as_str())
        .collect();
    let body = format!(
        "Hello {name},\n\nZoom no longer accepts Convene's access to your Zoom account {email}, \
         so {apps} cannot create or change Zoom meetings for you.\n\n\
         Meetings already scheduled stay in Zoom. To fix this, open the app and choose Connect Zoom again.\n",
        name = credential.display_name,
        email = credential.email,
        apps = apps.join(", "),
    );
    notify::email(
        &credential.email,
        "Please reconnect your Zoom account",
        &body,
        now,
    )
}
