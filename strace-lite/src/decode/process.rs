//! Processes: execve/execveat, clone/clone3/fork/vfork, wait4, exit, kill/tgkill, and the
//! start-up calls every program makes (arch_prctl, set_tid_address, prlimit64, ...).

use super::array::array_text;
use super::{Call, Decoder, RetStyle, Step};
use crate::cli::XlatStyle;
use crate::format;
use crate::signals;
use crate::uapi::xlat::process::{
    ARCH_PRCTL_CODES, CLONE_FLAGS, RLIMITS, WAIT_OPTIONS, X86_XFEATURES, X86_XFEATURE_BITS,
};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "execve" => execve,
        "execveat" => execveat,
        "clone" => clone,
        "clone3" => clone3,
        "wait4" => wait4,
        "exit" | "exit_group" => exit,
        "kill" | "tkill" => kill,
        "tgkill" => tgkill,
        "set_tid_address" => set_tid_address,
        "arch_prctl" => arch_prctl,
        "set_robust_list" => set_robust_list,
        "get_robust_list" => get_robust_list,
        "rseq" => rseq,
        "prlimit64" => prlimit64,
        "getrlimit" | "setrlimit" => rlimit,
        "getrandom" => getrandom,
        "sched_getaffinity" => sched_getaffinity,
        "getrusage" => getrusage,
        "sched_setaffinity" => sched_setaffinity,
        "sched_getscheduler" => sched_getscheduler,
        _ => return None,
    })
}

/// strace's printargv: a NULL-terminated array of strings (argv, and envp under -v), at
/// most `-s` of them unless -v; an array that runs into unreadable memory (or wraps the
/// address space) ends in `... /* 0xADDR */` at the first word not read.
fn print_string_array(c: &mut Call, addr: u64) {
    if addr == 0 {
        return c.push("NULL");
    }
    let mut at = addr;
    let mut prev = 0u64;
    let mut n = 0usize;
    loop {
        let word = if at < prev { None } else { c.mem.read_u64(at) };
        let Some(word) = word else {
            if n == 0 {
                return c.p_addr(at);
            }
            c.push(&format!(", ... /* {at:#x} */"));
            break;
        };
        if n == 0 {
            c.push("[");
        }
        if word == 0 {
            break;
        }
        if n != 0 {
            c.sep();
        }
        if !c.opts.verbose && n >= c.opts.string_limit {
            c.push("...");
            break;
        }
        c.p_cstring_at(word);
        prev = at;
        at = at.wrapping_add(8);
        n += 1;
    }
    c.push("]");
}

/// strace's printargc, the environment unless -v: `0x7ffd... /* 23 vars */`, with
/// `, unterminated` when the array runs into unreadable memory or wraps around.
fn print_env(c: &mut Call, addr: u64) {
    if c.opts.verbose {
        return print_string_array(c, addr);
    }
    c.p_addr(addr);
    if addr == 0 {
        return;
    }
    let mut at = addr;
    let mut prev = 0u64;
    let mut n = 0u64;
    while at > prev {
        match c.mem.read_u64(at) {
            None if n == 0 => return,
            None => {
                at = 0;
                break;
            }
            Some(0) => break,
            Some(_) => {}
        }
        prev = at;
        at = at.wrapping_add(8);
        n += 1;
    }
    let unterminated = if at < prev { ", unterminated" } else { "" };
    c.push(&format!(
        " /* {n} var{}{unterminated} */",
        if n == 1 { "" } else { "s" }
    ));
}

fn execve(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    print_string_array(c, c.arg(1));
    c.sep();
    print_env(c, c.arg(2));
    Step::Done
}

fn execveat(c: &mut Call) -> Step {
    c.int_args(&[0, 4]);
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    print_string_array(c, c.arg(2));
    c.sep();
    print_env(c, c.arg(3));
    c.sep();
    c.p_flags(
        4,
        &[(0x100, "AT_SYMLINK_NOFOLLOW"), (0x1000, "AT_EMPTY_PATH")],
        "0",
    );
    Step::Done
}

const CLONE_PARENT_SETTID: u64 = 0x100000;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_CHILD_TID: u64 = 0x200000 | 0x1000000;

