//! The loop, on netcore's reactor (epoll, level-triggered) and its timer heap.
//!
//! Connection `c` has two registrations: its client as token `2c`, its upstream as `2c + 1`,
//! and one deadline under token `c` (the connect timeout while connecting, then the idle
//! timeout). A socket with nothing to wait for is taken out of epoll rather than registered
//! for nothing, because epoll reports errors and hang-ups even then and a level-triggered
//! hang-up would wake the loop until the other side drained.
//!
//! A turn: wait, accept a batch, drive the ready connections and update what their sockets
//! wait for, handle the deadlines that came, log the connections that ended.

use crate::cli::Args;
use crate::forward::conn::{Conn, End};
use crate::server::upstreams::Upstreams;
use crate::sys::{self, Connecting};
use netcore::reactor::accept::Acceptor;
use netcore::reactor::backend::{Epoll, Readiness};
use netcore::reactor::signal::Waker;
use netcore::reactor::slab::Slab;
use netcore::reactor::Reactor;
use netcore::{Event, Interest};
use std::io::{self, Write};
use std::net::TcpListener;
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

const WAKER: usize = usize::MAX;
const LISTENER: usize = usize::MAX - 1;
/// Accepts per listener readiness, so a storm of clients cannot starve open connections.
const ACCEPT_BATCH: usize = 64;

pub(crate) struct Proxy {
    reactor: Reactor<Epoll>,
    listener: TcpListener,
    waker: Waker,
    acceptor: Acceptor,
    upstreams: Upstreams,
    conns: Slab<Conn>,
    connect_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
}

impl Proxy {
    pub(crate) fn new(
        listener: TcpListener,
        waker: Waker,
        upstreams: Upstreams,
        args: &Args,
    ) -> io::Result<Proxy> {
        let mut reactor = Reactor::new(Epoll::new()?);
        reactor.register(listener.as_raw_fd(), LISTENER, Interest::READ)?;
        reactor.register(waker.read_fd(), WAKER, Interest::READ)?;
        Ok(Proxy {
            reactor,
            listener,
            waker,
            acceptor: Acceptor::new(),
            upstreams,
            conns: Slab::default(),
            connect_timeout: args.connect_timeout,
            idle_timeout: args.idle_timeout,
            max_connections: args.max_connections.max(1),
        })
    }

