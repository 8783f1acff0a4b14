//! Sockets: socket, bind, connect, listen, accept/accept4, send/recv in their from/to and
//! msg forms, shutdown, getsockname/getpeername, socketpair (their sockaddrs: sockaddr.rs).

use super::file::{print_iovec, IovBases};
use super::sockaddr::sockaddr_text;
use super::{Call, Decoder, RetStyle, Step};
use crate::format;
pub(crate) use crate::uapi::xlat::net::{ADDRESS_FAMILIES, MSG_FLAGS};
use crate::uapi::xlat::net::{IP_PROTOCOLS, NETLINK_PROTOCOLS, SOCK_FLAGS, SOCK_TYPES};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "socket" => socket,
        "bind" | "connect" => bind,
        "listen" => listen,
        "accept" | "accept4" => accept,
        "getsockname" | "getpeername" => getsockname,
        "sendto" => sendto,
        "recvfrom" => recvfrom,
        "sendmsg" => sendmsg,
        "recvmsg" => recvmsg,
        "shutdown" => shutdown,
        "socketpair" => socketpair,
        _ => return None,
    })
}

/// `SOCK_STREAM|SOCK_CLOEXEC`; an unknown type leaves the whole value to the flags.
/// Under `-X raw`/`verbose` the type and the flags are two constants, as strace has
/// them: `0x1|0x80000`, `0x1 /* SOCK_STREAM */|0x80000 /* SOCK_CLOEXEC */`.
fn sock_type_text(value: u64, style: crate::cli::XlatStyle) -> String {
    if style != crate::cli::XlatStyle::Abbrev {
        if let Some((ty, name)) = SOCK_TYPES.iter().find(|(v, _)| *v == value & 0xf) {
            let head = format::styled(&format::hex(*ty), name, style);
            return match value & !0xf {
                0 => head,
                rest => format!("{head}|{}", format::flags(rest, SOCK_FLAGS, "0", style)),
            };
        }
    }
    let text = match SOCK_TYPES.iter().find(|(v, _)| *v == value & 0xf) {
        Some((_, name)) if value & !0xf == 0 => name.to_string(),
        Some((_, name)) => format!(
            "{name}|{}",
            format::flag_names_plain(value & !0xf, SOCK_FLAGS, "0")
        ),
        None => format::flag_names(value, SOCK_FLAGS, "0"),
    };
    format::styled(&format::hex(value), &text, style)
}

fn socket(c: &mut Call) -> Step {
    // strace 6.1 chooses the protocol's table by the whole register of the family (junk
    // in its upper half: no table, the protocol printed whole as an unsigned long).
    let family = c.arg(0);
    c.int_args(&[0, 1]);
    c.p_xlat(0, ADDRESS_FAMILIES, "AF_???");
    c.sep();
    let t = sock_type_text(c.arg(1), c.style());
    c.push(&t);
    c.sep();
    match family {
        2 | 10 => {
            c.int_args(&[2]);
            c.p_xlat(2, IP_PROTOCOLS, "IPPROTO_???");
        }
        16 => {
            c.int_args(&[2]);
            c.p_xlat(2, NETLINK_PROTOCOLS, "NETLINK_???");
        }
        _ => c.p_ulong(2),
    }
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn print_sockaddr(c: &mut Call, addr: u64, len: u32) {
    if addr == 0 {
        return c.push("NULL");
    }
    match sockaddr_text(c, addr, len) {
        Some(t) => c.push(&t),
        None => c.p_addr(addr),
    }
}

fn bind(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    c.p_fd(0);
    c.sep();
    print_sockaddr(c, c.arg(1), c.uint(2));
    c.sep();
    c.p_int(2);
    Step::Done
}

fn listen(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    c.p_fd(0);
    c.sep();
    c.p_int(1);
    Step::Done
}

/// At exit: the address and its `[in => out]` length, `saved[0]` holding the input.
fn print_addr_and_len(c: &mut Call, addr_arg: usize, len_arg: usize) {
    let len_addr = c.arg(len_arg);
    let before = c.saved[0] as u32;
    if c.arg(addr_arg) == 0 {
        c.push("NULL");
    } else if c.failed() {
        c.p_ptr(addr_arg);
    } else {
        let after = c.mem.read_value::<u32>(len_addr).unwrap_or(0);
        print_sockaddr(c, c.arg(addr_arg), after.min(before));
    }
    c.sep();
    if len_addr == 0 {
        return c.push("NULL");
    }
    match c.mem.read_value::<u32>(len_addr) {
        Some(after) if !c.failed() && after != before => {
            c.push(&format!("[{before} => {after}]"));
        }
        Some(after) => c.push(&format!("[{after}]")),
        None => c.p_addr(len_addr),
    }
}

fn save_len(c: &mut Call, len_arg: usize) {
    c.saved[0] = u64::from(c.mem.read_value::<u32>(c.arg(len_arg)).unwrap_or(0));
}

fn accept(c: &mut Call) -> Step {
    c.int_args(&[0, 3]);
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        save_len(c, 2);
        c.ret_style = RetStyle::Fd;
        return Step::AtExit;
    }
    print_addr_and_len(c, 1, 2);
    if c.nr == 288 {
        c.sep();
        c.p_flags(3, SOCK_FLAGS, "0");
    }
    Step::Done
}

