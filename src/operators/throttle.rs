//! Signing in under a throttle that slows password guessing without handing anyone a way to
//! keep the real operator out.
//!
//! Failures are counted under two keys: the email *at the client address it was tried from*,
//! and the client address alone. A few failures are free; after that each further failure
//! locks its key for a delay that doubles, up to a cap. While a key is locked, attempts under
//! it are refused without checking the password and neither count nor extend the lock. When
//! the lock runs out, a correct password is honoured and clears both keys. A key with no
//! failure for a day is forgotten, failures and all.
//!
//! Because the account's key includes the client address, someone guessing from elsewhere
//! locks out only their own address: the operator signing in from theirs is never refused on
//! account of another's failures. Every guess costs an argon2id verification, and the client
//! key bounds how fast one address can guess across all accounts.

use std::net::IpAddr;
use std::time::Duration;

use super::accounts::OperatorEmail;
use super::password;
use super::sessions::{SessionToken, open_session};
use crate::domain::Timestamp;
use crate::store::Store;

/// The outcome of a sign-in attempt.
pub enum SignIn {
    /// The password was right: a session is open.
    Admitted(SessionToken),
    /// Unknown email or wrong password (deliberately not told apart).
    Refused,
    /// Too many recent failures from this client: try again at this instant.
    Throttled { until: Timestamp },
}

/// How failures under one key turn into locks.
#[derive(Clone, Copy, Debug)]
struct Policy {
    /// Failures allowed before the first lock.
    free_failures: i32,
    first_lock: Duration,
    longest_lock: Duration,
}

/// An email tried from one client address.
const ACCOUNT_AT_CLIENT: Policy = Policy {
    free_failures: 5,
    first_lock: Duration::from_secs(60),
    longest_lock: Duration::from_secs(15 * 60),
};

/// One client address, whatever emails it tries.
const CLIENT: Policy = Policy {
    free_failures: 20,
    first_lock: Duration::from_secs(60),
    longest_lock: Duration::from_secs(15 * 60),
};

/// How long a key's failures are remembered after its last one: far past the longest lock, so
/// forgetting a key never ends a lock early.
const FAILURE_MEMORY: Duration = Duration::from_secs(24 * 60 * 60);

impl Policy {
    /// How long the key is locked after its `failures`-th failure, if at all: the first lock
    /// after the free failures, doubling with each further failure, never past the cap.
    fn lock_after(self, failures: i32) -> Option<Duration> {
        let over = u32::try_from(failures.checked_sub(self.free_failures + 1)?).ok()?;
        let doubled = self.first_lock.saturating_mul(2u32.saturating_pow(over));
        Some(doubled.min(self.longest_lock))
    }

    fn lock_until(self, failures: i32, now: Timestamp) -> Option<Timestamp> {
        self.lock_after(failures).map(|lock| {
            Timestamp(
                now.0
                    .saturating_add(i64::try_from(lock.as_millis()).unwrap_or(i64::MAX)),
            )
        })
    }
}

/// Checks an operator's email and password under the throttle; opens a session when right.
#[tracing::instrument(skip_all, fields(%client))]
pub async fn sign_in(
    store: &Store,
    email: &str,
    presented_password: &str,
    client: IpAddr,
) -> anyhow::Result<SignIn> {
    let now = Timestamp::now();
    // An unparsable email is still counted, under what was typed, so it buys no extra guesses.
    let email = OperatorEmail::parse(email)
        .map_or_else(|_| email.trim().to_lowercase(), |e| e.as_str().to_owned());
    let account_key = format!("account:{email}@{client}");
    let client_key = format!("client:{client}");
    let keys = [account_key.clone(), client_key.clone()];
    let locked_until = store
        .find_signin_throttles(&keys)
        .await?
        .into_iter()
        .filter_map(|row| row.locked_until)
        .filter(|until| *until > now)
        .max();
    if let Some(until) = locked_until {
        tracing::info!("operator sign-in throttled");
        return Ok(SignIn::Throttled { until });
    }
    let operator = store.find_operator_by_email(&email).await?;
    let stored = operator.as_ref().map_or_else(
        || password::decoy_hash().to_owned(),
        |o| o.password_hash.clone(),
    );
    let right = password::verify(presented_password, stored).await?;
    match operator {
        Some(operator) if right => {
            store.clear_signin_throttles(&keys).await?;
            tracing::info!(operator_id = %operator.id, "operator signed in");
            Ok(SignIn::Admitted(open_session(store, &operator, now).await?))
        }
        _ => {
            store
                .record_signin_failure(&account_key, now, |failures| {
                    ACCOUNT_AT_CLIENT.lock_until(failures, now)
                })
                .await?;
            store
                .record_signin_failure(&client_key, now, |failures| {
                    CLIENT.lock_until(failures, now)
                })
                .await?;
            tracing::info!("operator sign-in refused");
            Ok(SignIn::Refused)
        }
    }
}

/// Forgets the keys that have had no failure for [`FAILURE_MEMORY`]; returns how many.
pub async fn forget_idle_throttles(store: &Store, now: Timestamp) -> anyhow::Result<u64> {
    let memory = i64::try_from(FAILURE_MEMORY.as_millis()).unwrap_or(i64::MAX);
    store
        .delete_idle_signin_throttles(Timestamp(now.0.saturating_sub(memory)), now)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_start_after_the_free_failures_double_and_stop_at_the_cap() {
        let minutes = |failures| {
            ACCOUNT_AT_CLIENT
                .lock_after(failures)
                .map(|d| d.as_secs() / 60)
        };
        assert_eq!(minutes(i32::MIN), None);
        assert_eq!(minutes(1), None);
        assert_eq!(minutes(5), None);
        assert_eq!(minutes(6), Some(1));
        assert_eq!(minutes(7), Some(2));
        assert_eq!(minutes(8), Some(4));
        assert_eq!(minutes(9), Some(8));
        assert_eq!(minutes(10), Some(15));
        assert_eq!(minutes(i32::MAX), Some(15));
        assert_eq!(CLIENT.lock_after(20), None);
        assert_eq!(CLIENT.lock_after(21), Some(Duration::from_secs(60)));
    }
}
