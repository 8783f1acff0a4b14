//! Memory: mmap, mprotect, munmap, brk, madvise, mremap, msync, mlock.

use super::{Call, Decoder, RetStyle, Step};
use crate::format::{self, Xlat};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "mmap" => mmap,
        "mprotect" => mprotect,
        "munmap" | "mlock" | "munlock" => addr_len,
        "brk" => brk,
        "madvise" => madvise,
        "mremap" => mremap,
        "msync" => msync,
        _ => return None,
    })
}

const PROT_FLAGS: &Xlat = &[
    (1, "PROT_READ"),
    (2, "PROT_WRITE"),
    (4, "PROT_EXEC"),
    (0x10, "PROT_SEM"),
    (0x01000000, "PROT_GROWSDOWN"),
    (0x02000000, "PROT_GROWSUP"),
];

const MAP_TYPES: &Xlat = &[
    (1, "MAP_SHARED"),
    (2, "MAP_PRIVATE"),
    (3, "MAP_SHARED_VALIDATE"),
];

const MAP_FLAGS: &Xlat = &[
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x40, "MAP_32BIT"),
    (0x80, "MAP_ABOVE4G"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x80000, "MAP_SYNC"),
    (0x4000000, "MAP_UNINITIALIZED"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];

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
    let mut t = MAP_TYPES
        .iter()
        .find(|(v, _)| *v == flags & 0xf)
        .map_or_else(
            || format!("{:#x} /* MAP_??? */", flags & 0xf),
            |(_, n)| n.to_string(),
        );
    let rest = flags & !0xf;
    if rest != 0 {
        t.push('|');
        t.push_str(&format::flag_names_plain(rest, MAP_FLAGS, "0"));
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

const MADVISE: &Xlat = &[
    (0, "MADV_NORMAL"),
    (1, "MADV_RANDOM"),
    (2, "MADV_SEQUENTIAL"),
    (3, "MADV_WILLNEED"),
    (4, "MADV_DONTNEED"),
    (8, "MADV_FREE"),
    (9, "MADV_REMOVE"),
    (10, "MADV_DONTFORK"),
    (11, "MADV_DOFORK"),
    (12, "MADV_MERGEABLE"),
    (13, "MADV_UNMERGEABLE"),
    (14, "MADV_HUGEPAGE"),
    (15, "MADV_NOHUGEPAGE"),
    (16, "MADV_DONTDUMP"),
    (17, "MADV_DODUMP"),
    (18, "MADV_WIPEONFORK"),
    (19, "MADV_KEEPONFORK"),
    (20, "MADV_COLD"),
    (21, "MADV_PAGEOUT"),
    (22, "MADV_POPULATE_READ"),
    (23, "MADV_POPULATE_WRITE"),
    (24, "MADV_DONTNEED_LOCKED"),
    (25, "MADV_COLLAPSE"),
    (100, "MADV_HWPOISON"),
    (101, "MADV_SOFT_OFFLINE"),
];

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