/// `CLONE_VM|...|SIGCHLD`: the flags with the exit signal in the low byte.
fn clone_flags_text(flags: u64, style: crate::cli::XlatStyle) -> String {
    let sig = (flags & 0xff) as i32;
    let rest = flags & !0xff;
    // strace styles the flag bits and the exit signal separately: `0x... /* A|B */|17 /* SIGCHLD */`.
    let mut parts = Vec::new();
    if rest != 0 {
        parts.push(format::flags(rest, CLONE_FLAGS, "0", style));
    }
    if sig != 0 {
        parts.push(format::styled(&sig.to_string(), &signals::name(sig), style));
    }
    if parts.is_empty() {
        "0".to_string()
    } else {
        parts.join("|")
    }
}

fn clone(c: &mut Call) -> Step {
    // x86_64: clone(flags, stack, parent_tid, child_tid, tls)
    let flags = c.arg(0);
    if !c.exiting {
        c.push("child_stack=");
        c.p_ptr(1);
        c.push(", flags=");
        let t = clone_flags_text(flags, c.style());
        c.push(&t);
        c.ret_style = RetStyle::Decimal;
        if flags & (CLONE_PARENT_SETTID | CLONE_PIDFD | CLONE_CHILD_TID | CLONE_SETTLS) == 0 {
            return Step::Done;
        }
        return Step::AtExit;
    }
    if flags & (CLONE_PARENT_SETTID | CLONE_PIDFD) != 0 {
        c.push(if flags & CLONE_PIDFD != 0 {
            ", pidfd="
        } else {
            ", parent_tid="
        });
        if c.failed() {
            c.p_ptr(2);
        } else {
            c.p_int_ref(c.arg(2));
        }
    }
    if flags & CLONE_SETTLS != 0 {
        c.push(", tls=");
        c.p_ptr(4);
    }
    if flags & CLONE_CHILD_TID != 0 {
        c.push(", child_tidptr=");
        c.p_ptr(3);
    }
    Step::Done
}

