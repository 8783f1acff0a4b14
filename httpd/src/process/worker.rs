//! A worker: one thread, one epoll instance, its listening sockets (one per address: a
//! socket of the address's `SO_REUSEPORT` group, or a socket shared with other workers,
//! registered with `EPOLLEXCLUSIVE`), and the connections it accepted. Workers share nothing mutable but the statistics atomics and the
//! access log's file (appends), so they scale with cores and never lock.
//!
//! The loop: wait (at most until the next deadline sweep), accept a batch, drive every
//! ready connection ([`Conn::on_event`]), write the turn's log lines, publish the turn's
//! counters, and twice a second close connections past their deadline.
//!
//! The main thread steers it through [`Control`] and the worker's own [`Waker`]: on a wake
//! the worker drains it and looks at the control. A new [`Shared`](crate::conn::ctx::Shared)
//! (SIGHUP) is taken for the next requests (bodies being sent carry on from their open
//! files). `State::Stop` (SIGTERM, SIGINT) closes every connection and returns. `State::Graceful`
//! (SIGQUIT) closes the listeners and idle connections, lets the others finish their
//! response (which then closes, no keep-alive), and returns when none is left or at
//! `shutdown_timeout`.
//!
//! It uses netcore's epoll backend, waker and signal forwarding, but not its `EventLoop`:
//! that loop copies every outbound byte into a per-connection queue, while a file server
//! must hand bodies to `sendfile`, answer pipelined requests one at a time behind a blocked
//! body, and give each connection its own deadline (header, keep-alive, send, linger).

use crate::conn::connection::{Conn, Next};
use crate::conn::ctx::{Ctx, TurnStats};
use crate::files::file_cache::FileCache;
use crate::http::date::Clock;
use crate::log::access::AccessLog;
use crate::process::control::{Control, State};
use netcore::backend::Epoll;
use netcore::signal::Waker;
use netcore::slab::Slab;
use netcore::{Event, Interest, Readiness};
use std::fs::File;
use std::io;
use std::net::TcpListener;
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAKER: usize = usize::MAX;
/// Listener `i` has token `LISTENER_FIRST + i` (connection ids are slab indices, far below).
const LISTENER_FIRST: usize = usize::MAX / 2;
/// Accepts per listener readiness, so a connection storm cannot starve open connections.
const ACCEPT_BATCH: usize = 128;
/// How often deadlines are checked.
const SWEEP_EVERY: Duration = Duration::from_millis(500);

pub(crate) struct Worker {
    epoll: Epoll,
    /// One per `listen` address.
    listeners: Vec<TcpListener>,
    control: Arc<Control>,
    /// This worker's, woken by the main thread when `control` changed.
    waker: Arc<Waker>,
    /// The `control` generation of `ctx.shared`.
    generation: u64,
    /// Graceful stop under way: close when no connection is left, or at this instant.
    draining: Option<Instant>,
    /// The connections by token (a token freed in a turn is reused from the next only).
    conns: Slab<Conn>,
    ctx: Ctx,
    /// Closed to free a descriptor when accept hits EMFILE (see `accept_batch`).
    reserve_fd: Option<File>,
    max_connections: usize,
    /// Close everything and return at the end of this turn.
    stop_now: bool,
}

impl Worker {
    pub(crate) fn new(
        listeners: Vec<TcpListener>,
        control: Arc<Control>,
        index: usize,
    ) -> io::Result<Worker> {
        let waker = control
            .wakers()
            .get(index)
            .cloned()
            .ok_or_else(|| io::Error::other("no waker for this worker"))?;
        let generation = control.generation();
        let shared = control.shared();
        let log_file = shared.access_log.clone();
        let mut epoll = Epoll::new()?;
        // Exclusive: a listening socket may be shared by several workers (threads of a
        // reload's generations, worker processes); a connection wakes one of them.
        for (i, l) in listeners.iter().enumerate() {
            epoll.register_exclusive(l.as_raw_fd(), LISTENER_FIRST + i, Interest::READ)?;
        }
        epoll.register(waker.read_fd(), WAKER, Interest::READ)?;
        let max_connections = shared.max_connections_per_worker;
        Ok(Worker {
            epoll,
            listeners,
            control,
            waker,
            generation,
            draining: None,
            conns: Slab::default(),
            ctx: Ctx {
                shared,
                clock: Clock::new(),
                log: AccessLog::new(log_file),
                out: Vec::with_capacity(64 * 1024),
                scratch: vec![0; 16 * 1024],
                stats: TurnStats::default(),
                files: FileCache::new(),
                now: Instant::now(),
                shutting_down: false,
            },
            reserve_fd: File::open("/dev/null").ok(),
            max_connections,
            stop_now: false,
        })
    }

