//! `-P PATH`: whether a call accesses one of the traced paths, by strace 6.1's rules
//! (`pathtrace.c`): only calls of the `%file`, `%desc` and `%network` classes; a path
//! argument matches when its string is one of the paths, byte for byte (a relative
//! spelling does not match an absolute one); a descriptor argument when
//! `/proc/TID/fd/N` links to one of them (so a descriptor matches for as long as it is
//! open, whatever call made it). Which argument is a path or a descriptor is strace's
//! table below; other calls look at their first argument.

use crate::memory::Memory;
use crate::personalities::I386_CALLS;
use crate::syscall_table::{self, class};

/// Whether syscall `nr` of thread `tid`, entering with `args`, accesses one of `paths`.
pub fn matches(tid: i32, nr: u64, args: &[u64; 6], paths: &[String]) -> bool {
    let (name, classes) = if syscall_table::is_i386(nr) {
        let n = nr - syscall_table::I386_BASE;
        match I386_CALLS.iter().find(|e| u64::from(e.0) == n) {
            Some(e) => (e.1.to_string(), e.2),
            None => return false,
        }
    } else {
        match syscall_table::entry(nr) {
            Some(e) => (e.name.to_string(), e.classes),
            None => return false,
        }
    };
    if classes & (class::TF | class::TD | class::TN) == 0 {
        return false;
    }
    let mem = Memory::new(tid).with_words32(syscall_table::is_i386(nr));
    let fd = |i: usize| fd_matches(tid, args[i] as i32, paths);
    let path = |i: usize| path_matches(&mem, args[i], paths);
    match name.as_str() {
        "dup2" | "dup3" | "kexec_file_load" | "sendfile" | "sendfile64" | "tee" => fd(0) || fd(1),
        "execveat" | "faccessat" | "faccessat2" | "fchmodat" | "fchownat" | "fspick"
        | "fstatat64" | "futimesat" | "inotify_add_watch" | "mkdirat" | "mknodat"
        | "mount_setattr" | "name_to_handle_at" | "newfstatat" | "open_tree" | "openat"
        | "openat2" | "readlinkat" | "statx" | "unlinkat" | "utimensat" | "utimensat_time64" => {
            fd(0) || path(1)
        }
        "link" | "mount" | "pivot_root" => path(0) || path(1),
        "quotactl" | "symlink" => path(1),
        "linkat" | "move_mount" | "renameat2" | "renameat" => fd(0) || fd(2) || path(1) || path(3),
        // i386's old mmap takes its arguments from memory.
        "mmap" if syscall_table::is_i386(nr) => mem
            .read_array::<u32>(args[0], 6)
            .is_some_and(|a| fd_matches(tid, a[4] as i32, paths)),
        "mmap" | "mmap2" => fd(4),
        "symlinkat" => fd(1) || path(2),
        "copy_file_range" | "splice" => fd(0) || fd(2),
        "epoll_ctl" => fd(2),
        // The 64-bit mask is one argument on x86_64, two on i386.
        "fanotify_mark" if syscall_table::is_i386(nr) => fd(4) || path(5),
        "fanotify_mark" => fd(3) || path(4),
        "select" | "_newselect" | "pselect6" | "pselect6_time64" => {
            select_matches(tid, &mem, args, paths)
        }
        "poll" | "ppoll" | "ppoll_time64" => poll_matches(tid, &mem, args, paths),
        "fsconfig" => match args[1] as u32 {
            3 | 4 => fd(4) || path(3),
            5 => fd(4),
            _ => false,
        },
        // Calls of those classes with no descriptor or path to look at (strace 6.1's list).
        "accept4"
        | "accept"
        | "bpf"
        | "epoll_create"
        | "epoll_create1"
        | "eventfd2"
        | "eventfd"
        | "fanotify_init"
        | "fsmount"
        | "fsopen"
        | "inotify_init"
        | "inotify_init1"
        | "io_uring_enter"
        | "io_uring_register"
        | "io_uring_setup"
        | "landlock_add_rule"
        | "landlock_create_ruleset"
        | "landlock_restrict_self"
        | "memfd_create"
        | "memfd_secret"
        | "mq_getsetattr"
        | "mq_notify"
        | "mq_open"
        | "mq_timedreceive"
        | "mq_timedreceive_time64"
        | "mq_timedsend"
        | "mq_timedsend_time64"
        | "perf_event_open"
        | "pidfd_open"
        | "pipe"
        | "pipe2"
        | "signalfd4"
        | "signalfd"
        | "socket"
        | "socketpair"
        | "timerfd_create"
        | "timerfd_gettime"
        | "timerfd_gettime64"
        | "timerfd_settime"
        | "timerfd_settime64"
        | "userfaultfd" => false,
        _ if classes & class::TF != 0 => path(0),
        _ => fd(0),
    }
}

/// A path argument: the NUL-terminated string at `addr` (at most PATH_MAX bytes) is one
/// of `paths`.
fn path_matches(mem: &Memory, addr: u64, paths: &[String]) -> bool {
    match mem.read_cstring(addr, libc::PATH_MAX as usize + 1) {
        Some((bytes, true)) => paths.iter().any(|p| p.as_bytes() == bytes.as_slice()),
        _ => false,
    }
}

/// A descriptor argument: what `/proc/TID/fd/FD` links to is one of `paths` (a
/// ` (deleted)` the kernel added to a removed file's name taken off, as strace does).
pub fn fd_matches(tid: i32, fd: i32, paths: &[String]) -> bool {
    if fd < 0 {
        return false;
    }
    let link = format!("/proc/{tid}/fd/{fd}");
    let Ok(target) = std::fs::read_link(&link) else {
        return false;
    };
    let mut target = target.to_string_lossy().into_owned();
    if let Some(stem) = target.strip_suffix(" (deleted)") {
        use std::os::unix::fs::MetadataExt;
        let same = match (std::fs::metadata(&link), std::fs::symlink_metadata(stem)) {
            (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
            _ => false,
        };
        if !same {
            target = stem.to_string();
        }
    }
    paths.contains(&target)
}

/// select/pselect6: any descriptor of the three sets.
fn select_matches(tid: i32, mem: &Memory, args: &[u64; 6], paths: &[String]) -> bool {
    let nfds = args[0] as i32;
    if nfds <= 0 {
        return false;
    }
    let nfds = nfds.min(1024 * 1024) as usize;
    let bytes = (nfds.div_ceil(8) + 7) & !7;
    for &addr in &args[1..=3] {
        if addr == 0 {
            continue;
        }
        let Some(set) = mem.read(addr, bytes) else {
            continue;
        };
        for fd in 0..nfds {
            if set[fd / 8] & (1 << (fd % 8)) != 0 && fd_matches(tid, fd as i32, paths) {
                return true;
            }
        }
    }
    false
}

/// poll/ppoll: any descriptor of the array, read one `pollfd` at a time.
fn poll_matches(tid: i32, mem: &Memory, args: &[u64; 6], paths: &[String]) -> bool {
    let start = args[0];
    let nfds = (args[1] as u32).min(1024 * 1024) as u64;
    if nfds == 0 || start.checked_add(8 * nfds).is_none() {
        return false;
    }
    for i in 0..nfds {
        let Some(fd) = mem.read_i32(start + 8 * i) else {
            break;
        };
        if fd_matches(tid, fd, paths) {
            return true;
        }
    }
    false
}