/// `clone3({flags=..., ...}, size)` as strace 6.1 prints it: the fields of `struct
/// clone_args` it knows (88 bytes; at least the 64 up to `tls` or only the address),
/// each shown when its flag or value asks; what a larger struct holds past them; and at
/// exit what the kernel wrote: ` => {pidfd=[3], parent_tid=[42]}`.
fn clone3(c: &mut Call) -> Step {
    // struct clone_args: flags, pidfd, child_tid, parent_tid, exit_signal, stack,
    // stack_size, tls, set_tid, set_tid_size, cgroup (u64 each).
    const KNOWN: u64 = 88;
    const MIN_SIZE: u64 = 64;
    const CLONE_INTO_CGROUP: u64 = 0x200000000;
    const MAX_SET_TID_SIZE: u64 = 32;
    let (addr, size) = (c.arg(0), c.arg(1));
    let fetch = size.min(KNOWN);
    let read = |c: &Call| {
        c.mem.read_struct(addr, fetch as usize).map(|bytes| {
            let mut a = [0u64; 11];
            for (field, chunk) in a.iter_mut().zip(bytes.chunks_exact(8)) {
                *field = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
            }
            a
        })
    };
    if !c.exiting {
        let args = if fetch < MIN_SIZE { None } else { read(c) };
        let Some(a) = args else {
            c.p_ptr(0);
            c.sep();
            c.p_ulong(1);
            return Step::Done;
        };
        let flags = a[0];
        let mut s = format!(
            "{{flags={}",
            format::flags(flags, CLONE_FLAGS, "0", c.style())
        );
        if flags & CLONE_PIDFD != 0 {
            s.push_str(&format!(", pidfd={}", format::pointer(a[1])));
        }
        if flags & CLONE_CHILD_TID != 0 {
            s.push_str(&format!(", child_tid={}", format::pointer(a[2])));
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            s.push_str(&format!(", parent_tid={}", format::pointer(a[3])));
        }
        let exit_signal = if a[4] < i32::MAX as u64 {
            signal_text(a[4] as i32, c.style())
        } else {
            a[4].to_string()
        };
        s.push_str(&format!(
            ", exit_signal={exit_signal}, stack={}, stack_size={}",
            format::pointer(a[5]),
            format::hex(a[6])
        ));
        if flags & CLONE_SETTLS != 0 {
            s.push_str(&format!(", tls={}", format::pointer(a[7])));
        }
        let (set_tid, set_tid_size) = (a[8], a[9]);
        if set_tid != 0 || set_tid_size != 0 {
            let tids = if set_tid == 0 || set_tid_size == 0 || set_tid_size > MAX_SET_TID_SIZE {
                format::pointer(set_tid)
            } else {
                array_text(c, set_tid, set_tid_size, 4, |_, b| {
                    i32::from_ne_bytes(b.try_into().expect("4 bytes")).to_string()
                })
            };
            s.push_str(&format!(", set_tid={tids}, set_tid_size={set_tid_size}"));
        }
        if fetch > 80 && (a[10] != 0 || flags & CLONE_INTO_CGROUP != 0) {
            s.push_str(&format!(", cgroup={}", a[10]));
        }
        c.push(&s);
        c.p_struct_rest(addr, fetch, size, ", ");
        c.push("}");
        if flags & (CLONE_PIDFD | CLONE_PARENT_SETTID) == 0 && size <= fetch {
            c.sep();
            c.p_ulong(1);
            return Step::Done;
        }
        return Step::AtExit;
    }
    // What the kernel wrote, read again at exit as strace does.
    if !c.failed() {
        match read(c) {
            None => c.push(&format!(" => {}", format::pointer(addr))),
            Some(a) => {
                let mut prefix = " => {";
                if a[0] & CLONE_PIDFD != 0 {
                    c.push(&format!("{prefix}pidfd="));
                    prefix = ", ";
                    match c.mem.read_i32(a[1]) {
                        Some(fd) => {
                            c.push("[");
                            c.p_fd_value(fd);
                            c.push("]");
                        }
                        None => c.p_addr(a[1]),
                    }
                }
                if a[0] & CLONE_PARENT_SETTID != 0 {
                    c.push(&format!("{prefix}parent_tid="));
                    prefix = ", ";
                    c.p_int_ref(a[3]);
                }
                if size > fetch && c.p_struct_rest(addr, fetch, size, prefix) {
                    prefix = ", ";
                }
                if prefix == ", " {
                    c.push("}");
                }
            }
        }
    }
    c.sep();
    c.p_ulong(1);
    Step::Done
}

/// `[{WIFEXITED(s) && WEXITSTATUS(s) == 0}]` from a wait status.
pub fn wait_status_text(status: i32) -> String {
    // strace's printstatus, with glibc's macros.
    const PTRACE_EVENTS: &format::Xlat = &[
        (1, "PTRACE_EVENT_FORK"),
        (2, "PTRACE_EVENT_VFORK"),
        (3, "PTRACE_EVENT_CLONE"),
        (4, "PTRACE_EVENT_EXEC"),
        (5, "PTRACE_EVENT_VFORK_DONE"),
        (6, "PTRACE_EVENT_EXIT"),
        (7, "PTRACE_EVENT_SECCOMP"),
        (0x80, "PTRACE_EVENT_STOP"),
    ];
    let mut rest = status;
    let term = status & 0x7f;
    let body = if status & 0xff == 0x7f {
        let sig = (status & 0xff00) >> 8;
        rest &= !(sig << 8 | 0x7f);
        let high = if sig & 0x80 != 0 { " | 0x80" } else { "" };
        format!(
            "WIFSTOPPED(s) && WSTOPSIG(s) == {}{high}",
            signals::name(sig & 0x7f)
        )
    } else if (((term + 1) as i8) >> 1) > 0 {
        rest &= !(term | 0x80);
        let core = if status & 0x80 != 0 {
            " && WCOREDUMP(s)"
        } else {
            ""
        };
        format!(
            "WIFSIGNALED(s) && WTERMSIG(s) == {}{core}",
            signals::name(term)
        )
    } else if term == 0 {
        let code = (status & 0xff00) >> 8;
        rest &= !(code << 8);
        format!("WIFEXITED(s) && WEXITSTATUS(s) == {code}")
    } else if status == 0xffff {
        rest = 0;
        "WIFCONTINUED(s)".to_string()
    } else {
        return format!("[{:#x}]", status as u32);
    };
    let mut out = format!("[{{{body}}}");
    if rest != 0 {
        let event = (rest as u32) >> 16;
        if event != 0 {
            let name = format::xlat(
                u64::from(event),
                PTRACE_EVENTS,
                "PTRACE_EVENT_???",
                XlatStyle::Abbrev,
            );
            out.push_str(&format!("|{name}<<16"));
            rest &= 0xffff;
        }
        if rest != 0 {
            out.push_str(&format!("|{:#x}", rest as u32));
        }
    }
    out.push(']');
    out
}

