//! Recurrence of type-8 meetings: parsing and validating Zoom's `recurrence` object, echoing
//! it back, and expanding it into occurrences in the meeting's time zone.

use jiff::civil::{Date, DateTime, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};
use serde_json::{Map, Value, json};

use super::validation::{FieldError, Reader};

/// Zoom keeps at most this many occurrences of a recurring meeting.
const MAX_OCCURRENCES: usize = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Daily,
    /// Days of the week, 1 = Sunday … 7 = Saturday, ascending.
    Weekly(Vec<i8>),
    /// Day of the month, 1–31 (the last day in shorter months).
    MonthlyDay(i8),
    /// Week of the month (1–4, or -1 for the last) and day of the week (1 = Sunday).
    MonthlyWeek {
        week: i8,
        weekday: i8,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    Times(usize),
    Until(Timestamp),
}

/// A validated recurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recurrence {
    pattern: Pattern,
    interval: i64,
    end: End,
}

impl Recurrence {
    /// Reads `recurrence`; bad fields are noted in `errors` as `recurrence.<field>`.
    pub(crate) fn parse(
        object: &Map<String, Value>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Recurrence> {
        let before = errors.len();
        let mut reader = Reader::new(object, "recurrence.", errors);
        let kind = reader.integer_of("type", &[1, 2, 3]);
        if reader.value("type").is_none() {
            reader.fail("type", "Recurrence type is required.");
        }
        let max_interval = match kind {
            Some(1) => 90,
            Some(2) => 12,
            _ => 3,
        };
        let interval = reader
            .integer_in("repeat_interval", 1..=max_interval)
            .unwrap_or(1);
        let pattern = match kind {
            Some(1) => Some(Pattern::Daily),
            Some(2) => weekly_days(&mut reader).map(Pattern::Weekly),
            Some(3) => monthly(&mut reader),
            _ => None,
        };
        let end = end(&mut reader);
        let pattern = pattern?;
        let end = end?;
        (errors.len() == before).then_some(Recurrence {
            pattern,
            interval,
            end,
        })
    }

    /// The object Zoom echoes in meeting responses.
    pub(crate) fn to_json(&self) -> Value {
        let mut object = Map::new();
        let kind = match &self.pattern {
            Pattern::Daily => 1,
            Pattern::Weekly(days) => {
                let days: Vec<String> = days.iter().map(i8::to_string).collect();
                object.insert("weekly_days".into(), json!(days.join(",")));
                2
            }
            Pattern::MonthlyDay(day) => {
                object.insert("monthly_day".into(), json!(day));
                3
            }
            Pattern::MonthlyWeek { week, weekday } => {
                object.insert("monthly_week".into(), json!(week));
                object.insert("monthly_week_day".into(), json!(weekday));
                3
            }
        };
        object.insert("type".into(), json!(kind));
        object.insert("repeat_interval".into(), json!(self.interval));
        match self.end {
            End::Times(times) => object.insert("end_times".into(), json!(times)),
            End::Until(until) => object.insert(
                "end_date_time".into(),
                json!(super::times::zoom_time(until)),
            ),
        };
        Value::Object(object)
    }

    /// The occurrences' start instants: the local wall-clock time of `first` on each day the
    /// pattern picks, from `first`'s day on, in `tz`.
    pub(crate) fn occurrences(&self, first: DateTime, tz: &TimeZone) -> Vec<Timestamp> {
        let limit = match self.end {
            End::Times(times) => times.min(MAX_OCCURRENCES),
            End::Until(_) => MAX_OCCURRENCES,
        };
        let mut found = Vec::new();
        for date in self.dates(first.date()) {
            let Ok(zoned) = date.to_datetime(first.time()).to_zoned(tz.clone()) else {
                break;
            };
            let start = zoned.timestamp();
            if matches!(self.end, End::Until(until) if start > until) || found.len() == limit {
                break;
            }
            found.push(start);
        }
        found
    }

    /// Candidate dates in order, from `from` on (bounded, so a series always ends).
    fn dates(&self, from: Date) -> Box<dyn Iterator<Item = Date> + '_> {
        let interval = self.interval;
        match &self.pattern {
            Pattern::Daily => Box::new(
                (0..MAX_OCCURRENCES as i64)
                    .map_while(move |k| from.checked_add(Span::new().days(k * interval)).ok()),
            ),
            Pattern::Weekly(days) => {
                let week_start = from
                    .checked_sub(
                        Span::new().days(i64::from(from.weekday().to_sunday_zero_offset())),
                    )
                    .unwrap_or(from);
                let horizon = MAX_OCCURRENCES as i64 * 7 * interval;
                Box::new(
                    (0..horizon)
                        .map_while(move |k| from.checked_add(Span::new().days(k)).ok())
                        .filter(move |date| {
                            let weeks = week_start
                                .until(*date)
                                .map(|span| span.get_days() / 7)
                                .unwrap_or(0);
                            i64::from(weeks) % interval == 0
                                && days.contains(&date.weekday().to_sunday_one_offset())
                        }),
                )
            }
            Pattern::MonthlyDay(day) => {
                let day = *day;
                Box::new(
                    self.months(from)
                        .filter_map(move |month| {
                            let day = day.min(month.days_in_month());
                            Date::new(month.year(), month.month(), day).ok()
                        })
                        .filter(move |date| *date >= from),
                )
            }
            Pattern::MonthlyWeek { week, weekday } => {
                let (week, weekday) = (*week, *weekday);
                Box::new(
                    self.months(from)
                        .filter_map(move |month| {
                            let weekday = Weekday::from_sunday_one_offset(weekday).ok()?;
                            month.nth_weekday_of_month(week, weekday).ok()
                        })
                        .filter(move |date| *date >= from),
                )
            }
        }
    }

