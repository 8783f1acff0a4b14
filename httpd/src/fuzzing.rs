//! The bodies of httpd's fuzz targets (`fuzz/`), as plain functions of arbitrary bytes, so
//! that libFuzzer and the corpus replay test (`tests/fuzz_corpus.rs`) run the same code. Each
//! panics only on a bug: a property of the parser, checked beyond "no panic". Not an API:
//! hidden from the docs, and the parsers themselves stay `pub(crate)`.

mod config_file;
mod reference;

pub use config_file::config;

use crate::http::chunked::ChunkedSkipper;
use crate::http::conditional::{Preconditions, Validators};
use crate::http::date::{http_date, parse_http_date};
use crate::http::parse::{self, Head, Limits, Parsed};
use crate::http::range::{decide, RangeDecision};
use crate::http::request::interpret;
use netcore::fuzzing::split_points;

/// Limits small enough that the fuzzer's inputs reach them.
const SMALL: Limits = Limits {
    max_request_line: 96,
    max_header_line: 64,
    max_head: 512,
    max_headers: 8,
};

/// The request-head parser, on `data` as a connection receives it:
/// - arriving a byte at a time, the connection's framing (the end found by a scan that
///   resumes where the last stopped; an unfinished head refused early by `check_partial`)
///   agrees with the parse of the whole: a head refused early is not accepted whole;
/// - a parsed head is interpreted without panic, and re-serialised in canonical form it
///   parses to the same head;
/// - the request line gets the decision of a simple reference implementation.
pub fn head(data: &[u8]) {
    let buf = &data[parse::skip_empty_lines(data)..];
    let whole = parse::parse(buf, &SMALL);
    let end = parse::find_head_end(buf, 0);
    let mut scanned = 0;
    for cut in 1..=buf.len() {
        let prefix = &buf[..cut];
        // The resumed scan finds the whole input's end as soon as the prefix holds it (what a
        // scan of the prefix from its start finds, computed once rather than per prefix).
        let found = parse::find_head_end(prefix, scanned);
        assert_eq!(
            found,
            end.filter(|&e| e <= cut),
            "resumed scan at {cut}: the whole's head ends at {end:?}"
        );
        if found.is_some() {
            break;
        }
        if let Err(early) = parse::check_partial(prefix, &SMALL) {
            // (The whole may still be `Partial`: `check_partial` only looks at the line
            // being received, and the connection never gets that far.)
            assert!(
                !matches!(whole, Ok(Parsed::Complete(..))),
                "the first {cut} bytes are refused ({early:?}), the whole is {whole:?}"
            );
            break;
        }
        scanned = parse::rescan_from(prefix);
    }

    if let Ok(Parsed::Complete(head, len)) = &whole {
        assert_eq!(Some(*len), end);
        let _ = interpret(head.clone());
        let canonical = serialise(head);
        let again = match parse::parse(&canonical, &Limits::default()) {
            Ok(Parsed::Complete(again, n)) if n == canonical.len() => again,
            other => panic!("{head:?} serialised as {canonical:?} parses as {other:?}"),
        };
        assert_eq!(
            fields(&again),
            fields(head),
            "re-serialised as {canonical:?}"
        );
    }

    let line = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.contains(&b'\r') && !line.is_empty() && line.len() <= 8192 {
        let alone = [line, b"\r\n\r\n"].concat();
        let got = parse::parse_head(&alone, &Limits::default()).map(|h| {
            (
                h.method.to_vec(),
                h.target.to_vec(),
                h.version.map(|v| v.minor),
            )
        });
        let want = reference::request_line(line)
            .map(|(m, t, minor)| (m.to_vec(), t.to_vec(), Some(minor)));
        assert_eq!(
            got,
            want,
            "request line {:?}",
            String::from_utf8_lossy(line)
        );
    }
}