fn wait4(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    if !c.exiting {
        c.p_int(0);
        c.sep();
        return Step::AtExit;
    }
    let status_addr = c.arg(1);
    if status_addr == 0 {
        c.push("NULL");
    } else if c.failed() || c.rval == 0 {
        c.p_addr(status_addr);
    } else {
        match c.mem.read_i32(status_addr) {
            Some(s) => c.push(&wait_status_text(s)),
            None => c.p_addr(status_addr),
        }
    }
    c.sep();
    c.p_flags(2, WAIT_OPTIONS, "0");
    c.sep();
    // strace's printwaitn: the usage only when a child was reaped (a positive result).
    if c.rval <= 0 || c.arg(3) == 0 {
        c.p_ptr(3);
    } else {
        print_rusage(c, c.arg(3));
    }
    Step::Done
}

/// `{ru_utime={tv_sec=0, tv_usec=1197}, ru_stime={...}, ...}`; every field under -v.
fn print_rusage(c: &mut Call, addr: u64) {
    let Some(w) = c.mem.read_value::<[i64; 18]>(addr) else {
        return c.p_addr(addr);
    };
    let mut s = format!(
        "{{ru_utime={{tv_sec={}, tv_usec={}}}, ru_stime={{tv_sec={}, tv_usec={}}}",
        // tv_usec unsigned, as strace's print_timeval_t prints it.
        w[0],
        w[1] as u64,
        w[2],
        w[3] as u64
    );
    if c.opts.verbose {
        let names = [
            "ru_maxrss",
            "ru_ixrss",
            "ru_idrss",
            "ru_isrss",
            "ru_minflt",
            "ru_majflt",
            "ru_nswap",
            "ru_inblock",
            "ru_oublock",
            "ru_msgsnd",
            "ru_msgrcv",
            "ru_nsignals",
            "ru_nvcsw",
            "ru_nivcsw",
        ];
        for (name, v) in names.iter().zip(&w[4..]) {
            s.push_str(&format!(", {name}={v}"));
        }
        s.push('}');
    } else {
        s.push_str(", ...}");
    }
    c.push(&s);
}

fn getrusage(c: &mut Call) -> Step {
    if !c.exiting {
        let who = c.int(0);
        let text = match who {
            0 => "RUSAGE_SELF".to_string(),
            -1 => "RUSAGE_CHILDREN".to_string(),
            1 => "RUSAGE_THREAD".to_string(),
            _ => format!("{who:#x} /* RUSAGE_??? */"),
        };
        let t = format::styled(&who.to_string(), &text, c.style());
        c.push(&t);
        c.sep();
        return Step::AtExit;
    }
    c.p_out(1, print_rusage);
    Step::Done
}

fn exit(c: &mut Call) -> Step {
    c.p_int(0);
    Step::Done
}

/// A signal number argument: `SIGTERM`, or the number.
pub fn signal_arg(c: &mut Call, i: usize) {
    let t = signal_text(c.int(i), c.style());
    c.push(&t);
}

/// strace's printsignal: `SIGINT`, or the number when it names no signal.
pub fn signal_text(sig: i32, style: XlatStyle) -> String {
    if (1..=signals::MAX_SIGNAL).contains(&sig) {
        format::styled(&sig.to_string(), &signals::name(sig), style)
    } else {
        sig.to_string()
    }
}

