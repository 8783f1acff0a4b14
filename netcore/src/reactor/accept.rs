//! Accepting connections: `accept4(2)` straight into non-blocking, close-on-exec mode with the
//! peer's address, and a reserve descriptor for when the process runs out of them.
//!
//! Out of descriptors (`EMFILE`, `ENFILE`), `accept` fails and leaves the connection in the
//! queue, so a level-triggered listener stays readable and the loop spins on it while the
//! clients wait. The [`Acceptor`] keeps one descriptor open in reserve: it closes it, accepts
//! the pending connection and closes that at once (the client sees a reset rather than a
//! hang), then opens the reserve again. The same trick libuv and nginx's "accept mutex" era
//! servers use.

use crate::reactor::sockaddr;
use crate::sys::cvt;
use std::fs::File;
use std::io;
use std::mem;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};

/// Accepts on behalf of a loop; holds the reserve descriptor.
#[derive(Debug)]
pub struct Acceptor {
    reserve: Option<File>,
}

impl Default for Acceptor {
    fn default() -> Acceptor {
        Acceptor::new()
    }
}

impl Acceptor {
    pub fn new() -> Acceptor {
        Acceptor {
            reserve: File::open("/dev/null").ok(),
        }
    }

    /// The next pending connection on `listener`, non-blocking, with its peer's address
    /// (`None` for a peer of another family); `Ok(None)` when none is pending. A connection
    /// that went away while queued (`ECONNABORTED`) and `EINTR` are skipped. Out of
    /// descriptors, one pending connection is shed (see the module doc) and the error is
    /// returned, for the caller to count and to free descriptors of its own (a file cache).
    pub fn accept(
        &mut self,
        listener: &TcpListener,
    ) -> io::Result<Option<(TcpStream, Option<SocketAddr>)>> {
        loop {
            match accept4(listener) {
                Ok(conn) => return Ok(Some(conn)),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(None),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                    ) => {}
                Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
                    self.reserve = None;
                    drop(accept4(listener));
                    self.reserve = File::open("/dev/null").ok();
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// One `accept4(2)`: non-blocking and close-on-exec, with the peer's address.
fn accept4(listener: &TcpListener) -> io::Result<(TcpStream, Option<SocketAddr>)> {
    // SAFETY: zeroed storage is valid; accept4 writes at most `len` bytes into it.
    let mut storage: libc::sockaddr_storage = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: as above; the descriptor is owned right after.
    let fd = cvt(unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            &mut storage as *mut _ as *mut libc::sockaddr,
            &mut len,
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    })?;
    // SAFETY: fresh descriptor owned by nothing else.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    Ok((stream, sockaddr::from_c(&storage)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reactor::listener::ListenerBuilder;
    use std::io::Read;

    fn listener() -> TcpListener {
        ListenerBuilder::new("127.0.0.1:0".parse().unwrap())
            .nonblocking(true)
            .bind()
            .unwrap()
    }

    #[test]
    fn accepts_non_blocking_with_the_peer_address_and_none_when_empty() {
        let l = listener();
        let mut a = Acceptor::new();
        assert!(a.accept(&l).unwrap().is_none());
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, peer) = loop {
            if let Some(conn) = a.accept(&l).unwrap() {
                break conn;
            }
            std::thread::yield_now();
        };
        assert_eq!(peer, Some(c.local_addr().unwrap()));
        let err = (&s).read(&mut [0u8; 1]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock);
    }

    #[test]
    fn out_of_descriptors_sheds_the_pending_connection_instead_of_spinning() {
        // In a child process: lowering RLIMIT_NOFILE would disturb the other tests' threads.
        // SAFETY: the child only makes system calls and exits.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let code = std::panic::catch_unwind(|| {
                let l = listener();
                let mut a = Acceptor::new();
                let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
                // Use up every descriptor up to the limit.
                let lim = libc::rlimit {
                    rlim_cur: 64,
                    rlim_max: 64,
                };
                // SAFETY: setrlimit reads the struct we own.
                unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) };
                let mut hog = Vec::new();
                while let Ok(f) = File::open("/dev/null") {
                    hog.push(f);
                }
                // Wait for the connection to be queued, then accept: EMFILE, shed.
                let err = loop {
                    match a.accept(&l) {
                        Ok(None) => std::thread::yield_now(),
                        Ok(Some(_)) => panic!("accepted with no descriptor free"),
                        Err(e) => break e,
                    }
                };
                assert_eq!(err.raw_os_error(), Some(libc::EMFILE));
                // The queue is empty now: the listener is no longer readable (an accept
                // would still fail with EMFILE: the kernel takes the descriptor first).
                let mut pfd = libc::pollfd {
                    fd: l.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                };
                // SAFETY: one pollfd we own, zero timeout.
                assert_eq!(unsafe { libc::poll(&mut pfd, 1, 0) }, 0);
                // The client was closed on, not left hanging.
                let mut buf = [0u8; 1];
                let n = (&c).read(&mut buf);
                assert!(matches!(n, Ok(0)) || n.is_err(), "{n:?}");
                // The reserve was taken back.
                assert!(File::open("/dev/null").is_err());
            });
            // SAFETY: leaves the child without running the parent's destructors.
            unsafe { libc::_exit(i32::from(code.is_err())) };
        }
        let mut status = 0;
        // SAFETY: waits for our own child.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "status {status}"
        );
    }
}
