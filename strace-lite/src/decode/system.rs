//! The system: uname, sysinfo, prctl (the options programs commonly use), fadvise64,
//! and the xattr calls `ls` and `cp` make.

use super::process::signal_arg;
use super::{Call, Decoder, Step};
use crate::format;
use crate::uapi::xlat::system::{FADVICE, PRCTL_OPTIONS, XATTR_FLAGS};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "uname" => uname,
        "sysinfo" => sysinfo,
        "prctl" => prctl,
        "fadvise64" => fadvise64,
        "getxattr" | "lgetxattr" => getxattr,
        "fgetxattr" => fgetxattr,
        "setxattr" | "lsetxattr" => setxattr,
        "fsetxattr" => fsetxattr,
        "listxattr" | "llistxattr" => listxattr,
        "flistxattr" => flistxattr,
        "removexattr" | "lremovexattr" => removexattr,
        "fremovexattr" => fremovexattr,
        _ => return None,
    })
}

/// A NUL-padded field of a fixed-size struct, quoted.
fn field(bytes: &[u8], hex: u8) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    format::quote(&bytes[..end], hex)
}

fn uname(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(0);
        return Step::Done;
    }
    let Some(b) = c.mem.read_struct(c.arg(0), 65 * 6) else {
        c.p_ptr(0);
        return Step::Done;
    };
    let f = |i: usize| field(&b[i * 65..(i + 1) * 65], c.opts.hex);
    let text = if c.opts.verbose {
        format!(
            "{{sysname={}, nodename={}, release={}, version={}, machine={}, domainname={}}}",
            f(0),
            f(1),
            f(2),
            f(3),
            f(4),
            f(5)
        )
    } else {
        format!("{{sysname={}, nodename={}, ...}}", f(0), f(1))
    };
    c.push(&text);
    Step::Done
}

fn sysinfo(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(0);
        return Step::Done;
    }
    // struct sysinfo: uptime, loads[3], totalram, freeram, sharedram, bufferram,
    // totalswap, freeswap (longs); procs (u16, padded); totalhigh, freehigh; mem_unit (u32).
    let Some(w) = c.mem.read_value::<[u64; 14]>(c.arg(0)) else {
        c.p_ptr(0);
        return Step::Done;
    };
    let text = format!(
        "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, bufferram={}, totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, mem_unit={}}}",
        w[0] as i64, w[1], w[2], w[3], w[4], w[5], w[6], w[7], w[8], w[9], w[10] & 0xffff, w[11], w[12], w[13] as u32
    );
    c.push(&text);
    Step::Done
}

const CAPABILITIES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

fn prctl(c: &mut Call) -> Step {
    c.int_args(&[0]);
    let option = c.arg(0) & 0xffff_ffff;
    if c.exiting {
        // PR_GET_NAME and PR_GET_PDEATHSIG write their result.
        if c.failed() {
            c.p_ptr(1);
        } else if option == 16 {
            // TASK_COMM_LEN: the kernel writes at most 16 bytes, its NUL included.
            c.p_cstring_bounded(c.arg(1), 16);
        } else {
            // PR_GET_PDEATHSIG: `[SIGINT]`.
            match c.mem.read_i32(c.arg(1)) {
                Some(sig) => {
                    let t = super::process::signal_text(sig, c.style());
                    c.push(&format!("[{t}]"));
                }
                None => c.p_ptr(1),
            }
        }
        return Step::Done;
    }
    c.p_xlat(0, PRCTL_OPTIONS, "PR_???");
    match option {
        1 => {
            c.sep();
            // arg2 is an unsigned long: the kernel refuses junk in its upper half, and
            // strace prints a value above 128 as that whole number.
            if c.arg(1) > 128 {
                c.p_ulong(1);
            } else {
                signal_arg(c, 1);
            }
        }
        2 | 16 => {
            c.sep();
            return Step::AtExit;
        }
        3 | 7 | 21 | 37 | 39 => {}
        4 | 8 | 36 => {
            c.sep();
            c.p_ulong(1);
        }
        15 => {
            c.sep();
            // The kernel reads TASK_COMM_LEN - 1 bytes of the new name.
            c.p_cstring_bounded(c.arg(1), 15);
        }
        23 | 24 => {
            c.sep();
            let cap = c.arg(1);
            match CAPABILITIES.get(cap as usize) {
                Some(name) => {
                    let t = format::styled(&format::hex(cap), name, c.style());
                    c.push(&t);
                }
                None => c.push(&format!("{} /* CAP_??? */", format::hex(cap))),
            }
        }
        38 => {
            for i in 1..5 {
                c.sep();
                c.p_ulong(i);
            }
        }
        _ => {
            for i in 1..5 {
                c.sep();
                c.p_hex(i);
            }
        }
    }
    Step::Done
}