fn kill(c: &mut Call) -> Step {
    c.p_int(0);
    c.sep();
    signal_arg(c, 1);
    Step::Done
}

fn tgkill(c: &mut Call) -> Step {
    c.p_int(0);
    c.sep();
    c.p_int(1);
    c.sep();
    signal_arg(c, 2);
    Step::Done
}

fn set_tid_address(c: &mut Call) -> Step {
    c.p_ptr(0);
    Step::Done
}

/// The XSAVE features of ARCH_*_XCOMP_*: strace prints them in its verbose style whatever
/// `-X` says, unless `-X raw` (`0x3 /* XFEATURE_MASK_FPSSE */`).
fn xfeature_style(c: &Call) -> XlatStyle {
    match c.style() {
        XlatStyle::Raw => XlatStyle::Raw,
        _ => XlatStyle::Verbose,
    }
}

fn arch_prctl(c: &mut Call) -> Step {
    c.int_args(&[0]);
    let code = c.arg(0);
    let addr = c.arg(1);
    if !c.exiting {
        c.p_xlat(0, ARCH_PRCTL_CODES, "ARCH_???");
    }
    match code {
        // ARCH_GET_FS, ARCH_GET_GS: the base the kernel stores, at exit.
        0x1003 | 0x1004 => {
            if !c.exiting {
                c.sep();
                return Step::AtExit;
            }
            if c.failed() {
                c.p_ptr(1);
            } else {
                match c.mem.read_u64(addr) {
                    // strace's printnum_kptr: a null pointer reads as NULL.
                    Some(0) => c.push("[NULL]"),
                    Some(v) => c.push(&format!("[{}]", format::hex(v))),
                    None => c.p_ptr(1),
                }
            }
            Step::Done
        }
        // ARCH_GET_CPUID takes no argument: strace prints none.
        0x1011 => Step::Done,
        // ARCH_GET_XCOMP_SUPP/PERM/GUEST_PERM: a u64 of feature bits, at exit.
        0x1021 | 0x1022 | 0x1024 => {
            if !c.exiting {
                c.sep();
                return Step::AtExit;
            }
            match (c.failed(), c.mem.read_value::<u64>(addr)) {
                (false, Some(v)) => {
                    let names = format::flag_names_or(v, X86_XFEATURES, "0", "XFEATURE_MASK_???");
                    let t = format::styled(&format::hex(v), &names, xfeature_style(c));
                    c.push(&format!("[{t}]"));
                }
                _ => c.p_ptr(1),
            }
            Step::Done
        }
        // ARCH_REQ_XCOMP_PERM/GUEST_PERM: a feature number; a positive result is a mask.
        0x1023 | 0x1025 => {
            if !c.exiting {
                c.sep();
                let t = format::xlat(addr, X86_XFEATURE_BITS, "XFEATURE_???", xfeature_style(c));
                c.push(&t);
                return Step::AtExit;
            }
            if c.rval > 0 {
                c.ret_style = RetStyle::Hex;
                let names = format::flag_names_plain(c.rval as u64, X86_XFEATURES, "0");
                c.ret_note = Some(format!("({names})"));
            }
            Step::Done
        }
        _ => {
            c.sep();
            c.p_hex(1);
            Step::Done
        }
    }
}

fn set_robust_list(c: &mut Call) -> Step {
    c.p_ptr(0);
    c.sep();
    c.p_ulong(1);
    Step::Done
}

/// `get_robust_list(pid, [head], [len])`: the two values the kernel wrote, at exit.
fn get_robust_list(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_int(0);
        c.sep();
        return Step::AtExit;
    }
    c.p_ptr_ref(c.arg(1));
    c.sep();
    c.p_ulong_ref(c.arg(2));
    Step::Done
}

fn rseq(c: &mut Call) -> Step {
    c.p_ptr(0);
    c.sep();
    c.p_hex(1);
    c.sep();
    c.p_flags(2, &[(1, "RSEQ_FLAG_UNREGISTER")], "0");
    c.sep();
    c.p_hex(3);
    Step::Done
}

