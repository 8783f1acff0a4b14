//! A worker's idle keep-alive connections to its upstreams (nginx's `keepalive N` in an
//! `upstream` block): a connection whose response ended cleanly is put back, the next
//! request to the same upstream takes the most recently used one.
//!
//! An upstream socket stays registered with the worker's epoll from its connect to its
//! close, for reading, under the token `UPSTREAM_TOKEN_BASE + fd` (HAProxy keys its
//! events by descriptor too): no `epoll_ctl` when a response ends and the connection comes
//! back here, none when the next request takes it. The pool says whose a descriptor's
//! events are ([`Owner`]): the connection whose exchange holds it, or the pool while it is
//! idle, where a wake-up means the upstream closed it (or sent stray bytes, or reset it):
//! checked with a peek, and closed. A connection taken is peeked too when its request could
//! not be sent again (a body, or a method that is not idempotent): the race that remains
//! (the upstream closes it while the wake-up is not yet handled) is the exchange's to
//! handle, by retrying once, which only requests that may go twice do.

use crate::net::idle::{close_reset, idle_alive};
use std::collections::VecDeque;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

/// Idle connections older than this are closed rather than reused (an upstream usually
/// closes its own idle connections after a while; nginx's `keepalive_timeout` 60s).
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

/// Whose an upstream descriptor's events are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Nobody's (closed, or never lent): an event left over from before is dropped.
    Nobody,
    /// The exchange of connection `id`.
    Conn(usize),
    /// Idle in the pool.
    Idle,
}

#[derive(Debug)]
struct Idle {
    addr: SocketAddr,
    stream: TcpStream,
    since: Instant,
}

/// An upstream's exchanges: how many hold a connection to it, and which wait for one.
#[derive(Debug)]
struct Load {
    addr: SocketAddr,
    busy: usize,
    /// How long an exchange holds its connection, on average of late (an exponentially
    /// weighted mean; `None` before the first).
    held: Option<Duration>,
    /// Connection ids, first come first.
    waiting: VecDeque<usize>,
}

/// The idle connections, most recently used last, the owners of upstream descriptors, and
/// each upstream's busy connections and queue.
///
/// The queue: a request that finds no idle connection to its upstream while `max` (the
/// `proxy_keepalive` bound) connections to it are busy waits for one to fall free, as
/// long as `proxy_queue_wait` (2 ms), rather than connecting at once. Otherwise a burst of requests
/// (a worker's turn starts every request it accepted, up to 128) opens a connection for
/// each beyond the idle ones, and when their responses end all but `max` of those are
/// closed again: connect and close (and the upstream's accept) on every request past the
/// bound, though the responses of the busy ones free a connection a few microseconds
/// later. Bounded in time, so an upstream whose busy connections stay busy (slow or
/// long-polling requests) is not held to `max` at once: past the wait, a request connects;
/// and one that would likely wait longer (its place in the queue, over the busy ones, times
/// how long an exchange holds its connection of late) connects at once.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    idle: Vec<Idle>,
    /// By descriptor.
    owners: Vec<Owner>,
    /// By upstream; a few entries (one per `proxy_pass` upstream).
    loads: Vec<Load>,
}

impl Pool {
    /// A live idle connection to `addr`, if one is kept, now lent to connection `id`;
    /// `check`: peek at it first (the request could not be sent again on another).
    /// Registered for reading, as every idle connection is.
    pub(crate) fn take(
        &mut self,
        addr: SocketAddr,
        now: Instant,
        check: bool,
        id: usize,
    ) -> Option<TcpStream> {
        while let Some(i) = self.idle.iter().rposition(|c| c.addr == addr) {
            let c = self.idle.remove(i);
            let fd = c.stream.as_raw_fd();
            if now.duration_since(c.since) < IDLE_TIMEOUT && (!check || idle_alive(&c.stream)) {
                self.lend(fd, id);
                return Some(c.stream);
            }
            self.set(fd, Owner::Nobody);
        }
        None
    }

    fn load(&mut self, addr: SocketAddr) -> &mut Load {
        let i = match self.loads.iter().position(|l| l.addr == addr) {
            Some(i) => i,
            None => {
                self.loads.push(Load {
                    addr,
                    busy: 0,
                    held: None,
                    waiting: VecDeque::new(),
                });
                self.loads.len() - 1
            }
        };
        &mut self.loads[i]
    }

    /// Whether a request to `addr` that found no idle connection may open one: fewer than
    /// `max` are busy (or none is kept: `max` 0), there is no queue (`wait` 0), it `waited`
    /// its `wait` in the queue already, or a place at the end of the queue would likely
    /// take longer than that (each busy connection falls free every `held` on average).
    pub(crate) fn may_connect(
        &mut self,
        addr: SocketAddr,
        max: usize,
        wait: Duration,
        waited: bool,
    ) -> bool {
        let l = self.load(addr);
        if max == 0 || wait.is_zero() || waited || l.busy < max {
            return true;
        }
        let place = l.waiting.len() as u32 + 1;
        l.held
            .is_some_and(|h| h * place / l.busy.max(1) as u32 > wait)
    }

