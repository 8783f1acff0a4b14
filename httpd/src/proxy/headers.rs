//! Header rewriting, both ways.
//!
//! Upstream, the request head is written anew from the client's (already parsed and
//! checked): the request line with `HTTP/1.1` and an origin-form target; the end-to-end
//! headers as sent; the hop-by-hop ones dropped (RFC 9110 §7.6.1: `Connection` and every
//! header it names, `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`,
//! `Proxy-*`), and `Expect` (httpd answers `100 Continue` itself); `Host` as the client sent
//! it unless `proxy_set_host` says otherwise; `X-Forwarded-For` with the client's address
//! appended and `Forwarded` with `for=...;proto=http;host=...` added; the body re-framed
//! (`Content-Length`, or `Transfer-Encoding: chunked`); `Connection: keep-alive`.
//!
//! Downstream, the upstream's response head is parsed strictly (a malformed one is a 502:
//! a bad status line, obs-fold, a line without a colon, conflicting lengths,
//! `Content-Length` with `Transfer-Encoding`), and written for the client: `HTTP/1.1`, the
//! status and reason, the end-to-end headers, the framing the relay will use, and
//! `Connection` as httpd decides.

use crate::http::parse::{is_token_byte, parse_decimal, trim_ows};
use crate::http::request::BodyFraming;
use std::io::Write;
use std::net::IpAddr;

/// Largest upstream response head accepted.
pub(crate) const MAX_RESPONSE_HEAD: usize = 32 * 1024;
/// Most header lines in an upstream response head.
const MAX_RESPONSE_HEADERS: usize = 200;

/// The header lines of a head (after its first line), as `(name, value)`, value trimmed.
/// The head was checked before: every line has a token name and a colon.
fn fields(head: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    head.split(|&b| b == b'\n')
        .skip(1)
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .filter_map(|l| {
            let colon = l.iter().position(|&b| b == b':')?;
            Some((&l[..colon], trim_ows(&l[colon + 1..])))
        })
}

/// The tokens of every `Connection` header of `head` (the headers they name are
/// hop-by-hop too).
fn connection_tokens(head: &[u8]) -> Vec<Vec<u8>> {
    fields(head)
        .filter(|(n, _)| n.eq_ignore_ascii_case(b"connection"))
        .flat_map(|(_, v)| v.split(|&b| b == b',').map(trim_ows))
        .filter(|t| !t.is_empty())
        .map(|t| t.to_ascii_lowercase())
        .collect()
}

/// Whether `name` is hop-by-hop (RFC 9110 §7.6.1) or named by `Connection`.
fn hop_by_hop(name: &[u8], named: &[Vec<u8>]) -> bool {
    const HOP: &[&[u8]] = &[
        b"connection",
        b"keep-alive",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    ];
    HOP.iter().any(|h| name.eq_ignore_ascii_case(h))
        || (name.len() > 6 && name[..6].eq_ignore_ascii_case(b"proxy-"))
        || named.iter().any(|t| name.eq_ignore_ascii_case(t))
}

/// What the request head sent upstream is made of.
#[derive(Debug)]
pub(crate) struct Outgoing<'a> {
    /// The client's head, as parsed and checked.
    pub(crate) head: &'a [u8],
    pub(crate) method: &'a [u8],
    /// Path and query to send (origin-form).
    pub(crate) path: &'a [u8],
    pub(crate) query: Option<&'a [u8]>,
    /// The `Host` to send.
    pub(crate) host: &'a [u8],
    pub(crate) peer: IpAddr,
    pub(crate) body: BodyFraming,
}

