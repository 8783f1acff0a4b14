//! The TCP congestion control of the listening sockets (`tcp_congestion`), which every
//! connection they accept inherits.
//!
//! `default`, the default, never touches the setting: connections get the system's choice,
//! as nginx's do.
//!
//! `auto` changes it in one case: a listener bound to a loopback address while the system
//! default is BBR. BBR paces every connection, and without the `fq` qdisc (loopback has no
//! qdisc at all) the kernel paces with a high-resolution timer armed for each packet sent.
//! Across loopback there is no queue for pacing to protect, only that timer's cost, which
//! is high in a virtual machine (the README's bench section measures it). Such a listener
//! gets `reno`, which every user may set (`net.ipv4.tcp_allowed_congestion_control` always
//! holds it) and which does not pace. A listener on a wildcard address, which may serve
//! remote peers, keeps the system's default.
//!
//! The choice is made on the listener, before any connection exists: accepted connections
//! inherit it, where changing it on each would cost a system call per connection. A name
//! (`cubic`, `bbr`, ...) is set on every
//! listener, and a kernel that refuses it (not built in, or not allowed to this user) stops
//! the start-up with a message saying which. A reload keeps the running setting (the
//! sockets of the addresses kept stay as they are); changing it needs a restart.

use std::io;
use std::mem;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

/// Longest algorithm name the kernel knows (`TCP_CA_NAME_MAX` less the NUL).
const NAME_MAX: usize = 15;

/// What `auto` gives a loopback listener when the system default paces.
const LOOPBACK_UNPACED: &str = "reno";

/// The `tcp_congestion` setting.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) enum Congestion {
    /// The system default, except `reno` for loopback listeners when that default is BBR.
    Auto,
    /// The system default, always.
    #[default]
    Default,
    /// This algorithm on every listener.
    Named(String),
}

impl Congestion {
    /// Parses `auto`, `default` or an algorithm name (lowercase letters, digits, `_`, `-`).
    pub(crate) fn parse(v: &str) -> Result<Congestion, String> {
        match v {
            "auto" => Ok(Congestion::Auto),
            "default" => Ok(Congestion::Default),
            _ if !v.is_empty()
                && v.len() <= NAME_MAX
                && v.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                }) =>
            {
                Ok(Congestion::Named(v.to_owned()))
            }
            _ => Err(format!(
                "tcp_congestion \"{v}\": expected \"auto\", \"default\" or an algorithm name \
                 such as \"cubic\""
            )),
        }
    }

    /// The algorithm a listener on `addr` should have, given the system's default; `None`
    /// for the system default itself.
    pub(crate) fn wanted(&self, addr: IpAddr, system_default: &str) -> Option<&str> {
        match self {
            Congestion::Named(name) => Some(name),
            Congestion::Default => None,
            Congestion::Auto => (addr.to_canonical().is_loopback()
                && system_default.starts_with("bbr"))
            .then_some(LOOPBACK_UNPACED),
        }
    }
}

/// Gives `fd`, a fresh TCP socket (so it has the system's default) to listen on `addr`,
/// the algorithm `setting` asks for. Connections accepted later inherit an algorithm set
/// this way; a listener left alone hands them the system's default of the moment. Under
/// `auto` this is a best effort: a kernel that cannot say or change the algorithm leaves
/// the listener as it is.
pub(crate) fn apply(fd: RawFd, addr: SocketAddr, setting: &Congestion) -> io::Result<()> {
    let best_effort = *setting == Congestion::Auto;
    let system = match get(fd) {
        Ok(name) => name,
        Err(_) if best_effort => return Ok(()),
        Err(e) => return Err(e),
    };
    let Some(target) = setting.wanted(addr.ip(), &system) else {
        return Ok(());
    };
    if best_effort {
        return set(fd, target).or(Ok(()));
    }
    set(fd, target).map_err(|e| {
        let why = match e.raw_os_error() {
            Some(libc::ENOENT) => {
                "not available in this kernel (see /proc/sys/net/ipv4/tcp_available_congestion_control)"
                    .to_owned()
            }
            Some(libc::EPERM) => {
                "not allowed to this user (see /proc/sys/net/ipv4/tcp_allowed_congestion_control)"
                    .to_owned()
            }
            _ => e.to_string(),
        };
        io::Error::new(e.kind(), format!("tcp_congestion {target}: {why}"))
    })
}

/// Whether the kernel lets this process set the algorithm `setting` names, tried on a
/// socket that is never bound (for `--check-config` and a reload's check).
pub(crate) fn check(setting: &Congestion) -> io::Result<()> {
    if !matches!(setting, Congestion::Named(_)) {
        return Ok(());
    }
    let fd = unbound_tcp_socket()?;
    apply(fd.as_raw_fd(), SocketAddr::from(([0, 0, 0, 0], 0)), setting)
}

