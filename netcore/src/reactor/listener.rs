//! Listening TCP sockets built by hand, so that every option is explicit and set where it
//! must be: before `bind` (`SO_REUSEADDR`, `SO_REUSEPORT`), between `bind` and `listen` (a
//! caller's own options, e.g. a congestion control the accepted connections inherit), and
//! around `listen` (`TCP_DEFER_ACCEPT`, the backlog std fixes at 128, and `TCP_QUICKACK`,
//! which `listen` resets).
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use netcore::reactor::listener::ListenerBuilder;
//! // One socket of a SO_REUSEPORT group, handing over connections whose request arrived.
//! let l = ListenerBuilder::new("127.0.0.1:8080".parse().unwrap())
//!     .reuseport(true)
//!     .backlog(4096)
//!     .defer_accept(1)
//!     .nonblocking(true)
//!     .bind()?;
//! # Ok(()) }
//! ```

use crate::reactor::sockaddr;
use crate::sys::cvt;
use std::io;
use std::mem;
use std::net::{SocketAddr, TcpListener};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The backlog servers use unless told otherwise; the kernel caps it at `somaxconn`.
pub const DEFAULT_BACKLOG: i32 = 1024;

/// How to make a listening socket. Every socket gets `SO_REUSEADDR` (a restarted server binds
/// at once while its old connections sit in `TIME_WAIT`) and close-on-exec.
#[derive(Debug, Clone)]
pub struct ListenerBuilder {
    addr: SocketAddr,
    backlog: i32,
    reuseport: bool,
    defer_accept: u32,
    delayed_ack: bool,
    nonblocking: bool,
}

impl ListenerBuilder {
    /// A blocking listener on `addr` with [`DEFAULT_BACKLOG`] and no other option.
    pub fn new(addr: SocketAddr) -> ListenerBuilder {
        ListenerBuilder {
            addr,
            backlog: DEFAULT_BACKLOG,
            reuseport: false,
            defer_accept: 0,
            delayed_ack: false,
            nonblocking: false,
        }
    }

    /// The accept queue's length (`listen(2)`'s backlog; the kernel caps it at `somaxconn`).
    pub fn backlog(mut self, backlog: i32) -> Self {
        self.backlog = backlog;
        self
    }

    /// `SO_REUSEPORT`: several sockets bound to the same address, the kernel spreading new
    /// connections over them (one per worker, no shared accept queue).
    pub fn reuseport(mut self, on: bool) -> Self {
        self.reuseport = on;
        self
    }

    /// `TCP_DEFER_ACCEPT` for `seconds` (0: off); see [`set_defer_accept`].
    pub fn defer_accept(mut self, seconds: u32) -> Self {
        self.defer_accept = seconds;
        self
    }

    /// Accepted connections start with delayed acknowledgements; see [`set_quickack`].
    pub fn delayed_ack(mut self, on: bool) -> Self {
        self.delayed_ack = on;
        self
    }

    /// `O_NONBLOCK` on the listener (for an event loop).
    pub fn nonblocking(mut self, on: bool) -> Self {
        self.nonblocking = on;
        self
    }

    /// Binds and listens.
    pub fn bind(&self) -> io::Result<TcpListener> {
        self.bind_with(|_| Ok(()))
    }

    /// Binds, calls `before_listen` with the bound socket (for options that must be set
    /// before `listen`, which new connections inherit), then listens.
    pub fn bind_with(
        &self,
        before_listen: impl FnOnce(BorrowedFd<'_>) -> io::Result<()>,
    ) -> io::Result<TcpListener> {
        let family = match self.addr {
            SocketAddr::V4(_) => libc::AF_INET,
            SocketAddr::V6(_) => libc::AF_INET6,
        };
        let mut kind = libc::SOCK_STREAM | libc::SOCK_CLOEXEC;
        if self.nonblocking {
            kind |= libc::SOCK_NONBLOCK;
        }
        // SAFETY: plain syscall; the descriptor is owned right after.
        let fd = cvt(unsafe { libc::socket(family, kind, 0) })?;
        // SAFETY: fresh descriptor owned by nothing else.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        if self.reuseport {
            set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
        }
        let (storage, len) = sockaddr::to_c(self.addr);
        // SAFETY: storage holds a valid sockaddr of `len` bytes.
        cvt(unsafe {
            libc::bind(
                fd.as_raw_fd(),
                &storage as *const libc::sockaddr_storage as *const libc::sockaddr,
                len,
            )
        })?;
        use std::os::fd::AsFd;
        before_listen(fd.as_fd())?;
        let listener = TcpListener::from(fd);
        if self.defer_accept > 0 {
            set_defer_accept(&listener, self.defer_accept)?;
        }
        // SAFETY: plain syscall on our socket.
        cvt(unsafe { libc::listen(listener.as_raw_fd(), self.backlog) })?;
        if self.delayed_ack {
            // After listen(), which resets the socket's acknowledgement state.
            set_quickack(listener.as_raw_fd(), false)?;
        }
        Ok(listener)
    }
}

/// A blocking listener on `addr` with `SO_REUSEADDR` and the given backlog.
pub fn bind(addr: SocketAddr, backlog: i32) -> io::Result<TcpListener> {
    ListenerBuilder::new(addr).backlog(backlog).bind()
}

