//! One client connection: reading request heads, answering them in order, sending bodies,
//! keep-alive, and closing (with a lingering close when the client may still be sending).
//!
//! The decisions (how the input is framed into requests, which body is being skipped, keep
//! alive or close, linger or not, which deadline) are [`Core`]'s, in `state.rs`, which does
//! no I/O and is unit-tested there; this file makes the system calls around it, answers the
//! heads it frames, and keeps the output (bytes the socket did not take, a `sendfile` body).
//!
//! The worker calls [`Conn::on_event`] when the socket is ready and applies the returned
//! [`Next`]: the readiness to wait for, or close. A turn goes:
//!
//! 1. read what is there (one `read`) unless output is blocked (then the client waits: that
//!    is the back-pressure on a pipelining client);
//! 2. finish sending what earlier turns left (bytes, then the `sendfile` body);
//! 3. answer every complete request in the buffer, in order, into the worker's output
//!    buffer, until one has a large file body (sent with `sendfile` before the next request
//!    is looked at) or the batch is big; then one `send` for the whole batch (headers and
//!    small bodies of several pipelined responses leave in one system call);
//! 4. repeat 2-3 while progress is made; then wait for input (keep-alive) or for the socket
//!    to drain.
//!
//! Request bodies (`Content-Length` bytes, or a chunked body) are skipped, not kept. A
//! request with a chunked body is answered once its body has been skipped: a body that
//! cannot be framed gets `400` and the connection closes (nothing behind it can be trusted),
//! so a response never promises keep-alive the connection cannot keep. Responses to HEAD, and 304
//! responses, never carry a body, wherever they sit in a pipeline.
//!
//! Deadlines (each connection has one, checked by the worker's sweep): the head must arrive
//! within `header` of its first byte (slow senders are not refreshed by each byte); an idle
//! keep-alive connection lasts `keepalive`; a blocked send gets `send` of no progress; a
//! lingering close lasts `linger`.

use crate::conn::ctx::Ctx;
use crate::conn::proxied::{self, Proxied};
use crate::conn::state::{self, Await, Core, Framed};
use crate::files::reply::{Body, Reply, SMALL_BODY};
use crate::files::static_file;
use crate::http::parse::{self, Parsed};
use crate::http::request::{self, BodyFraming};
use crate::http::response;
use crate::http::status::Status;
use crate::log::access::{Entry, PendingLine};
use crate::proxy::exchange::{Io, Progress, Wake};
use crate::proxy::{BUFFER_LIMIT, UPSTREAM_TOKEN_BASE};
use netcore::reactor::send;
use netcore::{Event, Interest, Readiness};
use std::fs::File;
use std::io::{self, Read};
use std::net::{IpAddr, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::Instant;

/// Stop answering pipelined requests once this much output is waiting to be sent.
const OUT_BATCH: usize = 64 * 1024;
/// Most bytes one read takes from a client (the input buffer stops reads at
/// [`MAX_INBUF`](crate::conn::state::MAX_INBUF), so it holds at most that plus this).
pub(crate) const CLIENT_READ: usize = 16 * 1024;
/// At most this much `sendfile` per connection per turn, so one big download cannot starve
/// the other connections of a worker.
const SENDFILE_TURN: u64 = 4 << 20;

/// A head is held back (`MSG_MORE`) to share its segment with a `sendfile` body of at most
/// this size, which any receive window takes whole. Before a larger body the head waits only
/// if the whole response fits in the window the client advertises (see `more_follows`).
const HEAD_JOINS_BODY_MAX: u64 = 32 * 1024;

/// What the worker does with the connection next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Wait(Interest),
    Close,
}

/// A file body being sent with `sendfile`.
#[derive(Debug)]
struct FileBody {
    file: Arc<File>,
    offset: u64,
    remaining: u64,
    sent: u64,
    log: Option<PendingLine>,
}

