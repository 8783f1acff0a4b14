//! Skipping a chunked request body (RFC 9112 §7.1) without keeping it, so the connection can
//! stay open after a request that had one (nginx discards such bodies the same way).
//!
//! The decoder is strict, because a lenient one is how request smuggling starts: chunk sizes
//! are hex digits only (at most 15 of them), every line ends in CRLF (a bare LF or CR is an
//! error), extensions are skipped but bounded, trailer lines are skipped but bounded, and the
//! whole body is bounded. Any error means the body cannot be framed: the caller closes the
//! connection. Pure and incremental: bytes may arrive split anywhere.

/// Longest chunk extension, trailer line, or number of trailer lines accepted.
const MAX_LINE: usize = 4096;
const MAX_TRAILERS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading the hex size; `digits` so far.
    Size {
        digits: u8,
    },
    /// After the size: `;ext` or whitespace up to CR.
    Ext {
        len: usize,
    },
    /// CR seen after the size line; LF expected.
    SizeLf,
    /// Inside chunk data, `left` bytes to go.
    Data {
        left: u64,
    },
    /// CR then LF expected after the data.
    DataCr,
    DataLf,
    /// At the start of a trailer line (or of the final empty line).
    TrailerStart,
    /// Inside a trailer line.
    Trailer {
        len: usize,
    },
    TrailerLf,
    /// CR of the final empty line seen; LF expected.
    FinalLf,
    Done,
}

/// The body could not be framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// Walks over a chunked body.
#[derive(Debug, Clone)]
pub(crate) struct ChunkedSkipper {
    state: State,
    size: u64,
    total: u64,
    max_total: u64,
    trailers: usize,
}

impl ChunkedSkipper {
    /// A skipper for a body of at most `max_total` data bytes.
    pub(crate) fn new(max_total: u64) -> ChunkedSkipper {
        ChunkedSkipper {
            state: State::Size { digits: 0 },
            size: 0,
            total: 0,
            max_total,
            trailers: 0,
        }
    }

    /// Whether the whole body, trailers and final CRLF included, has been seen.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes body bytes from the start of `input`; returns how many belonged to the body
    /// (all of them unless the body ended inside `input`).
    pub(crate) fn feed(&mut self, input: &[u8]) -> Result<usize, Malformed> {
        self.feed_with(input, |_| {})
    }