fn getsockname(c: &mut Call) -> Step {
    c.int_args(&[0]);
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        save_len(c, 2);
        return Step::AtExit;
    }
    print_addr_and_len(c, 1, 2);
    Step::Done
}

fn sendto(c: &mut Call) -> Step {
    c.int_args(&[0, 3, 5]);
    c.p_fd(0);
    c.sep();
    c.p_buffer(1, c.arg(2));
    c.sep();
    c.p_ulong(2);
    c.sep();
    c.p_flags(3, MSG_FLAGS, "0");
    c.sep();
    print_sockaddr(c, c.arg(4), c.uint(5));
    c.sep();
    c.p_int(5);
    Step::Done
}

fn recvfrom(c: &mut Call) -> Step {
    c.int_args(&[0, 3]);
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        if c.arg(5) != 0 {
            save_len(c, 5);
        }
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(1);
    } else {
        c.p_buffer(1, c.rval as u64);
    }
    c.sep();
    c.p_ulong(2);
    c.sep();
    c.p_flags(3, MSG_FLAGS, "0");
    c.sep();
    print_addr_and_len(c, 4, 5);
    Step::Done
}

/// Print a `struct msghdr`; `data_len` bounds the iov data shown (recvmsg's result).
fn print_msghdr(c: &mut Call, addr: u64, data_len: Option<u64>) {
    let Some(m) = c.mem.read_value::<[u64; 7]>(addr) else {
        return c.p_addr(addr);
    };
    let (name, namelen, iov, iovlen, control, controllen, flags) =
        (m[0], m[1] as u32, m[2], m[3], m[4], m[5], m[6] as u32);
    c.push("{msg_name=");
    print_sockaddr(c, name, namelen);
    c.push(&format!(", msg_namelen={namelen}, msg_iov="));
    print_iovec(c, iov, iovlen, data_len, IovBases::Contents);
    c.push(&format!(", msg_iovlen={iovlen}"));
    if controllen != 0 {
        c.push(&format!(", msg_control={}", format::pointer(control)));
    }
    let f = format::flags(u64::from(flags), MSG_FLAGS, "0", c.style());
    c.push(&format!(", msg_controllen={controllen}, msg_flags={f}}}"));
}

fn sendmsg(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    c.p_fd(0);
    c.sep();
    print_msghdr(c, c.arg(1), None);
    c.sep();
    c.p_flags(2, MSG_FLAGS, "0");
    Step::Done
}

fn recvmsg(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(1);
    } else {
        print_msghdr(c, c.arg(1), Some(c.rval as u64));
    }
    c.sep();
    c.p_flags(2, MSG_FLAGS, "0");
    Step::Done
}

fn shutdown(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    c.p_fd(0);
    c.sep();
    c.p_xlat(
        1,
        &[(0, "SHUT_RD"), (1, "SHUT_WR"), (2, "SHUT_RDWR")],
        "SHUT_???",
    );
    Step::Done
}

fn socketpair(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    if !c.exiting {
        c.p_xlat(0, ADDRESS_FAMILIES, "AF_???");
        c.sep();
        let t = sock_type_text(c.arg(1), c.style());
        c.push(&t);
        c.sep();
        c.p_ulong(2);
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(3);
        return Step::Done;
    }
    match c.mem.read_value::<[i32; 2]>(c.arg(3)) {
        Some(fds) => c.p_fd_pair(fds),
        None => c.p_ptr(3),
    }
    Step::Done
}