/// One connection: the socket calls around its [`Core`] (the input and the decisions).
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    peer: IpAddr,
    core: Core,
    /// Output of earlier turns that the socket did not take yet.
    out: Vec<u8>,
    out_pos: usize,
    body: Option<FileBody>,
    /// TCP_NODELAY is set (once the connection is known to be kept alive).
    nodelay: bool,
    /// When the worker closes it if nothing happens.
    pub(crate) deadline: Instant,
    /// The readiness registered with the worker's epoll.
    pub(crate) interest: Interest,
    /// Registered with the worker's epoll (a new connection is only once it has to wait
    /// for something).
    pub(crate) registered: bool,
    /// The worker's token for this connection (its upstream socket's is
    /// `UPSTREAM_TOKEN_BASE + fd`, routed to it by the pool's owners).
    pub(crate) id: usize,
    /// The request being proxied, if one is.
    proxy: Option<Box<Proxied>>,
}

/// How a complete head was answered.
enum Answer {
    /// It has a chunked body, to be skipped before it is answered.
    ChunkedFirst,
    /// It goes to an upstream (`proxy_pass`).
    Proxy(Box<Proxied>),
    /// Answered; `skip` bytes of `Content-Length` body follow; `keep_alive` as promised and
    /// kept; `error`: an error page (the input behind it is not read).
    Done {
        skip: u64,
        keep_alive: bool,
        error: bool,
    },
}

enum Step {
    Answered,
    NeedInput,
}

