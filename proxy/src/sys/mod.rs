//! The system calls the proxy needs that neither std nor netcore wraps: `pipe2(2)` for the
//! splice pipes, `read(2)` on any descriptor for the copying fallback, and `TCP_NODELAY` on
//! a listener (which std sets only on a stream). (The non-blocking
//! `connect(2)` is netcore's [`netcore::reactor::connect`], the close with a reset its
//! [`netcore::reactor::reset`].)

use netcore::sys::cvt;
use std::io;
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

/// `TCP_NODELAY` on a socket (a listener: the connections it accepts inherit it).
pub(crate) fn set_nodelay(fd: BorrowedFd<'_>) -> io::Result<()> {
    let one: libc::c_int = 1;
    // SAFETY: the option value points at a live c_int of the size given.
    cvt(unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })
    .map(drop)
}
