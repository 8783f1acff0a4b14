//! The loop, on netcore's reactor (epoll) and its timer heap.
//!
//! Epoll tokens: connection `c` registers its client as `2c` and its upstream as `2c + 1`;
//! listener `i` is `LISTENERS - i`, active check `i` is `CHECKS + i`, the signal pipe is
//! `WAKER`. Timer tokens (the timer table is indexed by token, so they stay small): `2c` for
//! connection `c` (the connect timeout while connecting, then the idle timeout, never past
//! the total timeout), `2k + 1` for the rest: `k = 0` the drain's limit, `k = i + 1` check
//! `i`'s interval.
//!
//! A connection's sockets are registered edge-triggered, once, for reading and writing (as
//! nginx does): no `epoll_ctl` while bytes move, none at the end (the close takes them out).
//! A wake-up says a socket became readable or writable; a direction then moves bytes until
//! `EAGAIN` (or a short copying read), so it never waits on readiness it has not used up,
//! except when it stops at its per-call limit: the connection is then driven again next turn
//! without waiting (`again`).
//!
//! A turn: write the last turn's connection lines (one `write` for all of them), wait (not
//! at all when connections are to be driven again), drive those, handle
//! signals, accept a batch per ready listener, drive the ready connections, handle the
//! deadlines that came, and when draining, exit once no connection is left.

use crate::config::{Config, ListenConf};
use crate::forward::conn::{Conn, End};
use crate::forward::pipes::Pipes;
use crate::forward::proxy_header;
use crate::server::checks::Checks;
use crate::server::signals::{self, Command};
use crate::server::stats::Stats;
use crate::server::upstreams::Group;
use crate::server::{flush_log, log_conn, log_line};
use crate::sys;
use netcore::reactor::accept::Acceptor;
use netcore::reactor::backend::{Epoll, Readiness};
use netcore::reactor::connect::{self, Connecting};
use netcore::reactor::listener::ListenerBuilder;
use netcore::reactor::reset::linger_zero;
use netcore::reactor::signal::Waker;
use netcore::reactor::slab::Slab;
use netcore::reactor::Reactor;
use netcore::{Event, Interest};
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};

const WAKER: usize = usize::MAX;
/// Listener `i` is `LISTENERS - i` (at most 1024 of them, the config's limit).
const LISTENERS: usize = usize::MAX - 1;
const LISTENERS_END: usize = LISTENERS - 1024;
/// Check `i` is `CHECKS + i`.
const CHECKS: usize = usize::MAX / 2;
/// The drain's timer token.
const DRAIN_TIMER: usize = 1;
/// Accepts per listener readiness, so a storm of clients cannot starve open connections.
const ACCEPT_BATCH: usize = 64;

fn conn_timer(id: usize) -> usize {
    2 * id
}

fn check_timer(i: usize) -> usize {
    2 * (i + 1) + 1
}

/// A bound listener and the group its clients go to.
struct Listener {
    conf: ListenConf,
    socket: TcpListener,
    group: Rc<Group>,
}

/// Reads the configuration again (SIGHUP); `None` when there is no file to read.
pub(crate) type Reload<'a> = Option<&'a dyn Fn() -> Result<Config, String>>;

pub(crate) struct Proxy<'a> {
    reactor: Reactor<Epoll>,
    waker: Waker,
    acceptor: Acceptor,
    config: Config,
    reload: Reload<'a>,
    listeners: Vec<Listener>,
    groups: Vec<Rc<Group>>,
    checks: Checks,
    conns: Slab<Conn>,
    /// The splice pipes, lent to a connection's direction while it has bytes in flight.
    pipes: Pipes,
    /// The soft `RLIMIT_NOFILE`, to warn when a configuration may need more.
    fd_limit: u64,
    /// SIGQUIT came: no listener left, exit once no connection is.
    draining: bool,
    /// Connections that stopped at their per-call limit with bytes still to move: driven
    /// again next turn, which does not wait for events (no edge would come for them).
    again: Vec<usize>,
    stats: Stats,
}