    /// As [`feed`](Self::feed), handing each run of chunk data to `data` as it is walked
    /// (the proxy re-frames a body this way without keeping it).
    pub(crate) fn feed_with(
        &mut self,
        input: &[u8],
        mut data: impl FnMut(&[u8]),
    ) -> Result<usize, Malformed> {
        let mut i = 0;
        while i < input.len() {
            let b = input[i];
            self.state = match self.state {
                State::Done => return Ok(i),
                State::Size { digits } => match (b as char).to_digit(16) {
                    Some(d) if digits < 15 => {
                        self.size = self.size * 16 + u64::from(d);
                        State::Size { digits: digits + 1 }
                    }
                    Some(_) => return Err(Malformed),
                    None if digits == 0 => return Err(Malformed),
                    None if b == b'\r' => State::SizeLf,
                    None if b == b';' || b == b' ' || b == b'\t' => State::Ext { len: 1 },
                    None => return Err(Malformed),
                },
                State::Ext { len } => match b {
                    b'\r' => State::SizeLf,
                    _ if len >= MAX_LINE => return Err(Malformed),
                    b'\t' | 0x20..=0x7e | 0x80..=0xff => State::Ext { len: len + 1 },
                    _ => return Err(Malformed),
                },
                State::SizeLf if b == b'\n' => {
                    if self.size == 0 {
                        State::TrailerStart
                    } else {
                        self.total = self.total.saturating_add(self.size);
                        if self.total > self.max_total {
                            return Err(Malformed);
                        }
                        State::Data { left: self.size }
                    }
                }
                State::SizeLf => return Err(Malformed),
                State::Data { left } => {
                    let take = left.min((input.len() - i) as u64);
                    data(&input[i..i + take as usize]);
                    i += take as usize;
                    let left = left - take;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data { left }
                    };
                    continue;
                }
                State::DataCr if b == b'\r' => State::DataLf,
                State::DataLf if b == b'\n' => {
                    self.size = 0;
                    State::Size { digits: 0 }
                }
                State::DataCr | State::DataLf => return Err(Malformed),
                State::TrailerStart if b == b'\r' => State::FinalLf,
                State::TrailerStart if b == b'\n' => return Err(Malformed),
                State::TrailerStart => {
                    self.trailers += 1;
                    if self.trailers > MAX_TRAILERS {
                        return Err(Malformed);
                    }
                    State::Trailer { len: 1 }
                }
                State::Trailer { .. } if b == b'\r' => State::TrailerLf,
                State::Trailer { len } if b != b'\n' && len < MAX_LINE => {
                    State::Trailer { len: len + 1 }
                }
                State::Trailer { .. } => return Err(Malformed),
                State::TrailerLf if b == b'\n' => State::TrailerStart,
                State::TrailerLf => return Err(Malformed),
                State::FinalLf if b == b'\n' => {
                    i += 1;
                    self.state = State::Done;
                    return Ok(i);
                }
                State::FinalLf => return Err(Malformed),
            };
            i += 1;
        }
        Ok(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip_all(body: &[u8]) -> Result<(usize, bool), Malformed> {
        let mut s = ChunkedSkipper::new(1 << 20);
        let n = s.feed(body)?;
        Ok((n, s.is_done()))
    }

    #[test]
    fn a_body_is_skipped_up_to_its_end() {
        let body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\nGET / HTTP/1.1";
        let end = body.len() - b"GET / HTTP/1.1".len();
        assert_eq!(skip_all(body), Ok((end, true)));
        assert_eq!(skip_all(b"0\r\nTrailer: x\r\n\r\n"), Ok((17, true)));
        assert_eq!(skip_all(b"A\r\n0123456789\r\n0\r\n\r\n"), Ok((20, true)));
    }

    #[test]
    fn split_anywhere_gives_the_same_result() {
        let body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nT: v\r\n\r\nNEXT";
        let end = body.len() - 4;
        for cut in 0..body.len() {
            let mut s = ChunkedSkipper::new(1 << 20);
            let a = s.feed(&body[..cut]).unwrap();
            assert_eq!(a, cut.min(end));
            if s.is_done() {
                continue;
            }
            let b = s.feed(&body[cut..]).unwrap();
            assert_eq!(a + b, end, "cut at {cut}");
            assert!(s.is_done());
        }
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            &b"x\r\n"[..],
            b"\r\n",
            b"5\nhello\r\n",
            b"5\r\nhello\n0\r\n\r\n",
            b"5\r\nhelloX\r\n",
            b"0x5\r\nhello\r\n",
            b"-1\r\n",
            b"fffffffffffffffff\r\n",
            b"0\r\n\n",
            b"0\r\nT: v\n\r\n",
            b"5\r\r\n",
        ] {
            assert_eq!(
                skip_all(body).map(|_| ()),
                Err(Malformed),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn the_data_is_handed_over_in_order_however_it_is_split() {
        let body = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nT: v\r\n\r\n";
        for cut in 0..body.len() {
            let mut s = ChunkedSkipper::new(1 << 20);
            let mut got = Vec::new();
            s.feed_with(&body[..cut], |d| got.extend_from_slice(d))
                .unwrap();
            s.feed_with(&body[cut..], |d| got.extend_from_slice(d))
                .unwrap();
            assert!(s.is_done());
            assert_eq!(got, b"hello world", "cut at {cut}");
        }
    }

    #[test]
    fn the_total_is_bounded() {
        let mut s = ChunkedSkipper::new(10);
        assert_eq!(s.feed(b"b\r\n"), Err(Malformed));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut x = 0x1234_5678_9abc_def1u64;
        for _ in 0..20_000 {
            let mut s = ChunkedSkipper::new(1 << 20);
            let len = (x % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    let alphabet = b"0123456789abcdefABCDEF;= \r\n\txZ";
                    alphabet[(x % alphabet.len() as u64) as usize]
                })
                .collect();
            if let Ok(n) = s.feed(&bytes) {
                assert!(n <= bytes.len());
            }
        }
    }
}
