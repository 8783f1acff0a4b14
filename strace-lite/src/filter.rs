//! What to show: the sets of strace's qualifiers, parsed as strace 6.1 parses them.
//!
//! A syscall set (`-e trace=`) is a comma-separated list of names, numbers, `%class`es and
//! `/regex`es (POSIX extended, as strace compiles them), each optionally `?`-prefixed (no
//! error when it selects nothing) and `@64`/`@32`/`@x32`-suffixed (one personality only);
//! or `all`, or `none`. Every leading `!` inverts what follows. The other sets (signals,
//! statuses, quiet messages, descriptors) are lists of their own tokens with the same
//! `!`, `all` and `none`. Errors carry strace's messages.

use crate::cli::Fail;
use crate::personalities::{I386_CALLS, X32_NUMBERS, X86_64_NUMBERS};
use crate::signals;
use crate::syscall_table::{self, class, MAX_NR};

/// strace's `string_to_uint_upto`: `strtoll` in base 10 (leading blanks and a sign
/// allowed, nothing after the digits), not negative, at most `max`.
pub fn string_to_uint(s: &str, max: u64) -> Option<u64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: u64 = digits.parse().ok().filter(|&v| v <= i64::MAX as u64)?;
    if neg && v != 0 {
        return None;
    }
    (v <= max).then_some(v)
}

/// A set of small numbers with strace's `not` flag: everything but the listed ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberSet {
    items: std::collections::BTreeSet<u64>,
    not: bool,
}

impl NumberSet {
    /// The empty set (`none`).
    pub fn none() -> Self {
        NumberSet::default()
    }

    /// Every number (`all`).
    pub fn all() -> Self {
        NumberSet {
            items: Default::default(),
            not: true,
        }
    }

    /// Of these numbers.
    pub fn of(items: &[u64]) -> Self {
        NumberSet {
            items: items.iter().copied().collect(),
            not: false,
        }
    }

    pub fn contains(&self, n: u64) -> bool {
        self.items.contains(&n) != self.not
    }

    /// Nothing in it (strace's `number_set_array_is_empty`).
    pub fn is_empty(&self) -> bool {
        !self.not && self.items.is_empty()
    }

    /// Whether it holds every one of `0..count`.
    pub fn is_complete(&self, count: u64) -> bool {
        (0..count).all(|n| self.contains(n))
    }

    /// strace's `qualify_tokens`: `[!]...all|none|TOKEN[,TOKEN...]`, each token turned into
    /// a number by `func`; an unknown token is `invalid NAME 'TOKEN'`.
    pub fn parse(
        spec: &str,
        name: &str,
        func: impl Fn(&str) -> Option<u64>,
    ) -> Result<NumberSet, Fail> {
        let mut set = NumberSet::none();
        let mut s = spec;
        while let Some(rest) = s.strip_prefix('!') {
            set.not = !set.not;
            s = rest;
        }
        match s {
            "none" => return Ok(set),
            "all" => {
                set.not = !set.not;
                return Ok(set);
            }
            _ => {}
        }
        let mut any = false;
        for token in s.split(',').filter(|t| !t.is_empty()) {
            match func(token) {
                Some(n) => {
                    set.items.insert(n);
                    any = true;
                }
                None => return Err(Fail::die(format!("invalid {name} '{token}'"))),
            }
        }
        if !any {
            return Err(Fail::die(format!("invalid {name} '{spec}'")));
        }
        Ok(set)
    }
}

/// The personalities strace 6.1 has on x86_64, in its order (`@64`, `@32`, `@x32`).
const PERSONALITIES: [&str; 3] = ["64", "32", "x32"];

/// The number of i386 calls strace 6.1 knows (0..=450).
const I386_MAX: usize = 451;

/// A set of syscalls: x86_64 numbers, and i386 numbers (calls made with `int $0x80`,
/// `I386_BASE + N` in the tracer).
#[derive(Debug, Clone)]
pub struct SyscallSet {
    bits: Vec<bool>,
    i386: Vec<bool>,
}

impl SyscallSet {
    /// Every syscall.
    pub fn all() -> Self {
        SyscallSet {
            bits: vec![true; MAX_NR],
            i386: vec![true; I386_MAX],
        }
    }

    fn none() -> Self {
        SyscallSet {
            bits: vec![false; MAX_NR],
            i386: vec![false; I386_MAX],
        }
    }

    fn invert(&mut self) {
        self.bits.iter_mut().for_each(|b| *b = !*b);
        self.i386.iter_mut().for_each(|b| *b = !*b);
    }

