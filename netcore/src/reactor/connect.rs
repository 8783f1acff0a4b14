//! A non-blocking `connect(2)` to an upstream (std's connect blocks the thread), and the
//! check that one under way has finished: for a server that connects out from its event
//! loop (httpd's and the proxy's upstreams, the proxy's health checks).
//!
//! ```no_run
//! # fn main() -> std::io::Result<()> {
//! use netcore::reactor::connect::{connect, finish_connect, Connecting};
//! match connect("127.0.0.1:8080".parse().unwrap())? {
//!     Connecting::Done(stream) => { /* connected at once */ }
//!     Connecting::InProgress(stream) => {
//!         // Register for writability; once writable:
//!         if finish_connect(&stream)? { /* connected */ }
//!     }
//! }
//! # Ok(()) }
//! ```

use crate::reactor::sockaddr;
use crate::sys::cvt;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};

/// Whether a connect started by [`connect`] is done.
#[derive(Debug)]
pub enum Connecting {
    /// Connected at once (loopback can be that quick).
    Done(TcpStream),
    /// Under way: the socket becomes writable when it is done; then [`finish_connect`].
    InProgress(TcpStream),
}

/// Starts a non-blocking, close-on-exec connect to `addr` (`EINTR` retried). The stream
/// stays non-blocking; its options (`TCP_NODELAY`, ...) are the caller's to set.
pub fn connect(addr: SocketAddr) -> io::Result<Connecting> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain syscall; the descriptor is owned at once below.
    let fd = cvt(unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    })?;
    // SAFETY: a fresh descriptor owned by nothing else.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let (storage, len) = sockaddr::to_c(addr);
    loop {
        // SAFETY: `storage` is a live, filled sockaddr of `len` bytes.
        let r = unsafe {
            libc::connect(
                stream.as_raw_fd(),
                &storage as *const _ as *const libc::sockaddr,
                len,
            )
        };
        if r == 0 {
            return Ok(Connecting::Done(stream));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINPROGRESS) => return Ok(Connecting::InProgress(stream)),
            Some(libc::EINTR) => continue,
            _ => return Err(e),
        }
    }
}

/// A connect under way (or one that became writable): `Ok(true)` once it succeeded,
/// `Ok(false)` while still under way (e.g. a wake-up meant for an earlier socket with the
/// same token), its error (`SO_ERROR`) if it failed.
pub fn finish_connect(stream: &TcpStream) -> io::Result<bool> {
    if let Some(e) = stream.take_error()? {
        return Err(e);
    }
    match stream.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// Waits (up to 10 s) for `s` to become writable: a connect under way has ended.
    fn wait_writable(s: &TcpStream) {
        let mut pfd = libc::pollfd {
            fd: s.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        };
        // SAFETY: one pollfd we own.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
    }

    #[test]
    fn a_connect_finishes_and_carries_bytes() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut s = match connect(l.local_addr().unwrap()).unwrap() {
            Connecting::Done(s) => s,
            Connecting::InProgress(s) => {
                wait_writable(&s);
                assert!(finish_connect(&s).unwrap());
                s
            }
        };
        assert!(finish_connect(&s).unwrap());
        let (mut peer, _) = l.accept().unwrap();
        s.write_all(b"ping").unwrap();
        let mut got = [0u8; 4];
        peer.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"ping");
    }

    #[test]
    fn a_refused_connect_is_an_error_now_or_when_writable() {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        match connect(addr) {
            Err(_) => {}
            Ok(Connecting::Done(_)) => panic!("connected to a closed port"),
            Ok(Connecting::InProgress(s)) => {
                wait_writable(&s);
                assert!(finish_connect(&s).is_err());
            }
        }
    }
}
