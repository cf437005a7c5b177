//! How an event repeats: the subset of RFC 5545 rules that Zoom can hold.
//!
//! Zoom repeats a meeting daily, weekly on chosen weekdays, or monthly on a
//! day of the month or an ordinal weekday, and always needs an end. A rule
//! Zoom cannot express is refused, never quietly turned into a different one.
//! Weekdays and days of the month are read in the event's time zone: a start
//! at 00:30 in Ljubljana is on the previous day in UTC.

use jiff::civil::Weekday;
use jiff::{Timestamp, Zoned};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Errors;
use super::window::parse_instant;
use crate::domain::FieldError;

/// Most occurrences Zoom accepts as a count (`end_times`).
const MOST_OCCURRENCES: u32 = 60;

/// The request's `recurrence`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecurrenceInput {
    pub frequency: String,
    pub interval: Option<u32>,
    pub by_day: Option<Vec<String>>,
    pub count: Option<u32>,
    pub until: Option<String>,
}

/// A repetition Zoom can hold, consistent with the event's start: the start
/// is always the first occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recurrence {
    pattern: Pattern,
    interval: u32,
    end: RecurrenceEnd,
}

/// On which days the event repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pattern {
    /// Every `interval` days.
    Daily,
    /// Every `interval` weeks on these weekdays: Monday first, each once, the
    /// start's weekday among them.
    Weekly(Vec<Weekday>),
    /// Every `interval` months on this day of the month (1 to 31): the start's.
    /// Zoom decides what happens in months without that day.
    MonthlyOnDay(i8),
    /// Every `interval` months on the `week`-th `day` (1 to 4, or -1 for the
    /// last), which the start is.
    MonthlyOnWeekday { week: i8, day: Weekday },
}

/// When the repetition stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecurrenceEnd {
    /// After this many occurrences, 1 to 60.
    Count(u32),
    /// With the last occurrence starting no later than this, after the start.
    Until(Timestamp),
}

impl Recurrence {
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// Days, weeks or months between occurrences, within Zoom's limit.
    pub fn interval(&self) -> u32 {
        self.interval
    }

    pub fn end(&self) -> RecurrenceEnd {
        self.end
    }

    /// The rule in the request's shape, with `by_day` as it applies (a weekly
    /// rule shows the start's weekday when it was left out).
    pub(super) fn to_json(&self) -> Value {
        let (frequency, by_day) = match &self.pattern {
            Pattern::Daily => ("daily", None),
            Pattern::Weekly(days) => (
                "weekly",
                Some(days.iter().map(|day| code(*day).to_owned()).collect()),
            ),
            Pattern::MonthlyOnDay(_) => ("monthly", None),
            Pattern::MonthlyOnWeekday { week, day } => {
                ("monthly", Some(vec![format!("{week}{}", code(*day))]))
            }
        };
        let (count, until) = match self.end {
            RecurrenceEnd::Count(count) => (Some(count), None),
            RecurrenceEnd::Until(until) => (None, Some(until.to_string())),
        };
        json!({
            "frequency": frequency,
            "interval": self.interval,
            "by_day": by_day,
            "count": count,
            "until": until,
        })
    }
}

