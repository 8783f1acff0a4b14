//! What a parsed head means: the method, the framing of its body, keep-alive, and the
//! checks that span several headers (request smuggling shapes, `Host` in HTTP/1.1).
//!
//! Each refusal gives the status nginx gives for it:
//!
//! | shape | status |
//! |---|---|
//! | HTTP/1.1 without `Host` (absolute-form targets too), empty or invalid `Host` (`/`, `..`, leading `.`) | 400 |
//! | userinfo in an absolute-form target (`http://user@host/`) | 400 |
//! | both `Content-Length` and `Transfer-Encoding` | 400 |
//! | `Transfer-Encoding` in an HTTP/1.0 request | 400 |
//! | `Transfer-Encoding` other than exactly `chunked` | 501 |
//! | `Content-Length` over the body limit (1 MiB, nginx's `client_max_body_size`) | 413 |
//! | a method other than GET and HEAD (after the body is framed) | 405 |
//!
//! Bodies are skipped (a `Content-Length` count, or a chunked body walked by
//! [`crate::http::chunked`]) and the connection kept, except after a body announced with
//! `Expect: 100-continue`: we answer without sending `100 Continue`, so the client may never
//! send it, and its next request must not be mistaken for the body.

use crate::http::parse::Head;
use crate::http::status::Status;

/// The methods served; every other well-formed method gets `405`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Other,
}

/// How the request's body is delimited, so the connection can skip it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyFraming {
    None,
    /// This many bytes follow the head.
    Length(u64),
    /// A chunked body follows; it is skipped with [`crate::http::chunked`].
    Chunked,
}

/// A request the server can answer (perhaps with 404 or 405).
#[derive(Debug, Clone)]
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    /// The target's path, raw (percent-encoded, maybe with dot segments).
    pub(crate) raw_path: &'a [u8],
    pub(crate) query: Option<&'a [u8]>,
    /// The connection stays open after a static answer: as the client asked, except after
    /// a body behind `Expect: 100-continue` (see the module's comment).
    pub(crate) keep_alive: bool,
    /// The connection may stay open as the client asked. A proxied request reads its body
    /// whole (after sending `100 Continue` itself), so the framing stays known.
    pub(crate) client_keep_alive: bool,
    pub(crate) body: BodyFraming,
    pub(crate) head: Head<'a>,
}

/// Largest request body the server skips while keeping the connection.
pub(crate) const MAX_BODY: u64 = 1 << 20;

/// nginx's host validation: no `/`, no NUL, no `..`, no leading dot; not empty.
fn valid_host(host: &[u8]) -> bool {
    !host.is_empty()
        && host[0] != b'.'
        && !host.contains(&b'/')
        && !host.contains(&b'\\')
        && !host.windows(2).any(|w| w == b"..")
        && host.iter().all(|&b| b > 0x20 && b != 0x7f)
}