    /// Serves until the waker is woken.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events: Vec<Event> = Vec::with_capacity(1024);
        let mut next_sweep = Instant::now() + SWEEP_EVERY;
        loop {
            let timeout = next_sweep.saturating_duration_since(Instant::now());
            self.epoll.wait(&mut events, Some(timeout))?;
            self.ctx.now = Instant::now();
            self.ctx.clock.tick();
            for ev in &events {
                match ev.token {
                    WAKER => self.on_control(),
                    t if t >= LISTENER_FIRST => self.accept_batch(t - LISTENER_FIRST),
                    id => self.drive(id, ev),
                }
            }
            if self.ctx.now >= next_sweep {
                self.sweep();
                next_sweep = self.ctx.now + SWEEP_EVERY;
            }
            if let Some(deadline) = self.draining {
                self.close_idle();
                if self.conns.is_empty() || self.ctx.now >= deadline {
                    self.stop_now = true;
                }
            }
            self.end_turn();
            if self.stop_now {
                self.close_all();
                self.end_turn();
                return Ok(());
            }
        }
    }

    /// The main thread changed something: take the new settings, or stop.
    fn on_control(&mut self) {
        self.waker.drain();
        let generation = self.control.generation();
        if generation != self.generation {
            self.generation = generation;
            let shared = self.control.shared();
            self.ctx.log.set_target(shared.access_log.clone());
            self.max_connections = shared.max_connections_per_worker;
            self.ctx.shared = shared;
            // The root may have changed: its files are opened again.
            self.ctx.files.clear();
        }
        match self.control.state() {
            State::Stop => self.stop_now = true,
            State::Graceful if self.draining.is_none() => {
                // No new connections, no keep-alive after the responses in flight.
                self.close_listeners();
                self.ctx.shutting_down = true;
                self.draining = Some(self.ctx.now + self.ctx.shared.shutdown_timeout);
            }
            _ => {}
        }
    }

    /// Stops accepting. Each listener is removed from epoll before it is closed: another
    /// worker (or process) may hold the same socket, and epoll forgets a registration only
    /// when the last descriptor of the socket closes, so a closed-but-registered listener
    /// would keep waking this worker (and, being exclusive, steal wake-ups from the others).
    fn close_listeners(&mut self) {
        for l in self.listeners.drain(..) {
            let _ = self.epoll.deregister(l.as_raw_fd());
        }
    }

    /// Closes the connections with no request in progress (graceful stop).
    fn close_idle(&mut self) {
        for id in self.conns.tokens() {
            if self.conns.get(id).is_some_and(Conn::is_idle) {
                self.close(id);
            }
        }
    }

    fn end_turn(&mut self) {
        self.ctx.log.flush();
        let s = std::mem::take(&mut self.ctx.stats);
        let c = &self.ctx.shared.counters;
        if s.requests > 0 {
            c.add_requests(s.requests);
        }
        if s.bytes_in > 0 {
            c.add_bytes_in(s.bytes_in);
        }
        if s.bytes_out > 0 {
            c.add_bytes_out(s.bytes_out);
        }
        if s.errors > 0 {
            c.add_errors(s.errors);
        }
        self.conns.end_turn();
    }

    fn accept_batch(&mut self, which: usize) {
        if which >= self.listeners.len() {
            return;
        }
        for _ in 0..ACCEPT_BATCH {
            match crate::net::socket::accept(&self.listeners[which]) {
                Ok((stream, peer)) => {
                    if self.conns.len() >= self.max_connections {
                        // Over the limit: a best-effort 503 and close.
                        self.ctx.stats.errors += 1;
                        let page = crate::http::status::Status::ServiceUnavailable.page();
                        let msg = format!(
                            "HTTP/1.1 503 Service Unavailable\r\nServer: httpd\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                            page.len()
                        );
                        let _ = crate::net::socket::send(&stream, msg.as_bytes(), false);
                        continue;
                    }
                    let conn = Conn::new(stream, peer, self.ctx.now, &self.ctx);
                    let id = self.conns.insert(conn);
                    self.ctx.shared.counters.connection_opened();
                    self.start(id);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    // Out of descriptors: free the reserve, take one connection off the
                    // queue and close it, so the listener does not stay readable forever;
                    // the kept files go too, leaving their descriptors to connections.
                    self.ctx.stats.errors += 1;
                    self.ctx.files.clear();
                    self.reserve_fd = None;
                    let _ = crate::net::socket::accept(&self.listeners[which]);
                    self.reserve_fd = File::open("/dev/null").ok();
                    return;
                }
                Err(e) => {
                    crate::log::errlog::error!("accept: {e}");
                    self.ctx.stats.errors += 1;
                    return;
                }
            }
        }
    }

    /// Drives a new connection at once (its request has often arrived with it) and
    /// registers it with epoll only if it is still open afterwards: a connection answered
    /// and closed in this first pass never costs an `epoll_ctl`.
    fn start(&mut self, id: usize) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let ev = Event {
            token: id,
            readable: true,
            writable: false,
            hangup: false,
        };
        match conn.on_event(&ev, &mut self.ctx) {
            Next::Close => self.close(id),
            Next::Wait(want) => {
                conn.interest = want;
                let fd = conn.stream().as_raw_fd();
                if self.epoll.register(fd, id, want).is_err() {
                    self.ctx.stats.errors += 1;
                    self.close(id);
                }
            }
        }
    }

    fn drive(&mut self, id: usize, ev: &Event) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        match conn.on_event(ev, &mut self.ctx) {
            Next::Close => self.close(id),
            Next::Wait(want) => {
                if want != conn.interest {
                    conn.interest = want;
                    let fd = conn.stream().as_raw_fd();
                    if self.epoll.reregister(fd, id, want).is_err() {
                        self.close(id);
                    }
                }
            }
        }
    }

    fn close(&mut self, id: usize) {
        if let Some(mut conn) = self.conns.remove(id) {
            conn.on_close(&mut self.ctx);
            // Closing the socket removes it from the epoll set (it is never duplicated).
            drop(conn);
            self.ctx.shared.counters.connection_closed();
        }
    }

    /// Closes every connection past its deadline (a head cut short gets a 408 first), and
    /// files the cache has not used for a while.
    fn sweep(&mut self) {
        let now = self.ctx.now;
        self.ctx.files.evict_idle(now);
        for id in self.conns.tokens() {
            if let Some(c) = self.conns.get_mut(id) {
                if c.deadline <= now {
                    c.on_deadline(&mut self.ctx);
                    self.close(id);
                }
            }
        }
    }

    fn close_all(&mut self) {
        for id in self.conns.tokens() {
            self.close(id);
        }
    }
}
