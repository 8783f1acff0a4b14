//! A worker: one thread on netcore's reactor (an epoll instance and the connections'
//! deadlines), its listening sockets (one per address: a socket of the address's
//! `SO_REUSEPORT` group, or a socket shared with other workers, registered with
//! `EPOLLEXCLUSIVE`), and the connections it accepted. Workers share nothing mutable but the
//! statistics atomics and the access log's file (appends), so they scale with cores and
//! never lock.
//!
//! The loop: wait (until a descriptor is ready or the next deadline), accept a batch, drive
//! every ready connection ([`Conn::on_event`]; upstream sockets alternating with the rest,
//! [`alternate_upstream`]; idle kept upstream connections' first, [`idle_events_first`])
//! and file its new deadline with the reactor, after each the
//! requests waiting in an upstream's queue that can go now ([`Worker::serve_queue`]),
//! close the connections whose deadline came, write the turn's log lines and publish the
//! turn's counters.
//!
//! The main thread steers it through [`Control`] and the worker's own [`Waker`]: on a wake
//! the worker drains it and looks at the control. A new [`Shared`](crate::conn::ctx::Shared)
//! (SIGHUP) is taken for the next requests (bodies being sent carry on from their open
//! files). `State::Stop` (SIGTERM, SIGINT) closes every connection and returns. `State::Graceful`
//! (SIGQUIT) closes the listeners and idle connections, lets the others finish their
//! response (which then closes, no keep-alive), and returns when none is left or at
//! `shutdown_timeout`.
//!
//! It sits on netcore's reactor rather than its buffered `EventLoop`: that loop copies every
//! outbound byte into a per-connection queue, while a file server must hand bodies to
//! `sendfile`, answer pipelined requests one at a time behind a blocked body, and give each
//! connection its own deadline (header, keep-alive, send, linger).

use crate::conn::connection::{Conn, Next};
use crate::conn::ctx::{Ctx, TurnStats};
use crate::files::file_cache::FileCache;
use crate::http::date::Clock;
use crate::http::response::page_response;
use crate::http::status::Status;
use crate::log::access::AccessLog;
use crate::process::control::{Control, State};
use crate::proxy::pool::{Owner, Pool};
use crate::proxy::UPSTREAM_TOKEN_BASE;
use netcore::reactor::accept::Acceptor;
use netcore::reactor::backend::Epoll;
use netcore::reactor::send::send;
use netcore::reactor::signal::Waker;
use netcore::reactor::slab::Slab;
use netcore::reactor::Reactor;
use netcore::{Event, Interest};
use std::io;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAKER: usize = usize::MAX;
/// Listener `i` has token `LISTENER_FIRST + i` (connection ids are slab indices, far below).
const LISTENER_FIRST: usize = usize::MAX / 2;
/// Accepts per listener readiness, so a connection storm cannot starve open connections.
const ACCEPT_BATCH: usize = 128;
/// How often the file cache lets go of files it has not used for a while.
const EVICT_EVERY: Duration = Duration::from_millis(500);

/// Reorders a turn's events so that upstream sockets' (`proxy_pass`) alternate with the
/// others, each kind in its own order. A response ending puts its upstream connection back
/// in the pool and a new request takes one; epoll reports them in runs (an upstream's turn
/// answers many at once, clients send many at once), and in runs the requests of a turn
/// empty the pool and connect anew while its responses overfill it and close the surplus.
/// Alternated, a connection freed is taken by the next request: with 500 clients and
/// `proxy_keepalive 32`, 0.14–0.2 new upstream connections per request instead of 0.5–0.8
/// (HAProxy's 0.4), the pool never holding more than `proxy_keepalive`.
fn alternate_upstream(events: &mut Vec<Event>, scratch: &mut Vec<Event>) {
    let is_upstream = |e: &Event| (UPSTREAM_TOKEN_BASE..LISTENER_FIRST).contains(&e.token);
    let ups = events.iter().filter(|e| is_upstream(e)).count();
    if ups == 0 || ups == events.len() {
        return;
    }
    scratch.clear();
    let mut up = events.iter().filter(|e| is_upstream(e));
    let mut rest = events.iter().filter(|e| !is_upstream(e));
    loop {
        let (a, b) = (up.next(), rest.next());
        if a.is_none() && b.is_none() {
            break;
        }
        scratch.extend(a.copied());
        scratch.extend(b.copied());
    }
    std::mem::swap(events, scratch);
}

/// Handles a turn's events of idle kept upstream connections before all others, and drops
/// them from `events`: one the upstream wrote to (stray bytes) or closed since it fell idle
/// is closed before any request of the turn can take it. In the turn's order (upstream
/// events alternated with the others, [`alternate_upstream`]) a client's request could come
/// first and take it without a peek (a GET, which may go again) and get those bytes as its
/// response.
fn idle_events_first(events: &mut Vec<Event>, pool: &mut Pool) {
    events.retain(|e| {
        let idle = (UPSTREAM_TOKEN_BASE..LISTENER_FIRST).contains(&e.token)
            && pool.owner(e.token - UPSTREAM_TOKEN_BASE) == Owner::Idle;
        if idle {
            pool.idle_event(e.token - UPSTREAM_TOKEN_BASE);
        }
        !idle
    });
}