/// A TCP socket that is never bound: it has the system's default algorithm.
fn unbound_tcp_socket() -> io::Result<OwnedFd> {
    // SAFETY: plain syscall; the descriptor is owned right after.
    let fd = netcore::sys::cvt(unsafe {
        libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0)
    })?;
    // SAFETY: fresh descriptor owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The algorithm of a TCP socket (`TCP_CONGESTION`).
fn get(fd: RawFd) -> io::Result<String> {
    let mut name = [0u8; 16];
    let mut len = name.len() as libc::socklen_t;
    // SAFETY: the kernel writes at most `len` bytes into `name`, and updates `len`.
    netcore::sys::cvt(unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            name.as_mut_ptr() as *mut libc::c_void,
            &mut len,
        )
    })?;
    let name = &name[..(len as usize).min(name.len())];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Ok(String::from_utf8_lossy(&name[..end]).into_owned())
}

fn set(fd: RawFd, name: &str) -> io::Result<()> {
    let bytes = name.as_bytes();
    // SAFETY: the option value points at `bytes.len()` live bytes.
    netcore::sys::cvt(unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_CONGESTION,
            bytes.as_ptr() as *const libc::c_void,
            mem::size_of_val(bytes) as libc::socklen_t,
        )
    })
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpStream;

    /// The system's default algorithm: the one a fresh TCP socket has.
    fn system_default() -> String {
        get(unbound_tcp_socket().unwrap().as_raw_fd()).unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn parse_accepts_the_keywords_and_plain_names() {
        assert_eq!(Congestion::parse("auto"), Ok(Congestion::Auto));
        assert_eq!(Congestion::parse("default"), Ok(Congestion::Default));
        assert_eq!(
            Congestion::parse("cubic"),
            Ok(Congestion::Named("cubic".into()))
        );
        for bad in ["", "Cubic", "a b", "x;", "abcdefghijklmnop", "../x"] {
            assert!(Congestion::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn auto_unpaces_only_loopback_listeners_under_bbr() {
        let auto = Congestion::Auto;
        assert_eq!(auto.wanted(ip("127.0.0.1"), "bbr"), Some("reno"));
        assert_eq!(auto.wanted(ip("127.3.2.1"), "bbr"), Some("reno"));
        assert_eq!(auto.wanted(ip("::1"), "bbr"), Some("reno"));
        assert_eq!(auto.wanted(ip("::ffff:127.0.0.1"), "bbr"), Some("reno"));
        assert_eq!(auto.wanted(ip("0.0.0.0"), "bbr"), None);
        assert_eq!(auto.wanted(ip("::"), "bbr"), None);
        assert_eq!(auto.wanted(ip("10.1.2.3"), "bbr"), None);
        assert_eq!(auto.wanted(ip("127.0.0.1"), "cubic"), None);
        assert_eq!(Congestion::Default.wanted(ip("127.0.0.1"), "bbr"), None);
        let named = Congestion::Named("cubic".into());
        assert_eq!(named.wanted(ip("0.0.0.0"), "bbr"), Some("cubic"));
    }

    /// A listener with `setting`, and the algorithm of a connection it accepted.
    fn accepted_with(setting: &Congestion) -> io::Result<String> {
        let setup = crate::net::socket::ListenerSetup {
            congestion: setting.clone(),
            // The client below sends nothing: accept it at once.
            defer_accept: false,
        };
        let listener = crate::net::socket::bind_reuseport("127.0.0.1:0".parse().unwrap(), &setup)?;
        let _client = TcpStream::connect(listener.local_addr()?)?;
        let (conn, _) = crate::net::socket::accept_waiting(std::slice::from_ref(&listener))?;
        get(conn.as_raw_fd())
    }

    #[test]
    fn accepted_connections_inherit_the_listeners_algorithm() {
        let system = system_default();
        let expected = if system.starts_with("bbr") {
            "reno"
        } else {
            &system
        };
        assert_eq!(accepted_with(&Congestion::Auto).unwrap(), expected);
        assert_eq!(accepted_with(&Congestion::Default).unwrap(), system);
        assert_eq!(
            accepted_with(&Congestion::Named("reno".into())).unwrap(),
            "reno"
        );
    }

    #[test]
    fn a_kernel_refusal_names_the_setting() {
        let err = accepted_with(&Congestion::Named("no_such_cc".into())).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("tcp_congestion no_such_cc: not available"),
            "{text}"
        );
    }
}
