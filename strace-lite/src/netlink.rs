//! One netlink `sock_diag` exchange, as `-yy` makes them: a `SOCK_DIAG_BY_FAMILY` request
//! sent, the replies walked until one is the socket asked for. What the request holds and
//! what a reply says is each family's (`sock_diag` for inet, `unix_diag` for UNIX).

const NETLINK_SOCK_DIAG: libc::c_int = 4;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLMSG_DONE: u16 = 3;
const NLMSG_ERROR: u16 = 2;
const NLMSG_HDRLEN: usize = 16;

/// Sends `request` (a family's request struct, after the `nlmsghdr` this adds) and gives
/// each reply message's payload to `found` until it returns a value. A `dump` reads on
/// until the kernel's `NLMSG_DONE`; a single request reads one datagram. None when the
/// kernel has no such socket, refuses (`NLMSG_ERROR`), or has no `sock_diag`.
pub(crate) fn sock_diag<R>(
    request: &[u8],
    dump: bool,
    mut found: impl FnMut(&[u8]) -> Option<R>,
) -> Option<R> {
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
    let result = exchange(fd, request, dump, &mut found);
    // SAFETY: closing the socket opened above.
    unsafe { libc::close(fd) };
    result
}

fn exchange<R>(
    fd: i32,
    request: &[u8],
    dump: bool,
    found: &mut impl FnMut(&[u8]) -> Option<R>,
) -> Option<R> {
    let flags = if dump {
        libc::NLM_F_REQUEST | libc::NLM_F_DUMP
    } else {
        libc::NLM_F_REQUEST
    } as u16;
    let mut msg = Vec::with_capacity(NLMSG_HDRLEN + request.len());
    msg.extend_from_slice(
        &u32::try_from(NLMSG_HDRLEN + request.len())
            .ok()?
            .to_ne_bytes(),
    );
    msg.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    msg.extend_from_slice(&flags.to_ne_bytes());
    msg.extend_from_slice(&1u32.to_ne_bytes()); // sequence number
    msg.extend_from_slice(&0u32.to_ne_bytes()); // port id: the kernel
    msg.extend_from_slice(request);
    // SAFETY: sending the bytes of a live buffer, of its length.
    let sent = unsafe { libc::send(fd, msg.as_ptr().cast(), msg.len(), 0) };
    if sent < 0 {
        return None;
    }
    let mut buf = vec![0u8; 32 * 1024];
    loop {
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
                    if let Some(r) = found(&buf[at + NLMSG_HDRLEN..at + len]) {
                        return Some(r);
                    }
                }
                _ => {}
            }
            at += (len + 3) & !3;
        }
        if !dump {
            return None;
        }
    }
}
