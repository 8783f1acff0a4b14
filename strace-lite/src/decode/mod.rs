//! Argument decoding, one file per syscall family. A decoder is called at syscall entry
//! to print the arguments the kernel reads, and (when it says so) again at exit to print
//! what the kernel wrote; the tracer prints the return value. This split is strace's: it
//! is what decides where a line breaks into `<unfinished ...>` and `<... resumed>`.

mod array;
mod creds;
mod fcntl_ioctl;
mod fds;
mod file;
mod futex;
mod memory;
mod net;
mod poll;
mod process;
mod signal;
mod sockaddr;
mod sockopt;
mod stat;
mod system;
mod term;
mod time;

use crate::cli::{Options, XlatStyle};
use crate::fdinfo;
use crate::format;
use crate::memory::Memory;
use crate::syscall_table;

/// The decoding settings of `-s`, `-x`, `-y`, `-v`, `-X`.
#[derive(Debug, Clone, Copy)]
pub struct DecodeOptions {
    pub string_limit: usize,
    pub hex: u8,
    pub decode_fds: u8,
    pub verbose: bool,
    pub xlat_style: XlatStyle,
}

impl DecodeOptions {
    pub fn from_options(o: &Options) -> Self {
        DecodeOptions {
            string_limit: o.string_limit,
            hex: o.hex,
            decode_fds: o.decode_fds,
            verbose: o.verbose,
            xlat_style: o.xlat_style,
        }
    }
}

/// What a decoder still has to print after its entry half.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Every argument is printed; only `)` and the return value remain.
    Done,
    /// Call the decoder again at syscall exit.
    AtExit,
}

/// How the return value prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetStyle {
    Decimal,
    Hex,
    Octal,
    /// A file descriptor (decorated with its path under `-y`).
    Fd,
}

/// A decoder: prints arguments into `call.out`.
pub type Decoder = fn(&mut Call) -> Step;

/// One syscall being decoded, kept by the tracer from entry to exit.
#[derive(Debug, Clone)]
pub struct Call {
    pub pid: i32,
    pub nr: u64,
    pub args: [u64; 6],
    /// The stack pointer at entry (rt_sigreturn reads its frame there).
    pub stack_pointer: u64,
    /// The return value, at exit.
    pub rval: i64,
    pub exiting: bool,
    pub mem: Memory,
    pub opts: DecodeOptions,
    /// Text printed by the current half.
    pub out: String,
    pub ret_style: RetStyle,
    /// Printed after the return value, like strace's `auxstr`: `(Timeout)`, `(flags O_RDONLY)`.
    pub ret_note: Option<String>,
    /// Values a decoder keeps from entry for its exit half.
    pub saved: [u64; 2],
}

impl Call {
    pub fn new(pid: i32, nr: u64, args: [u64; 6], stack_pointer: u64, opts: DecodeOptions) -> Self {
        Call {
            pid,
            nr,
            args,
            stack_pointer,
            rval: 0,
            exiting: false,
            mem: Memory::new(pid).with_words32(syscall_table::is_i386(nr)),
            opts,
            out: String::new(),
            ret_style: RetStyle::Decimal,
            ret_note: None,
            saved: [0; 2],
        }
    }

    /// Argument `i` as the kernel saw it.
    pub fn arg(&self, i: usize) -> u64 {
        self.args[i]
    }

    /// Argument `i` as a C `int`.
    pub fn int(&self, i: usize) -> i32 {
        self.args[i] as u32 as i32
    }

    /// Argument `i` as a C `unsigned int`.
    pub fn uint(&self, i: usize) -> u32 {
        self.args[i] as u32
    }

    /// Arguments `which` are C `int`s or `unsigned int`s: the kernel reads only their lower
    /// 32 bits, whatever the upper half of the register holds, and so does strace (flags,
    /// constants and numbers are printed from those bits alone).
    pub fn int_args(&mut self, which: &[usize]) {
        for &i in which {
            self.args[i] &= 0xffff_ffff;
        }
    }

    /// Whether the call was interrupted by a signal and is to be restarted or fail with
    /// EINTR (strace's `is_erestart`: ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND,
    /// ERESTART_RESTARTBLOCK), the only failure after which the kernel wrote a sleep's
    /// remaining time.
    pub fn is_erestart(&self) -> bool {
        (-516..=-512).contains(&self.rval) && self.rval != -515
    }

    /// Whether the syscall failed (at exit).
    pub fn failed(&self) -> bool {
        (-4095..0).contains(&self.rval)
    }

