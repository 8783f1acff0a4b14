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
    // Built byte by byte without formatting machinery: an output-heavy trace (-s 256
    // of binary data) spends most of the tracer's own time here.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s: Vec<u8> = Vec::with_capacity(bytes.len() * if use_hex { 4 } else { 2 } + 2);
    s.push(b'"');
    for (i, &c) in bytes.iter().enumerate() {
        if use_hex {
            s.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(c >> 4)],
                HEX[usize::from(c & 15)],
            ]);
            continue;
        }
        match c {
            b'"' => s.extend_from_slice(b"\\\""),
            b'\\' => s.extend_from_slice(b"\\\\"),
            b'\x0c' => s.extend_from_slice(b"\\f"),
            b'\n' => s.extend_from_slice(b"\\n"),
            b'\r' => s.extend_from_slice(b"\\r"),
            b'\t' => s.extend_from_slice(b"\\t"),
            b'\x0b' => s.extend_from_slice(b"\\v"),
            0x20..=0x7e => s.push(c),
            _ => {
                let next_is_octal_digit =
                    bytes.get(i + 1).is_some_and(|n| (b'0'..=b'7').contains(n));
                s.push(b'\\');
                let digits = [b'0' + (c >> 6), b'0' + ((c >> 3) & 7), b'0' + (c & 7)];
                // Shortest octal, unless a digit follows (then always three).
                let skip = if next_is_octal_digit {
                    0
                } else if c < 8 {
                    2
                } else if c < 64 {
                    1
                } else {
                    0
                };
                s.extend_from_slice(&digits[skip..]);
            }
        }
    }
    s.push(b'"');
    // Only ASCII was pushed.
    String::from_utf8(s).unwrap_or_default()
}

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
