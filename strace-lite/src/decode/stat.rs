//! The stat family: stat/fstat/lstat/newfstatat (`struct stat`) and statx.

use super::file::AT_FLAGS;
use super::{Call, Decoder, Step};
use crate::cli::XlatStyle;
use crate::format;
use crate::uapi::xlat::stat::{
    FILE_TYPES, FS_MAGIC, STATFS_FLAGS, STATX_ATTRS, STATX_MASK, STATX_SYNC_TYPES,
};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "stat" | "lstat" => stat,
        "fstat" => fstat,
        "newfstatat" => newfstatat,
        "statx" => statx,
        "statfs" => statfs,
        "utimensat" => utimensat,
        "fstatfs" => fstatfs,
        _ => return None,
    })
}

/// `st_mode` under the `-X` style: `S_IFREG|0644`, raw `0100644`, or both.
pub fn mode_styled(mode: u32, style: crate::cli::XlatStyle) -> String {
    format::styled(&format!("0{mode:o}"), &mode_text(mode), style)
}

/// `S_IFREG|S_ISUID|0755`.
pub fn mode_text(mode: u32) -> String {
    let kind = u64::from(mode & 0o170000);
    let mut s = match FILE_TYPES.iter().find(|(v, _)| *v == kind) {
        Some((_, n)) => format!("{n}|"),
        None if kind != 0 => format!("{kind:#o}|"),
        None => String::new(),
    };
    for (bit, name) in [
        (0o4000, "S_ISUID"),
        (0o2000, "S_ISGID"),
        (0o1000, "S_ISVTX"),
    ] {
        if mode & bit != 0 {
            s.push_str(name);
            s.push('|');
        }
    }
    s.push_str(&format::octal(u64::from(mode & 0o777)));
    s
}

/// `makedev(0x8, 0x1)` from a Linux `dev_t`.
fn makedev(dev: u64) -> String {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    makedev_parts(major, minor)
}

/// strace's print_dev_t under the `-X` style: `makedev(0xfe, 0)`, raw `0xfe00`, or both.
fn dev_text(dev: u64, style: XlatStyle) -> String {
    format::styled(&format::hex(dev), &makedev(dev), style)
}

fn makedev_parts(major: u64, minor: u64) -> String {
    format!("makedev({}, {})", format::hex(major), format::hex(minor))
}

/// `1700000000 /* 2023-11-14T22:13:20.123456789+0000 */`, as strace's -v prints times.
fn time_text(sec: i64, nsec: u64) -> String {
    match date_text(sec, nsec) {
        Some(date) => format!("{sec} /* {date} */"),
        None => sec.to_string(),
    }
}

/// `2023-11-14T22:13:20.123456789+0000` in local time (no fraction when `nsec` is 0), as
/// strace's sprinttime_nsec: none for the epoch itself (0, 0), for a `nsec` past
/// 999999999, or for a time `localtime` cannot convert.
pub fn date_text(sec: i64, nsec: u64) -> Option<String> {
    if (sec == 0 && nsec == 0) || nsec > 999_999_999 {
        return None;
    }
    // SAFETY: tm is plain integers; localtime_r fills it.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let t: libc::time_t = sec;
    // SAFETY: localtime_r writes into `tm`, which lives on this stack frame.
    if unsafe { libc::localtime_r(&t, &mut tm) }.is_null() {
        return None;
    }
    let mut buf = [0u8; 64];
    // SAFETY: the format is a NUL-terminated literal; buf has room for the result.
    let n = unsafe { libc::strftime(buf.as_mut_ptr().cast(), buf.len(), c"%FT%T".as_ptr(), &tm) };
    let mut zone = [0u8; 16];
    // SAFETY: as above.
    let z = unsafe { libc::strftime(zone.as_mut_ptr().cast(), zone.len(), c"%z".as_ptr(), &tm) };
    let fraction = if nsec == 0 {
        String::new()
    } else {
        format!(".{nsec:09}")
    };
    Some(format!(
        "{}{fraction}{}",
        String::from_utf8_lossy(&buf[..n]),
        String::from_utf8_lossy(&zone[..z])
    ))
}

/// Print the `struct stat` at `addr`.
fn print_stat(c: &mut Call, addr: u64) {
    let Some(w) = c.mem.read_value::<[u64; 18]>(addr) else {
        return c.p_addr(addr);
    };
    let mode = w[3] as u32;
    let (dev, ino, nlink, uid, gid) = (w[0], w[1], w[2], (w[3] >> 32) as u32, w[4] as u32);
    let (rdev, size, blksize, blocks) = (w[5], w[6] as i64, w[7] as i64, w[8] as i64);
    let kind = mode & 0o170000;
    let is_dev = kind == 0o020000 || kind == 0o060000;
    if c.opts.verbose {
        let mut s = format!(
            "{{st_dev={}, st_ino={ino}, st_mode={}, st_nlink={nlink}, st_uid={uid}, st_gid={gid}, st_blksize={blksize}, st_blocks={blocks}, ",
            dev_text(dev, c.style()),
            mode_styled(mode, c.style())
        );
        if is_dev {
            s.push_str(&format!("st_rdev={}", dev_text(rdev, c.style())));
        } else {
            s.push_str(&format!("st_size={size}"));
        }
        for (name, i) in [("st_atime", 9), ("st_mtime", 11), ("st_ctime", 13)] {
            s.push_str(&format!(
                ", {name}={}, {name}_nsec={}",
                time_text(w[i] as i64, w[i + 1]),
                w[i + 1]
            ));
        }
        s.push('}');
        c.push(&s);
    } else if is_dev {
        c.push(&format!(
            "{{st_mode={}, st_rdev={}, ...}}",
            mode_styled(mode, c.style()),
            dev_text(rdev, c.style())
        ));
    } else {
        c.push(&format!(
            "{{st_mode={}, st_size={size}, ...}}",
            mode_styled(mode, c.style())
        ));
    }
}

