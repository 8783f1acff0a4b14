//! The HTTP/1.x request-head parser: bytes in, a borrowed [`Head`] or an error status out.
//!
//! It is pure (no I/O, no allocation, no clock), so it can be fed anything: the unit tests
//! below include a randomized arbitrary-bytes test, and it never panics (every index is
//! checked, every number is parsed with overflow checks).
//!
//! What it checks is syntax, the way nginx does (each rule names the status nginx gives):
//!
//! - the request line: `METHOD SP target SP HTTP/x.y`; the method in `A-Z`, `_` and `-`;
//!   runs of spaces between the parts are tolerated; control bytes and a leading space are
//!   `400`; a line over [`Limits::max_request_line`] is `414`;
//! - the version: `HTTP/1.x` (any minor) is served, a major above 1 is `505`, `HTTP/0.9`,
//!   a missing version and lowercase `http/` are `400`; the request line is checked as soon
//!   as it is whole, so a line without a version (HTTP/0.9's `GET /x`, which ends the
//!   request there) is answered at once, not after the header timeout;
//! - header lines: a token name, a colon right after it (`Name :` is `400`), a value of
//!   visible bytes, spaces and tabs; obs-fold (a line starting with space or tab) is `400`;
//!   a CR not followed by LF is `400`; so is a line without a colon (RFC 9112 §5's SHOULD;
//!   nginx ignores it); bare LF line ends are accepted;
//! - sizes: a header line over [`Limits::max_header_line`], a head over
//!   [`Limits::max_head`] or more than [`Limits::max_headers`] lines is `431`;
//! - the headers the server acts on are picked out while parsing: duplicate `Host`,
//!   `Content-Length` or `Transfer-Encoding` are `400`, and so is a `Content-Length` that is
//!   not a plain decimal number. Whether the combination makes sense (both `Content-Length`
//!   and `Transfer-Encoding`, `Host` missing in 1.1...) is [`crate::http::request`]'s job.
//!
//! Leading empty lines before the request line are skipped, as RFC 9112 §2.2 allows.

use crate::http::status::Status;

/// Size limits of a request head (nginx: `large_client_header_buffers 4 8k`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Longest request line (method, target, version); longer is `414`.
    pub(crate) max_request_line: usize,
    /// Longest header line; longer is `431`.
    pub(crate) max_header_line: usize,
    /// Largest whole head, request line and headers; larger is `431`.
    pub(crate) max_head: usize,
    /// Most header lines; more is `431`.
    pub(crate) max_headers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_request_line: 8192,
            max_header_line: 8192,
            max_head: 32 * 1024,
            max_headers: 100,
        }
    }
}

/// An HTTP version `major.minor` (major is always 1 once parsed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) major: u8,
    pub(crate) minor: u16,
}

impl Version {
    #[cfg(test)]
    pub(crate) const HTTP_10: Version = Version { major: 1, minor: 0 };
    #[cfg(test)]
    pub(crate) const HTTP_11: Version = Version { major: 1, minor: 1 };

    /// Whether this is HTTP/1.1 or later (persistent by default, `Host` required).
    pub(crate) fn at_least_11(self) -> bool {
        self.minor >= 1
    }
}

/// What the `Connection` header(s) asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ConnectionTokens {
    pub(crate) close: bool,
    pub(crate) keep_alive: bool,
}

/// A parsed request head. Every slice borrows from the buffer that was parsed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Head<'a> {
    pub(crate) method: &'a [u8],
    /// The request target exactly as sent (origin-form `/path?query` or absolute-form).
    pub(crate) target: &'a [u8],
    pub(crate) version: Option<Version>,
    /// The request line without its line end, for the access log.
    pub(crate) request_line: &'a [u8],
    pub(crate) host: Option<&'a [u8]>,
    pub(crate) connection: ConnectionTokens,
    pub(crate) content_length: Option<u64>,
    pub(crate) transfer_encoding: Option<&'a [u8]>,
    pub(crate) if_match: Option<&'a [u8]>,
    pub(crate) if_unmodified_since: Option<&'a [u8]>,
    pub(crate) if_modified_since: Option<&'a [u8]>,
    pub(crate) if_none_match: Option<&'a [u8]>,
    pub(crate) if_range: Option<&'a [u8]>,
    pub(crate) range: Option<&'a [u8]>,
    pub(crate) user_agent: Option<&'a [u8]>,
    pub(crate) referer: Option<&'a [u8]>,
    /// `Expect: 100-continue` was sent.
    pub(crate) expect_continue: bool,
    /// Header lines seen (the recognised ones and the others).
    pub(crate) header_count: usize,
}

