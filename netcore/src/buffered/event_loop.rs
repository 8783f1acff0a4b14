//! The single-threaded non-blocking server loop, generic over the readiness backend.
//!
//! One turn of the loop:
//!
//! 1. wait for readiness (listener, waker, connections), with a timeout from the timers
//!    (with [`Config::busy_poll`], polling a few microseconds first while the peers keep
//!    the loop busy);
//! 2. accept every pending connection (refusing past `max_clients` with the service's line);
//! 3. for each readable connection, one `read` of up to `read_chunk` bytes, handed to
//!    [`Service::on_data`], which queues output for any connections through [`Conns`];
//! 4. closes requested during the turn are reported to [`Service::on_close`];
//! 5. [`Service::before_flush`] (a database makes the turn's writes durable there), then
//!    every connection with queued output gets one `write` (write coalescing: whatever was
//!    queued during the turn leaves in one system call) and its interest is updated:
//!    writable only while output is left over;
//! 6. the timers that came due: idle connections are closed, closing connections that would
//!    not drain are dropped. Each connection has one deadline in the reactor's timer heap
//!    (idle, or the end of its linger), so a turn looks only at the deadlines due.
//!
//! Slow consumers: each connection's [`OutQueue`] is bounded by `max_outbound`. Queueing past
//! it discards the connection's pending output and closes it with
//! [`CloseReason::SlowConsumer`]; nobody else waits for it and memory stays bounded.
//!
//! Long responses (a file larger than `max_outbound`): queue a part, call
//! [`Conns::notify_when_drained`], and queue the next part in [`Service::on_drain`].
//!
//! Listeners: the one given to [`EventLoop::new`], and more with
//! [`EventLoop::add_listener`], each with or without an [`Upgrade`] (TLS): connections
//! accepted on an upgrading listener go through their transport's handshake before the
//! service hears of them, and their bytes through the transport after it
//! ([`crate::buffered::transport`]).
//!
//! Shutdown: a wake of the loop's [`Waker`] (which SIGINT/SIGTERM can be forwarded to) stops
//! accepting, calls [`Service::on_shutdown`] (for a goodbye), closes every connection
//! gracefully (pending output is flushed) and returns when all are gone or after
//! `shutdown_grace`.

use crate::buffered::outqueue::OutQueue;
use crate::buffered::transport::{Progress, Transport, Upgrade, Writer};
use crate::reactor::accept::Acceptor;
use crate::reactor::backend::{Event, Interest, Readiness};
use crate::reactor::send::{send, NoSignal};
use crate::reactor::signal::Waker;
use crate::reactor::slab::Slab;
use crate::reactor::Reactor;
use crate::stats::Stats;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Names a connection for the service; reused after the connection is gone.
pub type Token = usize;

const WAKER: Token = usize::MAX;
/// Listener `i` has the token `FIRST_LISTENER - i`.
const FIRST_LISTENER: Token = usize::MAX - 1;
/// At most this many listeners per loop.
const MAX_LISTENERS: usize = 64;
/// At most this many accepts per readiness of the listener, so a connect storm cannot starve
/// the connections already open.
const ACCEPT_BATCH: usize = 256;

/// Limits and timers of a loop.
#[derive(Debug, Clone)]
pub struct Config {
    /// Connections served at once; the next is sent the refusal line and closed.
    pub max_clients: usize,
    /// Unwritten bytes a connection may have queued before it is cut off as a slow consumer.
    pub max_outbound: usize,
    /// A connection that sends nothing for this long is closed ([`CloseReason::Idle`]).
    pub idle_timeout: Option<Duration>,
    /// How long a gracefully closing connection may take to drain its output.
    pub close_linger: Duration,
    /// How long a shutdown waits for connections to drain before dropping them.
    pub shutdown_grace: Duration,
    /// Largest single read from one connection in one turn.
    pub read_chunk: usize,
    /// How often [`Service::on_tick`] is called (`None`: never).
    pub tick: Option<Duration>,
    /// How long a wait that finds nothing ready may keep asking before it sleeps, while
    /// input keeps coming back that soon (`Duration::ZERO`: it sleeps at once). See
    /// [`Reactor::set_busy_poll`].
    pub busy_poll: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_clients: 1000,
            max_outbound: 1 << 20,
            idle_timeout: None,
            close_linger: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(2),
            read_chunk: 64 * 1024,
            tick: None,
            busy_poll: Duration::ZERO,
        }
    }
}

