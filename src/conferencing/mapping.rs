//! An event's Zoom meeting, as the body Zoom's create and update calls take.

use jiff::{SignedDuration, Timestamp};

use crate::domain::event::{Conferencing, EventSpec, Pattern, Recurrence, RecurrenceEnd};
use crate::zoom::types::{
    Invitee, MeetingRequest, MeetingSettings, Recurrence as ZoomRecurrence, meeting_type,
};

/// Zoom's meeting body for an event: type 2, or 8 with a recurrence.
///
/// - `start_time` is the start in UTC (`yyyy-MM-ddTHH:mm:ssZ`, any fraction
///   of a second dropped) and `timezone` the event's IANA zone: the instant is
///   unambiguous in every zone and across daylight-saving changes, and Zoom
///   uses the zone to show the meeting and to place its occurrences.
/// - `duration` is the event's length in whole minutes, rounded up, so the
///   meeting never ends before the event.
/// - `topic` is the summary and `agenda` the description, never cut (both are
///   within Zoom's limits by construction). The agenda is always sent, empty
///   without a description, so an update clears a removed one.
/// - `password` is the passcode when one was given; otherwise Zoom picks.
/// - `settings` carries waiting room, join before host (forced off when the
///   waiting room is on, as Zoom would), mute upon entry and automatic
///   recording as given (left out when not given), and the attendees as
///   `meeting_invitees`, always sent, so an update can empty the list.
/// - `schedule_for` is passed through.
/// - `recurrence`: type 1/2/3 with `repeat_interval`; `weekly_days` as a
///   comma list of `"1"`..`"7"` with 1 = Sunday; `monthly_day`, or
///   `monthly_week` with `monthly_week_day` (1 = Sunday); and `end_times`
///   (the count) or `end_date_time` (`until` in UTC).
pub fn meeting_request(spec: &EventSpec, conferencing: &Conferencing) -> MeetingRequest {
    let settings = conferencing.settings();
    let waiting_room = settings.waiting_room();
    let join_before_host = match waiting_room {
        Some(true) => Some(false),
        _ => settings.join_before_host(),
    };
    let kind = match spec.recurrence {
        Some(_) => meeting_type::RECURRING_FIXED_TIME,
        None => meeting_type::SCHEDULED,
    };
    MeetingRequest {
        topic: Some(spec.summary.as_str().to_owned()),
        kind: Some(kind),
        start_time: Some(utc(spec.window.start())),
        duration: Some(minutes_rounded_up(spec.window.duration())),
        timezone: Some(spec.time_zone.name().to_owned()),
        password: settings
            .passcode()
            .map(|passcode| passcode.as_str().to_owned()),
        agenda: Some(
            spec.description
                .as_ref()
                .map(|description| description.as_str().to_owned())
                .unwrap_or_default(),
        ),
        schedule_for: conferencing
            .schedule_for()
            .map(|email| email.as_str().to_owned()),
        recurrence: spec.recurrence.as_ref().map(zoom_recurrence),
        settings: Some(MeetingSettings {
            join_before_host,
            waiting_room,
            mute_upon_entry: settings.mute_upon_entry(),
            auto_recording: settings
                .auto_recording()
                .map(|recording| recording.as_str().to_owned()),
            meeting_invitees: Some(
                spec.attendees
                    .iter()
                    .map(|attendee| Invitee {
                        email: attendee.email().as_str().to_owned(),
                    })
                    .collect(),
            ),
        }),
    }
}

fn zoom_recurrence(recurrence: &Recurrence) -> ZoomRecurrence {
    let mut zoom = ZoomRecurrence {
        repeat_interval: Some(recurrence.interval()),
        ..ZoomRecurrence::default()
    };
    match recurrence.pattern() {
        Pattern::Daily => zoom.kind = 1,
        Pattern::Weekly(days) => {
            let mut numbers: Vec<i8> = days.iter().map(|day| day.to_sunday_one_offset()).collect();
            numbers.sort_unstable();
            let numbers: Vec<String> = numbers.iter().map(i8::to_string).collect();
            zoom.kind = 2;
            zoom.weekly_days = Some(numbers.join(","));
        }
        Pattern::MonthlyOnDay(day) => {
            zoom.kind = 3;
            zoom.monthly_day = u8::try_from(*day).ok();
        }
        Pattern::MonthlyOnWeekday { week, day } => {
            zoom.kind = 3;
            zoom.monthly_week = Some(*week);
            zoom.monthly_week_day = u8::try_from(day.to_sunday_one_offset()).ok();
        }
    }
    match recurrence.end() {
        RecurrenceEnd::Count(count) => zoom.end_times = Some(count),
        RecurrenceEnd::Until(until) => zoom.end_date_time = Some(utc(until)),
    }
    zoom
}

