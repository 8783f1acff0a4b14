//! Closing a TCP socket with a reset instead of a FIN: `SO_LINGER` with a zero timeout, so
//! the `close(2)` that follows sends an RST and leaves no `TIME_WAIT` behind. For a socket
//! with nothing in flight that a server drops by the thousand (an idle upstream connection
//! over the pool's bound, as HAProxy closes its own), or to carry a reset from one side of a
//! proxy to the other.

use std::net::TcpStream;
use std::os::fd::AsRawFd;

/// Sets `SO_LINGER` to zero: the socket's close sends a reset. A failure leaves an
/// ordinary close, so it is not reported.
pub fn linger_zero(stream: &TcpStream) {
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: sets an option on a live socket from a `linger` that outlives the call, with
    // its size.
    unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const libc::linger as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{ErrorKind, Read};
    use std::net::TcpListener;

    #[test]
    fn the_peer_sees_a_reset_not_an_end_of_file() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let ours = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut theirs, _) = listener.accept().unwrap();
        linger_zero(&ours);
        drop(ours);
        let mut buf = [0u8; 1];
        let err = theirs.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::ConnectionReset);
    }
}