/// Why a connection is closed, as told to [`Service::on_close`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The peer closed its side (EOF).
    PeerClosed,
    /// The service asked for it ([`Conns::close`]).
    Requested,
    /// Nothing received for `idle_timeout`.
    Idle,
    /// Its outbound queue would have exceeded `max_outbound`.
    SlowConsumer,
    /// The peer reset the connection or stopped reading it (`ECONNRESET`, `EPIPE`): it went
    /// away without a clean close. Not counted as an error: the peer's doing, not ours.
    Reset,
    /// A read or write failed otherwise.
    Error,
    /// The server is shutting down.
    Shutdown,
}

impl CloseReason {
    /// Graceful closes flush queued output first; the others drop it.
    pub fn is_graceful(self) -> bool {
        !matches!(
            self,
            CloseReason::SlowConsumer | CloseReason::Error | CloseReason::Reset
        )
    }

    /// The reason a failed read or write gives: [`Reset`](Self::Reset) when the peer went
    /// away, [`Error`](Self::Error) otherwise.
    pub fn of_io_error(e: &io::Error) -> CloseReason {
        match e.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted => CloseReason::Reset,
            _ => CloseReason::Error,
        }
    }

    /// Whether this close counts in the `errors` statistic.
    pub fn is_error(self) -> bool {
        matches!(self, CloseReason::SlowConsumer | CloseReason::Error)
    }
}

/// What a protocol does with the bytes. All calls happen on the loop's thread.
pub trait Service {
    /// A connection was accepted (e.g. send a greeting).
    fn on_open(&mut self, conns: &mut Conns, id: Token);
    /// Bytes arrived on `id`, in order, in chunks of any size.
    fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]);
    /// `id` is closing, exactly once per opened connection. For graceful reasons bytes sent
    /// to `id` now are still flushed (a goodbye line); otherwise they are dropped.
    fn on_close(&mut self, conns: &mut Conns, id: Token, reason: CloseReason);
    /// The bytes sent to a connection refused before it was opened (`why` says why, e.g.
    /// "server full").
    fn refusal(&self, why: &str) -> Vec<u8>;
    /// The server begins to shut down; every connection is closed with
    /// [`CloseReason::Shutdown`] right after.
    fn on_shutdown(&mut self, _conns: &mut Conns) {}
    /// `id`'s outbound queue has been written out after [`Conns::notify_when_drained`]: the
    /// place to queue the next part of a long response (a file) without exceeding the limit.
    fn on_drain(&mut self, _conns: &mut Conns, _id: Token) {}
    /// The turn's input has been handled and its output is about to be written: the place to
    /// make the turn's effects durable before any reply leaves (a database's group commit:
    /// one `fdatasync` for every client of the turn). Bytes queued here leave in this turn.
    fn before_flush(&mut self, _conns: &mut Conns) {}
    /// Called every [`Config::tick`] (periodic work: expiring keys, statistics).
    fn on_tick(&mut self, _conns: &mut Conns) {}
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Its transport's handshake is not done: the service does not know it yet (its
    /// deadline is the end of the handshake timeout).
    Handshaking,
    Open,
    /// The service has been told; flushing what is queued, then closing (its deadline is
    /// the end of `close_linger`).
    Draining,
}

#[derive(Debug)]
struct Conn {
    stream: TcpStream,
    /// The layer the bytes go through (TLS), if its listener upgrades connections.
    transport: Option<Box<dyn Transport>>,
    out: OutQueue,
    state: State,
    interest: Interest,
    /// In `Conns::dirty` already this turn.
    dirty: bool,
    /// A close is queued in `Conns::closing`; the service has not been told yet.
    close_queued: bool,
    /// Overflowed its outbound queue: output to it is dropped from now on.
    cut_off: bool,
    /// Call `Service::on_drain` once its queue is empty.
    want_drain: bool,
}

/// The loop's open connections, as the service sees them: queue bytes, ask for a close.
#[derive(Debug)]
pub struct Conns {
    slab: Slab<Conn>,
    dirty: Vec<Token>,
    closing: Vec<(Token, CloseReason)>,
    stats: Arc<Stats>,
}

