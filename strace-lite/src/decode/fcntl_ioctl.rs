//! fcntl (commands, fd flags, file status flags, locks) and ioctl (the common tty and
//! socket requests by name; others as `_IOC(...)`-free hex like strace's fallback).

use super::file::open_flags;
use super::{Call, Decoder, RetStyle, Step};
use crate::format;
use crate::uapi::xlat::fcntl_ioctl::{
    FCNTL_CMDS, FD_FLAGS, F_OWNER_TYPES, F_SEALS, IOCTL_REQUESTS, LOCK_TYPES, NOTIFY_FLAGS,
    SEEK_WHENCE, TERM_CFLAGS, TERM_IFLAGS, TERM_LFLAGS, TERM_OFLAGS,
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
            0x5402..=0x5404 => {
                c.sep();
                print_termios(c, c.arg(2));
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
        0x5401 => print_termios(c, addr),
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

/// Output delay fields: (mask, names by value).
const TERM_DELAYS: [(u32, &[(u32, &str)]); 6] = [
    (0o400, &[(0, "NL0"), (0o400, "NL1")]),
    (
        0o3000,
        &[
            (0, "CR0"),
            (0o1000, "CR1"),
            (0o2000, "CR2"),
            (0o3000, "CR3"),
        ],
    ),
    (
        0o14000,
        &[
            (0, "TAB0"),
            (0o4000, "TAB1"),
            (0o10000, "TAB2"),
            (0o14000, "TAB3"),
        ],
    ),
    (0o20000, &[(0, "BS0"), (0o20000, "BS1")]),
    (0o40000, &[(0, "VT0"), (0o40000, "VT1")]),
    (0o100000, &[(0, "FF0"), (0o100000, "FF1")]),
];

const BAUD_RATES: &[(u32, &str)] = &[
    (0, "B0"),
    (1, "B50"),
    (2, "B75"),
    (3, "B110"),
    (4, "B134"),
    (5, "B150"),
    (6, "B200"),
    (7, "B300"),
    (8, "B600"),
    (9, "B1200"),
    (10, "B1800"),
    (11, "B2400"),
    (12, "B4800"),
    (13, "B9600"),
    (14, "B19200"),
    (15, "B38400"),
    (0o10000, "BOTHER"),
    (0o10001, "B57600"),
    (0o10002, "B115200"),
    (0o10003, "B230400"),
    (0o10004, "B460800"),
    (0o10005, "B500000"),
    (0o10006, "B576000"),
    (0o10007, "B921600"),
    (0o10010, "B1000000"),
    (0o10011, "B1152000"),
    (0o10012, "B1500000"),
    (0o10013, "B2000000"),
    (0o10014, "B2500000"),
    (0o10015, "B3000000"),
    (0o10016, "B3500000"),
    (0o10017, "B4000000"),
];

const CONTROL_CHARS: [&str; 17] = [
    "VINTR", "VQUIT", "VERASE", "VKILL", "VEOF", "VTIME", "VMIN", "VSWTC", "VSTART", "VSTOP",
    "VSUSP", "VEOL", "VREPRINT", "VDISCARD", "VWERASE", "VLNEXT", "VEOL2",
];

fn name_of(table: &[(u32, &'static str)], value: u32) -> String {
    table
        .iter()
        .find(|(v, _)| *v == value)
        .map_or_else(|| format!("{value:#o}"), |(_, n)| n.to_string())
}

/// `c_oflag`: the delay fields (`NL0|CR0|...|`), then the flags (strace prints nothing
/// after the last `|` when no flag is set).
fn oflag_text(v: u32) -> String {
    let mut s = String::new();
    for (mask, names) in TERM_DELAYS {
        s.push_str(&name_of(names, v & mask));
        s.push('|');
    }
    let delays: u32 = TERM_DELAYS.iter().map(|(m, _)| m).sum();
    s.push_str(&format::flag_names(u64::from(v & !delays), TERM_OFLAGS, ""));
    s
}

/// `c_cflag`: baud rate, input baud (`<<IBSHIFT`), character size, then the flags.
fn cflag_text(v: u32) -> String {
    let mut s = name_of(BAUD_RATES, v & 0o10017);
    s.push('|');
    let ibaud = (v >> 16) & 0o10017;
    if ibaud != 0 {
        s.push_str(&format!("{}<<IBSHIFT|", name_of(BAUD_RATES, ibaud)));
    }
    s.push_str(["CS5", "CS6", "CS7", "CS8"][((v & 0o60) >> 4) as usize]);
    s.push('|');
    let rest = v & !(0o10017 | (0o10017 << 16) | 0o60);
    s.push_str(&format::flag_names(u64::from(rest), TERM_CFLAGS, ""));
    s
}

/// `{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|...|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD, c_lflag=..., ...}`.
fn print_termios(c: &mut Call, addr: u64) {
    let Some(b) = c.mem.read_value::<[u8; 36]>(addr) else {
        return c.p_addr(addr);
    };
    let word = |i: usize| u32::from_ne_bytes([b[i * 4], b[i * 4 + 1], b[i * 4 + 2], b[i * 4 + 3]]);
    let mut s = format!(
        "{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}",
        format::flag_names(u64::from(word(0)), TERM_IFLAGS, ""),
        oflag_text(word(1)),
        cflag_text(word(2)),
        format::flag_names(u64::from(word(3)), TERM_LFLAGS, ""),
    );
    if c.opts.verbose {
        let line = if b[16] == 0 {
            "N_TTY".to_string()
        } else {
            b[16].to_string()
        };
        let cc: Vec<String> = b[17..36]
            .iter()
            .enumerate()
            .map(|(i, v)| match CONTROL_CHARS.get(i) {
                Some(name) => format!("[{name}]={}", format::hex(u64::from(*v))),
                None => format!("[{i}]={}", format::hex(u64::from(*v))),
            })
            .collect();
        s.push_str(&format!(", c_line={line}, c_cc=[{}]}}", cc.join(", ")));
    } else {
        s.push_str(", ...}");
    }
    c.push(&s);
}