    pub fn push(&mut self, text: &str) {
        self.out.push_str(text);
    }

    pub fn sep(&mut self) {
        self.out.push_str(", ");
    }

    pub fn style(&self) -> XlatStyle {
        self.opts.xlat_style
    }

    /// Print argument `i` as a signed int.
    pub fn p_int(&mut self, i: usize) {
        let v = self.int(i);
        self.push(&v.to_string());
    }

    /// Print argument `i` as a C `unsigned int`.
    pub fn p_uint_arg(&mut self, i: usize) {
        let v = self.uint(i);
        self.push(&v.to_string());
    }

    /// Print argument `i` as an unsigned long.
    pub fn p_ulong(&mut self, i: usize) {
        let v = self.arg(i);
        self.push(&v.to_string());
    }

    /// Print argument `i` as a signed long.
    pub fn p_long(&mut self, i: usize) {
        let v = self.arg(i) as i64;
        self.push(&v.to_string());
    }

    /// Print argument `i` as hex (`0` for zero).
    pub fn p_hex(&mut self, i: usize) {
        let v = format::hex(self.arg(i));
        self.push(&v);
    }

    /// Print argument `i` as a pointer (`NULL` for zero).
    pub fn p_ptr(&mut self, i: usize) {
        let v = format::pointer(self.arg(i));
        self.push(&v);
    }

    /// Print argument `i`, a struct the kernel fills, with `print`; only its address when
    /// the call failed (the kernel wrote nothing there), as strace does.
    pub fn p_out(&mut self, i: usize, print: fn(&mut Call, u64)) {
        if self.failed() {
            self.p_ptr(i);
        } else {
            print(self, self.arg(i));
        }
    }

    /// Print a file descriptor value, with its path under `-y`.
    pub fn p_fd_value(&mut self, fd: i32) {
        let text = fdinfo::describe_fd(self.pid, fd, self.opts.decode_fds, self.opts.hex);
        self.push(&text);
    }

    /// Print argument `i` as a file descriptor.
    pub fn p_fd(&mut self, i: usize) {
        self.p_fd_value(self.int(i));
    }

    /// Print argument `i` as a directory fd of the *at() family (`AT_FDCWD`).
    pub fn p_dirfd(&mut self, i: usize) {
        let fd = self.int(i);
        if fd == libc::AT_FDCWD {
            let text = format::styled("-100", "AT_FDCWD", self.style());
            self.push(&text);
            if self.opts.decode_fds > 0 {
                if let Ok(cwd) = std::fs::read_link(format!("/proc/{}/cwd", self.pid)) {
                    let cwd = cwd.into_os_string().into_encoded_bytes();
                    let text = fdinfo::quote_in_brackets(&cwd, self.opts.hex);
                    self.push(&format!("<{text}>"));
                }
            }
        } else {
            self.p_fd_value(fd);
        }
    }

    /// Print a path argument: the whole NUL-terminated string (not cut by `-s`).
    pub fn p_path(&mut self, i: usize) {
        let addr = self.arg(i);
        self.p_path_at(addr);
    }

    pub fn p_path_at(&mut self, addr: u64) {
        if addr == 0 {
            return self.push("NULL");
        }
        // strace's printpath: PATH_MAX bytes read; a path with no NUL among them prints
        // its first PATH_MAX - 1 bytes and `...`.
        const MAX: usize = libc::PATH_MAX as usize;
        match self.mem.read_cstring(addr, MAX) {
            Some((mut bytes, terminated)) => {
                bytes.truncate(MAX - 1);
                let q = format::quote(&bytes, self.opts.hex);
                self.push(&q);
                if !terminated {
                    self.push("...");
                }
            }
            None => self.push(&format::pointer(addr)),
        }
    }

    /// Print a NUL-terminated string at `addr`, cut at `-s` bytes with `...`.
    pub fn p_cstring_at(&mut self, addr: u64) {
        self.p_cstring_bounded(addr, u64::MAX);
    }

    /// strace's printstr_ex with QUOTE_0_TERMINATED: a NUL-terminated string of at most
    /// `bound` bytes (memfd_create's name, 250), cut at `-s` bytes; `...` when no NUL ends
    /// it within what is printed. Only `-s` + 1 bytes (or `bound`) are read, and the
    /// address is printed when they cannot be.
    pub fn p_cstring_bounded(&mut self, addr: u64, bound: u64) {
        if addr == 0 {
            return self.push("NULL");
        }
        let limit = self.opts.string_limit;
        let max = (limit as u64).saturating_add(1).min(bound) as usize;
        match self.mem.read_cstring(addr, max) {
            Some((mut bytes, terminated)) => {
                let cut = !terminated || bytes.len() > limit;
                bytes.truncate(limit);
                let q = format::quote(&bytes, self.opts.hex);
                self.push(&q);
                if cut {
                    self.push("...");
                }
            }
            None => self.push(&format::pointer(addr)),
        }
    }

