//! The x86_64 system call table: for each number, strace's name, the number of
//! arguments, and the `-e trace=%class` sets it belongs to.
//!
//! Names also come from the `syscalls` crate (see [`crate::syscall_table::name`]); this
//! table adds what that crate lacks: argument counts (for raw hex printing of calls
//! without a decoder) and strace's classes. The data follows strace's `syscallent.h`.

use self::class::*;

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

/// Every x86_64 system call strace 6.x knows, by number.
pub static TABLE: &[SyscallEntry] = &[
    SyscallEntry {
        nr: 0,
        name: "read",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 1,
        name: "write",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 2,
        name: "open",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 3,
        name: "close",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 4,
        name: "stat",
        nargs: 2,
        classes: TF | TST | TSTA,
    },
    SyscallEntry {
        nr: 5,
        name: "fstat",
        nargs: 2,
        classes: TD | TFST | TSTA,
    },
    SyscallEntry {
        nr: 6,
        name: "lstat",
        nargs: 2,
        classes: TF | TLST | TSTA,
    },
    SyscallEntry {
        nr: 7,
        name: "poll",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 8,
        name: "lseek",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 9,
        name: "mmap",
        nargs: 6,
        classes: TD | TM,
    },
    SyscallEntry {
        nr: 10,
        name: "mprotect",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 11,
        name: "munmap",
        nargs: 2,
        classes: TM,
    },
    SyscallEntry {
        nr: 12,
        name: "brk",
        nargs: 1,
        classes: TM,
    },
    SyscallEntry {
        nr: 13,
        name: "rt_sigaction",
        nargs: 4,
        classes: TS,
    },
    SyscallEntry {
        nr: 14,
        name: "rt_sigprocmask",
        nargs: 4,
        classes: TS,
    },
    SyscallEntry {
        nr: 15,
        name: "rt_sigreturn",
        nargs: 0,
        classes: TS,
    },
    SyscallEntry {
        nr: 16,
        name: "ioctl",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 17,
        name: "pread64",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 18,
        name: "pwrite64",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 19,
        name: "readv",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 20,
        name: "writev",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 21,
        name: "access",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 22,
        name: "pipe",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 23,
        name: "select",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 24,
        name: "sched_yield",
        nargs: 0,
        classes: 0,
    },
    SyscallEntry {
        nr: 25,
        name: "mremap",
        nargs: 5,
        classes: TM,
    },
    SyscallEntry {
        nr: 26,
        name: "msync",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 27,
        name: "mincore",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 28,
        name: "madvise",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 29,
        name: "shmget",
        nargs: 3,
        classes: TI,
    },
    SyscallEntry {
        nr: 30,
        name: "shmat",
        nargs: 3,
        classes: TI | TM,
    },
    SyscallEntry {
        nr: 31,
        name: "shmctl",
        nargs: 3,
        classes: TI,
    },
    SyscallEntry {
        nr: 32,
        name: "dup",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 33,
        name: "dup2",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 34,
        name: "pause",
        nargs: 0,
        classes: TS,
    },
    SyscallEntry {
        nr: 35,
        name: "nanosleep",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 36,
        name: "getitimer",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 37,
        name: "alarm",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 38,
        name: "setitimer",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 39,
        name: "getpid",
        nargs: 0,
        classes: PU,
    },
    SyscallEntry {
        nr: 40,
        name: "sendfile",
        nargs: 4,
        classes: TD | TN,
    },
    SyscallEntry {
        nr: 41,
        name: "socket",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 42,
        name: "connect",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 43,
        name: "accept",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 44,
        name: "sendto",
        nargs: 6,
        classes: TN,
    },
    SyscallEntry {
        nr: 45,
        name: "recvfrom",
        nargs: 6,
        classes: TN,
    },
    SyscallEntry {
        nr: 46,
        name: "sendmsg",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 47,
        name: "recvmsg",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 48,
        name: "shutdown",
        nargs: 2,
        classes: TN,
    },
    SyscallEntry {
        nr: 49,
        name: "bind",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 50,
        name: "listen",
        nargs: 2,
        classes: TN,
    },
    SyscallEntry {
        nr: 51,
        name: "getsockname",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 52,
        name: "getpeername",
        nargs: 3,
        classes: TN,
    },
    SyscallEntry {
        nr: 53,
        name: "socketpair",
        nargs: 4,
        classes: TN,
    },
    SyscallEntry {
        nr: 54,
        name: "setsockopt",
        nargs: 5,
        classes: TN,
    },
    SyscallEntry {
        nr: 55,
        name: "getsockopt",
        nargs: 5,
        classes: TN,
    },
    SyscallEntry {
        nr: 56,
        name: "clone",
        nargs: 5,
        classes: TP,
    },
    SyscallEntry {
        nr: 57,
        name: "fork",
        nargs: 0,
        classes: TP,
    },
    SyscallEntry {
        nr: 58,
        name: "vfork",
        nargs: 0,
        classes: TP,
    },
    SyscallEntry {
        nr: 59,
        name: "execve",
        nargs: 3,
        classes: TF | TP,
    },
    SyscallEntry {
        nr: 60,
        name: "exit",
        nargs: 1,
        classes: TP,
    },
    SyscallEntry {
        nr: 61,
        name: "wait4",
        nargs: 4,
        classes: TP,
    },
    SyscallEntry {
        nr: 62,
        name: "kill",
        nargs: 2,
        classes: TS | TP,
    },
    SyscallEntry {
        nr: 63,
        name: "uname",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 64,
        name: "semget",
        nargs: 3,
        classes: TI,
    },
    SyscallEntry {
        nr: 65,
        name: "semop",
        nargs: 3,
        classes: TI,
    },
    SyscallEntry {
        nr: 66,
        name: "semctl",
        nargs: 4,
        classes: TI,
    },
    SyscallEntry {
        nr: 67,
        name: "shmdt",
        nargs: 1,
        classes: TI | TM,
    },
    SyscallEntry {
        nr: 68,
        name: "msgget",
        nargs: 2,
        classes: TI,
    },
    SyscallEntry {
        nr: 69,
        name: "msgsnd",
        nargs: 4,
        classes: TI,
    },
    SyscallEntry {
        nr: 70,
        name: "msgrcv",
        nargs: 5,
        classes: TI,
    },
    SyscallEntry {
        nr: 71,
        name: "msgctl",
        nargs: 3,
        classes: TI,
    },
    SyscallEntry {
        nr: 72,
        name: "fcntl",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 73,
        name: "flock",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 74,
        name: "fsync",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 75,
        name: "fdatasync",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 76,
        name: "truncate",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 77,
        name: "ftruncate",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 78,
        name: "getdents",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 79,
        name: "getcwd",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 80,
        name: "chdir",
        nargs: 1,
        classes: TF,
    },
    SyscallEntry {
        nr: 81,
        name: "fchdir",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 82,
        name: "rename",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 83,
        name: "mkdir",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 84,
        name: "rmdir",
        nargs: 1,
        classes: TF,
    },
    SyscallEntry {
        nr: 85,
        name: "creat",
        nargs: 2,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 86,
        name: "link",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 87,
        name: "unlink",
        nargs: 1,
        classes: TF,
    },
    SyscallEntry {
        nr: 88,
        name: "symlink",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 89,
        name: "readlink",
        nargs: 3,
        classes: TF,
    },
    SyscallEntry {
        nr: 90,
        name: "chmod",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 91,
        name: "fchmod",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 92,
        name: "chown",
        nargs: 3,
        classes: TF,
    },
    SyscallEntry {
        nr: 93,
        name: "fchown",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 94,
        name: "lchown",
        nargs: 3,
        classes: TF,
    },
    SyscallEntry {
        nr: 95,
        name: "umask",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 96,
        name: "gettimeofday",
        nargs: 2,
        classes: TCL,
    },
    SyscallEntry {
        nr: 97,
        name: "getrlimit",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 98,
        name: "getrusage",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 99,
        name: "sysinfo",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 100,
        name: "times",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 101,
        name: "ptrace",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 102,
        name: "getuid",
        nargs: 0,
        classes: TC | PU,
    },
    SyscallEntry {
        nr: 103,
        name: "syslog",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 104,
        name: "getgid",
        nargs: 0,
        classes: TC | PU,
    },
    SyscallEntry {
        nr: 105,
        name: "setuid",
        nargs: 1,
        classes: TC,
    },
    SyscallEntry {
        nr: 106,
        name: "setgid",
        nargs: 1,
        classes: TC,
    },
    SyscallEntry {
        nr: 107,
        name: "geteuid",
        nargs: 0,
        classes: TC | PU,
    },
    SyscallEntry {
        nr: 108,
        name: "getegid",
        nargs: 0,
        classes: TC | PU,
    },
    SyscallEntry {
        nr: 109,
        name: "setpgid",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 110,
        name: "getppid",
        nargs: 0,
        classes: PU,
    },
    SyscallEntry {
        nr: 111,
        name: "getpgrp",
        nargs: 0,
        classes: PU,
    },
    SyscallEntry {
        nr: 112,
        name: "setsid",
        nargs: 0,
        classes: 0,
    },
    SyscallEntry {
        nr: 113,
        name: "setreuid",
        nargs: 2,
        classes: TC,
    },
    SyscallEntry {
        nr: 114,
        name: "setregid",
        nargs: 2,
        classes: TC,
    },
    SyscallEntry {
        nr: 115,
        name: "getgroups",
        nargs: 2,
        classes: TC,
    },
    SyscallEntry {
        nr: 116,
        name: "setgroups",
        nargs: 2,
        classes: TC,
    },
    SyscallEntry {
        nr: 117,
        name: "setresuid",
        nargs: 3,
        classes: TC,
    },
    SyscallEntry {
        nr: 118,
        name: "getresuid",
        nargs: 3,
        classes: TC,
    },
    SyscallEntry {
        nr: 119,
        name: "setresgid",
        nargs: 3,
        classes: TC,
    },
    SyscallEntry {
        nr: 120,
        name: "getresgid",
        nargs: 3,
        classes: TC,
    },
    SyscallEntry {
        nr: 121,
        name: "getpgid",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 122,
        name: "setfsuid",
        nargs: 1,
        classes: TC,
    },
    SyscallEntry {
        nr: 123,
        name: "setfsgid",
        nargs: 1,
        classes: TC,
    },
    SyscallEntry {
        nr: 124,
        name: "getsid",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 125,
        name: "capget",
        nargs: 2,
        classes: TC,
    },
    SyscallEntry {
        nr: 126,
        name: "capset",
        nargs: 2,
        classes: TC,
    },
    SyscallEntry {
        nr: 127,
        name: "rt_sigpending",
        nargs: 2,
        classes: TS,
    },
    SyscallEntry {
        nr: 128,
        name: "rt_sigtimedwait",
        nargs: 4,
        classes: TS,
    },
    SyscallEntry {
        nr: 129,
        name: "rt_sigqueueinfo",
        nargs: 3,
        classes: TS | TP,
    },
    SyscallEntry {
        nr: 130,
        name: "rt_sigsuspend",
        nargs: 2,
        classes: TS,
    },
    SyscallEntry {
        nr: 131,
        name: "sigaltstack",
        nargs: 2,
        classes: TS,
    },
    SyscallEntry {
        nr: 132,
        name: "utime",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 133,
        name: "mknod",
        nargs: 3,
        classes: TF,
    },
    SyscallEntry {
        nr: 134,
        name: "uselib",
        nargs: 1,
        classes: TF,
    },
    SyscallEntry {
        nr: 135,
        name: "personality",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 136,
        name: "ustat",
        nargs: 2,
        classes: TSFA,
    },
    SyscallEntry {
        nr: 137,
        name: "statfs",
        nargs: 2,
        classes: TF | TSF | TSFA,
    },
    SyscallEntry {
        nr: 138,
        name: "fstatfs",
        nargs: 2,
        classes: TD | TFSF | TSFA,
    },
    SyscallEntry {
        nr: 139,
        name: "sysfs",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 140,
        name: "getpriority",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 141,
        name: "setpriority",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 142,
        name: "sched_setparam",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 143,
        name: "sched_getparam",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 144,
        name: "sched_setscheduler",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 145,
        name: "sched_getscheduler",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 146,
        name: "sched_get_priority_max",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 147,
        name: "sched_get_priority_min",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 148,
        name: "sched_rr_get_interval",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 149,
        name: "mlock",
        nargs: 2,
        classes: TM,
    },
    SyscallEntry {
        nr: 150,
        name: "munlock",
        nargs: 2,
        classes: TM,
    },
    SyscallEntry {
        nr: 151,
        name: "mlockall",
        nargs: 1,
        classes: TM,
    },
    SyscallEntry {
        nr: 152,
        name: "munlockall",
        nargs: 0,
        classes: TM,
    },
    SyscallEntry {
        nr: 153,
        name: "vhangup",
        nargs: 0,
        classes: 0,
    },
    SyscallEntry {
        nr: 154,
        name: "modify_ldt",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 155,
        name: "pivot_root",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 156,
        name: "_sysctl",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 157,
        name: "prctl",
        nargs: 5,
        classes: TC,
    },
    SyscallEntry {
        nr: 158,
        name: "arch_prctl",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 159,
        name: "adjtimex",
        nargs: 1,
        classes: TCL,
    },
    SyscallEntry {
        nr: 160,
        name: "setrlimit",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 161,
        name: "chroot",
        nargs: 1,
        classes: TF,
    },
    SyscallEntry {
        nr: 162,
        name: "sync",
        nargs: 0,
        classes: 0,
    },
    SyscallEntry {
        nr: 163,
        name: "acct",
        nargs: 1,
        classes: TF,
    },
    SyscallEntry {
        nr: 164,
        name: "settimeofday",
        nargs: 2,
        classes: TCL,
    },
    SyscallEntry {
        nr: 165,
        name: "mount",
        nargs: 5,
        classes: TF,
    },
    SyscallEntry {
        nr: 166,
        name: "umount2",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 167,
        name: "swapon",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 168,
        name: "swapoff",
        nargs: 1,
        classes: TF,
    },
    SyscallEntry {
        nr: 169,
        name: "reboot",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 170,
        name: "sethostname",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 171,
        name: "setdomainname",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 172,
        name: "iopl",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 173,
        name: "ioperm",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 174,
        name: "create_module",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 175,
        name: "init_module",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 176,
        name: "delete_module",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 177,
        name: "get_kernel_syms",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 178,
        name: "query_module",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 179,
        name: "quotactl",
        nargs: 4,
        classes: TF,
    },
    SyscallEntry {
        nr: 180,
        name: "nfsservctl",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 181,
        name: "getpmsg",
        nargs: 5,
        classes: TN,
    },
    SyscallEntry {
        nr: 182,
        name: "putpmsg",
        nargs: 5,
        classes: TN,
    },
    SyscallEntry {
        nr: 183,
        name: "afs_syscall",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 184,
        name: "tuxcall",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 185,
        name: "security",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 186,
        name: "gettid",
        nargs: 0,
        classes: PU,
    },
    SyscallEntry {
        nr: 187,
        name: "readahead",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 188,
        name: "setxattr",
        nargs: 5,
        classes: TF,
    },
    SyscallEntry {
        nr: 189,
        name: "lsetxattr",
        nargs: 5,
        classes: TF,
    },
    SyscallEntry {
        nr: 190,
        name: "fsetxattr",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 191,
        name: "getxattr",
        nargs: 4,
        classes: TF,
    },
    SyscallEntry {
        nr: 192,
        name: "lgetxattr",
        nargs: 4,
        classes: TF,
    },
    SyscallEntry {
        nr: 193,
        name: "fgetxattr",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 194,
        name: "listxattr",
        nargs: 3,
        classes: TF,
    },
    SyscallEntry {
        nr: 195,
        name: "llistxattr",
        nargs: 3,
        classes: TF,
    },
    SyscallEntry {
        nr: 196,
        name: "flistxattr",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 197,
        name: "removexattr",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 198,
        name: "lremovexattr",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 199,
        name: "fremovexattr",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 200,
        name: "tkill",
        nargs: 2,
        classes: TS | TP,
    },
    SyscallEntry {
        nr: 201,
        name: "time",
        nargs: 1,
        classes: TCL,
    },
    SyscallEntry {
        nr: 202,
        name: "futex",
        nargs: 6,
        classes: 0,
    },
    SyscallEntry {
        nr: 203,
        name: "sched_setaffinity",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 204,
        name: "sched_getaffinity",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 205,
        name: "set_thread_area",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 206,
        name: "io_setup",
        nargs: 2,
        classes: TM,
    },
    SyscallEntry {
        nr: 207,
        name: "io_destroy",
        nargs: 1,
        classes: TM,
    },
    SyscallEntry {
        nr: 208,
        name: "io_getevents",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 209,
        name: "io_submit",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 210,
        name: "io_cancel",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 211,
        name: "get_thread_area",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 212,
        name: "lookup_dcookie",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 213,
        name: "epoll_create",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 214,
        name: "epoll_ctl_old",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 215,
        name: "epoll_wait_old",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 216,
        name: "remap_file_pages",
        nargs: 5,
        classes: TM,
    },
    SyscallEntry {
        nr: 217,
        name: "getdents64",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 218,
        name: "set_tid_address",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 219,
        name: "restart_syscall",
        nargs: 0,
        classes: 0,
    },
    SyscallEntry {
        nr: 220,
        name: "semtimedop",
        nargs: 4,
        classes: TI,
    },
    SyscallEntry {
        nr: 221,
        name: "fadvise64",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 222,
        name: "timer_create",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 223,
        name: "timer_settime",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 224,
        name: "timer_gettime",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 225,
        name: "timer_getoverrun",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 226,
        name: "timer_delete",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 227,
        name: "clock_settime",
        nargs: 2,
        classes: TCL,
    },
    SyscallEntry {
        nr: 228,
        name: "clock_gettime",
        nargs: 2,
        classes: TCL,
    },
    SyscallEntry {
        nr: 229,
        name: "clock_getres",
        nargs: 2,
        classes: TCL,
    },
    SyscallEntry {
        nr: 230,
        name: "clock_nanosleep",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 231,
        name: "exit_group",
        nargs: 1,
        classes: TP,
    },
    SyscallEntry {
        nr: 232,
        name: "epoll_wait",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 233,
        name: "epoll_ctl",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 234,
        name: "tgkill",
        nargs: 3,
        classes: TS | TP,
    },
    SyscallEntry {
        nr: 235,
        name: "utimes",
        nargs: 2,
        classes: TF,
    },
    SyscallEntry {
        nr: 236,
        name: "vserver",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 237,
        name: "mbind",
        nargs: 6,
        classes: TM,
    },
    SyscallEntry {
        nr: 238,
        name: "set_mempolicy",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 239,
        name: "get_mempolicy",
        nargs: 5,
        classes: TM,
    },
    SyscallEntry {
        nr: 240,
        name: "mq_open",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 241,
        name: "mq_unlink",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 242,
        name: "mq_timedsend",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 243,
        name: "mq_timedreceive",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 244,
        name: "mq_notify",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 245,
        name: "mq_getsetattr",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 246,
        name: "kexec_load",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 247,
        name: "waitid",
        nargs: 5,
        classes: TP,
    },
    SyscallEntry {
        nr: 248,
        name: "add_key",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 249,
        name: "request_key",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 250,
        name: "keyctl",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 251,
        name: "ioprio_set",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 252,
        name: "ioprio_get",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 253,
        name: "inotify_init",
        nargs: 0,
        classes: TD,
    },
    SyscallEntry {
        nr: 254,
        name: "inotify_add_watch",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 255,
        name: "inotify_rm_watch",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 256,
        name: "migrate_pages",
        nargs: 4,
        classes: TM,
    },
    SyscallEntry {
        nr: 257,
        name: "openat",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 258,
        name: "mkdirat",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 259,
        name: "mknodat",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 260,
        name: "fchownat",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 261,
        name: "futimesat",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 262,
        name: "newfstatat",
        nargs: 4,
        classes: TD | TF | TFST | TSTA,
    },
    SyscallEntry {
        nr: 263,
        name: "unlinkat",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 264,
        name: "renameat",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 265,
        name: "linkat",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 266,
        name: "symlinkat",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 267,
        name: "readlinkat",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 268,
        name: "fchmodat",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 269,
        name: "faccessat",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 270,
        name: "pselect6",
        nargs: 6,
        classes: TD,
    },
    SyscallEntry {
        nr: 271,
        name: "ppoll",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 272,
        name: "unshare",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 273,
        name: "set_robust_list",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 274,
        name: "get_robust_list",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 275,
        name: "splice",
        nargs: 6,
        classes: TD,
    },
    SyscallEntry {
        nr: 276,
        name: "tee",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 277,
        name: "sync_file_range",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 278,
        name: "vmsplice",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 279,
        name: "move_pages",
        nargs: 6,
        classes: TM,
    },
    SyscallEntry {
        nr: 280,
        name: "utimensat",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 281,
        name: "epoll_pwait",
        nargs: 6,
        classes: TD,
    },
    SyscallEntry {
        nr: 282,
        name: "signalfd",
        nargs: 3,
        classes: TD | TS,
    },
    SyscallEntry {
        nr: 283,
        name: "timerfd_create",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 284,
        name: "eventfd",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 285,
        name: "fallocate",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 286,
        name: "timerfd_settime",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 287,
        name: "timerfd_gettime",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 288,
        name: "accept4",
        nargs: 4,
        classes: TN,
    },
    SyscallEntry {
        nr: 289,
        name: "signalfd4",
        nargs: 4,
        classes: TD | TS,
    },
    SyscallEntry {
        nr: 290,
        name: "eventfd2",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 291,
        name: "epoll_create1",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 292,
        name: "dup3",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 293,
        name: "pipe2",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 294,
        name: "inotify_init1",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 295,
        name: "preadv",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 296,
        name: "pwritev",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 297,
        name: "rt_tgsigqueueinfo",
        nargs: 4,
        classes: TP | TS,
    },
    SyscallEntry {
        nr: 298,
        name: "perf_event_open",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 299,
        name: "recvmmsg",
        nargs: 5,
        classes: TN,
    },
    SyscallEntry {
        nr: 300,
        name: "fanotify_init",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 301,
        name: "fanotify_mark",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 302,
        name: "prlimit64",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 303,
        name: "name_to_handle_at",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 304,
        name: "open_by_handle_at",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 305,
        name: "clock_adjtime",
        nargs: 2,
        classes: TCL,
    },
    SyscallEntry {
        nr: 306,
        name: "syncfs",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 307,
        name: "sendmmsg",
        nargs: 4,
        classes: TN,
    },
    SyscallEntry {
        nr: 308,
        name: "setns",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 309,
        name: "getcpu",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 310,
        name: "process_vm_readv",
        nargs: 6,
        classes: 0,
    },
    SyscallEntry {
        nr: 311,
        name: "process_vm_writev",
        nargs: 6,
        classes: 0,
    },
    SyscallEntry {
        nr: 312,
        name: "kcmp",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 313,
        name: "finit_module",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 314,
        name: "sched_setattr",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 315,
        name: "sched_getattr",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 316,
        name: "renameat2",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 317,
        name: "seccomp",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 318,
        name: "getrandom",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 319,
        name: "memfd_create",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 320,
        name: "kexec_file_load",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 321,
        name: "bpf",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 322,
        name: "execveat",
        nargs: 5,
        classes: TD | TF | TP,
    },
    SyscallEntry {
        nr: 323,
        name: "userfaultfd",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 324,
        name: "membarrier",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 325,
        name: "mlock2",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 326,
        name: "copy_file_range",
        nargs: 6,
        classes: TD,
    },
    SyscallEntry {
        nr: 327,
        name: "preadv2",
        nargs: 6,
        classes: TD,
    },
    SyscallEntry {
        nr: 328,
        name: "pwritev2",
        nargs: 6,
        classes: TD,
    },
    SyscallEntry {
        nr: 329,
        name: "pkey_mprotect",
        nargs: 4,
        classes: TM,
    },
    SyscallEntry {
        nr: 330,
        name: "pkey_alloc",
        nargs: 2,
        classes: 0,
    },
    SyscallEntry {
        nr: 331,
        name: "pkey_free",
        nargs: 1,
        classes: 0,
    },
    SyscallEntry {
        nr: 332,
        name: "statx",
        nargs: 5,
        classes: TD | TF | TFST | TSTA,
    },
    SyscallEntry {
        nr: 333,
        name: "io_pgetevents",
        nargs: 6,
        classes: 0,
    },
    SyscallEntry {
        nr: 334,
        name: "rseq",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 424,
        name: "pidfd_send_signal",
        nargs: 4,
        classes: TD | TS | TP,
    },
    SyscallEntry {
        nr: 425,
        name: "io_uring_setup",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 426,
        name: "io_uring_enter",
        nargs: 6,
        classes: TD | TS,
    },
    SyscallEntry {
        nr: 427,
        name: "io_uring_register",
        nargs: 4,
        classes: TD | TM,
    },
    SyscallEntry {
        nr: 428,
        name: "open_tree",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 429,
        name: "move_mount",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 430,
        name: "fsopen",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 431,
        name: "fsconfig",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 432,
        name: "fsmount",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 433,
        name: "fspick",
        nargs: 3,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 434,
        name: "pidfd_open",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 435,
        name: "clone3",
        nargs: 2,
        classes: TP,
    },
    SyscallEntry {
        nr: 436,
        name: "close_range",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 437,
        name: "openat2",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 438,
        name: "pidfd_getfd",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 439,
        name: "faccessat2",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 440,
        name: "process_madvise",
        nargs: 5,
        classes: TD,
    },
    SyscallEntry {
        nr: 441,
        name: "epoll_pwait2",
        nargs: 6,
        classes: TD,
    },
    SyscallEntry {
        nr: 442,
        name: "mount_setattr",
        nargs: 5,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 443,
        name: "quotactl_fd",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 444,
        name: "landlock_create_ruleset",
        nargs: 3,
        classes: TD,
    },
    SyscallEntry {
        nr: 445,
        name: "landlock_add_rule",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 446,
        name: "landlock_restrict_self",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 447,
        name: "memfd_secret",
        nargs: 1,
        classes: TD,
    },
    SyscallEntry {
        nr: 448,
        name: "process_mrelease",
        nargs: 2,
        classes: TD,
    },
    SyscallEntry {
        nr: 449,
        name: "futex_waitv",
        nargs: 5,
        classes: 0,
    },
    SyscallEntry {
        nr: 450,
        name: "set_mempolicy_home_node",
        nargs: 4,
        classes: TM,
    },
    SyscallEntry {
        nr: 451,
        name: "cachestat",
        nargs: 4,
        classes: TD,
    },
    SyscallEntry {
        nr: 452,
        name: "fchmodat2",
        nargs: 4,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 453,
        name: "map_shadow_stack",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 454,
        name: "futex_wake",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 455,
        name: "futex_wait",
        nargs: 6,
        classes: 0,
    },
    SyscallEntry {
        nr: 456,
        name: "futex_requeue",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 457,
        name: "statmount",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 458,
        name: "listmount",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 459,
        name: "lsm_get_self_attr",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 460,
        name: "lsm_set_self_attr",
        nargs: 4,
        classes: 0,
    },
    SyscallEntry {
        nr: 461,
        name: "lsm_list_modules",
        nargs: 3,
        classes: 0,
    },
    SyscallEntry {
        nr: 462,
        name: "mseal",
        nargs: 3,
        classes: TM,
    },
    SyscallEntry {
        nr: 463,
        name: "setxattrat",
        nargs: 6,
        classes: TD | TF,
    },
    SyscallEntry {
        nr: 464,
        name: "getxattrat",
        nargs: 6,
        classes: TD | TF,
    },
];

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
/// strace's `syscall_0x1c3` spelling.
pub fn name(nr: u64) -> String {
    if is_i386(nr) {
        return match i386_entry(nr) {
            Some(e) => e.1.to_string(),
            None => format!("syscall_{:#x}", nr - I386_BASE),
        };
    }
    if let Some(e) = entry(nr) {
        return e.name.to_string();
    }
    match usize::try_from(nr).ok().and_then(syscalls::Sysno::new) {
        Some(sysno) => sysno.name().to_string(),
        None => format!("syscall_{nr:#x}"),
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
