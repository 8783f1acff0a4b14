//! Dates: HTTP dates (`Date`, `Last-Modified`, `If-Modified-Since`) and the access log's
//! timestamp, with no dependency on the C library's time zone state.
//!
//! Formatting writes IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`); parsing also accepts the
//! two obsolete forms RFC 9110 §5.6.7 requires a recipient to understand (RFC 850 and
//! asctime). The calendar arithmetic is Howard Hinnant's `days_from_civil` and its inverse.
//! [`Clock`] caches the formatted strings per second, as nginx does.

use std::time::{SystemTime, UNIX_EPOCH};

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// The broken-down UTC time of a Unix timestamp.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    weekday: usize,
}

fn civil(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        min: rem / 60 % 60,
        sec: rem % 60,
        weekday: days.rem_euclid(7) as usize,
    }
}

/// IMF-fixdate of a Unix timestamp: `Sun, 06 Nov 1994 08:49:37 GMT`.
pub(crate) fn http_date(secs: i64) -> String {
    let c = civil(secs);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday],
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.min,
        c.sec
    )
}

/// The access log's time: `28/Nov/2026:00:40:47 +0000` (always UTC).
pub(crate) fn log_date(secs: i64) -> String {
    let c = civil(secs);
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        c.day,
        MONTHS[(c.month - 1) as usize],
        c.year,
        c.hour,
        c.min,
        c.sec
    )
}

fn month_number(name: &[u8]) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| m.as_bytes() == name)
        .map(|i| i as u32 + 1)
}

fn number(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 4 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter()
        .try_fold(0u32, |n, &b| Some(n * 10 + u32::from(b - b'0')))
}

/// `HH:MM:SS` → seconds into the day.
fn time_of_day(s: &[u8]) -> Option<i64> {
    let mut parts = s.split(|&b| b == b':');
    let h = number(parts.next()?)?;
    let m = number(parts.next()?)?;
    let sec = number(parts.next()?)?;
    if parts.next().is_some() || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    Some(i64::from(h * 3600 + m * 60 + sec))
}

fn timestamp(year: u32, month: u32, day: u32, tod: i64) -> Option<i64> {
    if !(1..=31).contains(&day) {
        return None;
    }
    Some(days_from_civil(i64::from(year), month, day) * 86_400 + tod)
}

/// Parses an HTTP date in any of the three forms; `None` if it is not one (a recipient
/// then ignores the header, RFC 9110 §13.1.3).
pub(crate) fn parse_http_date(s: &[u8]) -> Option<i64> {
    let fields: Vec<&[u8]> = s.split(|&b| b == b' ').filter(|f| !f.is_empty()).collect();
    match fields.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [wd, day, mon, year, tod, b"GMT"] if wd.ends_with(b",") => {
            let year = number(year).filter(|_| year.len() == 4)?;
            timestamp(year, month_number(mon)?, number(day)?, time_of_day(tod)?)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        [wd, date, tod, b"GMT"] if wd.ends_with(b",") => {
            let mut parts = date.split(|&b| b == b'-');
            let day = number(parts.next()?)?;
            let mon = month_number(parts.next()?)?;
            let yy = number(parts.next()?)?;
            // Two-digit years: RFC 9110 says pick the one not more than 50 years ahead;
            // 70-99 as 19xx and 00-69 as 20xx is what everyone does.
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
            timestamp(year, mon, day, time_of_day(tod)?)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_wd, mon, day, tod, year] => timestamp(
            number(year)?,
            month_number(mon)?,
            number(day)?,
            time_of_day(tod)?,
        ),
        _ => None,
    }
}

/// Seconds since the epoch now.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The current time's strings, formatted once per second (each worker has one).
#[derive(Debug)]
pub(crate) struct Clock {
    secs: i64,
    http: String,
    log: String,
}

impl Clock {
    pub(crate) fn new() -> Clock {
        let secs = unix_now();
        Clock {
            secs,
            http: http_date(secs),
            log: log_date(secs),
        }
    }

    /// Refreshes the strings if the second has changed.
    pub(crate) fn tick(&mut self) {
        let now = unix_now();
        if now != self.secs {
            self.secs = now;
            self.http = http_date(now);
            self.log = log_date(now);
        }
    }

    /// `Date` header value.
    pub(crate) fn http(&self) -> &str {
        &self.http
    }

    /// Access log timestamp.
    pub(crate) fn log(&self) -> &str {
        &self.log
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_the_rfc_example() {
        assert_eq!(http_date(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(log_date(784_111_777), "06/Nov/1994:08:49:37 +0000");
    }

    #[test]
    fn parses_all_three_forms() {
        for s in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(s.as_bytes()), Some(784_111_777), "{s}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 99999 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(parse_http_date(s.as_bytes()), None, "{s}");
        }
    }

    #[test]
    fn round_trips_over_many_days() {
        for secs in (0..4_000_000_000i64).step_by(86_399 * 17) {
            assert_eq!(parse_http_date(http_date(secs).as_bytes()), Some(secs));
        }
    }
}