impl<'a> Proxy<'a> {
    /// Binds the listeners of `config` and starts its checks.
    pub(crate) fn new(
        config: Config,
        waker: Waker,
        reload: Reload<'a>,
        stats: Stats,
        fd_limit: u64,
    ) -> io::Result<Proxy<'a>> {
        let mut reactor = Reactor::new(Epoll::new()?);
        reactor.register(waker.read_fd(), WAKER, Interest::READ)?;
        let checks = Checks::new(&[], CHECKS, check_timer, &mut reactor);
        let mut p = Proxy {
            reactor,
            waker,
            acceptor: Acceptor::new(),
            config: Config::default(),
            reload,
            listeners: Vec::new(),
            groups: Vec::new(),
            checks,
            conns: Slab::default(),
            pipes: Pipes::new(0),
            fd_limit,
            draining: false,
            again: Vec::new(),
            stats,
        };
        p.apply(config).map_err(io::Error::other)?;
        Ok(p)
    }

    /// Makes `config` the running one: listeners kept where the address is the same, bound
    /// where new, closed where gone; groups made anew, keeping the state of kept servers;
    /// checks started again. Open connections are not touched. On an error (an address
    /// that cannot be bound) nothing changes.
    fn apply(&mut self, config: Config) -> Result<(), String> {
        let groups: Vec<Rc<Group>> = config
            .groups
            .iter()
            .map(|g| {
                let old = self.groups.iter().find(|o| o.name == g.name);
                Rc::new(Group::new(g, old.map(|o| &**o)))
            })
            .collect();
        // First bind what is new, so that a failure leaves everything as it was.
        // (`taken` mimics the matching below, for several listeners on port 0.)
        let mut fresh: Vec<(SocketAddr, TcpListener)> = Vec::new();
        let mut taken = vec![false; self.listeners.len()];
        for conf in &config.listeners {
            if !groups.iter().any(|g| g.name == conf.group) {
                return Err(format!("listen {}: no group {}", conf.addr, conf.group));
            }
            let kept = (0..self.listeners.len())
                .find(|&i| !taken[i] && self.listeners[i].conf.addr == conf.addr);
            match kept {
                Some(i) => taken[i] = true,
                None => fresh.push((conf.addr, bind(conf.addr)?)),
            }
        }
        let mut old: Vec<Option<Listener>> = self.listeners.drain(..).map(Some).collect();
        let mut next = Vec::with_capacity(config.listeners.len());
        for conf in &config.listeners {
            let group = groups
                .iter()
                .find(|g| g.name == conf.group)
                .expect("checked above: every listener's group exists")
                .clone();
            let kept = old
                .iter_mut()
                .find(|l| l.as_ref().is_some_and(|l| l.conf.addr == conf.addr))
                .and_then(Option::take)
                .map(|l| l.socket);
            let socket = match kept {
                Some(s) => s,
                None => {
                    let i = fresh
                        .iter()
                        .position(|(a, _)| *a == conf.addr)
                        .expect("bound above");
                    fresh.swap_remove(i).1
                }
            };
            next.push(Listener {
                conf: conf.clone(),
                socket,
                group,
            });
        }
        // Commit: the listeners gone are closed, the rest registered under their new index.
        for l in old.into_iter().flatten() {
            let _ = self.reactor.backend_mut().deregister(l.socket.as_raw_fd());
            log_line(format_args!("proxy: closed listener {}", l.conf.addr));
        }
        for (i, l) in next.iter().enumerate() {
            let fd = l.socket.as_raw_fd();
            let backend = self.reactor.backend_mut();
            if backend
                .reregister(fd, LISTENERS - i, Interest::READ)
                .is_err()
            {
                backend
                    .register(fd, LISTENERS - i, Interest::READ)
                    .map_err(|e| format!("listen {}: {e}", l.conf.addr))?;
            }
            let addr = l
                .socket
                .local_addr()
                .map_or_else(|_| l.conf.addr.to_string(), |a| a.to_string());
            log_line(format_args!(
                "proxy: listening on {addr} group {} upstreams {}",
                l.group.name,
                l.group.describe()
            ));
        }
        self.listeners = next;
        self.checks.clear(&mut self.reactor);
        self.checks = Checks::new(&groups, CHECKS, check_timer, &mut self.reactor);
        self.groups = groups;
        self.pipes.set_max(config.pipes());
        self.pipes.set_size(config.pipe_size);
        let need = config.descriptors();
        if need > self.fd_limit {
            // As HAProxy warns when its maxsock is over the limit: past it, clients are
            // refused at accept and transfers copy for want of a pipe.
            log_line(format_args!(
                "proxy: warning: descriptor limit {} is below the {need} that max_connections {} and max_pipes {} may need; raise RLIMIT_NOFILE (ulimit -n) or lower them",
                self.fd_limit,
                config.max_connections,
                config.pipes()
            ));
        }
        self.config = config;
        Ok(())
    }

    /// Serves until SIGINT or SIGTERM, or until a drain (SIGQUIT) is over.
    pub(crate) fn run(mut self) -> io::Result<()> {
        let mut events: Vec<Event> = Vec::with_capacity(1024);
        // The connection lines of the last turn are written when it ends, whichever way.
        let _flush = FlushOnDrop;
        loop {
            flush_log();
            let until = (!self.again.is_empty()).then(Instant::now);
            self.reactor.wait(&mut events, until)?;
            // Before this turn's accepts, so that no token in the list is reused yet.
            for id in std::mem::take(&mut self.again) {
                if let Some(conn) = self.conns.get_mut(id) {
                    conn.again = false;
                    self.drive(id);
                }
            }
            for ev in &events {
                match ev.token {
                    WAKER => {
                        for cmd in signals::take(&self.waker) {
                            if self.on_command(cmd) {
                                return Ok(());
                            }
                        }
                    }
                    t if t > LISTENERS_END => self.accept_batch(LISTENERS - t),
                    t if t >= CHECKS => {
                        if let Some(i) = self.checks.index(t) {
                            self.checks.on_ready(i, &mut self.reactor);
                        }
                    }
                    t => self.on_event(t / 2, t % 2 == 1, ev),
                }
            }
            let now = Instant::now();
            while let Some(t) = self.reactor.timers().expired(now) {
                match t {
                    DRAIN_TIMER => {
                        log_line(format_args!(
                            "proxy: drain: shutdown_timeout passed, closing {} connections",
                            self.conns.len()
                        ));
                        for id in self.conns.tokens() {
                            self.end(id, End::DrainTimeout);
                        }
                    }
                    t if t % 2 == 1 => self.checks.on_timer(t / 2 - 1, &mut self.reactor),
                    t => self.on_deadline(t / 2),
                }
            }
            self.conns.end_turn();
            if self.draining && self.conns.is_empty() {
                log_line(format_args!("proxy: drained, exiting"));
                return Ok(());
            }
        }
    }

    /// Acts on an operator's signal; `true`: exit now.
    fn on_command(&mut self, cmd: Command) -> bool {
        match cmd {
            Command::Stop => {
                for id in self.conns.tokens() {
                    self.end(id, End::Stopped);
                }
                log_line(format_args!(
                    "proxy: stopping on signal {}",
                    netcore::reactor::signal::last_signal()
                ));
                true
            }
            Command::Drain => {
                if !self.draining {
                    self.draining = true;
                    for l in self.listeners.drain(..) {
                        let _ = self.reactor.backend_mut().deregister(l.socket.as_raw_fd());
                    }
                    self.checks.clear(&mut self.reactor);
                    let limit = self.config.shutdown_timeout;
                    self.reactor
                        .timers()
                        .set(DRAIN_TIMER, Instant::now() + limit);
                    log_line(format_args!(
                        "proxy: draining: listeners closed, waiting up to {limit:?} for {} connections",
                        self.conns.len()
                    ));
                }
                false
            }
            Command::Reload => {
                match (self.draining, self.reload) {
                    (true, _) => log_line(format_args!("proxy: reload: ignored while draining")),
                    (false, None) => log_line(format_args!(
                        "proxy: reload: no config file to read (started without -c)"
                    )),
                    (false, Some(read)) => match read().and_then(|c| self.apply(c)) {
                        Ok(()) => log_line(format_args!(
                            "proxy: reloaded: {} listeners, {} groups, {} connections kept",
                            self.listeners.len(),
                            self.groups.len(),
                            self.conns.len()
                        )),
                        Err(e) => log_line(format_args!(
                            "proxy: reload refused, the running configuration stays: {e}"
                        )),
                    },
                }
                false
            }
        }
    }

    fn accept_batch(&mut self, index: usize) {
        for _ in 0..ACCEPT_BATCH {
            let Some(l) = self.listeners.get(index) else {
                return;
            };
            let (client, addr) = match self.acceptor.accept(&l.socket) {
                Ok(Some(c)) => c,
                Ok(None) => return,
                Err(e) => {
                    log_line(format_args!("proxy: accept: {e}"));
                    return;
                }
            };
            // TCP_NODELAY is the listener's, inherited (`bind`): no setsockopt here.
            if self.conns.len() >= self.config.max_connections {
                linger_zero(&client);
                self.stats.refused();
                log_line(format_args!(
                    "conn client={} upstream=- up=0 down=0 duration=0.000s end=refused (max-connections)",
                    addr.map_or_else(|| "-".to_string(), |a| a.to_string())
                ));
                continue;
            }
            let fd = client.as_raw_fd();
            let conn = Conn::new(client, addr, l.group.clone(), self.config.forward);
            let id = self.conns.insert(conn);
            self.stats.opened();
            if let Err(e) = self.reactor.backend_mut().register_edge(fd, 2 * id) {
                self.end(id, End::ClientError(e));
                continue;
            }
            self.try_connect(id);
        }
    }

    /// Files connection `id`'s deadline: `after` from now, never past its total timeout.
    fn arm(&mut self, id: usize, after: Duration) {
        let Some(conn) = self.conns.get(id) else {
            return;
        };
        let mut when = Instant::now() + after;
        if let Some(total) = self.config.total_timeout {
            when = when.min(conn.started + total);
        }
        self.reactor.timers().set(conn_timer(id), when);
    }

    /// Starts a connect to the client's next upstream; when none is left, ends it.
    fn try_connect(&mut self, id: usize) {
        loop {
            let Some(conn) = self.conns.get_mut(id) else {
                return;
            };
            // A socket that failed to connect is closed, which takes it out of epoll.
            conn.upstream = None;
            conn.lease = None;
            let Some(lease) = conn.group.pick(conn.first, &conn.tried, Instant::now()) else {
                self.end(id, End::NoUpstream);
                return;
            };
            let addr = lease.0.addr;
            conn.tried.push(addr);
            conn.lease = Some(lease);
            let started = connect::connect(addr).and_then(|c| {
                let s = match &c {
                    Connecting::Done(s) | Connecting::InProgress(s) => s,
                };
                self.reactor
                    .backend_mut()
                    .register_edge(s.as_raw_fd(), 2 * id + 1)?;
                Ok(c)
            });
            match started {
                Ok(Connecting::Done(s)) => {
                    let _ = s.set_nodelay(true);
                    conn.upstream = Some(s);
                    self.connected(id);
                    self.drive(id);
                    return;
                }
                Ok(Connecting::InProgress(s)) => {
                    conn.upstream = Some(s);
                    self.arm(id, self.config.connect_timeout);
                    return;
                }
                Err(e) => self.connect_failed(id, addr, &e.to_string()),
            }
        }
    }

    /// The connect succeeded: counted for the server, the PROXY header queued if the group
    /// asks for it, the idle timer started.
    fn connected(&mut self, id: usize) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        conn.connected = true;
        if let Some(l) = &conn.lease {
            l.0.succeeded(&conn.group.name, false);
        }
        if let Some(version) = conn.group.send_proxy {
            if let Ok(dst) = conn.client.local_addr() {
                conn.preamble = proxy_header::header(version, conn.client_addr, dst);
            }
        }
        self.arm(id, self.config.idle_timeout);
    }

    /// A connect attempt failed: logged, and counted against the server.
    fn connect_failed(&mut self, id: usize, addr: SocketAddr, why: &str) {
        log_line(format_args!("proxy: connect to {addr}: {why}"));
        if let Some(conn) = self.conns.get(id) {
            if let Some(l) = &conn.lease {
                l.0.failed(&conn.group, false, Instant::now());
            }
        }
    }

    /// Socket `upstream_side` of connection `id` is ready as `ev` says.
    fn on_event(&mut self, id: usize, upstream_side: bool, ev: &Event) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        // Remembered even while connecting: no other wake-up comes for what is there now.
        if ev.readable {
            conn.readable(upstream_side, ev.hangup);
        }
        let writable = ev.writable && !ev.hangup;
        if upstream_side && !conn.connected {
            let Some(s) = conn.upstream.as_ref() else {
                return;
            };
            // Writable with no error or hang-up reported is connected: a socket still
            // connecting is not writable, and a failed connect is reported with EPOLLERR
            // and EPOLLHUP, so neither SO_ERROR nor getpeername is asked (HAProxy asks
            // neither either). Otherwise SO_ERROR says why, or that it is still under way.
            let done = if writable {
                Ok(true)
            } else {
                match s.take_error() {
                    Ok(None) => connect::finish_connect(s),
                    Ok(Some(e)) | Err(e) => Err(e),
                }
            };
            match done {
                Ok(false) => return,
                Ok(true) => {
                    let _ = s.set_nodelay(true);
                    self.connected(id);
                }
                Err(e) => {
                    if let Some(addr) = conn.upstream_addr() {
                        self.connect_failed(id, addr, &e.to_string());
                    }
                    self.try_connect(id);
                    return;
                }
            }
        }
        self.drive(id);
    }

    /// Moves bytes, then files the new idle deadline (and the connection for another turn
    /// if it stopped at its limit), or ends the connection.
    fn drive(&mut self, id: usize) {
        let Some(conn) = self.conns.get_mut(id) else {
            return;
        };
        let before = (conn.up.bytes, conn.down.bytes);
        let result = conn.drive(&mut self.pipes);
        self.stats
            .moved(conn.up.bytes - before.0, conn.down.bytes - before.1);
        match result {
            Ok(progress) => {
                if conn.busy() && !conn.again {
                    conn.again = true;
                    self.again.push(id);
                }
                if progress && conn.connected {
                    self.arm(id, self.config.idle_timeout);
                }
            }
            Err(end) => self.end(id, end),
        }
    }

    fn on_deadline(&mut self, id: usize) {
        let Some(conn) = self.conns.get(id) else {
            return;
        };
        let over = self
            .config
            .total_timeout
            .is_some_and(|t| conn.started.elapsed() >= t);
        if over {
            self.end(id, End::Lifetime);
        } else if conn.connected {
            self.end(id, End::Idle);
        } else {
            if let Some(addr) = conn.upstream_addr() {
                self.connect_failed(id, addr, "timed out");
            }
            self.try_connect(id);
        }
    }

    /// Takes the connection out, carries its end to the other side, closes and logs it.
    fn end(&mut self, id: usize, end: End) {
        let Some(mut conn) = self.conns.remove(id) else {
            return;
        };
        self.reactor.timers().cancel(conn_timer(id));
        // No EPOLL_CTL_DEL: closing a socket (the last descriptor of it: none is duplicated)
        // takes it out of epoll, and events already returned for its token are dropped, the
        // slab not reusing a token within the turn. (Its place in `again`, if any, is
        // skipped likewise.)
        conn.carry(&end);
        conn.release(&mut self.pipes);
        self.stats.ended(&end);
        let line = conn_line(&conn, &end);
        // Closes both sockets and gives the lease back, before the line says it is over.
        drop(conn);
        log_conn(&line);
    }
}