/// The outcome of looking at a buffer that may hold a whole head.
/// (Returned by value and matched at once: boxing the head would cost an allocation per
/// request for nothing.)
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    /// A whole head, and how many bytes of the buffer it took (line ends included).
    /// (The connection finds the end with `find_head_end`; the tests and the fuzz target
    /// check that the two agree.)
    Complete(Head<'a>, usize),
    /// Not a whole head yet, and within the limits so far: read more.
    Partial,
}

/// Where the head in `buf` ends (the index just past its empty line), looking for the end
/// at or after `from` (a caller that scanned part of the buffer before passes how far it got;
/// 0 is always correct). `buf` must not start with the empty lines [`skip_empty_lines`]
/// removes.
pub(crate) fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from.min(buf.len());
    while let Some(off) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + off;
        // An empty line: "\n\n" or "\n\r\n".
        match buf.get(nl + 1) {
            Some(b'\n') => return Some(nl + 2),
            Some(b'\r') if buf.get(nl + 2) == Some(&b'\n') => return Some(nl + 3),
            _ => {}
        }
        i = nl + 1;
    }
    None
}

/// How far a caller may remember having scanned `buf` for [`find_head_end`] (the end marker
/// may straddle the next read, so the last 2 bytes are scanned again).
pub(crate) fn rescan_from(buf: &[u8]) -> usize {
    buf.len().saturating_sub(2)
}

/// The number of CR and LF bytes at the start of `buf` (empty lines before a request).
pub(crate) fn skip_empty_lines(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// Checks an incomplete head against the limits: `Err` if it can already be refused.
///
/// A line still being received is measured without a CR at its end: that CR may be the
/// first half of its CRLF, and the whole line is measured without it. (Counting it refused a
/// line of exactly the limit whose CR and LF arrived in different reads: found by fuzzing.)
pub(crate) fn check_partial(buf: &[u8], limits: &Limits) -> Result<(), Status> {
    let line_end = buf.iter().position(|&b| b == b'\n');
    let unfinished = |from: usize| {
        buf[from..]
            .strip_suffix(b"\r")
            .unwrap_or(&buf[from..])
            .len()
    };
    match line_end {
        None if unfinished(0) > limits.max_request_line => Err(Status::UriTooLong),
        None => Ok(()),
        Some(_) if buf.len() > limits.max_head => Err(Status::HeaderFieldsTooLarge),
        Some(end) => {
            // The request line is whole: refuse it now if it is bad.
            let (line, _) = split_line(buf)?;
            if line.len() > limits.max_request_line {
                return Err(Status::UriTooLong);
            }
            parse_request_line(line)?;
            // The header line being received may already be too long.
            let last_line_start = buf.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
            if last_line_start > end && unfinished(last_line_start) > limits.max_header_line {
                Err(Status::HeaderFieldsTooLarge)
            } else {
                Ok(())
            }
        }
    }
}

/// Parses the head at the start of `buf` (after any empty lines the caller skipped).
pub(crate) fn parse<'a>(buf: &'a [u8], limits: &Limits) -> Result<Parsed<'a>, Status> {
    match find_head_end(buf, 0) {
        Some(end) => parse_head(&buf[..end], limits).map(|head| Parsed::Complete(head, end)),
        None => check_partial(buf, limits).map(|()| Parsed::Partial),
    }
}

/// Splits off one line ending in LF (CRLF or bare LF); a lone CR inside is an error.
fn split_line(buf: &[u8]) -> Result<(&[u8], &[u8]), Status> {
    let nl = buf
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(Status::BadRequest)?;
    let line = &buf[..nl];
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.contains(&b'\r') {
        return Err(Status::BadRequest);
    }
    Ok((line, &buf[nl + 1..]))
}

