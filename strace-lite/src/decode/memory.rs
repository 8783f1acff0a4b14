//! Memory: mmap, mprotect, munmap, brk, madvise, mremap, msync, mlock.

use super::{Call, Decoder, RetStyle, Step};
use crate::format;
use crate::uapi::xlat::memory::{
    MADVISE, MAP_FLAGS, MAP_TYPES, MLOCKALL_FLAGS, PKEY_ACCESS, PROT_FLAGS,
};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "mmap" => mmap,
        "mprotect" => mprotect,
        "munmap" | "mlock" | "munlock" => addr_len,
        "brk" => brk,
        "madvise" => madvise,
        "mremap" => mremap,
        "msync" => msync,
        "mlockall" => mlockall,
        "pkey_alloc" => pkey_alloc,
        "pkey_free" => pkey_free,
        "pkey_mprotect" => pkey_mprotect,
        _ => return None,
    })
}

fn prot(c: &mut Call, i: usize) {
    c.p_flags(i, PROT_FLAGS, "PROT_NONE");
}

fn mmap(c: &mut Call) -> Step {
    c.p_ptr(0);
    c.sep();
    c.p_ulong(1);
    c.sep();
    prot(c, 2);
    c.sep();
    let flags = c.arg(3);
    // strace's print_mmap_flags: the type (MAP_FILE for 0), the other flags, and the huge
    // page size as `N<<MAP_HUGE_SHIFT`.
    let kind = flags & 0xf;
    let mut t = match MAP_TYPES.iter().find(|(v, _)| *v == kind) {
        Some((_, n)) => n.to_string(),
        None if kind == 0 => "MAP_FILE".to_string(),
        None => format!("{kind:#x} /* MAP_??? */"),
    };
    const HUGE_MASK: u64 = 0x3f << 26;
    let huge = flags & HUGE_MASK;
    // strace clears the huge page bits with an `unsigned int` mask, which clears the upper
    // half of the register too: junk there shows only in the raw value.
    let rest = flags & !0xf & !HUGE_MASK & 0xffff_ffff;
    if rest != 0 {
        t.push('|');
        t.push_str(&format::flag_names_plain(rest, MAP_FLAGS, "0"));
    }
    if huge != 0 {
        t.push_str(&format!("|{}<<MAP_HUGE_SHIFT", huge >> 26));
    }
    let t = format::styled(&format::hex(flags), &t, c.style());
    c.push(&t);
    c.sep();
    c.p_fd(4);
    c.sep();
    c.p_hex(5);
    c.ret_style = RetStyle::Hex;
    Step::Done
}

/// pkey_alloc: the flags in hex and the access rights, both from the whole register as
/// strace prints them (`PKEY_DISABLE_WRITE|0xbadc0ded00000000`).
fn pkey_alloc(c: &mut Call) -> Step {
    c.p_hex(0);
    c.sep();
    let t = format::flag_names_or(c.arg(1), PKEY_ACCESS, "0", "PKEY_???");
    let t = format::styled(&format::hex(c.arg(1)), &t, c.style());
    c.push(&t);
    Step::Done
}

/// pkey_free: the key, an `int`.
fn pkey_free(c: &mut Call) -> Step {
    c.p_int(0);
    Step::Done
}

/// pkey_mprotect: mprotect's arguments and the key, an `int`.
fn pkey_mprotect(c: &mut Call) -> Step {
    mprotect(c);
    c.sep();
    c.p_int(3);
    Step::Done
}

fn mlockall(c: &mut Call) -> Step {
    c.p_flags(0, MLOCKALL_FLAGS, "0");
    Step::Done
}

fn mprotect(c: &mut Call) -> Step {
    c.p_ptr(0);
    c.sep();
    c.p_ulong(1);
    c.sep();
    prot(c, 2);
    Step::Done
}

fn addr_len(c: &mut Call) -> Step {
    c.p_ptr(0);
    c.sep();
    c.p_ulong(1);
    Step::Done
}

fn brk(c: &mut Call) -> Step {
    c.p_ptr(0);
    c.ret_style = RetStyle::Hex;
    Step::Done
}

fn madvise(c: &mut Call) -> Step {
    c.int_args(&[2]);
    addr_len(c);
    c.sep();
    c.p_xlat(2, MADVISE, "MADV_???");
    Step::Done
}

fn mremap(c: &mut Call) -> Step {
    c.p_ptr(0);
    c.sep();
    c.p_ulong(1);
    c.sep();
    c.p_ulong(2);
    c.sep();
    let flags = c.arg(3);
    c.p_flags(
        3,
        &[
            (1, "MREMAP_MAYMOVE"),
            (2, "MREMAP_FIXED"),
            (4, "MREMAP_DONTUNMAP"),
        ],
        "0",
    );
    if flags & 2 != 0 {
        c.sep();
        c.p_ptr(4);
    }
    c.ret_style = RetStyle::Hex;
    Step::Done
}

fn msync(c: &mut Call) -> Step {
    c.int_args(&[2]);
    addr_len(c);
    c.sep();
    c.p_flags(
        2,
        &[(1, "MS_ASYNC"), (2, "MS_INVALIDATE"), (4, "MS_SYNC")],
        "0",
    );
    Step::Done
}
