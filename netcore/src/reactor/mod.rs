//! The reactor: the lower of netcore's two layers. It says which descriptors are ready and
//! which deadlines are due, and gives the system calls a server makes around them; it holds
//! no connection state and copies no byte.
//!
//! | module | what it is for |
//! |---|---|
//! | [`backend`] | readiness backends: `select(2)`, `poll(2)`, `epoll(7)`, one file each, one trait |
//! | [`timers`] | a deadline per token, in a heap: a turn looks only at the deadlines due |
//! | [`signal`] | a waker (self-pipe) and signals forwarded into it |
//! | [`slab`] | values by token, a freed token reused only from the next turn |
//! | [`listener`] | a listener builder: reuseport, backlog, defer-accept, options before `listen` |
//! | [`accept`] | `accept4` with the peer's address, and a reserve descriptor for `EMFILE` |
//! | [`connect`] | a non-blocking `connect` out, and the check that it finished |
//! | [`send`] | `send` without SIGPIPE, `sendfile`, `splice`, `shutdown` of the sending side |
//! | [`pipe`] | pipes for `splice`: non-blocking, of the capacity asked |
//! | [`sockaddr`] | socket addresses to and from C |
//!
//! [`Reactor`] puts the first two together: a wait that returns at the next deadline. A
//! server that manages its own connections sits on it directly (httpd's workers, which hand
//! bodies to `sendfile`); one that is happy with buffered connections uses
//! the buffered layer above, itself built on it (the reactor does not know that layer).

pub mod accept;
pub mod backend;
pub mod connect;
pub mod listener;
pub mod pipe;
pub mod reset;
pub mod send;
pub mod signal;
pub mod slab;
pub mod sockaddr;
pub mod timers;

use backend::{Event, Interest, Readiness};
use std::io;
use std::os::fd::RawFd;
use std::time::Instant;
use timers::Timers;

/// A readiness backend and the deadlines of the tokens registered with it.
#[derive(Debug)]
pub struct Reactor<B: Readiness> {
    backend: B,
    timers: Timers,
}

impl<B: Readiness> Reactor<B> {
    pub fn new(backend: B) -> Reactor<B> {
        Reactor {
            backend,
            timers: Timers::new(),
        }
    }

    /// The backend, for what only one kind offers (epoll's exclusive registrations).
    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// The backend's name (`select`, `poll`, `epoll`).
    pub fn name(&self) -> &'static str {
        self.backend.name()
    }

    pub fn register(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        self.backend.register(fd, token, interest)
    }

    pub fn reregister(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        self.backend.reregister(fd, token, interest)
    }

    /// Forgets `fd` and `token`'s deadline; call it before the descriptor is closed.
    pub fn deregister(&mut self, fd: RawFd, token: usize) -> io::Result<()> {
        self.timers.cancel(token);
        self.backend.deregister(fd)
    }

    /// Like [`deregister`](Self::deregister), for a descriptor closed right after that
    /// nothing else holds (a connection's own socket): see
    /// [`Readiness::forget_before_close`].
    pub fn forget_before_close(&mut self, fd: RawFd, token: usize) -> io::Result<()> {
        self.timers.cancel(token);
        self.backend.forget_before_close(fd)
    }

    /// The deadlines; a token's deadline is cancelled by [`deregister`](Self::deregister).
    pub fn timers(&mut self) -> &mut Timers {
        &mut self.timers
    }

    /// Waits until a descriptor is ready, the next deadline comes, or `until` (whichever is
    /// first; `None`: no limit of the caller's), and puts what is ready in `events`. Then
    /// [`Timers::expired`] gives the tokens whose deadline came.
    pub fn wait(&mut self, events: &mut Vec<Event>, until: Option<Instant>) -> io::Result<()> {
        let wake = match (self.timers.next_wake(), until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let timeout = wake.map(|t| t.saturating_duration_since(Instant::now()));
        self.backend.wait(events, timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend::{Epoll, Poll, Select};
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    fn check<B: Readiness>(backend: B) {
        let mut r = Reactor::new(backend);
        let (a, _peer) = UnixStream::pair().unwrap();
        r.register(a.as_raw_fd(), 4, Interest::READ).unwrap();
        let start = Instant::now();
        r.timers().set(4, start + Duration::from_millis(30));
        let mut events = Vec::new();
        // Nothing is ready: the wait ends at the deadline, not at the caller's later limit.
        r.wait(&mut events, Some(start + Duration::from_secs(30)))
            .unwrap();
        while r.timers().next_wake().is_some_and(|t| t > Instant::now()) {
            r.wait(&mut events, None).unwrap(); // an interrupted wait returns early
        }
        assert!(events.is_empty(), "{}", r.name());
        assert!(start.elapsed() >= Duration::from_millis(30));
        assert!(start.elapsed() < Duration::from_secs(20), "{}", r.name());
        assert_eq!(r.timers().expired(Instant::now()), Some(4));
        // Deregistering cancels the deadline.
        r.timers().set(4, start);
        r.deregister(a.as_raw_fd(), 4).unwrap();
        assert_eq!(r.timers().expired(Instant::now()), None);
    }

    #[test]
    fn a_wait_ends_at_the_next_deadline_on_every_backend() {
        check(Select::new());
        check(Poll::new());
        check(Epoll::new().unwrap());
    }
}