impl Conns {
    fn new(stats: Arc<Stats>) -> Conns {
        Conns {
            slab: Slab::default(),
            dirty: Vec::new(),
            closing: Vec::new(),
            stats,
        }
    }

    /// Queues `bytes` for `id`. Returns false if they were not queued: `id` is gone, or it is
    /// a slow consumer now being cut off (its queue would have exceeded `max_outbound`).
    pub fn send(&mut self, id: Token, bytes: &[u8]) -> bool {
        let Some(c) = self.slab.get_mut(id) else {
            return false;
        };
        if c.cut_off {
            return false;
        }
        if c.out.push(bytes).is_err() {
            // Nothing more is queued for it: the service hears of it as a SlowConsumer close.
            c.out.clear();
            c.cut_off = true;
            if !c.close_queued {
                c.close_queued = true;
                self.closing.push((id, CloseReason::SlowConsumer));
            }
            return false;
        }
        if !c.dirty {
            c.dirty = true;
            self.dirty.push(id);
        }
        true
    }

    /// Asks for one [`Service::on_drain`] call once everything queued for `id` is written
    /// (at once, at the end of this turn, if nothing is queued).
    pub fn notify_when_drained(&mut self, id: Token) {
        if let Some(c) = self.slab.get_mut(id) {
            c.want_drain = true;
        }
        self.mark_dirty(id);
    }

    /// Closes `id` gracefully once what is queued for it is written. The service hears of it
    /// through `on_close(.., Requested)` after the current call returns.
    pub fn close(&mut self, id: Token) {
        if let Some(c) = self.slab.get_mut(id) {
            if !c.close_queued && c.state == State::Open {
                c.close_queued = true;
                self.closing.push((id, CloseReason::Requested));
            }
        }
    }

    /// Whether `id` is an open connection (not closing).
    pub fn is_open(&self, id: Token) -> bool {
        matches!(self.slab.get(id), Some(c) if c.state == State::Open && !c.close_queued)
    }

    /// Bytes queued for `id` and not yet written.
    pub fn pending(&self, id: Token) -> usize {
        match self.slab.get(id) {
            Some(c) => c.out.pending(),
            _ => 0,
        }
    }

    /// The peer's address of `id` (`None` if gone or unknown).
    pub fn peer_addr(&self, id: Token) -> Option<std::net::SocketAddr> {
        self.slab.get(id)?.stream.peer_addr().ok()
    }

    /// `id`'s peer as its transport's handshake verified it (a TLS client certificate's
    /// name); `None` without a transport or such a check.
    pub fn peer_name(&self, id: Token) -> Option<String> {
        self.slab.get(id)?.transport.as_ref()?.peer_name()
    }

    /// Whether `id` came through a transport (TLS).
    pub fn has_transport(&self, id: Token) -> bool {
        matches!(self.slab.get(id), Some(c) if c.transport.is_some())
    }

    /// The local address `id` was accepted on.
    pub fn local_addr(&self, id: Token) -> Option<std::net::SocketAddr> {
        self.slab.get(id)?.stream.local_addr().ok()
    }

    /// Connections held, including those draining before their close.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slab.is_empty()
    }

    /// The server's live counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    fn queue_close(&mut self, id: Token, reason: CloseReason) {
        if let Some(c) = self.slab.get_mut(id) {
            if !c.close_queued && c.state == State::Open {
                c.close_queued = true;
                self.closing.push((id, reason));
            }
        }
    }

    fn mark_dirty(&mut self, id: Token) {
        if let Some(c) = self.slab.get_mut(id) {
            if !c.dirty {
                c.dirty = true;
                self.dirty.push(id);
            }
        }
    }
}

/// A listening socket, and what its connections are upgraded with.
struct Listening {
    listener: TcpListener,
    upgrade: Option<Box<dyn Upgrade>>,
}

/// The loop: a backend, listeners, a waker, the connections and their timers.
pub struct EventLoop<B: Readiness> {
    reactor: Reactor<B>,
    /// Emptied when the shutdown begins.
    listeners: Vec<Listening>,
    acceptor: Acceptor,
    waker: Arc<Waker>,
    conns: Conns,
    config: Config,
    buf: Vec<u8>,
    shutdown_started: Option<Instant>,
    next_tick: Option<Instant>,
}