    /// This set and the x86_64 calls `nrs`.
    pub fn with(&self, nrs: &[u64]) -> Self {
        let mut set = self.clone();
        for &nr in nrs {
            if let Some(b) = usize::try_from(nr).ok().and_then(|i| set.bits.get_mut(i)) {
                *b = true;
            }
        }
        set
    }

    /// Whether every syscall is in the set.
    pub fn is_all(&self) -> bool {
        self.bits.iter().all(|&b| b) && self.i386.iter().all(|&b| b)
    }

    /// Whether syscall `nr` is in the set (numbers past the table count as in `all`).
    pub fn contains(&self, nr: u64) -> bool {
        use crate::syscall_table as table;
        if table::is_i386(nr) {
            // A call strace-lite has no name for is always shown, as strace shows one.
            if table::name(nr).starts_with("syscall_") {
                return true;
            }
            let n = nr - table::I386_BASE;
            return match usize::try_from(n).ok().and_then(|i| self.i386.get(i)) {
                Some(&b) => b,
                None => self.i386.iter().all(|&b| b),
            };
        }
        if table::entry(nr).is_none() && table::name(nr).starts_with("syscall_") {
            return true;
        }
        match usize::try_from(nr).ok().and_then(|i| self.bits.get(i)) {
            Some(&b) => b,
            None => self.bits.iter().all(|&b| b),
        }
    }

    /// Parse the value of `-e trace=` (strace's `qualify_syscall_tokens`).
    pub fn parse(spec: &str) -> Result<Self, Fail> {
        let mut set = SyscallSet::none();
        let mut s = spec;
        let mut inverted = false;
        while let Some(rest) = s.strip_prefix('!') {
            inverted = !inverted;
            s = rest;
        }
        match s {
            "none" => {}
            "all" => inverted = !inverted,
            _ => {
                let mut done = false;
                for token in s.split(',').filter(|t| !t.is_empty()) {
                    done = set.add_token(token)?;
                    if !done {
                        return Err(Fail::die(format!("invalid system call '{token}'")));
                    }
                }
                if !done {
                    return Err(Fail::die(format!("invalid system call '{spec}'")));
                }
            }
        }
        if inverted {
            set.invert();
        }
        Ok(set)
    }

    /// strace's `qualify_syscall`: `?`s, then the token in one personality or in all.
    fn add_token(&mut self, token: &str) -> Result<bool, Fail> {
        let mut optional = false;
        let mut t = token;
        while let Some(rest) = t.strip_prefix('?') {
            optional = true;
            t = rest;
        }
        if let Some(at) = t.rfind('@') {
            let designator = &t[at + 1..];
            let Some(p) = PERSONALITIES.iter().position(|&d| d == designator) else {
                return Err(Fail::help(format!(
                    "incorrect personality designator '{designator}' in qualification '{t}'"
                )));
            };
            return Ok(self.add_in(&t[..at], p)? | optional);
        }
        let mut found = optional;
        for p in 0..PERSONALITIES.len() {
            found |= self.add_in(t, p)?;
        }
        Ok(found)
    }

    /// One token in personality `p` (0: x86_64, 1: i386, 2: x32, whose calls this tracer
    /// never sees: they only make a token valid).
    fn add_in(&mut self, token: &str, p: usize) -> Result<bool, Fail> {
        if token.starts_with(|c: char| c.is_ascii_digit()) {
            let Some(n) = string_to_uint(token, i32::MAX as u64) else {
                return Ok(false);
            };
            let in_ranges = |ranges: &[(u16, u16)]| {
                ranges
                    .iter()
                    .any(|&(lo, hi)| (u64::from(lo)..=u64::from(hi)).contains(&n))
            };
            return Ok(match p {
                0 if in_ranges(X86_64_NUMBERS) => {
                    self.bits[n as usize] = true;
                    true
                }
                1 if I386_CALLS.iter().any(|e| u64::from(e.0) == n) => {
                    self.i386[n as usize] = true;
                    true
                }
                2 => in_ranges(X32_NUMBERS),
                _ => false,
            });
        }
        if let Some(pattern) = token.strip_prefix('/') {
            let re = PosixRegex::new(pattern)?;
            let mut found = false;
            for (nr, name) in names_of(p) {
                if re.is_match(name)? {
                    found = true;
                    self.set(p, nr);
                }
            }
            return Ok(found);
        }
        if let Some(bits) = class_by_name(token) {
            for (nr, classes) in classes_of(p) {
                if classes & bits == bits {
                    self.set(p, nr);
                }
            }
            return Ok(true);
        }
        let mut found = false;
        for (nr, name) in names_of(p) {
            if name == token {
                self.set(p, nr);
                found = true;
            }
        }
        // Names the syscalls crate knows beyond strace-lite's table.
        if !found && p == 0 {
            if let Some(nr) = syscall_table::number(token).filter(|&n| (n as usize) < MAX_NR) {
                self.bits[nr as usize] = true;
                found = true;
            }
        }
        Ok(found)
    }