fn first_line(buf: &[u8]) -> &[u8] {
    let line = match buf.iter().position(|&b| b == b'\n') {
        Some(i) => &buf[..i],
        None => buf,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    &line[..line.len().min(2048)]
}

impl Conn {
    pub(crate) fn new(stream: TcpStream, peer: IpAddr, now: Instant, ctx: &Ctx) -> Conn {
        Conn {
            stream,
            peer,
            core: Core::new(),
            out: Vec::new(),
            out_pos: 0,
            body: None,
            nodelay: false,
            deadline: now + ctx.shared.timeouts.header,
            interest: Interest::READ,
            registered: false,
            id: 0,
            proxy: None,
        }
    }

    pub(crate) fn stream(&self) -> &TcpStream {
        &self.stream
    }

    /// Its proxied request waits in the upstream's queue for a connection.
    pub(crate) fn is_queued(&self) -> bool {
        self.proxy.as_ref().is_some_and(|p| p.ex.is_queued())
    }

    /// The socket is ready (or the worker wants it driven right after accept).
    pub(crate) fn on_event(
        &mut self,
        ev: &Event,
        ctx: &mut Ctx,
        poller: &mut dyn Readiness,
    ) -> Next {
        if self.core.is_lingering() {
            return self.linger_read(ctx);
        }
        let upstream = ev.token >= UPSTREAM_TOKEN_BASE;
        if self.proxy.is_some() {
            // The exchange reads the client itself (when it wants body bytes); a client
            // that hung up is read here so that its error or EOF is seen. With the input
            // buffer full nothing can be read, and a reset (EPOLLERR/EPOLLHUP, reported
            // whatever the interest) would wake the worker again and again: the client is
            // gone, the exchange ends now.
            if !upstream
                && ev.hangup
                && !self.core.peer_eof()
                && (!self.core.wants_read() || self.fill(ctx).is_err())
            {
                ctx.stats.errors += 1;
                self.abort_proxy("the client's connection failed", ctx);
                return Next::Close;
            }
            let wake = Wake {
                upstream_readable: upstream && (ev.readable || ev.hangup),
                upstream_hangup: upstream && ev.hangup,
                client_readable: !upstream && (ev.readable || ev.hangup),
            };
            return self.drive(ctx, poller, wake);
        }
        if upstream {
            // A late event of an exchange that is over.
            return Next::Wait(self.interest);
        }
        if (ev.readable || ev.hangup) && self.out_is_empty() && !self.core.peer_eof() {
            match self.fill(ctx) {
                Ok(()) => {}
                Err(_) => {
                    ctx.stats.errors += 1;
                    return Next::Close;
                }
            }
        }
        self.drive(ctx, poller, Wake::NONE)
    }

    /// The deadline passed. A client in the middle of sending a request head (or the
    /// chunked body of a request not answered yet) gets a
    /// best-effort `408` (one non-blocking send, logged) before the worker closes; any
    /// other connection is closed without a word (idle, lingering, or stuck sending).
    pub(crate) fn on_deadline(&mut self, ctx: &mut Ctx, poller: &mut dyn Readiness) -> Next {
        if let Some(p) = &mut self.proxy {
            if p.ex.is_queued() && p.ex.deadline().is_some_and(|d| d <= ctx.now) {
                // Waited its time in the upstream's queue: it opens a connection now.
                return self.drive(ctx, poller, Wake::NONE);
            }
            if p.ex.deadline().is_some_and(|d| d <= ctx.now) {
                // The upstream's fault: 504 if nothing of its response went out yet.
                let progress = p.ex.timed_out();
                return match self.conclude(progress, ctx) {
                    Some(next) => next,
                    None => self.drive(ctx, poller, Wake::NONE),
                };
            }
            self.abort_proxy("the client timed out", ctx);
            return Next::Close;
        }
        self.timeout_408(ctx);
        Next::Close
    }

    fn timeout_408(&mut self, ctx: &mut Ctx) {
        if !(self.out_is_empty() && self.core.mid_head()) {
            return;
        }
        ctx.stats.errors += 1;
        let out = response::page_response(Status::RequestTimeout, ctx.clock.http());
        if let Ok(n) = send::send(&self.stream, &out, false) {
            ctx.stats.bytes_out += n as u64;
        }
        if ctx.log.enabled() {
            let entry = Entry {
                peer: self.peer,
                time: ctx.clock.log(),
                request_line: first_line(self.core.input()),
                status: 408,
                referer: None,
                user_agent: None,
            };
            let line = PendingLine::new(&entry);
            ctx.log
                .finish(&line, Status::RequestTimeout.page().len() as u64);
        }
    }

    /// The connection goes away: log a body cut short.
    pub(crate) fn on_close(&mut self, ctx: &mut Ctx) {
        if self.proxy.is_some() {
            self.abort_proxy("the connection closed", ctx);
        }
        if let Some(body) = self.body.take() {
            if let Some(line) = &body.log {
                ctx.log.finish(line, body.sent);
            }
        }
    }

    /// No request in progress: nothing received unanswered, nothing left to send (a
    /// graceful stop closes such a connection).
    pub(crate) fn is_idle(&self) -> bool {
        self.out_is_empty() && self.core.is_idle()
    }

    fn out_is_empty(&self) -> bool {
        self.out_pos >= self.out.len() && self.body.is_none() && self.proxy.is_none()
    }

    /// One read into the input buffer; EOF is remembered, `WouldBlock` is nothing.
    fn fill(&mut self, ctx: &mut Ctx) -> io::Result<()> {
        if !self.core.wants_read() {
            return Ok(());
        }
        let n = ctx.scratch.len().min(CLIENT_READ);
        match (&self.stream).read(&mut ctx.scratch[..n]) {
            Ok(0) => {
                self.core.eof();
                Ok(())
            }
            Ok(n) => {
                ctx.stats.bytes_in += n as u64;
                self.core.received(&ctx.scratch[..n], ctx.now);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn drive(&mut self, ctx: &mut Ctx, poller: &mut dyn Readiness, mut wake: Wake) -> Next {
        loop {
            if self.proxy.is_some() {
                if let Some(next) = self.drive_proxy(ctx, poller, wake) {
                    return next;
                }
                wake = Wake::NONE;
            }
            match self.flush_pending(ctx) {
                Ok(true) => {}
                Ok(false) => {
                    self.deadline = ctx.now + ctx.shared.timeouts.send;
                    return Next::Wait(Interest::WRITE);
                }
                Err(_) => {
                    ctx.stats.errors += 1;
                    return Next::Close;
                }
            }
            if self.core.is_closing() {
                return self.begin_close(ctx);
            }
            ctx.out.clear();
            self.answer_batch(ctx);
            if ctx.out.is_empty() && self.body.is_none() {
                if let Some(p) = &self.proxy {
                    // The relay writes the upstream's response in pieces: on a connection
                    // kept for more, its last one, if small, must not wait for the client's
                    // delayed ACK (40 ms). One to be closed after the response gets the same
                    // only if its response waits on the upstream midway (`drive_proxy`):
                    // the FIN pushes out a last piece (a system call per short request saved).
                    if !self.nodelay && p.ex.keeps_client() {
                        let _ = self.stream.set_nodelay(true);
                        self.nodelay = true;
                    }
                    continue;
                }
                if self.core.is_closing() {
                    // A body that could not be framed: nothing more to answer.
                    return self.begin_close(ctx);
                }
                break;
            }
            if !self.core.is_closing() && !self.nodelay {
                // A connection that stays open must not have its next response held back by
                // Nagle's algorithm; one that closes after this response does not care.
                let _ = self.stream.set_nodelay(true);
                self.nodelay = true;
            }
            let more = self.more_follows(ctx.out.len());
            match send::send(&self.stream, &ctx.out, more) {
                Ok(n) => {
                    ctx.stats.bytes_out += n as u64;
                    if n < ctx.out.len() {
                        self.out.clear();
                        self.out.extend_from_slice(&ctx.out[n..]);
                        self.out_pos = 0;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.out.clear();
                    self.out.extend_from_slice(&ctx.out);
                    self.out_pos = 0;
                }
                Err(_) => {
                    ctx.stats.errors += 1;
                    return Next::Close;
                }
            }
        }
        // Everything answered and sent; wait for the next request.
        match self.core.wait(ctx.now, &ctx.shared.timeouts) {
            Await::Close => return Next::Close,
            Await::Rest { deadline } => {
                self.ack_now();
                self.deadline = deadline;
            }
            Await::Idle { deadline } => {
                // An idle connection keeps no buffers.
                self.out = Vec::new();
                self.out_pos = 0;
                self.deadline = deadline;
            }
        }
        Next::Wait(Interest::READ)
    }

    /// The rest of a request (head or body) is awaited: acknowledge what came at once. The
    /// listener delays acknowledgements so that they ride on responses
    /// ([`set_quickack`](netcore::reactor::listener::set_quickack)); a client whose Nagle algorithm holds the rest until
    /// the first part is acknowledged would otherwise wait for the delayed-ACK timer
    /// (40 ms or more). Turning quick-ack on sends the pending ACK now.
    fn ack_now(&self) {
        let _ = netcore::reactor::listener::set_quickack(self.stream.as_raw_fd(), true);
    }

    /// Whether `now` bytes sent now should wait (`MSG_MORE`) for what comes next: the file
    /// body, to share its first segment, and after the last response the FIN of
    /// `begin_close`.
    ///
    /// On a connection that stays open, a large body is waited for only if head and body
    /// fit in the client's receive window. Linux grows a receiver's window only on a
    /// segment that arrives with room to spare in its buffer; a 64 KiB first segment
    /// (loopback's largest) leaves none, so a client slow to read (wrk with 500
    /// connections) kept its initial ~93 KiB window and every 100 KiB response stalled on
    /// a zero window (the kernel counts them in `TcpExtTCPToZeroWindowAdv`). A small head sent
    /// first lets the window grow; once it has, heads wait for their bodies again. The
    /// last response on a connection has no later one to speed up: it always waits.
    fn more_follows(&self, now: usize) -> bool {
        match &self.body {
            Some(body) if body.remaining <= HEAD_JOINS_BODY_MAX || self.core.is_closing() => true,
            Some(body) => crate::net::socket::peer_window(&self.stream)
                .is_some_and(|window| now as u64 + body.remaining <= u64::from(window)),
            None => self.core.is_closing(),
        }
    }

    /// Sends leftovers and the file body. `Ok(true)`: all sent; `Ok(false)`: blocked.
    fn flush_pending(&mut self, ctx: &mut Ctx) -> io::Result<bool> {
        while self.out_pos < self.out.len() {
            let more = self.more_follows(self.out.len() - self.out_pos);
            match send::send(&self.stream, &self.out[self.out_pos..], more) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.out_pos += n;
                    ctx.stats.bytes_out += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        self.out_pos = 0;
        let Some(body) = &mut self.body else {
            return Ok(true);
        };
        let mut this_turn = 0u64;
        while body.remaining > 0 {
            if this_turn >= SENDFILE_TURN {
                // Yield to the other connections; the socket is still writable, so the
                // worker's next wait returns at once for this one.
                return Ok(false);
            }
            // As much as this turn allows: the kernel sends what the socket buffer takes.
            let chunk = body.remaining.min(SENDFILE_TURN - this_turn) as usize;
            match send::sendfile(&self.stream, &body.file, &mut body.offset, chunk) {
                // The file shrank under us: the promised length cannot be sent.
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    body.remaining -= n as u64;
                    body.sent += n as u64;
                    this_turn += n as u64;
                    ctx.stats.bytes_out += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) => return Err(e),
            }
        }
        if let Some(body) = self.body.take() {
            if let Some(line) = &body.log {
                ctx.log.finish(line, body.sent);
            }
        }
        Ok(true)
    }

    /// Answers complete requests into `ctx.out` while that is cheap.
    fn answer_batch(&mut self, ctx: &mut Ctx) {
        while !self.core.is_closing()
            && self.body.is_none()
            && self.proxy.is_none()
            && ctx.out.len() < OUT_BATCH
        {
            match self.answer_next(ctx) {
                Step::Answered => {}
                Step::NeedInput => break,
            }
        }
    }

    /// Answers the next request the input holds, if it is complete.
    fn answer_next(&mut self, ctx: &mut Ctx) -> Step {
        loop {
            match self.core.next(&ctx.shared.limits, ctx.now) {
                Framed::NeedInput => return Step::NeedInput,
                Framed::Refuse(status) => {
                    // Refused: the rest of the input is dropped with the connection.
                    let line = first_line(self.core.input());
                    answer_error(&mut self.body, self.peer, status, line, ctx);
                    if self.core.refused() {
                        ctx.stats.requests += 1;
                    }
                    return Step::Answered;
                }
                Framed::Head { len, chunked_done } => {
                    if !chunked_done {
                        ctx.stats.requests += 1;
                    }
                    let head = &self.core.input()[..len];
                    let answer = answer_head(
                        head,
                        chunked_done,
                        &self.core,
                        (self.peer, self.id),
                        &mut self.body,
                        ctx,
                    );
                    match answer {
                        Answer::ChunkedFirst => self.core.skip_chunked(len),
                        Answer::Proxy(p) => {
                            self.core.begin_proxy(len);
                            self.proxy = Some(p);
                            return Step::Answered;
                        }
                        Answer::Done {
                            skip,
                            keep_alive,
                            error,
                        } => {
                            self.core.answered(len, skip, keep_alive, error, ctx.now);
                            return Step::Answered;
                        }
                    }
                }
            }
        }
    }

    /// All output sent and no keep-alive: close now, or linger if the client may still be
    /// sending (so our close does not turn into a reset that destroys the response).
    fn begin_close(&mut self, ctx: &mut Ctx) -> Next {
        let linger = self.core.close();
        // The last response went out with MSG_MORE: the FIN sent here rides in its final
        // segment (the client sees data and end together and does not linger in
        // TIME_WAIT). FIN first, then close: should input arrive in between, close() resets
        // the connection, but only after the response has left.
        send::shutdown_write(&self.stream);
        if !linger {
            return Next::Close;
        }
        self.out = Vec::new();
        self.deadline = ctx.now + ctx.shared.timeouts.linger;
        Next::Wait(Interest::READ)
    }

    /// Drives the exchange: client body in, response out, until it waits (`Some`: what the
    /// connection waits for) or is over (`None`: the connection carries on with its next
    /// request, or closes, as [`Core`] says).
    fn drive_proxy(
        &mut self,
        ctx: &mut Ctx,
        poller: &mut dyn Readiness,
        wake: Wake,
    ) -> Option<Next> {
        let mut up = wake;
        loop {
            if self.out_pos > 0 {
                self.out.drain(..self.out_pos);
                self.out_pos = 0;
            }
            let p = self.proxy.as_mut()?;
            let mut io = Io {
                input: self.core.input(),
                consumed: 0,
                client_eof: self.core.peer_eof(),
                out: &mut self.out,
                client: self.stream.as_fd(),
                spliced: 0,
                pipes: &mut ctx.pipes,
                pool: &mut ctx.pool,
                poller: &mut *poller,
                scratch: &mut ctx.scratch,
                now: ctx.now,
                upstream_hup: up.upstream_hangup,
                upstream_readable: up.upstream_readable,
            };
            let progress = p.ex.pump(&mut io);
            let consumed = io.consumed;
            ctx.stats.bytes_out += io.spliced;
            up = Wake::NONE;
            self.core.take(consumed);
            let Progress::Pending { read_client } = progress else {
                return self.conclude(progress, ctx);
            };
            let held = self.out.len() - self.out_pos;
            let flushed = match self.flush_pending(ctx) {
                Ok(all) => all,
                Err(_) => {
                    ctx.stats.errors += 1;
                    self.abort_proxy("sending to the client failed", ctx);
                    return Some(Next::Close);
                }
            };
            // Room made in a full output: the upstream may be read again.
            let room_made = held >= BUFFER_LIMIT && self.out.len() - self.out_pos < BUFFER_LIMIT;
            let mut read_more = false;
            if read_client && self.core.wants_read() {
                let (before, eof) = (self.core.input().len(), self.core.peer_eof());
                if self.fill(ctx).is_err() {
                    ctx.stats.errors += 1;
                    self.abort_proxy("reading from the client failed", ctx);
                    return Some(Next::Close);
                }
                read_more = self.core.input().len() != before || self.core.peer_eof() != eof;
            }
            if room_made || read_more {
                continue;
            }
            // While the exchange wants nothing of the client, its socket stays watched for
            // reading as it was (no epoll_ctl per request, as HAProxy keeps a client's
            // registration): its queue was read empty, so a wake-up means new bytes (the
            // next request, pipelined) or its EOF, and only then is the watch dropped,
            // until the exchange ends (level-triggered, unread bytes would wake it again
            // and again). A client to be closed after this response is not watched: a
            // new one is then not registered at all (the worker's `start`).
            let keep_watching = self.interest.readable
                && !wake.client_readable
                && self.proxy.as_ref().is_some_and(|p| p.ex.keeps_client());
            // Spliced body bytes the client's socket did not take wait in the exchange's pipe.
            let flushed = flushed && !self.proxy.as_ref().is_some_and(|p| p.ex.waits_on_client());
            let want = Interest {
                readable: (read_client && self.core.wants_read()) || keep_watching,
                writable: !flushed,
            };
            if read_client {
                self.ack_now();
            }
            if !self.nodelay && self.proxy.as_ref().is_some_and(|p| p.ex.status.is_some()) {
                // Part of the response went out and the rest waits: no piece of it may wait
                // for the client's delayed ACK meanwhile (setting it sends what Nagle held).
                let _ = self.stream.set_nodelay(true);
                self.nodelay = true;
            }
            if let Some(p) = &mut self.proxy {
                let unsent = self.out.len() - self.out_pos;
                p.ex.watch(unsent, &mut ctx.pool, poller, ctx.now);
            }
            let t = &ctx.shared.timeouts;
            let client = ctx.now + if flushed { t.header } else { t.send };
            let upstream = self.proxy.as_ref().and_then(|p| p.ex.deadline());
            self.deadline = upstream.map_or(client, |u| u.min(client));
            return Some(Next::Wait(want));
        }
    }

    /// The exchange is over (`Done`, `Failed` or `Aborted`): log it, answer a failure, and
    /// say whether the connection goes on (`None`) or closes.
    fn conclude(&mut self, progress: Progress, ctx: &mut Ctx) -> Option<Next> {
        let mut p = self.proxy.take()?;
        if matches!(progress, Progress::Pending { .. }) {
            self.proxy = Some(p);
            return None;
        }
        // Its upstream connection (if any) counts free now, and it waits in no queue.
        p.ex.release(&mut ctx.pool, ctx.now);
        match progress {
            Progress::Pending { .. } => None,
            Progress::Done { body_unread } => {
                p.log(self.peer, p.ex.status.unwrap_or(0), p.ex.body_bytes(), ctx);
                let keep = p.ex.client_keep_alive && !body_unread && !ctx.shutting_down;
                self.core.end_proxy(keep, body_unread, ctx.now);
                None
            }
            Progress::Failed(status, why) => {
                ctx.stats.errors += 1;
                p.log_error(self.peer, Some(status), &why);
                let page = response::page_response(status, ctx.clock.http());
                self.out.extend_from_slice(&page);
                p.log(self.peer, status.code(), status.page().len() as u64, ctx);
                self.core.end_proxy(false, true, ctx.now);
                None
            }
            Progress::Aborted(why) => {
                ctx.stats.errors += 1;
                p.log_error(self.peer, None, &why);
                p.log(self.peer, p.ex.status.unwrap_or(0), p.ex.body_bytes(), ctx);
                Some(Next::Close)
            }
        }
    }

    /// The connection ends in the middle of an exchange.
    fn abort_proxy(&mut self, why: &str, ctx: &mut Ctx) {
        if let Some(mut p) = self.proxy.take() {
            p.ex.release(&mut ctx.pool, ctx.now);
            p.log_error(self.peer, None, why);
            p.log(self.peer, p.ex.status.unwrap_or(0), p.ex.body_bytes(), ctx);
        }
    }

    fn linger_read(&mut self, ctx: &mut Ctx) -> Next {
        loop {
            match (&self.stream).read(&mut ctx.scratch) {
                Ok(0) => return Next::Close,
                Ok(n) => ctx.stats.bytes_in += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    return Next::Wait(Interest::READ)
                }
                Err(_) => return Next::Close,
            }
        }
    }
}

/// Answers the head in `head_bytes` into `ctx.out` (or `body`); `chunked_done` says its
/// chunked body has been skipped (else one is skipped before the answer).
fn answer_head(
    head_bytes: &[u8],
    chunked_done: bool,
    core: &Core,
    (peer, id): (IpAddr, usize),
    body: &mut Option<FileBody>,
    ctx: &mut Ctx,
) -> Answer {
    let error = Answer::Done {
        skip: 0,
        keep_alive: false,
        error: true,
    };
    let head = match parse::parse(head_bytes, &ctx.shared.limits) {
        Ok(Parsed::Complete(head, _)) => head,
        Ok(Parsed::Partial) => {
            answer_error(body, peer, Status::BadRequest, head_bytes, ctx);
            return error;
        }
        Err(status) => {
            answer_error(body, peer, status, first_line(head_bytes), ctx);
            return error;
        }
    };
    let request_line = head.request_line;
    let (raw_path, _) = crate::http::path::split_target(head.target);
    let route = ctx.shared.proxy.route_for(raw_path).cloned();
    let interpreted = match route {
        // A proxied location streams bodies: its own limit applies.
        Some(_) => request::interpret_with_limit(head, ctx.shared.proxy.max_body),
        None => request::interpret(head),
    };
    let req = match interpreted {
        Ok(req) => req,
        Err(status) => {
            answer_error(body, peer, status, request_line, ctx);
            return error;
        }
    };
    if let Some(route) = route {
        let keep_alive = core.keeps_alive(
            req.client_keep_alive && !ctx.shutting_down,
            ctx.shared.max_keepalive_requests,
        );
        let p = proxied::start(id, head_bytes, &req, &route, peer, keep_alive, ctx);
        return Answer::Proxy(Box::new(p));
    }
    if req.body == BodyFraming::Chunked && !chunked_done {
        return Answer::ChunkedFirst;
    }
    let reply = static_file::serve(&ctx.shared.root, &mut ctx.files, ctx.now, &req);
    let keep_alive = core.keeps_alive(
        req.keep_alive && !reply.head.status.closes_connection() && !ctx.shutting_down,
        ctx.shared.max_keepalive_requests,
    );
    let skip = match req.body {
        BodyFraming::Length(n) => n,
        BodyFraming::Chunked | BodyFraming::None => 0,
    };
    let entry = Entry {
        peer,
        time: ctx.clock.log(),
        request_line,
        status: reply.head.status.code(),
        referer: req.head.referer,
        user_agent: req.head.user_agent,
    };
    // Borrow juggling: the entry borrows ctx.clock while emit needs ctx mutably.
    let line = ctx.log.enabled().then(|| PendingLine::new(&entry));
    let with_body = state::sends_body(req.method, reply.head.status);
    let whole = emit(body, reply, with_body, keep_alive, line, ctx);
    Answer::Done {
        skip,
        keep_alive: keep_alive && whole,
        error: false,
    }
}

/// Answers `status` (the connection closes after it).
fn answer_error(
    body: &mut Option<FileBody>,
    peer: IpAddr,
    status: Status,
    request_line: &[u8],
    ctx: &mut Ctx,
) {
    ctx.stats.errors += 1;
    let entry = Entry {
        peer,
        time: ctx.clock.log(),
        request_line,
        status: status.code(),
        referer: None,
        user_agent: None,
    };
    let line = ctx.log.enabled().then(|| PendingLine::new(&entry));
    // An unparsable head may have been a HEAD: we cannot know, so the page is sent.
    emit(body, Reply::page(status), true, false, line, ctx);
}

/// Writes the head (and a small body) into `ctx.out`, or sets up the `sendfile` body in
/// `file_body`. False if the body could not be read whole (the connection must close).
fn emit(
    file_body: &mut Option<FileBody>,
    reply: Reply,
    with_body: bool,
    keep_alive: bool,
    line: Option<PendingLine>,
    ctx: &mut Ctx,
) -> bool {
    response::write_head(&mut ctx.out, &reply.head, ctx.clock.http(), keep_alive);
    let mut whole = true;
    let mut body_bytes = 0u64;
    match reply.body {
        Body::Page(page) if with_body => {
            ctx.out.extend_from_slice(page.as_bytes());
            body_bytes = page.len() as u64;
        }
        Body::File {
            file,
            bytes,
            start,
            len,
        } if with_body => {
            if len > SMALL_BODY {
                *file_body = Some(FileBody {
                    file,
                    offset: start,
                    remaining: len,
                    sent: 0,
                    log: line,
                });
                return true;
            }
            let kept = bytes
                .as_deref()
                .and_then(|b| b.get(start as usize..start.saturating_add(len) as usize));
            if let Some(part) = kept {
                // Kept by the file cache: no read at all.
                ctx.out.extend_from_slice(part);
                body_bytes = len;
            } else {
                let at = ctx.out.len();
                ctx.out.resize(at + len as usize, 0);
                match file.read_exact_at(&mut ctx.out[at..], start) {
                    Ok(()) => body_bytes = len,
                    Err(_) => {
                        // The file changed under us: the promised length cannot be kept;
                        // send what was promised short and close.
                        ctx.out.truncate(at);
                        ctx.stats.errors += 1;
                        whole = false;
                    }
                }
            }
        }
        _ => {}
    }
    if let Some(line) = &line {
        ctx.log.finish(line, body_bytes);
    }
    whole
}
