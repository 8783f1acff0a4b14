//! One proxied request, from the head httpd accepted to the end of the upstream's response:
//! a connection taken from the [`Pool`] or opened (non-blocking), the request head and body
//! sent as the client's bytes arrive, the response head read and checked, its body relayed
//! into the client's output (or, a long one that passes as it is, spliced into the
//! client's socket: [`crate::proxy::splice`]), and the connection put back in the pool if
//! it may carry another request.
//!
//! [`Exchange::pump`] moves whatever can move without blocking and says what the
//! connection waits for; [`Exchange::watch`], once the connection is about to wait,
//! registers the upstream socket with the worker's epoll (token
//! [`UPSTREAM_TOKEN_BASE`] + its descriptor, lent to the connection in the
//! [`Pool`]'s owners), reading it only while the client's output is below [`BUFFER_LIMIT`]
//! and taking client bytes only while the upstream's is: the backpressure of both
//! directions. The registration stays while the socket lives, in the pool too (for
//! reading), so a kept connection costs no `epoll_ctl` per request; and the socket is read
//! only when a wake-up said so, a read filled the buffer, or it is registered but not for
//! reading: no read for an `EAGAIN` right after the request went, on a kept connection or a
//! new one.
//!
//! Failures: a refused or failed connect, a reset, an upstream that closes before a whole
//! head, or a malformed head, before anything reached the client, is [`Progress::Failed`]
//! with `502`; a timeout there, `504` (the connection's deadline, [`Exchange::deadline`]).
//! After the head went to the client the connection can only be cut
//! ([`Progress::Aborted`]). A pooled connection that turns out closed (EOF or reset before
//! any response byte) is replaced once by a new one when the request is idempotent and no
//! body byte was taken yet.

use crate::http::status::Status;
use crate::net::idle::idle_alive;
use crate::proxy::forward::RequestBody;
use crate::proxy::headers::{self, ParsedResponse};
use crate::proxy::pool::Pool;
use crate::proxy::relay::Relay;
use crate::proxy::route::ProxySettings;
use crate::proxy::splice::{self, BodyPipe, Pipes, SPLICE_MIN};
use crate::proxy::{BUFFER_LIMIT, UPSTREAM_TOKEN_BASE};
use netcore::reactor::connect::{self, Connecting};
use netcore::reactor::send;
use netcore::{Interest, Readiness};
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::time::{Duration, Instant};

/// What the exchange needs from the connection and the worker while it is pumped.
pub(crate) struct Io<'a> {
    /// The client's input not consumed yet (request body bytes, maybe a pipelined request).
    pub(crate) input: &'a [u8],
    /// Set by the pump: how much of `input` was body.
    pub(crate) consumed: usize,
    /// The client closed its side.
    pub(crate) client_eof: bool,
    /// The client's pending output; the response is appended.
    pub(crate) out: &'a mut Vec<u8>,
    /// The client's socket, for a body spliced into it (after `out` went).
    pub(crate) client: BorrowedFd<'a>,
    /// Set by the pump: body bytes spliced into the client's socket.
    pub(crate) spliced: u64,
    pub(crate) pipes: &'a mut Pipes,
    pub(crate) pool: &'a mut Pool,
    pub(crate) poller: &'a mut dyn Readiness,
    pub(crate) scratch: &'a mut [u8],
    pub(crate) now: Instant,
    /// The upstream socket reported an error or hang-up: read it whatever the output holds.
    pub(crate) upstream_hup: bool,
    /// The upstream socket was reported readable (or hung up).
    pub(crate) upstream_readable: bool,
}

/// What the wake-up that drives a proxying connection said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Wake {
    /// The upstream socket is readable (or hung up).
    pub(crate) upstream_readable: bool,
    /// The upstream socket hung up or failed.
    pub(crate) upstream_hangup: bool,
    /// The client's socket is readable while an exchange is under way.
    pub(crate) client_readable: bool,
}

