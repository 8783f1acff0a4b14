//! The socket calls the server makes that std does not offer: listeners with
//! `SO_REUSEPORT` (one per worker thread, the kernel spreads new connections over them)
//! and `TCP_DEFER_ACCEPT`, delayed acknowledgements from the first request on
//! (`TCP_QUICKACK`), `accept4` straight into non-blocking mode with the peer's address,
//! `send` with `MSG_NOSIGNAL`/`MSG_MORE`, `sendfile`, `shutdown` of the write side, and
//! the peer's receive window from `TCP_INFO`.

use crate::net::congestion::Congestion;
use netcore::sys::cvt;
use std::fs::File;
use std::io;
use std::mem;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// Listen backlog (the kernel caps it at `net.core.somaxconn`).
pub(crate) const BACKLOG: i32 = 4096;

/// How the listening sockets are set up, beyond their address (the default is the
/// server's: `tcp_congestion default`, `defer_accept on`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListenerSetup {
    /// The congestion control the accepted connections inherit ([`crate::net::congestion`]).
    pub(crate) congestion: Congestion,
    /// `defer_accept`: see [`set_defer_accept`].
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
const DEFER_ACCEPT_SECONDS: i32 = 1;

/// `TCP_DEFER_ACCEPT` on or off. On, the kernel completes a connection only when its first
/// data arrives (or after a second of silence), so `accept` hands over a connection whose
/// request is usually waiting already: the first read does not come back empty and the
/// connection need not be registered with epoll to wait for it. Apache sets it by default
/// on Linux; nginx with `listen ... deferred`. It may be changed on a listening socket.
pub(crate) fn set_defer_accept(listener: &TcpListener, on: bool) -> io::Result<()> {
    let seconds = if on { DEFER_ACCEPT_SECONDS } else { 0 };
    set_int_option(
        listener.as_raw_fd(),
        libc::IPPROTO_TCP,
        libc::TCP_DEFER_ACCEPT,
        seconds,
    )
}

fn set_int_option(fd: i32, level: i32, name: i32, value: i32) -> io::Result<()> {
    // SAFETY: the option value points at a live c_int of the given size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            &value as *const i32 as *const libc::c_void,
            mem::size_of::<i32>() as libc::socklen_t,
        )
    })
    .map(drop)
}

fn ip_of(storage: &libc::sockaddr_storage) -> IpAddr {
    match i32::from(storage.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin = unsafe { &*(storage as *const _ as *const libc::sockaddr_in) };
            IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr)))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 = unsafe { &*(storage as *const _ as *const libc::sockaddr_in6) };
            IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr))
        }
        _ => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

/// One listening socket on `addr` with `SO_REUSEADDR` and `SO_REUSEPORT`, non-blocking,
/// set up as `setup` asks.
pub(crate) fn bind_reuseport(addr: SocketAddr, setup: &ListenerSetup) -> io::Result<TcpListener> {
    let family = match addr {
        SocketAddr::V4(_) => libc::AF_INET,
        SocketAddr::V6(_) => libc::AF_INET6,
    };
    // SAFETY: plain syscall; the descriptor is owned right after.
    let fd = cvt(unsafe {
        libc::socket(
            family,
            libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
            0,
        )
    })?;
    // SAFETY: fresh descriptor owned by nothing else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
    set_int_option(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_REUSEPORT, 1)?;
    let (storage, len) = netcore::listener::sockaddr_of(addr);
    // SAFETY: storage holds a valid sockaddr of `len` bytes.
    cvt(unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &storage as *const libc::sockaddr_storage as *const libc::sockaddr,
            len,
        )
    })?;
    crate::net::congestion::apply(fd.as_raw_fd(), addr, &setup.congestion)?;
    let listener = TcpListener::from(fd);
    if setup.defer_accept {
        set_defer_accept(&listener, true)?;
    }
    // SAFETY: plain syscall on our socket.
    cvt(unsafe { libc::listen(listener.as_raw_fd(), BACKLOG) })?;
    // After listen(), which resets the socket's acknowledgement state.
    set_quickack(listener.as_raw_fd(), false)?;
    Ok(listener)
}

/// `TCP_QUICKACK`: whether received data is acknowledged at once (`true`) or the
/// acknowledgement is delayed, to ride on the answer (`false`).
///
/// A new connection starts in quick-ack mode: the kernel acknowledges its first segments
/// at once, so the request gets a bare ACK of its own and the response follows in a
/// second segment. Off on a listening socket (set after `listen`), it is inherited by
/// every connection accepted from it: the ACK of a complete request rides on the
/// response, one segment fewer per connection (8 instead of 9 for a `Connection: close`
/// request), as HAProxy does on its HTTP listeners. The price is for a client whose
/// request arrives in pieces and whose Nagle algorithm holds the next piece until the
/// first is acknowledged: the connection turns quick-ack back on when it waits for the
/// rest of a request (the connection layer does), which also sends the pending ACK at once.
pub(crate) fn set_quickack(fd: i32, on: bool) -> io::Result<()> {
    set_int_option(fd, libc::IPPROTO_TCP, libc::TCP_QUICKACK, i32::from(on))
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

/// Accepts one connection, non-blocking and close-on-exec, with the peer's address.
pub(crate) fn accept(listener: &TcpListener) -> io::Result<(TcpStream, IpAddr)> {
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
    Ok((stream, ip_of(&storage)))
}

/// Tests: the next connection on any of `listeners` (a non-blocking group), polling for
/// up to five seconds.
#[cfg(test)]
pub(crate) fn accept_waiting(listeners: &[TcpListener]) -> io::Result<(TcpStream, IpAddr)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        for l in listeners {
            match accept(l) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
        }
        if std::time::Instant::now() > deadline {
            return Err(io::ErrorKind::TimedOut.into());
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// `send(2)` without SIGPIPE; `more` sets `MSG_MORE` (a body follows at once).
pub(crate) fn send(stream: &TcpStream, buf: &[u8], more: bool) -> io::Result<usize> {
    let flags = libc::MSG_NOSIGNAL | if more { libc::MSG_MORE } else { 0 };
    loop {
        // SAFETY: sends from a live slice on a socket we own.
        let n = unsafe {
            libc::send(
                stream.as_raw_fd(),
                buf.as_ptr() as *const libc::c_void,
                buf.len(),
                flags,
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

/// `sendfile(2)` of up to `count` bytes of `file` from `*offset`, which it advances.
pub(crate) fn sendfile(
    stream: &TcpStream,
    file: &File,
    offset: &mut u64,
    count: usize,
) -> io::Result<usize> {
    let mut off = *offset as libc::off_t;
    loop {
        // SAFETY: both descriptors are live; `off` is a local the kernel updates.
        let n = unsafe { libc::sendfile(stream.as_raw_fd(), file.as_raw_fd(), &mut off, count) };
        if n >= 0 {
            *offset = off as u64;
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Closes the sending side (FIN) while still reading: the start of a lingering close.
pub(crate) fn shutdown_write(stream: &TcpStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
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
        set_quickack(s.as_raw_fd(), true).unwrap();
        assert_eq!(quickack(s.as_raw_fd()), 1);
    }
}
