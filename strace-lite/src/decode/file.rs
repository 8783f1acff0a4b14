//! Files and descriptors: open/openat/creat, read/write and their p/v variants, close,
//! lseek, getdents, access, unlink/rename/mkdir, dup, pipe, getcwd, umask, sendfile...

use super::array::array_text;
use super::{Call, Decoder, RetStyle, Step};
use crate::format;
use crate::uapi::xlat::file::{
    ACCESS_FLAGS, ACCESS_MODES, DIRENT_TYPES, RESOLVE_FLAGS, SEEK_WHENCE,
};
pub(crate) use crate::uapi::xlat::file::{AT_FLAGS, OPEN_FLAGS};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "open" => open,
        "openat" => openat,
        "openat2" => openat2,
        "creat" => creat,
        "read" => read,
        "write" => write,
        "pread64" => pread,
        "pwrite64" => pwrite,
        "readv" => readv,
        "writev" => writev,
        "preadv" => preadv,
        "pwritev" => pwritev,
        "close" | "fsync" | "fdatasync" | "fchdir" | "syncfs" => fd_only,
        "lseek" => lseek,
        "getdents" | "getdents64" => getdents,
        "access" => access,
        "faccessat" => faccessat,
        "faccessat2" => faccessat2,
        "unlink" | "rmdir" | "chdir" | "chroot" | "acct" | "swapoff" => path_only,
        "unlinkat" => unlinkat,
        "rename" | "link" | "symlink" => two_paths,
        "renameat" => renameat,
        "renameat2" => renameat2,
        "linkat" => linkat,
        "symlinkat" => symlinkat,
        "mkdir" | "chmod" => path_mode,
        "mkdirat" => mkdirat,
        "fchmod" => fchmod,
        "fchmodat" => fchmodat,
        "truncate" => truncate,
        "ftruncate" => ftruncate,
        "readlink" => readlink,
        "readlinkat" => readlinkat,
        "getcwd" => getcwd,
        "umask" => umask,
        "dup" => dup,
        "dup2" => dup2,
        "dup3" => dup3,
        "pipe" => pipe,
        "pipe2" => pipe2,
        "sendfile" => sendfile,
        "chown" | "lchown" => chown,
        "fchown" => fchown,
        "close_range" => close_range,
        _ => return None,
    })
}

/// `O_RDWR|O_CREAT|O_CLOEXEC`: the access mode, then the other flags.
pub fn open_flags(value: u64, style: crate::cli::XlatStyle) -> String {
    let mode = ACCESS_MODES
        .iter()
        .find(|(v, _)| *v == value & 3)
        .map_or("O_ACCMODE", |(_, n)| *n);
    let rest = value & !3;
    let text = if rest == 0 {
        mode.to_string()
    } else {
        format!("{mode}|{}", format::flag_names_plain(rest, OPEN_FLAGS, "0"))
    };
    format::styled(&format::hex(value), &text, style)
}

/// Whether open's flags make it take a mode: `O_CREAT`, or the `__O_TMPFILE` bit alone
/// (strace tests that bit, not all of `O_TMPFILE`, which adds `O_DIRECTORY`).
fn takes_mode(flags: u64) -> bool {
    const O_CREAT: u64 = 0o100;
    const __O_TMPFILE: u64 = 0o20000000;
    flags & (O_CREAT | __O_TMPFILE) != 0
}

