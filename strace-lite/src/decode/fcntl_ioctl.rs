//! fcntl (commands, fd flags, file status flags, locks) and ioctl (the common tty and
//! socket requests by name; others as `_IOC(...)`-free hex like strace's fallback).

use super::file::open_flags;
use super::{Call, Decoder, RetStyle, Step};
use crate::format::{self, Xlat};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "fcntl" => fcntl,
        "ioctl" => ioctl,
        "flock" => flock,
        _ => return None,
    })
}

const FCNTL_CMDS: &Xlat = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
];

const FD_FLAGS: &Xlat = &[(1, "FD_CLOEXEC")];

fn fcntl(c: &mut Call) -> Step {
    let cmd = c.arg(1);
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        c.p_xlat(1, FCNTL_CMDS, "F_???");
        match cmd {
            0 | 1030 => {
                c.sep();
                c.p_int(2);
                c.ret_style = RetStyle::Fd;
            }
            2 => {
                c.sep();
                c.p_flags(2, FD_FLAGS, "0");
            }
            4 => {
                c.sep();
                let t = open_flags(c.arg(2), c.style());
                c.push(&t);
            }
            5 | 36 => {
                c.sep();
                return Step::AtExit;
            }
            6 | 7 | 37 | 38 => {
                c.sep();
                print_flock(c, c.arg(2));
            }
            8 | 10 | 1024 | 1026 | 1031 | 1033 => {
                c.sep();
                c.p_long(2);
            }
            1 | 3 | 9 | 11 | 1025 | 1032 | 1034 => {}
            _ => {
                c.sep();
                c.p_hex(2);
            }
        }
        return if matches!(cmd, 1 | 3) {
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
        5 | 36 => {
            if c.failed() {
                c.p_ptr(2);
            } else {
                print_flock(c, c.arg(2));
            }
        }
        _ => {}
    }
    Step::Done
}

const LOCK_TYPES: &Xlat = &[(0, "F_RDLCK"), (1, "F_WRLCK"), (2, "F_UNLCK")];
const SEEK_WHENCE: &Xlat = &[(0, "SEEK_SET"), (1, "SEEK_CUR"), (2, "SEEK_END")];

fn print_flock(c: &mut Call, addr: u64) {
    // struct flock { short l_type; short l_whence; off_t l_start; off_t l_len; pid_t l_pid; }
    let Some(b) = c.mem.read_value::<[u64; 4]>(addr) else {
        return c.p_addr(addr);
    };
    let style = c.style();
    let text = format!(
        "{{l_type={}, l_whence={}, l_start={}, l_len={}, l_pid={}}}",
        format::xlat(b[0] & 0xffff, LOCK_TYPES, "F_???", style),
        format::xlat((b[0] >> 16) & 0xffff, SEEK_WHENCE, "SEEK_???", style),
        b[1] as i64,
        b[2] as i64,
        b[3] as u32 as i32
    );
    c.push(&text);
}

fn flock(c: &mut Call) -> Step {
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

const IOCTL_REQUESTS: &Xlat = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x5404, "TCSETSF"),
    (0x5409, "TCSBRK"),
    (0x540A, "TCXONC"),
    (0x540B, "TCFLSH"),
    (0x540E, "TIOCSCTTY"),
    (0x540F, "TIOCGPGRP"),
    (0x5410, "TIOCSPGRP"),
    (0x5413, "TIOCGWINSZ"),
    (0x5414, "TIOCSWINSZ"),
    (0x541B, "FIONREAD"),
    (0x5421, "FIONBIO"),
    (0x5422, "TIOCNOTTY"),
    (0x5429, "TIOCGSID"),
    (0x80045430, "TIOCGPTN"),
    (0x40045431, "TIOCSPTLCK"),
    (0x5450, "FIONCLEX"),
    (0x5451, "FIOCLEX"),
    (0x5452, "FIOASYNC"),
    (0x8912, "SIOCGIFCONF"),
    (0x8933, "SIOCGIFINDEX"),
    (0x8915, "SIOCGIFADDR"),
];

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
            None => c.push(&ioc_text(req)),
        }
        match req {
            // Requests without an argument.
            0x540E | 0x5422 | 0x5450 | 0x5451 => return Step::Done,
            // Requests whose argument is written by the kernel.
            0x5401 | 0x540F | 0x5413 | 0x541B | 0x5429 | 0x80045430 => {
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
        0x540F | 0x541B | 0x5429 | 0x80045430 => c.p_int_ref(addr),
        _ => c.p_ptr(2),
    }
    Step::Done
}

fn print_winsize(c: &mut Call, addr: u64) {
    match c.mem.read_value::<[u16; 4]>(addr) {
        Some([row, col, x, y]) => c.push(&format!(
            "{{ws_row={row}, ws_col={col}, ws_xpixel={x}, ws_ypixel={y}}}"
        )),
        None => c.p_addr(addr),
    }
}

/// strace's `_IOC(dir, type, nr, size)` spelling of an unknown request.
fn ioc_text(req: u64) -> String {
    let dir = (req >> 30) & 3;
    let size = (req >> 16) & 0x3fff;
    let ty = (req >> 8) & 0xff;
    let nr = req & 0xff;
    if dir == 0 && size == 0 {
        return format!("{req:#x}");
    }
    let dir_text = match dir {
        0 => "_IOC_NONE",
        1 => "_IOC_WRITE",
        2 => "_IOC_READ",
        _ => "_IOC_READ|_IOC_WRITE",
    };
    format!("_IOC({dir_text}, {ty:#x}, {nr:#x}, {size:#x})")
}