    /// Serves until the waker is woken (SIGINT, SIGTERM); then closes every connection.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events: Vec<Event> = Vec::with_capacity(1024);
        loop {
            self.reactor.wait(&mut events, None)?;
            for ev in &events {
                match ev.token {
                    WAKER => {
                        self.waker.drain();
                        for id in self.conns.tokens() {
                            self.end(id, End::Stopped);
                        }
                        log_line(format_args!(
                            "proxy: stopping on signal {}",
                            netcore::reactor::signal::last_signal()
                        ));
                        return Ok(());
                    }
                    LISTENER => self.accept_batch(),
                    t => self.on_event(t / 2, t % 2 == 1),
                }
            }
            let now = Instant::now();
            while let Some(id) = self.reactor.timers().expired(now) {
                self.on_deadline(id);
            }
            self.conns.end_turn();
        }
    }

    fn accept_batch(&mut self) {
        for _ in 0..ACCEPT_BATCH {
            let (client, addr) = match self.acceptor.accept(&self.listener) {
                Ok(Some(c)) => c,
                Ok(None) => return,
                Err(e) => {
                    log_line(format_args!("proxy: accept: {e}"));
                    return;
                }
            };
            let _ = client.set_nodelay(true);
            if self.conns.len() >= self.max_connections {
                let conn = match Conn::new(client, addr, 0) {
                    Ok(c) => c,
                    Err(_) => continue, // out of pipes: the drop closes the client
                };
                conn.carry(&End::Refused);
                log_conn(&conn, &self.upstreams, &End::Refused);
                continue;
            }
            let first = self.upstreams.start();
            let conn = match Conn::new(client, addr, first) {
                Ok(c) => c,
                Err(e) => {
                    log_line(format_args!("proxy: pipes for {addr:?}: {e}"));
                    continue;
                }
            };
            let id = self.conns.insert(conn);
            self.try_connect(id);
        }
    }

    /// Starts a connect to the client's next upstream; when none is left, ends it.
    fn try_connect(&mut self, id: usize) {
        loop {
            let Some(conn) = self.conns.get_mut(id) else {
                return;
            };
            if let Some(old) = conn.upstream.take() {
                if conn.upstream_reg.take().is_some() {
                    let _ = self.reactor.backend_mut().deregister(old.as_raw_fd());
                }
            }
            if conn.attempts >= self.upstreams.len() {
                self.end(id, End::NoUpstream);
                return;
            }
            let (index, addr) = self.upstreams.pick(conn.first, conn.attempts);
            conn.attempts += 1;
            conn.upstream_index = Some(index);
            match sys::connect(addr) {
                Ok(Connecting::Done(s)) => {
                    let _ = s.set_nodelay(true);
                    conn.upstream = Some(s);
                    conn.connected = true;
                    self.reactor
                        .timers()
                        .set(id, Instant::now() + self.idle_timeout);
                    self.drive(id);
                    return;
                }
                Ok(Connecting::InProgress(s)) => {
                    conn.upstream = Some(s);
                    self.reactor
                        .timers()
                        .set(id, Instant::now() + self.connect_timeout);
                    self.update(id);
                    return;
                }
                Err(e) => {
                    log_line(format_args!("proxy: connect to {addr}: {e}"));
                }
            }
        }
    }

    fn on_event(&mut self, id: usize, upstream_side: bool) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        if upstream_side && !conn.connected {
            let Some(s) = conn.upstream.as_ref() else {
                return;
            };
            match sys::finish_connect(s) {
                Ok(false) => return,
                Ok(true) => {
                    let _ = s.set_nodelay(true);
                    conn.connected = true;
                    self.reactor
                        .timers()
                        .set(id, Instant::now() + self.idle_timeout);
                }
                Err(e) => {
                    let addr = conn.upstream_index.and_then(|i| self.upstreams.addr(i));
                    log_line(format_args!("proxy: connect to {addr:?}: {e}"));
                    self.try_connect(id);
                    return;
                }
            }
        }
        self.drive(id);
    }

    /// Moves bytes, then files the new idle deadline and interests, or ends the connection.
    fn drive(&mut self, id: usize) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        match conn.drive() {
            Ok(progress) => {
                if progress && conn.connected {
                    self.reactor
                        .timers()
                        .set(id, Instant::now() + self.idle_timeout);
                }
                self.update(id);
            }
            Err(end) => self.end(id, end),
        }
    }

    fn on_deadline(&mut self, id: usize) {
        let Some(conn) = self.conns.get(id) else {
            return;
        };
        if conn.connected {
            self.end(id, End::Idle);
        } else {
            let addr = conn.upstream_index.and_then(|i| self.upstreams.addr(i));
            log_line(format_args!("proxy: connect to {addr:?}: timed out"));
            self.try_connect(id);
        }
    }

    /// Registers each socket for what it waits for now; one waiting for nothing is taken out.
    fn update(&mut self, id: usize) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let (client_want, upstream_want) = conn.interests();
        let backend = self.reactor.backend_mut();
        let client_fd = conn.client.as_raw_fd();
        let r1 = set_interest(
            backend,
            client_fd,
            2 * id,
            &mut conn.client_reg,
            client_want,
        );
        let r2 = match conn.upstream.as_ref() {
            Some(u) => set_interest(
                backend,
                u.as_raw_fd(),
                2 * id + 1,
                &mut conn.upstream_reg,
                upstream_want,
            ),
            None => Ok(()),
        };
        if let Err(e) = r1.and(r2) {
            self.end(id, End::ClientError(e));
        }
    }

    /// Takes the connection out, carries its end to the other side, closes and logs it.
    fn end(&mut self, id: usize, end: End) {
        let Some(mut conn) = self.conns.remove(id) else {
            return;
        };
        self.reactor.timers().cancel(id);
        let backend = self.reactor.backend_mut();
        if conn.client_reg.take().is_some() {
            let _ = backend.deregister(conn.client.as_raw_fd());
        }
        if let Some(u) = &conn.upstream {
            if conn.upstream_reg.take().is_some() {
                let _ = backend.deregister(u.as_raw_fd());
            }
        }
        conn.carry(&end);
        log_conn(&conn, &self.upstreams, &end);
        // Dropping `conn` closes both sockets and both pipes.
    }
}

fn set_interest(
    backend: &mut Epoll,
    fd: RawFd,
    token: usize,
    current: &mut Option<Interest>,
    want: Interest,
) -> io::Result<()> {
    match (*current, want == Interest::NONE) {
        (None, true) => return Ok(()),
        (Some(_), true) => backend.deregister(fd)?,
        (None, false) => backend.register(fd, token, want)?,
        (Some(now), false) if now == want => return Ok(()),
        (Some(_), false) => backend.reregister(fd, token, want)?,
    }
    *current = (want != Interest::NONE).then_some(want);
    Ok(())
}

/// One line on stderr; a stderr that is gone is not a reason to stop.
fn log_line(args: std::fmt::Arguments<'_>) {
    let _ = writeln!(io::stderr().lock(), "{args}");
}

fn log_conn(conn: &Conn, upstreams: &Upstreams, end: &End) {
    let client = conn
        .client_addr
        .map_or_else(|| "-".to_string(), |a| a.to_string());
    let upstream = conn
        .upstream_index
        .and_then(|i| upstreams.addr(i))
        .map_or_else(|| "-".to_string(), |a| a.to_string());
    log_line(format_args!(
        "conn client={client} upstream={upstream} up={} down={} duration={:.3}s end={end}",
        conn.up.bytes,
        conn.down.bytes,
        conn.started.elapsed().as_secs_f64()
    ));
}