fn open_tail(c: &mut Call, flags_arg: usize) -> Step {
    let flags = c.arg(flags_arg);
    let text = open_flags(flags, c.style());
    c.push(&text);
    if takes_mode(flags) {
        c.sep();
        c.push(&format::octal(c.arg(flags_arg + 1) & 0o177777));
    }
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn open(c: &mut Call) -> Step {
    c.int_args(&[1]);
    c.p_path(0);
    c.sep();
    open_tail(c, 1)
}

fn openat(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    open_tail(c, 2)
}

/// `openat2(dirfd, path, {flags=..., mode=..., resolve=...}, size)`: the 24 bytes of
/// `struct open_how` strace 6.1 knows, then what the caller's larger struct holds past
/// them (strace's print_nonzero_bytes).
fn openat2(c: &mut Call) -> Step {
    const OPEN_HOW_SIZE: u64 = 24;
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    let (addr, size) = (c.arg(2), c.arg(3));
    match c.mem.read_value::<[u64; 3]>(addr) {
        Some([flags, mode, resolve]) if size >= OPEN_HOW_SIZE => {
            let mut s = format!("{{flags={}", open_flags(flags, c.style()));
            if takes_mode(flags) || mode != 0 {
                s.push_str(&format!(", mode={}", format::octal(mode)));
            }
            s.push_str(&format!(
                ", resolve={}",
                format::flags(resolve, RESOLVE_FLAGS, "0", c.style())
            ));
            c.push(&s);
            c.p_struct_rest(addr, OPEN_HOW_SIZE, size, ", ");
            c.push("}");
        }
        _ => c.p_ptr(2),
    }
    c.sep();
    c.p_ulong(3);
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn creat(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    c.push(&format::octal(c.arg(1) & 0o177777));
    c.ret_style = RetStyle::Fd;
    Step::Done
}

/// Print what a read-like call stored: `rval` bytes of the buffer, or its address.
fn read_result(c: &mut Call, buf: usize) {
    if c.failed() {
        c.p_ptr(buf);
    } else {
        c.p_buffer(buf, c.rval as u64);
    }
}

fn read(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    read_result(c, 1);
    c.sep();
    c.p_ulong(2);
    Step::Done
}

fn write(c: &mut Call) -> Step {
    c.p_fd(0);
    c.sep();
    c.p_buffer(1, c.arg(2));
    c.sep();
    c.p_ulong(2);
    Step::Done
}

fn pread(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    read_result(c, 1);
    c.sep();
    c.p_ulong(2);
    c.sep();
    c.p_long(3);
    Step::Done
}

fn pwrite(c: &mut Call) -> Step {
    write(c);
    c.sep();
    c.p_long(3);
    Step::Done
}

/// How [`print_iovec`] shows each `iov_base`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IovBases {
    /// The bytes, at most `data_len` of them over the whole array (strace's iov_decode_str).
    Contents,
    /// Only the address, for a read that failed (strace's iov_decode_addr).
    Addresses,
}

/// strace's tprint_iov_upto: an iovec array by strace's print_array rules (`[]`, cut at
/// `-s` elements, `... /* 0xADDR */` where it becomes unreadable), each `iov_base` shown
/// as `bases` says; `data_len` bounds the bytes shown (what was transferred).
pub fn print_iovec(c: &mut Call, addr: u64, count: u64, data_len: Option<u64>, bases: IovBases) {
    let mut remaining = data_len.unwrap_or(u64::MAX);
    let text = array_text(c, addr, count, 16, |c, b| {
        let base = u64::from_ne_bytes(b[..8].try_into().expect("8 bytes"));
        let len = u64::from_ne_bytes(b[8..].try_into().expect("8 bytes"));
        let visible = len.min(remaining);
        remaining -= visible;
        let shown = match bases {
            IovBases::Contents => c.buffer_text(base, visible, c.opts.hex),
            IovBases::Addresses => format::pointer(base),
        };
        format!("{{iov_base={shown}, iov_len={len}}}")
    });
    c.push(&text);
}

/// What a readv-like call stored: contents up to the result, or the bases when it failed.
fn print_read_iovec(c: &mut Call) {
    let bases = if c.failed() {
        IovBases::Addresses
    } else {
        IovBases::Contents
    };
    print_iovec(c, c.arg(1), c.arg(2), Some(c.rval as u64), bases);
}

fn readv(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    print_read_iovec(c);
    c.sep();
    c.p_ulong(2);
    Step::Done
}

fn writev(c: &mut Call) -> Step {
    c.p_fd(0);
    c.sep();
    print_iovec(c, c.arg(1), c.arg(2), None, IovBases::Contents);
    c.sep();
    c.p_ulong(2);
    Step::Done
}

fn preadv(c: &mut Call) -> Step {
    if !c.exiting {
        return readv(c);
    }
    readv(c);
    c.sep();
    c.p_long(3);
    Step::Done
}

fn pwritev(c: &mut Call) -> Step {
    writev(c);
    c.sep();
    c.p_long(3);
    Step::Done
}

fn fd_only(c: &mut Call) -> Step {
    c.p_fd(0);
    Step::Done
}

fn lseek(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    c.p_fd(0);
    c.sep();
    c.p_long(1);
    c.sep();
    c.p_xlat(2, SEEK_WHENCE, "SEEK_???");
    Step::Done
}

fn getdents(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    let is64 = c.nr == 217;
    if c.failed() {
        c.p_ptr(1);
    } else {
        // strace's bounds on the return value: at most 1 MiB is read, and nothing when it
        // is less than one entry (24 bytes); a buffer that cannot be read is its address.
        let len = match c.rval {
            r if r > 1 << 20 => 1 << 20,
            r if r < 24 => 0,
            r => r as usize,
        };
        let buf = if len == 0 {
            Vec::new()
        } else if let Some(buf) = c.mem.read_struct(c.arg(1), len) {
            buf
        } else {
            c.p_ptr(1);
            c.sep();
            c.p_uint_arg(2);
            return Step::Done;
        };
        let mut entries = Vec::new();
        let mut off = 0usize;
        while off + 19 <= buf.len() {
            let ino = u64::from_ne_bytes(buf[off..off + 8].try_into().unwrap_or([0; 8]));
            let d_off = i64::from_ne_bytes(buf[off + 8..off + 16].try_into().unwrap_or([0; 8]));
            let reclen = u16::from_ne_bytes([buf[off + 16], buf[off + 17]]) as usize;
            if reclen < 19 || off + reclen > buf.len() {
                break;
            }
            let (dtype, name_start) = if is64 {
                (buf[off + 18], off + 19)
            } else {
                (buf[off + reclen - 1], off + 18)
            };
            let name_bytes = &buf[name_start..off + reclen];
            let name_len = name_bytes
                .iter()
                .position(|&b| b == 0)
                .unwrap_or(name_bytes.len());
            entries.push((ino, d_off, reclen, dtype, name_bytes[..name_len].to_vec()));
            off += reclen;
        }
        if c.opts.verbose {
            c.push("[");
            for (i, (ino, d_off, reclen, dtype, name)) in entries.iter().enumerate() {
                if i > 0 {
                    c.sep();
                }
                let t = format::xlat(u64::from(*dtype), DIRENT_TYPES, "DT_???", c.style());
                let n = format::quote(name, c.opts.hex);
                c.push(&format!(
                    "{{d_ino={ino}, d_off={d_off}, d_reclen={reclen}, d_type={t}, d_name={n}}}"
                ));
            }
            c.push("]");
        } else {
            c.p_ptr(1);
            c.push(&format!(" /* {} entries */", entries.len()));
        }
    }
    c.sep();
    c.p_uint_arg(2);
    Step::Done
}

fn access_mode(c: &mut Call, i: usize) {
    let text = format::flag_names_or(c.arg(i), ACCESS_FLAGS, "F_OK", "?_OK");
    let t = format::styled(&format::hex(c.arg(i)), &text, c.style());
    c.push(&t);
}

fn access(c: &mut Call) -> Step {
    c.int_args(&[1]);
    c.p_path(0);
    c.sep();
    access_mode(c, 1);
    Step::Done
}

fn faccessat(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    access_mode(c, 2);
    Step::Done
}

fn faccessat2(c: &mut Call) -> Step {
    c.int_args(&[0, 2, 3]);
    faccessat(c);
    c.sep();
    let t = format::flags(
        c.arg(3),
        &[
            (0x200, "AT_EACCESS"),
            (0x100, "AT_SYMLINK_NOFOLLOW"),
            (0x1000, "AT_EMPTY_PATH"),
        ],
        "0",
        c.style(),
    );
    c.push(&t);
    Step::Done
}

fn path_only(c: &mut Call) -> Step {
    c.p_path(0);
    Step::Done
}

fn unlinkat(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    c.p_flags(2, AT_FLAGS, "0");
    Step::Done
}

fn two_paths(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    c.p_path(1);
    Step::Done
}

fn renameat(c: &mut Call) -> Step {
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    c.p_dirfd(2);
    c.sep();
    c.p_path(3);
    Step::Done
}

fn renameat2(c: &mut Call) -> Step {
    c.int_args(&[4]);
    renameat(c);
    c.sep();
    c.p_flags(
        4,
        &[
            (1, "RENAME_NOREPLACE"),
            (2, "RENAME_EXCHANGE"),
            (4, "RENAME_WHITEOUT"),
        ],
        "0",
    );
    Step::Done
}

fn linkat(c: &mut Call) -> Step {
    c.int_args(&[4]);
    renameat(c);
    c.sep();
    c.p_flags(4, AT_FLAGS, "0");
    Step::Done
}

fn symlinkat(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    c.p_dirfd(1);
    c.sep();
    c.p_path(2);
    Step::Done
}

fn path_mode(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    c.push(&format::octal(c.arg(1) & 0o177777));
    Step::Done
}

fn mkdirat(c: &mut Call) -> Step {
    c.p_dirfd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    c.push(&format::octal(c.arg(2) & 0o177777));
    Step::Done
}

fn fchmod(c: &mut Call) -> Step {
    c.p_fd(0);
    c.sep();
    c.push(&format::octal(c.arg(1) & 0o177777));
    Step::Done
}

fn fchmodat(c: &mut Call) -> Step {
    mkdirat(c)
}

fn truncate(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    c.p_long(1);
    Step::Done
}

fn ftruncate(c: &mut Call) -> Step {
    c.p_fd(0);
    c.sep();
    c.p_long(1);
    Step::Done
}

fn readlink_result(c: &mut Call, buf: usize, size: usize) {
    if c.failed() {
        c.p_ptr(buf);
    } else {
        c.p_buffer(buf, c.rval as u64);
    }
    c.sep();
    c.p_ulong(size);
}

fn readlink(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_path(0);
        c.sep();
        return Step::AtExit;
    }
    readlink_result(c, 1, 2);
    Step::Done
}

