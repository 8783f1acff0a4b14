//! The listening sockets, by `listen` address, that outlive the workers serving on them.
//!
//! The supervisor keeps one [`ListenGroup`] per `listen` address and hands duplicates to the
//! workers it starts (threads or processes). A reload ([`rebind`]) keeps the socket of each
//! address still listed, so its accept queue goes on to the new workers and no waiting
//! connection is reset; it binds the new addresses and lets the dropped ones close.
//!
//! A group is the `SO_REUSEPORT` group bound at start-up: one socket per worker thread in a
//! single process, one socket shared by every worker process under a master. With more
//! threads than sockets, threads share a socket (each registers it with `EPOLLEXCLUSIVE`,
//! so a connection wakes one of them); with fewer, a thread takes several
//! ([`ListenGroup::share`]). New sockets are never added to a group after start-up: the
//! kernel admits a socket to a `SO_REUSEPORT` group only from the same user, which the
//! server no longer is once it dropped root.

use crate::net::socket::ListenerSetup;
use std::io;
use std::net::{SocketAddr, TcpListener};

/// The listening sockets of one `listen` address.
#[derive(Debug)]
pub(crate) struct ListenGroup {
    /// The address as configured (port 0 stays 0), to match it on a reload.
    pub(crate) configured: SocketAddr,
    /// One or more sockets bound to the same address (`SO_REUSEPORT`).
    pub(crate) sockets: Vec<TcpListener>,
}

impl ListenGroup {
    /// Binds `count` sockets on `addr` (the first picks the port if it is 0).
    pub(crate) fn bind(
        addr: SocketAddr,
        count: usize,
        setup: &ListenerSetup,
    ) -> io::Result<ListenGroup> {
        let sockets = crate::net::socket::bind_group(addr, count.max(1), setup)
            .map_err(|e| io::Error::new(e.kind(), format!("listen on {addr}: {e}")))?;
        Ok(ListenGroup {
            configured: addr,
            sockets,
        })
    }

    /// Turns `TCP_DEFER_ACCEPT` on or off on every socket of the group.
    pub(crate) fn set_defer_accept(&self, on: bool) -> io::Result<()> {
        self.sockets
            .iter()
            .try_for_each(|s| crate::net::socket::set_defer_accept(s, on))
    }

    /// The address the sockets are bound to (the port chosen for port 0).
    pub(crate) fn bound(&self) -> io::Result<SocketAddr> {
        self.sockets[0].local_addr()
    }

    /// A second handle on the same sockets (duplicated descriptors).
    pub(crate) fn duplicate(&self) -> io::Result<ListenGroup> {
        Ok(ListenGroup {
            configured: self.configured,
            sockets: self
                .sockets
                .iter()
                .map(|s| s.try_clone())
                .collect::<io::Result<_>>()?,
        })
    }

    /// Worker `worker`'s share of the sockets when `workers` threads serve them: socket
    /// `worker % n` when there are at least as many workers as sockets, otherwise every
    /// `workers`-th socket from `worker` on (so every socket has a worker).
    pub(crate) fn share(&self, worker: usize, workers: usize) -> io::Result<Vec<TcpListener>> {
        let n = self.sockets.len();
        let workers = workers.max(1);
        if workers >= n {
            Ok(vec![self.sockets[worker % n].try_clone()?])
        } else {
            self.sockets
                .iter()
                .skip(worker)
                .step_by(workers)
                .map(|s| s.try_clone())
                .collect()
        }
    }
}

/// A reload's `listen` list against the running one: for each wanted address, the index of
/// the running address whose socket it keeps, or `None` to bind a new one. Each running
/// address is kept at most once (`listen 127.0.0.1:0;` twice is two ports).
pub(crate) fn kept_sockets(running: &[SocketAddr], wanted: &[SocketAddr]) -> Vec<Option<usize>> {
    let mut taken = vec![false; running.len()];
    wanted
        .iter()
        .map(|addr| {
            let i = (0..running.len()).find(|&i| !taken[i] && running[i] == *addr)?;
            taken[i] = true;
            Some(i)
        })
        .collect()
}

