//! The x86_64 system call table: for each number, strace's name, the number of
//! arguments, and the `-e trace=%class` sets it belongs to.
//!
//! Names also come from the `syscalls` crate (see [`crate::syscall_table::name`]); this
//! table adds what that crate lacks: argument counts (for raw hex printing of calls
//! without a decoder) and strace's classes. The rows are generated (`crate::uapi`): names,
//! argument counts and classes from strace's `syscallent.h`, numbers from `<asm/unistd_64.h>`.

use std::borrow::Cow;

/// Bits for the `%class` sets of `-e trace=`.
pub mod class {
    /// `%desc`: takes or returns a file descriptor.
    pub const TD: u32 = 1 << 0;
    /// `%file`: takes a file name.
    pub const TF: u32 = 1 << 1;
    /// `%ipc`: System V IPC.
    pub const TI: u32 = 1 << 2;
    /// `%network` / `%net`.
    pub const TN: u32 = 1 << 3;
    /// `%process`: process lifecycle.
    pub const TP: u32 = 1 << 4;
    /// `%signal`.
    pub const TS: u32 = 1 << 5;
    /// `%memory`.
    pub const TM: u32 = 1 << 6;
    /// `%creds`.
    pub const TC: u32 = 1 << 7;
    /// `%clock`.
    pub const TCL: u32 = 1 << 8;
    /// `%stat`.
    pub const TST: u32 = 1 << 9;
    /// `%lstat`.
    pub const TLST: u32 = 1 << 10;
    /// `%fstat`.
    pub const TFST: u32 = 1 << 11;
    /// `%%stat`: every stat variant.
    pub const TSTA: u32 = 1 << 12;
    /// `%statfs`.
    pub const TSF: u32 = 1 << 13;
    /// `%fstatfs`.
    pub const TFSF: u32 = 1 << 14;
    /// `%%statfs`: every statfs variant.
    pub const TSFA: u32 = 1 << 15;
    /// `%pure`: always succeeds, no arguments.
    pub const PU: u32 = 1 << 16;
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct SyscallEntry {
    pub nr: u32,
    pub name: &'static str,
    pub nargs: u8,
    pub classes: u32,
}

/// Every x86_64 system call strace 6.x knows, by number (generated: `crate::uapi`).
pub static TABLE: &[SyscallEntry] = crate::uapi::syscalls::X86_64;

/// The row for syscall number `nr`, if strace knows it.
pub fn entry(nr: u64) -> Option<&'static SyscallEntry> {
    let nr = u32::try_from(nr).ok()?;
    TABLE
        .binary_search_by_key(&nr, |e| e.nr)
        .ok()
        .map(|i| &TABLE[i])
}

/// i386 system calls (`int $0x80` from a 64-bit program, told apart by
/// `PTRACE_GET_SYSCALL_INFO`'s arch) are numbered from here, so that they never collide
/// with x86_64's: i386 call N is `I386_BASE + N`.
pub const I386_BASE: u64 = 1 << 32;

/// The common i386 calls: (number, strace's name, argument count, the x86_64 call whose
/// decoder prints it the same way, when its arguments are ints, strings and buffers; the
/// others print their arguments in hex).
const I386: &[(u32, &str, u8, Option<&str>)] = &[
    (1, "exit", 1, Some("exit")),
    (2, "fork", 0, Some("fork")),
    (3, "read", 3, Some("read")),
    (4, "write", 3, Some("write")),
    (5, "open", 3, Some("open")),
    (6, "close", 1, Some("close")),
    (7, "waitpid", 3, None),
    (8, "creat", 2, Some("creat")),
    (9, "link", 2, Some("link")),
    (10, "unlink", 1, Some("unlink")),
    (11, "execve", 3, None),
    (12, "chdir", 1, Some("chdir")),
    (13, "time", 1, None),
    (15, "chmod", 2, Some("chmod")),
    (19, "lseek", 3, None),
    (20, "getpid", 0, Some("getpid")),
    (24, "getuid", 0, Some("getuid")),
    (27, "alarm", 1, Some("alarm")),
    (29, "pause", 0, Some("pause")),
    (33, "access", 2, Some("access")),
    (37, "kill", 2, Some("kill")),
    (38, "rename", 2, Some("rename")),
    (39, "mkdir", 2, Some("mkdir")),
    (40, "rmdir", 1, Some("rmdir")),
    (41, "dup", 1, Some("dup")),
    (42, "pipe", 1, Some("pipe")),
    (45, "brk", 1, Some("brk")),
    (47, "getgid", 0, Some("getgid")),
    (49, "geteuid", 0, Some("geteuid")),
    (50, "getegid", 0, Some("getegid")),
    (54, "ioctl", 3, None),
    (55, "fcntl", 3, None),
    (60, "umask", 1, Some("umask")),
    (63, "dup2", 2, Some("dup2")),
    (64, "getppid", 0, Some("getppid")),
    (65, "getpgrp", 0, Some("getpgrp")),
    (66, "setsid", 0, Some("setsid")),
    (90, "mmap", 1, None),
    (91, "munmap", 2, Some("munmap")),
    (114, "wait4", 4, None),
    (119, "sigreturn", 0, None),
    (120, "clone", 5, None),
    (122, "uname", 1, None),
    (125, "mprotect", 3, Some("mprotect")),
    (158, "sched_yield", 0, Some("sched_yield")),
    (162, "nanosleep", 2, None),
    (173, "rt_sigreturn", 0, None),
    (174, "rt_sigaction", 4, None),
    (175, "rt_sigprocmask", 4, None),
    (192, "mmap2", 6, None),
    (199, "getuid32", 0, Some("getuid")),
    (200, "getgid32", 0, Some("getgid")),
    (201, "geteuid32", 0, Some("geteuid")),
    (202, "getegid32", 0, Some("getegid")),
    (224, "gettid", 0, Some("gettid")),
    (243, "set_thread_area", 1, None),
    (252, "exit_group", 1, Some("exit_group")),
    (258, "set_tid_address", 1, None),
    (295, "openat", 4, Some("openat")),
];

