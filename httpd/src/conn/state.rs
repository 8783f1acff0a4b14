//! The decisions of one connection, without I/O: [`Core`] takes the bytes read and the time,
//! frames the input into request heads (pipelined, split across reads, followed by a body to
//! skip), and says what comes next: answer a head, refuse and close, wait for input (until
//! which deadline), close or linger. [`super::connection`] makes the system calls around it
//! and answers the heads; the tests here drive the core with bytes alone.

use crate::conn::ctx::Timeouts;
use crate::http::chunked::ChunkedSkipper;
use crate::http::parse::{self, Limits};
use crate::http::request::{self, Method};
use crate::http::status::Status;
use std::time::Instant;

/// Where the connection stands on its input side. (Output waiting to be sent is the I/O
/// layer's: it may be pending in any phase but `Lingering`, and while it is, no input is
/// read.)
#[derive(Debug)]
pub(crate) enum Phase {
    /// Between requests, or inside a head: the input is searched for the end of a head.
    Head,
    /// The request was answered; this many bytes of its `Content-Length` body are still to
    /// be dropped (they must keep coming: the header timeout runs).
    SkipBody(u64),
    /// The head in the first `head_len` bytes of the input waits, unanswered, while its
    /// chunked body behind it is framed and dropped as it arrives.
    ChunkedBody {
        head_len: usize,
        skipper: ChunkedSkipper,
    },
    /// The last response is decided (no keep-alive): nothing more is answered; once the
    /// output is sent the connection closes, or lingers if the client may still be sending.
    /// `unread`: input was left unread for certain (a refused head, a body not skipped).
    Closing { unread: bool },
    /// Our side is shut: input is read and dropped until the client closes or the deadline.
    Lingering,
}

/// What the input holds next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Framed {
    /// A complete head, the first `len` bytes of [`Core::input`], to be answered (then
    /// [`Core::answered`], or [`Core::skip_chunked`] if a chunked body comes first).
    /// `chunked_done`: its chunked body has been skipped (the request was counted when the
    /// head first came).
    Head { len: usize, chunked_done: bool },
    /// Answer `status` and close ([`Core::refused`]): a head refused before its end, or a
    /// chunked body that cannot be framed.
    Refuse(Status),
    /// Nothing to answer until more input comes.
    NeedInput,
}

/// What to wait for once everything answered has been sent.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Await {
    /// The client closed: close.
    Close,
    /// The rest of a request (a head, or a body being skipped) until `deadline`: acknowledge
    /// what came at once.
    Rest { deadline: Instant },
    /// The next request of an idle connection until `deadline` (the input buffer was
    /// released; the output one should be).
    Idle { deadline: Instant },
}

/// One connection's input and the state it puts the connection in.
#[derive(Debug)]
pub(crate) struct Core {
    /// Received bytes not yet consumed.
    inbuf: Vec<u8>,
    /// Bytes of `inbuf` before this are consumed (compacted before the next read, so a
    /// pipeline of many requests costs one move per read, not one per request).
    in_pos: usize,
    /// How far the unconsumed input has been searched for the end of a head.
    scanned: usize,
    /// When the first byte of the head being received arrived.
    head_started: Option<Instant>,
    phase: Phase,
    /// The client closed its side.
    peer_eof: bool,
    /// Requests answered on this connection.
    requests: u32,
}

/// Do not read more while this much unanswered input is buffered.
pub(crate) const MAX_INBUF: usize = 64 * 1024;

/// Whether a response carries its body: never to HEAD, never with `304`.
pub(crate) fn sends_body(method: Method, status: Status) -> bool {
    method != Method::Head && status != Status::NotModified
}

impl Core {
    pub(crate) fn new() -> Core {
        Core {
            inbuf: Vec::new(),
            in_pos: 0,
            scanned: 0,
            head_started: None,
            phase: Phase::Head,
            peer_eof: false,
            requests: 0,
        }
    }

    /// The received bytes not consumed yet.
    pub(crate) fn input(&self) -> &[u8] {
        &self.inbuf[self.in_pos..]
    }

    pub(crate) fn peer_eof(&self) -> bool {
        self.peer_eof
    }

    pub(crate) fn is_closing(&self) -> bool {
        matches!(self.phase, Phase::Closing { .. })
    }

    pub(crate) fn is_lingering(&self) -> bool {
        matches!(self.phase, Phase::Lingering)
    }

    /// Whether a read should be made (output permitting): not after EOF, not with a full
    /// buffer. Compacts the buffer first.
    pub(crate) fn wants_read(&mut self) -> bool {
        if self.peer_eof || self.input().len() >= MAX_INBUF {
            return false;
        }
        if self.in_pos > 0 {
            self.inbuf.drain(..self.in_pos);
            self.in_pos = 0;
        }
        true
    }

    /// Bytes read at `now`.
    pub(crate) fn received(&mut self, bytes: &[u8], now: Instant) {
        if self.input().is_empty() && !matches!(self.phase, Phase::SkipBody(_)) {
            self.head_started = Some(now);
        }
        self.inbuf.extend_from_slice(bytes);
    }

    /// The client closed its side (a read returned 0).
    pub(crate) fn eof(&mut self) {
        self.peer_eof = true;
    }

    fn consume(&mut self, n: usize) {
        self.in_pos += n.min(self.input().len());
        if self.in_pos == self.inbuf.len() {
            self.inbuf.clear();
            self.in_pos = 0;
        }
        self.scanned = 0;
    }

    /// A head ends here: the next one starts with what is left.
    fn next_head_starts(&mut self, now: Instant) {
        self.head_started = (!self.input().is_empty()).then_some(now);
    }

