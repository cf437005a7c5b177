//! Per-API-key request rate limits (GCRA via governor). Each instance keeps its
//! own counters: N instances allow N times the limit.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// One keyed limiter per distinct quota, keyed by API key id.
pub struct ApiRateLimits {
    default_per_second: NonZeroU32,
    limiters: Mutex<HashMap<NonZeroU32, Arc<DefaultKeyedRateLimiter<String>>>>,
    clock: DefaultClock,
}

impl ApiRateLimits {
    pub fn new(default_per_second: NonZeroU32) -> Self {
        Self {
            default_per_second,
            limiters: Mutex::default(),
            clock: DefaultClock::default(),
        }
    }

    /// Admits one request for `key_id`, or says how long to wait. `per_second`
    /// is the application's own limit, when it has one.
    pub fn check(&self, key_id: &str, per_second: Option<NonZeroU32>) -> Result<(), Duration> {
        let per_second = per_second.unwrap_or(self.default_per_second);
        let limiter = {
            let mut limiters = self
                .limiters
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(
                limiters
                    .entry(per_second)
                    .or_insert_with(|| Arc::new(RateLimiter::keyed(Quota::per_second(per_second)))),
            )
        };
        limiter
            .check_key(&key_id.to_owned())
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// Forgets keys whose allowance has fully recovered, so memory does not grow.
    pub fn sweep(&self) {
        let limiters = self
            .limiters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for limiter in limiters.values() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_past_the_quota_is_refused_with_a_wait() {
        let limits = ApiRateLimits::new(NonZeroU32::new(5).unwrap());
        for _ in 0..5 {
            assert!(limits.check("key_a", None).is_ok());
        }
        let wait = limits.check("key_a", None).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        assert!(
            limits.check("key_b", None).is_ok(),
            "keys are limited separately"
        );
        assert!(
            limits.check("key_a", NonZeroU32::new(100)).is_ok(),
            "quotas are separate"
        );
    }
}