    fn set(&mut self, p: usize, nr: usize) {
        match p {
            0 => self.bits[nr] = true,
            1 => self.i386[nr] = true,
            _ => {}
        }
    }
}

/// (number, name) of every call of personality `p` (x32: none, as this tracer sees none).
fn names_of(p: usize) -> Vec<(usize, &'static str)> {
    match p {
        0 => syscall_table::TABLE
            .iter()
            .filter(|e| (e.nr as usize) < MAX_NR)
            .map(|e| (e.nr as usize, e.name))
            .collect(),
        1 => I386_CALLS.iter().map(|e| (e.0 as usize, e.1)).collect(),
        _ => Vec::new(),
    }
}

/// (number, classes) of every call of personality `p`.
fn classes_of(p: usize) -> Vec<(usize, u32)> {
    match p {
        0 => syscall_table::TABLE
            .iter()
            .filter(|e| (e.nr as usize) < MAX_NR)
            .map(|e| (e.nr as usize, e.classes))
            .collect(),
        1 => I386_CALLS.iter().map(|e| (e.0 as usize, e.2)).collect(),
        _ => Vec::new(),
    }
}

/// A POSIX extended regular expression, compiled by the C library as strace compiles it
/// (so a pattern means what it means to strace, and a bad one fails with its message).
struct PosixRegex {
    re: Box<libc::regex_t>,
    pattern: String,
}

impl PosixRegex {
    fn new(pattern: &str) -> Result<Self, Fail> {
        let c = std::ffi::CString::new(pattern)
            .map_err(|_| Fail::die(format!("invalid system call '/{pattern}'")))?;
        // SAFETY: an all-zero regex_t is what regcomp expects to fill.
        let mut re: Box<libc::regex_t> = Box::new(unsafe { std::mem::zeroed() });
        // SAFETY: regcomp fills `re` from the NUL-terminated pattern.
        let rc =
            unsafe { libc::regcomp(&mut *re, c.as_ptr(), libc::REG_EXTENDED | libc::REG_NOSUB) };
        if rc != 0 {
            return Err(Fail::die(format!(
                "regcomp: {pattern}: {}",
                regerror(rc, &re)
            )));
        }
        Ok(PosixRegex {
            re,
            pattern: pattern.to_string(),
        })
    }

    fn is_match(&self, text: &str) -> Result<bool, Fail> {
        let c = std::ffi::CString::new(text).unwrap_or_default();
        // SAFETY: a compiled regex and a NUL-terminated string; no match array.
        let rc = unsafe { libc::regexec(&*self.re, c.as_ptr(), 0, std::ptr::null_mut(), 0) };
        match rc {
            0 => Ok(true),
            libc::REG_NOMATCH => Ok(false),
            _ => Err(Fail::die(format!(
                "regexec: {}: {}",
                self.pattern,
                regerror(rc, &self.re)
            ))),
        }
    }
}

impl Drop for PosixRegex {
    fn drop(&mut self) {
        // SAFETY: freeing what regcomp compiled.
        unsafe { libc::regfree(&mut *self.re) };
    }
}

