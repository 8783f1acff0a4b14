//! Pipes for `splice(2)`: a socket's bytes go socket -> pipe -> socket without entering user
//! space ([`send::splice`](crate::reactor::send::splice) moves them). Used by the TCP proxy's
//! directions and by httpd's `proxy_pass` response bodies.

use crate::sys::cvt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A pipe for splice: both ends non-blocking and close-on-exec; (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the array with two fresh descriptors.
    cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: both descriptors are fresh and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Asks the kernel for a pipe of `size` bytes (`F_SETPIPE_SZ`, rounded up to a power of two
/// pages) and returns the capacity it has: the one given, or on a refusal (`EPERM` past
/// `fs.pipe-max-size` or the user's pipe pages, unprivileged) the one it had.
pub fn set_size(w: &OwnedFd, size: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reactor::send::splice;
    use std::io::{Read, Write};
    use std::os::fd::AsFd;

    #[test]
    fn a_pipe_takes_the_size_asked_and_splices_between_sockets() {
        let (r, w) = pipe().unwrap();
        assert_eq!(set_size(&w, 256 * 1024), 256 * 1024);
        let (mut a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let (c, mut d) = std::os::unix::net::UnixStream::pair().unwrap();
        a.write_all(b"spliced").unwrap();
        assert_eq!(splice(b.as_fd(), w.as_fd(), 64, false).unwrap(), 7);
        assert_eq!(splice(r.as_fd(), c.as_fd(), 64, false).unwrap(), 7);
        let mut got = [0u8; 7];
        d.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"spliced");
        // Empty and non-blocking: EAGAIN, not a hang.
        let e = splice(r.as_fd(), c.as_fd(), 64, false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
    }
}
