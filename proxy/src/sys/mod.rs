//! The system calls the proxy needs that neither std nor netcore wraps: `pipe2(2)` for the
//! splice pipes, `read(2)` on any descriptor for the copying fallback, and `SO_LINGER` 0 to
//! turn a close into a reset. (The non-blocking `connect(2)` is netcore's
//! [`netcore::reactor::connect`].)

use netcore::sys::cvt;
use std::io;
use std::net::TcpStream;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

/// A pipe for splice: both ends non-blocking and close-on-exec; (read end, write end).
pub(crate) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the array with two fresh descriptors.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors are fresh and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Asks the kernel for a pipe of `size` bytes (`F_SETPIPE_SZ`, rounded up to a power of two
/// pages) and returns the capacity it has: the one given, or on a refusal (`EPERM` past
/// `fs.pipe-max-size` or the user's pipe pages, unprivileged) the one it had.
pub(crate) fn set_pipe_size(w: &OwnedFd, size: usize) -> usize {
    let size = libc::c_int::try_from(size).unwrap_or(libc::c_int::MAX);
    // SAFETY: plain fcntl on a pipe the caller holds.
    let n = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, size) };
    let n = if n > 0 {
        n
    } else {
        // SAFETY: as above.
        unsafe { libc::fcntl(w.as_raw_fd(), libc::F_GETPIPE_SZ) }
    };
    usize::try_from(n).unwrap_or(0).max(4096)
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