impl<B: Readiness> EventLoop<B> {
    /// A loop serving `listener` (made non-blocking here). Waking `waker` shuts it down.
    pub fn new(
        backend: B,
        listener: TcpListener,
        waker: Arc<Waker>,
        config: Config,
        stats: Arc<Stats>,
    ) -> io::Result<EventLoop<B>> {
        EventLoop::with_listeners(backend, vec![(listener, None)], waker, config, stats)
    }

    /// A loop serving several listeners, each with or without an upgrade (see
    /// [`EventLoop::add_listener`]).
    pub fn with_listeners(
        backend: B,
        listeners: Vec<(TcpListener, Option<Box<dyn Upgrade>>)>,
        waker: Arc<Waker>,
        config: Config,
        stats: Arc<Stats>,
    ) -> io::Result<EventLoop<B>> {
        let mut reactor = Reactor::new(backend);
        reactor.set_busy_poll(config.busy_poll);
        reactor.register(waker.read_fd(), WAKER, Interest::READ)?;
        let mut event_loop = EventLoop {
            reactor,
            listeners: Vec::new(),
            acceptor: Acceptor::new(),
            waker,
            conns: Conns::new(stats),
            buf: vec![0; config.read_chunk.max(1)],
            shutdown_started: None,
            next_tick: config.tick.map(|t| Instant::now() + t),
            config,
        };
        for (listener, upgrade) in listeners {
            event_loop.add_listener(listener, upgrade)?;
        }
        Ok(event_loop)
    }

    /// Serves `listener` (made non-blocking here) too; with `upgrade`, its connections go
    /// through the transport it makes (TLS) instead of straight to the service.
    pub fn add_listener(
        &mut self,
        listener: TcpListener,
        upgrade: Option<Box<dyn Upgrade>>,
    ) -> io::Result<()> {
        if self.listeners.len() >= MAX_LISTENERS {
            return Err(io::Error::other("too many listeners"));
        }
        listener.set_nonblocking(true)?;
        let token = FIRST_LISTENER - self.listeners.len();
        self.reactor
            .register(listener.as_raw_fd(), token, Interest::READ)?;
        self.listeners.push(Listening { listener, upgrade });
        Ok(())
    }

    /// Runs until shut down through the waker. Returns an error only if the backend fails.
    pub fn run<S: Service>(&mut self, service: &mut S) -> io::Result<()> {
        let mut events: Vec<Event> = Vec::with_capacity(1024);
        loop {
            let until = self.wait_until();
            self.reactor.wait(&mut events, until)?;
            for ev in &events {
                match ev.token {
                    WAKER => {
                        self.waker.drain();
                        self.begin_shutdown(service);
                    }
                    t if t > FIRST_LISTENER - MAX_LISTENERS => {
                        self.accept_all(service, FIRST_LISTENER - t)
                    }
                    id => self.on_ready(service, id, ev),
                }
                self.report_closes(service);
            }
            self.run_tick(service);
            service.before_flush(&mut self.conns);
            self.report_closes(service);
            self.flush_all(service);
            self.run_timers(service);
            self.conns.slab.end_turn();
            if let Some(started) = self.shutdown_started {
                if self.conns.is_empty() {
                    return Ok(());
                }
                if started.elapsed() >= self.config.shutdown_grace {
                    for id in self.conns.slab.tokens() {
                        self.finish(id);
                    }
                    return Ok(());
                }
            }
        }
    }

    /// The latest the next wait may last besides the deadlines: not at all while output
    /// is waiting (a drain callback queued it), a little while during a shutdown (to see
    /// its grace period end).
    fn wait_until(&self) -> Option<Instant> {
        if !self.conns.dirty.is_empty() {
            return Some(Instant::now());
        }
        match self.shutdown_started {
            Some(_) => Some(Instant::now() + Duration::from_millis(50)),
            None => self.next_tick,
        }
    }

    fn run_tick<S: Service>(&mut self, service: &mut S) {
        let (Some(at), Some(every)) = (self.next_tick, self.config.tick) else {
            return;
        };
        let now = Instant::now();
        if now >= at {
            self.next_tick = Some(now + every);
            service.on_tick(&mut self.conns);
            self.report_closes(service);
        }
    }

    /// Starts or moves `id`'s deadline: `after` from now.
    fn set_deadline(&mut self, id: Token, after: Duration) {
        self.reactor.timers().set(id, Instant::now() + after);
    }