    /// An exchange holds a connection to `addr` (taken or opened) from now on.
    pub(crate) fn hold(&mut self, addr: SocketAddr) {
        self.load(addr).busy += 1;
    }

    /// An exchange let go of its connection to `addr` (back in the pool, or closed), which
    /// it `held` for so long.
    pub(crate) fn release(&mut self, addr: SocketAddr, held: Duration) {
        let l = self.load(addr);
        l.busy = l.busy.saturating_sub(1);
        l.held = Some(l.held.map_or(held, |h| (h * 7 + held) / 8));
    }

    /// Connection `id` waits for a connection to `addr` (once in the queue, keeping its place).
    pub(crate) fn wait(&mut self, addr: SocketAddr, id: usize) {
        let l = self.load(addr);
        if !l.waiting.contains(&id) {
            l.waiting.push_back(id);
        }
    }

    /// Connection `id` no longer waits for a connection to `addr`.
    pub(crate) fn unwait(&mut self, addr: SocketAddr, id: usize) {
        let l = self.load(addr);
        if let Some(i) = l.waiting.iter().position(|&w| w == id) {
            l.waiting.remove(i);
        }
    }

    /// The first connection waiting for an upstream that has an idle connection now, or
    /// fewer than `max` busy, taken off the queue (its exchange is to be driven again).
    pub(crate) fn next_waiter(&mut self, max: usize) -> Option<usize> {
        let idle = &self.idle;
        let l = self.loads.iter_mut().find(|l| {
            !l.waiting.is_empty() && (l.busy < max || idle.iter().any(|c| c.addr == l.addr))
        })?;
        l.waiting.pop_front()
    }

    /// Upstream descriptor `fd`'s events go to connection `id` from now on.
    pub(crate) fn lend(&mut self, fd: RawFd, id: usize) {
        self.set(fd, Owner::Conn(id));
    }

    /// Whose `fd`'s events are.
    pub(crate) fn owner(&self, fd: usize) -> Owner {
        self.owners.get(fd).copied().unwrap_or(Owner::Nobody)
    }

    fn set(&mut self, fd: RawFd, owner: Owner) {
        let Ok(i) = usize::try_from(fd) else { return };
        if i >= self.owners.len() {
            self.owners.resize(i + 1, Owner::Nobody);
        }
        self.owners[i] = owner;
    }

    /// Keeps `stream` (registered for reading) for the next request to `addr`;
    /// past `max` idle connections to it, the oldest is closed, with a reset
    /// ([`close_reset`]: with more clients than `max` this happens thousands of times a
    /// second, and a FIN would leave each in `TIME_WAIT`).
    pub(crate) fn put(&mut self, addr: SocketAddr, stream: TcpStream, now: Instant, max: usize) {
        if max == 0 {
            self.set(stream.as_raw_fd(), Owner::Nobody);
            close_reset(stream);
            return;
        }
        if self.idle.iter().filter(|c| c.addr == addr).count() >= max {
            if let Some(i) = self.idle.iter().position(|c| c.addr == addr) {
                let old = self.idle.remove(i).stream;
                self.set(old.as_raw_fd(), Owner::Nobody);
                close_reset(old);
            }
        }
        self.set(stream.as_raw_fd(), Owner::Idle);
        self.idle.push(Idle {
            addr,
            stream,
            since: now,
        });
    }

    /// An idle connection was reported ready: the upstream closed or reset it, or sent
    /// bytes nobody asked for. Closed, unless a peek finds it still quiet (an event of its
    /// last exchange, reported in the same turn).
    pub(crate) fn idle_event(&mut self, fd: usize) {
        let Some(i) = self
            .idle
            .iter()
            .position(|c| usize::try_from(c.stream.as_raw_fd()) == Ok(fd))
        else {
            return;
        };
        if !idle_alive(&self.idle[i].stream) {
            let c = self.idle.remove(i);
            self.set(c.stream.as_raw_fd(), Owner::Nobody);
        }
    }

    /// Closes the connections idle for too long.
    pub(crate) fn evict(&mut self, now: Instant) {
        let (keep, old): (Vec<Idle>, Vec<Idle>) = std::mem::take(&mut self.idle)
            .into_iter()
            .partition(|c| now.duration_since(c.since) < IDLE_TIMEOUT);
        self.idle = keep;
        for c in old {
            self.set(c.stream.as_raw_fd(), Owner::Nobody);
        }
    }