/// The i386 call `nr` (`I386_BASE + N`): its name, argument count and x86_64 look-alike.
fn i386_entry(nr: u64) -> Option<&'static (u32, &'static str, u8, Option<&'static str>)> {
    let n = u32::try_from(nr.checked_sub(I386_BASE)?).ok()?;
    I386.iter().find(|e| e.0 == n)
}

/// Whether `nr` is an i386 call.
pub fn is_i386(nr: u64) -> bool {
    nr >= I386_BASE
}

/// For an i386 call, the x86_64 call decoded the same way, if any.
pub fn i386_lookalike(nr: u64) -> Option<&'static str> {
    i386_entry(nr).and_then(|e| e.3)
}

/// The printed name of syscall `nr`: strace's name, else the `syscalls` crate's, else
/// strace's `syscall_0x1c3` spelling. Borrowed from the tables but for that spelling:
/// the tracer asks for a name twice per traced call.
pub fn name(nr: u64) -> Cow<'static, str> {
    if is_i386(nr) {
        return match i386_entry(nr) {
            Some(e) => Cow::Borrowed(e.1),
            None => Cow::Owned(format!("syscall_{:#x}", nr - I386_BASE)),
        };
    }
    if let Some(e) = entry(nr) {
        return Cow::Borrowed(e.name);
    }
    match usize::try_from(nr).ok().and_then(syscalls::Sysno::new) {
        Some(sysno) => Cow::Borrowed(sysno.name()),
        None => Cow::Owned(format!("syscall_{nr:#x}")),
    }
}

/// How many arguments syscall `nr` takes (6 when unknown, as strace prints them all).
pub fn nargs(nr: u64) -> usize {
    if is_i386(nr) {
        return i386_entry(nr).map_or(6, |e| usize::from(e.2));
    }
    entry(nr).map_or(6, |e| usize::from(e.nargs))
}

/// The number of the syscall spelled `name`.
pub fn number(name: &str) -> Option<u64> {
    if let Some(e) = TABLE.iter().find(|e| e.name == name) {
        return Some(u64::from(e.nr));
    }
    name.parse::<syscalls::Sysno>()
        .ok()
        .and_then(|s| u64::try_from(s.id()).ok())
}

/// The largest syscall number the tracer keeps per-syscall state for.
pub const MAX_NR: usize = 512;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_agrees_with_the_syscalls_crate() {
        for pair in TABLE.windows(2) {
            assert!(pair[0].nr < pair[1].nr, "{:?}", pair[1]);
        }
        for e in TABLE {
            if let Some(sysno) = syscalls::Sysno::new(e.nr as usize) {
                let theirs = sysno.name();
                // strace spells a few differently from the kernel headers.
                if theirs != e.name {
                    assert!(
                        matches!(
                            e.name,
                            "pread64" | "pwrite64" | "_sysctl" | "epoll_ctl_old" | "epoll_wait_old"
                        ),
                        "{} vs {theirs}",
                        e.name
                    );
                }
            }
        }
    }

    #[test]
    fn names_and_numbers_round_trip() {
        assert_eq!(name(0), "read");
        assert_eq!(number("openat"), Some(257));
        assert_eq!(nargs(9), 6);
        assert_eq!(name(1000), "syscall_0x3e8");
    }
}
