//! The values a directive takes: numbers, durations, addresses, switches. Each returns a
//! message for the caller to put a file and line on; none can panic on any input. The
//! duration syntax is httpd's (`500ms`, `30s`, `2m`, `1h`, no unit: seconds), with a
//! fraction allowed (`0.3s`) so that tests can use short timeouts.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// Longest accepted duration (a day), as in httpd.
const MAX_DURATION: Duration = Duration::from_secs(86_400);

pub(crate) use netcore::config_file::number;

/// `N`, `N.F`, with `ms`, `s` (or none), `m`, `h`; more than zero, at most a day.
pub(crate) fn duration(v: &str) -> Result<Duration, String> {
    let split = v
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, unit) = v.split_at(split);
    let bad = || format!("\"{v}\" is not a duration (like 500ms, 30s, 2m, 1h)");
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return Err(bad());
    }
    let n: f64 = num.parse().map_err(|_| bad())?;
    let secs_per = match unit {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        _ => return Err(bad()),
    };
    let secs = n * secs_per;
    if secs > MAX_DURATION.as_secs_f64() {
        return Err(format!("{v} is longer than a day"));
    }
    let d = Duration::from_secs_f64(secs);
    if d < Duration::from_millis(1) {
        return Err(format!("{v} is shorter than a millisecond"));
    }
    Ok(d)
}

/// The smallest and largest `pipe_size`: a page, and 16 MiB (past the kernel's
/// `fs.pipe-max-size`, 1 MiB by default, only a privileged process may size a pipe).
pub(crate) const MIN_SIZE: usize = 4096;
pub(crate) const MAX_SIZE: usize = 16 << 20;

/// A size in bytes: `N`, `Nk` (KiB) or `Nm` (MiB), from 4 KiB to 16 MiB.
pub(crate) fn size(v: &str) -> Result<usize, String> {
    let (num, unit) = match v.as_bytes().last() {
        Some(b'k' | b'K') => (&v[..v.len() - 1], 1024),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 1 << 20),
        _ => (v, 1),
    };
    let bad = || format!("\"{v}\" is not a size (like 65536, 64k, 1m)");
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    match num.parse::<usize>().ok().and_then(|n| n.checked_mul(unit)) {
        Some(n) if (MIN_SIZE..=MAX_SIZE).contains(&n) => Ok(n),
        _ => Err(format!("{v} is out of range (4k to 16m)")),
    }
}

/// A duration, or `off` (`None`).
pub(crate) fn duration_or_off(v: &str) -> Result<Option<Duration>, String> {
    if v == "off" {
        return Ok(None);
    }
    duration(v).map(Some)
}

/// `ADDR:PORT`, `[V6]:PORT`, or `host:port` (resolved now, the first address).
pub(crate) fn addr(v: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = v.parse::<SocketAddr>() {
        return Ok(a);
    }
    if !v.contains(':') {
        return Err(format!("\"{v}\": expected ADDRESS:PORT"));
    }
    v.to_socket_addrs()
        .map_err(|e| format!("\"{v}\": {e}"))?
        .next()
        .ok_or_else(|| format!("\"{v}\": no address"))
}

/// A group's name: letters, digits, `-`, `_`, `.`; so it reads well in a log line.
pub(crate) fn name(v: &str) -> Result<&str, String> {
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if ok {
        Ok(v)
    } else {
        Err(format!(
            "\"{v}\" is not a name (letters, digits, \"-\", \"_\", \".\"; at most 64)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_httpd_syntax_with_fractions() {
        assert_eq!(duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(duration("0.3s").unwrap(), Duration::from_millis(300));
        assert_eq!(duration("2").unwrap(), Duration::from_secs(2));
        assert_eq!(duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(duration("1h").unwrap(), Duration::from_secs(3600));
        for bad in [
            "", "s", "x", "1x", "-1", ".5", "5.", "1.2.3", "0", "0ms", "2d", "25h",
        ] {
            assert!(duration(bad).is_err(), "{bad}");
        }
        assert_eq!(duration_or_off("off").unwrap(), None);
    }

    #[test]
    fn numbers_names_and_addresses() {
        assert_eq!(number("3", 1, 5).unwrap(), 3);
        for bad in ["", "0", "6", "-1", "1e3", "99999999999999999999999"] {
            assert!(number(bad, 1, 5).is_err(), "{bad}");
        }
        assert!(name("web-1").is_ok());
        assert!(name("a b").is_err() && name("").is_err() && name("{").is_err());
        assert_eq!(addr("127.0.0.1:80").unwrap().port(), 80);
        assert!(addr("[::1]:80").unwrap().is_ipv6());
        assert!(addr("nowhere").is_err());
    }
}
