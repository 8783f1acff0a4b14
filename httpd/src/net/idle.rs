//! A peek that says whether an idle kept-alive upstream socket was closed by its peer, and
//! the abortive close of one not kept (the connect itself is netcore's
//! [`netcore::reactor::connect`]).

use std::io;
use std::net::TcpStream;
use std::os::fd::AsRawFd;

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

/// Closes an idle socket with a reset (`SO_LINGER` 0) instead of a FIN: nothing is in
/// flight on it, and the socket then leaves no `TIME_WAIT` behind (HAProxy closes its
/// surplus idle server connections so). A proxy that opens and closes upstream connections
/// by the thousand a second would otherwise pile up tens of thousands of them, and every
/// close would cost both sides the FIN exchange.
pub(crate) fn close_reset(stream: TcpStream) {
    netcore::reactor::reset::linger_zero(&stream);
    drop(stream);
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcore::reactor::connect::{connect, finish_connect, Connecting};
    use std::net::TcpListener;

    #[test]
    fn an_idle_socket_closed_by_its_peer_is_seen() {
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
}
