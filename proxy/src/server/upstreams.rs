//! The upstreams, resolved once at start, and the round-robin choice: each client starts at
//! the next upstream in turn, and a failed connect moves on to the one after it.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};

#[derive(Debug)]
pub(crate) struct Upstreams {
    addrs: Vec<SocketAddr>,
    next: usize,
}

impl Upstreams {
    /// Resolves each `HOST:PORT` (the first address of each).
    pub(crate) fn resolve(names: &[String]) -> io::Result<Upstreams> {
        let mut addrs = Vec::with_capacity(names.len());
        for name in names {
            let addr = name
                .to_socket_addrs()
                .map_err(|e| io::Error::new(e.kind(), format!("upstream {name}: {e}")))?
                .next()
                .ok_or_else(|| io::Error::other(format!("upstream {name}: no address")))?;
            addrs.push(addr);
        }
        if addrs.is_empty() {
            return Err(io::Error::other("no upstream"));
        }
        Ok(Upstreams { addrs, next: 0 })
    }

    pub(crate) fn len(&self) -> usize {
        self.addrs.len()
    }

    /// The index a new client starts at; the next client starts one further.
    pub(crate) fn start(&mut self) -> usize {
        let i = self.next % self.addrs.len();
        self.next = self.next.wrapping_add(1);
        i
    }

    /// The address of attempt `attempt` for a client that started at `first`.
    pub(crate) fn pick(&self, first: usize, attempt: usize) -> (usize, SocketAddr) {
        let i = first.wrapping_add(attempt) % self.addrs.len();
        (i, self.addrs[i])
    }

    pub(crate) fn addr(&self, i: usize) -> Option<SocketAddr> {
        self.addrs.get(i).copied()
    }

    pub(crate) fn describe(&self) -> String {
        let v: Vec<String> = self.addrs.iter().map(|a| a.to_string()).collect();
        v.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_start_in_turn_and_retries_move_on() {
        let mut u = Upstreams::resolve(&["127.0.0.1:1".into(), "127.0.0.1:2".into()]).unwrap();
        assert_eq!(u.start(), 0);
        assert_eq!(u.start(), 1);
        assert_eq!(u.start(), 0);
        assert_eq!(u.pick(1, 1).0, 0);
        assert!(Upstreams::resolve(&[]).is_err());
        assert!(Upstreams::resolve(&["no port".into()]).is_err());
    }
}
