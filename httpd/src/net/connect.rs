//! A non-blocking `connect(2)` to an upstream (std's connect blocks the thread), and the
//! check that one under way has finished; and a peek that says whether an idle kept-alive
//! socket was closed by its peer.

use netcore::reactor::sockaddr;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd};

/// A connect started by [`connect`].
#[derive(Debug)]
pub(crate) enum Connecting {
    /// Connected at once (loopback can be that quick).
    Done(TcpStream),
    /// Under way: the socket becomes writable when it is done; then [`finish_connect`].
    InProgress(TcpStream),
}

/// Starts a non-blocking, close-on-exec connect to `addr`, with `TCP_NODELAY` (requests
/// and bodies are written whole; Nagle would only hold their last segment back).
pub(crate) fn connect(addr: SocketAddr) -> io::Result<Connecting> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain syscall; the descriptor is owned at once below.
    let fd = unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh descriptor owned by nothing else.
    let stream = unsafe { TcpStream::from_raw_fd(fd) };
    let _ = stream.set_nodelay(true);
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

/// A connect under way: `Ok(true)` once it succeeded, `Ok(false)` while still under way,
/// its error if it failed.
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

/// Whether an idle socket still looks usable: nothing to read and no error (a peer that
/// closed it shows EOF; one that reset it, an error; stray bytes make it unusable too).
pub(crate) fn idle_alive(stream: &TcpStream) -> bool {
    let mut b = [0u8; 1];
    // SAFETY: peeks into a live one-byte buffer.
    let n = unsafe {
        libc::recv(
            stream.as_raw_fd(),
            b.as_mut_ptr() as *mut libc::c_void,
            1,
            libc::MSG_PEEK | libc::MSG_DONTWAIT,
        )
    };
    n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::WouldBlock
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_connect_finishes_and_an_idle_socket_closed_by_its_peer_is_seen() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let s = match connect(l.local_addr().unwrap()).unwrap() {
            Connecting::Done(s) | Connecting::InProgress(s) => s,
        };
        let (peer, _) = l.accept().unwrap();
        while !finish_connect(&s).unwrap() {
            std::thread::yield_now();
        }
        assert!(idle_alive(&s));
        drop(peer);
        let start = std::time::Instant::now();
        while idle_alive(&s) {
            assert!(start.elapsed().as_secs() < 10);
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_refused_connect_fails() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        match connect(addr) {
            Err(_) => {}
            Ok(Connecting::Done(_)) => panic!("connected to a closed port"),
            Ok(Connecting::InProgress(s)) => loop {
                match finish_connect(&s) {
                    Err(_) => break,
                    Ok(true) => panic!("connected to a closed port"),
                    Ok(false) => std::thread::yield_now(),
                }
            },
        }
    }
}
