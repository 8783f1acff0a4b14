//! What a file descriptor refers to, for `-y` (`3</etc/passwd>`) and `-yy` (sockets as
//! `3<TCP:[127.0.0.1:8080->127.0.0.1:43210]>`), read from `/proc/PID/fd` and
//! `/proc/PID/net/*`.

use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `fd` as strace prints it at `-y` level `level` (0: just the number).
pub fn describe_fd(pid: i32, fd: i32, level: u8) -> String {
    if level == 0 || fd < 0 {
        return fd.to_string();
    }
    match fd_target(pid, fd, level) {
        Some(target) => format!("{fd}<{target}>"),
        None => fd.to_string(),
    }
}

fn fd_target(pid: i32, fd: i32, level: u8) -> Option<String> {
    let link = fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok()?;
    let text = link.to_string_lossy().into_owned();
    if level >= 2 {
        if let Some(inode) = text
            .strip_prefix("socket:[")
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<u64>().ok())
        {
            let protocol = socket_protocol(pid, fd);
            return Some(
                socket_details_as(pid, inode, protocol.as_deref())
                    .or_else(|| protocol.map(|p| format!("{p}:[{inode}]")))
                    .unwrap_or(text),
            );
        }
        if text.starts_with('/') {
            if let Some(dev) = device_suffix(&text) {
                return Some(format!("{}{dev}", escape_path(&text)));
            }
        }
    }
    Some(escape_path(&text))
}

/// `<char 1:3>` for a character device, `<block 8:0>` for a block device.
fn device_suffix(path: &str) -> Option<String> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = fs::metadata(path).ok()?;
    let kind = if meta.file_type().is_char_device() {
        "char"
    } else if meta.file_type().is_block_device() {
        "block"
    } else {
        return None;
    };
    let rdev = meta.rdev();
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    Some(format!("<{kind} {major}:{minor}>"))
}

/// The protocol name the kernel gives a socket (`TCP`, `UNIX`...), from the
/// `system.sockprotoname` attribute of its /proc fd link.
fn socket_protocol(pid: i32, fd: i32) -> Option<String> {
    let path = std::ffi::CString::new(format!("/proc/{pid}/fd/{fd}")).ok()?;
    let mut buf = [0u8; 64];
    // SAFETY: both names are NUL-terminated; the buffer's length is passed.
    let n = unsafe {
        libc::getxattr(
            path.as_ptr(),
            c"system.sockprotoname".as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n <= 0 {
        return None;
    }
    let name = &buf[..n as usize];
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    Some(String::from_utf8_lossy(&name[..end]).into_owned())
}

/// strace escapes unprintable bytes and `>` inside `<...>`.
fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for ch in path.chars() {
        match ch {
            '\\' | '<' | '>' | '|' | '"' => {
                out.push_str(&format!("\\x{:02x}", ch as u32));
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// `TCP:[a:p->b:p]`, `UDP:[a:p]`, `UNIX:[ino->peer]`... for the socket with `inode`,
/// looking only where a socket of `protocol` (the kernel's name for it, `TCP`, `UDPv6`,
/// `UNIX`...) can be, when it is known. TCP sockets are found through netlink
/// `sock_diag`, as strace finds them: `/proc/net/tcp` lacks those only bound, and can be
/// long.
fn socket_details_as(pid: i32, inode: u64, protocol: Option<&str>) -> Option<String> {
    match protocol {
        Some("TCP") => return tcp_socket(libc::AF_INET, "TCP", inode),
        Some("TCPv6") => return tcp_socket(libc::AF_INET6, "TCPv6", inode),
        _ => {}
    }
    for (file, label, v6) in [
        ("tcp", "TCP", false),
        ("tcp6", "TCPv6", true),
        ("udp", "UDP", false),
        ("udp6", "UDPv6", true),
    ] {
        if protocol.is_some_and(|p| p != label) {
            continue;
        }
        if let Some(t) = inet_socket(pid, file, label, v6, inode) {
            return Some(t);
        }
    }
    if protocol.is_none_or(|p| p == "UNIX") {
        if let Some(t) = unix_socket(pid, inode) {
            return Some(t);
        }
    }
    None
}

/// A TCP socket's endpoints, from netlink's `sock_diag`.
fn tcp_socket(family: i32, label: &str, inode: u64) -> Option<String> {
    let (local, remote) = crate::sock_diag::endpoints(
        family as u8,
        libc::IPPROTO_TCP as u8,
        crate::sock_diag::STATES_WITH_INODE,
        inode,
    )?;
    Some(match remote {
        Some(r) => format!("{label}:[{local}->{r}]"),
        None => format!("{label}:[{local}]"),
    })
}

fn inet_socket(pid: i32, file: &str, label: &str, v6: bool, inode: u64) -> Option<String> {
    let table = fs::read_to_string(format!("/proc/{pid}/net/{file}")).ok()?;
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 10 || cols[9].parse::<u64>().ok() != Some(inode) {
            continue;
        }
        let local = parse_endpoint(cols[1], v6)?;
        let remote = parse_endpoint(cols[2], v6)?;
        let unconnected =
            remote.ends_with(":0") && (remote.starts_with("0.0.0.0") || remote.starts_with("[::]"));
        return Some(if unconnected {
            format!("{label}:[{local}]")
        } else {
            format!("{label}:[{local}->{remote}]")
        });
    }
    None
}

/// `0100007F:1F90` → `127.0.0.1:8080`; IPv6 as `[::1]:8080`.
fn parse_endpoint(text: &str, v6: bool) -> Option<String> {
    let (addr, port) = text.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    if v6 {
        if addr.len() != 32 {
            return None;
        }
        let mut octets = [0u8; 16];
        for word in 0..4 {
            let w = u32::from_str_radix(&addr[word * 8..word * 8 + 8], 16).ok()?;
            octets[word * 4..word * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        Some(format!("[{}]:{port}", Ipv6Addr::from(octets)))
    } else {
        let w = u32::from_str_radix(addr, 16).ok()?;
        Some(format!("{}:{port}", Ipv4Addr::from(w.to_le_bytes())))
    }
}

fn unix_socket(pid: i32, inode: u64) -> Option<String> {
    let table = fs::read_to_string(format!("/proc/{pid}/net/unix")).ok()?;
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() < 7 || cols[6].parse::<u64>().ok() != Some(inode) {
            continue;
        }
        return Some(match cols.get(7) {
            Some(path) => format!("UNIX:[{inode},\"{path}\"]"),
            None => format!("UNIX:[{inode}]"),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            parse_endpoint("0100007F:1F90", false).unwrap(),
            "127.0.0.1:8080"
        );
        assert_eq!(
            parse_endpoint("00000000000000000000000001000000:0050", true).unwrap(),
            "[::1]:80"
        );
    }

    #[test]
    fn own_fds() {
        let me = std::process::id() as i32;
        let f = std::fs::File::open("/proc/self/status").unwrap();
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd();
        assert!(describe_fd(me, fd, 1).contains("/status>"));
        assert_eq!(describe_fd(me, fd, 0), fd.to_string());
    }
}
