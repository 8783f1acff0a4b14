//! Writing a response head: the status line and headers of a [`Reply`], in nginx's order.
//!
//! The status line always says `HTTP/1.1` (the version the server speaks, RFC 9110 §6.2),
//! also to HTTP/1.0 clients, as nginx does. `Connection` is always explicit: `keep-alive`
//! when the connection stays open, `close` whenever the server will close it.

use crate::date::http_date;
use crate::static_file::Reply;
use crate::status::Status;
use std::io::Write;

/// The `Server` header's value.
pub const SERVER: &str = "httpd";

/// Appends the head of `reply` to `out`. `date` is the current `Date` value.
pub fn write_head(out: &mut Vec<u8>, reply: &Reply, date: &str, keep_alive: bool) {
    let status = reply.status;
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\nServer: {SERVER}\r\nDate: {date}\r\n",
        status.code(),
        status.reason()
    );
    if let Some(ct) = reply.content_type {
        let _ = write!(out, "Content-Type: {ct}\r\n");
    }
    if let Some(len) = reply.content_length {
        let _ = write!(out, "Content-Length: {len}\r\n");
    }
    if let Some(v) = &reply.validators {
        let _ = write!(out, "Last-Modified: {}\r\n", http_date(v.mtime));
    }
    out.extend_from_slice(if keep_alive {
        b"Connection: keep-alive\r\n"
    } else {
        b"Connection: close\r\n"
    });
    if let Some(v) = &reply.validators {
        let _ = write!(out, "ETag: {}\r\n", v.etag());
    }
    if let Some(loc) = &reply.location {
        out.extend_from_slice(b"Location: ");
        out.extend_from_slice(loc);
        out.extend_from_slice(b"\r\n");
    }
    if reply.allow {
        out.extend_from_slice(b"Allow: GET, HEAD\r\n");
    }
    if let Some((start, end, len)) = reply.content_range {
        let _ = write!(out, "Content-Range: bytes {start}-{end}/{len}\r\n");
    }
    if let Some(len) = reply.unsatisfied_range {
        let _ = write!(out, "Content-Range: bytes */{len}\r\n");
    }
    if reply.accept_ranges && status != Status::NotModified {
        out.extend_from_slice(b"Accept-Ranges: bytes\r\n");
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_head_has_length_type_and_connection() {
        let mut out = Vec::new();
        let reply = Reply::page(Status::MethodNotAllowed);
        write_head(&mut out, &reply, "Thu, 01 Jan 1970 00:00:00 GMT", false);
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
