//! The emulator's whole in-memory world, kept behind one mutex by `Emulator`.

use std::collections::VecDeque;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::book::MeetingBook;
use super::faults::FaultQueue;
use super::gate::LedgerEntry;
use super::session::Sessions;
use super::tokens::Grants;
use super::users::Directory;
use super::webhooks::Subscription;

/// How many requests the ledger keeps (the oldest go first), so a long-running sandbox
/// does not grow without bound.
pub(crate) const LEDGER_CAPACITY: usize = 10_000;

/// Everything the emulator remembers. Lock it briefly; never across an `.await`.
pub(crate) struct World {
    /// How far the emulator's clock runs ahead of the system clock.
    clock_offset: SignedDuration,
    pub(crate) users: Directory,
    pub(crate) sessions: Sessions,
    pub(crate) grants: Grants,
    pub(crate) meetings: MeetingBook,
    pub(crate) faults: FaultQueue,
    pub(crate) latency: Duration,
    /// The most recent requests served, at most [`LEDGER_CAPACITY`].
    pub(crate) ledger: VecDeque<LedgerEntry>,
    pub(crate) subscription: Subscription,
}

impl World {
    pub(crate) fn new(webhook_url: Option<String>) -> Self {
        let now = Timestamp::now();
        Self {
            clock_offset: SignedDuration::ZERO,
            users: Directory::seeded(now),
            sessions: Sessions::default(),
            grants: Grants::default(),
            meetings: MeetingBook::default(),
            faults: FaultQueue::default(),
            latency: Duration::ZERO,
            ledger: VecDeque::new(),
            subscription: Subscription::new(webhook_url),
        }
    }

    /// The emulator's clock: the system clock plus what tests advanced it by, in whole
    /// milliseconds.
    pub(crate) fn now(&self) -> Timestamp {
        let now = Timestamp::now()
            .checked_add(self.clock_offset)
            .unwrap_or(Timestamp::MAX);
        Timestamp::from_millisecond(now.as_millisecond()).unwrap_or(now)
    }

    /// Adds a request to the ledger, forgetting the oldest beyond capacity.
    pub(crate) fn record(&mut self, entry: LedgerEntry) {
        if self.ledger.len() == LEDGER_CAPACITY {
            self.ledger.pop_front();
        }
        self.ledger.push_back(entry);
    }

    /// Moves the emulator's clock forward.
    pub(crate) fn advance_clock(&mut self, by: Duration) {
        let by = SignedDuration::try_from(by).unwrap_or(SignedDuration::MAX);
        self.clock_offset = self.clock_offset.saturating_add(by);
    }
}
