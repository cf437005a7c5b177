//! The emulator's Zoom users: the seeded demo users, users created by signing in with any
//! email, who may schedule for whom, and the user object `GET /v2/users/{userId}` returns.

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde_json::{Value, json};

use super::random;

/// A Zoom user of the emulator, as tests see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxUser {
    /// Zoom user id (22 characters of base64url).
    pub id: String,
    /// Sign-in email, lower case.
    pub email: String,
    /// Given name.
    pub first_name: String,
    /// Family name.
    pub last_name: String,
    /// Zoom account id (22 characters of base64url).
    pub account_id: String,
}

/// A user with everything Zoom keeps about them.
pub(crate) struct User {
    pub(crate) id: String,
    pub(crate) email: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) account_id: String,
    account_number: i64,
    pmi: i64,
    pub(crate) timezone: String,
    created_at: Timestamp,
    /// Ids of the users who hold scheduling privilege for this user.
    schedulers: BTreeSet<String>,
}

impl User {
    fn new(
        email: &str,
        first_name: &str,
        last_name: &str,
        account: (&str, i64),
        now: Timestamp,
    ) -> Self {
        Self {
            id: random::zoom_id(),
            email: email.to_owned(),
            first_name: first_name.to_owned(),
            last_name: last_name.to_owned(),
            account_id: account.0.to_owned(),
            account_number: account.1,
            pmi: random::number(2_000_000_000..=9_999_999_999),
            timezone: "UTC".to_owned(),
            created_at: now,
            schedulers: BTreeSet::new(),
        }
    }

    /// "First Last", or whichever of the two is set.
    pub(crate) fn display_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }

    /// The public snapshot.
    pub(crate) fn snapshot(&self) -> SandboxUser {
        SandboxUser {
            id: self.id.clone(),
            email: self.email.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            account_id: self.account_id.clone(),
        }
    }

    /// The body of `GET /v2/users/{userId}`.
    pub(crate) fn to_json(&self, base: &str) -> Value {
        let created_at = super::times::zoom_time(self.created_at);
        json!({
            "id": self.id,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "display_name": self.display_name(),
            "email": self.email,
            "type": 2,
            "role_name": "Owner",
            "role_id": "0",
            "pmi": self.pmi,
            "use_pmi": false,
            "personal_meeting_url": format!("{base}/j/{}", self.pmi),
            "timezone": self.timezone,
            "verified": 1,
            "dept": "",
            "created_at": created_at,
            "user_created_at": created_at,
            "last_login_time": created_at,
            "pic_url": "",
            "language": "en-US",
            "phone_number": "",
            "status": "active",
            "account_id": self.account_id,
            "account_number": self.account_number,
            "cluster": "us05",
            "login_types": [100],
            "group_ids": [],
            "im_group_ids": [],
        })
    }
}

/// Every user of the emulator.
pub(crate) struct Directory {
    users: Vec<User>,
}

impl Directory {
    /// Ana Novak, Ben Okafor and Chloé Martin in one account; Ana may schedule for Ben.
    pub(crate) fn seeded(now: Timestamp) -> Self {
        let account_id = random::zoom_id();
        let account = (account_id.as_str(), random::number(10_000_000..=99_999_999));
        let seeds = [
            (DEMO_EMAILS[0], "Ana", "Novak", "Europe/Ljubljana"),
            (DEMO_EMAILS[1], "Ben", "Okafor", "Africa/Lagos"),
            (DEMO_EMAILS[2], "Chloé", "Martin", "Europe/Paris"),
        ];
        let users = seeds
            .iter()
            .map(|(email, first, last, timezone)| User {
                timezone: (*timezone).to_owned(),
                ..User::new(email, first, last, account, now)
            })
            .collect();
        let mut directory = Self { users };
        directory.add_scheduler(DEMO_EMAILS[1], DEMO_EMAILS[0]);
        directory
    }

    /// All users, demo users first.
    pub(crate) fn all(&self) -> &[User] {
        &self.users
    }

    /// The user with this id.
    pub(crate) fn get(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    /// The user named by an id or an email (case-insensitive), as Zoom accepts both.
    pub(crate) fn find(&self, id_or_email: &str) -> Option<&User> {
        self.get(id_or_email).or_else(|| {
            self.users
                .iter()
                .find(|user| user.email.eq_ignore_ascii_case(id_or_email))
        })
    }

    /// Signs in with an email: the existing user, or a new user in a new account whose
    /// names come from the email ("jo.doe@x" → Jo Doe).
    pub(crate) fn sign_in(&mut self, email: &str, now: Timestamp) -> &User {
        let email = email.to_lowercase();
        if let Some(index) = self.users.iter().position(|user| user.email == email) {
            return &self.users[index];
        }
        let local = email.split('@').next().unwrap_or_default();
        let mut names = local
            .split(['.', '_', '-', '+'])
            .filter(|part| !part.is_empty())
            .map(capitalized);
        let first = names.next().unwrap_or_else(|| "Sandbox".to_owned());
        let last = names.collect::<Vec<_>>().join(" ");
        let account_id = random::zoom_id();
        let account = (account_id.as_str(), random::number(10_000_000..=99_999_999));
        self.users
            .push(User::new(&email, &first, &last, account, now));
        &self.users[self.users.len() - 1]
    }

    /// Gives `scheduler` scheduling privilege for `host` (both by id or email).
    /// False when either is unknown.
    pub(crate) fn add_scheduler(&mut self, host: &str, scheduler: &str) -> bool {
        let Some(scheduler_id) = self.find(scheduler).map(|user| user.id.clone()) else {
            return false;
        };
        let Some(host_id) = self.find(host).map(|user| user.id.clone()) else {
            return false;
        };
        self.users
            .iter_mut()
            .filter(|user| user.id == host_id)
            .for_each(|host| {
                host.schedulers.insert(scheduler_id.clone());
            });
        true
    }

    /// Whether `actor` may act for `host`: it is the host, or holds its scheduling privilege.
    pub(crate) fn may_act_for(&self, actor: &str, host: &str) -> bool {
        actor == host
            || self
                .get(host)
                .is_some_and(|host| host.schedulers.contains(actor))
    }
}

/// The demo users' emails, stable across restarts.
pub(crate) const DEMO_EMAILS: [&str; 3] = [
    "ana.novak@sandbox.zoom.test",
    "ben.okafor@sandbox.zoom.test",
    "chloe.martin@sandbox.zoom.test",
];

fn capitalized(part: &str) -> String {
    let mut chars = part.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Whether `email` is plausible enough to sign in with.
pub(crate) fn is_plausible_email(email: &str) -> bool {
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && email.len() <= 128
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}
