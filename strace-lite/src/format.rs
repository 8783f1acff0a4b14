//! Text building blocks shared by every decoder: strace's string quoting, symbolic
//! constants and flag sets (`A|B|0x10`), and errno names.

use crate::cli::XlatStyle;

/// A table of named constants, in the order strace prints them.
pub type Xlat = [(u64, &'static str)];

/// Quote `bytes` as strace does: `"..."` with C escapes; with `hex` = 1, the whole
/// string in `\xNN` when it holds a non-printable byte; with 2, always in hex.
/// `stop_at_nul` ends the string at the first NUL (for C strings).
pub fn quote(bytes: &[u8], hex: u8) -> String {
    let use_hex = match hex {
        0 => false,
        1 => bytes
            .iter()
            .any(|&c| c > 0x7e || (c < b' ' && !(9..=13).contains(&c))),
        _ => true,
    };
    // Built from tables into one buffer sized for the worst case (four bytes out per byte
    // in): an output-heavy trace (-s 256 of binary data) spends most of the tracer's own
    // time here.
    let mut s = vec![0u8; bytes.len() * 4 + 2];
    s[0] = b'"';
    let mut n = 1;
    for (i, &c) in bytes.iter().enumerate() {
        let (len, esc) = if use_hex {
            HEX_ESCAPES[usize::from(c)]
        } else {
            let (len, esc) = ESCAPES[usize::from(c)];
            // A short octal escape followed by an octal digit would read as a longer one.
            let octal_follows = bytes.get(i + 1).is_some_and(|d| (b'0'..=b'7').contains(d));
            if len > 1 && esc[1].is_ascii_digit() && octal_follows {
                LONG_OCTAL[usize::from(c)]
            } else {
                (len, esc)
            }
        };
        s[n..n + 4].copy_from_slice(&esc);
        n += usize::from(len);
    }
    s[n] = b'"';
    s.truncate(n + 1);
    // Only ASCII was written.
    String::from_utf8(s).unwrap_or_default()
}

/// One byte inside quotes: its length and bytes (padded to four).
type Escape = (u8, [u8; 4]);

const fn octal_escape(c: u8, digits: usize) -> Escape {
    let all = [b'0' + (c >> 6), b'0' + ((c >> 3) & 7), b'0' + (c & 7)];
    let mut out = [b'\\', 0, 0, 0];
    let mut k = 0;
    while k < digits {
        out[1 + k] = all[3 - digits + k];
        k += 1;
    }
    (1 + digits as u8, out)
}

/// strace's escape of each byte: C escapes, printable ASCII as is, the rest in the
/// shortest octal.
const ESCAPES: [Escape; 256] = {
    let mut t = [(0u8, [0u8; 4]); 256];
    let mut c = 0usize;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'"' => (2, [b'\\', b'"', 0, 0]),
            b'\\' => (2, [b'\\', b'\\', 0, 0]),
            b'\x0c' => (2, [b'\\', b'f', 0, 0]),
            b'\n' => (2, [b'\\', b'n', 0, 0]),
            b'\r' => (2, [b'\\', b'r', 0, 0]),
            b'\t' => (2, [b'\\', b't', 0, 0]),
            b'\x0b' => (2, [b'\\', b'v', 0, 0]),
            0x20..=0x7e => (1, [b, 0, 0, 0]),
            _ if b < 8 => octal_escape(b, 1),
            _ if b < 64 => octal_escape(b, 2),
            _ => octal_escape(b, 3),
        };
        c += 1;
    }
    t
};

/// Three-digit octal for every byte (used when an octal digit follows).
const LONG_OCTAL: [Escape; 256] = {
    let mut t = [(0u8, [0u8; 4]); 256];
    let mut c = 0usize;
    while c < 256 {
        t[c] = octal_escape(c as u8, 3);
        c += 1;
    }
    t
};

