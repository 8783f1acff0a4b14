//! A worker's idle keep-alive connections to its upstreams (nginx's `keepalive N` in an
//! `upstream` block): a connection whose response ended cleanly is put back, the next
//! request to the same upstream takes the most recently used one.
//!
//! Idle connections are not registered with epoll (an upstream closing one would otherwise
//! wake the worker for nothing); instead a connection is checked when it is taken, with a
//! non-blocking peek: EOF or an error means the upstream closed it, and it is dropped. The
//! race that remains (the upstream closes it just after the check) is the exchange's to
//! handle, by retrying once.

use crate::net::idle::{close_reset, idle_alive};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Idle connections older than this are closed rather than reused (an upstream usually
/// closes its own idle connections after a while; nginx's `keepalive_timeout` 60s).
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(50);

#[derive(Debug)]
struct Idle {
    addr: SocketAddr,
    stream: TcpStream,
    since: Instant,
}

/// The idle connections, most recently used last.
#[derive(Debug, Default)]
pub(crate) struct Pool {
    idle: Vec<Idle>,
}

impl Pool {
    /// A live idle connection to `addr`, if one is kept.
    pub(crate) fn take(&mut self, addr: SocketAddr, now: Instant) -> Option<TcpStream> {
        while let Some(i) = self.idle.iter().rposition(|c| c.addr == addr) {
            let c = self.idle.remove(i);
            if now.duration_since(c.since) < IDLE_TIMEOUT && idle_alive(&c.stream) {
                return Some(c.stream);
            }
        }
        None
    }

    /// Keeps `stream` for the next request to `addr`; past `max` idle connections to it,
    /// the oldest is closed, with a reset ([`close_reset`]: with more clients than `max`
    /// this happens thousands of times a second, and a FIN would leave each in `TIME_WAIT`).
    pub(crate) fn put(&mut self, addr: SocketAddr, stream: TcpStream, now: Instant, max: usize) {
        if max == 0 {
            close_reset(stream);
            return;
        }
        if self.idle.iter().filter(|c| c.addr == addr).count() >= max {
            if let Some(i) = self.idle.iter().position(|c| c.addr == addr) {
                close_reset(self.idle.remove(i).stream);
            }
        }
        self.idle.push(Idle {
            addr,
            stream,
            since: now,
        });
    }

    /// Closes the connections idle for too long.
    pub(crate) fn evict(&mut self, now: Instant) {
        self.idle
            .retain(|c| now.duration_since(c.since) < IDLE_TIMEOUT);
    }

    /// Closes every idle connection: after a reload, an upstream's address may now name
    /// another server (nginx's old workers close theirs as they exit).
    pub(crate) fn clear(&mut self) {
        self.idle.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.idle.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

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
        assert!(pool.take(other, now).is_none());
        let a = pool.take(addr, now).expect("kept");
        pool.put(addr, a, now, 4);
        drop(peer_a);
        // The peer's FIN arrives: the connection is dropped when taken.
        let start = Instant::now();
        loop {
            match pool.take(addr, now) {
                None => break,
                Some(s) => pool.put(addr, s, now, 4),
            }
            assert!(start.elapsed() < Duration::from_secs(10));
            std::thread::yield_now();
        }
        assert_eq!(pool.len(), 0);
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
}