/// A listener whose connections have Nagle's algorithm off from the start: Linux copies
/// `TCP_NODELAY` from the listening socket to the ones it accepts, which saves a
/// `setsockopt` per client.
/// Writes the connection lines still kept when the loop returns (or unwinds).
struct FlushOnDrop;

impl Drop for FlushOnDrop {
    fn drop(&mut self) {
        flush_log();
    }
}

fn bind(addr: SocketAddr) -> Result<TcpListener, String> {
    ListenerBuilder::new(addr)
        .nonblocking(true)
        .bind_with(sys::set_nodelay)
        .map_err(|e| format!("listen on {addr}: {e}"))
}

/// The connection's log line.
fn conn_line(conn: &Conn, end: &End) -> String {
    let client = conn
        .client_addr
        .map_or_else(|| "-".to_string(), |a| a.to_string());
    let upstream = conn
        .upstream_addr()
        .map_or_else(|| "-".to_string(), |a| a.to_string());
    // Copying is the exception (asked for, or splice refused): said when it happened.
    let copied = if conn.up.copying() || conn.down.copying() {
        " forward=copy"
    } else {
        ""
    };
    format!(
        "conn client={client} upstream={upstream} up={} down={} duration={:.3}s spliced={}{copied} end={end}",
        conn.up.bytes,
        conn.down.bytes,
        conn.started.elapsed().as_secs_f64(),
        conn.up.spliced + conn.down.spliced
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    #[test]
    fn accepted_clients_have_nagle_off_from_the_listener() {
        let l = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let _c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (client, _) = loop {
            match Acceptor::new().accept(&l).unwrap() {
                Some(c) => break c,
                None => std::thread::sleep(Duration::from_millis(1)),
            }
        };
        assert!(client.nodelay().unwrap());
    }
}
