//! Signal names and numbers as strace spells them: `SIGINT`, `SIGRTMIN`, `SIGRT_1`.

/// Classic signals 1..=31 on x86_64, by number.
const CLASSIC: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// The kernel's highest signal number.
pub const MAX_SIGNAL: i32 = 64;

/// `SIGINT` for 2, `SIGRTMIN` for 32, `SIGRT_3` for 35, or the number itself.
pub fn name(sig: i32) -> String {
    match sig {
        1..=31 => CLASSIC[sig as usize].to_string(),
        32 => "SIGRTMIN".to_string(),
        33..=MAX_SIGNAL => format!("SIGRT_{}", sig - 32),
        _ => sig.to_string(),
    }
}

/// The number of a signal spelled `SIGINT`, `INT`, `int` or `2`.
pub fn parse(text: &str) -> Option<i32> {
    if let Ok(n) = text.parse::<i32>() {
        return (0..=MAX_SIGNAL).contains(&n).then_some(n);
    }
    let upper = text.to_ascii_uppercase();
    let full = if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    };
    (1..=MAX_SIGNAL).find(|&s| name(s) == full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in 1..=MAX_SIGNAL {
            assert_eq!(parse(&name(s)), Some(s));
        }
        assert_eq!(parse("chld"), Some(17));
        assert_eq!(name(34), "SIGRT_2");
    }
}