impl Wake {
    /// Nothing said (a new request, or the same wake-up handled again).
    pub(crate) const NONE: Wake = Wake {
        upstream_readable: false,
        upstream_hangup: false,
        client_readable: false,
    };
}

/// What came of a pump.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Under way; `read_client`: more request body is wanted from the client.
    Pending { read_client: bool },
    /// The response was relayed whole; `body_unread`: the request body was not all taken
    /// from the client (the upstream answered early), so the client connection must close.
    Done { body_unread: bool },
    /// Nothing of the response reached the client: answer this status (and close).
    Failed(Status, String),
    /// The response was under way: the client connection is cut.
    Aborted(String),
}

/// One proxied request.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) upstream: SocketAddr,
    /// The connection's id, to which the upstream socket's events are lent.
    id: usize,
    stream: Option<TcpStream>,
    connecting: bool,
    /// The connection came from the pool.
    reused: bool,
    /// Since when the exchange counts among its upstream's busy ones ([`Pool::hold`]).
    holds: Option<Instant>,
    /// Since when the request waits in its upstream's queue for a connection.
    queued_since: Option<Instant>,
    retried: bool,
    registered: Option<Interest>,
    /// The last read filled the buffer: more may wait, with no new wake-up for it.
    more_to_read: bool,
    /// The request head, kept for the retry until the response begins.
    head: Vec<u8>,
    to_up: Vec<u8>,
    to_up_pos: usize,
    body: RequestBody,
    body_taken: u64,
    idempotent: bool,
    /// Response bytes before the relay takes over (the head, interim heads).
    from_up: Vec<u8>,
    relay: Option<Relay>,
    /// The pipe of a spliced response body ([`crate::proxy::splice`]).
    pipe: Option<BodyPipe>,
    /// The kernel refused to splice: the body is copied.
    copy_only: bool,
    head_request: bool,
    client_11: bool,
    /// Keep-alive wanted and allowed for the client, before the response's framing.
    keep_alive: bool,
    /// The status sent to the client, once the head went.
    pub(crate) status: Option<u16>,
    connect_timeout: Duration,
    read_timeout: Duration,
    keepalive_max: usize,
    /// The longest the request waits in its upstream's queue (`proxy_queue_wait`).
    queue_wait: Duration,
    /// Since when the exchange waits on the upstream (connect, send, or its response).
    waiting_since: Option<Instant>,
    /// The client head promised keep-alive.
    pub(crate) client_keep_alive: bool,
}

/// Whether a method may be sent twice (RFC 9110 §9.2.2).
fn idempotent(method: &[u8]) -> bool {
    matches!(
        method,
        b"GET" | b"HEAD" | b"PUT" | b"DELETE" | b"OPTIONS" | b"TRACE"
    )
}

/// Nothing to read from the upstream yet (or a signal came first): wait for its event.
fn not_yet(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
    )
}