fn stat_result(c: &mut Call, i: usize) {
    if c.failed() {
        c.p_ptr(i);
    } else {
        print_stat(c, c.arg(i));
    }
}

fn stat(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_path(0);
        c.sep();
        return Step::AtExit;
    }
    stat_result(c, 1);
    Step::Done
}

fn fstat(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    stat_result(c, 1);
    Step::Done
}

fn newfstatat(c: &mut Call) -> Step {
    c.int_args(&[0, 3]);
    if !c.exiting {
        c.p_dirfd(0);
        c.sep();
        c.p_path(1);
        c.sep();
        return Step::AtExit;
    }
    stat_result(c, 2);
    c.sep();
    c.p_flags(3, AT_FLAGS, "0");
    Step::Done
}

fn statx(c: &mut Call) -> Step {
    c.int_args(&[0, 2, 3]);
    if !c.exiting {
        c.p_dirfd(0);
        c.sep();
        c.p_path(1);
        c.sep();
        // strace prints the 2-bit sync type and the other flags as two flag sets.
        let flags = c.arg(2);
        let (sync, rest) = (flags & 0x6000, flags & !0x6000);
        let head = match c.style() {
            XlatStyle::Abbrev => {
                format::flag_names_plain(sync, STATX_SYNC_TYPES, "AT_STATX_SYNC_AS_STAT")
            }
            // A zero sync type is an empty string under -X raw (sic).
            XlatStyle::Raw if sync == 0 => String::new(),
            style => format::styled(
                &format::hex(sync),
                &format::flag_names_plain(sync, STATX_SYNC_TYPES, "AT_STATX_SYNC_AS_STAT"),
                style,
            ),
        };
        let t = match (rest, c.style()) {
            (0, _) => head,
            (rest, XlatStyle::Abbrev) => {
                format!("{head}|{}", format::flag_names_plain(rest, AT_FLAGS, "0"))
            }
            (rest, style) => format!("{head}|{}", format::flags(rest, AT_FLAGS, "0", style)),
        };
        c.push(&t);
        c.sep();
        c.p_flags(3, STATX_MASK, "0");
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(4);
        return Step::Done;
    }
    let addr = c.arg(4);
    let Some(b) = c.mem.read_struct(addr, 256) else {
        c.p_addr(addr);
        return Step::Done;
    };
    let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap_or([0; 4]));
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
    let mode = u32::from(u16::from_ne_bytes([b[28], b[29]]));
    let style = c.style();
    let verbose = c.opts.verbose;
    let mask = u32_at(0);
    let has = |bit: u32| mask & bit != 0;
    // strace's PRINT_VAL_ID: -1 as -1, any other id unsigned.
    let id = |v: u32| {
        if v == u32::MAX {
            "-1".to_string()
        } else {
            v.to_string()
        }
    };
    let mut s = format!(
        "{{stx_mask={}",
        format::flags(u64::from(mask), STATX_MASK, "0", style)
    );
    if verbose {
        s.push_str(&format!(", stx_blksize={}", u32_at(4)));
    }
    s.push_str(&format!(
        ", stx_attributes={}",
        format::flags(u64_at(8), STATX_ATTRS, "0", style)
    ));
    if verbose {
        if has(STATX_NLINK) {
            s.push_str(&format!(", stx_nlink={}", u32_at(16)));
        }
        if has(STATX_UID) {
            s.push_str(&format!(", stx_uid={}", id(u32_at(20))));
        }
        if has(STATX_GID) {
            s.push_str(&format!(", stx_gid={}", id(u32_at(24))));
        }
    }
    if has(STATX_TYPE | STATX_MODE) {
        s.push_str(&format!(", stx_mode={}", mode_styled(mode, style)));
    }
    if verbose && has(STATX_INO) {
        s.push_str(&format!(", stx_ino={}", u64_at(32)));
    }
    if has(STATX_SIZE) {
        s.push_str(&format!(", stx_size={}", u64_at(40)));
    }
    if verbose {
        if has(STATX_BLOCKS) {
            s.push_str(&format!(", stx_blocks={}", u64_at(48)));
        }
        s.push_str(&format!(
            ", stx_attributes_mask={}",
            format::flags(u64_at(56), STATX_ATTRS, "0", style)
        ));
        for (name, bit, o) in [
            ("stx_atime", STATX_ATIME, 64),
            ("stx_btime", STATX_BTIME, 80),
            ("stx_ctime", STATX_CTIME, 96),
            ("stx_mtime", STATX_MTIME, 112),
        ] {
            if !has(bit) {
                continue;
            }
            let (sec, nsec) = (u64_at(o) as i64, u32_at(o + 8));
            s.push_str(&format!(", {name}={{tv_sec={sec}, tv_nsec={nsec}}}"));
            if let Some(date) = date_text(sec, u64::from(nsec)) {
                s.push_str(&format!(" /* {date} */"));
            }
        }
        s.push_str(&format!(
            ", stx_rdev_major={}, stx_rdev_minor={}, stx_dev_major={}, stx_dev_minor={}",
            u32_at(128),
            u32_at(132),
            u32_at(136),
            u32_at(140)
        ));
        if has(STATX_MNT_ID) {
            s.push_str(&format!(", stx_mnt_id={}", format::hex(u64_at(144))));
        }
        if has(STATX_DIOALIGN) {
            s.push_str(&format!(
                ", stx_dio_mem_align={}, stx_dio_offset_align={}",
                u32_at(152),
                u32_at(156)
            ));
        }
        s.push('}');
    } else {
        s.push_str(", ...}");
    }
    c.push(&s);
    Step::Done
}