    fn accept_all<S: Service>(&mut self, service: &mut S, which: usize) {
        for _ in 0..ACCEPT_BATCH {
            let Some(listening) = self.listeners.get(which) else {
                return;
            };
            match self.acceptor.accept(&listening.listener) {
                Ok(Some((stream, peer))) => self.admit(service, stream, peer, which),
                Ok(None) => return,
                Err(e) => {
                    // Out of descriptors, one connection was refused: see `Acceptor`.
                    self.conns.stats.add_error();
                    eprintln!("netcore: accept: {e}");
                    return;
                }
            }
        }
    }

    fn admit<S: Service>(
        &mut self,
        service: &mut S,
        stream: TcpStream,
        peer: Option<SocketAddr>,
        which: usize,
    ) {
        let upgrade = self.listeners[which].upgrade.as_deref();
        if self.conns.len() >= self.config.max_clients {
            if upgrade.is_some() {
                // A line in the clear means nothing to a TLS client: just close.
                self.conns.stats.add_error();
            } else {
                self.refuse(service, stream, "server full");
            }
            return;
        }
        let _ = stream.set_nodelay(true);
        let (transport, deadline) = match upgrade {
            None => (None, self.config.idle_timeout),
            Some(u) => match u.upgrade(&stream, peer) {
                Ok(t) => (Some(t), Some(u.handshake_timeout())),
                Err(e) => {
                    self.conns.stats.add_error();
                    eprintln!("netcore: cannot set up a connection's transport: {e}");
                    return;
                }
            },
        };
        let fd = stream.as_raw_fd();
        let state = if transport.is_some() {
            State::Handshaking
        } else {
            State::Open
        };
        let id = self.conns.slab.insert(Conn {
            stream,
            transport,
            out: OutQueue::new(self.config.max_outbound),
            state,
            interest: Interest::READ,
            dirty: false,
            close_queued: false,
            cut_off: false,
            want_drain: false,
        });
        if let Err(e) = self.reactor.register(fd, id, Interest::READ) {
            if let Some(conn) = self.conns.slab.remove(id) {
                self.refuse(service, conn.stream, &e.to_string());
            }
            return;
        }
        if let Some(after) = deadline {
            self.set_deadline(id, after);
        }
        self.conns.stats.connection_opened();
        if state == State::Open {
            service.on_open(&mut self.conns, id);
        }
    }

    /// Advances `id`'s handshake; once done, the service hears of the connection.
    fn handshake<S: Service>(&mut self, service: &mut S, id: Token) {
        let Some(conn) = self.conns.slab.get_mut(id) else {
            return;
        };
        let Some(t) = conn.transport.as_mut() else {
            return;
        };
        let want = match t.handshake() {
            Ok(Progress::Done) => {
                conn.state = State::Open;
                match self.config.idle_timeout {
                    Some(idle) => self.set_deadline(id, idle),
                    None => self.reactor.timers().cancel(id),
                }
                self.set_interest(id, Interest::READ);
                service.on_open(&mut self.conns, id);
                // Bytes that came with the end of the handshake are read now: the socket
                // may not say readable again for them.
                if matches!(self.conns.slab.get(id), Some(c) if c.transport.as_ref().is_some_and(|t| t.buffered() > 0))
                {
                    self.read_ready(service, id);
                }
                return;
            }
            Ok(Progress::WantRead) => Interest::READ,
            Ok(Progress::WantWrite) => Interest::WRITE,
            Err(_) => {
                // The transport logged why.
                self.conns.stats.add_error();
                self.finish(id);
                return;
            }
        };
        self.set_interest(id, want);
    }

    /// Changes `id`'s registered interest if it differs; a failure closes it.
    fn set_interest(&mut self, id: Token, want: Interest) {
        let Some(conn) = self.conns.slab.get_mut(id) else {
            return;
        };
        if want == conn.interest {
            return;
        }
        conn.interest = want;
        let fd = conn.stream.as_raw_fd();
        if self.reactor.reregister(fd, id, want).is_err() {
            self.conns.stats.add_error();
            if conn.state == State::Handshaking {
                self.finish(id);
            } else {
                self.conns.queue_close(id, CloseReason::Error);
            }
        }
    }