/// `8192*1024`, `RLIM64_INFINITY`, or the number (strace's sprint_rlim64: a multiple of
/// 1024 above 1024, so 1024 itself is `1024`).
fn rlim_text(v: u64, style: crate::cli::XlatStyle) -> String {
    let text = if v == u64::MAX {
        "RLIM64_INFINITY".to_string()
    } else if v > 1024 && v % 1024 == 0 {
        format!("{}*1024", v / 1024)
    } else {
        v.to_string()
    };
    format::styled(&v.to_string(), &text, style)
}

fn print_rlimit(c: &mut Call, addr: u64) {
    if addr == 0 {
        return c.push("NULL");
    }
    match c.mem.read_value::<[u64; 2]>(addr) {
        Some([cur, max]) => c.push(&format!(
            "{{rlim_cur={}, rlim_max={}}}",
            rlim_text(cur, c.style()),
            rlim_text(max, c.style())
        )),
        None => c.p_addr(addr),
    }
}

fn prlimit64(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    if !c.exiting {
        c.p_int(0);
        c.sep();
        c.p_xlat(1, RLIMITS, "RLIMIT_???");
        c.sep();
        print_rlimit(c, c.arg(2));
        c.sep();
        return Step::AtExit;
    }
    if c.failed() || c.arg(3) == 0 {
        c.p_ptr(3);
    } else {
        print_rlimit(c, c.arg(3));
    }
    Step::Done
}

fn rlimit(c: &mut Call) -> Step {
    c.int_args(&[0]);
    let is_get = c.nr == 97;
    if !c.exiting {
        c.p_xlat(0, RLIMITS, "RLIMIT_???");
        c.sep();
        if is_get {
            return Step::AtExit;
        }
        print_rlimit(c, c.arg(1));
        return Step::Done;
    }
    c.p_out(1, print_rlimit);
    Step::Done
}

fn getrandom(c: &mut Call) -> Step {
    c.int_args(&[2]);
    if !c.exiting {
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(0);
    } else {
        let len = c.rval as u64;
        let limit = c.opts.string_limit as u64;
        match c.mem.read(c.arg(0), len.min(limit) as usize) {
            Some(bytes) => {
                let q = format::quote(&bytes, 2);
                c.push(&q);
                if len > limit {
                    c.push("...");
                }
            }
            None => c.p_ptr(0),
        }
    }
    c.sep();
    c.p_ulong(1);
    c.sep();
    c.p_flags(
        2,
        &[
            (1, "GRND_NONBLOCK"),
            (2, "GRND_RANDOM"),
            (4, "GRND_INSECURE"),
        ],
        "0",
    );
    Step::Done
}

/// A CPU set as strace prints it: `[0 1 5]`.
/// The size of the kernel's CPU set, as strace finds it: the smallest of 128, 256, ...
/// bytes that sched_getaffinity does not refuse with EINVAL (it fails with EFAULT on the
/// NULL mask once the size is enough).
fn cpuset_size() -> u64 {
    static SIZE: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        let mut size: u64 = 128;
        while size != 0 && size <= 1 << 20 {
            // SAFETY: a NULL mask: the kernel checks the size before writing anything.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_sched_getaffinity,
                    0,
                    size,
                    std::ptr::null_mut::<u8>(),
                )
            };
            if r != -1 || std::io::Error::last_os_error().raw_os_error() != Some(libc::EINVAL) {
                return size;
            }
            size <<= 1;
        }
        128
    })
}

/// strace's print_affinitylist: the CPUs set in the first `len` bytes (at most the
/// kernel's CPU set), `...` when `len` is longer than what was read, `[]` for 0.
fn print_cpu_set(c: &mut Call, addr: u64, len: u64) {
    let len = len & 0xffff_ffff;
    if addr == 0 || !c.mem.reads_structs() {
        return c.p_addr(addr);
    }
    if len == 0 {
        return c.push("[]");
    }
    let read = len.min(cpuset_size());
    let size = read.div_ceil(8) * 8;
    let Some(bytes) = c.mem.read_struct(addr, read as usize) else {
        return c.p_addr(addr);
    };
    let mut cpus: Vec<String> = Vec::new();
    for (i, byte) in bytes.iter().enumerate() {
        for b in 0..8 {
            if byte & (1 << b) != 0 {
                cpus.push((i * 8 + b).to_string());
            }
        }
    }
    if size < len {
        cpus.push("...".to_string());
    }
    c.push(&format!("[{}]", cpus.join(" ")));
}