impl Exchange {
    /// An exchange for connection `id` sending `head` (written by
    /// [`headers::request_head`]) then `body` to `upstream`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        id: usize,
        upstream: SocketAddr,
        method: &[u8],
        head: Vec<u8>,
        body: RequestBody,
        client_11: bool,
        keep_alive: bool,
        settings: &ProxySettings,
    ) -> Exchange {
        Exchange {
            upstream,
            id,
            stream: None,
            connecting: false,
            reused: false,
            holds: None,
            queued_since: None,
            retried: false,
            registered: None,
            more_to_read: false,
            to_up: head.clone(),
            head,
            to_up_pos: 0,
            body,
            body_taken: 0,
            idempotent: idempotent(method),
            from_up: Vec::new(),
            relay: None,
            pipe: None,
            copy_only: false,
            head_request: method == b"HEAD",
            client_11,
            keep_alive,
            status: None,
            connect_timeout: settings.connect_timeout,
            read_timeout: settings.read_timeout,
            keepalive_max: settings.keepalive,
            queue_wait: settings.queue_wait,
            waiting_since: None,
            client_keep_alive: false,
        }
    }

    /// The client's connection is to be kept alive after this response, as far as its
    /// request says (the response's framing may still end it).
    pub(crate) fn keeps_client(&self) -> bool {
        self.keep_alive
    }

    /// Body bytes given to the client so far.
    pub(crate) fn body_bytes(&self) -> u64 {
        self.relay.as_ref().map_or(0, |r| r.body_bytes)
    }

    /// Spliced body bytes wait for the client's socket to take them.
    pub(crate) fn waits_on_client(&self) -> bool {
        self.pipe.as_ref().is_some_and(|p| p.held > 0)
    }

    /// How much body the next read may splice, if it splices: the rest of a body that
    /// passes as it is, once the output is empty and the pipe too.
    fn splice_max(&self, io: &Io<'_>) -> Option<u64> {
        if self.copy_only || !io.out.is_empty() || self.waits_on_client() {
            return None;
        }
        let left = self.relay.as_ref()?.passthrough()?;
        (self.pipe.is_some() || left >= SPLICE_MIN).then_some(left)
    }

    /// Gives the pipe's bytes to the client; `Err`: the client's socket failed.
    fn drain_pipe(&mut self, io: &mut Io<'_>) -> Result<bool, String> {
        let Some(pipe) = self.pipe.as_mut().filter(|p| p.held > 0) else {
            return Ok(false);
        };
        let more = !self.relay.as_ref().is_some_and(Relay::is_done);
        match pipe.drain(io.client, more) {
            Ok(n) => {
                io.spliced += n as u64;
                Ok(n > 0)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(format!("sending to the client: {e}")),
        }
    }

    /// When the upstream has kept the exchange waiting too long (`None`: it waits on the
    /// client, or on nothing).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        if let Some(since) = self.queued_since {
            return Some(since + self.queue_wait);
        }
        let limit = if self.connecting {
            self.connect_timeout
        } else {
            self.read_timeout
        };
        self.waiting_since.map(|t| t + limit)
    }

    /// The deadline passed: `504` if nothing went to the client yet.
    pub(crate) fn timed_out(&mut self) -> Progress {
        self.stream = None;
        let what = if self.connecting {
            "connect timed out"
        } else {
            "timed out"
        };
        if self.status.is_none() {
            Progress::Failed(Status::GatewayTimeout, what.into())
        } else {
            Progress::Aborted(format!("{what} in the response body"))
        }
    }

    fn fail(&mut self, why: String) -> Progress {
        self.stream = None;
        if self.status.is_none() {
            Progress::Failed(Status::BadGateway, why)
        } else {
            Progress::Aborted(why)
        }
    }

    /// The request waits in its upstream's queue for a connection ([`Pool`]).
    pub(crate) fn is_queued(&self) -> bool {
        self.queued_since.is_some()
    }

    /// The exchange is over, or let go of its connection: it no longer counts among its
    /// upstream's busy ones, nor waits in its queue.
    pub(crate) fn release(&mut self, pool: &mut Pool, now: Instant) {
        if let Some(since) = self.holds.take() {
            pool.release(self.upstream, now.saturating_duration_since(since));
        }
        if self.queued_since.take().is_some() {
            pool.unwait(self.upstream, self.id);
        }
    }

    fn hold(&mut self, pool: &mut Pool, now: Instant) {
        if self.queued_since.take().is_some() {
            pool.unwait(self.upstream, self.id);
        }
        if self.holds.is_none() {
            self.holds = Some(now);
            pool.hold(self.upstream);
        }
    }

    /// Opens (or takes from the pool) the upstream connection; `Ok(false)`: none is free
    /// and the request waits in the upstream's queue.
    fn open(&mut self, io: &mut Io<'_>, from_pool: bool) -> Result<bool, String> {
        self.registered = None;
        self.more_to_read = false;
        if from_pool {
            // A request that could go again on a new connection (the retry) needs no peek.
            let check = !self.idempotent || !self.body.is_done();
            if let Some(s) = io.pool.take(self.upstream, io.now, check, self.id) {
                self.hold(io.pool, io.now);
                self.waiting_since = Some(io.now);
                self.stream = Some(s);
                self.registered = Some(Interest::READ);
                self.reused = true;
                self.connecting = false;
                return Ok(true);
            }
            let waited = self
                .queued_since
                .is_some_and(|t| io.now >= t + self.queue_wait);
            if !io
                .pool
                .may_connect(self.upstream, self.keepalive_max, self.queue_wait, waited)
            {
                self.queued_since.get_or_insert(io.now);
                io.pool.wait(self.upstream, self.id);
                return Ok(false);
            }
        }
        self.hold(io.pool, io.now);
        self.waiting_since = Some(io.now);
        self.reused = false;
        let (s, connecting) = match connect::connect(self.upstream) {
            Ok(Connecting::Done(s)) => (s, false),
            Ok(Connecting::InProgress(s)) => (s, true),
            Err(e) => return Err(format!("connect: {e}")),
        };
        // Requests and bodies are written whole; Nagle would only hold their last segment back.
        let _ = s.set_nodelay(true);
        self.stream = Some(s);
        self.connecting = connecting;
        Ok(true)
    }

    /// A pooled connection turned out closed: may the request go again on a new one?
    fn may_retry(&self) -> bool {
        self.reused
            && !self.retried
            && self.idempotent
            && self.body_taken == 0
            && self.relay.is_none()
            && self.from_up.is_empty()
    }

    fn retry(&mut self, io: &mut Io<'_>) -> Result<(), String> {
        self.retried = true;
        self.stream = None;
        self.to_up.clear();
        self.to_up.extend_from_slice(&self.head);
        self.to_up_pos = 0;
        self.open(io, false).map(|_| ())
    }

    /// Moves what can move; see [`Progress`].
    pub(crate) fn pump(&mut self, io: &mut Io<'_>) -> Progress {
        if self.stream.is_none() && self.relay.as_ref().is_none_or(|r| !r.is_done()) {
            match self.open(io, true) {
                Ok(true) => {}
                // Queued: nothing moves until a connection falls free (or the wait ends).
                Ok(false) => return Progress::Pending { read_client: false },
                Err(why) => return self.fail(why),
            }
        }
        loop {
            let mut moved = match self.drain_pipe(io) {
                Ok(m) => m,
                Err(why) => return self.fail(why),
            };
            if self.relay.as_ref().is_some_and(Relay::is_done) && !self.waits_on_client() {
                return self.finish(io);
            }
            let Some(stream) = &self.stream else {
                return self.fail("no connection".into());
            };
            if self.connecting {
                match connect::finish_connect(stream) {
                    Ok(true) => {
                        self.connecting = false;
                        self.waiting_since = Some(io.now);
                        moved = true;
                    }
                    Ok(false) => break,
                    Err(e) => return self.fail(format!("connect: {e}")),
                }
            }
            // The client's body into the upstream's buffer, while it has room.
            if !self.body.is_done() && self.to_up.len() - self.to_up_pos < BUFFER_LIMIT {
                if self.to_up_pos > 0 {
                    self.to_up.drain(..self.to_up_pos);
                    self.to_up_pos = 0;
                }
                let room = BUFFER_LIMIT - self.to_up.len();
                let avail = &io.input[io.consumed..];
                let avail = &avail[..avail.len().min(room)];
                match self.body.forward(avail, &mut self.to_up) {
                    Ok(n) => {
                        io.consumed += n;
                        self.body_taken += n as u64;
                        moved |= n > 0;
                    }
                    Err(_) => {
                        self.stream = None;
                        return match self.status {
                            None => Progress::Failed(
                                Status::BadRequest,
                                "the request's chunked body cannot be framed".into(),
                            ),
                            Some(_) => Progress::Aborted(
                                "the request's chunked body cannot be framed".into(),
                            ),
                        };
                    }
                }
                if !self.body.is_done() && io.client_eof && io.consumed == io.input.len() {
                    self.stream = None;
                    return Progress::Aborted(
                        "the client closed before the end of the request body".into(),
                    );
                }
            }
            // The upstream's buffer out.
            let Some(stream) = &self.stream else { break };
            if !self.connecting {
                while self.to_up_pos < self.to_up.len() {
                    match send::send(stream, &self.to_up[self.to_up_pos..], false) {
                        Ok(n) => {
                            self.to_up_pos += n;
                            self.waiting_since = Some(io.now);
                            moved = true;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if gone(&e) && self.may_retry() => {
                            if let Err(why) = self.retry(io) {
                                return self.fail(why);
                            }
                            return self.pump(io);
                        }
                        Err(e) => return self.fail(format!("send: {e}")),
                    }
                }
                if self.to_up_pos == self.to_up.len() {
                    self.to_up.clear();
                    self.to_up_pos = 0;
                }
            }
            // The upstream's response into the client's output (or spliced into the
            // client's socket), while there is room.
            if self.stream.is_none() {
                break;
            }
            let response_done = self.relay.as_ref().is_some_and(Relay::is_done);
            // Read when told it is readable, when the last read filled the buffer, or when
            // it is registered but not for reading (no wake-up would say so). A new
            // connection, not registered yet, is not read: its response cannot be there
            // right after the request, and `watch` registers it for reading (level-triggered:
            // a response already there is reported at once); reading it cost an `EAGAIN`
            // for every new connection.
            let unwatched = self.registered.is_some_and(|i| !i.readable);
            let may_have =
                io.upstream_readable || io.upstream_hup || self.more_to_read || unwatched;
            if io.upstream_hup && self.waits_on_client() {
                // A hang-up is reported whatever the interest: the pipe's bytes move to the
                // output (at most a pipe's worth) and the rest is copied, read whatever the
                // output holds as below, so that the error or EOF is seen now.
                if let Some(mut pipe) = self.pipe.take() {
                    if pipe.read_into(io.out).is_err() {
                        return self.fail("reading back a pipe failed".into());
                    }
                    io.pipes.give(pipe);
                }
                self.copy_only = true;
            }
            if may_have && !self.connecting && !response_done {
                if let Some(left) = self.splice_max(io) {
                    match self.splice_in(left, io) {
                        Ok(m) => {
                            moved |= m;
                            if !moved {
                                break;
                            }
                            continue;
                        }
                        Err(p) => return p,
                    }
                }
            }
            let Some(stream) = &self.stream else { break };
            if !self.connecting
                && !self.waits_on_client()
                && !response_done
                && may_have
                && (io.out.len() < BUFFER_LIMIT || io.upstream_hup)
            {
                io.upstream_hup = false;
                io.upstream_readable = false;
                let mut s: &TcpStream = stream;
                match s.read(io.scratch) {
                    Ok(0) => return self.upstream_closed(io),
                    Ok(n) => {
                        self.more_to_read = n == io.scratch.len();
                        self.waiting_since = Some(io.now);
                        moved = true;
                        if let Some(p) = self.received(n, io) {
                            return p;
                        }
                    }
                    Err(e) if not_yet(&e) => {
                        self.more_to_read = false;
                    }
                    Err(e) if gone(&e) && self.may_retry() => {
                        if let Err(why) = self.retry(io) {
                            return self.fail(why);
                        }
                        return self.pump(io);
                    }
                    Err(e) => return self.fail(format!("read: {e}")),
                }
            }
            if self.relay.as_ref().is_some_and(Relay::is_done) && !self.waits_on_client() {
                return self.finish(io);
            }
            if !moved {
                break;
            }
        }
        Progress::Pending {
            read_client: !self.body.is_done(),
        }
    }

    /// Splices up to `left` body bytes from the upstream into the (empty) pipe: `Ok(true)`
    /// if any moved (or the body ended), `Ok(false)` if none was there or the kernel
    /// refused (the body is copied from now on).
    fn splice_in(&mut self, left: u64, io: &mut Io<'_>) -> Result<bool, Progress> {
        if self.pipe.is_none() {
            self.pipe = io.pipes.take();
            if self.pipe.is_none() {
                // No descriptor for a pipe: this body is copied.
                self.copy_only = true;
                return Ok(false);
            }
        }
        let (Some(stream), Some(pipe)) = (&self.stream, &mut self.pipe) else {
            return Ok(false);
        };
        let want = left.min(pipe.capacity() as u64);
        io.upstream_hup = false;
        io.upstream_readable = false;
        match pipe.fill(stream.as_fd(), want) {
            Ok(0) => {
                let until_close = left == u64::MAX;
                if until_close
                    && self
                        .relay
                        .as_mut()
                        .is_some_and(|r| r.upstream_closed(io.out))
                {
                    // The end of a body until close: the pipe's bytes go, then `finish`.
                    self.more_to_read = false;
                    Ok(true)
                } else {
                    Err(self.upstream_closed(io))
                }
            }
            Ok(n) => {
                // A fill also stops short when the pipe's slots are full (a slot holds a
                // page of the socket's buffer, not 4 KiB of bytes): more than half the pipe
                // counts as a full read, so the next fill is tried without a wake-up.
                self.more_to_read = n as u64 == want || n > pipe.capacity() / 2;
                self.waiting_since = Some(io.now);
                if let Some(relay) = &mut self.relay {
                    relay.passed(n as u64);
                }
                Ok(true)
            }
            Err(e) if not_yet(&e) => {
                self.more_to_read = false;
                Ok(false)
            }
            Err(e) if splice::refused(&e) => {
                self.copy_only = true;
                Ok(true)
            }
            Err(e) => Err(self.fail(format!("read: {e}"))),
        }
    }

    /// `n` bytes of the response are in `io.scratch`.
    fn received(&mut self, n: usize, io: &mut Io<'_>) -> Option<Progress> {
        if let Some(relay) = &mut self.relay {
            if relay.relay(&io.scratch[..n], io.out).is_err() {
                return Some(self.fail("malformed chunked response body".into()));
            }
            return None;
        }
        self.from_up.extend_from_slice(&io.scratch[..n]);
        loop {
            match headers::parse_response(&self.from_up) {
                ParsedResponse::Partial => return None,
                ParsedResponse::Malformed(why) => {
                    return Some(self.fail(format!("malformed response head: {why}")))
                }
                ParsedResponse::Complete(h) if h.interim() => {
                    if h.status == 101 {
                        return Some(
                            self.fail("101 Switching Protocols without an Upgrade".into()),
                        );
                    }
                    self.from_up.drain(..h.len);
                }
                ParsedResponse::Complete(h) => {
                    let relay = match Relay::new(&h, self.head_request, self.client_11) {
                        Ok(r) => r,
                        Err(why) => return Some(self.fail(format!("malformed response: {why}"))),
                    };
                    let framing = relay.client_framing();
                    let keep_alive = self.keep_alive && framing != headers::ClientFraming::Close;
                    headers::client_head(&self.from_up, &h, framing, keep_alive, io.out);
                    self.client_keep_alive = keep_alive;
                    self.status = Some(h.status);
                    self.head = Vec::new();
                    let mut relay = relay;
                    if h.close {
                        relay.extra = true;
                    }
                    let rest = self.from_up.split_off(h.len);
                    self.from_up = Vec::new();
                    if relay.relay(&rest, io.out).is_err() {
                        self.relay = Some(relay);
                        return Some(self.fail("malformed chunked response body".into()));
                    }
                    self.relay = Some(relay);
                    return None;
                }
            }
        }
    }

    /// The upstream closed its side.
    fn upstream_closed(&mut self, io: &mut Io<'_>) -> Progress {
        if self.relay.is_none() && self.may_retry() {
            return match self.retry(io) {
                Ok(()) => self.pump(io),
                Err(why) => self.fail(why),
            };
        }
        match &mut self.relay {
            None => {
                self.fail("the upstream closed the connection before a whole response head".into())
            }
            Some(relay) => {
                if relay.upstream_closed(io.out) {
                    self.stream = None;
                    self.finish(io)
                } else {
                    self.fail("the upstream closed the connection in the response body".into())
                }
            }
        }
    }

    /// The response is whole: the connection goes back to the pool if it may.
    fn finish(&mut self, io: &mut Io<'_>) -> Progress {
        let mut reusable = self.relay.as_ref().is_some_and(Relay::reusable)
            && self.body.is_done()
            && self.to_up_pos == self.to_up.len();
        // Bytes the upstream sent past the body (or its close) that no read took are still
        // in the socket: a splice takes no byte past the body, and a read that filled the
        // buffer may have ended exactly at its end. Then the connection is peeked, and not
        // reused if anything follows (nginx and HAProxy close such a connection too): the
        // next request, maybe pipelined and taken up in this turn, would get those bytes as
        // its response. A read that did not fill the buffer left nothing behind.
        let spliced = self.pipe.is_some();
        if let Some(pipe) = self.pipe.take() {
            io.pipes.give(pipe);
        }
        if reusable && (spliced || self.more_to_read) {
            reusable = self.stream.as_ref().is_some_and(idle_alive);
        }
        let registered = self.registered.take();
        if let Some(stream) = self.stream.take().filter(|_| reusable) {
            // Kept registered for reading while idle (a wake-up there is the upstream
            // closing it); a socket closed (not reusable) leaves epoll by itself.
            let fd = stream.as_raw_fd();
            let token = UPSTREAM_TOKEN_BASE + fd as usize;
            let watched = match registered {
                Some(Interest::READ) => Ok(()),
                Some(_) => io.poller.reregister(fd, token, Interest::READ),
                None => io.poller.register(fd, token, Interest::READ),
            };
            if watched.is_ok() {
                io.pool
                    .put(self.upstream, stream, io.now, self.keepalive_max);
            }
        }
        // Counted free before the worker looks at the queue: a request waiting there takes
        // the connection in this turn.
        self.release(io.pool, io.now);
        self.waiting_since = None;
        Progress::Done {
            body_unread: !self.body.is_done(),
        }
    }

    /// Registers the upstream socket for what the exchange waits on, and notes whether it
    /// waits on the upstream (its deadline) or on the client. Called once the connection
    /// is about to wait, with `out_len` the client's output it could not send: a pump that
    /// filled the output, which the connection then sent whole, changes no registration
    /// (two `epoll_ctl` a response saved).
    pub(crate) fn watch(
        &mut self,
        out_len: usize,
        pool: &mut Pool,
        poller: &mut dyn Readiness,
        now: Instant,
    ) {
        let Some(stream) = &self.stream else { return };
        let want = if self.connecting {
            Interest::WRITE
        } else {
            Interest {
                readable: out_len < BUFFER_LIMIT
                    && !self.waits_on_client()
                    && !self.relay.as_ref().is_some_and(Relay::is_done),
                writable: self.to_up_pos < self.to_up.len(),
            }
        };
        // Waiting on the upstream: a connect, a send it does not take, or its response
        // while the client has taken what came and sent the whole body.
        let on_upstream =
            self.connecting || want.writable || (want.readable && self.body.is_done());
        if !on_upstream {
            self.waiting_since = None;
        } else if self.waiting_since.is_none() {
            self.waiting_since = Some(now);
        }
        if self.registered == Some(want) {
            return;
        }
        let fd = stream.as_raw_fd();
        let token = UPSTREAM_TOKEN_BASE + fd as usize;
        let r = match self.registered {
            None => {
                pool.lend(fd, self.id);
                poller.register(fd, token, want)
            }
            Some(_) => poller.reregister(fd, token, want),
        };
        if r.is_ok() {
            self.registered = Some(want);
        }
    }
}
