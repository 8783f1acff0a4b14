//! Readiness: epoll_create/create1/ctl/wait/pwait, poll/ppoll, select/pselect6.

use super::array::array_text;
use super::signal::print_sigset_at;
use super::time::{timespec_text, timeval_text};
use super::{Call, Decoder, RetStyle, Step};
use crate::format;
use crate::uapi::xlat::poll::{EPOLL_EVENTS, POLL_EVENTS};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "epoll_create" => epoll_create,
        "epoll_create1" => epoll_create1,
        "epoll_ctl" => epoll_ctl,
        "epoll_wait" | "epoll_pwait" | "epoll_pwait2" => epoll_wait,
        "poll" | "ppoll" => poll,
        "select" | "pselect6" => select,
        _ => return None,
    })
}

fn epoll_create(c: &mut Call) -> Step {
    c.p_int(0);
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn epoll_create1(c: &mut Call) -> Step {
    c.int_args(&[0]);
    c.p_flags(0, &[(0o2000000, "EPOLL_CLOEXEC")], "0");
    c.ret_style = RetStyle::Fd;
    Step::Done
}

/// `{events=EPOLLIN, data={u32=3, u64=3}}` for the packed 12-byte x86_64 epoll_event.
fn epoll_event_text(c: &Call, raw: &[u8]) -> String {
    let events = u32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]]);
    let mut data = [0u8; 8];
    data.copy_from_slice(&raw[4..12]);
    let data = u64::from_ne_bytes(data);
    format!(
        "{{events={}, data={{u32={}, u64={}}}}}",
        format::flags(u64::from(events), EPOLL_EVENTS, "0", c.style()),
        data as u32,
        data
    )
}

fn epoll_ctl(c: &mut Call) -> Step {
    c.int_args(&[0, 1, 2]);
    c.p_fd(0);
    c.sep();
    c.p_xlat(
        1,
        &[
            (1, "EPOLL_CTL_ADD"),
            (2, "EPOLL_CTL_DEL"),
            (3, "EPOLL_CTL_MOD"),
        ],
        "EPOLL_CTL_???",
    );
    c.sep();
    c.p_fd(2);
    c.sep();
    let addr = c.arg(3);
    // EPOLL_CTL_DEL ignores the event: strace prints its address.
    if addr == 0 || c.arg(1) == 2 {
        c.p_ptr(3);
    } else {
        match c.mem.read_struct(addr, 12) {
            Some(raw) => {
                let t = epoll_event_text(c, &raw);
                c.push(&t);
            }
            None => c.p_addr(addr),
        }
    }
    Step::Done
}

/// epoll_pwait's and epoll_pwait2's signal mask, printed at exit: only its address when
/// the call failed, as strace's umoven_or_printaddr does then.
fn exit_sigset(c: &mut Call) {
    if c.failed() {
        c.p_ptr(4);
    } else {
        print_sigset_at(c, c.arg(4), c.arg(5));
    }
}

fn epoll_wait(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(1);
    } else {
        // strace's print_array, element by element: the return value is a count of
        // events, not a size to read at once (a forged one overflowed `n * 12`).
        let t = array_text(c, c.arg(1), c.rval as u64, 12, epoll_event_text);
        c.push(&t);
    }
    c.sep();
    c.p_int(2);
    c.sep();
    match c.nr {
        281 => {
            c.p_int(3);
            c.sep();
            exit_sigset(c);
            c.sep();
            c.p_ulong(5);
        }
        441 => {
            // Printed at exit, where strace's umove_or_printaddr gives only the address
            // of what a failed call was passed.
            if c.failed() {
                c.p_ptr(3);
            } else {
                let t = timespec_text(c, c.arg(3));
                c.push(&t);
            }
            c.sep();
            exit_sigset(c);
            c.sep();
            c.p_ulong(5);
        }
        _ => c.p_int(3),
    }
    Step::Done
}

/// One `struct pollfd` at entry: `{fd=3, events=POLLIN}`; strace leaves `events` out for a
/// negative fd, which the kernel skips.
fn pollfd_text(c: &Call, p: &[u8]) -> String {
    let fd = i32::from_ne_bytes([p[0], p[1], p[2], p[3]]);
    let fd_text = crate::fdinfo::describe_fd(c.pid, fd, c.opts.decode_fds, c.opts.hex);
    if fd < 0 {
        return format!("{{fd={fd_text}}}");
    }
    let events = u16::from_ne_bytes([p[4], p[5]]);
    format!(
        "{{fd={fd_text}, events={}}}",
        format::flags(u64::from(events), POLL_EVENTS, "0", c.style())
    )
}