/// The groups for the `wanted` addresses: duplicates of the `running` groups for the
/// addresses kept (the same sockets, with their queues), new groups of `per_address`
/// sockets for the others; and the addresses newly bound, to announce. At start-up
/// `running` is empty and every address is new. Nothing of `running` changes: the caller
/// replaces it, which closes the addresses dropped.
pub(crate) fn rebind(
    running: &[ListenGroup],
    wanted: &[SocketAddr],
    per_address: usize,
    setup: &ListenerSetup,
) -> io::Result<(Vec<ListenGroup>, Vec<SocketAddr>)> {
    let configured: Vec<SocketAddr> = running.iter().map(|g| g.configured).collect();
    let mut fresh = Vec::new();
    let groups = wanted
        .iter()
        .zip(kept_sockets(&configured, wanted))
        .map(|(&addr, kept)| match kept {
            Some(i) => running[i].duplicate(),
            None => {
                let g = ListenGroup::bind(addr, per_address, setup)?;
                fresh.push(g.bound()?);
                Ok(g)
            }
        })
        .collect::<io::Result<_>>()?;
    Ok((groups, fresh))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(n: usize) -> ListenGroup {
        ListenGroup::bind("127.0.0.1:0".parse().unwrap(), n, &ListenerSetup::default()).unwrap()
    }

    fn ports_of(v: &[TcpListener]) -> Vec<u16> {
        v.iter().map(|l| l.local_addr().unwrap().port()).collect()
    }

    /// Every socket of the group is served, whatever the number of workers.
    fn covered(g: &ListenGroup, workers: usize) -> usize {
        use std::os::fd::AsRawFd;
        let mut inodes = std::collections::BTreeSet::new();
        for w in 0..workers {
            for l in g.share(w, workers).unwrap() {
                // SAFETY: fstat fills our zeroed stat from a live descriptor.
                let mut st: libc::stat = unsafe { std::mem::zeroed() };
                assert_eq!(unsafe { libc::fstat(l.as_raw_fd(), &mut st) }, 0);
                inodes.insert(st.st_ino);
            }
        }
        inodes.len()
    }

    #[test]
    fn every_socket_has_a_worker_and_every_worker_a_socket() {
        let g = group(4);
        for workers in [1, 2, 3, 4, 5, 8] {
            assert_eq!(covered(&g, workers), 4, "{workers} workers");
            for w in 0..workers {
                assert!(!g.share(w, workers).unwrap().is_empty(), "{w}/{workers}");
            }
        }
        assert_eq!(g.share(0, 1).unwrap().len(), 4);
        assert_eq!(g.share(1, 3).unwrap().len(), 1);
        assert_eq!(g.share(0, 3).unwrap().len(), 2);
    }

    #[test]
    fn each_running_address_is_kept_once() {
        let a: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let b: SocketAddr = "127.0.0.2:80".parse().unwrap();
        assert_eq!(kept_sockets(&[a, b], &[b, a, a]), [Some(1), Some(0), None]);
        assert_eq!(kept_sockets(&[a, a], &[a]), [Some(0)]);
        assert_eq!(kept_sockets(&[], &[a]), [None]);
    }

    #[test]
    fn duplicates_are_the_same_sockets() {
        let g = group(2);
        let d = g.duplicate().unwrap();
        assert_eq!(d.configured, g.configured);
        assert_eq!(ports_of(&d.sockets), ports_of(&g.sockets));
        assert_eq!(d.bound().unwrap(), g.bound().unwrap());
    }

    /// A kept address keeps its sockets; a new one is bound (with its own count) and
    /// announced; a dropped one is not carried over.
    #[test]
    fn rebind_keeps_listed_sockets_and_binds_new_addresses() {
        let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let setup = ListenerSetup::default();
        let (running, fresh) = rebind(&[], &[any, any], 2, &setup).unwrap();
        assert_eq!(running.len(), 2);
        assert_eq!(
            fresh,
            [running[0].bound().unwrap(), running[1].bound().unwrap()]
        );
        assert_eq!(running[0].sockets.len(), 2);

        let (next, fresh) = rebind(&running[..1], &[any, any], 3, &setup).unwrap();
        assert_eq!(ports_of(&next[0].sockets), ports_of(&running[0].sockets));
        assert_eq!(next[1].sockets.len(), 3);
        assert_eq!(fresh, [next[1].bound().unwrap()]);
        assert_ne!(next[1].bound().unwrap(), running[1].bound().unwrap());
    }
}
