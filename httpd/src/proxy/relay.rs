//! The response body on its way to the client, re-framed as it streams: the upstream's
//! framing (none, `Content-Length`, chunked, or until it closes) decoded, the client's
//! (none, `Content-Length`, chunked for an HTTP/1.1 client when the length is unknown, or
//! until httpd closes for an HTTP/1.0 one) written. Responses to HEAD and 1xx, 204 and 304
//! responses have no body, whatever their headers say (RFC 9112 §6.3).

use crate::http::chunked::{ChunkedSkipper, Malformed};
use crate::proxy::headers::{ClientFraming, ResponseHead};
use std::io::Write;

#[derive(Debug)]
enum From {
    Length(u64),
    Chunked(ChunkedSkipper),
    UntilClose,
    Done,
}

/// One response body being relayed.
#[derive(Debug)]
pub(crate) struct Relay {
    from: From,
    to: ClientFraming,
    /// The upstream sent bytes past the end of the response (it cannot be reused).
    pub(crate) extra: bool,
    /// Body bytes given to the client (its data, not the framing).
    pub(crate) body_bytes: u64,
}

impl Relay {
    /// The relay of the response `h` to a `head_request`, for a client speaking HTTP/1.1
    /// (`client_11`) or 1.0. `Err` if the upstream's framing is not one httpd relays.
    pub(crate) fn new(
        h: &ResponseHead,
        head_request: bool,
        client_11: bool,
    ) -> Result<Relay, &'static str> {
        let unknown = if client_11 {
            ClientFraming::Chunked
        } else {
            ClientFraming::Close
        };
        let (from, to) = if head_request || h.status == 204 || h.status == 304 || h.interim() {
            (From::Done, ClientFraming::NoBody)
        } else if h.other_encoding {
            return Err("a transfer coding other than chunked");
        } else if h.chunked {
            (From::Chunked(ChunkedSkipper::new(u64::MAX)), unknown)
        } else if let Some(n) = h.content_length {
            let from = if n == 0 { From::Done } else { From::Length(n) };
            (from, ClientFraming::Length(n))
        } else {
            (From::UntilClose, unknown)
        };
        Ok(Relay {
            from,
            to,
            extra: false,
            body_bytes: 0,
        })
    }

    /// The framing the client's head must announce.
    pub(crate) fn client_framing(&self) -> ClientFraming {
        self.to
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self.from, From::Done)
    }

    /// Whether the upstream connection may carry another request once this body ended.
    pub(crate) fn reusable(&self) -> bool {
        !self.extra && self.is_done()
    }

    /// Body bytes that may still go to the client as the upstream sent them, with no
    /// re-framing (so past the relay, by `splice`): the rest of a `Content-Length` body
    /// relayed with its length, `u64::MAX` for a body until close to a client that gets it
    /// until close too; `None` for the rest (decoded or framed here).
    pub(crate) fn passthrough(&self) -> Option<u64> {
        match (&self.from, self.to) {
            (From::Length(left), ClientFraming::Length(_)) => Some(*left),
            (From::UntilClose, ClientFraming::Close) => Some(u64::MAX),
            _ => None,
        }
    }

    /// `n` bytes of a [`Relay::passthrough`] body went to the client past the relay.
    pub(crate) fn passed(&mut self, n: u64) {
        if let From::Length(left) = &mut self.from {
            *left -= n.min(*left);
            if *left == 0 {
                self.from = From::Done;
            }
        }
        self.body_bytes += n;
    }

    fn emit(&mut self, data: &[u8], out: &mut Vec<u8>) {
        emit(self.to, data, out);
        self.body_bytes += data.len() as u64;
    }

    /// Relays the upstream's bytes `input` into `out`; returns how many were body.
    pub(crate) fn relay(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, Malformed> {
        let n = match &mut self.from {
            From::Done => 0,
            From::UntilClose => {
                self.emit(input, out);
                input.len()
            }
            From::Length(left) => {
                let n = (*left).min(input.len() as u64) as usize;
                *left -= n as u64;
                if *left == 0 {
                    self.from = From::Done;
                }
                self.emit(&input[..n], out);
                n
            }
            From::Chunked(decoder) => {
                let to = self.to;
                let mut bytes = 0u64;
                let n = decoder.feed_with(input, |data| {
                    emit(to, data, out);
                    bytes += data.len() as u64;
                })?;
                self.body_bytes += bytes;
                if decoder.is_done() {
                    self.from = From::Done;
                }
                n
            }
        };
        if self.is_done() {
            self.end(out);
        }
        if n < input.len() {
            self.extra = true;
        }
        Ok(n)
    }

    /// The upstream closed: `true` if that ends the body (a body delimited by the close),
    /// `false` if it cut the body short.
    pub(crate) fn upstream_closed(&mut self, out: &mut Vec<u8>) -> bool {
        match self.from {
            From::Done => true,
            From::UntilClose => {
                self.from = From::Done;
                self.extra = true; // closed: not reusable
                self.end(out);
                true
            }
            From::Length(_) | From::Chunked(_) => false,
        }
    }

    /// The body ended: the last chunk, if the client's copy is chunked.
    fn end(&mut self, out: &mut Vec<u8>) {
        if self.to == ClientFraming::Chunked {
            out.extend_from_slice(b"0\r\n\r\n");
            // Written once: the framing has nothing more to add.
            self.to = ClientFraming::Length(self.body_bytes);
        }
    }
}

