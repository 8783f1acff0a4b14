//! The `Range` request header: one byte range (RFC 9110 §14).
//!
//! - `bytes=a-b`, `bytes=a-` and `bytes=-n` select one range → `206`.
//! - A range that starts at or past the end (or `-0`, or any range of an empty file) is
//!   unsatisfiable → `416` with `Content-Range: bytes */len`; so is `a-b` with `b < a`
//!   (nginx does the same).
//! - Several ranges (`0-1,5-6`) are answered with the whole file (`200`): RFC 9110 lets a
//!   server ignore `Range`, and a multipart body is not worth its complexity here.
//! - A header that is not a byte range at all (`items=1-2`, `bytes=x`) is ignored (`200`).

/// What to do with a `Range` header, given the file's length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeDecision {
    /// Send the whole file.
    Full,
    /// Send `start..=end` (inclusive, both within the file).
    Partial { start: u64, end: u64 },
    /// `416`.
    Unsatisfiable,
}

fn number(s: &[u8]) -> Option<u64> {
    crate::http::parse::parse_decimal(crate::http::parse::trim_ows(s))
}

/// Decides what `range` (the header's value) asks of a file of `len` bytes.
pub(crate) fn decide(range: &[u8], len: u64) -> RangeDecision {
    let range = crate::http::parse::trim_ows(range);
    let Some(spec) = range
        .get(..6)
        .filter(|unit| unit.eq_ignore_ascii_case(b"bytes="))
        .map(|_| &range[6..])
    else {
        return RangeDecision::Full;
    };
    if spec.contains(&b',') {
        return RangeDecision::Full;
    }
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return RangeDecision::Full;
    };
    let (first, last) = (
        crate::http::parse::trim_ows(&spec[..dash]),
        crate::http::parse::trim_ows(&spec[dash + 1..]),
    );
    match (first.is_empty(), last.is_empty()) {
        (true, true) => RangeDecision::Full,
        // Suffix: the last n bytes.
        (true, false) => match number(last) {
            None => RangeDecision::Full,
            Some(0) => RangeDecision::Unsatisfiable,
            Some(_) if len == 0 => RangeDecision::Unsatisfiable,
            Some(n) => RangeDecision::Partial {
                start: len.saturating_sub(n),
                end: len - 1,
            },
        },
        (false, _) => {
            let Some(start) = number(first) else {
                return RangeDecision::Full;
            };
            let end = if last.is_empty() {
                u64::MAX
            } else {
                match number(last) {
                    Some(end) => end,
                    None => return RangeDecision::Full,
                }
            };
            if end < start || start >= len {
                return RangeDecision::Unsatisfiable;
            }
            RangeDecision::Partial {
                start,
                end: end.min(len - 1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RangeDecision::*;
    use super::*;

    #[test]
    fn single_ranges() {
        assert_eq!(decide(b"bytes=0-0", 10), Partial { start: 0, end: 0 });
        assert_eq!(decide(b"bytes=2-5", 10), Partial { start: 2, end: 5 });
        assert_eq!(decide(b"bytes=2-", 10), Partial { start: 2, end: 9 });
        assert_eq!(decide(b"bytes=2-100", 10), Partial { start: 2, end: 9 });
        assert_eq!(decide(b"bytes=-3", 10), Partial { start: 7, end: 9 });
        assert_eq!(decide(b"bytes=-30", 10), Partial { start: 0, end: 9 });
        assert_eq!(decide(b"Bytes = 1-2", 10), Full);
        assert_eq!(decide(b"BYTES=1-2", 10), Partial { start: 1, end: 2 });
    }

    #[test]
    fn unsatisfiable_ranges() {
        assert_eq!(decide(b"bytes=10-", 10), Unsatisfiable);
        assert_eq!(decide(b"bytes=5-1", 10), Unsatisfiable);
        assert_eq!(decide(b"bytes=-0", 10), Unsatisfiable);
        assert_eq!(decide(b"bytes=0-", 0), Unsatisfiable);
        assert_eq!(decide(b"bytes=-5", 0), Unsatisfiable);
    }

    #[test]
    fn ignored_ranges() {
        for r in [
            &b"bytes=0-1,3-4"[..],
            b"items=0-1",
            b"bytes=x",
            b"bytes=-",
            b"bytes=a-b",
            b"bytes=99999999999999999999999-",
            b"",
        ] {
            assert_eq!(decide(r, 10), Full, "{:?}", String::from_utf8_lossy(r));
        }
    }
}
