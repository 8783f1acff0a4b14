//! setsockopt and getsockopt as strace 6.1's `net.c` prints them: the level and option
//! names, and the value by the option's kind. SOL_SOCKET's int options print `[N]` when
//! the length holds an int, else the address (set) or the bytes in hex (get); SO_LINGER
//! its struct, field by field as far as the length goes; SO_TXREHASH its named values;
//! any other option `[N]` for a length of exactly 4, else the bytes as a string.

use super::{Call, Decoder, Step};
use crate::format::{self, Xlat};
use crate::uapi::xlat::net::{
    IPV6_OPTIONS, IP_OPTIONS, SOCKOPT_LEVELS, SOL_SOCKET_OPTIONS, TCP_OPTIONS, TLS_OPTIONS,
};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "setsockopt" => setsockopt,
        "getsockopt" => getsockopt,
        _ => return None,
    })
}

const SOL_SOCKET: u64 = 1;
const SO_LINGER: u64 = 13;
const SO_TXREHASH: u64 = 74;

/// The SOL_SOCKET options whose value is an `int` (strace's "All known int-like options").
const INT_OPTIONS: &[u64] = &[
    1, 2, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18, 19, 27, 29, 30, 32, 33, 34, 35, 36, 37, 40,
    41, 42, 43, 44, 45, 46, 49, 53, 56, 60, 63, 64, 65, 68, 69, 70, 73, 75,
];

const TXREHASH: &Xlat = &[
    (0, "SOCK_TXREHASH_DISABLED"),
    (1, "SOCK_TXREHASH_ENABLED"),
    (255, "SOCK_TXREHASH_DEFAULT"),
];

/// `fd, SOL_SOCKET, SO_DEBUG, `: an unknown option of a level with names is
/// `0x4c /* SO_??? */`, of any other level a plain number.
fn fd_level_name(c: &mut Call) {
    c.p_fd(0);
    c.sep();
    c.p_xlat(1, SOCKOPT_LEVELS, "SOL_??");
    c.sep();
    let (table, unknown): (&Xlat, &str) = match c.arg(1) {
        // strace's getsock_options and setsock_options: 26 has a name for each call.
        SOL_SOCKET if c.arg(2) == 26 => {
            let name = if crate::syscall_table::name(c.nr) == "getsockopt" {
                "SO_GET_FILTER"
            } else {
                "SO_ATTACH_FILTER"
            };
            let t = format::styled("0x1a", name, c.style());
            c.push(&t);
            return c.sep();
        }
        SOL_SOCKET => (SOL_SOCKET_OPTIONS, "SO_???"),
        6 => (TCP_OPTIONS, "TCP_???"),
        41 => (IPV6_OPTIONS, "IPV6_???"),
        0 => (IP_OPTIONS, "IP_???"),
        // SOL_TLS: kernel TLS's TLS_TX and TLS_RX (their key material printed by the default
        // rule: the bytes of the struct, as strace 6.1 prints them).
        282 => (TLS_OPTIONS, "TLS_???"),
        _ => {
            c.p_uint_arg(2);
            return c.sep();
        }
    };
    c.p_xlat(2, table, unknown);
    c.sep();
}

/// strace's printnum_int: `[N]`, or the address when unreadable.
fn int_at(c: &mut Call, addr: u64) {
    c.p_int_ref(addr);
}

/// strace's printstr_ex: `len` bytes as a string cut at `-s`, every byte in hex when
/// `force_hex`; the address when unreadable.
fn bytes_at(c: &mut Call, addr: u64, len: u64, force_hex: bool) {
    let hex = if force_hex { 2 } else { c.opts.hex };
    c.p_buffer_hex(addr, len, hex);
}

fn txrehash(c: &mut Call, addr: u64, len: i32) {
    if len < 4 {
        return if c.exiting {
            bytes_at(c, addr, len as u64, true)
        } else {
            c.p_addr(addr)
        };
    }
    match c.mem.read_i32(addr) {
        Some(v) => {
            // printxval_d: the number in decimal, known or not.
            let t = match TXREHASH.iter().find(|(k, _)| *k == v as u32 as u64) {
                Some((_, n)) => format::styled(&v.to_string(), n, c.style()),
                None if c.style() == crate::cli::XlatStyle::Raw => v.to_string(),
                None => format!("{v} /* SOCK_TXREHASH_??? */"),
            };
            c.push(&format!("[{t}]"));
        }
        None => c.p_addr(addr),
    }
}

