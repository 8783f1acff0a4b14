//! Finding an inet socket by inode through netlink `sock_diag` (a `SOCK_DIAG_BY_FAMILY`
//! dump), as strace does for `-yy`: unlike `/proc/net/tcp`, the dump also has TCP
//! sockets that are bound but neither listening nor connected (state `TCP_CLOSE`). The
//! exchange is [`crate::netlink`]'s; the request and the reply's layout are here.

use std::net::{Ipv4Addr, Ipv6Addr};

/// The `idiag_states` bits of sockets that have an inode: every state but TIME_WAIT (6)
/// and NEW_SYN_RECV (12), whose minisockets have none and can be tens of thousands; with
/// TCP_BOUND_INACTIVE (13), for sockets that are only bound (Linux 6.9).
pub const STATES_WITH_INODE: u32 = !((1 << 6) | (1 << 12));

/// The local and remote endpoints of the socket with `inode`, for `family` (AF_INET or
/// AF_INET6) and `protocol` (IPPROTO_TCP...), among sockets in `states` (a bit per TCP
/// state; a machine may hold tens of thousands in TIME_WAIT, so ask for few), as
/// `127.0.0.1:8080` / `[::1]:8080`.
pub fn endpoints(
    family: u8,
    protocol: u8,
    states: u32,
    inode: u64,
) -> Option<(String, Option<String>)> {
    // `struct inet_diag_req_v2`: family, protocol, no extensions, padding, the states, and
    // an all-zero `struct inet_diag_sockid` (48 bytes): no particular socket.
    let mut req = vec![family, protocol, 0, 0];
    req.extend_from_slice(&states.to_ne_bytes());
    req.extend_from_slice(&[0; 48]);
    crate::netlink::sock_diag(&req, true, |msg| parse_msg(msg, inode))
}

/// One `struct inet_diag_msg`: the endpoints if its inode is `inode`.
fn parse_msg(msg: &[u8], inode: u64) -> Option<(String, Option<String>)> {
    if msg.len() < 72 {
        return None;
    }
    let msg_inode = u32::from_ne_bytes(msg[68..72].try_into().ok()?);
    if u64::from(msg_inode) != inode {
        return None;
    }
    let family = msg[0];
    let sport = u16::from_be_bytes([msg[4], msg[5]]);
    let dport = u16::from_be_bytes([msg[6], msg[7]]);
    let src = &msg[8..24];
    let dst = &msg[24..40];
    let addr = |a: &[u8], port: u16| -> String {
        if family == libc::AF_INET6 as u8 {
            let mut o = [0u8; 16];
            o.copy_from_slice(a);
            format!("[{}]:{port}", Ipv6Addr::from(o))
        } else {
            format!("{}:{port}", Ipv4Addr::new(a[0], a[1], a[2], a[3]))
        }
    };
    let local = addr(src, sport);
    let remote = (dport != 0 || dst.iter().any(|&b| b != 0)).then(|| addr(dst, dport));
    Some((local, remote))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn inode_of(fd: &impl std::os::fd::AsRawFd) -> u64 {
        std::fs::metadata(format!("/proc/self/fd/{}", fd.as_raw_fd()))
            .expect("fd")
            .ino()
    }

    /// A listening socket is found with its address, as the kernel reports it.
    #[test]
    fn finds_a_listening_socket() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let found = endpoints(
            libc::AF_INET as u8,
            libc::IPPROTO_TCP as u8,
            STATES_WITH_INODE,
            inode_of(&l),
        );
        assert_eq!(found, Some((format!("127.0.0.1:{port}"), None)));
    }

    /// A bound socket that does not listen is in no /proc/net table, but here.
    #[test]
    fn finds_a_bound_socket() {
        // SAFETY: a plain socket, bound to loopback port 0, closed by OwnedFd.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0) };
        assert!(fd >= 0);
        // SAFETY: a fresh descriptor that nothing else owns.
        let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as u16,
            sin_port: 0,
            sin_addr: libc::in_addr {
                s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
            },
            sin_zero: [0; 8],
        };
        use std::os::fd::AsRawFd;
        // SAFETY: binding our socket to the address we own.
        let r = unsafe {
            libc::bind(
                fd.as_raw_fd(),
                (&addr as *const libc::sockaddr_in).cast(),
                std::mem::size_of::<libc::sockaddr_in>() as u32,
            )
        };
        assert_eq!(r, 0);
        let found = endpoints(
            libc::AF_INET as u8,
            libc::IPPROTO_TCP as u8,
            STATES_WITH_INODE,
            inode_of(&fd),
        )
        .expect("found");
        assert!(found.0.starts_with("127.0.0.1:"), "{found:?}");
        assert_eq!(found.1, None);
    }

    #[test]
    fn an_unknown_inode_is_none() {
        assert_eq!(
            endpoints(
                libc::AF_INET as u8,
                libc::IPPROTO_TCP as u8,
                STATES_WITH_INODE,
                1
            ),
            None
        );
    }
}
