//! Readiness backends: which registered descriptors can be read or written without blocking.
//!
//! The event loop is written once against [`Readiness`]; each system interface lives in its
//! own file and only translates between this trait and the kernel:
//!
//! - [`Select`]: `select(2)`, rebuilds its `fd_set`s every wait; refuses descriptors at or
//!   beyond `FD_SETSIZE` (1024) with a clear error instead of writing past the sets.
//! - [`Poll`]: `poll(2)`, keeps one `pollfd` array; cost per wait grows with the registrations.
//! - [`Epoll`]: `epoll(7)`, level-triggered; the kernel keeps the interest list, so a wait costs
//!   only the ready descriptors.
//!
//! All three are level-triggered: a descriptor stays reported while it is ready, so the loop
//! may do one read and one write per descriptor per turn and still lose nothing. Epoll also
//! registers edge-triggered ([`Epoll::register_edge`], outside the trait), for a loop that
//! reads and writes until `EAGAIN` and wants no `epoll_ctl` per change of interest.

mod epoll;
mod poll;
mod select;

pub use epoll::Epoll;
pub use poll::Poll;
pub use select::Select;

use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// What a registration waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Interest {
    pub readable: bool,
    pub writable: bool,
}

impl Interest {
    pub const NONE: Interest = Interest {
        readable: false,
        writable: false,
    };
    pub const READ: Interest = Interest {
        readable: true,
        writable: false,
    };
    pub const WRITE: Interest = Interest {
        readable: false,
        writable: true,
    };
    pub const READ_WRITE: Interest = Interest {
        readable: true,
        writable: true,
    };
}

/// One ready descriptor, named by the token it was registered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    pub token: usize,
    pub readable: bool,
    pub writable: bool,
    /// Error or hang-up: the next read or write tells which. Also reported as readable.
    /// With [`Epoll::register_edge`] also the peer's shutdown of its sending side
    /// (`EPOLLRDHUP`): an EOF waits behind whatever bytes are still to be read.
    pub hangup: bool,
}

/// A readiness backend. `register` is called once per descriptor, `reregister` to change what
/// it waits for, `deregister` before the descriptor is closed.
pub trait Readiness {
    /// The backend's name as the command line spells it (`select`, `poll`, `epoll`).
    fn name(&self) -> &'static str;
    fn register(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()>;
    fn reregister(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()>;
    fn deregister(&mut self, fd: RawFd) -> io::Result<()>;
    /// Forgets `fd`, which is closed right after and refers to an open file nothing else
    /// holds (never duplicated, close-on-exec). By default [`deregister`](Self::deregister);
    /// epoll needs no call: the last close of a file takes it off every interest list.
    fn forget_before_close(&mut self, fd: RawFd) -> io::Result<()> {
        self.deregister(fd)
    }
    /// Waits until a registered descriptor is ready or `timeout` passes (`None`: no limit),
    /// then replaces `events` with what is ready. An interrupted wait (`EINTR`) returns no
    /// events and no error, so the caller goes round its loop and looks at its signals.
    fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()>;
}

/// A timeout in whole milliseconds for `poll`/`epoll_wait`, rounded up so that a wait never
/// returns before its deadline; `-1` for no limit.
pub(crate) fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d.as_micros().div_ceil(1000);
            ms.min(libc::c_int::MAX as u128) as libc::c_int
        }
    }
}

#[cfg(test)]
mod tests {
    //! The same behaviour checked on every backend, with real sockets.
    use super::*;
    use std::io::Write;
    use std::os::fd::AsRawFd;
    use std::os::unix::net::UnixStream;

    fn backends() -> Vec<Box<dyn Readiness>> {
        vec![
            Box::new(Select::new()),
            Box::new(Poll::new()),
            Box::new(Epoll::new().unwrap()),
        ]
    }

    fn wait(b: &mut dyn Readiness, ms: u64) -> Vec<Event> {
        let mut events = Vec::new();
        b.wait(&mut events, Some(Duration::from_millis(ms)))
            .unwrap();
        events
    }

    #[test]
    fn nothing_ready_means_no_events() {
        for mut b in backends() {
            let (a, _peer) = UnixStream::pair().unwrap();
            b.register(a.as_raw_fd(), 7, Interest::READ).unwrap();
            assert!(wait(b.as_mut(), 0).is_empty(), "{}", b.name());
        }
    }

    #[test]
    fn readable_after_peer_writes_and_writable_on_request() {
        for mut b in backends() {
            let (a, mut peer) = UnixStream::pair().unwrap();
            b.register(a.as_raw_fd(), 7, Interest::READ).unwrap();
            peer.write_all(b"x").unwrap();
            let events = wait(b.as_mut(), 1000);
            assert_eq!(events.len(), 1, "{}", b.name());
            assert_eq!(events[0].token, 7);
            assert!(events[0].readable && !events[0].writable, "{}", b.name());

            b.reregister(a.as_raw_fd(), 8, Interest::READ_WRITE)
                .unwrap();
            let events = wait(b.as_mut(), 1000);
            assert_eq!(events.len(), 1, "{}", b.name());
            assert_eq!(events[0].token, 8);
            assert!(events[0].readable && events[0].writable, "{}", b.name());

            b.deregister(a.as_raw_fd()).unwrap();
            assert!(wait(b.as_mut(), 0).is_empty(), "{}", b.name());
        }
    }

    #[test]
    fn peer_hangup_is_reported_as_readable() {
        for mut b in backends() {
            let (a, peer) = UnixStream::pair().unwrap();
            b.register(a.as_raw_fd(), 3, Interest::READ).unwrap();
            drop(peer);
            let events = wait(b.as_mut(), 1000);
            assert_eq!(events.len(), 1, "{}", b.name());
            assert!(events[0].readable, "{}", b.name());
        }
    }

    #[test]
    fn many_descriptors_each_reported_once_with_its_token() {
        for mut b in backends() {
            let pairs: Vec<_> = (0..50).map(|_| UnixStream::pair().unwrap()).collect();
            for (i, (a, _)) in pairs.iter().enumerate() {
                b.register(a.as_raw_fd(), 100 + i, Interest::READ).unwrap();
            }
            for (_, peer) in pairs.iter().step_by(2) {
                (&*peer).write_all(b"x").unwrap();
            }
            let mut tokens: Vec<usize> = wait(b.as_mut(), 1000).iter().map(|e| e.token).collect();
            tokens.sort();
            let want: Vec<usize> = (0..50).step_by(2).map(|i| 100 + i).collect();
            assert_eq!(tokens, want, "{}", b.name());
        }
    }

    #[test]
    fn timeout_is_rounded_up_to_whole_milliseconds() {
        assert_eq!(timeout_ms(None), -1);
        assert_eq!(timeout_ms(Some(Duration::ZERO)), 0);
        assert_eq!(timeout_ms(Some(Duration::from_micros(1))), 1);
        assert_eq!(timeout_ms(Some(Duration::from_millis(1500))), 1500);
        assert_eq!(
            timeout_ms(Some(Duration::from_secs(u64::MAX))),
            libc::c_int::MAX
        );
    }
}