/// Interprets a head; `Err` is the status of the refusal (the connection then closes unless
/// the status allows keep-alive).
pub(crate) fn interpret(head: Head<'_>) -> Result<Request<'_>, Status> {
    interpret_with_limit(head, MAX_BODY)
}

/// As [`interpret`], with a `Content-Length` up to `max_body` accepted (a proxied location
/// streams its bodies, so it may take more than the skipping limit).
pub(crate) fn interpret_with_limit(head: Head<'_>, max_body: u64) -> Result<Request<'_>, Status> {
    let version = head.version.ok_or(Status::BadRequest)?;
    let target_host = crate::http::path::absolute_form_host(head.target);
    if version.at_least_11() && head.host.is_none() {
        // RFC 9112 §3.2: a 1.1 request without Host is 400, whatever the target's form.
        return Err(Status::BadRequest);
    }
    if target_host.is_some_and(|h| h.contains(&b'@')) {
        // Userinfo in the target (`http://user:pass@host/`): RFC 9110 §4.2.4 says to treat
        // it as an error.
        return Err(Status::BadRequest);
    }
    // An absolute-form target's authority replaces Host (RFC 9112 §3.2.2).
    match target_host.or(head.host) {
        Some(h) if !valid_host(h) => return Err(Status::BadRequest),
        _ => {}
    }
    if !head.target.starts_with(b"/") && target_host.is_none() {
        // `*` and authority-form have no meaning for a file server.
        return Err(Status::BadRequest);
    }
    let body = match (head.content_length, head.transfer_encoding) {
        (Some(_), Some(_)) => return Err(Status::BadRequest),
        (_, Some(_)) if !version.at_least_11() => return Err(Status::BadRequest),
        (_, Some(te)) if te.eq_ignore_ascii_case(b"chunked") => BodyFraming::Chunked,
        (_, Some(_)) => return Err(Status::NotImplemented),
        (Some(n), None) if n > max_body => return Err(Status::PayloadTooLarge),
        (Some(0) | None, None) => BodyFraming::None,
        (Some(n), None) => BodyFraming::Length(n),
    };
    let method = match head.method {
        b"GET" => Method::Get,
        b"HEAD" => Method::Head,
        _ => Method::Other,
    };
    let keep_alive = if version.at_least_11() {
        !head.connection.close
    } else {
        head.connection.keep_alive && !head.connection.close
    };
    let (raw_path, query) = crate::http::path::split_target(head.target);
    Ok(Request {
        method,
        raw_path,
        query,
        keep_alive: keep_alive && !(head.expect_continue && body != BodyFraming::None),
        client_keep_alive: keep_alive,
        body,
        head,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse::{parse, Limits, Parsed};

    fn req(s: &[u8]) -> Result<Request<'_>, Status> {
        match parse(s, &Limits::default())? {
            Parsed::Complete(head, _) => interpret(head),
            Parsed::Partial => panic!("partial"),
        }
    }

    #[test]
    fn keep_alive_defaults() {
        assert!(
            req(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
                .unwrap()
                .keep_alive
        );
        assert!(
            !req(b"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
                .unwrap()
                .keep_alive
        );
        assert!(!req(b"GET / HTTP/1.0\r\n\r\n").unwrap().keep_alive);
        assert!(
            req(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
                .unwrap()
                .keep_alive
        );
    }

    #[test]
    fn refusals_and_their_statuses() {
        let cases: &[(&[u8], Status)] = &[
            (b"GET / HTTP/1.1\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/1.1\r\nHost:\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", Status::BadRequest),
            (b"GET / HTTP/1.1\r\nHost: ..\r\n\r\n", Status::BadRequest),
            (b"GET x HTTP/1.1\r\nHost: a\r\n\r\n", Status::BadRequest),
            (b"GET * HTTP/1.1\r\nHost: a\r\n\r\n", Status::BadRequest),
            (b"GET http://a/ HTTP/1.1\r\n\r\n", Status::BadRequest),
            (
                b"GET http://u:p@a/ HTTP/1.1\r\nHost: a\r\n\r\n",
                Status::BadRequest,
            ),
            (b"GET http://u@a/ HTTP/1.0\r\n\r\n", Status::BadRequest),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                Status::BadRequest,
            ),
            (
                b"GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                Status::BadRequest,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
                Status::NotImplemented,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                Status::NotImplemented,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n",
                Status::PayloadTooLarge,
            ),
        ];
        for (r, want) in cases {
            assert_eq!(
                req(r).map(|_| ()).unwrap_err(),
                *want,
                "{:?}",
                String::from_utf8_lossy(r)
            );
        }
    }

    #[test]
    fn bodies_are_framed() {
        let r = req(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n").unwrap();
        assert_eq!((r.method, r.body), (Method::Other, BodyFraming::Length(3)));
        let r = req(b"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n").unwrap();
        assert_eq!(r.body, BodyFraming::Chunked);
        assert!(r.keep_alive);
    }

    #[test]
    fn a_body_behind_expect_100_continue_closes_the_connection() {
        let r =
            req(b"POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 5\r\n\r\n")
                .unwrap();
        assert!(!r.keep_alive);
        // A proxied one reads the body whole: the client's wish stands.
        assert!(r.client_keep_alive);
        let r = req(b"GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n").unwrap();
        assert!(r.keep_alive);
    }

    #[test]
    fn absolute_form_targets_name_the_path() {
        // In 1.1 the Host header is still required (RFC 9112 §3.2); the target's wins.
        let r = req(b"GET http://a/x?y HTTP/1.1\r\nHost: b\r\n\r\n").unwrap();
        assert_eq!((r.raw_path, r.query), (&b"/x"[..], Some(&b"y"[..])));
        // HTTP/1.0 has no Host requirement.
        let r = req(b"GET http://a/x HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!(r.raw_path, b"/x");
        // An invalid authority in the target is refused even with a good Host.
        assert_eq!(
            req(b"GET http://../x HTTP/1.1\r\nHost: b\r\n\r\n").unwrap_err(),
            Status::BadRequest
        );
    }
}