/// Parses a complete head: `buf` holds exactly the request line, the header lines and the
/// empty line that ends them (as found by [`find_head_end`]).
pub(crate) fn parse_head<'a>(buf: &'a [u8], limits: &Limits) -> Result<Head<'a>, Status> {
    if buf.len() > limits.max_head {
        return Err(Status::HeaderFieldsTooLarge);
    }
    let (line, mut rest) = split_line(buf)?;
    if line.len() > limits.max_request_line {
        return Err(Status::UriTooLong);
    }
    let mut head = parse_request_line(line)?;
    loop {
        let (line, after) = split_line(rest)?;
        rest = after;
        if line.is_empty() {
            break;
        }
        if line.len() > limits.max_header_line {
            return Err(Status::HeaderFieldsTooLarge);
        }
        head.header_count += 1;
        if head.header_count > limits.max_headers {
            return Err(Status::HeaderFieldsTooLarge);
        }
        parse_header_line(line, &mut head)?;
    }
    Ok(head)
}

fn is_method_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b == b'_' || b == b'-'
}

/// RFC 9110 `tchar`.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Bytes allowed in a request target: visible ASCII and anything above 0x7f (nginx accepts
/// raw UTF-8 in paths); never controls, space or DEL.
fn is_target_byte(b: u8) -> bool {
    b > 0x20 && b != 0x7f
}

fn parse_request_line(line: &[u8]) -> Result<Head<'_>, Status> {
    let mut head = Head {
        request_line: line,
        ..Head::default()
    };
    let method_len = line.iter().take_while(|&&b| is_method_byte(b)).count();
    if method_len == 0 || line.get(method_len) != Some(&b' ') {
        return Err(Status::BadRequest);
    }
    head.method = &line[..method_len];
    let rest = &line[method_len..];
    let rest = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
    let target_len = rest.iter().take_while(|&&b| is_target_byte(b)).count();
    if target_len == 0 {
        return Err(Status::BadRequest);
    }
    head.target = &rest[..target_len];
    let rest = &rest[target_len..];
    if rest.is_empty() {
        // "GET /" with no version is HTTP/0.9, which we do not speak.
        return Err(Status::BadRequest);
    }
    if rest[0] != b' ' {
        return Err(Status::BadRequest);
    }
    let rest = &rest[rest.iter().take_while(|&&b| b == b' ').count()..];
    let version = rest
        .iter()
        .rposition(|&b| b != b' ')
        .map_or(&rest[..0], |last| &rest[..=last]);
    head.version = Some(parse_version(version)?);
    Ok(head)
}

/// `HTTP/1.x` → 1.x; `HTTP/2.0` and up → 505; anything else → 400.
fn parse_version(v: &[u8]) -> Result<Version, Status> {
    let digits = v.strip_prefix(b"HTTP/").ok_or(Status::BadRequest)?;
    let dot = digits
        .iter()
        .position(|&b| b == b'.')
        .ok_or(Status::BadRequest)?;
    let (major, minor) = (&digits[..dot], &digits[dot + 1..]);
    let all_digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !all_digits(major) || !all_digits(minor) || major[0] == b'0' {
        return Err(Status::BadRequest);
    }
    if major.len() > 3 || minor.len() > 3 {
        return Err(Status::BadRequest);
    }
    let major = parse_decimal(major).ok_or(Status::BadRequest)?;
    let minor = parse_decimal(minor).ok_or(Status::BadRequest)?;
    if major != 1 {
        return Err(Status::VersionNotSupported);
    }
    Ok(Version {
        major: 1,
        minor: minor as u16,
    })
}