/// `\xNN` for every byte.
const HEX_ESCAPES: [Escape; 256] = {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [(0u8, [0u8; 4]); 256];
    let mut c = 0usize;
    while c < 256 {
        t[c] = (4, [b'\\', b'x', HEX[c >> 4], HEX[c & 15]]);
        c += 1;
    }
    t
};

/// Apply the `-X` style: `raw` alone, the symbolic `text` alone (the default), or both
/// as `raw /* text */`.
pub fn styled(raw: &str, text: &str, style: XlatStyle) -> String {
    match style {
        XlatStyle::Raw => raw.to_string(),
        XlatStyle::Abbrev => text.to_string(),
        XlatStyle::Verbose if raw == text => raw.to_string(),
        // Already `0x8 /* AT_??? */`: an unknown value carries its own comment.
        XlatStyle::Verbose if text.starts_with(&format!("{raw} /* ")) => text.to_string(),
        XlatStyle::Verbose => format!("{raw} /* {text} */"),
    }
}

/// Print `value` as the name of a constant from `table`, else in hex with a
/// `/* PREFIX_??? */` comment, following the `-X` style.
pub fn xlat(value: u64, table: &Xlat, unknown: &str, style: XlatStyle) -> String {
    match table.iter().find(|(v, _)| *v == value) {
        Some((_, n)) => styled(&hex(value), n, style),
        None if unknown.is_empty() || style == XlatStyle::Raw => hex(value),
        None => format!("{} /* {unknown} */", hex(value)),
    }
}

/// The names of the bits of `value` from `table` as `A|B|0x10` (`zero` when none).
pub fn flag_names(value: u64, table: &Xlat, zero: &str) -> String {
    flag_names_or(value, table, zero, &unknown_flag_name(table))
}

/// [`flag_names`] with the comment for a value none of whose bits is known, as strace
/// prints it: `0x8 /* AT_??? */`.
pub fn flag_names_or(value: u64, table: &Xlat, zero: &str, unknown: &str) -> String {
    if !unknown.is_empty()
        && value != 0
        && !table
            .iter()
            .any(|(bit, _)| *bit != 0 && value & bit == *bit)
    {
        return format!("{} /* {unknown} */", hex(value));
    }
    flag_names_plain(value, table, zero)
}