/// A head as a client would send it: the request line and the headers the parser keeps,
/// one per line.
fn serialise(head: &Head<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    let version = head.version.expect("a parsed head has a version");
    out.extend_from_slice(head.method);
    out.push(b' ');
    out.extend_from_slice(head.target);
    out.extend_from_slice(format!(" HTTP/1.{}\r\n", version.minor).as_bytes());
    let mut header = |name: &str, value: &[u8]| {
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    };
    let text = [
        ("Host", head.host),
        ("Transfer-Encoding", head.transfer_encoding),
        ("If-Match", head.if_match),
        ("If-Unmodified-Since", head.if_unmodified_since),
        ("If-Modified-Since", head.if_modified_since),
        ("If-None-Match", head.if_none_match),
        ("If-Range", head.if_range),
        ("Range", head.range),
        ("User-Agent", head.user_agent),
        ("Referer", head.referer),
    ];
    for (name, value) in text {
        if let Some(value) = value {
            header(name, value);
        }
    }
    if let Some(n) = head.content_length {
        header("Content-Length", n.to_string().as_bytes());
    }
    if head.connection.close {
        header("Connection", b"close");
    }
    if head.connection.keep_alive {
        header("Connection", b"keep-alive");
    }
    if head.expect_continue {
        header("Expect", b"100-continue");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// What a head means, without what re-serialising changes (the request line's spacing,
/// the headers the parser does not keep).
fn fields(head: &Head<'_>) -> String {
    let mut head = head.clone();
    head.request_line = b"";
    head.header_count = 0;
    format!("{head:?}")
}

/// The longest body the chunked target lets through.
const MAX_BODY: u64 = 4096;

/// What skipping a chunked body in `data` fed in pieces ending at each of `cuts` gives: the
/// bytes that belonged to the body and whether it ended, or `None` if it was malformed.
fn skip(data: &[u8], cuts: impl Iterator<Item = usize>) -> Option<(usize, bool)> {
    let mut skipper = ChunkedSkipper::new(MAX_BODY);
    let mut from = 0;
    for end in cuts.chain([data.len()]) {
        let used = skipper.feed(&data[from..end]).ok()?;
        from += used;
        if skipper.is_done() {
            return Some((from, true));
        }
        assert_eq!(from, end, "the skipper stopped before the end of its input");
    }
    Some((from, false))
}

/// The chunked decoder: the same outcome whether the bytes come whole, a byte at a time or
/// split at the points the input's first bytes choose ([`split_points`]); a finished body
/// ends in CRLF; and a well-formed body built from the input (its bytes as chunk data) is
/// skipped exactly, up to the next request.
pub fn chunked(input: &[u8]) {
    let (points, data) = split_points(input);
    let whole = skip(data, std::iter::empty());
    assert_eq!(skip(data, 1..data.len()), whole, "fed a byte at a time");
    assert_eq!(
        skip(data, points.iter().copied()),
        whole,
        "split at {points:?}"
    );
    if let Some((len, true)) = whole {
        assert!(data[..len].ends_with(b"\r\n"));
    }

    let mut body = Vec::new();
    let mut rest = data;
    while let Some((&first, tail)) = rest.split_first() {
        let n = (usize::from(first) % 16 + 1).min(tail.len());
        let (chunk, after) = tail.split_at(n);
        if n > 0 {
            // Upper-case hex and an extension on odd sizes: both are allowed.
            let size = if n % 2 == 1 {
                format!("{n:X};ext=\"x\"\r\n")
            } else {
                format!("{n:x}\r\n")
            };
            body.extend_from_slice(size.as_bytes());
            body.extend_from_slice(chunk);
            body.extend_from_slice(b"\r\n");
        }
        rest = after;
    }
    body.extend_from_slice(b"0\r\nTrailer: x\r\n\r\n");
    let len = body.len();
    body.extend_from_slice(b"GET / HTTP/1.1\r\n");
    assert_eq!(
        skip(&body, std::iter::empty()),
        Some((len, true)),
        "{body:?}"
    );
}

/// The last second with a four-digit year (9999-12-31T23:59:59Z): IMF-fixdate has room for
/// no more.
const LAST_DATE: i64 = 253_402_300_799;

/// A file's `Range`, dates and conditional headers: the first 8 bytes are the file's size
/// and modification time, the rest a header value. A range to send lies within the file; a
/// date that parses prints as IMF-fixdate and parses back to itself; any time prints; any
/// value in any conditional header is answered without panic, and the file's own ETag
/// listed after it decides `If-None-Match` and `If-Match`, and its own ETag and date hold as
/// `If-Range`.
pub fn range_conditional(data: &[u8]) {
    let (head, value) = data.split_at(data.len().min(8));
    let mut raw = [0; 8];
    raw[..head.len()].copy_from_slice(head);
    let raw = u64::from_le_bytes(raw);
    // Small files half the time, so ranges often overlap the end.
    let size = if raw & 1 == 0 { raw % 4096 } else { raw };
    if let RangeDecision::Partial { start, end } = decide(value, size) {
        assert!(start <= end && end < size, "{start}-{end} of {size} bytes");
    }

    if let Some(t) = parse_http_date(value) {
        if (0..=LAST_DATE).contains(&t) {
            assert_eq!(parse_http_date(http_date(t).as_bytes()), Some(t), "{t}");
        }
    }
    let mtime = raw as i64 >> 1;
    let _ = http_date(mtime);

    let file = Validators { mtime, size };
    let etag = file.etag();
    for slot in 0..4 {
        let mut p = Preconditions::default();
        *[
            &mut p.if_match,
            &mut p.if_unmodified_since,
            &mut p.if_none_match,
            &mut p.if_modified_since,
        ][slot] = Some(value);
        let _ = file.precondition(&p);
    }
    let listed = [value, b", ", etag.as_bytes()].concat();
    assert!(
        file.not_modified(Some(&listed), None),
        "If-None-Match: {listed:?}"
    );
    let if_match = Preconditions {
        if_match: Some(&listed),
        ..Preconditions::default()
    };
    assert_eq!(file.precondition(&if_match), None, "If-Match: {listed:?}");
    let _ = file.if_range_holds(value);
    assert!(file.if_range_holds(etag.as_bytes()));
    if (0..=LAST_DATE).contains(&mtime) {
        assert!(file.if_range_holds(http_date(mtime).as_bytes()));
    }
}