impl RecurrenceInput {
    /// Parses the rule for an event starting at `start` (in its time zone).
    ///
    /// `start` is `None` when the event's start or time zone did not parse;
    /// their errors are reported on their own fields, only the checks that do
    /// not need the start run, and the result is an error even if they pass.
    pub(super) fn parse(self, start: Option<&Zoned>) -> Result<Recurrence, Vec<FieldError>> {
        let mut errors = Errors::default();
        let frequency = errors.check(Frequency::parse(&self.frequency));
        let interval = errors.check(parse_interval(self.interval, frequency));
        let end = errors.check(parse_end(self.count, self.until.as_deref(), start));
        let pattern = frequency
            .and_then(|frequency| parse_pattern(frequency, self.by_day, start, &mut errors));
        let recurrence = match (pattern, interval, end) {
            (Some(pattern), Some(interval), Some(end)) => Some(Recurrence {
                pattern,
                interval,
                end,
            }),
            _ => None,
        };
        errors.finish(recurrence)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frequency {
    Daily,
    Weekly,
    Monthly,
}

impl Frequency {
    fn parse(raw: &str) -> Result<Self, FieldError> {
        match raw {
            "daily" => Ok(Self::Daily),
            "weekly" => Ok(Self::Weekly),
            "monthly" => Ok(Self::Monthly),
            "yearly" | "hourly" | "minutely" | "secondly" => Err(FieldError::new(
                "recurrence.frequency",
                format!("Zoom cannot repeat a meeting {raw}; use daily, weekly or monthly"),
            )),
            _ => Err(FieldError::new(
                "recurrence.frequency",
                "must be daily, weekly or monthly",
            )),
        }
    }

    /// Zoom's longest `repeat_interval` and its unit.
    fn longest_interval(self) -> (u32, &'static str, &'static str) {
        match self {
            Self::Daily => (90, "daily", "days"),
            Self::Weekly => (12, "weekly", "weeks"),
            Self::Monthly => (3, "monthly", "months"),
        }
    }
}

/// 1 when left out; at least 1 and at most Zoom's limit for the frequency
/// (checked only once the frequency is known).
fn parse_interval(raw: Option<u32>, frequency: Option<Frequency>) -> Result<u32, FieldError> {
    let interval = raw.unwrap_or(1);
    if interval == 0 {
        return Err(FieldError::new("recurrence.interval", "must be at least 1"));
    }
    match frequency.map(Frequency::longest_interval) {
        Some((longest, name, unit)) if interval > longest => Err(FieldError::new(
            "recurrence.interval",
            format!(
                "must be at most {longest}: Zoom repeats a {name} meeting at most every {longest} {unit}"
            ),
        )),
        _ => Ok(interval),
    }
}

/// Exactly one of `count` and `until`: Zoom needs every recurring meeting to end.
fn parse_end(
    count: Option<u32>,
    until: Option<&str>,
    start: Option<&Zoned>,
) -> Result<RecurrenceEnd, FieldError> {
    match (count, until) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "recurrence",
            "give count or until, not both: Zoom ends a recurring meeting one way",
        )),
        (None, None) => Err(FieldError::new(
            "recurrence",
            "needs count (1 to 60) or until: Zoom requires every recurring meeting to end",
        )),
        (Some(count), None) if (1..=MOST_OCCURRENCES).contains(&count) => {
            Ok(RecurrenceEnd::Count(count))
        }
        (Some(_), None) => Err(FieldError::new(
            "recurrence.count",
            format!(
                "must be 1 to {MOST_OCCURRENCES}: Zoom ends a recurring meeting after at most {MOST_OCCURRENCES} occurrences"
            ),
        )),
        (None, Some(raw)) => {
            let until = parse_instant(raw, "recurrence.until")?;
            if start.is_some_and(|start| until <= start.timestamp()) {
                return Err(FieldError::new("recurrence.until", "must be after start"));
            }
            Ok(RecurrenceEnd::Until(until))
        }
    }
}

/// The days the rule repeats on, from `by_day` and the start; `None` with the
/// reasons in `errors`, or without reasons when the start is unknown.
fn parse_pattern(
    frequency: Frequency,
    by_day: Option<Vec<String>>,
    start: Option<&Zoned>,
    errors: &mut Errors,
) -> Option<Pattern> {
    match (frequency, by_day) {
        (Frequency::Daily, None) => Some(Pattern::Daily),
        (Frequency::Daily, Some(_)) => {
            errors.push(FieldError::new(
                "recurrence.by_day",
                "a daily recurrence takes no by_day; use weekly to choose days",
            ));
            None
        }
        (Frequency::Weekly, None) => start.map(|start| Pattern::Weekly(vec![start.weekday()])),
        (Frequency::Weekly, Some(entries)) => parse_weekly(&entries, start, errors),
        (Frequency::Monthly, None) => start.map(|start| Pattern::MonthlyOnDay(start.day())),
        (Frequency::Monthly, Some(entries)) => parse_monthly(&entries, start, errors),
    }
}

