//! What a file descriptor refers to, for `-y` (`3</etc/passwd>`) and `-yy` (sockets as
//! `3<TCP:[127.0.0.1:8080->127.0.0.1:43210]>`), read from `/proc/PID/fd` and
//! `/proc/PID/net/*`.

use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};

/// `fd` as strace prints it at `-y` level `level` (0: just the number), its path quoted
/// as strings are under `-x` level `hex`.
pub fn describe_fd(pid: i32, fd: i32, level: u8, hex: u8) -> String {
    if level == 0 || fd < 0 {
        return fd.to_string();
    }
    match fd_target(pid, fd, level, hex) {
        Some(target) => format!("{fd}{target}"),
        None => fd.to_string(),
    }
}

/// `<path>`, `<path>(deleted)`, `<socket details>` or `<path<char 1:3>>`.
fn fd_target(pid: i32, fd: i32, level: u8, hex: u8) -> Option<String> {
    let link_path = format!("/proc/{pid}/fd/{fd}");
    let link = fs::read_link(&link_path).ok()?;
    let mut bytes = link.into_os_string().into_encoded_bytes();
    let deleted = strip_deleted(&link_path, &mut bytes);
    if level >= 2 {
        let inode = std::str::from_utf8(&bytes)
            .ok()
            .and_then(|t| t.strip_prefix("socket:["))
            .and_then(|s| s.strip_suffix(']'))
            .and_then(|s| s.parse::<u64>().ok());
        if let Some(inode) = inode {
            let text = String::from_utf8_lossy(&bytes).into_owned();
            return Some(format!(
                "<{}>",
                socket_details(pid, fd, inode, hex).unwrap_or(text)
            ));
        }
        if bytes.starts_with(b"/") {
            if let Some(dev) = device_suffix(&bytes) {
                return Some(format!("<{}{dev}>", quote_in_brackets(&bytes, hex)));
            }
        }
    }
    let tail = if deleted { "(deleted)" } else { "" };
    Some(format!("<{}>{tail}", quote_in_brackets(&bytes, hex)))
}

/// Whether the kernel marked the link's target deleted, removing the mark from `path`, as
/// strace's `get_proc_pid_fd_path` decides it: the path ends in ` (deleted)`, and no file
/// of that very name (mark included) is the one the fd refers to.
fn strip_deleted(link_path: &str, path: &mut Vec<u8>) -> bool {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    const MARK: &[u8] = b" (deleted)";
    // strace compares the length with sizeof(" (deleted)"), its NUL included.
    if path.len() <= MARK.len() + 1 || !path.ends_with(MARK) {
        return false;
    }
    let Ok(target) = fs::metadata(link_path) else {
        return false;
    };
    let same = fs::symlink_metadata(std::ffi::OsStr::from_bytes(path))
        .is_ok_and(|named| named.ino() == target.ino() && named.dev() == target.dev());
    if same {
        return false;
    }
    path.truncate(path.len() - MARK.len());
    true
}

/// A path inside `<...>` as strace quotes it there: its string escapes (under `-x`, in
/// hex), no quotes, and `<` and `>` escaped too.
pub fn quote_in_brackets(bytes: &[u8], hex: u8) -> String {
    let quoted = crate::format::quote(bytes, hex);
    let inner = &quoted[1..quoted.len() - 1];
    if !inner.contains(['<', '>']) {
        return inner.to_string();
    }
    // Printable, so still themselves in `inner`: strace writes them in octal, three digits
    // when an octal digit follows (as every octal escape).
    let chars: Vec<char> = inner.chars().collect();
    let mut out = String::with_capacity(inner.len() + 8);
    for (i, &ch) in chars.iter().enumerate() {
        let long = chars.get(i + 1).is_some_and(|d| ('0'..='7').contains(d));
        match (ch, long) {
            ('<', false) => out.push_str("\\74"),
            ('<', true) => out.push_str("\\074"),
            ('>', false) => out.push_str("\\76"),
            ('>', true) => out.push_str("\\076"),
            _ => out.push(ch),
        }
    }
    out
}