/// The names of the bits of `value`, the unknown rest in hex, without a comment (for
/// flags printed after another field, like the `O_RDONLY|...` of open).
pub fn flag_names_plain(value: u64, table: &Xlat, zero: &str) -> String {
    let mut names = Vec::new();
    let mut rest = value;
    for &(bit, name) in table {
        if bit != 0 && rest & bit == bit {
            names.push(name.to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        names.push(hex(rest));
    }
    if names.is_empty() {
        zero.to_string()
    } else {
        names.join("|")
    }
}

/// `AT_???` for a table of `AT_*` names: the prefix most names share up to their first
/// `_` (or, without underscores, their common prefix, as `EPOLL`), then `???`.
fn unknown_flag_name(table: &Xlat) -> String {
    let with_underscore = table.iter().filter(|(_, n)| n.contains('_')).count();
    if with_underscore * 2 > table.len() {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for (_, name) in table.iter().filter(|(_, n)| n.contains('_')) {
            let start = name.len() - name.trim_start_matches('_').len();
            let head = name[start..]
                .find('_')
                .map_or(*name, |i| &name[..=start + i]);
            match counts.iter_mut().find(|(h, _)| *h == head) {
                Some((_, n)) => *n += 1,
                None => counts.push((head, 1)),
            }
        }
        if let Some((head, _)) = counts.iter().max_by_key(|(_, n)| *n) {
            return format!("{head}???");
        }
    }
    let mut prefix: &str = table.first().map_or("", |(_, n)| n);
    for (_, name) in table {
        let common = prefix
            .char_indices()
            .zip(name.chars())
            .take_while(|((_, a), b)| a == b)
            .count();
        prefix = &prefix[..common];
    }
    format!("{prefix}???")
}

/// Print a flag set as `A|B|0x10`; `zero` is printed when no bit is set.
pub fn flags(value: u64, table: &Xlat, zero: &str, style: XlatStyle) -> String {
    styled(&hex(value), &flag_names(value, table, zero), style)
}

/// A `clock_t` count of clock ticks as strace's print_clock_t prints it: the number, and
/// (unless `-X raw`, and for a non-zero count) the seconds it makes with as many decimals
/// as `CLK_TCK` has digits after its first, `10 /* 0.10 s */` at 100 ticks a second.
pub fn clock_t(ticks: u64, style: XlatStyle) -> String {
    static TICKS_PER_SECOND: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let tck = *TICKS_PER_SECOND.get_or_init(|| {
        // SAFETY: sysconf reads a configuration value; it has no memory arguments.
        let v = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        u64::try_from(v).unwrap_or(0)
    });
    clock_t_at(ticks, tck, style)
}

/// [`clock_t`] at `tck` ticks a second (0: unknown, no comment).
fn clock_t_at(ticks: u64, tck: u64, style: XlatStyle) -> String {
    if style == XlatStyle::Raw || tck == 0 || ticks == 0 {
        return ticks.to_string();
    }
    // strace: frac_width = MIN(ilog10(clk_tck), 9), the fraction printed with %.*f.
    let width = tck.ilog10().min(9) as usize;
    // strace prints the fraction, "0.10 s", then writes the whole seconds (exact, from the
    // integer division) and a '.' over its first two characters.
    let frac = format!("{:.width$} s", (ticks % tck) as f64 / tck as f64);
    format!("{ticks} /* {}.{} */", ticks / tck, &frac[2..])
}

/// `0x1f`, or `0` for zero, like C's `%#lx`.
pub fn hex(value: u64) -> String {
    if value == 0 {
        "0".to_string()
    } else {
        format!("{value:#x}")
    }
}

/// A pointer argument: `NULL` or hex.
pub fn pointer(value: u64) -> String {
    if value == 0 {
        "NULL".to_string()
    } else {
        format!("{value:#x}")
    }
}

/// `0644`-style octal, like C's `%#03o`.
pub fn octal(value: u64) -> String {
    if value == 0 {
        "000".to_string()
    } else {
        format!("0{value:02o}")
    }
}

/// The symbolic name of errno `e` (`ENOENT`), including the kernel's restart codes.
pub fn errno_name(e: i64) -> String {
    match e {
        512 => "ERESTARTSYS".into(),
        513 => "ERESTARTNOINTR".into(),
        514 => "ERESTARTNOHAND".into(),
        515 => "ENOIOCTLCMD".into(),
        516 => "ERESTART_RESTARTBLOCK".into(),
        517 => "EPROBE_DEFER".into(),
        518 => "EOPENSTALE".into(),
        521 => "EBADHANDLE".into(),
        524 => "ENOTSUPP".into(),
        _ => {
            let errno = nix::errno::Errno::from_raw(e as i32);
            if errno == nix::errno::Errno::UnknownErrno {
                return format!("E??? (errno {e})");
            }
            format!("{errno:?}")
        }
    }
}

/// The message strace prints after an errno name, from the C library's strerror.
pub fn errno_message(e: i64) -> String {
    match e {
        512 => "To be restarted if SA_RESTART is set".into(),
        513 => "To be restarted".into(),
        514 => "To be restarted if no handler".into(),
        516 => "Interrupted by signal".into(),
        _ => std::io::Error::from_raw_os_error(e as i32)
            .to_string()
            .split(" (os error")
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quoting written plainly (with format!), against the fast one, on every byte
    /// followed by every kind of next byte.
    #[test]
    fn fast_quoting_equals_the_plain_rules() {
        fn plain(bytes: &[u8]) -> String {
            let mut s = String::from("\"");
            for (i, &c) in bytes.iter().enumerate() {
                match c {
                    b'"' => s.push_str("\\\""),
                    b'\\' => s.push_str("\\\\"),
                    b'\x0c' => s.push_str("\\f"),
                    b'\n' => s.push_str("\\n"),
                    b'\r' => s.push_str("\\r"),
                    b'\t' => s.push_str("\\t"),
                    b'\x0b' => s.push_str("\\v"),
                    0x20..=0x7e => s.push(c as char),
                    _ if bytes.get(i + 1).is_some_and(u8::is_ascii_digit)
                        && bytes[i + 1] <= b'7' =>
                    {
                        s.push_str(&format!("\\{c:03o}"))
                    }
                    _ => s.push_str(&format!("\\{c:o}")),
                }
            }
            s.push('"');
            s
        }
        for c in 0..=255u8 {
            for next in [b'0', b'7', b'8', b'a', 0, 200] {
                let bytes = [c, next, c];
                assert_eq!(quote(&bytes, 0), plain(&bytes), "{bytes:?}");
                let hex: String = bytes.iter().map(|b| format!("\\x{b:02x}")).collect();
                assert_eq!(quote(&bytes, 2), format!("\"{hex}\""));
            }
        }
    }

    #[test]
    fn quoting_matches_strace() {
        assert_eq!(quote(b"a\"b\\c\n\t", 0), r#""a\"b\\c\n\t""#);
        assert_eq!(quote(b"\x01\x7f\xff ", 0), r#""\1\177\377 ""#);
        assert_eq!(quote(b"\x001", 0), r#""\0001""#);
        assert_eq!(quote(b"ab", 2), r#""\x61\x62""#);
        assert_eq!(quote(b"a\n", 1), r#""a\n""#);
        assert_eq!(quote(b"a\x01", 1), r#""\x61\x01""#);
    }

    /// strace's print_clock_t: `10 /* 0.10 s */` at 100 ticks a second, the whole seconds
    /// exact whatever their size, no comment for 0 nor under `-X raw`.
    #[test]
    fn clock_ticks_with_their_seconds() {
        assert_eq!(clock_t_at(10, 100, XlatStyle::Abbrev), "10 /* 0.10 s */");
        assert_eq!(
            clock_t_at(12345, 100, XlatStyle::Verbose),
            "12345 /* 123.45 s */"
        );
        assert_eq!(clock_t_at(0, 100, XlatStyle::Abbrev), "0");
        assert_eq!(clock_t_at(10, 100, XlatStyle::Raw), "10");
        assert_eq!(clock_t_at(7, 1000, XlatStyle::Abbrev), "7 /* 0.007 s */");
        // No decimals at 1 tick a second: strace's '.' takes the place of the space.
        assert_eq!(clock_t_at(5, 1, XlatStyle::Abbrev), "5 /* 5.s */");
        assert_eq!(
            clock_t_at(u64::MAX, 100, XlatStyle::Abbrev),
            "18446744073709551615 /* 184467440737095516.15 s */"
        );
    }

    #[test]
    fn flags_and_constants() {
        let t: &Xlat = &[(1, "A"), (2, "B"), (4, "C")];
        assert_eq!(flags(5, t, "0", XlatStyle::Abbrev), "A|C");
        assert_eq!(flags(0x11, t, "0", XlatStyle::Abbrev), "A|0x10");
        assert_eq!(flags(0x10, t, "0", XlatStyle::Abbrev), "0x10 /* ??? */");
        assert_eq!(flags(0, t, "0", XlatStyle::Abbrev), "0");
        let at: &Xlat = &[(0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR")];
        assert_eq!(flag_names(8, at, "0"), "0x8 /* AT_??? */");
        let ep: &Xlat = &[(1, "EPOLLIN"), (4, "EPOLLOUT")];
        assert_eq!(flag_names(8, ep, "0"), "0x8 /* EPOLL??? */");
        assert_eq!(xlat(9, t, "X_???", XlatStyle::Abbrev), "0x9 /* X_??? */");
        assert_eq!(errno_name(2), "ENOENT");
        assert_eq!(errno_message(2), "No such file or directory");
    }
}