fn fadvise64(c: &mut Call) -> Step {
    c.int_args(&[0, 3]);
    c.p_fd(0);
    c.sep();
    c.p_long(1);
    c.sep();
    c.p_ulong(2);
    c.sep();
    c.p_xlat(3, FADVICE, "POSIX_FADV_???");
    Step::Done
}

/// strace's print_xattr_val: `size` bytes of a value (a NUL as its last byte printed is
/// left out), the address when `size` is past XATTR_SIZE_MAX (a failed get's -1 is), then
/// `insize`.
fn xattr_value(c: &mut Call, i: usize, insize: u64, size: u64) {
    const XATTR_SIZE_MAX: u64 = 65536;
    let addr = c.arg(i);
    if size > XATTR_SIZE_MAX || addr == 0 {
        c.p_addr(addr);
    } else {
        let limit = c.opts.string_limit as u64;
        match c.mem.read(addr, size.min(limit + 1) as usize) {
            Some(mut bytes) => {
                bytes.truncate(size.min(limit) as usize);
                // QUOTE_OMIT_TRAILING_0: a last NUL ends the string, and no `...` follows.
                let omitted = bytes.last() == Some(&0);
                if omitted {
                    bytes.pop();
                }
                let q = format::quote(&bytes, c.opts.hex);
                c.push(&q);
                if !omitted && size > limit {
                    c.push("...");
                }
            }
            None => c.p_addr(addr),
        }
    }
    c.sep();
    c.push(&insize.to_string());
}

fn getxattr(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_path(0);
        c.sep();
        c.p_cstring_at(c.arg(1));
        c.sep();
        return Step::AtExit;
    }
    xattr_value(c, 2, c.arg(3), c.rval as u64);
    Step::Done
}

fn fgetxattr(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        c.p_cstring_at(c.arg(1));
        c.sep();
        return Step::AtExit;
    }
    xattr_value(c, 2, c.arg(3), c.rval as u64);
    Step::Done
}

fn setxattr_tail(c: &mut Call) -> Step {
    c.sep();
    c.p_cstring_at(c.arg(1));
    c.sep();
    xattr_value(c, 2, c.arg(3), c.arg(3));
    c.sep();
    c.p_flags(4, XATTR_FLAGS, "0");
    Step::Done
}

fn setxattr(c: &mut Call) -> Step {
    c.int_args(&[4]);
    c.p_path(0);
    setxattr_tail(c)
}

fn fsetxattr(c: &mut Call) -> Step {
    c.int_args(&[4]);
    c.p_fd(0);
    setxattr_tail(c)
}

fn removexattr(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    c.p_cstring_at(c.arg(1));
    Step::Done
}

fn fremovexattr(c: &mut Call) -> Step {
    c.p_fd(0);
    c.sep();
    c.p_cstring_at(c.arg(1));
    Step::Done
}

/// The NUL-separated name list of listxattr, as strace's print_xattr_list prints it: one
/// string of the returned length; the address for a zero size or a failure.
fn list_result(c: &mut Call) {
    if c.arg(2) == 0 || c.failed() {
        c.p_ptr(1);
    } else {
        c.p_buffer(1, c.rval as u64);
    }
    c.sep();
    c.p_ulong(2);
}

fn listxattr(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_path(0);
        c.sep();
        return Step::AtExit;
    }
    list_result(c);
    Step::Done
}

fn flistxattr(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    list_result(c);
    Step::Done
}