pub(crate) struct Worker {
    reactor: Reactor<Epoll>,
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
    /// Accepts, with a descriptor in reserve for EMFILE.
    acceptor: Acceptor,
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
        let mut reactor = Reactor::new(Epoll::new()?);
        // Exclusive: a listening socket may be shared by several workers (threads of a
        // reload's generations, worker processes); a connection wakes one of them.
        for (i, l) in listeners.iter().enumerate() {
            reactor.backend_mut().register_exclusive(
                l.as_raw_fd(),
                LISTENER_FIRST + i,
                Interest::READ,
            )?;
        }
        reactor.register(waker.read_fd(), WAKER, Interest::READ)?;
        let max_connections = shared.max_connections_per_worker;
        Ok(Worker {
            reactor,
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
                scratch: vec![0; crate::proxy::BUFFER_LIMIT],
                stats: TurnStats::default(),
                files: FileCache::new(),
                now: Instant::now(),
                shutting_down: false,
                pool: Pool::default(),
                pipes: Default::default(),
            },
            acceptor: Acceptor::new(),
            max_connections,
            stop_now: false,
        })
    }

    /// Serves until the waker is woken.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events: Vec<Event> = Vec::with_capacity(1024);
        let mut order: Vec<Event> = Vec::with_capacity(1024);
        let mut next_evict = Instant::now() + EVICT_EVERY;
        loop {
            // An idle worker with no file open sleeps until a descriptor or a deadline.
            let until =
                (!self.ctx.files.is_empty() || self.ctx.pool.len() > 0).then_some(next_evict);
            self.reactor.wait(&mut events, until)?;
            self.ctx.now = Instant::now();
            self.ctx.clock.tick();
            idle_events_first(&mut events, &mut self.ctx.pool);
            alternate_upstream(&mut events, &mut order);
            for ev in &events {
                match ev.token {
                    WAKER => self.on_control(),
                    t if t >= LISTENER_FIRST => self.accept_batch(t - LISTENER_FIRST),
                    // An upstream socket (proxy_pass): its owner is driven, the connection
                    // whose exchange holds it, or the pool where it is idle.
                    t if t >= UPSTREAM_TOKEN_BASE => {
                        match self.ctx.pool.owner(t - UPSTREAM_TOKEN_BASE) {
                            Owner::Conn(id) => self.drive(id, ev),
                            Owner::Idle => self.ctx.pool.idle_event(t - UPSTREAM_TOKEN_BASE),
                            Owner::Nobody => {}
                        }
                    }
                    id => self.drive(id, ev),
                }
                self.serve_queue();
            }
            self.close_expired();
            self.serve_queue();
            if self.ctx.now >= next_evict {
                self.ctx.files.evict_idle(self.ctx.now);
                self.ctx.pool.evict(self.ctx.now);
                next_evict = self.ctx.now + EVICT_EVERY;
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
            // The root may have changed: its files are opened again; and so may the
            // upstreams: their idle connections are closed.
            self.ctx.files.clear();
            self.ctx.pool.clear();
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
            let _ = self.reactor.deregister(l.as_raw_fd(), LISTENER_FIRST);
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
        for _ in 0..ACCEPT_BATCH {
            let Some(listener) = self.listeners.get(which) else {
                return;
            };
            match self.acceptor.accept(listener) {
                Ok(Some((stream, peer))) => {
                    if self.conns.len() >= self.max_connections {
                        // Over the limit: a best-effort 503 and close.
                        self.ctx.stats.errors += 1;
                        let out = page_response(Status::ServiceUnavailable, self.ctx.clock.http());
                        let _ = send(&stream, &out, false);
                        continue;
                    }
                    let peer = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.ip());
                    let conn = Conn::new(stream, peer, self.ctx.now, &self.ctx);
                    let id = self.conns.insert(conn);
                    if let Some(c) = self.conns.get_mut(id) {
                        c.id = id;
                    }
                    self.ctx.shared.counters.connection_opened();
                    self.start(id);
                }
                Ok(None) => return,
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    // Out of descriptors: the acceptor refused one connection; the kept
                    // files go too, leaving their descriptors to connections.
                    self.ctx.stats.errors += 1;
                    self.ctx.files.clear();
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
        match conn.on_event(&ev, &mut self.ctx, self.reactor.backend_mut()) {
            Next::Close => self.close(id),
            Next::Wait(want) => {
                self.reactor.timers().set(id, conn.deadline);
                // Waiting for nothing (its request proxied, the connection to close after
                // the response, as HAProxy leaves such a client unpolled): registered only
                // when it needs to wait for something.
                if want != Interest::NONE {
                    conn.interest = Interest::NONE;
                    self.watch(id, want);
                }
            }
        }
    }

    /// Connection `id` waits for `want` from now on: registered (the first time) or its
    /// registration changed, if it differs; closed if epoll refuses.
    fn watch(&mut self, id: usize, want: Interest) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        if want == conn.interest && conn.registered {
            return;
        }
        if want == Interest::NONE && !conn.registered {
            // Never registered and waiting for nothing (as in `start`): a request that waited
            // in an upstream's queue, its client to be closed after the response.
            conn.interest = want;
            return;
        }
        conn.interest = want;
        let fd = conn.stream().as_raw_fd();
        let r = if conn.registered {
            self.reactor.reregister(fd, id, want)
        } else {
            self.reactor.register(fd, id, want)
        };
        match r {
            Ok(()) => conn.registered = true,
            Err(_) => {
                self.ctx.stats.errors += 1;
                self.close(id);
            }
        }
    }

    fn drive(&mut self, id: usize, ev: &Event) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        match conn.on_event(ev, &mut self.ctx, self.reactor.backend_mut()) {
            Next::Close => self.close(id),
            Next::Wait(want) => {
                // Usually later than before: the timers take that without a heap push.
                self.reactor.timers().set(id, conn.deadline);
                self.watch(id, want);
            }
        }
    }

    /// Drives the requests waiting in an upstream's queue that can go now: a response that
    /// ended put its connection back in the pool (or one fewer is busy), and the first
    /// waiting takes it in this turn ([`crate::proxy::pool::Pool`], the queue).
    fn serve_queue(&mut self) {
        let max = self.ctx.shared.proxy.keepalive;
        while let Some(id) = self.ctx.pool.next_waiter(max) {
            if !self.conns.get(id).is_some_and(Conn::is_queued) {
                continue;
            }
            let ev = Event {
                token: id,
                readable: false,
                writable: false,
                hangup: false,
            };
            self.drive(id, &ev);
            // Queued again: it found no connection after all (its exchange keeps the
            // `proxy_keepalive` of before a reload that raised the worker's, or the idle
            // connection it was woken for was dead). Going on would take it off again and
            // again in this turn, time standing still: the worker would spin and answer
            // nobody. Its deadline is filed, as every queued request's is, and the queue is
            // looked at again after the next event.
            if self.conns.get(id).is_some_and(Conn::is_queued) {
                break;
            }
        }
    }

    /// Applies what a connection asked for after a deadline: close, or wait on.
    fn apply(&mut self, id: usize, next: Next) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        match next {
            Next::Close => self.close(id),
            Next::Wait(want) => {
                self.reactor.timers().set(id, conn.deadline);
                self.watch(id, want);
            }
        }
    }

    fn close(&mut self, id: usize) {
        if let Some(mut conn) = self.conns.remove(id) {
            conn.on_close(&mut self.ctx);
            // Closing the socket removes it from the epoll set (it is never duplicated), so
            // only its deadline is forgotten here.
            self.reactor.timers().cancel(id);
            drop(conn);
            self.ctx.shared.counters.connection_closed();
        }
    }

    /// Closes the connections whose deadline came (a head cut short gets a 408 first).
    fn close_expired(&mut self) {
        let now = self.ctx.now;
        while let Some(id) = self.reactor.timers().expired(now) {
            if let Some(c) = self.conns.get_mut(id) {
                // A connection waiting on its upstream answers 504 and goes on sending it.
                let next = c.on_deadline(&mut self.ctx, self.reactor.backend_mut());
                self.apply(id, next);
            }
        }
    }

    fn close_all(&mut self) {
        for id in self.conns.tokens() {
            self.close(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(token: usize) -> Event {
        Event {
            token,
            readable: true,
            writable: false,
            hangup: false,
        }
    }

    #[test]
    fn upstream_events_alternate_with_the_others_and_none_is_lost() {
        let up = |i| UPSTREAM_TOKEN_BASE + i;
        let mut events: Vec<Event> = [1, 2, 3, 4, up(7), up(8), WAKER, LISTENER_FIRST]
            .into_iter()
            .map(ev)
            .collect();
        let mut scratch = Vec::new();
        alternate_upstream(&mut events, &mut scratch);
        let tokens: Vec<usize> = events.iter().map(|e| e.token).collect();
        assert_eq!(tokens, [up(7), 1, up(8), 2, 3, 4, WAKER, LISTENER_FIRST]);
        // One kind only: left as it was.
        let mut only: Vec<Event> = [3, 1, 2].into_iter().map(ev).collect();
        alternate_upstream(&mut only, &mut scratch);
        assert_eq!(only.iter().map(|e| e.token).collect::<Vec<_>>(), [3, 1, 2]);
    }
}
