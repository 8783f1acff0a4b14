//! fcntl (commands, fd flags, file status flags, locks) and ioctl (the common tty and
//! socket requests by name; others as `_IOC(...)`-free hex like strace's fallback).

use super::file::open_flags;
use super::term::{print_term_struct, print_winsize, TermStruct};
use super::{Call, Decoder, RetStyle, Step};
use crate::format;
use crate::uapi::xlat::fcntl_ioctl::{
    FCNTL_CMDS, FD_FLAGS, F_OWNER_TYPES, F_SEALS, IOCTL_REQUESTS, LOCK_TYPES, NOTIFY_FLAGS,
    SEEK_WHENCE,
};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "fcntl" => fcntl,
        "ioctl" => ioctl,
        "flock" => flock,
        _ => return None,
    })
}

/// strace's `print_fcntl`: the argument by command, at entry for those the kernel reads
/// and at exit for those it fills (F_GETLK, F_GETOWN_EX); the results of F_GETFD,
/// F_GETFL, F_GETLEASE, F_GET_SEALS and F_GETSIG explained after the return value.
fn fcntl(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    let cmd = c.arg(1);
    if matches!(cmd, 2 | 4) {
        // F_SETFD and F_SETFL take an int; strace prints F_DUPFD's and F_SETOWN's
        // argument as the whole long the register holds.
        c.int_args(&[2]);
    }
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        c.p_xlat(1, FCNTL_CMDS, "F_???");
        match cmd {
            // F_DUPFD, F_DUPFD_CLOEXEC
            0 | 1030 => {
                c.sep();
                c.p_long(2);
                c.ret_style = RetStyle::Fd;
            }
            // F_SETFD
            2 => {
                c.sep();
                c.p_flags(2, FD_FLAGS, "0");
            }
            // F_SETFL
            4 => {
                c.sep();
                let t = open_flags(c.arg(2), c.style());
                c.push(&t);
            }
            // F_GETLK, F_OFD_GETLK, F_GETOWN_EX: filled by the kernel.
            5 | 36 | 16 => {
                c.sep();
                return Step::AtExit;
            }
            // F_SETLK(W), F_OFD_SETLK(W)
            6 | 7 | 37 | 38 => {
                c.sep();
                print_flock(c, c.arg(2), false);
            }
            // F_SETOWN (a pid, an int), F_SETPIPE_SZ (the whole long)
            8 => {
                c.sep();
                c.p_int(2);
            }
            1031 => {
                c.sep();
                c.p_long(2);
            }
            // F_SETSIG: strace's printsignal.
            10 => {
                c.sep();
                super::process::signal_arg(c, 2);
            }
            // F_SETOWN_EX
            15 => {
                c.sep();
                print_f_owner_ex(c, c.arg(2));
            }
            // F_SETLEASE, F_NOTIFY, F_ADD_SEALS: the whole register.
            1024 => {
                c.sep();
                c.p_xlat(2, LOCK_TYPES, "F_???");
            }
            1026 => {
                c.sep();
                c.p_flags(2, NOTIFY_FLAGS, "0");
            }
            1033 => {
                c.sep();
                let t = format::flag_names_or(c.arg(2), F_SEALS, "0", "F_SEAL_???");
                let t = format::styled(&format::hex(c.arg(2)), &t, c.style());
                c.push(&t);
            }
            // F_GETFD, F_GETFL, F_GETOWN, F_GETSIG, F_GETLEASE, F_GETPIPE_SZ, F_GET_SEALS
            1 | 3 | 9 | 11 | 1025 | 1032 | 1034 => {}
            _ => {
                c.sep();
                c.p_hex(2);
            }
        }
        return if matches!(cmd, 1 | 3 | 11 | 1025 | 1034) {
            Step::AtExit
        } else {
            Step::Done
        };
    }
    match cmd {
        1 if !c.failed() && c.rval != 0 => {
            c.ret_style = RetStyle::Hex;
            c.ret_note = Some(format!(
                "(flags {})",
                format::flags(c.rval as u64, FD_FLAGS, "0", c.style())
            ));
        }
        3 if !c.failed() => {
            c.ret_style = RetStyle::Hex;
            c.ret_note = Some(format!(
                "(flags {})",
                open_flags(c.rval as u64, crate::cli::XlatStyle::Abbrev)
            ));
        }
        // F_GETSIG: the signal's name after the number.
        11 if !c.failed() && c.rval != 0 => {
            let sig = c.rval as i32;
            if (1..=crate::signals::MAX_SIGNAL).contains(&sig) {
                c.ret_note = Some(format!("({})", crate::signals::name(sig)));
            }
        }
        // F_GETLEASE: the lock type, the result in hex.
        1025 if !c.failed() => {
            c.ret_style = RetStyle::Hex;
            if let Some((_, n)) = LOCK_TYPES.iter().find(|(v, _)| *v == c.rval as u64) {
                c.ret_note = Some(format!("({n})"));
            }
        }
        // F_GET_SEALS: `0x3 (seals F_SEAL_SEAL|F_SEAL_SHRINK)`.
        1034 if !c.failed() && c.rval != 0 => {
            c.ret_style = RetStyle::Hex;
            c.ret_note = Some(format!(
                "(seals {})",
                format::flag_names_plain(c.rval as u64, F_SEALS, "0")
            ));
        }
        5 | 36 => {
            c.p_out(2, |c, addr| print_flock(c, addr, true));
        }
        16 => print_f_owner_ex(c, c.arg(2)),
        _ => {}
    }
    Step::Done
}

