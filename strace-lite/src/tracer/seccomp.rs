//! `--seccomp-bpf`: a classic-BPF seccomp filter, installed by the command before its
//! `execve`, that returns `SECCOMP_RET_TRACE` for the syscalls of `-e trace=` and
//! `SECCOMP_RET_ALLOW` for the rest, so the kernel stops the tracee
//! (`PTRACE_EVENT_SECCOMP`) only for calls that will be shown. Every descendant inherits
//! the filter, which is why it needs `-f` (an untraced child would get `ENOSYS`), and
//! why it is refused with `-p` (an attached process cannot be given one).

use crate::filter::SyscallSet;
use crate::syscall_table::MAX_NR;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JGE_K: u16 = 0x35;
const BPF_JGT_K: u16 = 0x25;
const BPF_RET_K: u16 = 0x06;
const SECCOMP_RET_TRACE: u32 = 0x7ff0_0000;
const SECCOMP_RET_ALLOW: u32 = 0x7fff_0000;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// `offsetof(struct seccomp_data, nr)` and `arch`.
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

/// The filter for `set`: runs of consecutive traced numbers become one range test.
/// Another architecture's calls (i386 through int 0x80) are all traced; numbers past the
/// table are traced when the set is a complement that includes them.
pub fn program(set: &SyscallSet) -> Vec<libc::sock_filter> {
    let mut prog = vec![
        stmt(BPF_LD_W_ABS, OFFSET_ARCH),
        jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        stmt(BPF_RET_K, SECCOMP_RET_TRACE),
        stmt(BPF_LD_W_ABS, OFFSET_NR),
    ];
    let mut nr = 0usize;
    while nr < MAX_NR {
        if !set.contains(nr as u64) {
            nr += 1;
            continue;
        }
        let lo = nr;
        while nr + 1 < MAX_NR && set.contains(nr as u64 + 1) {
            nr += 1;
        }
        let hi = nr;
        if lo == hi {
            prog.push(jump(BPF_JEQ_K, lo as u32, 0, 1));
        } else {
            prog.push(jump(BPF_JGE_K, lo as u32, 0, 2));
            prog.push(jump(BPF_JGT_K, hi as u32, 1, 0));
        }
        prog.push(stmt(BPF_RET_K, SECCOMP_RET_TRACE));
        nr += 1;
    }
    if set.contains(MAX_NR as u64) {
        prog.push(jump(BPF_JGE_K, MAX_NR as u32, 0, 1));
        prog.push(stmt(BPF_RET_K, SECCOMP_RET_TRACE));
    }
    prog.push(stmt(BPF_RET_K, SECCOMP_RET_ALLOW));
    prog
}

/// Run `prog` on a syscall number as the kernel would: whether the call is traced.
#[cfg(test)]
fn traces(prog: &[libc::sock_filter], arch: u32, nr: u32) -> bool {
    let mut acc = 0u32;
    let mut pc = 0usize;
    loop {
        let ins = prog[pc];
        pc += 1;
        match ins.code {
            BPF_LD_W_ABS => acc = if ins.k == OFFSET_ARCH { arch } else { nr },
            BPF_RET_K => return ins.k == SECCOMP_RET_TRACE,
            code => {
                let taken = match code {
                    BPF_JEQ_K => acc == ins.k,
                    BPF_JGE_K => acc >= ins.k,
                    BPF_JGT_K => acc > ins.k,
                    _ => panic!("unexpected instruction {code:#x}"),
                };
                pc += usize::from(if taken { ins.jt } else { ins.jf });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traces_exactly_the_set() {
        for spec in [
            "accept",
            "read,write,getpid",
            "%file",
            "!read",
            "all",
            "none",
        ] {
            let set = SyscallSet::parse(spec).expect("set");
            let prog = program(&set);
            assert!(prog.len() < 4096, "{spec}: {} instructions", prog.len());
            for nr in 0..(MAX_NR as u32 + 10) {
                assert_eq!(
                    traces(&prog, AUDIT_ARCH_X86_64, nr),
                    set.contains(u64::from(nr)),
                    "{spec}: syscall {nr}"
                );
            }
            assert!(traces(&prog, 0x4000_0003, 1), "i386 calls are traced");
        }
    }
}