fn parse_weekly(entries: &[String], start: Option<&Zoned>, errors: &mut Errors) -> Option<Pattern> {
    if entries.is_empty() {
        errors.push(FieldError::new(
            "recurrence.by_day",
            "must name at least one day, such as [\"MO\"], or be left out to repeat on the start's weekday",
        ));
        return None;
    }
    let mut days = Vec::with_capacity(entries.len());
    let mut valid = true;
    for (index, entry) in entries.iter().enumerate() {
        let field = format!("recurrence.by_day[{index}]");
        match weekday(entry) {
            Some(day) if days.contains(&day) => {
                errors.push(FieldError::new(field, "repeats a day already given"));
                valid = false;
            }
            Some(day) => days.push(day),
            None if ordinal_weekday(entry).is_some() => {
                errors.push(FieldError::new(
                    field,
                    "an ordinal day such as 2TU belongs to a monthly recurrence; a weekly one takes days such as MO",
                ));
                valid = false;
            }
            None => {
                errors.push(FieldError::new(
                    field,
                    "must be one of MO, TU, WE, TH, FR, SA, SU",
                ));
                valid = false;
            }
        }
    }
    let start = start.filter(|_| valid)?;
    if !days.contains(&start.weekday()) {
        errors.push(FieldError::new(
            "recurrence.by_day",
            format!(
                "must include {}, the start's weekday in the event's time zone: the start is the first meeting",
                code(start.weekday())
            ),
        ));
        return None;
    }
    days.sort_by_key(|day| day.to_monday_one_offset());
    Some(Pattern::Weekly(days))
}

fn parse_monthly(
    entries: &[String],
    start: Option<&Zoned>,
    errors: &mut Errors,
) -> Option<Pattern> {
    let [entry] = entries else {
        errors.push(FieldError::new(
            "recurrence.by_day",
            "a monthly recurrence takes one entry such as [\"2TU\"] or [\"-1FR\"], or none to repeat on the start's day of the month",
        ));
        return None;
    };
    let field = "recurrence.by_day[0]";
    let Some((week, day)) = ordinal_weekday(entry) else {
        let message = if weekday(entry).is_some() {
            "needs the week of the month, such as 2TU (second Tuesday) or -1FR (last Friday)"
        } else {
            "must be a week of the month (1 to 4, or -1 for the last) and a day, such as 2TU or -1FR"
        };
        errors.push(FieldError::new(field, message));
        return None;
    };
    let start = start?;
    let matching = ordinals_of(start);
    if !matching.contains(&(week, day)) {
        let names: Vec<String> = matching
            .iter()
            .map(|(week, day)| format!("{week}{}", code(*day)))
            .collect();
        errors.push(FieldError::new(
            field,
            format!(
                "must describe the start's day in the event's time zone ({}): the start is the first meeting",
                names.join(" or ")
            ),
        ));
        return None;
    }
    Some(Pattern::MonthlyOnWeekday { week, day })
}

/// The ordinal weekdays Zoom can name that fall on `start`'s date: its week
/// of the month if that is 1 to 4, and -1 if it is the month's last such day.
fn ordinals_of(start: &Zoned) -> Vec<(i8, Weekday)> {
    let (day, weekday) = (start.day(), start.weekday());
    let week = (day - 1) / 7 + 1;
    let mut ordinals = Vec::with_capacity(2);
    if week <= 4 {
        ordinals.push((week, weekday));
    }
    if day + 7 > start.days_in_month() {
        ordinals.push((-1, weekday));
    }
    ordinals
}

