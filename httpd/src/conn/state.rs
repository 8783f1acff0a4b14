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
    /// The request's head was consumed and it is being proxied: the input is its body (then,
    /// perhaps, the next request), taken by the exchange with [`Core::take`].
    Proxying,
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

    #[cfg(test)]
    fn phase(&self) -> &Phase {
        &self.phase
    }

    /// The received bytes not consumed yet.
    pub(crate) fn input(&self) -> &[u8] {
        &self.inbuf[self.in_pos..]
    }

    #[cfg(test)]
    fn requests(&self) -> u32 {
        self.requests
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
            Phase::Closing { .. } | Phase::Lingering | Phase::Proxying => return Framed::NeedInput,
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

    /// The head of `len` bytes is proxied: it is consumed, and the input that follows is
    /// its body until [`end_proxy`](Self::end_proxy).
    pub(crate) fn begin_proxy(&mut self, len: usize) {
        self.consume(len);
        self.phase = Phase::Proxying;
    }

    /// `n` bytes of request body went to the exchange.
    pub(crate) fn take(&mut self, n: usize) {
        if n > 0 {
            self.consume(n);
        }
    }

    /// The proxied request is over: the next head is read if `keep_alive`, else the
    /// connection closes (`unread`: the request body was not all read, so it lingers).
    pub(crate) fn end_proxy(&mut self, keep_alive: bool, unread: bool, now: Instant) {
        self.scanned = 0;
        self.next_head_starts(now);
        self.phase = if keep_alive {
            Phase::Head
        } else {
            Phase::Closing { unread }
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
            Phase::SkipBody(_) | Phase::ChunkedBody { .. } | Phase::Proxying => true,
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
            Phase::SkipBody(_) | Phase::ChunkedBody { .. } | Phase::Proxying => Await::Rest {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse::Parsed;
    use crate::http::request::BodyFraming;
    use std::time::Duration;

    /// Drives a [`Core`] as the connection does, answering each head with its path (or the
    /// status of an error) instead of a response.
    struct Sim {
        core: Core,
        now: Instant,
        limits: Limits,
        timeouts: Timeouts,
        max_requests: u32,
    }

    impl Sim {
        fn new() -> Sim {
            Sim {
                core: Core::new(),
                now: Instant::now(),
                limits: Limits::default(),
                timeouts: Timeouts::default(),
                max_requests: 1000,
            }
        }

        fn read(&mut self, bytes: &[u8]) {
            assert!(self.core.wants_read());
            self.core.received(bytes, self.now);
        }

        /// Answers every request the input holds, in order, until one closes.
        fn answer(&mut self) -> Vec<String> {
            let mut answers = Vec::new();
            while !self.core.is_closing() {
                match self.core.next(&self.limits, self.now) {
                    Framed::NeedInput => break,
                    Framed::Refuse(status) => {
                        answers.push(status.code().to_string());
                        self.core.refused();
                    }
                    Framed::Head { len, chunked_done } => {
                        let head = &self.core.input()[..len];
                        let req = match parse::parse(head, &self.limits) {
                            Ok(Parsed::Complete(head, _)) => request::interpret(head),
                            Ok(Parsed::Partial) => Err(Status::BadRequest),
                            Err(status) => Err(status),
                        };
                        let req = req.map(|r| {
                            let skip = match r.body {
                                BodyFraming::Length(n) => n,
                                BodyFraming::Chunked | BodyFraming::None => 0,
                            };
                            let path = String::from_utf8_lossy(r.raw_path).into_owned();
                            (path, skip, r.body == BodyFraming::Chunked, r.keep_alive)
                        });
                        match req {
                            Err(status) => {
                                answers.push(status.code().to_string());
                                self.core.answered(len, 0, false, true, self.now);
                            }
                            Ok((_, _, true, _)) if !chunked_done => self.core.skip_chunked(len),
                            Ok((path, skip, _, wanted)) => {
                                let keep = self.core.keeps_alive(wanted, self.max_requests);
                                answers.push(path);
                                self.core.answered(len, skip, keep, false, self.now);
                            }
                        }
                    }
                }
            }
            answers
        }

        fn wait(&mut self) -> Await {
            self.core.wait(self.now, &self.timeouts)
        }
    }

    fn get(path: &str) -> String {
        format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")
    }

    #[test]
    fn pipelined_heads_in_one_buffer_are_answered_in_order() {
        let mut sim = Sim::new();
        sim.read(format!("{}\r\n{}{}", get("/a"), get("/b"), get("/c")).as_bytes());
        assert_eq!(sim.answer(), ["/a", "/b", "/c"]);
        assert_eq!(sim.core.requests(), 3);
        assert!(matches!(sim.core.phase(), Phase::Head));
        assert!(sim.core.is_idle());
        let keepalive = sim.now + sim.timeouts.keepalive;
        assert_eq!(
            sim.wait(),
            Await::Idle {
                deadline: keepalive
            }
        );
    }

    #[test]
    fn a_head_split_across_reads_waits_for_its_end_under_the_header_timeout() {
        let mut sim = Sim::new();
        let start = sim.now;
        let header = start + sim.timeouts.header;
        assert_eq!(sim.wait(), Await::Idle { deadline: header });
        let whole = get("/split");
        let (one, two) = whole.as_bytes().split_at(20);
        sim.read(&one[..10]);
        assert!(sim.answer().is_empty());
        // The deadline runs from the first byte: later bytes do not push it back.
        sim.now += Duration::from_secs(10);
        sim.read(&one[10..]);
        assert!(sim.answer().is_empty());
        assert_eq!(sim.wait(), Await::Rest { deadline: header });
        assert!(!sim.core.is_idle());
        sim.read(two);
        assert_eq!(sim.answer(), ["/split"]);
    }

    #[test]
    fn a_content_length_body_is_skipped_after_the_answer() {
        let mut sim = Sim::new();
        sim.read(b"GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234");
        assert_eq!(sim.answer(), ["/a"]);
        assert!(matches!(sim.core.phase(), Phase::SkipBody(5)));
        assert!(!sim.core.mid_head());
        assert!(!sim.core.is_idle());
        let header = sim.now + sim.timeouts.header;
        assert_eq!(sim.wait(), Await::Rest { deadline: header });
        sim.read(b"567");
        assert!(sim.answer().is_empty());
        assert!(matches!(sim.core.phase(), Phase::SkipBody(2)));
        sim.read(format!("89{}", get("/b")).as_bytes());
        assert_eq!(sim.answer(), ["/b"]);
        assert!(sim.core.input().is_empty());
    }

    #[test]
    fn a_chunked_body_is_framed_before_its_request_is_answered() {
        let mut sim = Sim::new();
        sim.read(b"GET /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
        assert!(sim.answer().is_empty());
        assert!(matches!(sim.core.phase(), Phase::ChunkedBody { .. }));
        // Not answered yet: the header timeout's 408 still applies.
        assert!(sim.core.mid_head());
        sim.read(b"lo\r\n0\r\n\r\n");
        sim.read(get("/d").as_bytes());
        assert_eq!(sim.answer(), ["/c", "/d"]);
        assert_eq!(sim.core.requests(), 2);
        assert!(sim.core.input().is_empty());
    }

    #[test]
    fn a_chunked_body_that_cannot_be_framed_gets_400_and_a_lingering_close() {
        let mut sim = Sim::new();
        sim.read(b"GET /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        sim.read(get("/never").as_bytes());
        assert_eq!(sim.answer(), ["400"]);
        assert!(sim.core.is_closing());
        assert!(sim.core.input().is_empty());
        assert_eq!(sim.core.requests(), 1);
        assert!(sim.core.close());
        assert!(sim.core.is_lingering());
        assert!(!sim.core.mid_head());
    }

    #[test]
    fn keep_alive_or_close_as_the_request_asks() {
        let mut sim = Sim::new();
        sim.read(get("/a").as_bytes());
        assert_eq!(sim.answer(), ["/a"]);
        assert!(!sim.core.is_closing());

        let mut sim = Sim::new();
        sim.read(b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assert_eq!(sim.answer(), ["/a"]);
        assert!(sim.core.is_closing());
        // Nothing unread: close at once.
        assert!(!sim.core.close());

        let mut sim = Sim::new();
        sim.read(b"GET /a HTTP/1.0\r\n\r\n");
        assert_eq!(sim.answer(), ["/a"]);
        assert!(sim.core.is_closing());
        assert!(!sim.core.close());

        let mut sim = Sim::new();
        sim.read(b"GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        assert_eq!(sim.answer(), ["/a"]);
        assert!(!sim.core.is_closing());
    }

    #[test]
    fn nothing_is_answered_after_a_response_that_closes() {
        let mut sim = Sim::new();
        let close = "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        sim.read(format!("{close}{}", get("/b")).as_bytes());
        assert_eq!(sim.answer(), ["/a"]);
        assert_eq!(sim.core.next(&sim.limits, sim.now), Framed::NeedInput);
        // The next request is unread: the close lingers, and drops the buffer.
        assert!(sim.core.close());
        assert!(sim.core.is_lingering());
        assert!(sim.core.input().is_empty());
    }

    #[test]
    fn the_close_lingers_only_while_the_client_may_still_send() {
        // A body not skipped (the response closed first).
        let mut sim = Sim::new();
        sim.read(b"GET /a HTTP/1.0\r\nContent-Length: 100\r\n\r\n0123");
        assert_eq!(sim.answer(), ["/a"]);
        assert!(sim.core.close());

        // A refused head (431: a header line over the limit) leaves input unread.
        let mut sim = Sim::new();
        let long = format!("GET / HTTP/1.1\r\nX: {}", "a".repeat(9000));
        sim.read(long.as_bytes());
        assert_eq!(sim.answer(), ["431"]);
        assert_eq!(sim.core.requests(), 1);
        assert!(sim.core.close());

        // ... unless the client has closed its side.
        let mut sim = Sim::new();
        sim.read(long.as_bytes());
        sim.core.eof();
        assert_eq!(sim.answer(), ["431"]);
        assert!(!sim.core.close());
        assert!(!sim.core.is_lingering());

        // An unparsable complete head: 400, and the close lingers.
        let mut sim = Sim::new();
        sim.read(b"GET / HTTP/1.1\r\nno colon\r\n\r\n");
        assert_eq!(sim.answer(), ["400"]);
        assert!(sim.core.close());
    }

    #[test]
    fn eof_closes_once_everything_is_answered() {
        let mut sim = Sim::new();
        sim.read(get("/a").as_bytes());
        sim.core.eof();
        assert!(!sim.core.wants_read());
        assert_eq!(sim.answer(), ["/a"]);
        assert_eq!(sim.wait(), Await::Close);
    }

    #[test]
    fn head_and_304_responses_carry_no_body() {
        assert!(sends_body(Method::Get, Status::Ok));
        assert!(sends_body(Method::Get, Status::NotFound));
        assert!(!sends_body(Method::Head, Status::Ok));
        assert!(!sends_body(Method::Get, Status::NotModified));
        assert!(!sends_body(Method::Head, Status::NotModified));
        // A HEAD in a pipeline takes no body bytes from the requests behind it.
        let mut sim = Sim::new();
        let head = "HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n";
        sim.read(format!("{head}{}{head}", get("/g")).as_bytes());
        assert_eq!(sim.answer(), ["/h", "/g", "/h"]);
    }

    #[test]
    fn the_408_is_only_for_a_client_in_the_middle_of_a_head() {
        let mut sim = Sim::new();
        assert!(!sim.core.mid_head(), "a new, silent connection");
        sim.read(b"GET / HT");
        assert!(sim.answer().is_empty());
        assert!(sim.core.mid_head());
        sim.read(b"TP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(sim.answer(), ["/"]);
        assert!(!sim.core.mid_head(), "idle between requests");
        sim.read(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(sim.answer(), ["/"]);
        assert!(!sim.core.mid_head(), "skipping a body");
        sim.read(b"12345\r\n");
        assert!(sim.answer().is_empty());
        assert!(!sim.core.mid_head(), "blank lines only");
        sim.read(b"GET");
        assert!(sim.answer().is_empty());
        assert!(sim.core.mid_head());
    }

    #[test]
    fn the_last_keep_alive_request_closes() {
        let mut sim = Sim::new();
        sim.max_requests = 2;
        sim.read(format!("{}{}{}", get("/1"), get("/2"), get("/3")).as_bytes());
        assert_eq!(sim.answer(), ["/1", "/2"]);
        assert!(sim.core.is_closing());
        assert_eq!(sim.core.requests(), 2);
        assert!(sim.core.close(), "the third request is unread");
    }

    #[test]
    fn a_full_buffer_is_not_read_into() {
        let mut sim = Sim::new();
        let huge = vec![b'a'; MAX_INBUF];
        sim.core.received(&huge, sim.now);
        assert!(!sim.core.wants_read());
    }
}