fn sched_getaffinity(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    if !c.exiting {
        c.p_int(0);
        c.sep();
        c.p_uint_arg(1);
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(2);
    } else {
        print_cpu_set(c, c.arg(2), c.rval as u64);
    }
    Step::Done
}

/// Scheduling policies by number, as strace names them.
const SCHEDULERS: [(i64, &str); 7] = [
    (0, "SCHED_OTHER"),
    (1, "SCHED_FIFO"),
    (2, "SCHED_RR"),
    (3, "SCHED_BATCH"),
    (4, "SCHED_ISO"),
    (5, "SCHED_IDLE"),
    (6, "SCHED_DEADLINE"),
];

/// `sched_getscheduler(pid) = 3 (SCHED_BATCH)`: the policy's name after the number, when
/// it has one (with `SCHED_RESET_ON_FORK` or'ed in it has none, as in strace).
fn sched_getscheduler(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_int(0);
        return Step::AtExit;
    }
    if !c.failed() {
        c.ret_note = SCHEDULERS
            .iter()
            .find(|&&(n, _)| n == c.rval)
            .map(|(_, name)| format!("({name})"));
    }
    Step::Done
}

fn sched_setaffinity(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    c.p_int(0);
    c.sep();
    c.p_uint_arg(1);
    c.sep();
    print_cpu_set(c, c.arg(2), c.arg(1));
    Step::Done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wait_statuses() {
        assert_eq!(
            wait_status_text(0x300),
            "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}]"
        );
        assert_eq!(
            wait_status_text(9),
            "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGKILL}]"
        );
        assert_eq!(
            wait_status_text(0x8b),
            "[{WIFSIGNALED(s) && WTERMSIG(s) == SIGSEGV && WCOREDUMP(s)}]"
        );
        // As strace's printstatus: continued, a stop with a ptrace event, junk bits.
        assert_eq!(wait_status_text(0xffff), "[{WIFCONTINUED(s)}]");
        assert_eq!(
            wait_status_text(0x4057f),
            "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP}|PTRACE_EVENT_EXEC<<16]"
        );
        assert_eq!(
            wait_status_text(0x85 << 8 | 0x7f),
            "[{WIFSTOPPED(s) && WSTOPSIG(s) == SIGTRAP | 0x80}]"
        );
        assert_eq!(
            wait_status_text(0x1230000),
            "[{WIFEXITED(s) && WEXITSTATUS(s) == 0}|0x123 /* PTRACE_EVENT_??? */<<16]"
        );
        assert_eq!(
            wait_status_text(0x10300),
            "[{WIFEXITED(s) && WEXITSTATUS(s) == 3}|PTRACE_EVENT_FORK<<16]"
        );
        assert_eq!(
            wait_status_text(0x7e),
            "[{WIFSIGNALED(s) && WTERMSIG(s) == 126}]"
        );
        assert_eq!(
            rlim_text(8192 * 1024, crate::cli::XlatStyle::Abbrev),
            "8192*1024"
        );
    }

    /// strace prints `rlim_cur=1024` (`RLIMIT_NOFILE`'s usual soft limit), not `1*1024`:
    /// only multiples above 1024 are written `N*1024`. Found by the fuzz target's seeds
    /// (`fuzz/corpus/strace_decode/prlimit64`).
    #[test]
    fn a_limit_of_1024_prints_as_a_number() {
        let abbrev = crate::cli::XlatStyle::Abbrev;
        assert_eq!(rlim_text(1024, abbrev), "1024");
        assert_eq!(rlim_text(2048, abbrev), "2*1024");
        assert_eq!(rlim_text(1023, abbrev), "1023");
        assert_eq!(rlim_text(0, abbrev), "0");
        assert_eq!(rlim_text(u64::MAX, abbrev), "RLIM64_INFINITY");
    }
}
