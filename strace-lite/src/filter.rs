//! What to show: the syscall set of `-e trace=SET` and the signal set of `-e signal=SET`.
//!
//! A set is a comma-separated list of names, `%class`es and `/regex`es, `all` or
//! `none`; a leading `!` takes the complement. Spelled as in strace(1).

use crate::signals;
use crate::syscall_table::{self, class, MAX_NR};

/// A set of syscall numbers.
#[derive(Debug, Clone)]
pub struct SyscallSet {
    bits: Vec<bool>,
}

impl SyscallSet {
    /// Every syscall.
    pub fn all() -> Self {
        SyscallSet {
            bits: vec![true; MAX_NR],
        }
    }

    fn none() -> Self {
        SyscallSet {
            bits: vec![false; MAX_NR],
        }
    }

    /// Whether syscall `nr` is in the set (numbers past the table count as in `all`).
    pub fn contains(&self, nr: u64) -> bool {
        use crate::syscall_table as table;
        // An i386 call is in the set as the x86_64 call of the same name (or decoded the
        // same way); a call strace has no name for is always shown, as strace shows it.
        let nr = if table::is_i386(nr) {
            let same = table::number(&table::name(nr))
                .or_else(|| table::i386_lookalike(nr).and_then(table::number));
            match same {
                Some(x86_64) => x86_64,
                None if table::name(nr).starts_with("syscall_") => return true,
                None => nr,
            }
        } else if table::entry(nr).is_none() && table::name(nr).starts_with("syscall_") {
            return true;
        } else {
            nr
        };
        match usize::try_from(nr).ok().and_then(|i| self.bits.get(i)) {
            Some(&b) => b,
            None => self.bits.iter().all(|&b| b),
        }
    }

    /// Parse the value of `-e trace=`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (negate, body) = match spec.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut set = SyscallSet::none();
        for token in body.split(',') {
            let (optional, token) = match token.strip_prefix('?') {
                Some(t) => (true, t),
                None => (false, token),
            };
            if token.is_empty() {
                return Err(format!("invalid system call '{spec}'"));
            }
            let matched = set.add(token)?;
            if !matched && !optional {
                return Err(format!("invalid system call '{token}'"));
            }
        }
        if negate {
            for b in &mut set.bits {
                *b = !*b;
            }
        }
        Ok(set)
    }

    /// Add the syscalls `token` names; false if it names none.
    fn add(&mut self, token: &str) -> Result<bool, String> {
        match token {
            "all" => {
                self.bits.iter_mut().for_each(|b| *b = true);
                return Ok(true);
            }
            "none" => return Ok(true),
            _ => {}
        }
        if let Some(pattern) = token.strip_prefix('/') {
            let re = regex::Regex::new(pattern)
                .map_err(|e| format!("invalid regular expression '{pattern}': {e}"))?;
            for e in syscall_table::TABLE {
                if re.is_match(e.name) {
                    self.bits[e.nr as usize] = true;
                }
            }
            return Ok(true);
        }
        if let Some(class_bits) = class_by_name(token) {
            for e in syscall_table::TABLE {
                if e.classes & class_bits != 0 {
                    self.bits[e.nr as usize] = true;
                }
            }
            return Ok(true);
        }
        match syscall_table::number(token) {
            Some(nr) if (nr as usize) < MAX_NR => {
                self.bits[nr as usize] = true;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

/// The class bits of `%file`, `file`, `%net`, `%%stat`...
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
        _ => return None,
    };
    Some(bits)
}

/// A set of signal numbers (1..=64).
#[derive(Debug, Clone)]
pub struct SignalSet {
    bits: [bool; 65],
}

impl SignalSet {
    /// Every signal.
    pub fn all() -> Self {
        SignalSet { bits: [true; 65] }
    }

    /// Whether signal `sig` is in the set.
    pub fn contains(&self, sig: i32) -> bool {
        usize::try_from(sig)
            .ok()
            .and_then(|i| self.bits.get(i))
            .copied()
            .unwrap_or(true)
    }

    /// Parse the value of `-e signal=`.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let (negate, body) = match spec.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut bits = [false; 65];
        for token in body.split(',') {
            match token {
                "all" => bits = [true; 65],
                "none" => {}
                _ => match signals::parse(token) {
                    Some(sig) => bits[sig as usize] = true,
                    None => return Err(format!("invalid signal '{token}'")),
                },
            }
        }
        if negate {
            bits.iter_mut().for_each(|b| *b = !*b);
        }
        Ok(SignalSet { bits })
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
        let s = SyscallSet::parse("/^fs").unwrap();
        assert!(s.contains(74) && !s.contains(0));
        let s = SyscallSet::parse("%%stat").unwrap();
        assert!(s.contains(262) && s.contains(332) && s.contains(4));
        assert!(SyscallSet::parse("nosuchcall").is_err());
        assert!(SyscallSet::parse("?nosuchcall,read").is_ok());
    }

    #[test]
    fn signal_sets() {
        let s = SignalSet::parse("!SIGCHLD,usr1").unwrap();
        assert!(!s.contains(17) && !s.contains(10) && s.contains(2));
        assert!(SignalSet::parse("SIGNOPE").is_err());
    }
}