/// `TCP_DEFER_ACCEPT` for `seconds` (0: off). On, the kernel completes a connection only when
/// its first data arrives (or after about `seconds` of silence, when it retransmits its
/// SYN-ACK and the client acknowledges), so `accept` hands over a connection whose request is
/// usually waiting already: the first read does not come back empty and the connection need
/// not wait in the poller for it. Apache sets it by default on Linux; nginx with
/// `listen ... deferred`. It may be changed on a listening socket.
pub fn set_defer_accept(listener: &TcpListener, seconds: u32) -> io::Result<()> {
    set_int_option(
        listener.as_raw_fd(),
        libc::IPPROTO_TCP,
        libc::TCP_DEFER_ACCEPT,
        seconds.min(i32::MAX as u32) as i32,
    )
}

/// `TCP_QUICKACK`: whether received data is acknowledged at once (`true`) or the
/// acknowledgement is delayed, to ride on the answer (`false`).
///
/// A new connection starts in quick-ack mode: the kernel acknowledges its first segments at
/// once, so a request gets a bare ACK of its own and the response follows in a second
/// segment. Off on a listening socket (set after `listen`), it is inherited by every
/// connection accepted from it, so the ACK of a complete request rides on the response, as
/// HAProxy does on its HTTP listeners. A connection waiting for the rest of a request should
/// turn it back on: a client whose Nagle algorithm holds the next piece until the first is
/// acknowledged would otherwise wait for the delayed ACK.
pub fn set_quickack(fd: RawFd, on: bool) -> io::Result<()> {
    set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK, i32::from(on))
}

fn set_int_option(fd: RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: the option value points at a live c_int of the given size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &value as *const i32 as *const libc::c_void,
            mem::size_of::<i32>() as libc::socklen_t,
        )
    })
    .map(drop)
}

#[cfg(test)]
pub(crate) fn get_int_option(fd: RawFd, level: i32, name: i32) -> i32 {
    let mut value: i32 = -1;
    let mut len = mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into the live c_int.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            &mut value as *mut i32 as *mut libc::c_void,
            &mut len,
        )
    };
    assert_eq!(rc, 0, "{}", io::Error::last_os_error());
    value
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;

    #[test]
    fn binds_an_ephemeral_port_and_accepts() {
        let l = bind("127.0.0.1:0".parse().unwrap(), DEFAULT_BACKLOG).unwrap();
        let addr = l.local_addr().unwrap();
        assert_ne!(addr.port(), 0);
        let mut c = TcpStream::connect(addr).unwrap();
        let (mut s, _) = l.accept().unwrap();
        c.write_all(b"hi").unwrap();
        let mut buf = [0; 2];
        s.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hi");
    }

    #[test]
    fn rebinds_at_once_while_a_closed_connection_is_in_time_wait() {
        let l = bind("127.0.0.1:0".parse().unwrap(), DEFAULT_BACKLOG).unwrap();
        let addr = l.local_addr().unwrap();
        let c = TcpStream::connect(addr).unwrap();
        let (s, _) = l.accept().unwrap();
        // The server side closes first, so the server's port is the one left in TIME_WAIT.
        drop(s);
        drop(l);
        let mut buf = [0; 1];
        assert_eq!((&c).read(&mut buf).unwrap(), 0);
        drop(c);
        bind(addr, DEFAULT_BACKLOG).expect("SO_REUSEADDR lets the port be bound again");
    }

    #[test]
    fn ipv6_loopback_binds_when_available() {
        if let Ok(l) = bind("[::1]:0".parse().unwrap(), 16) {
            assert!(l.local_addr().unwrap().is_ipv6());
        }
    }

    #[test]
    fn the_options_asked_for_are_set_and_the_hook_runs_before_listen() {
        let first = ListenerBuilder::new("127.0.0.1:0".parse().unwrap())
            .reuseport(true)
            .defer_accept(1)
            .nonblocking(true)
            .delayed_ack(true)
            .bind_with(|fd| {
                // Not listening yet: a connect here would be refused.
                let listening =
                    get_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_ACCEPTCONN);
                assert_eq!(listening, 0);
                Ok(())
            })
            .unwrap();
        let fd = first.as_raw_fd();
        assert_eq!(get_int_option(fd, libc::SOL_SOCKET, libc::SO_ACCEPTCONN), 1);
        assert_eq!(get_int_option(fd, libc::SOL_SOCKET, libc::SO_REUSEPORT), 1);
        assert!(get_int_option(fd, libc::IPPROTO_TCP, libc::TCP_DEFER_ACCEPT) > 0);
        assert_eq!(get_int_option(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK), 0);
        let err = first.accept().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "non-blocking");
        // SO_REUSEPORT: a second socket on the same port.
        let second = ListenerBuilder::new(first.local_addr().unwrap())
            .reuseport(true)
            .bind()
            .unwrap();
        assert_eq!(second.local_addr().unwrap(), first.local_addr().unwrap());
        // Without it, the port is taken.
        assert!(ListenerBuilder::new(first.local_addr().unwrap())
            .bind()
            .is_err());
    }

    #[test]
    fn an_error_from_the_hook_is_returned() {
        let err = ListenerBuilder::new("127.0.0.1:0".parse().unwrap())
            .bind_with(|_| Err(io::Error::other("no")))
            .unwrap_err();
        assert_eq!(err.to_string(), "no");
    }
}