    /// Print `len` bytes of a buffer at `addr`, cut at `-s` bytes with `...`.
    pub fn p_buffer_at(&mut self, addr: u64, len: u64) {
        self.p_buffer_hex(addr, len, self.opts.hex);
    }

    /// strace's printstr_ex for a buffer, quoted with `hex` (`-x` levels; 2 forces hex): it
    /// reads one byte past `-s` (when the buffer is that long) and prints the address when
    /// it cannot read them all.
    pub fn p_buffer_hex(&mut self, addr: u64, len: u64, hex: u8) {
        let text = self.buffer_text(addr, len, hex);
        self.push(&text);
    }

    /// What [`Call::p_buffer_hex`] prints.
    pub fn buffer_text(&self, addr: u64, len: u64, hex: u8) -> String {
        if addr == 0 {
            return "NULL".to_string();
        }
        let limit = self.opts.string_limit as u64;
        let fetch = len.min(limit.saturating_add(1)) as usize;
        match self.mem.read(addr, fetch) {
            Some(mut bytes) => {
                bytes.truncate(limit as usize);
                let mut q = format::quote(&bytes, hex);
                if len > limit {
                    q.push_str("...");
                }
                q
            }
            None => format::pointer(addr),
        }
    }

    /// Print argument `i` as a buffer of `len` bytes.
    pub fn p_buffer(&mut self, i: usize, len: u64) {
        self.p_buffer_at(self.arg(i), len);
    }

    /// Print argument `i` as flags from `table`.
    pub fn p_flags(&mut self, i: usize, table: &format::Xlat, zero: &str) {
        let v = format::flags(self.arg(i), table, zero, self.style());
        self.push(&v);
    }

    /// Print argument `i` as one constant from `table`.
    pub fn p_xlat(&mut self, i: usize, table: &format::Xlat, unknown: &str) {
        let v = format::xlat(self.arg(i), table, unknown, self.style());
        self.push(&v);
    }

    /// Print an `int` stored at `addr` as `[value]`.
    pub fn p_int_ref(&mut self, addr: u64) {
        match self.mem.read_i32(addr) {
            Some(v) => self.push(&format!("[{v}]")),
            None => self.push(&format::pointer(addr)),
        }
    }

    /// A C `long` of the tracee at `addr`: 8 bytes, 4 for an i386 call.
    pub fn read_long(&self, addr: u64) -> Option<u64> {
        if syscall_table::is_i386(self.nr) {
            self.mem.read_value::<u32>(addr).map(u64::from)
        } else {
            self.mem.read_u64(addr)
        }
    }

    /// strace's printnum_ptr: the pointer stored at `addr` as `[0x7f...]` (`[NULL]`); the
    /// address alone when the call failed or it cannot be read.
    pub fn p_ptr_ref(&mut self, addr: u64) {
        match self.read_long_out(addr) {
            Some(v) => self.push(&format!("[{}]", format::pointer(v))),
            None => self.push(&format::pointer(addr)),
        }
    }

    /// strace's printnum_ulong: the `unsigned long` at `addr` as `[42]`, like
    /// [`Call::p_ptr_ref`].
    pub fn p_ulong_ref(&mut self, addr: u64) {
        match self.read_long_out(addr) {
            Some(v) => self.push(&format!("[{v}]")),
            None => self.push(&format::pointer(addr)),
        }
    }

    /// A `long` the kernel wrote at `addr`: none when the call failed (strace's
    /// umove_or_printaddr prints the address then).
    fn read_long_out(&self, addr: u64) -> Option<u64> {
        if self.failed() {
            return None;
        }
        self.read_long(addr)
    }

