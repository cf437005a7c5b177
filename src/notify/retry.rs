//! When a failed webhook or email is tried again: a fixed schedule of waits, each stretched or
//! shortened by up to 10 % at random so that retries of a burst do not arrive together.

use std::time::Duration;

use crate::domain::Timestamp;

/// The largest share of a wait added or removed at random.
const JITTER: f64 = 0.1;

/// When to try again after `failures` failed attempts (1 after the first), or `None` when the
/// schedule is used up and the notification should be given up.
pub fn next_attempt_at(schedule: &[Duration], failures: u32, now: Timestamp) -> Option<Timestamp> {
    let wait = scheduled_wait(schedule, failures, rand::random_range(-JITTER..=JITTER))?;
    Some(later(now, wait))
}

/// The wait after `failures` failed attempts, changed by `jitter` (a share in ±[`JITTER`]).
fn scheduled_wait(schedule: &[Duration], failures: u32, jitter: f64) -> Option<Duration> {
    let index = usize::try_from(failures).ok()?.checked_sub(1)?;
    let wait = schedule.get(index)?;
    Some(wait.mul_f64(1.0 + jitter.clamp(-JITTER, JITTER)))
}

/// `at` moved forward by `wait`, at millisecond precision.
pub fn later(at: Timestamp, wait: Duration) -> Timestamp {
    let millis = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
    Timestamp(at.0.saturating_add(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_schedule_gives_eight_attempts_over_about_a_day() {
        let schedule = crate::config::Tuning::default().webhook_retry_schedule;
        assert_eq!(
            scheduled_wait(&schedule, 1, 0.0),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            scheduled_wait(&schedule, 2, 0.0),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            scheduled_wait(&schedule, 7, 0.0),
            Some(Duration::from_secs(36_000))
        );
        assert_eq!(scheduled_wait(&schedule, 8, 0.0), None);
        assert_eq!(scheduled_wait(&schedule, 0, 0.0), None);
        let total: Duration = schedule.iter().sum();
        assert_eq!(total, Duration::from_secs(27 * 3600 + 35 * 60 + 5));
    }

    #[test]
    fn jitter_stays_within_ten_percent() {
        let schedule = [Duration::from_secs(100)];
        assert_eq!(
            scheduled_wait(&schedule, 1, 0.1),
            Some(Duration::from_secs(110))
        );
        assert_eq!(
            scheduled_wait(&schedule, 1, -0.5),
            Some(Duration::from_secs(90))
        );
        let now = Timestamp(1_000_000);
        for _ in 0..100 {
            let next = next_attempt_at(&schedule, 1, now).unwrap();
            assert!(
                (now.0 + 90_000..=now.0 + 110_000).contains(&next.0),
                "{next:?}"
            );
        }
    }
}