/// `<char 1:3>` for a character device, `<block 8:0>` for a block device.
fn device_suffix(path: &[u8]) -> Option<String> {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let meta = fs::metadata(std::ffi::OsStr::from_bytes(path)).ok()?;
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

/// strace's cache of socket details (`socketutils.c`): 1024 slots indexed by the inode's
/// low bits. Once found, a socket's details are printed from here for the rest of the run,
/// even after it connects or another socket takes the slot's inode; a socket with no
/// details (a UNIX socket neither bound nor connected) is looked up each time.
static CACHE: std::sync::Mutex<Vec<(u64, String)>> = std::sync::Mutex::new(Vec::new());
const CACHE_SIZE: usize = 1024;

/// `UNIX-STREAM:[ino->peer,"path"]`, `TCP:[a:p->b:p]`...: the details of the socket with
/// `inode`, from strace's cache or looked up; else `PROTO:[inode]`.
fn socket_details(pid: i32, fd: i32, inode: u64, hex: u8) -> Option<String> {
    let slot = (inode as usize) & (CACHE_SIZE - 1);
    if let Ok(cache) = CACHE.lock() {
        if let Some((ino, details)) = cache.get(slot) {
            if *ino == inode && !details.is_empty() {
                return Some(details.clone());
            }
        }
    }
    let protocol = socket_protocol(pid, fd);
    if let Some(details) = socket_details_as(pid, inode, protocol.as_deref(), hex) {
        if let Ok(mut cache) = CACHE.lock() {
            if cache.is_empty() {
                cache.resize(CACHE_SIZE, (0, String::new()));
            }
            cache[slot] = (inode, details.clone());
        }
        return Some(details);
    }
    protocol.map(|p| format!("{p}:[{inode}]"))
}

/// `TCP:[a:p->b:p]`, `UDP:[a:p]`, `UNIX:[ino->peer,"path"]`... for the socket with `inode`,
/// looking only where a socket of `protocol` (the kernel's name for it, `TCP`, `UDPv6`,
/// `UNIX-STREAM`...) can be, when it is known. TCP and UNIX sockets are found through
/// netlink `sock_diag`, as strace finds them: `/proc/net/tcp` lacks those only bound, and
/// can be long; `/proc/net/unix` lacks the peer.
fn socket_details_as(pid: i32, inode: u64, protocol: Option<&str>, hex: u8) -> Option<String> {
    match protocol {
        Some("TCP") => return tcp_socket(libc::AF_INET, "TCP", inode),
        Some("TCPv6") => return tcp_socket(libc::AF_INET6, "TCPv6", inode),
        Some(p @ ("UNIX" | "UNIX-STREAM")) => return unix_socket(p, inode, hex),
        _ => {}
    }
    if protocol.is_none() {
        if let Some(t) = unix_socket("UNIX", inode, hex) {
            return Some(t);
        }
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
    None
}

/// strace's `unix_parse_response`: `LABEL:[ino]` with `->peer` when connected and
/// `,"path"` (`,@"name"` for an abstract one) when bound; None when neither, so that the
/// plain `LABEL:[ino]` is printed and not cached.
fn unix_socket(label: &str, inode: u64, hex: u8) -> Option<String> {
    let found = crate::unix_diag::lookup(inode)?;
    if found.peer == 0 && found.name.is_empty() {
        return None;
    }
    let mut out = format!("{label}:[{inode}");
    if found.peer != 0 {
        out.push_str(&format!("->{}", found.peer));
    }
    if !found.name.is_empty() {
        out.push(',');
        let name = match found.name.split_first() {
            Some((0, rest)) => {
                out.push('@');
                rest
            }
            _ => &found.name[..],
        };
        // Quoted as a C string: up to its first NUL.
        let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        out.push_str(&crate::format::quote(&name[..end], hex));
    }
    out.push(']');
    Some(out)
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
    fn paths_in_brackets_are_quoted_as_strace_quotes_them() {
        assert_eq!(
            quote_in_brackets(b"/a<b>\"c\\d|e\nf\x01 g7", 0),
            "/a\\74b\\76\\\"c\\\\d|e\\nf\\1 g7"
        );
        // An octal digit after `<` makes its escape three digits long.
        assert_eq!(quote_in_brackets(b"<7>", 0), "\\0747\\76");
        assert_eq!(quote_in_brackets(b"/x\x01", 1), "\\x2f\\x78\\x01");
        assert_eq!(quote_in_brackets(b"/tmp", 1), "/tmp");
    }

    #[test]
    fn own_fds() {
        let me = std::process::id() as i32;
        let f = std::fs::File::open("/proc/self/status").unwrap();
        use std::os::fd::AsRawFd;
        let fd = f.as_raw_fd();
        assert!(describe_fd(me, fd, 1, 0).contains("/status>"));
        assert_eq!(describe_fd(me, fd, 0, 0), fd.to_string());
    }
}
