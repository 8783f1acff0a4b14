//! Finding a UNIX socket's bound path and peer by inode through netlink `sock_diag`
//! (`UNIX_DIAG`), as strace does for `-yy`: `UNIX-STREAM:[21451056->21451054,"path"]`.
//! `/proc/net/unix` has the path but not the peer, and shows unprintable bytes as is. The
//! exchange is [`crate::netlink`]'s; the request and the reply's layout are here.

const UDIAG_SHOW_NAME: u32 = 1;
const UDIAG_SHOW_PEER: u32 = 4;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_PEER: u16 = 2;
/// `sizeof(sun_path)`: strace copies at most this much of the name.
const UNIX_PATH_MAX: usize = 108;

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
    // `struct unix_diag_req`: one socket, by inode, in any state; no cookie to match.
    let mut req = vec![libc::AF_UNIX as u8, 0, 0, 0];
    req.extend_from_slice(&u32::MAX.to_ne_bytes());
    req.extend_from_slice(&ino.to_ne_bytes());
    req.extend_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_PEER).to_ne_bytes());
    req.extend_from_slice(&[0xff; 8]);
    crate::netlink::sock_diag(&req, false, |msg| parse_msg(msg, ino))
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
