//! The `epoll(7)` backend, level-triggered: the kernel keeps the interest list and a wait
//! returns only the ready descriptors. [`Epoll::register_edge`] registers a descriptor
//! edge-triggered instead, once for good, for a caller that tracks readiness itself.

use super::{Event, Interest, Readiness};
use crate::sys::cvt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// How many ready descriptors one `epoll_wait` returns at most; the rest come next turn.
const MAX_EVENTS: usize = 1024;

/// The `epoll(7)` readiness backend.
#[derive(Debug)]
pub struct Epoll {
    epfd: OwnedFd,
    buf: Vec<libc::epoll_event>,
}

fn epoll_bits(interest: Interest) -> u32 {
    let mut ev = 0;
    if interest.readable {
        ev |= libc::EPOLLIN;
    }
    if interest.writable {
        ev |= libc::EPOLLOUT;
    }
    ev as u32
}

impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: plain syscall; the returned descriptor is owned below.
        let fd = cvt(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        Ok(Epoll {
            // SAFETY: fd is a fresh descriptor that nothing else owns.
            epfd: unsafe { OwnedFd::from_raw_fd(fd) },
            buf: vec![libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS],
        })
    }

    /// Registers `fd` with `EPOLLEXCLUSIVE`: when several epoll instances (threads,
    /// processes) wait on the same listening socket, a new connection wakes one of them
    /// rather than all (the thundering herd). Such a registration cannot be modified, only
    /// deregistered.
    pub fn register_exclusive(
        &mut self,
        fd: RawFd,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        self.ctl_bits(
            libc::EPOLL_CTL_ADD,
            fd,
            token,
            epoll_bits(interest) | libc::EPOLLEXCLUSIVE as u32,
        )
    }

    /// Registers `fd` edge-triggered for reading, writing and the peer's shutdown
    /// (`EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET`), as nginx registers its connections: once,
    /// never modified. A wait reports `fd` when it becomes readable or writable (data came,
    /// room was made, an EOF, an error), not while it stays so: the caller reads or writes
    /// until `EAGAIN` (or a short read) before it may wait for it again. Closing the
    /// descriptor takes it out.
    pub fn register_edge(&mut self, fd: RawFd, token: usize) -> io::Result<()> {
        let bits = libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET;
        self.ctl_bits(libc::EPOLL_CTL_ADD, fd, token, bits as u32)
    }

    fn ctl(
        &mut self,
        op: libc::c_int,
        fd: RawFd,
        token: usize,
        interest: Interest,
    ) -> io::Result<()> {
        self.ctl_bits(op, fd, token, epoll_bits(interest))
    }

    fn ctl_bits(
        &mut self,
        op: libc::c_int,
        fd: RawFd,
        token: usize,
        events: u32,
    ) -> io::Result<()> {
        let mut ev = libc::epoll_event {
            events,
            u64: token as u64,
        };
        // SAFETY: `ev` lives across the call; the kernel checks the descriptors.
        cvt(unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut ev) })?;
        Ok(())
    }
}

