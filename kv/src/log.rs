//! The server's log lines on stderr, in Redis's format: `PID:M 07 Dec 2026 09:43:29.123 * text`
//! (`*` a notice, `#` a warning), so that tools reading Redis's logs read these.

use std::time::{SystemTime, UNIX_EPOCH};

/// `07 Dec 2026 09:43:29.123` in UTC.
fn timestamp() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{day:02} {} {year} {:02}:{:02}:{:02}.{:03}",
        MONTHS[(month - 1) as usize],
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_millis()
    )
}

fn line(mark: char, msg: &str) {
    eprintln!("{}:M {} {mark} {msg}", std::process::id(), timestamp());
}

pub(crate) fn notice(msg: &str) {
    line('*', msg);
}

pub(crate) fn warn(msg: &str) {
    line('#', msg);
}