/// `value` as a `Forwarded` parameter value: a token as is, anything else quoted.
fn forwarded_value(out: &mut Vec<u8>, value: &[u8]) {
    if !value.is_empty() && value.iter().all(|&b| is_token_byte(b)) {
        out.extend_from_slice(value);
        return;
    }
    out.push(b'"');
    for &b in value {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

/// Writes the head to send upstream.
pub(crate) fn request_head(r: &Outgoing<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(r.method);
    out.push(b' ');
    out.extend_from_slice(r.path);
    if let Some(q) = r.query {
        out.push(b'?');
        out.extend_from_slice(q);
    }
    out.extend_from_slice(b" HTTP/1.1\r\nHost: ");
    out.extend_from_slice(r.host);
    out.extend_from_slice(b"\r\n");
    let named = connection_tokens(r.head);
    let mut xff: Vec<u8> = Vec::new();
    let mut forwarded: Vec<u8> = Vec::new();
    for (name, value) in fields(r.head) {
        let merge = if name.eq_ignore_ascii_case(b"x-forwarded-for") {
            Some(&mut xff)
        } else if name.eq_ignore_ascii_case(b"forwarded") {
            Some(&mut forwarded)
        } else {
            None
        };
        if let Some(list) = merge {
            if !value.is_empty() {
                if !list.is_empty() {
                    list.extend_from_slice(b", ");
                }
                list.extend_from_slice(value);
            }
            continue;
        }
        if hop_by_hop(name, &named)
            || name.eq_ignore_ascii_case(b"host")
            || name.eq_ignore_ascii_case(b"content-length")
            || name.eq_ignore_ascii_case(b"expect")
        {
            continue;
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    if !xff.is_empty() {
        xff.extend_from_slice(b", ");
    }
    let _ = write!(xff, "{}", r.peer);
    out.extend_from_slice(b"X-Forwarded-For: ");
    out.extend_from_slice(&xff);
    out.extend_from_slice(b"\r\n");
    if !forwarded.is_empty() {
        forwarded.extend_from_slice(b", ");
    }
    forwarded.extend_from_slice(b"for=");
    match r.peer {
        IpAddr::V4(ip) => {
            let _ = write!(forwarded, "{ip}");
        }
        IpAddr::V6(ip) => {
            let _ = write!(forwarded, "\"[{ip}]\"");
        }
    }
    forwarded.extend_from_slice(b";proto=http;host=");
    forwarded_value(&mut forwarded, r.host);
    out.extend_from_slice(b"Forwarded: ");
    out.extend_from_slice(&forwarded);
    out.extend_from_slice(b"\r\n");
    match r.body {
        BodyFraming::None => {}
        BodyFraming::Length(n) => {
            let _ = write!(out, "Content-Length: {n}\r\n");
        }
        BodyFraming::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
    }
    out.extend_from_slice(b"Connection: keep-alive\r\n\r\n");
}

/// An upstream response head, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResponseHead {
    pub(crate) status: u16,
    /// The head's length in the buffer, up to and with its empty line.
    pub(crate) len: usize,
    /// `HTTP/1.1` or later minor (persistent unless `Connection: close`).
    pub(crate) http11: bool,
    pub(crate) content_length: Option<u64>,
    /// `Transfer-Encoding` ending in `chunked`.
    pub(crate) chunked: bool,
    /// `Transfer-Encoding` not ending in `chunked`: the body runs until the upstream closes.
    pub(crate) other_encoding: bool,
    /// `Connection: close` (or HTTP/1.0 without `keep-alive`): not to be reused.
    pub(crate) close: bool,
}

impl ResponseHead {
    /// 1xx: an interim response; the final one follows.
    pub(crate) fn interim(&self) -> bool {
        (100..200).contains(&self.status)
    }
}

/// What a buffer holds of an upstream response head.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParsedResponse {
    Partial,
    Complete(ResponseHead),
    /// Not HTTP we accept: the exchange answers 502.
    Malformed(&'static str),
}

/// Parses the response head at the start of `buf`.
pub(crate) fn parse_response(buf: &[u8]) -> ParsedResponse {
    let Some(len) = crate::http::parse::find_head_end(buf, 0) else {
        if buf.len() > MAX_RESPONSE_HEAD {
            return ParsedResponse::Malformed("response head too large");
        }
        if buf.len() >= 5 && !buf.starts_with(b"HTTP/") {
            return ParsedResponse::Malformed("not an HTTP response");
        }
        return ParsedResponse::Partial;
    };
    if len > MAX_RESPONSE_HEAD {
        return ParsedResponse::Malformed("response head too large");
    }
    match parse_complete(&buf[..len]) {
        Ok(head) => ParsedResponse::Complete(head),
        Err(why) => ParsedResponse::Malformed(why),
    }
}

fn parse_complete(head: &[u8]) -> Result<ResponseHead, &'static str> {
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let status_line = lines.next().ok_or("empty head")?;
    if status_line.contains(&b'\r') {
        return Err("bad status line");
    }
    let rest = status_line
        .strip_prefix(b"HTTP/1.")
        .ok_or("bad status line")?;
    let (&minor, rest) = rest.split_first().ok_or("bad status line")?;
    if !minor.is_ascii_digit() || rest.len() < 4 || rest[0] != b' ' {
        return Err("bad status line");
    }
    let code = &rest[1..4];
    if !code.iter().all(u8::is_ascii_digit) || code[0] == b'0' {
        return Err("bad status code");
    }
    if rest.len() > 4 && rest[4] != b' ' {
        return Err("bad status line");
    }
    if rest[4..]
        .iter()
        .any(|&b| b != b'\t' && (b < 0x20 || b == 0x7f))
    {
        return Err("bad reason phrase");
    }
    let status = parse_decimal(code).ok_or("bad status code")? as u16;
    let mut h = ResponseHead {
        status,
        len: head.len(),
        http11: minor >= b'1',
        content_length: None,
        chunked: false,
        other_encoding: false,
        close: false,
    };
    let mut keep_alive = false;
    let mut count = 0;
    for line in lines {
        if line.is_empty() {
            continue;
        }
        count += 1;
        if count > MAX_RESPONSE_HEADERS {
            return Err("too many header lines");
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return Err("obs-fold in the response head");
        }
        let name_len = line.iter().take_while(|&&b| is_token_byte(b)).count();
        if name_len == 0 || line.get(name_len) != Some(&b':') {
            return Err("bad header line");
        }
        let name = &line[..name_len];
        let value = trim_ows(&line[name_len + 1..]);
        if value.iter().any(|&b| b == 0 || b == b'\r') {
            return Err("bad header value");
        }
        if name.eq_ignore_ascii_case(b"content-length") {
            let n = parse_decimal(value).ok_or("bad Content-Length")?;
            if h.content_length.is_some_and(|m| m != n) {
                return Err("conflicting Content-Length");
            }
            h.content_length = Some(n);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            let last = value
                .split(|&b| b == b',')
                .map(trim_ows)
                .rfind(|t| !t.is_empty())
                .unwrap_or(b"");
            h.chunked = last.eq_ignore_ascii_case(b"chunked");
            h.other_encoding = !h.chunked;
        } else if name.eq_ignore_ascii_case(b"connection") {
            for t in value.split(|&b| b == b',').map(trim_ows) {
                h.close |= t.eq_ignore_ascii_case(b"close");
                keep_alive |= t.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    if h.content_length.is_some() && (h.chunked || h.other_encoding) {
        // RFC 9112 §6.3: a sign of smuggling; refused rather than guessed at.
        return Err("both Content-Length and Transfer-Encoding");
    }
    if (h.chunked || h.other_encoding) && !h.http11 {
        return Err("Transfer-Encoding in an HTTP/1.0 response");
    }
    if !h.http11 && !keep_alive {
        h.close = true;
    }
    Ok(h)
}

/// How the client's copy of the body is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ClientFraming {
    /// No body (HEAD, 1xx, 204, 304): the upstream's `Content-Length`, if any, is passed on.
    NoBody,
    Length(u64),
    Chunked,
    /// Until httpd closes the connection (an HTTP/1.0 client, length unknown).
    Close,
}

/// Writes the client's copy of the response head `buf[..h.len]`.
pub(crate) fn client_head(
    buf: &[u8],
    h: &ResponseHead,
    framing: ClientFraming,
    keep_alive: bool,
    out: &mut Vec<u8>,
) {
    let head = &buf[..h.len];
    let first = head.split(|&b| b == b'\n').next().unwrap_or(b"");
    let first = first.strip_suffix(b"\r").unwrap_or(first);
    // "HTTP/1.x " is 9 bytes; the rest is the code and the reason.
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(first.get(9..).unwrap_or(b""));
    out.extend_from_slice(b"\r\n");
    let named = connection_tokens(head);
    for (name, value) in fields(head) {
        if hop_by_hop(name, &named)
            || (framing != ClientFraming::NoBody && name.eq_ignore_ascii_case(b"content-length"))
        {
            continue;
        }
        out.extend_from_slice(name);
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    match framing {
        ClientFraming::Length(n) => {
            let _ = write!(out, "Content-Length: {n}\r\n");
        }
        ClientFraming::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        ClientFraming::NoBody | ClientFraming::Close => {}
    }
    out.extend_from_slice(if keep_alive {
        b"Connection: keep-alive\r\n\r\n"
    } else {
        b"Connection: close\r\n\r\n"
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(head: &[u8], body: BodyFraming) -> String {
        let mut out = Vec::new();
        request_head(
            &Outgoing {
                head,
                method: b"POST",
                path: b"/api/x",
                query: Some(b"a=1"),
                host: b"example.com:8080",
                peer: "10.0.0.7".parse().unwrap(),
                body,
            },
            &mut out,
        );
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn hop_by_hop_headers_go_and_forwarding_headers_come() {
        let head = b"POST /api/x?a=1 HTTP/1.1\r\nHost: example.com:8080\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: 300\r\nTE: trailers\r\nTrailer: X\r\nTransfer-Encoding: chunked\r\nUpgrade: websocket\r\nProxy-Authorization: x\r\nExpect: 100-continue\r\nX-Forwarded-For: 1.2.3.4\r\nForwarded: for=1.2.3.4\r\nAccept: */*\r\nX-Keep: yes\r\n\r\n";
        let s = outgoing(head, BodyFraming::Chunked);
        assert!(
            s.starts_with("POST /api/x?a=1 HTTP/1.1\r\nHost: example.com:8080\r\n"),
            "{s}"
        );
        for gone in [
            "X-Secret",
            "Keep-Alive",
            "TE:",
            "Trailer",
            "Upgrade",
            "Proxy-",
            "Expect",
        ] {
            assert!(!s.contains(gone), "{gone} in {s}");
        }
        assert!(s.contains("Accept: */*\r\nX-Keep: yes\r\n"), "{s}");
        assert!(s.contains("X-Forwarded-For: 1.2.3.4, 10.0.0.7\r\n"), "{s}");
        assert!(
            s.contains(
                "Forwarded: for=1.2.3.4, for=10.0.0.7;proto=http;host=\"example.com:8080\"\r\n"
            ),
            "{s}"
        );
        assert_eq!(s.matches("Transfer-Encoding: chunked\r\n").count(), 1);
        assert!(s.ends_with("Connection: keep-alive\r\n\r\n"));
        let s = outgoing(
            b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n",
            BodyFraming::Length(5),
        );
        assert!(s.contains("Content-Length: 5\r\n") && !s.contains("chunked"));
        assert!(s.contains("X-Forwarded-For: 10.0.0.7\r\n"));
    }

    fn complete(s: &[u8]) -> ResponseHead {
        match parse_response(s) {
            ParsedResponse::Complete(h) => h,
            other => panic!("{other:?} for {:?}", String::from_utf8_lossy(s)),
        }
    }

    #[test]
    fn response_heads_are_parsed_strictly() {
        let h = complete(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        assert_eq!((h.status, h.content_length, h.close), (200, Some(5), false));
        assert_eq!(h.len, 38);
        let h = complete(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert!(h.chunked);
        let h = complete(b"HTTP/1.0 200 OK\r\n\r\n");
        assert!(h.close && !h.http11);
        let h = complete(b"HTTP/1.0 204 No Content\r\nConnection: keep-alive\r\n\r\n");
        assert!(!h.close);
        let h = complete(b"HTTP/1.1 100 Continue\r\n\r\n");
        assert!(h.interim());
        let h = complete(b"HTTP/1.1 404\r\n\r\n");
        assert_eq!(h.status, 404);
        assert_eq!(
            parse_response(b"HTTP/1.1 200 OK\r\nX: y"),
            ParsedResponse::Partial
        );
        for bad in [
            &b"HTTP/1.1 2000 OK\r\n\r\n"[..],
            b"HTTP/2.0 200 OK\r\n\r\n",
            b"HTTP/1.1 20 OK\r\n\r\n",
            b"garbage\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
            b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            assert!(
                matches!(parse_response(bad), ParsedResponse::Malformed(_)),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(matches!(
            parse_response(b"SSH-2.0-x\r\n"),
            ParsedResponse::Malformed(_)
        ));
        let huge = vec![b'a'; MAX_RESPONSE_HEAD + 1];
        assert!(matches!(
            parse_response(&huge),
            ParsedResponse::Malformed(_)
        ));
    }

    #[test]
    fn the_client_head_is_reframed_without_hop_by_hop_headers() {
        let buf = b"HTTP/1.1 200 Fine\r\nConnection: close, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\nTransfer-Encoding: chunked\r\nX-End: 2\r\n\r\n";
        let h = complete(buf);
        let mut out = Vec::new();
        client_head(buf, &h, ClientFraming::Chunked, true, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 200 Fine\r\nX-End: 2\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n"
        );
        let buf = b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n";
        let mut out = Vec::new();
        client_head(buf, &complete(buf), ClientFraming::NoBody, false, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\nConnection: close\r\n\r\n"
        );
    }
}