    /// strace's print_nonzero_bytes, for a struct the caller says is `size` bytes of which
    /// the decoder knows the first `known`: bytes `known..` up to `size` (at most a page)
    /// printed after `prefix` as `/* bytes 88..95 */ "\xde\xc0..."` (hex, cut at `-s`),
    /// `???` when they cannot be read, nothing when they are all zero. Whether it printed.
    pub fn p_struct_rest(&mut self, addr: u64, known: u64, size: u64, prefix: &str) -> bool {
        let end = size.min(crate::memory::PAGE);
        if known >= end {
            return false;
        }
        let len = (end - known) as usize;
        match self.mem.read(addr.wrapping_add(known), len) {
            None => self.push(&format!("{prefix}???")),
            Some(bytes) if bytes.iter().all(|&b| b == 0) => return false,
            Some(bytes) => {
                let shown = len.min(self.opts.string_limit);
                let q = format::quote(&bytes[..shown], 2);
                self.push(&format!("{prefix}/* bytes {known}..{} */ {q}", end - 1));
                if shown < len {
                    self.push("...");
                }
            }
        }
        true
    }

    /// Print two fds as `[3, 4]` (pipe, socketpair), cut at `-s` elements like strace.
    pub fn p_fd_pair(&mut self, fds: [i32; 2]) {
        self.push("[");
        for (i, fd) in fds.iter().enumerate() {
            if i > 0 {
                self.sep();
            }
            if i >= self.opts.string_limit {
                self.push("...");
                break;
            }
            self.p_fd_value(*fd);
        }
        self.push("]");
    }

    /// Print `addr` as a pointer (for data that failed or is not decoded).
    pub fn p_addr(&mut self, addr: u64) {
        self.push(&format::pointer(addr));
    }

    /// The result as the text output shows it after ` = ` (at exit, without `-T`'s
    /// duration): `-1 ENOENT (No such file or directory)` (passed through `error`, for the
    /// colours), `3</etc/passwd>`, `0x5581a000`, and the decoder's note.
    pub fn return_text(&self, error: impl FnOnce(&str) -> String) -> String {
        let rval = self.rval;
        let mut s = if self.failed() {
            let e = -rval;
            let lead = if (512..=516).contains(&e) { "?" } else { "-1" };
            error(&format!(
                "{lead} {} ({})",
                format::errno_name(e),
                format::errno_message(e)
            ))
        } else {
            match self.ret_style {
                RetStyle::Decimal => rval.to_string(),
                RetStyle::Hex => format::hex(rval as u64),
                RetStyle::Octal => format::octal(rval as u64),
                RetStyle::Fd => {
                    fdinfo::describe_fd(self.pid, rval as i32, self.opts.decode_fds, self.opts.hex)
                }
            }
        };
        if let Some(note) = &self.ret_note {
            s.push(' ');
            s.push_str(note);
        }
        s
    }
}

/// The decoder of each syscall number, built once at start.
pub struct DecoderTable {
    by_nr: Vec<Option<Decoder>>,
}

impl DecoderTable {
    pub fn new() -> Self {
        let mut by_nr = vec![None; syscall_table::MAX_NR];
        for e in syscall_table::TABLE {
            if let Some(slot) = by_nr.get_mut(e.nr as usize) {
                *slot = lookup(e.name);
            }
        }
        DecoderTable { by_nr }
    }

    /// The decoder for `nr`: a family's, or strace's raw hex printer.
    pub fn get(&self, nr: u64) -> Decoder {
        if syscall_table::is_i386(nr) {
            return syscall_table::i386_lookalike(nr)
                .and_then(lookup)
                .unwrap_or(raw);
        }
        usize::try_from(nr)
            .ok()
            .and_then(|i| self.by_nr.get(i).copied().flatten())
            .unwrap_or(raw)
    }
}

impl Default for DecoderTable {
    fn default() -> Self {
        Self::new()
    }
}

/// Unknown syscalls: every argument in hex.
pub fn raw(c: &mut Call) -> Step {
    let n = syscall_table::nargs(c.nr);
    for i in 0..n {
        if i > 0 {
            c.sep();
        }
        c.p_hex(i);
    }
    Step::Done
}

/// The family decoder of a syscall named `name`.
fn lookup(name: &str) -> Option<Decoder> {
    file::lookup(name)
        .or_else(|| stat::lookup(name))
        .or_else(|| fcntl_ioctl::lookup(name))
        .or_else(|| process::lookup(name))
        .or_else(|| memory::lookup(name))
        .or_else(|| net::lookup(name))
        .or_else(|| sockopt::lookup(name))
        .or_else(|| poll::lookup(name))
        .or_else(|| signal::lookup(name))
        .or_else(|| time::lookup(name))
        .or_else(|| futex::lookup(name))
        .or_else(|| creds::lookup(name))
        .or_else(|| system::lookup(name))
        .or_else(|| fds::lookup(name))
}