/// `{type=F_OWNER_TID, pid=1234}`, or the address (strace's umove_or_printaddr: also when
/// the call failed, at exit).
fn print_f_owner_ex(c: &mut Call, addr: u64) {
    let read = if c.exiting && c.failed() {
        None
    } else {
        c.mem.read_value::<[i32; 2]>(addr)
    };
    let Some([kind, pid]) = read else {
        return c.p_addr(addr);
    };
    let t = format::xlat(kind as u32 as u64, F_OWNER_TYPES, "F_OWNER_???", c.style());
    c.push(&format!("{{type={t}, pid={pid}}}"));
}

/// `struct flock`; `l_pid` only for the F_GETLK family (`getlk`): the kernel reads it for
/// none of the others, and strace leaves it out there.
fn print_flock(c: &mut Call, addr: u64, getlk: bool) {
    // struct flock { short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid; }
    let Some(b) = c.mem.read_value::<[u64; 4]>(addr) else {
        return c.p_addr(addr);
    };
    let style = c.style();
    let mut text = format!(
        "{{l_type={}, l_whence={}, l_start={}, l_len={}",
        format::xlat(b[0] & 0xffff, LOCK_TYPES, "F_???", style),
        format::xlat((b[0] >> 16) & 0xffff, SEEK_WHENCE, "SEEK_???", style),
        b[1] as i64,
        b[2] as i64,
    );
    if getlk {
        text.push_str(&format!(", l_pid={}", b[3] as u32 as i32));
    }
    text.push('}');
    c.push(&text);
}

fn flock(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    c.p_fd(0);
    c.sep();
    c.p_flags(
        1,
        &[
            (1, "LOCK_SH"),
            (2, "LOCK_EX"),
            (4, "LOCK_NB"),
            (8, "LOCK_UN"),
        ],
        "0",
    );
    Step::Done
}

fn ioctl(c: &mut Call) -> Step {
    let req = c.arg(1) & 0xffff_ffff;
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        let name = IOCTL_REQUESTS
            .iter()
            .find(|(v, _)| *v == req)
            .map(|(_, n)| *n);
        match name {
            Some(n) => {
                let t = format::styled(&format::hex(req), n, c.style());
                c.push(&t);
            }
            None => {
                let t = format::styled(&format::hex(req), &ioc_text(req), c.style());
                c.push(&t);
            }
        }
        match req {
            // Requests without an argument.
            0x540E | 0x5422 | 0x5450 | 0x5451 => return Step::Done,
            // Requests whose argument is written by the kernel.
            0x5401 | 0x5405 | 0x5456 | 0x802c542a | 0x540F | 0x5413 | 0x541B | 0x5429
            | 0x80045430 => {
                c.sep();
                return Step::AtExit;
            }
            0x5421 | 0x5452 | 0x5410 | 0x40045431 => {
                c.sep();
                c.p_int_ref(c.arg(2));
            }
            0x5414 => {
                c.sep();
                print_winsize(c, c.arg(2));
            }
            0x5402..=0x5404 | 0x5457 => {
                c.sep();
                print_term_struct(c, c.arg(2), TermStruct::Termios);
            }
            0x5406..=0x5408 => {
                c.sep();
                print_term_struct(c, c.arg(2), TermStruct::Termio);
            }
            0x402c542b..=0x402c542d => {
                c.sep();
                print_term_struct(c, c.arg(2), TermStruct::Termios2);
            }
            0x5409..=0x540B => {
                c.sep();
                c.p_ulong(2);
            }
            _ => {
                c.sep();
                c.p_hex(2);
            }
        }
        return Step::Done;
    }
    let addr = c.arg(2);
    if c.failed() {
        c.p_ptr(2);
        return Step::Done;
    }
    match req {
        0x5413 => print_winsize(c, addr),
        0x5401 | 0x5456 => print_term_struct(c, addr, TermStruct::Termios),
        0x5405 => print_term_struct(c, addr, TermStruct::Termio),
        0x802c542a => print_term_struct(c, addr, TermStruct::Termios2),
        0x540F | 0x541B | 0x5429 | 0x80045430 => c.p_int_ref(addr),
        _ => c.p_ptr(2),
    }
    Step::Done
}

/// strace's `_IOC(dir, type, nr, size)` spelling of an unknown request.
fn ioc_text(req: u64) -> String {
    let dir = match (req >> 30) & 3 {
        0 => "_IOC_NONE",
        1 => "_IOC_WRITE",
        2 => "_IOC_READ",
        _ => "_IOC_READ|_IOC_WRITE",
    };
    format!(
        "_IOC({dir}, {}, {}, {})",
        format::hex((req >> 8) & 0xff),
        format::hex(req & 0xff),
        format::hex((req >> 16) & 0x3fff)
    )
}