// The bits of statx's mask (linux/stat.h) that decide which fields strace prints.
const STATX_TYPE: u32 = 0x1;
const STATX_MODE: u32 = 0x2;
const STATX_NLINK: u32 = 0x4;
const STATX_UID: u32 = 0x8;
const STATX_GID: u32 = 0x10;
const STATX_ATIME: u32 = 0x20;
const STATX_MTIME: u32 = 0x40;
const STATX_CTIME: u32 = 0x80;
const STATX_INO: u32 = 0x100;
const STATX_SIZE: u32 = 0x200;
const STATX_BLOCKS: u32 = 0x400;
const STATX_BTIME: u32 = 0x800;
const STATX_MNT_ID: u32 = 0x1000;
const STATX_DIOALIGN: u32 = 0x2000;

fn print_statfs(c: &mut Call, addr: u64) {
    // struct statfs (x86_64): f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files,
    // f_ffree (longs), f_fsid (2 ints), f_namelen, f_frsize, f_flags (longs).
    let Some(w) = c.mem.read_value::<[u64; 11]>(addr) else {
        return c.p_addr(addr);
    };
    let style = c.style();
    let text = format!(
        "{{f_type={}, f_bsize={}, f_blocks={}, f_bfree={}, f_bavail={}, f_files={}, f_ffree={}, f_fsid={{val=[{}, {}]}}, f_namelen={}, f_frsize={}, f_flags={}}}",
        format::xlat(w[0], FS_MAGIC, "", style),
        w[1],
        w[2],
        w[3],
        w[4],
        w[5],
        w[6],
        format::hex(w[7] & 0xffff_ffff),
        format::hex(w[7] >> 32),
        w[8],
        w[9],
        format::flags(w[10], STATFS_FLAGS, "0", style)
    );
    c.push(&text);
}

fn statfs(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_path(0);
        c.sep();
        return Step::AtExit;
    }
    c.p_out(1, print_statfs);
    Step::Done
}

fn fstatfs(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    c.p_out(1, print_statfs);
    Step::Done
}

/// One `timespec` of utimensat: `UTIME_NOW`, `UTIME_OMIT`, or the time and its date.
fn utime_text(sec: i64, nsec: u64, style: XlatStyle) -> String {
    let special =
        |name: &str| format::styled(&format!("{{tv_sec={sec}, tv_nsec={nsec}}}"), name, style);
    match nsec {
        0x3fff_ffff => special("UTIME_NOW"),
        0x3fff_fffe => special("UTIME_OMIT"),
        _ => match date_text(sec, nsec) {
            Some(date) => format!("{{tv_sec={sec}, tv_nsec={nsec}}} /* {date} */"),
            None => format!("{{tv_sec={sec}, tv_nsec={nsec}}}"),
        },
    }
}

fn utimensat(c: &mut Call) -> Step {
    c.int_args(&[0, 3]);
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    let addr = c.arg(2);
    if addr == 0 {
        c.push("NULL");
    } else {
        match c.mem.read_value::<[i64; 4]>(addr) {
            Some([s0, n0, s1, n1]) => {
                let t = format!(
                    "[{}, {}]",
                    utime_text(s0, n0 as u64, c.style()),
                    utime_text(s1, n1 as u64, c.style())
                );
                c.push(&t);
            }
            None => c.p_addr(addr),
        }
    }
    c.sep();
    c.p_flags(3, AT_FLAGS, "0");
    Step::Done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_and_devices() {
        assert_eq!(mode_text(0o100644), "S_IFREG|0644");
        assert_eq!(mode_text(0o104755), "S_IFREG|S_ISUID|0755");
        assert_eq!(mode_text(0o40000), "S_IFDIR|000");
        assert_eq!(makedev(0x801), "makedev(0x8, 0x1)");
        assert_eq!(makedev(0x103), "makedev(0x1, 0x3)");
    }
}
