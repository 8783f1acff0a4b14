//! Writing RESP2 replies into a client's output buffer: simple strings (`+OK`), errors
//! (`-ERR ...`), integers (`:1`), bulk strings (`$3\r\nabc`, `$-1` for nil), arrays (`*2`,
//! `*-1` for a nil array).

use std::io::Write;

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
        let _ = write!(self.buf, ":{n}\r\n");
    }

    pub(crate) fn bulk(&mut self, data: &[u8]) {
        let _ = write!(self.buf, "${}\r\n", data.len());
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
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
        let _ = write!(self.buf, "*{len}\r\n");
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_type_is_framed_as_resp2() {
        let mut r = Reply::default();
        r.ok();
        r.error("ERR bad\r\nthing");
        r.int(-3);
        r.bulk(b"a\r\nb");
        r.nil();
        r.array(2);
        r.nil_array();
        assert_eq!(
            String::from_utf8(r.buf).unwrap(),
            "+OK\r\n-ERR bad  thing\r\n:-3\r\n$4\r\na\r\nb\r\n$-1\r\n*2\r\n*-1\r\n"
        );
    }
}