/// `yyyy-MM-ddTHH:mm:ssZ`, as Zoom takes UTC times.
fn utc(at: Timestamp) -> String {
    format!("{at:.0}")
}

/// Whole minutes, rounded up: a 50 min 1 s event gets a 51-minute meeting.
fn minutes_rounded_up(duration: SignedDuration) -> u32 {
    const MINUTE: i128 = 60_000_000_000;
    let minutes = (duration.as_nanos() + MINUTE - 1).div_euclid(MINUTE);
    u32::try_from(minutes).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::event::{EventInput, Patch};

    /// An event body with conferencing, `changes` merged over a plain weekday event.
    fn spec(changes: Value) -> EventSpec {
        let mut body = json!({
            "end_user_id": "therapist-42",
            "summary": "Therapy session",
            "start": "2026-12-01T15:00:00Z",
            "end": "2026-12-01T15:50:00Z",
            "tzid": "Europe/Ljubljana",
            "conferencing": {"provider": "zoom"},
        });
        for (key, value) in changes.as_object().unwrap() {
            body[key] = value.clone();
        }
        let now: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        serde_json::from_value::<EventInput>(body)
            .unwrap()
            .parse(now)
            .unwrap()
    }

    fn request(changes: Value) -> MeetingRequest {
        let spec = spec(changes);
        let Patch::Set(conferencing) = &spec.conferencing else {
            panic!("the event has no conferencing");
        };
        meeting_request(&spec, conferencing)
    }

    fn recurrence(rule: Value) -> Value {
        serde_json::to_value(request(json!({"recurrence": rule})).recurrence).unwrap()
    }

    #[test]
    fn a_plain_event_is_a_scheduled_meeting_in_utc_with_its_zone() {
        let body =
            serde_json::to_value(request(json!({"description": "Weekly check-in"}))).unwrap();
        assert_eq!(
            body,
            json!({"topic": "Therapy session", "type": 2, "start_time": "2026-12-01T15:00:00Z",
                   "duration": 50, "timezone": "Europe/Ljubljana", "agenda": "Weekly check-in",
                   "settings": {"meeting_invitees": []}})
        );
    }

    #[test]
    fn nine_in_the_morning_maps_to_the_right_utc_instant_on_both_sides_of_each_switch() {
        for (tzid, start, end, utc_start) in [
            // Ljubljana leaves CET (+01:00) for CEST (+02:00) on 2026-03-29.
            (
                "Europe/Ljubljana",
                "2026-03-28T09:00:00+01:00",
                "2026-03-28T09:50:00+01:00",
                "2026-03-28T08:00:00Z",
            ),
            (
                "Europe/Ljubljana",
                "2026-03-30T09:00:00+02:00",
                "2026-03-30T09:50:00+02:00",
                "2026-03-30T07:00:00Z",
            ),
            // New York leaves EST (-05:00) for EDT (-04:00) on 2026-03-08.
            (
                "America/New_York",
                "2026-03-07T09:00:00-05:00",
                "2026-03-07T09:50:00-05:00",
                "2026-03-07T14:00:00Z",
            ),
            (
                "America/New_York",
                "2026-03-09T09:00:00-04:00",
                "2026-03-09T09:50:00-04:00",
                "2026-03-09T13:00:00Z",
            ),
        ] {
            let request = request(json!({"tzid": tzid, "start": start, "end": end}));
            assert_eq!(request.start_time.as_deref(), Some(utc_start), "{start}");
            assert_eq!(request.timezone.as_deref(), Some(tzid));
            assert_eq!(request.duration, Some(50), "{start}");
        }
    }

    #[test]
    fn a_meeting_across_the_switch_lasts_the_real_time_not_the_wall_clock_time() {
        // 01:30 to 03:30 on the wall clock in Ljubljana, but 02:00 never happens: one hour.
        let spring = request(
            json!({"start": "2026-03-29T01:30:00+01:00", "end": "2026-03-29T03:30:00+02:00"}),
        );
        assert_eq!(spring.start_time.as_deref(), Some("2026-03-29T00:30:00Z"));
        assert_eq!(spring.duration, Some(60));
        // New York's autumn: 01:00 EDT to 01:30 EST is ninety minutes.
        let autumn = request(json!({"tzid": "America/New_York",
                                     "start": "2026-11-01T01:00:00-04:00", "end": "2026-11-01T01:30:00-05:00"}));
        assert_eq!(autumn.duration, Some(90));
    }

    #[test]
    fn durations_round_up_to_whole_minutes_and_start_times_drop_fractions() {
        let request =
            request(json!({"start": "2026-12-01T15:00:00.500Z", "end": "2026-12-01T15:50:01Z"}));
        assert_eq!(request.start_time.as_deref(), Some("2026-12-01T15:00:00Z"));
        assert_eq!(request.duration, Some(51));
        assert_eq!(minutes_rounded_up(SignedDuration::from_hours(24)), 1440);
        assert_eq!(minutes_rounded_up(SignedDuration::from_nanos(1)), 1);
    }

    #[test]
    fn settings_passcode_and_schedule_for_are_passed_through() {
        let request = request(
            json!({"conferencing": {"provider": "zoom", "schedule_for": "boss@example.org",
            "settings": {"waiting_room": false, "join_before_host": true, "mute_upon_entry": true,
                         "auto_recording": "local", "passcode": "a1-b2_c3*"}}}),
        );
        assert_eq!(request.password.as_deref(), Some("a1-b2_c3*"));
        assert_eq!(request.schedule_for.as_deref(), Some("boss@example.org"));
        let settings = request.settings.unwrap();
        assert_eq!(settings.waiting_room, Some(false));
        assert_eq!(settings.join_before_host, Some(true));
        assert_eq!(settings.mute_upon_entry, Some(true));
        assert_eq!(settings.auto_recording.as_deref(), Some("local"));
    }

    #[test]
    fn a_waiting_room_forces_join_before_host_off() {
        let request = request(
            json!({"conferencing": {"provider": "zoom", "settings": {"waiting_room": true}}}),
        );
        let settings = request.settings.unwrap();
        assert_eq!(settings.waiting_room, Some(true));
        assert_eq!(settings.join_before_host, Some(false));
    }

    #[test]
    fn attendees_become_meeting_invitees() {
        let request = request(
            json!({"attendees": [{"email": "pat@example.org", "name": "Pat"},
                                                    {"email": "Kim@Example.ORG"}]}),
        );
        let invitees = request.settings.unwrap().meeting_invitees.unwrap();
        let emails: Vec<_> = invitees
            .iter()
            .map(|invitee| invitee.email.as_str())
            .collect();
        assert_eq!(emails, ["pat@example.org", "Kim@example.org"]);
    }

    #[test]
    fn the_description_goes_whole_into_the_agenda() {
        let description = "ž".repeat(2000);
        let request = request(json!({"description": description}));
        assert_eq!(request.agenda, Some(description));
    }

    #[test]
    fn a_recurring_event_is_a_type_8_meeting() {
        let request = request(json!({"recurrence": {"frequency": "daily", "count": 5}}));
        assert_eq!(request.kind, Some(meeting_type::RECURRING_FIXED_TIME));
        assert_eq!(
            serde_json::to_value(request.recurrence).unwrap(),
            json!({"type": 1, "repeat_interval": 1, "end_times": 5})
        );
    }

    #[test]
    fn weekly_days_count_from_sunday() {
        // Monday 2026-11-30 and Sunday 2026-11-29, 16:00 in Ljubljana.
        let monday = json!({"start": "2026-11-30T15:00:00Z", "end": "2026-11-30T15:50:00Z"});
        let rule =
            json!({"frequency": "weekly", "interval": 2, "by_day": ["WE", "MO"], "count": 6});
        let mut changes = monday.clone();
        changes["recurrence"] = rule;
        assert_eq!(
            serde_json::to_value(request(changes).recurrence).unwrap(),
            json!({"type": 2, "repeat_interval": 2, "weekly_days": "2,4", "end_times": 6})
        );
        let sunday = json!({"start": "2026-11-29T15:00:00Z", "end": "2026-11-29T15:50:00Z",
                            "recurrence": {"frequency": "weekly", "by_day": ["SU"], "until": "2027-01-31T23:00:00+01:00"}});
        assert_eq!(
            serde_json::to_value(request(sunday).recurrence).unwrap(),
            json!({"type": 2, "repeat_interval": 1, "weekly_days": "1", "end_date_time": "2027-01-31T22:00:00Z"})
        );
        let weekend = json!({"start": "2026-11-29T15:00:00Z", "end": "2026-11-29T15:50:00Z",
                             "recurrence": {"frequency": "weekly", "by_day": ["SA", "SU"], "count": 4}});
        assert_eq!(
            request(weekend).recurrence.unwrap().weekly_days.as_deref(),
            Some("1,7")
        );
    }

    #[test]
    fn monthly_rules_name_the_day_or_the_ordinal_weekday() {
        assert_eq!(
            recurrence(json!({"frequency": "monthly", "count": 3})),
            json!({"type": 3, "repeat_interval": 1, "monthly_day": 1, "end_times": 3})
        );
        // Friday 2026-12-25 is the last Friday of December.
        let christmas = json!({"start": "2026-12-25T09:00:00Z", "end": "2026-12-25T10:00:00Z",
                               "recurrence": {"frequency": "monthly", "interval": 3, "by_day": ["-1FR"], "count": 4}});
        assert_eq!(
            serde_json::to_value(request(christmas).recurrence).unwrap(),
            json!({"type": 3, "repeat_interval": 3, "monthly_week": -1, "monthly_week_day": 6, "end_times": 4})
        );
    }
}
