//! The access log, in the Combined Log Format (nginx's `combined`):
//!
//! ```text
//! 127.0.0.1 - - [28/Nov/2026:00:40:47 +0000] "GET / HTTP/1.1" 200 612 "-" "curl/7.88.1"
//! ```
//!
//! Times are UTC. Bytes a client controls (request line, referer, user agent) are escaped as
//! nginx does: `"`, `\`, controls and bytes above 0x7e become `\xHH`, so a line can never be
//! split or forged. The byte count is the body bytes actually sent.
//!
//! Each worker buffers its lines and writes them with one `write(2)` per loop turn (or when
//! the buffer fills) to a file opened with `O_APPEND`: the kernel appends each write whole,
//! so lines from several workers never interleave inside a line. The file is a
//! [`LogFile`]: after a reopen (SIGUSR1) or a reload naming another path, the next flush
//! goes to the new file.

use crate::log::logfile::LogFile;
use std::fs::File;
use std::io::Write;
use std::net::IpAddr;
use std::sync::Arc;

/// Flush the buffer early when it holds this much.
const FLUSH_AT: usize = 32 * 1024;

/// One request's line, without its byte count until the body is sent.
#[derive(Debug, Clone, Default)]
pub(crate) struct PendingLine {
    /// Everything up to the status and its space.
    before_bytes: Vec<u8>,
    /// From the space after the byte count to the newline.
    after_bytes: Vec<u8>,
}

/// The fields of a log line.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    pub(crate) peer: IpAddr,
    /// `[...]` content: the log clock's string.
    pub(crate) time: &'a str,
    pub(crate) request_line: &'a [u8],
    pub(crate) status: u16,
    pub(crate) referer: Option<&'a [u8]>,
    pub(crate) user_agent: Option<&'a [u8]>,
}

fn escape_into(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        if b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b) {
            let _ = write!(out, "\\x{b:02X}");
        } else {
            out.push(b);
        }
    }
}

fn quoted_or_dash(out: &mut Vec<u8>, v: Option<&[u8]>) {
    out.push(b'"');
    match v {
        Some(v) if !v.is_empty() => escape_into(out, v),
        _ => out.push(b'-'),
    }
    out.push(b'"');
}

impl PendingLine {
    pub(crate) fn new(e: &Entry<'_>) -> PendingLine {
        let mut before = Vec::with_capacity(64 + e.request_line.len());
        let _ = write!(before, "{} - - [{}] \"", e.peer, e.time);
        escape_into(&mut before, e.request_line);
        let _ = write!(before, "\" {} ", e.status);
        let mut after = Vec::with_capacity(32);
        after.push(b' ');
        quoted_or_dash(&mut after, e.referer);
        after.push(b' ');
        quoted_or_dash(&mut after, e.user_agent);
        after.push(b'\n');
        PendingLine {
            before_bytes: before,
            after_bytes: after,
        }
    }
}

impl PendingLine {
    /// The line of a proxied request also names the upstream that answered (or failed),
    /// after the user agent, as nginx's `$upstream_addr` is commonly logged.
    pub(crate) fn with_upstream(mut self, upstream: std::net::SocketAddr) -> PendingLine {
        self.after_bytes.pop();
        let _ = writeln!(self.after_bytes, " upstream={upstream}");
        self
    }
}

/// A worker's handle on the access log (or on nothing, when logging is off).
#[derive(Debug)]
pub(crate) struct AccessLog {
    target: Option<Arc<LogFile>>,
    /// The target's file of generation `generation`.
    file: Option<Arc<File>>,
    generation: u64,
    buf: Vec<u8>,
}

impl AccessLog {
    pub(crate) fn new(target: Option<Arc<LogFile>>) -> AccessLog {
        let mut log = AccessLog {
            target: None,
            file: None,
            generation: 0,
            buf: Vec::new(),
        };
        log.set_target(target);
        log
    }

    /// Switches to another log (a reload): what is buffered goes to the old one first.
    pub(crate) fn set_target(&mut self, target: Option<Arc<LogFile>>) {
        self.flush();
        (self.file, self.generation) = match &target {
            Some(t) => {
                let (f, g) = t.current();
                (Some(f), g)
            }
            None => (None, 0),
        };
        self.target = target;
    }

    pub(crate) fn enabled(&self) -> bool {
        self.target.is_some()
    }

    /// Logs a pending line with the bytes its body finally sent.
    pub(crate) fn finish(&mut self, line: &PendingLine, body_bytes: u64) {
        if !self.enabled() {
            return;
        }
        self.buf.extend_from_slice(&line.before_bytes);
        let _ = write!(self.buf, "{body_bytes}");
        self.buf.extend_from_slice(&line.after_bytes);
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
    }

    /// Writes what is buffered (one `write` in the usual case).
    pub(crate) fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        if let Some(target) = &self.target {
            if target.generation() != self.generation {
                let (f, g) = target.current();
                self.file = Some(f);
                self.generation = g;
            }
        }
        if let Some(file) = &self.file {
            if let Err(e) = (&**file).write_all(&self.buf) {
                crate::log::errlog::error!("access log: {e}");
            }
        }
        self.buf.clear();
    }
}

impl Drop for AccessLog {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combined_format_with_escapes() {
        let e = Entry {
            peer: "127.0.0.1".parse().unwrap(),
            time: "06/Nov/1994:08:49:37 +0000",
            request_line: b"GET /a\"b\x01 HTTP/1.1",
            status: 200,
            referer: None,
            user_agent: Some(b"curl/8"),
        };
        let line = PendingLine::new(&e);
        let mut out = line.before_bytes.clone();
        out.extend_from_slice(b"42");
        out.extend_from_slice(&line.after_bytes);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] \"GET /a\\x22b\\x01 HTTP/1.1\" 200 42 \"-\" \"curl/8\"\n"
        );
        let line = line.with_upstream("127.0.0.1:9000".parse().unwrap());
        assert!(line
            .after_bytes
            .ends_with(b"\"curl/8\" upstream=127.0.0.1:9000\n"));
    }
}
