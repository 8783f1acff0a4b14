//! Thin wrappers around the ptrace requests the tracer uses. Each returns an
//! `io::Result` (ESRCH is normal: a tracee can die at any moment).

use std::io;

/// The options every tracee gets: syscall stops marked with 0x80, every kind of child
/// followed (with `-f`), exec and exit reported.
pub fn seize_options(follow_forks: bool, kill_on_exit: bool, seccomp: bool) -> libc::c_int {
    let mut o = libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_TRACEEXEC | libc::PTRACE_O_TRACEEXIT;
    if follow_forks {
        o |= libc::PTRACE_O_TRACECLONE | libc::PTRACE_O_TRACEFORK | libc::PTRACE_O_TRACEVFORK;
    }
    if seccomp {
        o |= libc::PTRACE_O_TRACESECCOMP;
    }
    if kill_on_exit {
        o |= libc::PTRACE_O_EXITKILL;
    }
    o
}

fn check(ret: libc::c_long) -> io::Result<libc::c_long> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn request(req: libc::c_uint, pid: i32, addr: usize, data: usize) -> io::Result<libc::c_long> {
    // SAFETY: ptrace with integer/pointer arguments the callers size correctly.
    check(unsafe {
        libc::ptrace(
            req,
            pid,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    })
}

pub fn seize(pid: i32, options: libc::c_int) -> io::Result<()> {
    request(libc::PTRACE_SEIZE, pid, 0, options as usize).map(drop)
}

/// Resume until the next syscall stop, delivering `signal` (0 for none).
pub fn syscall(pid: i32, signal: i32) -> io::Result<()> {
    request(libc::PTRACE_SYSCALL, pid, 0, signal as usize).map(drop)
}

/// Resume until the next event (not stopping at syscalls), delivering `signal`.
pub fn cont(pid: i32, signal: i32) -> io::Result<()> {
    request(libc::PTRACE_CONT, pid, 0, signal as usize).map(drop)
}

/// Leave a group-stopped tracee stopped, but let it report the next event (SIGCONT).
pub fn listen(pid: i32) -> io::Result<()> {
    request(libc::PTRACE_LISTEN, pid, 0, 0).map(drop)
}

pub fn interrupt(pid: i32) -> io::Result<()> {
    request(libc::PTRACE_INTERRUPT, pid, 0, 0).map(drop)
}

pub fn set_options(pid: i32, options: libc::c_int) -> io::Result<()> {
    request(libc::PTRACE_SETOPTIONS, pid, 0, options as usize).map(drop)
}

pub fn detach(pid: i32, signal: i32) -> io::Result<()> {
    request(libc::PTRACE_DETACH, pid, 0, signal as usize).map(drop)
}

pub fn event_message(pid: i32) -> io::Result<u64> {
    let mut msg: libc::c_ulong = 0;
    request(
        libc::PTRACE_GETEVENTMSG,
        pid,
        0,
        &mut msg as *mut _ as usize,
    )?;
    Ok(msg)
}

/// The raw `siginfo_t` of the signal a tracee stopped with.
pub fn siginfo(pid: i32) -> io::Result<[u8; 128]> {
    let mut info = [0u8; 128];
    request(libc::PTRACE_GETSIGINFO, pid, 0, info.as_mut_ptr() as usize)?;
    Ok(info)
}

/// `struct ptrace_syscall_info`, with the union as raw words.
#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
struct RawSyscallInfo {
    op: u8,
    reserved: u8,
    flags: u16,
    arch: u32,
    instruction_pointer: u64,
    stack_pointer: u64,
    data: [u64; 8],
}

/// What a syscall stop is about.
#[derive(Debug, Clone, Copy)]
pub enum SyscallStop {
    Entry {
        nr: u64,
        args: [u64; 6],
        stack_pointer: u64,
    },
    Exit {
        rval: i64,
    },
    /// Neither (PTRACE_GET_SYSCALL_INFO unavailable: the caller tracks the phase).
    Unknown {
        nr: u64,
        args: [u64; 6],
        rval: i64,
        stack_pointer: u64,
    },
}

/// `AUDIT_ARCH_I386`: `ptrace_syscall_info.arch` of a 32-bit call.
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const PTRACE_SYSCALL_INFO_ENTRY: u8 = 1;
const PTRACE_SYSCALL_INFO_EXIT: u8 = 2;
const PTRACE_SYSCALL_INFO_SECCOMP: u8 = 3;

/// At a syscall-exit stop: the syscall's number and its result, in one `PTRACE_GETREGS`.
pub fn nr_and_result(pid: i32) -> io::Result<(u64, i64)> {
    // SAFETY: user_regs_struct is plain integers; GETREGS fills it.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    request(libc::PTRACE_GETREGS, pid, 0, &mut regs as *mut _ as usize)?;
    // rt_sigreturn restores the registers of the interrupted code, with orig_rax -1 so
    // that nothing restarts: at its exit that is the only call without a number.
    let nr = match regs.orig_rax {
        u64::MAX => libc::SYS_rt_sigreturn as u64,
        nr => nr,
    };
    Ok((nr, regs.rax as i64))
}

/// All general registers.
pub fn regs(pid: i32) -> io::Result<libc::user_regs_struct> {
    // SAFETY: user_regs_struct is plain integers; GETREGS fills it.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    request(libc::PTRACE_GETREGS, pid, 0, &mut regs as *mut _ as usize)?;
    Ok(regs)
}

/// `PTRACE_GET_SYSCALL_INFO`, falling back to `PTRACE_GETREGS` on kernels before 5.3.
pub fn syscall_info(pid: i32) -> io::Result<SyscallStop> {
    let mut info = RawSyscallInfo::default();
    let size = std::mem::size_of::<RawSyscallInfo>();
    match request(
        libc::PTRACE_GET_SYSCALL_INFO as libc::c_uint,
        pid,
        size,
        &mut info as *mut _ as usize,
    ) {
        // A seccomp stop is the entry of a call the filter traces (same layout).
        Ok(_) if info.op == PTRACE_SYSCALL_INFO_ENTRY || info.op == PTRACE_SYSCALL_INFO_SECCOMP => {
            let mut args = [0u64; 6];
            args.copy_from_slice(&info.data[1..7]);
            // An i386 call (`int $0x80`) has i386 numbers: numbered apart.
            let nr = if info.arch == AUDIT_ARCH_I386 {
                crate::syscall_table::I386_BASE + (info.data[0] & 0xffff_ffff)
            } else {
                info.data[0]
            };
            return Ok(SyscallStop::Entry {
                nr,
                args,
                stack_pointer: info.stack_pointer,
            });
        }
        Ok(_) if info.op == PTRACE_SYSCALL_INFO_EXIT => {
            return Ok(SyscallStop::Exit {
                rval: info.data[0] as i64,
            });
        }
        Err(e) if e.raw_os_error() == Some(libc::ESRCH) => return Err(e),
        _ => {}
    }
    // SAFETY: user_regs_struct is plain integers; GETREGS fills it.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    request(libc::PTRACE_GETREGS, pid, 0, &mut regs as *mut _ as usize)?;
    Ok(SyscallStop::Unknown {
        nr: regs.orig_rax,
        args: [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9],
        rval: regs.rax as i64,
        stack_pointer: regs.rsp,
    })
}
