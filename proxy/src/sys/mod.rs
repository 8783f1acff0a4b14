//! The system calls the proxy needs that neither std nor netcore wraps: `read(2)` on any
//! descriptor for the copying fallback, and `TCP_NODELAY` on a listener (which std sets only
//! on a stream). (The splice pipes are netcore's [`netcore::reactor::pipe`], re-exported
//! here; the non-blocking
//! `connect(2)` is netcore's [`netcore::reactor::connect`], the close with a reset its
//! [`netcore::reactor::reset`].)

use netcore::sys::cvt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

pub(crate) use netcore::reactor::pipe::{pipe, set_size as set_pipe_size};

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