/// setsockopt's value, `len` bytes at `addr`.
fn print_set(c: &mut Call, addr: u64, len: i32) {
    let (level, name) = (c.arg(1), c.arg(2));
    if addr != 0 && level == SOL_SOCKET {
        match name {
            SO_LINGER => {
                if len < 8 {
                    return c.p_addr(addr);
                }
                return match c.mem.read_value::<[i32; 2]>(addr) {
                    Some([on, linger]) => c.push(&format!("{{l_onoff={on}, l_linger={linger}}}")),
                    None => c.p_addr(addr),
                };
            }
            SO_TXREHASH => return txrehash(c, addr, len),
            _ if INT_OPTIONS.contains(&name) => {
                return if len < 4 {
                    c.p_addr(addr)
                } else {
                    int_at(c, addr)
                };
            }
            _ => {}
        }
    }
    // strace's default: an int, or the bytes; only the address when -e verbose= leaves
    // the call out.
    if !c.mem.reads_structs() {
        c.p_addr(addr);
    } else if len == 4 {
        int_at(c, addr);
    } else {
        bytes_at(c, addr, len as u32 as u64, false);
    }
}

/// getsockopt's value: the caller's length was `ulen`, the kernel's is `rlen`.
fn print_get(c: &mut Call, addr: u64, ulen: i32, rlen: i32) {
    if ulen <= 0 || rlen <= 0 {
        // Lengths the kernel never returns on success: forged by the caller.
        return c.p_addr(addr);
    }
    let (level, name) = (c.arg(1), c.arg(2));
    if addr != 0 && level == SOL_SOCKET {
        match name {
            SO_LINGER => return get_linger(c, addr, rlen as usize),
            SO_TXREHASH => return txrehash(c, addr, rlen),
            _ if INT_OPTIONS.contains(&name) => {
                return if rlen >= 4 {
                    int_at(c, addr)
                } else {
                    bytes_at(c, addr, rlen as u64, true)
                };
            }
            _ => {}
        }
    }
    if !c.mem.reads_structs() {
        c.p_addr(addr);
    } else if rlen == 4 {
        int_at(c, addr);
    } else {
        bytes_at(c, addr, rlen as u64, false);
    }
}

/// `struct linger` as far as `len` goes: a field cut short is its bytes in hex.
fn get_linger(c: &mut Call, addr: u64, len: usize) {
    let len = len.min(8);
    let Some(b) = c.mem.read_struct(addr, len) else {
        return c.p_addr(addr);
    };
    let mut out = String::from("{");
    for (i, name) in ["l_onoff", "l_linger"].iter().enumerate() {
        let start = i * 4;
        if len <= start {
            break;
        }
        if i > 0 {
            out.push_str(", ");
        }
        if len >= start + 4 {
            let v = i32::from_ne_bytes([b[start], b[start + 1], b[start + 2], b[start + 3]]);
            out.push_str(&format!("{name}={v}"));
        } else {
            out.push_str(&format!("{name}={}", format::quote(&b[start..len], 2)));
        }
    }
    out.push('}');
    c.push(&out);
}

fn setsockopt(c: &mut Call) -> Step {
    c.int_args(&[0, 1, 2, 4]);
    fd_level_name(c);
    print_set(c, c.arg(3), c.int(4));
    c.sep();
    c.p_int(4);
    Step::Done
}

fn getsockopt(c: &mut Call) -> Step {
    c.int_args(&[0, 1, 2]);
    if !c.exiting {
        fd_level_name(c);
        let len_addr = c.arg(4);
        match c.mem.read_i32(len_addr) {
            Some(ulen) => {
                c.saved[0] = ulen as u32 as u64;
                return Step::AtExit;
            }
            None => {
                // No length to read: both pointers, decoded at entry.
                c.p_ptr(3);
                c.sep();
                c.p_ptr(4);
                return Step::Done;
            }
        }
    }
    let ulen = c.saved[0] as u32 as i32;
    let rlen = c.mem.read_i32(c.arg(4));
    match rlen {
        Some(rlen) if !c.failed() => {
            print_get(c, c.arg(3), ulen, rlen);
            c.sep();
            if ulen != rlen {
                c.push(&format!("[{ulen} => {rlen}]"));
            } else {
                c.push(&format!("[{rlen}]"));
            }
        }
        _ => {
            c.p_ptr(3);
            c.sep();
            c.push(&format!("[{ulen}]"));
        }
    }
    Step::Done
}