/// What strace prints after the return value of a successful poll/ppoll that did not time
/// out (its `decode_poll_exiting`): the pollfds with `revents` set, `...` past `-s` of
/// them, the address of one it cannot read, and ppoll's time `left`. None when there is
/// nothing to print, or when `-e verbose=` leaves the call out.
fn poll_exit_note(c: &Call, left: u64) -> Option<String> {
    const OUTSTR: usize = 1024;
    if !c.mem.reads_structs() {
        return None;
    }
    let start = c.arg(0);
    let nfds = u64::from(c.uint(1));
    let mut out = String::new();
    let size = nfds * 8;
    if start != 0 && nfds != 0 && start.checked_add(size).is_some() {
        let max_printed = if c.opts.verbose {
            u64::MAX
        } else {
            c.opts.string_limit as u64
        };
        let mut printed = 0;
        let mut cur = start;
        while cur < start + size {
            let open = |out: &mut String| {
                out.push_str(if out.is_empty() { "[" } else { ", " });
            };
            let Some(p) = c.mem.read_struct(cur, 8) else {
                open(&mut out);
                out.push_str(&format!("{cur:#x}"));
                break;
            };
            cur += 8;
            let rev = u16::from_ne_bytes([p[6], p[7]]);
            if rev == 0 {
                continue;
            }
            open(&mut out);
            if printed >= max_printed {
                out.push_str("...");
                break;
            }
            let fd = i32::from_ne_bytes([p[0], p[1], p[2], p[3]]);
            let fd_text = format!("{{fd={fd}, revents=");
            let flags = format::flag_names_plain(u64::from(rev), POLL_EVENTS, "0");
            // strace builds this in a 1024-byte buffer and cuts it short with `...`.
            if out.len() + fd_text.len() + flags.len() + 1 >= OUTSTR - (2 + 16 + 9) {
                out.push_str("...");
                break;
            }
            out.push_str(&format!("{fd_text}{flags}}}"));
            printed += 1;
        }
        if !out.is_empty() {
            out.push(']');
        }
    }
    if left != 0 {
        let t = timespec_text(c, left);
        if out.len() + 8 + t.len() < OUTSTR {
            out.push_str(if out.is_empty() { "left " } else { ", left " });
            out.push_str(&t);
        } else {
            out.push_str(", ...");
        }
    }
    (!out.is_empty()).then(|| format!("({out})"))
}

fn poll(c: &mut Call) -> Step {
    let is_ppoll = c.nr == 271;
    if !c.exiting {
        let t = array_text(c, c.arg(0), u64::from(c.uint(1)), 8, pollfd_text);
        c.push(&t);
        c.sep();
        c.p_uint_arg(1);
        c.sep();
        if is_ppoll {
            let t = timespec_text(c, c.arg(2));
            c.push(&t);
            c.sep();
            print_sigset_at(c, c.arg(3), c.arg(4));
            c.sep();
            c.p_ulong(4);
        } else {
            c.p_int(2);
        }
        return Step::AtExit;
    }
    if c.failed() {
        return Step::Done;
    }
    if c.rval == 0 {
        c.ret_note = Some("(Timeout)".to_string());
    } else {
        c.ret_note = poll_exit_note(c, if is_ppoll { c.arg(2) } else { 0 });
    }
    Step::Done
}

/// An fd_set of `nfds` bits as `[3 4]`. `decorate`: at entry, with `-y`'s paths, and
/// only when `-e verbose=` includes the call; the exit's note reads the sets regardless,
/// as strace does.
fn fd_set_text(c: &Call, addr: u64, nfds: i32, decorate: bool) -> Option<String> {
    if addr == 0 {
        return Some("NULL".to_string());
    }
    if nfds < 0 {
        return None;
    }
    let n = nfds.min(1024) as usize;
    let words = n.div_ceil(64);
    let bytes = if decorate {
        c.mem.read_struct(addr, words * 8)?
    } else {
        c.mem.read(addr, words * 8)?
    };
    let bits: Vec<u64> = bytes
        .chunks_exact(8)
        .map(|w| u64::from_ne_bytes(w.try_into().expect("8 bytes")))
        .collect();
    let mut fds = Vec::new();
    for fd in 0..n {
        if bits[fd / 64] & (1u64 << (fd % 64)) != 0 {
            let level = if decorate { c.opts.decode_fds } else { 0 };
            fds.push(crate::fdinfo::describe_fd(
                c.pid, fd as i32, level, c.opts.hex,
            ));
        }
    }
    Some(format!("[{}]", fds.join(" ")))
}

fn select(c: &mut Call) -> Step {
    let nfds = c.int(0);
    let is_pselect = c.nr == 270;
    if !c.exiting {
        c.p_int(0);
        for i in 1..4 {
            c.sep();
            match fd_set_text(c, c.arg(i), nfds, true) {
                Some(t) => c.push(&t),
                None => c.p_ptr(i),
            }
        }
        c.sep();
        if is_pselect {
            let t = timespec_text(c, c.arg(4));
            c.push(&t);
            c.sep();
            let sig = c.arg(5);
            if sig == 0 {
                c.push("NULL");
            } else if let Some([set, size]) = c.mem.read_value::<[u64; 2]>(sig) {
                c.push("{sigmask=");
                print_sigset_at(c, set, size);
                c.push(&format!(", sigsetsize={size}}}"));
            } else {
                c.p_addr(sig);
            }
        } else {
            let t = timeval_text(c, c.arg(4));
            c.push(&t);
        }
        return Step::AtExit;
    }
    if c.failed() {
        return Step::Done;
    }
    if c.rval == 0 {
        c.ret_note = Some("(Timeout)".to_string());
        return Step::Done;
    }
    let mut parts = Vec::new();
    for (i, label) in [(1, "in"), (2, "out"), (3, "except")] {
        if c.arg(i) == 0 {
            continue;
        }
        if let Some(t) = fd_set_text(c, c.arg(i), nfds, false) {
            if t != "[]" {
                parts.push(format!("{label} {t}"));
            }
        }
    }
    if c.arg(4) != 0 {
        let left = if is_pselect {
            timespec_text(c, c.arg(4))
        } else {
            timeval_text(c, c.arg(4))
        };
        parts.push(format!("left {left}"));
    }
    c.ret_note = Some(format!("({})", parts.join(", ")));
    Step::Done
}
