//! Dates as the offices keep them: calendar days in Asia/Shanghai (UTC+8 all
//! year; China has no daylight saving), written `YYYY-MM-DD`.

use std::fmt;

/// Milliseconds in a day.
const DAY_MS: i64 = 86_400_000;
/// Asia/Shanghai is UTC+8.
const SHANGHAI_OFFSET_MS: i64 = 8 * 3_600_000;

/// A calendar day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, 1–31.
    pub day: u32,
}

/// Not a `YYYY-MM-DD` date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a date written YYYY-MM-DD")]
pub struct DateError(pub String);

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

impl Date {
    /// Parses `YYYY-MM-DD`, checking that the day exists.
    pub fn parse(text: &str) -> Result<Date, DateError> {
        let err = || DateError(text.into());
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return Err(err());
        }
        let number = |range: std::ops::Range<usize>| -> Result<u32, DateError> {
            let part = &text[range];
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(err());
            }
            part.parse().map_err(|_| err())
        };
        let (year, month, day) = (number(0..4)? as i32, number(5..7)?, number(8..10)?);
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(err());
        }
        Ok(Date { year, month, day })
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    pub fn days_since_epoch(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after 1970-01-01 (`civil_from_days`).
    pub fn from_days_since_epoch(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The day in Shanghai at `time_ms` (milliseconds since the Unix epoch).
    pub fn in_shanghai(time_ms: i64) -> Date {
        Date::from_days_since_epoch((time_ms + SHANGHAI_OFFSET_MS).div_euclid(DAY_MS))
    }

    /// This date plus `days`.
    pub fn plus_days(self, days: i64) -> Date {
        Date::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// The community's regular consultation (每月11日, "111", 议一议): the
    /// 11th of this month if it is not past, else the 11th of next month.
    pub fn next_regular_consultation(self) -> Date {
        if self.day <= 11 {
            Date { day: 11, ..self }
        } else if self.month == 12 {
            Date {
                year: self.year + 1,
                month: 1,
                day: 11,
            }
        } else {
            Date {
                month: self.month + 1,
                day: 11,
                ..self
            }
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_through_days() {
        for days in -800_000..800_000 {
            let d = Date::from_days_since_epoch(days);
            assert_eq!(d.days_since_epoch(), days);
            assert_eq!(
                Date::parse(&d.to_string()).ok().filter(|_| d.year >= 0),
                (d.year >= 0).then_some(d)
            );
        }
    }

    #[test]
    fn shanghai_days_start_at_16_00_utc() {
        // 2026-11-10T15:59:59Z is 23:59:59 in Shanghai; a second later it is the 11th.
        let before = 1_794_326_399_000;
        assert_eq!(Date::in_shanghai(before).to_string(), "2026-11-10");
        assert_eq!(Date::in_shanghai(before + 1000).to_string(), "2026-11-11");
    }

    #[test]
    fn the_regular_consultation_is_the_next_11th() {
        let next = |s: &str| {
            Date::parse(s)
                .unwrap()
                .next_regular_consultation()
                .to_string()
        };
        assert_eq!(next("2026-11-01"), "2026-11-11");
        assert_eq!(next("2026-11-11"), "2026-11-11");
        assert_eq!(next("2026-11-12"), "2026-12-11");
        assert_eq!(next("2026-12-26"), "2027-01-11");
    }

    #[test]
    fn impossible_dates_are_refused() {
        for bad in [
            "2026-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-1-11",
            "二〇二六-11-11",
            "2026/11/11",
            "",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2028-02-29").is_ok());
    }
}