    /// Frames the input: drops body bytes being skipped and says what comes next.
    pub(crate) fn next(&mut self, limits: &Limits, now: Instant) -> Framed {
        let available = self.input().len() as u64;
        match &mut self.phase {
            Phase::Head => {}
            Phase::SkipBody(left) => {
                let n = (*left).min(available);
                *left -= n;
                let done = *left == 0;
                self.consume(n as usize);
                if !done {
                    return Framed::NeedInput;
                }
                self.phase = Phase::Head;
                self.next_head_starts(now);
            }
            Phase::ChunkedBody { head_len, skipper } => {
                let start = self.in_pos + *head_len;
                return match skipper.feed(&self.inbuf[start..]) {
                    Ok(n) => {
                        self.inbuf.drain(start..start + n);
                        if !skipper.is_done() {
                            return Framed::NeedInput;
                        }
                        let len = *head_len;
                        self.phase = Phase::Head;
                        Framed::Head {
                            len,
                            chunked_done: true,
                        }
                    }
                    Err(_) => Framed::Refuse(Status::BadRequest),
                };
            }
            Phase::Closing { .. } | Phase::Lingering => return Framed::NeedInput,
        }
        if self.scanned == 0 {
            let empty = parse::skip_empty_lines(self.input());
            if empty > 0 {
                self.consume(empty);
            }
        }
        if self.input().is_empty() {
            return Framed::NeedInput;
        }
        let Some(len) = parse::find_head_end(self.input(), self.scanned) else {
            if let Err(status) = parse::check_partial(self.input(), limits) {
                return Framed::Refuse(status);
            }
            self.scanned = parse::rescan_from(self.input());
            return Framed::NeedInput;
        };
        self.requests += 1;
        Framed::Head {
            len,
            chunked_done: false,
        }
    }

    /// The head of `len` bytes has a chunked body: it waits in the input, unanswered, until
    /// the body is skipped (call [`next`](Self::next) again).
    pub(crate) fn skip_chunked(&mut self, len: usize) {
        self.phase = Phase::ChunkedBody {
            head_len: len,
            skipper: ChunkedSkipper::new(request::MAX_BODY),
        };
    }

    /// Whether the answer to the current request may keep the connection open, the request
    /// and its answer allowing (`wanted`): not past `max` requests.
    pub(crate) fn keeps_alive(&self, wanted: bool, max: u32) -> bool {
        wanted && self.requests < max
    }

    /// The head of `len` bytes was answered; `skip` bytes of body follow it; `keep_alive`
    /// as the response said (or false if it could not be sent whole); `error` if it was an
    /// error page (the client's input cannot be trusted: the close lingers).
    pub(crate) fn answered(
        &mut self,
        len: usize,
        skip: u64,
        keep_alive: bool,
        error: bool,
        now: Instant,
    ) {
        self.consume(len);
        self.next_head_starts(now);
        self.phase = if !keep_alive {
            Phase::Closing {
                unread: error || skip > 0,
            }
        } else if skip > 0 {
            Phase::SkipBody(skip)
        } else {
            Phase::Head
        };
    }

    /// A [`Framed::Refuse`] was answered: the input is dropped with the connection. True if
    /// it counts as the connection's first request.
    pub(crate) fn refused(&mut self) -> bool {
        self.inbuf = Vec::new();
        self.in_pos = 0;
        self.scanned = 0;
        self.phase = Phase::Closing { unread: true };
        let first = self.requests == 0;
        if first {
            self.requests = 1;
        }
        first
    }

    /// All output sent after the last response: true if the close must linger (the client
    /// may still be sending, and closing with unread input would reset the connection and
    /// destroy the response). Lingering drops the buffer.
    pub(crate) fn close(&mut self) -> bool {
        // (Bytes that arrive after this check still meet a closed socket; nginx has the same
        // window. Peeking the socket would cost a system call per connection for little.)
        let unread = match self.phase {
            Phase::Closing { unread } => unread,
            Phase::SkipBody(_) | Phase::ChunkedBody { .. } => true,
            Phase::Head | Phase::Lingering => false,
        };
        let linger = !self.peer_eof && (unread || !self.input().is_empty());
        if linger {
            self.phase = Phase::Lingering;
            self.inbuf = Vec::new();
            self.in_pos = 0;
        }
        linger
    }

    /// Everything answered has been sent: what to wait for.
    pub(crate) fn wait(&mut self, now: Instant, timeouts: &Timeouts) -> Await {
        if self.peer_eof {
            return Await::Close;
        }
        match self.phase {
            Phase::SkipBody(_) | Phase::ChunkedBody { .. } => Await::Rest {
                deadline: now + timeouts.header,
            },
            _ if self.input().is_empty() => {
                // An idle connection keeps no buffers.
                self.inbuf = Vec::new();
                self.in_pos = 0;
                // A new connection has the header timeout for its first request (as nginx).
                let wait = if self.requests == 0 {
                    timeouts.header
                } else {
                    timeouts.keepalive
                };
                Await::Idle {
                    deadline: now + wait,
                }
            }
            _ => Await::Rest {
                deadline: self.head_started.unwrap_or(now) + timeouts.header,
            },
        }
    }

    /// The deadline passed with no output pending: true if a client is in the middle of
    /// a request head (or the chunked body of a request not answered yet), which gets a
    /// `408`; an idle, lingering or body-skipping connection is closed without a word.
    pub(crate) fn mid_head(&self) -> bool {
        matches!(self.phase, Phase::Head | Phase::ChunkedBody { .. }) && !self.input().is_empty()
    }

    /// No request in progress (with no output pending, a graceful stop closes it).
    pub(crate) fn is_idle(&self) -> bool {
        matches!(self.phase, Phase::Head | Phase::Closing { .. }) && self.input().is_empty()
    }
}
