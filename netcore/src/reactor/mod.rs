//! The reactor: the lower of netcore's two layers. It says which descriptors are ready and
//! which deadlines are due, and gives the system calls a server makes around them; it holds
//! no connection state and copies no byte.
//!
//! | module | what it is for |
//! |---|---|
//! | [`backend`] | readiness backends: `select(2)`, `poll(2)`, `epoll(7)`, one file each, one trait |
//! | [`timers`] | a deadline per token, in a heap: a turn looks only at the deadlines due |
//! | [`busy_poll`] | polling for a few microseconds before a sleep, while input comes back that soon |
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
mod busy_poll;
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
use busy_poll::BusyPoll;
use std::io;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};
use timers::Timers;

/// A readiness backend and the deadlines of the tokens registered with it.
#[derive(Debug)]
pub struct Reactor<B: Readiness> {
    backend: B,
    timers: Timers,
    /// Polling before a sleep ([`Reactor::set_busy_poll`]); `None`: a wait sleeps at once.
    busy_poll: Option<BusyPoll>,
}

impl<B: Readiness> Reactor<B> {
    pub fn new(backend: B) -> Reactor<B> {
        Reactor {
            backend,
            timers: Timers::new(),
            busy_poll: None,
        }
    }

    /// Lets a wait that finds nothing ready ask again, without blocking, for up to `limit`
    /// before it sleeps, while the last waits show input coming back within `limit`
    /// ([`busy_poll`]). `Duration::ZERO` turns it off (the default).
    pub fn set_busy_poll(&mut self, limit: Duration) {
        self.busy_poll = (!limit.is_zero()).then(|| BusyPoll::new(limit));
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
    /// [`Timers::expired`] gives the tokens whose deadline came. With busy polling on, it
    /// first asks without blocking, until something is ready or the poll window ends.
    pub fn wait(&mut self, events: &mut Vec<Event>, until: Option<Instant>) -> io::Result<()> {
        let wake = match (self.timers.next_wake(), until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let Some(poll) = self.busy_poll.as_mut() else {
            let timeout = wake.map(|t| t.saturating_duration_since(Instant::now()));
            return self.backend.wait(events, timeout);
        };
        let mut now = Instant::now();
        if let Some(poll_until) = poll.poll_until(now, wake) {
            let switches = || crate::sys::involuntary_switches().ok();
            poll.polling(switches());
            loop {
                self.backend.wait(events, Some(Duration::ZERO))?;
                if !events.is_empty() {
                    return Ok(());
                }
                let asked = Instant::now();
                if asked >= poll_until {
                    now = asked;
                    break;
                }
                // `sched_yield`: at once back on a CPU of its own; on a shared one it lets
                // the other task run, and polling stops (see `busy_poll`).
                std::thread::yield_now();
                now = Instant::now();
                if !poll.yielded(now - asked, now, switches) {
                    break;
                }
            }
        }
        let timeout = wake.map(|t| t.saturating_duration_since(now));
        if timeout == Some(Duration::ZERO) {
            // Polled until the deadline: no sleep to learn from.
            return self.backend.wait(events, timeout);
        }
        self.backend.wait(events, timeout)?;
        poll.slept(now, Instant::now());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend::{Epoll, Poll, Select};
    use std::os::fd::{AsRawFd, RawFd};
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

    #[test]
    fn a_busy_polling_wait_ends_at_the_next_deadline_too() {
        let mut r = Reactor::new(Epoll::new().unwrap());
        r.set_busy_poll(Duration::from_millis(5));
        let (a, _peer) = UnixStream::pair().unwrap();
        r.register(a.as_raw_fd(), 4, Interest::READ).unwrap();
        let mut events = Vec::new();
        for ms in [1, 1, 20, 1] {
            let start = Instant::now();
            r.timers().set(4, start + Duration::from_millis(ms));
            while r.timers().next_wake().is_some_and(|t| t > Instant::now()) {
                r.wait(&mut events, None).unwrap();
                assert!(events.is_empty());
            }
            assert_eq!(r.timers().expired(Instant::now()), Some(4));
            assert!(start.elapsed() < Duration::from_secs(20));
        }
    }

    /// The real epoll, its waits counted: polls (a zero timeout) and sleeps.
    struct Counted {
        epoll: Epoll,
        polls: usize,
        sleeps: usize,
    }

    impl Readiness for Counted {
        fn name(&self) -> &'static str {
            "counted epoll"
        }
        fn register(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
            self.epoll.register(fd, token, interest)
        }
        fn reregister(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
            self.epoll.reregister(fd, token, interest)
        }
        fn deregister(&mut self, fd: RawFd) -> io::Result<()> {
            self.epoll.deregister(fd)
        }
        fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
            if timeout == Some(Duration::ZERO) {
                self.polls += 1;
            } else {
                self.sleeps += 1;
            }
            self.epoll.wait(events, timeout)
        }
    }

    /// Input that comes back quickly opens the window: the next waits ask without blocking
    /// and find it so. A long quiet spell shuts the window again: an idle loop sleeps.
    #[test]
    fn quick_input_is_polled_for_and_a_quiet_spell_stops_the_polling() {
        use std::io::{Read, Write};
        let mut r = Reactor::new(Counted {
            epoll: Epoll::new().unwrap(),
            polls: 0,
            sleeps: 0,
        });
        r.set_busy_poll(Duration::from_millis(50));
        let (mut a, mut peer) = UnixStream::pair().unwrap();
        r.register(a.as_raw_fd(), 1, Interest::READ).unwrap();
        let mut events = Vec::new();
        // A peer whose next request is there each time the loop waits, as a pipelining
        // client's is under load (no thread: nothing here depends on the scheduler).
        let rounds = 50;
        for _ in 0..rounds {
            peer.write_all(b"x").unwrap();
            r.wait(&mut events, Some(Instant::now() + Duration::from_secs(20)))
                .unwrap();
            assert_eq!(events.len(), 1);
            let mut b = [0u8; 1];
            a.read_exact(&mut b).unwrap();
        }
        // The first wait sleeps (the window starts shut) and wakes at once: that opens it,
        // and every later wait finds its input by asking.
        assert_eq!((r.backend.sleeps, r.backend.polls), (1, rounds - 1));
        // Quiet: each wait polls its window in vain, then sleeps until the deadline 150 ms
        // on, past the limit: the window halves each time, from at most 50 ms to shut (below
        // an eighth of the limit) in five waits.
        for _ in 0..5 {
            r.wait(
                &mut events,
                Some(Instant::now() + Duration::from_millis(150)),
            )
            .unwrap();
            assert!(events.is_empty());
        }
        let polls_before = r.backend.polls;
        let sleeps_before = r.backend.sleeps;
        r.wait(
            &mut events,
            Some(Instant::now() + Duration::from_millis(150)),
        )
        .unwrap();
        assert_eq!(r.backend.polls, polls_before, "a shut window does not poll");
        assert_eq!(r.backend.sleeps, sleeps_before + 1);
    }
}
