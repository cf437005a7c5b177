//! What the demo practice itself knows, as a client application keeps it in its own storage:
//! its therapists and the notifications the hub's webhooks brought. Kept in one JSON file in
//! the data directory (readable by its owner only: it also holds the practice's API key), so
//! a restart keeps the therapists the hub has links for. Browser sessions live in memory.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::domain::{UrlToken, new_id};

/// How many webhook notifications the practice remembers, newest first.
const NOTIFICATIONS_KEPT: usize = 200;

/// The demo's own file: the application it is registered as, and its records.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct Records {
    pub application_id: String,
    pub api_key: String,
    #[serde(default)]
    pub therapists: Vec<Therapist>,
    #[serde(default)]
    pub notifications: VecDeque<Notification>,
}

/// A therapist of the practice; their id is the hub's `end_user_id`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Therapist {
    pub id: String,
    pub name: String,
    pub email: String,
    /// Step 2 of sign-up; empty until then.
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub bio: String,
    pub time_zone: String,
}

/// Something a webhook from the hub told the practice.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Notification {
    /// The `webhook-id`: a redelivery of the same message is recorded once.
    pub webhook_id: String,
    /// Unix seconds.
    pub received_at: i64,
    pub therapist_id: Option<String>,
    pub text: String,
}

/// The practice's records, saved to their file after every change.
pub struct Practice {
    path: PathBuf,
    records: Mutex<Records>,
}

impl Practice {
    /// The records in `path`, if the file exists.
    pub fn load(path: &Path) -> anyhow::Result<Option<Records>> {
        match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map(Some).with_context(|| {
                format!(
                    "the demo practice file {} is not readable; delete it to start the demo afresh",
                    path.display()
                )
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => {
                Err(error).with_context(|| format!("cannot read the demo file {}", path.display()))
            }
        }
    }

    /// Keeps `records` in `path`, writing them there now.
    pub fn keep(path: PathBuf, records: Records) -> anyhow::Result<Self> {
        save(&path, &records)?;
        Ok(Self {
            path,
            records: Mutex::new(records),
        })
    }

    pub async fn therapists(&self) -> Vec<Therapist> {
        self.records.lock().await.therapists.clone()
    }

    pub async fn therapist(&self, id: &str) -> Option<Therapist> {
        let records = self.records.lock().await;
        records.therapists.iter().find(|t| t.id == id).cloned()
    }

    /// Signs up a therapist (step 1: basic details).
    pub async fn sign_up(
        &self,
        name: &str,
        email: &str,
        time_zone: &str,
    ) -> anyhow::Result<Therapist> {
        let therapist = Therapist {
            id: new_id("therapist"),
            name: name.to_owned(),
            email: email.to_owned(),
            title: String::new(),
            bio: String::new(),
            time_zone: time_zone.to_owned(),
        };
        self.change(|records| records.therapists.push(therapist.clone()))
            .await?;
        Ok(therapist)
    }

    /// Step 2 of sign-up, or a later edit in settings.
    pub async fn set_profile(
        &self,
        id: &str,
        title: &str,
        bio: &str,
        time_zone: &str,
    ) -> anyhow::Result<()> {
        self.change(|records| {
            if let Some(therapist) = records.therapists.iter_mut().find(|t| t.id == id) {
                title.clone_into(&mut therapist.title);
                bio.clone_into(&mut therapist.bio);
                time_zone.clone_into(&mut therapist.time_zone);
            }
        })
        .await
    }

    /// Records a notification; `false` when this webhook was already recorded.
    pub async fn notify(&self, notification: Notification) -> anyhow::Result<bool> {
        let mut records = self.records.lock().await;
        if records
            .notifications
            .iter()
            .any(|kept| kept.webhook_id == notification.webhook_id)
        {
            return Ok(false);
        }
        records.notifications.push_front(notification);
        records.notifications.truncate(NOTIFICATIONS_KEPT);
        save(&self.path, &records)?;
        Ok(true)
    }

    /// The newest `count` notifications about one therapist.
    pub async fn notifications_of(&self, therapist_id: &str, count: usize) -> Vec<Notification> {
        let records = self.records.lock().await;
        records
            .notifications
            .iter()
            .filter(|n| n.therapist_id.as_deref() == Some(therapist_id))
            .take(count)
            .cloned()
            .collect()
    }

    async fn change(&self, edit: impl FnOnce(&mut Records)) -> anyhow::Result<()> {
        let mut records = self.records.lock().await;
        edit(&mut records);
        save(&self.path, &records)
    }
}

/// Writes the records whole: to a private temporary file, then renamed over the old one.
fn save(path: &Path, records: &Records) -> anyhow::Result<()> {
    let temporary = path.with_extension("json.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(&temporary)
        .with_context(|| format!("cannot write the demo file {}", temporary.display()))?;
    file.write_all(serde_json::to_string_pretty(records)?.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("cannot replace the demo file {}", path.display()))
}

/// One browser's visit to the demo.
#[derive(Clone, Default)]
pub struct Visit {
    /// The therapist signed in, if any.
    pub therapist_id: Option<String>,
    /// The `state` of the connect session this browser started, checked on its return.
    pub connect_state: Option<String>,
    /// A message for the next page shown.
    pub flash: Option<String>,
}

/// Browser visits by the token in their cookie, each with when it started (in memory: a
/// restart signs everyone out).
pub struct Visits {
    visits: Mutex<HashMap<String, (Instant, Visit)>>,
    /// How long a visit lasts (as long as its cookie).
    lifetime: Duration,
}

impl Visits {
    pub fn new(lifetime: Duration) -> Self {
        Self {
            visits: Mutex::default(),
            lifetime,
        }
    }

    /// The visit of this cookie value, if known and not over.
    pub async fn get(&self, token: &str) -> Option<Visit> {
        let visits = self.visits.lock().await;
        let (started, visit) = visits.get(token)?;
        (started.elapsed() < self.lifetime).then(|| visit.clone())
    }

    /// Starts a visit (forgetting those that are over); returns its cookie value.
    pub async fn start(&self, visit: Visit) -> String {
        let token = UrlToken::generate().expose().to_owned();
        let mut visits = self.visits.lock().await;
        visits.retain(|_, (started, _)| started.elapsed() < self.lifetime);
        visits.insert(token.clone(), (Instant::now(), visit));
        token
    }

    /// Changes the visit of `token` (nothing when it is unknown).
    pub async fn update(&self, token: &str, edit: impl FnOnce(&mut Visit)) {
        if let Some((_, visit)) = self.visits.lock().await.get_mut(token) {
            edit(visit);
        }
    }

    pub async fn end(&self, token: &str) {
        self.visits.lock().await.remove(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_visit_ends_with_its_lifetime_and_is_then_forgotten() {
        let lasting = Visits::new(Duration::from_secs(3600));
        let token = lasting.start(Visit::default()).await;
        lasting
            .update(&token, |visit| visit.therapist_id = Some("t".into()))
            .await;
        assert_eq!(
            lasting.get(&token).await.unwrap().therapist_id.as_deref(),
            Some("t")
        );
        lasting.end(&token).await;
        assert!(lasting.get(&token).await.is_none());

        let over = Visits::new(Duration::ZERO);
        let token = over.start(Visit::default()).await;
        assert!(
            over.get(&token).await.is_none(),
            "an ended visit is no visit"
        );
        over.start(Visit::default()).await;
        assert_eq!(
            over.visits.lock().await.len(),
            1,
            "the old one was forgotten"
        );
    }
}