impl Readiness for Epoll {
    fn name(&self) -> &'static str {
        "epoll"
    }

    fn register(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_ADD, fd, token, interest)
    }

    fn reregister(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_MOD, fd, token, interest)
    }

    fn deregister(&mut self, fd: RawFd) -> io::Result<()> {
        self.ctl(libc::EPOLL_CTL_DEL, fd, 0, Interest::NONE)
    }

    fn forget_before_close(&mut self, _fd: RawFd) -> io::Result<()> {
        // Its close removes it (epoll(7)): an `EPOLL_CTL_DEL` would be one more system call
        // per connection, which nginx does not make either.
        Ok(())
    }

    fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        // SAFETY: the buffer holds MAX_EVENTS entries for the kernel to fill.
        let n = unsafe {
            libc::epoll_wait(
                self.epfd.as_raw_fd(),
                self.buf.as_mut_ptr(),
                MAX_EVENTS as libc::c_int,
                super::timeout_ms(timeout),
            )
        };
        if n == -1 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(err)
            };
        }
        for ev in &self.buf[..n as usize] {
            let bits = ev.events as libc::c_int;
            let hangup = bits & (libc::EPOLLERR | libc::EPOLLHUP | libc::EPOLLRDHUP) != 0;
            events.push(Event {
                token: ev.u64 as usize,
                readable: bits & libc::EPOLLIN != 0 || hangup,
                writable: bits & libc::EPOLLOUT != 0,
                hangup,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{TcpListener, TcpStream};

    /// Two epoll instances on one listening socket, both exclusive: a pending connection is
    /// reported, the registration cannot be modified (the kernel's rule), and it can be
    /// removed.
    #[test]
    fn exclusive_registration_reports_and_deregisters() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let fd = listener.as_raw_fd();
        let mut a = Epoll::new().unwrap();
        let mut b = Epoll::new().unwrap();
        a.register_exclusive(fd, 7, Interest::READ).unwrap();
        b.register_exclusive(fd, 8, Interest::READ).unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut events = Vec::new();
        let mut seen = Vec::new();
        // Either instance may be the one told; ask both until one is (10 s at most).
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.is_empty() && std::time::Instant::now() < deadline {
            for ep in [&mut a, &mut b] {
                ep.wait(&mut events, Some(Duration::from_millis(10)))
                    .unwrap();
                seen.extend(events.iter().map(|e| e.token));
            }
        }
        assert!(seen.contains(&7) || seen.contains(&8), "{seen:?}");
        let err = a.reregister(fd, 7, Interest::READ).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
        a.deregister(fd).unwrap();
        b.deregister(fd).unwrap();
        a.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty());
    }

    /// A socket forgotten before its close (no `EPOLL_CTL_DEL`) is off the interest list once
    /// closed: its pending bytes, reported before, are not reported again.
    #[test]
    fn a_socket_forgotten_before_its_close_is_no_longer_reported() {
        use std::io::Write;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (s, _) = listener.accept().unwrap();
        let mut ep = Epoll::new().unwrap();
        ep.register(s.as_raw_fd(), 3, Interest::READ).unwrap();
        peer.write_all(b"x").unwrap();
        let mut events = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while events.is_empty() && std::time::Instant::now() < deadline {
            ep.wait(&mut events, Some(Duration::from_millis(100)))
                .unwrap();
        }
        assert_eq!(events.iter().map(|e| e.token).collect::<Vec<_>>(), [3]);
        ep.forget_before_close(s.as_raw_fd()).unwrap();
        drop(s);
        ep.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty(), "{events:?}");
    }

    /// An edge-triggered registration reports a socket once per change, not while it stays
    /// ready: writable at once, then readable when bytes come, then nothing until more come.
    #[test]
    fn edge_triggered_registration_reports_changes_once() {
        use std::io::Write;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut peer = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (s, _) = listener.accept().unwrap();
        let mut ep = Epoll::new().unwrap();
        ep.register_edge(s.as_raw_fd(), 3).unwrap();
        let mut events = Vec::new();
        let wait_for = |ep: &mut Epoll, events: &mut Vec<Event>| {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while events.is_empty() && std::time::Instant::now() < deadline {
                ep.wait(events, Some(Duration::from_millis(10))).unwrap();
            }
        };
        wait_for(&mut ep, &mut events);
        assert!(events.len() == 1 && events[0].token == 3 && events[0].writable);
        assert!(!events[0].readable);
        // Still writable, nothing new: not reported again.
        ep.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty(), "{events:?}");
        peer.write_all(b"x").unwrap();
        wait_for(&mut ep, &mut events);
        assert!(events.len() == 1 && events[0].readable, "{events:?}");
        // Not read, but nothing new came: not reported again.
        ep.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty(), "{events:?}");
        // The peer's EOF is a change: reported, as readable and as a hang-up.
        drop(peer);
        wait_for(&mut ep, &mut events);
        assert!(
            events.len() == 1 && events[0].readable && events[0].hangup,
            "{events:?}"
        );
    }
}
