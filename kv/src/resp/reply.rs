//! Writing RESP2 replies into a client's output buffer: simple strings (`+OK`), errors
//! (`-ERR ...`), integers (`:1`), bulk strings (`$3\r\nabc`, `$-1` for nil), arrays (`*2`,
//! `*-1` for a nil array).
//!
//! Numbers are written with `itoa` rather than `format!`: a bulk reply's length header is
//! on the path of every GET.

/// A client's pending reply bytes.
#[derive(Debug, Default)]
pub(crate) struct Reply {
    pub(crate) buf: Vec<u8>,
}

impl Reply {
    pub(crate) fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    pub(crate) fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply: `msg` starts with its code (`ERR ...`, `WRONGTYPE ...`). Newlines in
    /// it would break the protocol, so they become spaces, as Redis does.
    pub(crate) fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        for b in msg.bytes() {
            self.buf
                .push(if b == b'\r' || b == b'\n' { b' ' } else { b });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    pub(crate) fn int(&mut self, n: i64) {
        self.header(b':', n);
    }

    pub(crate) fn bulk(&mut self, data: &[u8]) {
        self.buf.reserve(data.len() + 16);
        self.header(b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `prefix`, the number, CRLF.
    fn header(&mut self, prefix: u8, n: i64) {
        header(&mut self.buf, prefix, n);
    }

    pub(crate) fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }

    pub(crate) fn nil(&mut self) {
        self.buf.extend_from_slice(b"$-1\r\n");
    }

    pub(crate) fn nil_array(&mut self) {
        self.buf.extend_from_slice(b"*-1\r\n");
    }

    pub(crate) fn array(&mut self, len: usize) {
        self.header(b'*', len as i64);
    }

    pub(crate) fn bulk_or_nil(&mut self, data: Option<&[u8]>) {
        match data {
            Some(d) => self.bulk(d),
            None => self.nil(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.buf.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
}

/// Appends `prefix`, `n` in decimal, CRLF: a RESP line of a number (a reply's header, or a
/// multibulk's count and lengths in the log).
pub(crate) fn header(buf: &mut Vec<u8>, prefix: u8, n: i64) {
    buf.push(prefix);
    buf.extend_from_slice(itoa::Buffer::new().format(n).as_bytes());
    buf.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_framed_as_resp2() {
        let mut r = Reply::default();
        r.ok();
        r.error("ERR bad\r\nthing");
        r.int(-3);
        r.int(i64::MIN);
        r.bulk(b"a\r\nb");
        r.bulk(b"");
        r.nil();
        r.array(2);
        r.nil_array();
        assert_eq!(
            String::from_utf8(r.buf).unwrap(),
            "+OK\r\n-ERR bad  thing\r\n:-3\r\n:-9223372036854775808\r\n$4\r\na\r\nb\r\n$0\r\n\r\n\
             $-1\r\n*2\r\n*-1\r\n"
        );
    }
}
