//! Terminal ioctl arguments, as strace's term.c prints them: `struct termios` (TCGETS,
//! TCSETS*, TIOC[GS]LCKTRMIOS), `struct termios2` (TCGETS2, TCSETS*2), the old `struct
//! termio` (TCGETA, TCSETA*) and `struct winsize`. The flags are printed without `-X`
//! styling, the rest after the four flag words only under `-v`.

use super::Call;
use crate::format;
use crate::uapi::xlat::fcntl_ioctl::{
    TERM_CFLAGS, TERM_IFLAGS, TERM_LFLAGS, TERM_LINE_DISCS, TERM_OFLAGS,
};

/// Which terminal structure an ioctl reads or fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TermStruct {
    /// The kernel's `struct termios`: four `u32` flag words, `c_line`, 19 `c_cc`.
    Termios,
    /// `struct termios` and then `c_ispeed`, `c_ospeed`.
    Termios2,
    /// `struct termio`: four `u16` flag words, `c_line`, 8 `c_cc`.
    Termio,
}

impl TermStruct {
    /// The size strace reads (the C struct's, with its padding).
    fn size(self) -> usize {
        match self {
            TermStruct::Termios => 36,
            TermStruct::Termios2 => 44,
            TermStruct::Termio => 18,
        }
    }
}

/// Output delay fields: (mask, names by value). On x86 `XTABS` is `TAB3` and comes first
/// in strace's table, so strace prints `XTABS` for it.
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
            (0o14000, "XTABS"),
            (0, "TAB0"),
            (0o4000, "TAB1"),
            (0o10000, "TAB2"),
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

/// A flag word (strace's printflags64 without a default: unknown bits in hex, no comment).
fn flags_text(v: u32, table: &format::Xlat) -> String {
    format::flag_names_plain(u64::from(v), table, "")
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
    s.push_str(&flags_text(v & !delays, TERM_OFLAGS));
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
    s.push_str(&flags_text(rest, TERM_CFLAGS));
    s
}

/// `{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|...|OPOST|ONLCR, c_cflag=B38400|CS8|CREAD,
/// c_lflag=..., ...}`; under `-v` the line discipline, the control characters and (for
/// termios2) the speeds in place of `...`. The address when it cannot be read.
pub(crate) fn print_term_struct(c: &mut Call, addr: u64, kind: TermStruct) {
    let Some(b) = c.mem.read_struct(addr, kind.size()) else {
        return c.p_addr(addr);
    };
    let u32_at = |i: usize| u32::from_ne_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let (words, line_at, ncc) = match kind {
        TermStruct::Termio => {
            let u16_at = |i: usize| u32::from(u16::from_ne_bytes([b[i], b[i + 1]]));
            ([u16_at(0), u16_at(2), u16_at(4), u16_at(6)], 8, 8)
        }
        TermStruct::Termios | TermStruct::Termios2 => {
            ([u32_at(0), u32_at(4), u32_at(8), u32_at(12)], 16, 19)
        }
    };
    let mut s = format!(
        "{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}",
        flags_text(words[0], TERM_IFLAGS),
        oflag_text(words[1]),
        cflag_text(words[2]),
        flags_text(words[3], TERM_LFLAGS),
    );
    if c.opts.verbose {
        let line = format::xlat(u64::from(b[line_at]), TERM_LINE_DISCS, "N_???", c.style());
        let cc: Vec<String> = b[line_at + 1..line_at + 1 + ncc]
            .iter()
            .enumerate()
            .map(|(i, v)| match CONTROL_CHARS.get(i) {
                Some(name) => format!("[{name}]={}", format::hex(u64::from(*v))),
                None => format!("[{i}]={}", format::hex(u64::from(*v))),
            })
            .collect();
        s.push_str(&format!(", c_line={line}, c_cc=[{}]", cc.join(", ")));
        if kind == TermStruct::Termios2 {
            s.push_str(&format!(
                ", c_ispeed={}, c_ospeed={}",
                u32_at(36),
                u32_at(40)
            ));
        }
        s.push('}');
    } else {
        s.push_str(", ...}");
    }
    c.push(&s);
}

/// `{ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}`.
pub(crate) fn print_winsize(c: &mut Call, addr: u64) {
    match c.mem.read_value::<[u16; 4]>(addr) {
        Some([row, col, x, y]) => c.push(&format!(
            "{{ws_row={row}, ws_col={col}, ws_xpixel={x}, ws_ypixel={y}}}"
        )),
        None => c.p_addr(addr),
    }
}
