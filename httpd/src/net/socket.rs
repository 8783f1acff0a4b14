//! httpd's listening sockets and the one socket query netcore does not make. The listeners
//! come from netcore's [`ListenerBuilder`]: `SO_REUSEPORT` (one per worker thread, the kernel
//! spreads new connections over them), `TCP_DEFER_ACCEPT`, delayed acknowledgements from the
//! first request on (`TCP_QUICKACK` off), and the congestion control set between `bind` and
//! `listen` so accepted connections inherit it. Accepting and sending are netcore's too
//! ([`netcore::reactor::accept`], [`netcore::reactor::send`]).

use crate::net::congestion::Congestion;
use netcore::reactor::listener::ListenerBuilder;
use std::io;
use std::mem;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;

/// Listen backlog (the kernel caps it at `net.core.somaxconn`).
pub(crate) const BACKLOG: i32 = 4096;

/// How the listening sockets are set up, beyond their address (the default is the
/// server's: `tcp_congestion default`, `defer_accept on`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListenerSetup {
    /// The congestion control the accepted connections inherit ([`crate::net::congestion`]).
    pub(crate) congestion: Congestion,
    /// `defer_accept`: see [`netcore::reactor::listener::set_defer_accept`].
    pub(crate) defer_accept: bool,
}

impl Default for ListenerSetup {
    fn default() -> ListenerSetup {
        ListenerSetup {
            congestion: Congestion::Default,
            defer_accept: true,
        }
    }
}

/// Seconds a silent connection is held back under `TCP_DEFER_ACCEPT` (nginx's
/// `listen ... deferred` uses 1 too): the kernel retransmits its SYN-ACK once, after a
/// second, and hands the connection over when the client acknowledges that.
const DEFER_ACCEPT_SECONDS: u32 = 1;

/// `defer_accept on|off` on a listening socket (a reload changes it in place).
pub(crate) fn set_defer_accept(listener: &TcpListener, on: bool) -> io::Result<()> {
    let seconds = if on { DEFER_ACCEPT_SECONDS } else { 0 };
    netcore::reactor::listener::set_defer_accept(listener, seconds)
}

/// One listening socket on `addr` with `SO_REUSEADDR` and `SO_REUSEPORT`, non-blocking,
/// with delayed acknowledgements, set up as `setup` asks.
pub(crate) fn bind_reuseport(addr: SocketAddr, setup: &ListenerSetup) -> io::Result<TcpListener> {
    ListenerBuilder::new(addr)
        .reuseport(true)
        .nonblocking(true)
        .backlog(BACKLOG)
        .defer_accept(if setup.defer_accept {
            DEFER_ACCEPT_SECONDS
        } else {
            0
        })
        .delayed_ack(true)
        .bind_with(|fd| crate::net::congestion::apply(fd.as_raw_fd(), addr, &setup.congestion))
}

/// `count` listeners on the same address (the first one picks the port if `addr` has
/// port 0), one per worker.
pub(crate) fn bind_group(
    addr: SocketAddr,
    count: usize,
    setup: &ListenerSetup,
) -> io::Result<Vec<TcpListener>> {
    let first = bind_reuseport(addr, setup)?;
    let bound = first.local_addr()?;
    let mut all = vec![first];
    for _ in 1..count {
        all.push(bind_reuseport(bound, setup)?);
    }
    Ok(all)
}

/// Tests: the next connection on any of `listeners` (a non-blocking group), polling for
/// up to five seconds.
#[cfg(test)]
pub(crate) fn accept_waiting(
    listeners: &[TcpListener],
) -> io::Result<(TcpStream, std::net::IpAddr)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut acceptor = netcore::reactor::accept::Acceptor::new();
    loop {
        for l in listeners {
            if let Some((s, peer)) = acceptor.accept(l)? {
                let ip = peer
                    .map(|p| p.ip())
                    .ok_or_else(|| io::Error::other("no peer"))?;
                return Ok((s, ip));
            }
        }
        if std::time::Instant::now() > deadline {
            return Err(io::ErrorKind::TimedOut.into());
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The receive window the peer last advertised (`TCP_INFO`'s `tcpi_snd_wnd`), in bytes;
/// `None` if the kernel does not report it (before Linux 5.4).
pub(crate) fn peer_window(stream: &TcpStream) -> Option<u32> {
    // SAFETY: tcp_info is plain integers; all zeroes is a valid value.
    let mut info: libc::tcp_info = unsafe { mem::zeroed() };
    let mut len = mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: getsockopt writes at most `len` bytes into `info` and updates `len`.
    let rc = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            &mut info as *mut libc::tcp_info as *mut libc::c_void,
            &mut len,
        )
    };
    let wanted = mem::offset_of!(libc::tcp_info, tcpi_snd_wnd) + mem::size_of::<u32>();
    (rc == 0 && len as usize >= wanted).then_some(info.tcpi_snd_wnd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{IpAddr, Ipv4Addr};

    #[test]
    fn a_group_shares_one_port_and_accepts_with_the_peer_address() {
        let group =
            bind_group("127.0.0.1:0".parse().unwrap(), 3, &ListenerSetup::default()).unwrap();
        let addr = group[0].local_addr().unwrap();
        assert!(group.iter().all(|l| l.local_addr().unwrap() == addr));
        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"x").unwrap();
        // The connection lands on one of the listeners.
        let (mut s, peer) = accept_waiting(&group).unwrap();
        assert_eq!(peer, IpAddr::V4(Ipv4Addr::LOCALHOST));
        s.set_nonblocking(false).unwrap();
        let mut b = [0u8; 1];
        s.read_exact(&mut b).unwrap();
        assert_eq!(&b, b"x");
    }

    fn quickack(fd: i32) -> i32 {
        let mut value: i32 = -1;
        let mut len = mem::size_of::<i32>() as libc::socklen_t;
        // SAFETY: getsockopt writes at most `len` bytes into the live c_int.
        let rc = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_QUICKACK,
                &mut value as *mut i32 as *mut libc::c_void,
                &mut len,
            )
        };
        assert_eq!(rc, 0, "{}", io::Error::last_os_error());
        value
    }

    #[test]
    fn accepted_connections_inherit_delayed_acks_and_can_turn_quick_ack_back_on() {
        let setup = ListenerSetup {
            defer_accept: false,
            ..ListenerSetup::default()
        };
        let listener = bind_reuseport("127.0.0.1:0".parse().unwrap(), &setup).unwrap();
        let _c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (s, _) = accept_waiting(std::slice::from_ref(&listener)).unwrap();
        // A fresh TCP socket reports 1 (quick-ack); this one came from the listener with 0.
        let plain = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        assert_eq!(quickack(plain.as_raw_fd()), 1);
        assert_eq!(quickack(s.as_raw_fd()), 0);
        netcore::reactor::listener::set_quickack(s.as_raw_fd(), true).unwrap();
        assert_eq!(quickack(s.as_raw_fd()), 1);
    }
}
