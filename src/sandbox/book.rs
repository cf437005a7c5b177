//! The meeting book: every meeting, each user's daily count of API creates and updates, and
//! the listing of a user's meetings page by page.

use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::meetings::Meeting;
use super::random;

const CURSOR_LIFETIME: SignedDuration = SignedDuration::from_mins(15);

/// Which meetings a listing asks for (`type` of `GET /users/{userId}/meetings`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    Scheduled,
    Live,
    Upcoming,
    Previous,
}

impl Listing {
    pub(crate) fn parse(text: &str) -> Option<Listing> {
        match text {
            "scheduled" => Some(Listing::Scheduled),
            "live" => Some(Listing::Live),
            "upcoming" | "upcoming_meetings" => Some(Listing::Upcoming),
            "previous_meetings" => Some(Listing::Previous),
            _ => None,
        }
    }

    fn includes(self, meeting: &Meeting, now: Timestamp) -> bool {
        match self {
            Listing::Scheduled => true,
            // Nothing ever runs in the sandbox.
            Listing::Live => false,
            Listing::Upcoming => meeting.ends_at().is_none_or(|end| end >= now),
            Listing::Previous => meeting.ends_at().is_some_and(|end| end < now),
        }
    }
}

/// One page of a listing.
pub(crate) struct Page<'a> {
    pub(crate) meetings: Vec<&'a Meeting>,
    pub(crate) total_records: usize,
    /// Empty when this is the last page.
    pub(crate) next_page_token: String,
}

struct Cursor {
    host_id: String,
    listing: Listing,
    after: (Timestamp, i64),
    expires_at: Timestamp,
}

/// Every meeting, each user's daily create/update count, and open listing cursors.
#[derive(Default)]
pub(crate) struct MeetingBook {
    meetings: BTreeMap<i64, Meeting>,
    /// (user id, UTC day) → creates and updates through the API.
    usage: HashMap<(String, Date), u32>,
    cursors: HashMap<String, Cursor>,
}

impl MeetingBook {
    /// An unused 11-digit meeting id.
    pub(crate) fn new_id(&self) -> i64 {
        loop {
            let id = random::number(80_000_000_000..=99_999_999_999);
            if !self.meetings.contains_key(&id) {
                return id;
            }
        }
    }

    pub(crate) fn insert(&mut self, meeting: Meeting) {
        self.meetings.insert(meeting.id, meeting);
    }

    pub(crate) fn get(&self, id: i64) -> Option<&Meeting> {
        self.meetings.get(&id)
    }

    pub(crate) fn remove(&mut self, id: i64) -> Option<Meeting> {
        self.meetings.remove(&id)
    }

    /// The user's meetings, in listing order.
    pub(crate) fn hosted_by<'a>(
        &'a self,
        host_id: &'a str,
    ) -> impl Iterator<Item = &'a Meeting> + 'a {
        let mut hosted: Vec<&Meeting> = self
            .meetings
            .values()
            .filter(|meeting| meeting.host_id == host_id)
            .collect();
        hosted.sort_by_key(|meeting| meeting.sort_key());
        hosted.into_iter()
    }

    /// API creates and updates the user made on `now`'s UTC day.
    pub(crate) fn used_today(&self, user_id: &str, now: Timestamp) -> u32 {
        let day = utc_day(now);
        self.usage
            .get(&(user_id.to_owned(), day))
            .copied()
            .unwrap_or(0)
    }

    /// Counts one API create or update against the user's day.
    pub(crate) fn count_use(&mut self, user_id: &str, now: Timestamp) {
        let day = utc_day(now);
        self.usage.retain(|(_, used_on), _| *used_on >= day);
        *self.usage.entry((user_id.to_owned(), day)).or_default() += 1;
    }

    /// A page of the host's meetings; `token` continues an earlier listing (for 15 minutes,
    /// as Zoom's do). None when the token is unknown, expired or from another listing.
    pub(crate) fn page(
        &mut self,
        host_id: &str,
        listing: Listing,
        page_size: usize,
        token: Option<&str>,
        now: Timestamp,
    ) -> Option<Page<'_>> {
        self.cursors.retain(|_, cursor| cursor.expires_at > now);
        let after = match token {
            None => None,
            // Tokens stay good until they expire, so a page can be fetched again.
            Some(token) => {
                let cursor = self.cursors.get(token)?;
                if cursor.host_id != host_id || cursor.listing != listing {
                    return None;
                }
                Some(cursor.after)
            }
        };
        let matching: Vec<(Timestamp, i64)> = self
            .hosted_by(host_id)
            .filter(|meeting| listing.includes(meeting, now))
            .map(Meeting::sort_key)
            .collect();
        let total_records = matching.len();
        let rest: Vec<(Timestamp, i64)> = matching
            .into_iter()
            .filter(|key| after.is_none_or(|after| *key > after))
            .collect();
        let has_more = rest.len() > page_size;
        let keys: Vec<(Timestamp, i64)> = rest.into_iter().take(page_size).collect();
        let next_page_token = match keys.last() {
            Some(&after) if has_more => {
                let token = random::secret();
                let cursor = Cursor {
                    host_id: host_id.to_owned(),
                    listing,
                    after,
                    expires_at: now + CURSOR_LIFETIME,
                };
                self.cursors.insert(token.clone(), cursor);
                token
            }
            _ => String::new(),
        };
        Some(Page {
            meetings: keys
                .iter()
                .filter_map(|(_, id)| self.meetings.get(id))
                .collect(),
            total_records,
            next_page_token,
        })
    }
}

fn utc_day(at: Timestamp) -> Date {
    at.to_zoned(TimeZone::UTC).date()
}
