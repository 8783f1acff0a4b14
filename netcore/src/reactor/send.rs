//! Sending without copies through user space and without SIGPIPE: `send(2)` with
//! `MSG_NOSIGNAL` (a peer that went away is an `EPIPE` error, never a signal that kills the
//! process) and `MSG_MORE` (more follows at once: the kernel holds a partial segment back),
//! `sendfile(2)` from a file, `splice(2)` between a socket and a pipe, and `shutdown(2)` of
//! the sending side. `EINTR` is retried; `EAGAIN` is returned as `WouldBlock` for the caller
//! to wait for writability.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

fn retry(mut call: impl FnMut() -> isize) -> io::Result<usize> {
    loop {
        let n = call();
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// `send(2)` of `buf` on `socket` without SIGPIPE; `more` sets `MSG_MORE` (a body follows).
pub fn send(socket: &impl AsFd, buf: &[u8], more: bool) -> io::Result<usize> {
    let fd = socket.as_fd().as_raw_fd();
    let flags = libc::MSG_NOSIGNAL | if more { libc::MSG_MORE } else { 0 };
    // SAFETY: sends from a live slice on a descriptor the caller holds.
    retry(|| unsafe { libc::send(fd, buf.as_ptr() as *const libc::c_void, buf.len(), flags) })
}

/// `sendfile(2)` of up to `count` bytes of `file` from `*offset`, which it advances.
pub fn sendfile(
    socket: &impl AsFd,
    file: &File,
    offset: &mut u64,
    count: usize,
) -> io::Result<usize> {
    let out = socket.as_fd().as_raw_fd();
    let mut off = *offset as libc::off_t;
    // SAFETY: both descriptors are live; `off` is a local the kernel updates.
    let n = retry(|| unsafe { libc::sendfile(out, file.as_raw_fd(), &mut off, count) })?;
    *offset = off as u64;
    Ok(n)
}

/// `splice(2)` of up to `len` bytes from `from` to `to`, one of which must be a pipe:
/// non-blocking (`SPLICE_F_NONBLOCK`), pages moved rather than copied where the kernel can
/// (`SPLICE_F_MOVE`), `more` sets `SPLICE_F_MORE`. `Ok(0)` from a socket is its EOF.
pub fn splice(
    from: BorrowedFd<'_>,
    to: BorrowedFd<'_>,
    len: usize,
    more: bool,
) -> io::Result<usize> {
    let flags =
        libc::SPLICE_F_MOVE | libc::SPLICE_F_NONBLOCK | if more { libc::SPLICE_F_MORE } else { 0 };
    // SAFETY: both descriptors are live; null offsets mean "the descriptors' own positions".
    retry(|| unsafe {
        libc::splice(
            from.as_raw_fd(),
            std::ptr::null_mut(),
            to.as_raw_fd(),
            std::ptr::null_mut(),
            len,
            flags,
        )
    })
}

/// Closes the sending side (FIN) while still reading: the start of a lingering close.
/// A socket already reset makes it fail, which changes nothing for the caller.
pub fn shutdown_write(socket: &std::net::TcpStream) {
    let _ = socket.shutdown(std::net::Shutdown::Write);
}

/// A socket as an `io::Write` whose writes are [`send`]s: no SIGPIPE.
pub struct NoSignal<'a, S: AsFd>(pub &'a S);

impl<S: AsFd> io::Write for NoSignal<'_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        send(self.0, buf, false)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::FromRawFd;
    use std::os::fd::OwnedFd;

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        (c, s)
    }

    fn pipe() -> (OwnedFd, OwnedFd) {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the array with two fresh descriptors, owned right after.
        assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
        // SAFETY: as above.
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
    }

    #[test]
    fn send_to_a_closed_peer_is_an_error_not_a_signal() {
        let (c, s) = pair();
        drop(c);
        // The first send may still be accepted; a later one meets the peer's reset.
        let err = (0..100)
            .find_map(|_| send(&s, &[0u8; 1024], false).err())
            .expect("a send to a closed peer fails");
        assert!(matches!(
            err.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        ));
    }

    #[test]
    fn sendfile_sends_from_the_offset_and_advances_it() {
        let dir = std::env::temp_dir().join(format!("netcore-sendfile-{}", std::process::id()));
        std::fs::write(&dir, b"0123456789").unwrap();
        let file = File::open(&dir).unwrap();
        std::fs::remove_file(&dir).unwrap();
        let (mut c, s) = pair();
        let mut off = 3;
        assert_eq!(sendfile(&s, &file, &mut off, 4).unwrap(), 4);
        assert_eq!(off, 7);
        drop(s);
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"3456");
    }

    #[test]
    fn splice_moves_socket_bytes_through_a_pipe_to_another_socket() {
        let (mut a_client, a_server) = pair();
        let (b_server, mut b_client) = pair();
        let (r, w) = pipe();
        a_client.write_all(b"through the kernel").unwrap();
        drop(a_client);
        let mut moved = 0;
        while moved < 18 {
            let n = match splice(a_server.as_fd(), w.as_fd(), 1 << 16, false) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
                Err(e) => panic!("{e}"),
            };
            assert_eq!(splice(r.as_fd(), b_server.as_fd(), n, false).unwrap(), n);
            moved += n;
        }
        assert_eq!(
            splice(a_server.as_fd(), w.as_fd(), 1 << 16, false).unwrap(),
            0,
            "EOF"
        );
        shutdown_write(&b_server);
        let mut got = String::new();
        b_client.read_to_string(&mut got).unwrap();
        assert_eq!(got, "through the kernel");
    }
}
