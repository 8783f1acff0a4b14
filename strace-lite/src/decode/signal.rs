//! Signals: rt_sigaction, rt_sigprocmask, rt_sigreturn, rt_sigsuspend, rt_sigpending, and
//! the `[INT TERM]` / `~[KILL STOP]` signal-set notation.

use super::{Call, Decoder, Step};
use crate::format;
use crate::signals;
use crate::uapi::xlat::signal::{SA_FLAGS, SS_FLAGS};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "rt_sigaction" => rt_sigaction,
        "rt_sigprocmask" => rt_sigprocmask,
        "rt_sigreturn" => rt_sigreturn,
        "rt_sigsuspend" => rt_sigsuspend,
        "rt_sigpending" => rt_sigpending,
        "sigaltstack" => sigaltstack,
        _ => return None,
    })
}

/// `[INT TERM]`, or `~[KILL STOP]` when more than half the signals are in the set;
/// under `-X verbose`, `[17 /* CHLD */]`.
pub fn sigset_styled(mask: u64, bits: u32, style: crate::cli::XlatStyle) -> String {
    let bits = bits.clamp(1, 64);
    let valid = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let mask = mask & valid;
    let (prefix, shown) = if mask.count_ones() * 2 > bits {
        ("~", !mask & valid)
    } else {
        ("", mask)
    };
    let names: Vec<String> = (0..bits)
        .filter(|b| shown & (1u64 << b) != 0)
        .map(|b| {
            let n = signals::name(b as i32 + 1);
            let short = n.strip_prefix("SIG").map(str::to_string).unwrap_or(n);
            format::styled(&(b + 1).to_string(), &short, style)
        })
        .collect();
    format!("{prefix}[{}]", names.join(" "))
}

/// Print the signal set of `size` bytes at `addr`.
pub fn print_sigset_at(c: &mut Call, addr: u64, size: u64) {
    // strace's print_sigset_addr_len: a size below a word is not a sigset either.
    let word = if crate::syscall_table::is_i386(c.nr) {
        4
    } else {
        8
    };
    print_sigset_at_least(c, addr, size, word);
}

/// strace's print_sigset_addr_len_limit: the address, unless `size` is between `min` and
/// the kernel's 8 bytes.
pub fn print_sigset_at_least(c: &mut Call, addr: u64, size: u64, min: u64) {
    if addr == 0 {
        return c.push("NULL");
    }
    if size < min || size > 8 {
        return c.p_addr(addr);
    }
    match c.mem.read_struct(addr, size as usize) {
        Some(b) => {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(&b);
            let t = sigset_styled(u64::from_ne_bytes(w), size as u32 * 8, c.style());
            c.push(&t);
        }
        None => c.p_addr(addr),
    }
}

fn print_sigaction(c: &mut Call, addr: u64) {
    if addr == 0 {
        return c.push("NULL");
    }
    let Some([handler, flags, restorer, mask]) = c.mem.read_value::<[u64; 4]>(addr) else {
        return c.p_addr(addr);
    };
    let h = match handler {
        0 => format::styled("0", "SIG_DFL", c.style()),
        1 => format::styled("0x1", "SIG_IGN", c.style()),
        _ => format!("{handler:#x}"),
    };
    let mut s = format!(
        "{{sa_handler={h}, sa_mask={}, sa_flags={}",
        sigset_styled(mask, 64, c.style()),
        format::flags(flags, SA_FLAGS, "0", c.style())
    );
    if flags & 0x04000000 != 0 {
        s.push_str(&format!(", sa_restorer={}", format::pointer(restorer)));
    }
    s.push('}');
    c.push(&s);
}

fn rt_sigaction(c: &mut Call) -> Step {
    if !c.exiting {
        super::process::signal_arg(c, 0);
        c.sep();
        print_sigaction(c, c.arg(1));
        c.sep();
        return Step::AtExit;
    }
    c.p_out(2, print_sigaction);
    c.sep();
    c.p_ulong(3);
    Step::Done
}

fn rt_sigprocmask(c: &mut Call) -> Step {
    c.int_args(&[0]);
    if !c.exiting {
        c.p_xlat(
            0,
            &[(0, "SIG_BLOCK"), (1, "SIG_UNBLOCK"), (2, "SIG_SETMASK")],
            "SIG_???",
        );
        c.sep();
        print_sigset_at(c, c.arg(1), c.arg(3));
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(2);
    } else {
        print_sigset_at(c, c.arg(2), c.arg(3));
    }
    c.sep();
    c.p_ulong(3);
    Step::Done
}

/// Offset of `uc_sigmask` in the x86_64 ucontext that `rt_sigreturn` finds at the stack
/// pointer (the frame's return address has already been popped).
const UC_SIGMASK_OFFSET: u64 = 8 + 8 + 24 + 256;

fn rt_sigreturn(c: &mut Call) -> Step {
    let addr = c.stack_pointer.wrapping_add(UC_SIGMASK_OFFSET);
    match c.mem.read_u64(addr) {
        Some(mask) => {
            let t = sigset_styled(mask, 64, c.style());
            c.push(&format!("{{mask={t}}}"))
        }
        None => c.push(&format!("{{mask={addr:#x}}}")),
    }
    Step::Done
}

fn rt_sigsuspend(c: &mut Call) -> Step {
    print_sigset_at(c, c.arg(0), c.arg(1));
    c.sep();
    c.p_ulong(1);
    Step::Done
}

fn rt_sigpending(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(0);
    } else {
        // One of the few calls whose set may be shorter than a word.
        print_sigset_at_least(c, c.arg(0), c.arg(1), 1);
    }
    c.sep();
    c.p_ulong(1);
    Step::Done
}

/// `{ss_sp=0x7f..., ss_flags=0, ss_size=8192}`.
fn print_stack(c: &mut Call, addr: u64) {
    if addr == 0 {
        return c.push("NULL");
    }
    match c.mem.read_value::<[u64; 3]>(addr) {
        Some([sp, flags, size]) => {
            let f = format::flags(flags & 0xffff_ffff, SS_FLAGS, "0", c.style());
            c.push(&format!(
                "{{ss_sp={}, ss_flags={f}, ss_size={size}}}",
                format::pointer(sp)
            ));
        }
        None => c.p_addr(addr),
    }
}

fn sigaltstack(c: &mut Call) -> Step {
    if !c.exiting {
        print_stack(c, c.arg(0));
        c.sep();
        return Step::AtExit;
    }
    c.p_out(1, print_stack);
    Step::Done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_sets() {
        use crate::cli::XlatStyle::{Abbrev, Verbose};
        assert_eq!(sigset_styled(0, 64, Abbrev), "[]");
        assert_eq!(
            sigset_styled((1 << 1) | (1 << 14), 64, Abbrev),
            "[INT TERM]"
        );
        assert_eq!(sigset_styled(u64::MAX, 64, Abbrev), "~[]");
        assert_eq!(
            sigset_styled(!((1 << 8) | (1 << 18)), 64, Abbrev),
            "~[KILL STOP]"
        );
        assert_eq!(sigset_styled(1 << 31, 64, Abbrev), "[RTMIN]");
        assert_eq!(sigset_styled(1 << 16, 64, Verbose), "[17 /* CHLD */]");
    }
}