/// `2TU`, `+2TU` or `-1FR`: a week Zoom knows (-1, 1 to 4) and a weekday.
fn ordinal_weekday(entry: &str) -> Option<(i8, Weekday)> {
    let split = entry.len().checked_sub(2)?;
    let (week, day) = (entry.get(..split)?, entry.get(split..)?);
    let week: i8 = week.parse().ok()?;
    matches!(week, -1 | 1..=4).then_some(())?;
    Some((week, weekday(day)?))
}

/// RFC 5545's two-letter weekday.
fn weekday(code: &str) -> Option<Weekday> {
    match code {
        "MO" => Some(Weekday::Monday),
        "TU" => Some(Weekday::Tuesday),
        "WE" => Some(Weekday::Wednesday),
        "TH" => Some(Weekday::Thursday),
        "FR" => Some(Weekday::Friday),
        "SA" => Some(Weekday::Saturday),
        "SU" => Some(Weekday::Sunday),
        _ => None,
    }
}

fn code(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "MO",
        Weekday::Tuesday => "TU",
        Weekday::Wednesday => "WE",
        Weekday::Thursday => "TH",
        Weekday::Friday => "FR",
        Weekday::Saturday => "SA",
        Weekday::Sunday => "SU",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::tz::TimeZone;

    fn start(at: &str, zone: &str) -> Zoned {
        at.parse::<Timestamp>()
            .unwrap()
            .to_zoned(TimeZone::get(zone).unwrap())
    }

    /// Tuesday 2026-12-01, 16:00 in Ljubljana: the first Tuesday of the month.
    fn tuesday() -> Zoned {
        start("2026-12-01T15:00:00Z", "Europe/Ljubljana")
    }

    fn rule(json: Value) -> RecurrenceInput {
        serde_json::from_value(json).unwrap()
    }

    fn parse(json: Value) -> Result<Recurrence, Vec<FieldError>> {
        rule(json).parse(Some(&tuesday()))
    }

    /// The only error of `json`'s parse, as (field, message).
    fn refusal(json: Value) -> (String, String) {
        let errors = parse(json).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        (errors[0].field.clone(), errors[0].message.clone())
    }

    #[test]
    fn a_weekly_rule_without_days_repeats_on_the_start_weekday_in_the_event_zone() {
        let recurrence = parse(json!({"frequency": "weekly", "count": 6})).unwrap();
        assert_eq!(
            recurrence.pattern(),
            &Pattern::Weekly(vec![Weekday::Tuesday])
        );
        assert_eq!(recurrence.interval(), 1);
        // 23:30 UTC on Tuesday is already Wednesday in Ljubljana.
        let late = start("2026-12-01T23:30:00Z", "Europe/Ljubljana");
        let recurrence = rule(json!({"frequency": "weekly", "count": 6}))
            .parse(Some(&late))
            .unwrap();
        assert_eq!(
            recurrence.pattern(),
            &Pattern::Weekly(vec![Weekday::Wednesday])
        );
    }

    #[test]
    fn weekly_days_are_kept_monday_first_and_shown_back() {
        let recurrence = parse(json!({"frequency": "weekly", "by_day": ["TH", "TU"], "until": "2027-03-01T00:00:00+01:00"})).unwrap();
        assert_eq!(
            recurrence.pattern(),
            &Pattern::Weekly(vec![Weekday::Tuesday, Weekday::Thursday])
        );
        assert_eq!(
            recurrence.to_json(),
            json!({"frequency": "weekly", "interval": 1, "by_day": ["TU", "TH"], "count": null, "until": "2027-02-28T23:00:00Z"})
        );
    }

    #[test]
    fn weekly_days_must_be_known_single_and_include_the_start() {
        assert_eq!(
            refusal(json!({"frequency": "weekly", "by_day": ["MO", "WE"], "count": 2})).0,
            "recurrence.by_day"
        );
        assert!(
            refusal(json!({"frequency": "weekly", "by_day": ["MO", "WE"], "count": 2}))
                .1
                .contains("TU")
        );
        assert_eq!(
            refusal(json!({"frequency": "weekly", "by_day": [], "count": 2})).0,
            "recurrence.by_day"
        );
        let errors =
            parse(json!({"frequency": "weekly", "by_day": ["TU", "TU", "tu", "2TU"], "count": 2}))
                .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "recurrence.by_day[1]",
                "recurrence.by_day[2]",
                "recurrence.by_day[3]"
            ]
        );
        assert!(errors[2].message.contains("monthly"));
    }

    #[test]
    fn a_monthly_rule_without_days_repeats_on_the_start_day_of_the_month_in_the_event_zone() {
        let recurrence = parse(json!({"frequency": "monthly", "count": 3})).unwrap();
        assert_eq!(recurrence.pattern(), &Pattern::MonthlyOnDay(1));
        let late = start("2026-12-31T23:30:00Z", "Europe/Ljubljana");
        let recurrence = rule(json!({"frequency": "monthly", "count": 3}))
            .parse(Some(&late))
            .unwrap();
        assert_eq!(recurrence.pattern(), &Pattern::MonthlyOnDay(1));
        let last = start("2026-12-31T12:00:00Z", "Europe/Ljubljana");
        let recurrence = rule(json!({"frequency": "monthly", "count": 3}))
            .parse(Some(&last))
            .unwrap();
        assert_eq!(recurrence.pattern(), &Pattern::MonthlyOnDay(31));
        assert_eq!(recurrence.to_json()["by_day"], Value::Null);
    }

    #[test]
    fn a_monthly_ordinal_weekday_must_be_the_start() {
        let recurrence =
            parse(json!({"frequency": "monthly", "by_day": ["1TU"], "count": 3})).unwrap();
        assert_eq!(
            recurrence.pattern(),
            &Pattern::MonthlyOnWeekday {
                week: 1,
                day: Weekday::Tuesday
            }
        );
        // Friday 2026-12-25 is both the 4th and the last Friday.
        let christmas = start("2026-12-25T09:00:00Z", "Europe/Ljubljana");
        for (entry, week) in [("-1FR", -1), ("4FR", 4), ("+4FR", 4)] {
            let recurrence = rule(json!({"frequency": "monthly", "by_day": [entry], "count": 3}))
                .parse(Some(&christmas))
                .unwrap();
            assert_eq!(
                recurrence.pattern(),
                &Pattern::MonthlyOnWeekday {
                    week,
                    day: Weekday::Friday
                }
            );
        }
        let recurrence = rule(json!({"frequency": "monthly", "by_day": ["-1FR"], "count": 3}))
            .parse(Some(&christmas))
            .unwrap();
        assert_eq!(recurrence.to_json()["by_day"], json!(["-1FR"]));
        let (field, message) =
            refusal(json!({"frequency": "monthly", "by_day": ["2TU"], "count": 3}));
        assert_eq!(field, "recurrence.by_day[0]");
        assert!(message.contains("1TU"), "{message}");
    }

    #[test]
    fn monthly_ordinals_zoom_cannot_hold_are_refused() {
        for entry in ["5TU", "0TU", "-2TU", "TU", "1XX", "", "1", "é", "1tu"] {
            let (field, _) =
                refusal(json!({"frequency": "monthly", "by_day": [entry], "count": 3}));
            assert_eq!(field, "recurrence.by_day[0]", "{entry}");
        }
        let (field, _) =
            refusal(json!({"frequency": "monthly", "by_day": ["1TU", "3TU"], "count": 3}));
        assert_eq!(field, "recurrence.by_day");
    }

    #[test]
    fn a_daily_rule_takes_no_days() {
        assert_eq!(
            parse(json!({"frequency": "daily", "count": 5}))
                .unwrap()
                .pattern(),
            &Pattern::Daily
        );
        assert_eq!(
            refusal(json!({"frequency": "daily", "by_day": ["TU"], "count": 5})).0,
            "recurrence.by_day"
        );
    }

    #[test]
    fn frequencies_zoom_cannot_repeat_are_refused_saying_so() {
        for frequency in ["yearly", "hourly"] {
            let (field, message) = refusal(json!({"frequency": frequency, "count": 5}));
            assert_eq!(field, "recurrence.frequency");
            assert!(
                message.contains("Zoom cannot repeat a meeting"),
                "{message}"
            );
        }
        assert_eq!(
            refusal(json!({"frequency": "WEEKLY", "count": 5})).0,
            "recurrence.frequency"
        );
    }

    #[test]
    fn intervals_are_within_zooms_limits() {
        for (frequency, longest) in [("daily", 90), ("weekly", 12), ("monthly", 3)] {
            assert_eq!(
                parse(json!({"frequency": frequency, "interval": longest, "count": 2}))
                    .unwrap()
                    .interval(),
                longest
            );
            let (field, message) =
                refusal(json!({"frequency": frequency, "interval": longest + 1, "count": 2}));
            assert_eq!(field, "recurrence.interval");
            assert!(
                message.contains(&format!("at most every {longest}")),
                "{message}"
            );
        }
        assert_eq!(
            refusal(json!({"frequency": "daily", "interval": 0, "count": 2})).0,
            "recurrence.interval"
        );
    }

    #[test]
    fn the_rule_ends_by_count_or_until_never_both_nor_neither() {
        assert_eq!(
            parse(json!({"frequency": "daily", "count": 60}))
                .unwrap()
                .end(),
            RecurrenceEnd::Count(60)
        );
        let (field, message) = refusal(json!({"frequency": "daily", "count": 61}));
        assert_eq!(field, "recurrence.count");
        assert!(message.contains("at most 60"), "{message}");
        assert_eq!(
            refusal(json!({"frequency": "daily", "count": 0})).0,
            "recurrence.count"
        );
        let (field, message) =
            refusal(json!({"frequency": "daily", "count": 3, "until": "2027-01-01T00:00:00Z"}));
        assert_eq!(field, "recurrence");
        assert!(message.contains("not both"), "{message}");
        let (field, message) = refusal(json!({"frequency": "daily"}));
        assert_eq!(field, "recurrence");
        assert!(
            message.contains("Zoom requires every recurring meeting to end"),
            "{message}"
        );
        assert_eq!(
            refusal(json!({"frequency": "daily", "until": "2026-12-01T15:00:00Z"})).0,
            "recurrence.until"
        );
        assert_eq!(
            refusal(json!({"frequency": "daily", "until": "next year"})).0,
            "recurrence.until"
        );
    }

    #[test]
    fn every_problem_of_a_rule_is_reported() {
        let errors =
            parse(json!({"frequency": "daily", "interval": 91, "by_day": ["MO"], "count": 61}))
                .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "recurrence.interval",
                "recurrence.count",
                "recurrence.by_day"
            ]
        );
    }

    #[test]
    fn without_a_start_only_its_own_checks_run_and_it_still_fails() {
        let errors = rule(json!({"frequency": "weekly", "count": 3}))
            .parse(None)
            .unwrap_err();
        assert!(errors.is_empty());
        let errors = rule(json!({"frequency": "weekly", "count": 61}))
            .parse(None)
            .unwrap_err();
        assert_eq!(errors[0].field, "recurrence.count");
    }

    #[test]
    fn the_shown_rule_parses_back_to_itself() {
        for json in [
            json!({"frequency": "weekly", "interval": 2, "by_day": ["SU", "TU"], "count": 6}),
            json!({"frequency": "monthly", "by_day": ["1TU"], "until": "2027-06-01T15:00:00Z"}),
            json!({"frequency": "monthly", "count": 4}),
            json!({"frequency": "daily", "interval": 3, "count": 10}),
        ] {
            let recurrence = parse(json).unwrap();
            assert_eq!(parse(recurrence.to_json()).unwrap(), recurrence);
        }
    }
}
