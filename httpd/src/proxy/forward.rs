//! The request body on its way upstream: taken from the client's input as it arrives and
//! re-framed into the bytes for the upstream. A `Content-Length` body is passed on as it
//! is; a chunked one is walked by the strict decoder of [`crate::http::chunked`] (a body it
//! cannot frame is never forwarded further) and written as fresh chunks of its data, with
//! extensions and trailers dropped.

use crate::http::chunked::{ChunkedSkipper, Malformed};
use crate::http::request::BodyFraming;
use std::io::Write;

/// The request body still to forward.
#[derive(Debug)]
pub(crate) enum RequestBody {
    /// None left (or none at all).
    Done,
    /// This many bytes of a `Content-Length` body.
    Length(u64),
    Chunked(ChunkedSkipper),
}

impl RequestBody {
    /// The body of a request framed so, of at most `max` bytes (chunked: data bytes).
    pub(crate) fn new(framing: BodyFraming, max: u64) -> RequestBody {
        match framing {
            BodyFraming::None | BodyFraming::Length(0) => RequestBody::Done,
            BodyFraming::Length(n) => RequestBody::Length(n),
            BodyFraming::Chunked => RequestBody::Chunked(ChunkedSkipper::new(max)),
        }
    }

    pub(crate) fn is_done(&self) -> bool {
        matches!(self, RequestBody::Done)
    }

    /// Moves body bytes from the start of `input` into `out`, re-framed; returns how many
    /// bytes of `input` belonged to the body.
    pub(crate) fn forward(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, Malformed> {
        match self {
            RequestBody::Done => Ok(0),
            RequestBody::Length(left) => {
                let n = (*left).min(input.len() as u64) as usize;
                out.extend_from_slice(&input[..n]);
                *left -= n as u64;
                if *left == 0 {
                    *self = RequestBody::Done;
                }
                Ok(n)
            }
            RequestBody::Chunked(decoder) => {
                let n = decoder.feed_with(input, |data| {
                    if !data.is_empty() {
                        let _ = write!(out, "{:x}\r\n", data.len());
                        out.extend_from_slice(data);
                        out.extend_from_slice(b"\r\n");
                    }
                })?;
                if decoder.is_done() {
                    out.extend_from_slice(b"0\r\n\r\n");
                    *self = RequestBody::Done;
                }
                Ok(n)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_body_passes_as_it_is_and_stops_at_its_end() {
        let mut b = RequestBody::new(BodyFraming::Length(5), 100);
        let mut out = Vec::new();
        assert_eq!(b.forward(b"hel", &mut out), Ok(3));
        assert_eq!(b.forward(b"loGET /", &mut out), Ok(2));
        assert!(b.is_done());
        assert_eq!(out, b"hello");
    }

    #[test]
    fn a_chunked_body_is_reframed_without_extensions_or_trailers() {
        let body = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\nNEXT";
        for cut in 0..body.len() {
            let mut b = RequestBody::new(BodyFraming::Chunked, 100);
            let mut out = Vec::new();
            let n = b.forward(&body[..cut], &mut out).unwrap();
            let m = b.forward(&body[n..], &mut out).unwrap();
            assert_eq!(n + m, body.len() - 4, "cut {cut}");
            assert!(b.is_done());
            let mut data = Vec::new();
            let mut check = ChunkedSkipper::new(100);
            check
                .feed_with(&out, |d| data.extend_from_slice(d))
                .unwrap();
            assert!(check.is_done());
            assert_eq!(data, b"hello world");
            assert!(!out.windows(3).any(|w| w == b"ext" || w == b"X-T"));
        }
    }

    #[test]
    fn a_bad_or_too_large_chunked_body_is_refused() {
        let mut b = RequestBody::new(BodyFraming::Chunked, 100);
        assert!(b.forward(b"zz\r\n", &mut Vec::new()).is_err());
        let mut b = RequestBody::new(BodyFraming::Chunked, 4);
        assert!(b.forward(b"5\r\nhello\r\n", &mut Vec::new()).is_err());
    }
}