    /// Sends the service's refusal (one non-blocking write, best effort) and closes.
    fn refuse<S: Service>(&mut self, service: &S, stream: TcpStream, why: &str) {
        self.conns.stats.add_error();
        let _ = stream.set_nonblocking(true);
        let msg = service.refusal(why);
        if let Ok(n) = send(&stream, &msg, false) {
            self.conns.stats.add_bytes_out(n as u64);
        }
    }

    fn on_ready<S: Service>(&mut self, service: &mut S, id: Token, ev: &Event) {
        let Some(conn) = self.conns.slab.get_mut(id) else {
            return;
        };
        if conn.state == State::Handshaking {
            self.handshake(service, id);
            return;
        }
        // A transport's write may have waited for readability (and its read for
        // writability): try both again.
        let tls_wants_write = conn.transport.as_ref().is_some_and(|t| t.wants_write());
        if ev.writable || (conn.transport.is_some() && !conn.out.is_empty()) {
            self.conns.mark_dirty(id);
        }
        let Some(conn) = self.conns.slab.get_mut(id) else {
            return;
        };
        if conn.state != State::Open || conn.close_queued {
            if ev.hangup && conn.state != State::Open {
                // A draining peer that hung up will take nothing more.
                self.finish(id);
            }
            return;
        }
        if ev.readable || (ev.writable && tls_wants_write) {
            self.read_ready(service, id);
        }
    }

    /// Reads from `id` once (a transport: until it holds no more decrypted bytes) and hands
    /// the bytes to the service.
    fn read_ready<S: Service>(&mut self, service: &mut S, id: Token) {
        loop {
            let Some(conn) = self.conns.slab.get_mut(id) else {
                return;
            };
            if conn.state != State::Open || conn.close_queued {
                return;
            }
            let read = match conn.transport.as_mut() {
                Some(t) => t.read(&mut self.buf),
                None => (&conn.stream).read(&mut self.buf),
            };
            let wants_write = conn.transport.as_ref().is_some_and(|t| t.wants_write());
            match read {
                Ok(0) => self.conns.queue_close(id, CloseReason::PeerClosed),
                Ok(n) => {
                    self.conns.stats.add_bytes_in(n as u64);
                    if let Some(idle) = self.config.idle_timeout {
                        self.set_deadline(id, idle);
                    }
                    service.on_data(&mut self.conns, id, &self.buf[..n]);
                    let more = matches!(self.conns.slab.get(id), Some(c) if c.transport.as_ref().is_some_and(|t| t.buffered() > 0));
                    if more {
                        continue;
                    }
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                    ) =>
                {
                    if wants_write {
                        // Recomputes the interest: writable too.
                        self.conns.mark_dirty(id);
                    }
                }
                Err(e) => {
                    let reason = CloseReason::of_io_error(&e);
                    if reason.is_error() {
                        self.conns.stats.add_error();
                    }
                    self.conns.queue_close(id, reason);
                }
            }
            return;
        }
    }

    /// Tells the service of every close queued so far (its handlers may queue more).
    fn report_closes<S: Service>(&mut self, service: &mut S) {
        let mut i = 0;
        while i < self.conns.closing.len() {
            let (id, reason) = self.conns.closing[i];
            i += 1;
            service.on_close(&mut self.conns, id, reason);
            let Some(conn) = self.conns.slab.get_mut(id) else {
                continue;
            };
            if reason.is_graceful() {
                conn.state = State::Draining;
                self.conns.mark_dirty(id);
                self.set_deadline(id, self.config.close_linger);
            } else {
                if reason == CloseReason::SlowConsumer {
                    self.conns.stats.add_error();
                }
                self.finish(id);
            }
        }
        self.conns.closing.clear();
    }