fn regerror(rc: i32, re: &libc::regex_t) -> String {
    let mut buf = [0u8; 512];
    // SAFETY: regerror writes at most buf.len() bytes, NUL-terminated.
    unsafe { libc::regerror(rc, re, buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// The class bits of `%file`, `file`, `%net`, `%%stat`... (`all` is the class of every
/// call).
fn class_by_name(token: &str) -> Option<u32> {
    let bits = match token {
        "%file" | "file" => class::TF,
        "%process" | "process" => class::TP,
        "%network" | "%net" | "network" => class::TN,
        "%signal" | "signal" => class::TS,
        "%ipc" | "ipc" => class::TI,
        "%desc" | "desc" => class::TD,
        "%memory" | "memory" => class::TM,
        "%creds" => class::TC,
        "%clock" => class::TCL,
        "%stat" => class::TST,
        "%lstat" => class::TLST,
        "%fstat" => class::TFST,
        "%%stat" => class::TSTA,
        "%statfs" => class::TSF,
        "%fstatfs" => class::TFSF,
        "%%statfs" => class::TSFA,
        "%pure" => class::PU,
        "all" => 0,
        _ => return None,
    };
    Some(bits)
}

/// A set of signal numbers (1..=64).
#[derive(Debug, Clone)]
pub struct SignalSet {
    set: NumberSet,
}

impl SignalSet {
    /// Every signal.
    pub fn all() -> Self {
        SignalSet {
            set: NumberSet::all(),
        }
    }

    /// Whether signal `sig` is in the set.
    pub fn contains(&self, sig: i32) -> bool {
        self.set.contains(sig as u64)
    }

    /// Parse the value of `-e signal=` (numbers up to 255, names with or without `SIG`).
    pub fn parse(spec: &str) -> Result<Self, Fail> {
        let set = NumberSet::parse(spec, "signal", |t| {
            if t.starts_with(|c: char| c.is_ascii_digit()) {
                string_to_uint(t, 255)
            } else {
                signals::parse(t).filter(|&s| s > 0).map(|s| s as u64)
            }
        })?;
        Ok(SignalSet { set })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_classes_regex_and_negation() {
        let s = SyscallSet::parse("open,%net").unwrap();
        assert!(s.contains(2) && s.contains(41) && !s.contains(0));
        let s = SyscallSet::parse("!read").unwrap();
        assert!(!s.contains(0) && s.contains(1));
        let s = SyscallSet::parse("!!read").unwrap();
        assert!(s.contains(0) && !s.contains(1));
        let s = SyscallSet::parse("/^fs").unwrap();
        assert!(s.contains(74) && !s.contains(0));
        let s = SyscallSet::parse("%%stat").unwrap();
        assert!(s.contains(262) && s.contains(332) && s.contains(4));
        assert!(SyscallSet::parse("%FILE").is_err());
        assert!(SyscallSet::parse("nosuchcall").is_err());
        assert!(SyscallSet::parse("?nosuchcall,read").is_ok());
        assert!(SyscallSet::parse("").is_err());
        assert!(SyscallSet::parse(",").is_err());
        assert!(SyscallSet::parse("read,none").is_err());
    }

    #[test]
    fn numbers_and_personalities() {
        let s = SyscallSet::parse("42").unwrap();
        assert!(s.contains(42) && !s.contains(41));
        // i386 call 42 is pipe.
        assert!(s.contains(syscall_table::I386_BASE + 42));
        let s = SyscallSet::parse("42@64").unwrap();
        assert!(s.contains(42) && !s.contains(syscall_table::I386_BASE + 42));
        let s = SyscallSet::parse("read@32").unwrap();
        assert!(!s.contains(0) && s.contains(syscall_table::I386_BASE + 3));
        // Valid for some personality: i386's 400, x32's 512; 451 and 387 for none.
        assert!(SyscallSet::parse("400").is_ok());
        assert!(SyscallSet::parse("512").is_ok());
        assert!(SyscallSet::parse("451").is_err());
        assert!(SyscallSet::parse("387").is_err());
        let e = SyscallSet::parse("read@65").unwrap_err();
        assert!(e.help);
        assert_eq!(
            e.message,
            "incorrect personality designator '65' in qualification 'read@65'"
        );
        assert_eq!(
            SyscallSet::parse("/[").unwrap_err().message,
            "regcomp: [: Invalid regular expression"
        );
    }

    #[test]
    fn number_sets() {
        let fd = |t: &str| string_to_uint(t, i32::MAX as u64);
        let s = NumberSet::parse("1,3", "descriptor", fd).unwrap();
        assert!(s.contains(1) && s.contains(3) && !s.contains(2));
        let s = NumberSet::parse("!1", "descriptor", fd).unwrap();
        assert!(!s.contains(1) && s.contains(2));
        assert!(NumberSet::parse("all", "descriptor", fd)
            .unwrap()
            .contains(9));
        assert!(NumberSet::parse("none", "descriptor", fd)
            .unwrap()
            .is_empty());
        assert_eq!(
            NumberSet::parse("x", "descriptor", fd).unwrap_err().message,
            "invalid descriptor 'x'"
        );
        assert_eq!(string_to_uint(" +7", 10), Some(7));
        assert_eq!(string_to_uint("-1", 10), None);
        assert_eq!(string_to_uint("7x", 10), None);
    }

    #[test]
    fn signal_sets() {
        let s = SignalSet::parse("!SIGCHLD,usr1").unwrap();
        assert!(!s.contains(17) && !s.contains(10) && s.contains(2));
        assert!(SignalSet::parse("SIGNOPE").is_err());
    }
}
