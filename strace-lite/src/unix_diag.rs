//! Finding a UNIX socket's bound path and peer by inode through netlink `sock_diag`
//! (`UNIX_DIAG`), as strace does for `-yy`: `UNIX-STREAM:[21451056->21451054,"path"]`.
//! `/proc/net/unix` has the path but not the peer, and shows unprintable bytes as is.

const NETLINK_SOCK_DIAG: libc::c_int = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_DONE: u16 = 3;
const NLMSG_ERROR: u16 = 2;
const NLMSG_HDRLEN: usize = 16;
const UDIAG_SHOW_NAME: u32 = 1;
const UDIAG_SHOW_PEER: u32 = 4;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;
/// `sizeof(sun_path)`: strace copies at most this much of the name.
const UNIX_PATH_MAX: usize = 108;

/// `struct unix_diag_req` after its `nlmsghdr`: one socket, by inode.
#[repr(C)]
struct Request {
    len: u32,
    kind: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    family: u8,
    protocol: u8,
    pad: u16,
    states: u32,
    ino: u32,
    show: u32,
    cookie: [u32; 2],
}

/// What the kernel says of a UNIX socket: its peer's inode (0 for none) and the name it
/// is bound to (empty for none; an abstract name starts with a NUL).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UnixSocket {
    pub peer: u32,
    pub name: Vec<u8>,
}

/// The peer and name of the UNIX socket with `inode`, or None when the kernel does not
/// answer (no such socket, no sock_diag).
pub fn lookup(inode: u64) -> Option<UnixSocket> {
    let ino = u32::try_from(inode).ok()?;
    // SAFETY: a plain socket call; the fd is closed below.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_DGRAM | libc::SOCK_CLOEXEC,
            NETLINK_SOCK_DIAG,
        )
    };
    if fd < 0 {
        return None;
    }
    let found = query(fd, ino);
    // SAFETY: closing the socket opened above.
    unsafe { libc::close(fd) };
    found
}

fn query(fd: i32, ino: u32) -> Option<UnixSocket> {
    let req = Request {
        len: std::mem::size_of::<Request>() as u32,
        kind: SOCK_DIAG_BY_FAMILY,
        flags: libc::NLM_F_REQUEST as u16,
        seq: 1,
        pid: 0,
        family: libc::AF_UNIX as u8,
        protocol: 0,
        pad: 0,
        states: u32::MAX,
        ino,
        show: UDIAG_SHOW_NAME | UDIAG_SHOW_PEER,
        cookie: [u32::MAX; 2],
    };
    // SAFETY: sending the request struct we own, of its own size.
    let sent = unsafe {
        libc::send(
            fd,
            (&req as *const Request).cast(),
            std::mem::size_of::<Request>(),
            0,
        )
    };
    if sent < 0 {
        return None;
    }
    let mut buf = vec![0u8; 8 * 1024];
    // SAFETY: receiving into the buffer we own, of its length.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n <= 0 {
        return None;
    }
    let n = n as usize;
    let mut at = 0usize;
    while at + NLMSG_HDRLEN <= n {
        let len = u32::from_ne_bytes(buf[at..at + 4].try_into().ok()?) as usize;
        let kind = u16::from_ne_bytes(buf[at + 4..at + 6].try_into().ok()?);
        if len < NLMSG_HDRLEN || at + len > n {
            return None;
        }
        match kind {
            NLMSG_DONE | NLMSG_ERROR => return None,
            SOCK_DIAG_BY_FAMILY => {
                if let Some(found) = parse_msg(&buf[at + NLMSG_HDRLEN..at + len], ino) {
                    return Some(found);
                }
            }
            _ => {}
        }
        at += (len + 3) & !3;
    }
    None
}

/// One `struct unix_diag_msg` (16 bytes) and its attributes, if it is socket `ino`.
fn parse_msg(msg: &[u8], ino: u32) -> Option<UnixSocket> {
    if msg.len() < 16 || msg[0] != libc::AF_UNIX as u8 {
        return None;
    }
    if u32::from_ne_bytes(msg[4..8].try_into().ok()?) != ino {
        return None;
    }
    let mut found = UnixSocket::default();
    let mut have_name = false;
    let mut at = 16;
    while at + 4 <= msg.len() {
        let len = usize::from(u16::from_ne_bytes([msg[at], msg[at + 1]]));
        let kind = u16::from_ne_bytes([msg[at + 2], msg[at + 3]]);
        if len < 4 || at + len > msg.len() {
            break;
        }
        let data = &msg[at + 4..at + len];
        match kind {
            UNIX_DIAG_NAME if !have_name => {
                have_name = true;
                found.name = data[..data.len().min(UNIX_PATH_MAX)].to_vec();
            }
            UNIX_DIAG_PEER if data.len() >= 4 => {
                found.peer = u32::from_ne_bytes(data[..4].try_into().ok()?);
            }
            _ => {}
        }
        at += (len + 3) & !3;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inode_of(fd: &impl std::os::fd::AsRawFd) -> u64 {
        let link = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).unwrap();
        let text = link.to_string_lossy().into_owned();
        text.trim_start_matches("socket:[")
            .trim_end_matches(']')
            .parse()
            .unwrap()
    }

    #[test]
    fn finds_a_pair_and_a_bound_socket() {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        let found = lookup(inode_of(&a)).unwrap();
        assert_eq!(u64::from(found.peer), inode_of(&b));
        assert!(found.name.is_empty());

        let dir = std::env::temp_dir().join(format!("unix-diag-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let listener = std::os::unix::net::UnixListener::bind(&dir).unwrap();
        let found = lookup(inode_of(&listener)).unwrap();
        assert_eq!(found.peer, 0);
        // The name as bound: Rust's bind counts the path's terminating NUL.
        let name = found.name.split(|&b| b == 0).next().unwrap();
        assert_eq!(name, dir.as_os_str().as_encoded_bytes());
        std::fs::remove_file(&dir).unwrap();
    }

    #[test]
    fn an_unknown_inode_is_none() {
        assert_eq!(lookup(1), None);
    }
}