    /// One write per dirty connection, then interest updates and draining closes.
    fn flush_all<S: Service>(&mut self, service: &mut S) {
        let dirty = std::mem::take(&mut self.conns.dirty);
        let mut drained = Vec::new();
        for &id in &dirty {
            let Some(conn) = self.conns.slab.get_mut(id) else {
                continue;
            };
            conn.dirty = false;
            if conn.state == State::Handshaking {
                continue;
            }
            let written = match conn.transport.as_mut() {
                Some(t) => conn.out.write_once(&mut Writer(t.as_mut())),
                None => conn.out.write_once(&mut NoSignal(&conn.stream)),
            };
            match written {
                Ok(n) => self.conns.stats.add_bytes_out(n as u64),
                Err(e) => {
                    let reason = CloseReason::of_io_error(&e);
                    if reason.is_error() {
                        self.conns.stats.add_error();
                    }
                    if conn.state == State::Open {
                        self.conns.queue_close(id, reason);
                    } else {
                        self.finish(id);
                    }
                    continue;
                }
            }
            if conn.state != State::Open && conn.out.is_empty() {
                if let Some(t) = conn.transport.as_mut() {
                    t.close();
                }
                self.finish(id);
                continue;
            }
            if conn.want_drain && conn.out.is_empty() && !conn.close_queued {
                conn.want_drain = false;
                drained.push(id);
            }
            let want = Interest {
                readable: conn.state == State::Open,
                writable: !conn.out.is_empty()
                    || conn.transport.as_ref().is_some_and(|t| t.wants_write()),
            };
            if want != conn.interest {
                conn.interest = want;
                let fd = conn.stream.as_raw_fd();
                if self.reactor.reregister(fd, id, want).is_err() {
                    self.conns.stats.add_error();
                    self.conns.queue_close(id, CloseReason::Error);
                }
            }
        }
        // Reuse the allocation.
        let mut dirty = dirty;
        dirty.clear();
        if self.conns.dirty.is_empty() {
            self.conns.dirty = dirty;
        }
        for id in drained {
            service.on_drain(&mut self.conns, id);
        }
        if !self.conns.closing.is_empty() {
            self.report_closes(service);
            // Closes reported here flush next turn (their goodbye is dirty now).
        }
    }

    /// Closes the connections whose deadline came: idle ones gracefully, draining ones that
    /// would not drain for good.
    fn run_timers<S: Service>(&mut self, service: &mut S) {
        let now = Instant::now();
        while let Some(id) = self.reactor.timers().expired(now) {
            match self.conns.slab.get(id).map(|c| c.state) {
                Some(State::Handshaking) => {
                    self.conns.stats.add_error();
                    if let Some(peer) = self.conns.peer_addr(id) {
                        eprintln!("netcore: {peer}: handshake not done in time, dropped");
                    }
                    self.finish(id);
                }
                Some(State::Open) => self.conns.queue_close(id, CloseReason::Idle),
                Some(State::Draining) => self.finish(id),
                None => {}
            }
        }
        self.report_closes(service);
    }

    fn begin_shutdown<S: Service>(&mut self, service: &mut S) {
        if self.shutdown_started.is_some() {
            return;
        }
        self.shutdown_started = Some(Instant::now());
        for (i, l) in self.listeners.drain(..).enumerate() {
            let _ = self
                .reactor
                .deregister(l.listener.as_raw_fd(), FIRST_LISTENER - i);
        }
        service.on_shutdown(&mut self.conns);
        for id in self.conns.slab.tokens() {
            if matches!(self.conns.slab.get(id), Some(c) if c.state == State::Handshaking) {
                self.finish(id);
            } else {
                self.conns.queue_close(id, CloseReason::Shutdown);
            }
        }
    }

    /// Removes `id` for good: deregistered, closed, slot freed at the end of the turn.
    fn finish(&mut self, id: Token) {
        let Some(conn) = self.conns.slab.remove(id) else {
            return;
        };
        // The socket is the connection's alone (accepted close-on-exec, never duplicated).
        let _ = self
            .reactor
            .forget_before_close(conn.stream.as_raw_fd(), id);
        drop(conn);
        self.conns.stats.connection_closed();
    }

    /// The server's live counters.
    pub fn stats(&self) -> &Stats {
        &self.conns.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_peer_going_away_is_a_reset_not_an_error() {
        for kind in [
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::BrokenPipe,
            io::ErrorKind::ConnectionAborted,
        ] {
            let r = CloseReason::of_io_error(&io::Error::from(kind));
            assert_eq!(r, CloseReason::Reset);
            assert!(!r.is_error() && !r.is_graceful());
        }
        let r = CloseReason::of_io_error(&io::Error::from_raw_os_error(libc::EIO));
        assert_eq!(r, CloseReason::Error);
        assert!(r.is_error());
        assert!(CloseReason::SlowConsumer.is_error());
        assert!(!CloseReason::PeerClosed.is_error());
    }
}