fn emit(to: ClientFraming, data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    if to == ClientFraming::Chunked {
        let _ = write!(out, "{:x}\r\n", data.len());
        out.extend_from_slice(data);
        out.extend_from_slice(b"\r\n");
    } else {
        out.extend_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::headers::{parse_response, ParsedResponse};

    fn head(s: &[u8]) -> ResponseHead {
        match parse_response(s) {
            ParsedResponse::Complete(h) => h,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bodies_are_reframed_for_the_client() {
        // Chunked to a 1.1 client: fresh chunks; to a 1.0 client: raw until close.
        let h = head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        let body = b"3;x\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n";
        let mut r = Relay::new(&h, false, true).unwrap();
        assert_eq!(r.client_framing(), ClientFraming::Chunked);
        let mut out = Vec::new();
        assert_eq!(r.relay(body, &mut out), Ok(body.len()));
        assert!(r.reusable());
        assert_eq!(out, b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
        let mut r = Relay::new(&h, false, false).unwrap();
        assert_eq!(r.client_framing(), ClientFraming::Close);
        let mut out = Vec::new();
        r.relay(body, &mut out).unwrap();
        assert_eq!(out, b"abcde");
        assert_eq!(r.body_bytes, 5);

        // Until close, to a 1.1 client: chunked, ended when the upstream closes.
        let h = head(b"HTTP/1.1 200 OK\r\n\r\n");
        let mut r = Relay::new(&h, false, true).unwrap();
        let mut out = Vec::new();
        r.relay(b"xyz", &mut out).unwrap();
        assert!(!r.is_done());
        assert!(r.upstream_closed(&mut out));
        assert!(!r.reusable());
        assert_eq!(out, b"3\r\nxyz\r\n0\r\n\r\n");

        // A length: bytes past it are not body, and the connection is not reused.
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n");
        let mut r = Relay::new(&h, false, true).unwrap();
        assert_eq!(r.client_framing(), ClientFraming::Length(2));
        let mut out = Vec::new();
        assert_eq!(r.relay(b"okEXTRA", &mut out), Ok(2));
        assert!(r.is_done() && !r.reusable());
        let mut r = Relay::new(&h, false, true).unwrap();
        r.relay(b"o", &mut out).unwrap();
        assert!(!r.upstream_closed(&mut out), "cut short");
    }

    #[test]
    fn only_bodies_the_client_gets_as_they_came_pass_through() {
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
        let mut r = Relay::new(&h, false, true).unwrap();
        let mut out = Vec::new();
        r.relay(b"abc", &mut out).unwrap();
        assert_eq!(r.passthrough(), Some(7));
        r.passed(7);
        assert!(r.is_done() && r.reusable());
        assert_eq!(r.body_bytes, 10);
        // Until close: passes to a 1.0 client only (a 1.1 client gets chunks).
        let h = head(b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(
            Relay::new(&h, false, false).unwrap().passthrough(),
            Some(u64::MAX)
        );
        assert_eq!(Relay::new(&h, false, true).unwrap().passthrough(), None);
        let h = head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(Relay::new(&h, false, false).unwrap().passthrough(), None);
    }

    #[test]
    fn head_204_and_304_have_no_body() {
        let h = head(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n");
        let r = Relay::new(&h, true, true).unwrap();
        assert!(r.is_done());
        assert_eq!(r.client_framing(), ClientFraming::NoBody);
        for s in [
            &b"HTTP/1.1 204 No Content\r\n\r\n"[..],
            b"HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
        ] {
            let r = Relay::new(&head(s), false, true).unwrap();
            assert!(r.is_done() && r.reusable());
        }
        let h = head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
        assert!(Relay::new(&h, false, true).is_err());
    }
}
