//! Generations of worker threads, and the listening sockets they share out.
//!
//! A [`Generation`] is a set of worker threads obeying one [`Control`]. The server starts
//! one; a reload (SIGHUP) that changes `listen` or `threads` starts a new one on the new
//! settings and retires the old one, which stops accepting and finishes its responses in
//! flight (a graceful stop) while the new one already serves: nginx's reload, with threads
//! where nginx has processes.
//!
//! The sockets outlive the generations: the main thread keeps one [`ListenGroup`] per
//! `listen` address (the `SO_REUSEPORT` group bound at start-up, one socket per thread then)
//! and every generation's workers get duplicates of them ([`ListenGroup::share`]). A socket
//! kept across a reload keeps its accept queue, so a connection waiting in it is served by
//! the new generation, not reset. With more threads than sockets, workers share a socket
//! (each registers it with `EPOLLEXCLUSIVE`, so a connection wakes one of them); with fewer,
//! a worker takes several. New sockets are never added to a group after start-up: the
//! kernel admits a socket to a `SO_REUSEPORT` group only from the same user, which the
//! server no longer is once it dropped root.

use crate::conn::ctx::Shared;
use crate::net::socket::ListenerSetup;
use crate::process::control::{Control, State};
use crate::process::worker::Worker;
use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread::JoinHandle;

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

/// A set of worker threads under one [`Control`].
pub(crate) struct Generation {
    pub(crate) control: Arc<Control>,
    handles: Vec<JoinHandle<io::Result<()>>>,
}

impl Generation {
    /// Starts `threads` workers serving `shared` on their share of `groups`.
    pub(crate) fn start(
        shared: Arc<Shared>,
        threads: usize,
        groups: &[ListenGroup],
    ) -> io::Result<Generation> {
        let threads = threads.max(1);
        let control = Arc::new(Control::new(shared, threads)?);
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let mut listeners = Vec::new();
            for g in groups {
                listeners.extend(g.share(i, threads)?);
            }
            workers.push(Worker::new(listeners, Arc::clone(&control), i)?);
        }
        let mut generation = Generation {
            control,
            handles: Vec::with_capacity(threads),
        };
        for (i, worker) in workers.into_iter().enumerate() {
            let spawned = std::thread::Builder::new()
                .name(format!("httpd-worker-{i}"))
                .spawn(move || worker.run());
            match spawned {
                Ok(h) => generation.handles.push(h),
                Err(e) => {
                    generation.control.set_state(State::Stop);
                    let _ = generation.join();
                    return Err(e);
                }
            }
        }
        Ok(generation)
    }

    /// Whether every worker has returned.
    pub(crate) fn finished(&self) -> bool {
        self.handles.iter().all(|h| h.is_finished())
    }

    /// Whether some worker has returned (while the others may still run).
    pub(crate) fn lost_a_worker(&self) -> bool {
        self.handles.iter().any(|h| h.is_finished())
    }

    /// Waits for every worker; the last error (or panic) if any failed.
    pub(crate) fn join(self) -> io::Result<()> {
        let mut result = Ok(());
        for h in self.handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => result = Err(io::Error::other("a worker thread panicked")),
            }
        }
        result
    }
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
}
