//! A response head: the status line and headers ([`Head`]), and writing it in nginx's order.
//! The body is not here: whoever answers (the document root's files) pairs a head with it.
//!
//! The status line always says `HTTP/1.1` (the version the server speaks, RFC 9110 §6.2),
//! also to HTTP/1.0 clients, as nginx does. `Connection` is always explicit: `keep-alive`
//! when the connection stays open, `close` whenever the server will close it.

use crate::http::conditional::Validators;
use crate::http::date::http_date;
use crate::http::status::Status;
use std::io::Write;

/// The `Server` header's value.
pub(crate) const SERVER: &str = "httpd";

/// What a response head says: the status and the representation headers (`Server`, `Date`
/// and `Connection` are added by [`write_head`]).
#[derive(Debug)]
pub(crate) struct Head {
    pub(crate) status: Status,
    pub(crate) content_type: Option<&'static str>,
    /// The `Content-Length` (also sent, with no body, for HEAD).
    pub(crate) content_length: Option<u64>,
    pub(crate) validators: Option<Validators>,
    /// `Content-Range: bytes start-end/len` for a 206.
    pub(crate) content_range: Option<(u64, u64, u64)>,
    /// `Content-Range: bytes */len` for a 416.
    pub(crate) unsatisfied_range: Option<u64>,
    pub(crate) location: Option<Vec<u8>>,
    /// Send `Allow: GET, HEAD` (405).
    pub(crate) allow: bool,
    /// `Accept-Ranges: bytes` (files).
    pub(crate) accept_ranges: bool,
}

impl Head {
    /// The head of an error or informational reply whose body is the status's HTML page.
    pub(crate) fn page(status: Status) -> Head {
        Head {
            status,
            content_type: Some("text/html"),
            content_length: Some(status.page().len() as u64),
            validators: None,
            content_range: None,
            unsatisfied_range: None,
            location: None,
            allow: status == Status::MethodNotAllowed,
            accept_ranges: false,
        }
    }
}

/// Appends `head` to `out`. `date` is the current `Date` value.
pub(crate) fn write_head(out: &mut Vec<u8>, head: &Head, date: &str, keep_alive: bool) {
    let status = head.status;
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\nServer: {SERVER}\r\nDate: {date}\r\n",
        status.code(),
        status.reason()
    );
    if let Some(ct) = head.content_type {
        let _ = write!(out, "Content-Type: {ct}\r\n");
    }
    if let Some(len) = head.content_length {
        let _ = write!(out, "Content-Length: {len}\r\n");
    }
    if let Some(v) = &head.validators {
        let _ = write!(out, "Last-Modified: {}\r\n", http_date(v.mtime));
    }
    out.extend_from_slice(if keep_alive {
        b"Connection: keep-alive\r\n"
    } else {
        b"Connection: close\r\n"
    });
    if let Some(v) = &head.validators {
        let _ = write!(out, "ETag: {}\r\n", v.etag());
    }
    if let Some(loc) = &head.location {
        out.extend_from_slice(b"Location: ");
        out.extend_from_slice(loc);
        out.extend_from_slice(b"\r\n");
    }
    if head.allow {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    if let Some((start, end, len)) = head.content_range {
        let _ = write!(out, "Content-Range: bytes {start}-{end}/{len}\r\n");
    }
    if let Some(len) = head.unsatisfied_range {
        let _ = write!(out, "Content-Range: bytes */{len}\r\n");
    }
    if head.accept_ranges && status != Status::NotModified {
        out.extend_from_slice(b"Accept-Ranges: bytes\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

/// A whole closing response whose body is `status`'s HTML page (a 408 at a deadline, a 503
/// to a connection over the limit): the head and the page, for one send.
pub(crate) fn page_response(status: Status, date: &str) -> Vec<u8> {
    let page = status.page();
    let mut out = Vec::with_capacity(256 + page.len());
    write_head(&mut out, &Head::page(status), date, false);
    out.extend_from_slice(page.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_head_has_length_type_and_connection() {
        let mut out = Vec::new();
        let head = Head::page(Status::MethodNotAllowed);
        write_head(&mut out, &head, "Thu, 01 Jan 1970 00:00:00 GMT", false);
        let s = String::from_utf8(out).unwrap();
        assert!(s.starts_with("HTTP/1.1 405 Method Not Allowed\r\nServer: httpd\r\n"));
        assert!(s.contains("Allow: GET, HEAD\r\n"));
        assert!(s.contains("Connection: close\r\n"));
        assert!(s.contains(&format!(
            "Content-Length: {}\r\n",
            Status::MethodNotAllowed.page().len()
        )));
        assert!(s.ends_with("\r\n\r\n"));
    }
}