    /// Closes every idle connection: after a reload, an upstream's address may now name
    /// another server (nginx's old workers close theirs as they exit).
    pub(crate) fn clear(&mut self) {
        for c in std::mem::take(&mut self.idle) {
            self.set(c.stream.as_raw_fd(), Owner::Nobody);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.idle.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const WAIT: Duration = Duration::from_millis(2);

    #[test]
    fn a_kept_connection_is_reused_unless_its_peer_closed_it() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let now = Instant::now();
        let mut pool = Pool::default();
        let a = TcpStream::connect(addr).unwrap();
        let (peer_a, _) = l.accept().unwrap();
        pool.put(addr, a, now, 4);
        assert_eq!(pool.len(), 1);
        let other: SocketAddr = "127.0.0.1:1".parse().unwrap();
        assert!(pool.take(other, now, true, 0).is_none());
        let a = pool.take(addr, now, true, 0).expect("kept");
        pool.put(addr, a, now, 4);
        drop(peer_a);
        // The peer's FIN arrives: the connection is dropped when taken.
        let start = Instant::now();
        loop {
            match pool.take(addr, now, true, 0) {
                None => break,
                Some(s) => pool.put(addr, s, now, 4),
            }
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::yield_now();
        }
        assert_eq!(pool.len(), 0);
    }

    #[test]
    fn past_max_busy_a_request_waits_first_come_first_served_for_a_freed_connection() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let other: SocketAddr = "127.0.0.1:1".parse().unwrap();
        let now = Instant::now();
        let mut pool = Pool::default();
        pool.hold(addr);
        pool.hold(addr);
        assert!(!pool.may_connect(addr, 2, WAIT, false));
        assert!(pool.may_connect(addr, 2, WAIT, true), "waited its time");
        assert!(
            pool.may_connect(addr, 0, WAIT, false),
            "nothing kept: no queue"
        );
        assert!(
            pool.may_connect(addr, 2, Duration::ZERO, false),
            "proxy_queue_wait 0: no queue"
        );
        assert!(
            pool.may_connect(other, 2, WAIT, false),
            "each upstream its own count"
        );
        pool.wait(addr, 7);
        pool.wait(addr, 3);
        pool.wait(addr, 7);
        pool.wait(addr, 9);
        pool.unwait(addr, 9);
        // Nothing free yet: nobody goes.
        assert_eq!(pool.next_waiter(2), None);
        // A response ends: its connection back in the pool, one fewer busy; the first
        // waiting goes (it will take that connection), the next once another is free.
        pool.put(addr, TcpStream::connect(addr).unwrap(), now, 2);
        pool.release(addr, Duration::ZERO);
        assert_eq!(pool.next_waiter(2), Some(7));
        assert!(pool.take(addr, now, false, 7).is_some());
        pool.hold(addr);
        assert_eq!(pool.next_waiter(2), None);
        // A busy one fails (closed, not kept): room for a connection of its own.
        pool.release(addr, Duration::ZERO);
        assert_eq!(pool.next_waiter(2), Some(3));
        assert_eq!(pool.next_waiter(2), None);
        // Connections held long of late: a request that would wait longer than the queue's
        // bound connects at once; one with a short wait ahead queues.
        let mut slow = Pool::default();
        slow.hold(addr);
        slow.release(addr, WAIT * 4);
        slow.hold(addr);
        slow.hold(addr);
        assert!(slow.may_connect(addr, 2, WAIT, false), "a slow upstream");
        let mut fast = Pool::default();
        fast.hold(addr);
        fast.release(addr, WAIT / 4);
        fast.hold(addr);
        fast.hold(addr);
        assert!(!fast.may_connect(addr, 2, WAIT, false));
        for id in 0..7 {
            fast.wait(addr, id);
        }
        assert!(
            !fast.may_connect(addr, 2, WAIT, false),
            "the 8th in line: 2 ms"
        );
        fast.wait(addr, 7);
        assert!(
            fast.may_connect(addr, 2, WAIT, false),
            "the 9th in line would wait too long"
        );
    }

    #[test]
    fn old_and_surplus_connections_go() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let now = Instant::now();
        let mut pool = Pool::default();
        for _ in 0..3 {
            pool.put(addr, TcpStream::connect(addr).unwrap(), now, 2);
        }
        assert_eq!(pool.len(), 2);
        pool.evict(now + IDLE_TIMEOUT);
        assert_eq!(pool.len(), 0);
    }

    #[test]
    fn owners_follow_a_connection_from_an_exchange_to_the_pool_and_out() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let now = Instant::now();
        let mut pool = Pool::default();
        let a = TcpStream::connect(addr).unwrap();
        let (peer_a, _) = l.accept().unwrap();
        let fd = a.as_raw_fd() as usize;
        assert_eq!(pool.owner(fd), Owner::Nobody);
        pool.lend(a.as_raw_fd(), 7);
        assert_eq!(pool.owner(fd), Owner::Conn(7));
        pool.put(addr, a, now, 4);
        assert_eq!(pool.owner(fd), Owner::Idle);
        // Taken without a peek (a request that may go twice), by connection 9.
        let a = pool.take(addr, now, false, 9).expect("kept");
        assert_eq!(pool.owner(fd), Owner::Conn(9));
        pool.put(addr, a, now, 4);
        // A wake-up for a quiet idle connection (left over from its exchange) keeps it.
        pool.idle_event(fd);
        assert_eq!((pool.len(), pool.owner(fd)), (1, Owner::Idle));
        // The upstream closes it: the wake-up closes it here.
        drop(peer_a);
        let start = Instant::now();
        while pool.len() == 1 {
            pool.idle_event(fd);
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::yield_now();
        }
        assert_eq!(pool.owner(fd), Owner::Nobody);
    }
}