fn readlinkat(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_dirfd(0);
        c.sep();
        c.p_path(1);
        c.sep();
        return Step::AtExit;
    }
    readlink_result(c, 2, 3);
    Step::Done
}

fn getcwd(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(0);
    } else {
        c.p_path(0);
    }
    c.sep();
    c.p_ulong(1);
    Step::Done
}

fn umask(c: &mut Call) -> Step {
    c.push(&format::octal(c.arg(0) & 0o7777));
    c.ret_style = RetStyle::Octal;
    Step::Done
}

fn dup(c: &mut Call) -> Step {
    c.p_fd(0);
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn dup2(c: &mut Call) -> Step {
    c.p_fd(0);
    c.sep();
    c.p_fd(1);
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn dup3(c: &mut Call) -> Step {
    c.int_args(&[0, 1, 2]);
    dup2(c);
    c.sep();
    c.p_flags(2, &[(0o2000000, "O_CLOEXEC")], "0");
    Step::Done
}

fn pipe_fds(c: &mut Call) {
    if c.failed() {
        return c.p_ptr(0);
    }
    match c.mem.read_value::<[i32; 2]>(c.arg(0)) {
        Some(fds) => c.p_fd_pair(fds),
        None => c.p_ptr(0),
    }
}

fn pipe(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    pipe_fds(c);
    Step::Done
}

fn pipe2(c: &mut Call) -> Step {
    c.int_args(&[1]);
    if !c.exiting {
        return Step::AtExit;
    }
    pipe_fds(c);
    c.sep();
    c.p_flags(1, OPEN_FLAGS, "0");
    Step::Done
}

/// x86_64's sendfile is strace's `sendfile64`: the offset a `loff_t` printed unsigned,
/// updated (` => [N]`) only when the call moved some bytes.
fn sendfile(c: &mut Call) -> Step {
    let off = c.arg(2);
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        c.p_fd(1);
        c.sep();
        let read = if off == 0 {
            None
        } else {
            c.mem.read_value::<u64>(off)
        };
        match read {
            Some(v) => c.push(&format!("[{v}]")),
            None => {
                // NULL or unreadable: strace prints it and the count at entry.
                c.p_ptr(2);
                c.sep();
                c.p_ulong(3);
                return Step::Done;
            }
        }
        return Step::AtExit;
    }
    if !c.failed() && c.rval != 0 {
        if let Some(v) = c.mem.read_value::<u64>(off) {
            c.push(&format!(" => [{v}]"));
        }
    }
    c.sep();
    c.p_ulong(3);
    Step::Done
}

fn print_id(c: &mut Call, i: usize) {
    let v = c.int(i);
    c.push(&v.to_string());
}

fn chown(c: &mut Call) -> Step {
    c.p_path(0);
    c.sep();
    print_id(c, 1);
    c.sep();
    print_id(c, 2);
    Step::Done
}

fn fchown(c: &mut Call) -> Step {
    c.p_fd(0);
    c.sep();
    print_id(c, 1);
    c.sep();
    print_id(c, 2);
    Step::Done
}

fn close_range(c: &mut Call) -> Step {
    c.int_args(&[0, 1, 2]);
    // strace prints both bounds as plain `unsigned int`s, never decorated under -y: they
    // are a range, not descriptors (`close_range(4294967294, 4294967295, ...)`).
    c.p_uint_arg(0);
    c.sep();
    c.p_uint_arg(1);
    c.sep();
    let t = format::flag_names_or(
        c.arg(2),
        &[(2, "CLOSE_RANGE_UNSHARE"), (4, "CLOSE_RANGE_CLOEXEC")],
        "0",
        "CLOSE_RANGE_???",
    );
    let t = format::styled(&format::hex(c.arg(2)), &t, c.style());
    c.push(&t);
    Step::Done
}
