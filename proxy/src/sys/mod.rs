//! The system calls the proxy needs that neither std nor netcore wraps: a non-blocking
//! `connect(2)` (std's connect blocks), `pipe2(2)` for the splice pipes, `read(2)` on any
//! descriptor for the copying fallback, and `SO_LINGER` 0 to turn a close into a reset.

use netcore::reactor::sockaddr;
use netcore::sys::cvt;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// Whether a connect started by [`connect`] is done.
#[derive(Debug)]
pub(crate) enum Connecting {
    /// Connected at once (loopback can be that quick).
    Done(TcpStream),
    /// Under way: the socket becomes writable when it is done; then [`finish_connect`].
    InProgress(TcpStream),
}

/// Starts a non-blocking, close-on-exec connect to `addr`.
pub(crate) fn connect(addr: SocketAddr) -> io::Result<Connecting> {
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

/// A connect under way became writable: `Ok(true)` if it succeeded, `Ok(false)` if it is
/// still under way (a wake-up meant for an earlier socket with the same token), its error if
/// it failed.
pub(crate) fn finish_connect(stream: &TcpStream) -> io::Result<bool> {
    if let Some(e) = stream.take_error()? {
        return Err(e);
    }
    match stream.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
        Err(e) => Err(e),
    }
}

/// A pipe for splice: both ends non-blocking and close-on-exec; (read end, write end).
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the array with two fresh descriptors.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors are fresh and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `read(2)` into `buf` (the copying fallback's source, any kind of descriptor); `EINTR`
/// retried, `EAGAIN` as `WouldBlock`.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        // SAFETY: reads into a live buffer of its length from a descriptor the caller holds.
        let n = unsafe {
            libc::read(
                fd.as_raw_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
            )
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `SO_LINGER` with a zero timeout: the close that follows sends a reset, not a FIN.
pub(crate) fn set_linger_zero(stream: &TcpStream) {
    let lg = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: passes a live local of the size given; failure leaves an ordinary close.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &lg as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;

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
                let mut pfd = libc::pollfd {
                    fd: s.as_raw_fd(),
                    events: libc::POLLOUT,
                    revents: 0,
                };
                // SAFETY: one pollfd we own.
                assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
                assert!(finish_connect(&s).is_err());
            }
        }
    }

    #[test]
    fn linger_zero_makes_the_close_a_reset() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        set_linger_zero(&s);
        drop(s);
        let err = (&c).read(&mut [0u8; 8]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    }
}