    /// The first day of every `interval`-th month from `from`'s month on.
    fn months(&self, from: Date) -> impl Iterator<Item = Date> + use<> {
        let first = from.first_of_month();
        let interval = self.interval;
        (0..=MAX_OCCURRENCES as i64)
            .map_while(move |k| first.checked_add(Span::new().months(k * interval)).ok())
    }
}

fn weekly_days(reader: &mut Reader<'_, '_>) -> Option<Vec<i8>> {
    let Some(text) = reader.string("weekly_days") else {
        if reader.value("weekly_days").is_none() {
            reader.fail("weekly_days", "Weekly recurrence needs weekly_days.");
        }
        return None;
    };
    let mut days = Vec::new();
    for part in text.split(',') {
        match part.trim().parse::<i8>() {
            Ok(day @ 1..=7) if !days.contains(&day) => days.push(day),
            _ => {
                reader.fail(
                    "weekly_days",
                    "Use days 1 (Sunday) to 7 (Saturday), separated by commas.",
                );
                return None;
            }
        }
    }
    days.sort_unstable();
    Some(days)
}

fn monthly(reader: &mut Reader<'_, '_>) -> Option<Pattern> {
    let day = reader.integer_in("monthly_day", 1..=31);
    let week = reader.integer_of("monthly_week", &[-1, 1, 2, 3, 4]);
    let weekday = reader.integer_in("monthly_week_day", 1..=7);
    let has = |key: &str| reader.value(key).is_some();
    let (has_day, has_week, has_weekday) = (
        has("monthly_day"),
        has("monthly_week"),
        has("monthly_week_day"),
    );
    if has_day && (has_week || has_weekday) {
        reader.fail(
            "monthly_day",
            "Use monthly_day, or monthly_week with monthly_week_day, not both.",
        );
        return None;
    }
    if has_week != has_weekday {
        let missing = if has_week {
            "monthly_week_day"
        } else {
            "monthly_week"
        };
        reader.fail(missing, "monthly_week and monthly_week_day go together.");
        return None;
    }
    match (has_day, has_week) {
        (true, _) => day
            .and_then(|day| i8::try_from(day).ok())
            .map(Pattern::MonthlyDay),
        (false, true) => Some(Pattern::MonthlyWeek {
            week: i8::try_from(week?).ok()?,
            weekday: i8::try_from(weekday?).ok()?,
        }),
        // Zoom's documented default.
        (false, false) => Some(Pattern::MonthlyDay(1)),
    }
}

fn end(reader: &mut Reader<'_, '_>) -> Option<End> {
    let times = reader.integer_in("end_times", 1..=MAX_OCCURRENCES as i64);
    let until = reader.string("end_date_time");
    match (
        reader.value("end_times").is_some(),
        reader.value("end_date_time").is_some(),
    ) {
        (true, true) => {
            reader.fail("end_times", "Use end_times or end_date_time, not both.");
            None
        }
        (true, false) => times
            .and_then(|times| usize::try_from(times).ok())
            .map(End::Times),
        (false, true) => {
            let until = until?;
            match super::times::parse_utc(&until) {
                Some(until) => Some(End::Until(until)),
                None => {
                    reader.fail("end_date_time", "Use the UTC form yyyy-MM-ddTHH:mm:ssZ.");
                    None
                }
            }
        }
        // Zoom's documented default.
        (false, false) => Some(End::Times(1)),
    }
}