/// A plain decimal number (digits only, no sign, no spaces), `None` on overflow.
pub(crate) fn parse_decimal(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// Trims spaces and tabs at both ends (RFC 9110 OWS).
pub(crate) fn trim_ows(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn parse_header_line<'a>(line: &'a [u8], head: &mut Head<'a>) -> Result<(), Status> {
    if line[0] == b' ' || line[0] == b'\t' {
        // obs-fold: a continuation of the previous line. RFC 9112 §5.2 lets a server reject it.
        return Err(Status::BadRequest);
    }
    let name_len = line.iter().take_while(|&&b| is_token_byte(b)).count();
    let Some(&next) = line.get(name_len) else {
        // No colon at all: RFC 9112 §5 says a server SHOULD answer 400 (nginx ignores it).
        return Err(Status::BadRequest);
    };
    if next != b':' || name_len == 0 {
        // Whitespace before the colon (RFC 9112 §5.1), an empty name or a non-token byte.
        return Err(Status::BadRequest);
    }
    let name = &line[..name_len];
    let value = trim_ows(&line[name_len + 1..]);
    // Field values: visible bytes, obs-text, SP and HTAB. nginx lets other controls through
    // (except NUL, CR, LF); so do we, apart from NUL.
    if value.contains(&0) {
        return Err(Status::BadRequest);
    }
    let slot = match name.len() {
        4 if name.eq_ignore_ascii_case(b"host") => {
            if head.host.is_some() {
                return Err(Status::BadRequest);
            }
            head.host = Some(value);
            return Ok(());
        }
        10 if name.eq_ignore_ascii_case(b"connection") => {
            for token in value.split(|&b| b == b',').map(trim_ows) {
                if token.eq_ignore_ascii_case(b"close") {
                    head.connection.close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    head.connection.keep_alive = true;
                }
            }
            return Ok(());
        }
        14 if name.eq_ignore_ascii_case(b"content-length") => {
            if head.content_length.is_some() {
                return Err(Status::BadRequest);
            }
            head.content_length = Some(parse_decimal(value).ok_or(Status::BadRequest)?);
            return Ok(());
        }
        17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
            if head.transfer_encoding.is_some() {
                return Err(Status::BadRequest);
            }
            &mut head.transfer_encoding
        }
        8 if name.eq_ignore_ascii_case(b"if-match") => &mut head.if_match,
        19 if name.eq_ignore_ascii_case(b"if-unmodified-since") => &mut head.if_unmodified_since,
        17 if name.eq_ignore_ascii_case(b"if-modified-since") => &mut head.if_modified_since,
        13 if name.eq_ignore_ascii_case(b"if-none-match") => &mut head.if_none_match,
        8 if name.eq_ignore_ascii_case(b"if-range") => &mut head.if_range,
        5 if name.eq_ignore_ascii_case(b"range") => &mut head.range,
        10 if name.eq_ignore_ascii_case(b"user-agent") => &mut head.user_agent,
        7 if name.eq_ignore_ascii_case(b"referer") => &mut head.referer,
        6 if name.eq_ignore_ascii_case(b"expect") => {
            head.expect_continue |= value.eq_ignore_ascii_case(b"100-continue");
            return Ok(());
        }
        _ => return Ok(()),
    };
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(s: &[u8]) -> Result<Head<'_>, Status> {
        match parse(s, &Limits::default())? {
            Parsed::Complete(h, n) => {
                assert_eq!(n, s.len(), "the whole input is one head");
                Ok(h)
            }
            Parsed::Partial => panic!("partial: {:?}", String::from_utf8_lossy(s)),
        }
    }

    #[test]
    fn a_simple_get() {
        let h = parse_all(b"GET /a/b?c=d HTTP/1.1\r\nHost: example\r\nUser-Agent: x y\r\n\r\n")
            .unwrap();
        assert_eq!(h.method, b"GET");
        assert_eq!(h.target, b"/a/b?c=d");
        assert_eq!(h.version, Some(Version::HTTP_11));
        assert_eq!(h.host, Some(&b"example"[..]));
        assert_eq!(h.user_agent, Some(&b"x y"[..]));
        assert_eq!(h.request_line, b"GET /a/b?c=d HTTP/1.1");
        assert_eq!(h.header_count, 2);
    }

    #[test]
    fn bare_lf_and_extra_spaces_are_accepted() {
        let h = parse_all(b"GET  /  HTTP/1.0\nConnection: Keep-Alive\n\n").unwrap();
        assert_eq!(h.target, b"/");
        assert_eq!(h.version, Some(Version::HTTP_10));
        assert!(h.connection.keep_alive && !h.connection.close);
    }

    #[test]
    fn connection_tokens_from_a_list() {
        let h = parse_all(b"GET / HTTP/1.1\r\nConnection: foo, Close\r\n\r\n").unwrap();
        assert!(h.connection.close);
    }

    #[test]
    fn partial_heads_wait_for_more() {
        for s in [
            &b"GET / HT"[..],
            b"GET / HTTP/1.1\r\nHost: a\r\n",
            b"GET / HTTP/1.1\r\n\r",
        ] {
            assert!(matches!(parse(s, &Limits::default()), Ok(Parsed::Partial)));
        }
    }

    #[test]
    fn pipelined_heads_are_taken_one_at_a_time() {
        let s = b"GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n";
        let Ok(Parsed::Complete(h, n)) = parse(s, &Limits::default()) else {
            panic!()
        };
        assert_eq!(h.target, b"/1");
        let Ok(Parsed::Complete(h, m)) = parse(&s[n..], &Limits::default()) else {
            panic!()
        };
        assert_eq!((h.method, h.target), (&b"HEAD"[..], &b"/2"[..]));
        assert_eq!(n + m, s.len());
    }

    #[test]
    fn malformed_request_lines_and_their_statuses() {
        let cases: &[(&[u8], Status)] = &[
            (b"get / HTTP/1.1\r\n\r\n", Status::BadRequest),
            (b" GET / HTTP/1.1\r\n\r\n", Status::BadRequest),
            (b"GET\r\n\r\n", Status::BadRequest),
            (b"GET /\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/1\r\n\r\n", Status::BadRequest),
            (b"GET / http/1.1\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/0.9\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/01.1\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/1.1 x\r\n\r\n", Status::BadRequest),
            (b"GET /a\x01b HTTP/1.1\r\n\r\n", Status::BadRequest),
            (b"GET /a\x00b HTTP/1.1\r\n\r\n", Status::BadRequest),
            (b"GET /\tHTTP/1.1\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/1.1\rX\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/2.0\r\n\r\n", Status::VersionNotSupported),
            (b"GET / HTTP/10.0\r\n\r\n", Status::VersionNotSupported),
        ];
        for (req, want) in cases {
            assert_eq!(
                parse_all(req).unwrap_err(),
                *want,
                "{:?}",
                String::from_utf8_lossy(req)
            );
        }
        assert_eq!(
            parse_all(b"GET / HTTP/1.10\r\n\r\n").unwrap().version,
            Some(Version {
                major: 1,
                minor: 10
            })
        );
    }

    #[test]
    fn malformed_headers_and_smuggling_shapes_are_400() {
        let cases: &[&[u8]] = &[
            b"GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n",
            b"GET / HTTP/1.1\r\n\tHost: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost : a\r\n\r\n",
            b"GET / HTTP/1.1\r\n: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nX\x01: a\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
            b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 1, 1\r\n\r\n",
            b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
        ];
        for req in cases {
            assert_eq!(
                parse_all(req).unwrap_err(),
                Status::BadRequest,
                "{:?}",
                String::from_utf8_lossy(req)
            );
        }
        // A line without a colon: RFC 9112 §5 says SHOULD 400 (nginx ignores it).
        assert_eq!(
            parse_all(b"GET / HTTP/1.1\r\nXa\r\n\r\n").unwrap_err(),
            Status::BadRequest
        );
    }

    #[test]
    fn a_bad_request_line_is_refused_before_the_head_is_complete() {
        let limits = Limits::default();
        // HTTP/0.9's form ends the request at the line: waiting for more would only time out.
        for partial in [
            &b"GET /x\r\n"[..],
            b"GET /x\n",
            b"GET /x HTTP/1.1 junk\r\nHost: a\r\n",
        ] {
            assert_eq!(
                parse(partial, &limits).unwrap_err(),
                Status::BadRequest,
                "{:?}",
                String::from_utf8_lossy(partial)
            );
        }
        assert_eq!(
            parse(b"GET /x HTTP/2.0\r\n", &limits).unwrap_err(),
            Status::VersionNotSupported
        );
        // A good line with headers still to come is only partial.
        assert!(matches!(
            parse(b"GET /x HTTP/1.1\r\nHost: a\r\n", &limits),
            Ok(Parsed::Partial)
        ));
        assert!(matches!(parse(b"GET /x", &limits), Ok(Parsed::Partial)));
    }

    #[test]
    fn limits_give_414_and_431_even_before_the_head_is_complete() {
        let limits = Limits::default();
        let long_line = [b"GET /".as_slice(), &vec![b'a'; 9000]].concat();
        assert_eq!(parse(&long_line, &limits).unwrap_err(), Status::UriTooLong);
        let long_header = [b"GET / HTTP/1.1\r\nX: ".as_slice(), &vec![b'a'; 9000]].concat();
        assert_eq!(
            parse(&long_header, &limits).unwrap_err(),
            Status::HeaderFieldsTooLarge
        );
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..101 {
            many.extend_from_slice(format!("X{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(
            parse(&many, &limits).unwrap_err(),
            Status::HeaderFieldsTooLarge
        );
    }

    /// Found by fuzzing (fuzz/README.md): a line of exactly the limit whose CR arrived
    /// before its LF was refused, though the same bytes in one read are accepted.
    #[test]
    fn a_line_at_the_limit_is_not_refused_for_a_cr_awaiting_its_lf() {
        let limits = Limits {
            max_request_line: 16,
            max_header_line: 8,
            ..Limits::default()
        };
        let line = b"GET /a HTTP/1.10".to_vec();
        assert_eq!(line.len(), 16);
        assert_eq!(check_partial(&[&line[..], b"\r"].concat(), &limits), Ok(()));
        assert_eq!(
            check_partial(&[&line[..], b"0\r"].concat(), &limits),
            Err(Status::UriTooLong)
        );
        let head = [&line[..], b"\r\nX: 12345"].concat();
        assert_eq!(check_partial(&[&head[..], b"\r"].concat(), &limits), Ok(()));
        assert_eq!(
            check_partial(&[&head[..], b"6\r"].concat(), &limits),
            Err(Status::HeaderFieldsTooLarge)
        );
        let whole = [&head[..], b"\r\n\r\n"].concat();
        assert!(matches!(parse(&whole, &limits), Ok(Parsed::Complete(..))));
    }

    #[test]
    fn head_end_is_found_across_line_end_styles_and_offsets() {
        let s = b"GET / HTTP/1.1\r\nA: b\r\n\r\nrest";
        assert_eq!(find_head_end(s, 0), Some(s.len() - 4));
        assert_eq!(find_head_end(s, 20), Some(s.len() - 4));
        assert_eq!(find_head_end(b"GET / HTTP/1.0\n\nx", 0), Some(16));
        assert_eq!(find_head_end(b"GET / HTTP/1.0\r\n", 0), None);
        assert_eq!(find_head_end(b"x", 99), None);
        assert_eq!(skip_empty_lines(b"\r\n\r\nGET"), 4);
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let alphabet: &[u8] =
            b"GETHPOS /:.\r\n\t0123456789-,%HTTP/1.1Host:Content-Length\x00\x7f\xff";
        let limits = Limits {
            max_request_line: 64,
            max_header_line: 64,
            max_head: 256,
            max_headers: 8,
        };
        for _ in 0..50_000 {
            let len = rng.below(300);
            let buf: Vec<u8> = (0..len)
                .map(|_| {
                    if rng.below(4) == 0 {
                        rng.next() as u8
                    } else {
                        alphabet[rng.below(alphabet.len())]
                    }
                })
                .collect();
            let _ = parse(&buf, &limits);
            let _ = parse(&buf, &Limits::default());
            let from = rng.below(len + 2);
            if let Some(end) = find_head_end(&buf, from) {
                assert!(end <= buf.len());
            }
        }
    }

    #[test]
    fn mutated_valid_requests_never_panic() {
        let mut rng = Rng(12345);
        let base = b"GET /index.html?x=1 HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-5\r\nIf-None-Match: \"a\"\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n";
        for _ in 0..50_000 {
            let mut buf = base.to_vec();
            for _ in 0..1 + rng.below(4) {
                let i = rng.below(buf.len());
                match rng.below(3) {
                    0 => buf[i] = rng.next() as u8,
                    1 => {
                        buf.remove(i);
                    }
                    _ => buf.insert(i, rng.next() as u8),
                }
            }
            let _ = parse(&buf, &Limits::default());
        }
    }
}
