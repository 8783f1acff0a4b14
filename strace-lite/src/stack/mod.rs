//! `-k`: the tracee's stack at each shown syscall, as strace prints it
//! (` > /path/lib.so(symbol+0xoff) [0xaddr]`, `[addr]` being the offset in the file).
//!
//! From the registers at the syscall stop, each frame's caller is found with the CFI of
//! `.eh_frame` (the row for the address gives the CFA and where the return address and
//! callee-saved registers were saved), reading the saved values from the tracee's
//! memory. Files are found in `/proc/PID/maps` (re-read when an address is not in the
//! cached copy, and dropped when the tracee maps or unmaps: under `--seccomp-bpf` the filter
//! keeps those calls stopping for that) and parsed once per file (path, device and inode).

mod maps;
mod module;

use crate::memory::Memory;
use module::{Cfa, Module, Rule};
use std::collections::HashMap;
use std::rc::Rc;

/// Frames beyond this are not followed (a corrupt stack could loop).
const MAX_FRAMES: usize = 256;
const RSP: usize = 7;
const RA: usize = 16;
/// `mov $15, %rax; syscall`: the x86-64 signal return trampoline (`__restore_rt`).
const SIGRETURN_CODE: [u8; 9] = [0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05];
/// Where `uc_mcontext`'s registers start in the `ucontext` the kernel pushes for a
/// handler (after `uc_flags`, `uc_link`, `uc_stack`), and the DWARF register each of
/// its first 17 slots holds (r8..r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip).
const MCONTEXT_OFFSET: u64 = 40;
const MCONTEXT_DWARF: [usize; 17] = [8, 9, 10, 11, 12, 13, 14, 15, 5, 4, 6, 3, 1, 0, 2, 7, 16];

/// A symbol as strace (libiberty) prints it: Rust demangled without the legacy hash suffix
/// or v0 crate disambiguators, C++ (Itanium ABI) demangled as `c++filt` does; anything
/// else as it is.
fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        return format!("{d:#}");
    }
    if name.starts_with("_Z") {
        if let Ok(d) = cpp_demangle::Symbol::new(name).map_err(drop).and_then(|s| {
            s.demangle(&cpp_demangle::DemangleOptions::default())
                .map_err(drop)
        }) {
            return d;
        }
    }
    name.to_string()
}

/// The caches of one tracing session.
#[derive(Default)]
pub struct Unwinder {
    maps: HashMap<i32, Rc<Vec<maps::Mapping>>>,
    /// Parsed files by path and identity: a file replaced at its path (a rebuilt library
    /// loaded again) is parsed again rather than answered from the old file's symbols.
    modules: HashMap<(String, maps::FileId), Option<Rc<Module>>>,
}

impl Unwinder {
    /// The tracee is about to change its mappings: forget them.
    pub fn forget_maps(&mut self) {
        self.maps.clear();
    }

    fn mapping(&mut self, tid: i32, addr: u64) -> Option<maps::Mapping> {
        if let Some(m) = self.maps.get(&tid).and_then(|m| maps::find(m, addr)) {
            return Some(m.clone());
        }
        let fresh = Rc::new(maps::read(tid));
        let found = maps::find(&fresh, addr).cloned();
        self.maps.insert(tid, fresh);
        found
    }

    fn module(&mut self, map: &maps::Mapping) -> Option<Rc<Module>> {
        let key = (map.path.clone(), map.file_id.clone());
        if let Some(m) = self.modules.get(&key) {
            return m.clone();
        }
        let m = Module::load(&map.path).map(Rc::new);
        self.modules.insert(key, m.clone());
        m
    }

    /// The frame lines of `tid`'s stack, stopped at a syscall with registers `regs`.
    pub fn backtrace(&mut self, tid: i32, regs: &libc::user_regs_struct) -> Vec<String> {
        let mem = Memory::new(tid);
        // DWARF numbering: rax rdx rcx rbx rsi rdi rbp rsp r8..r15, return address.
        let mut r: [Option<u64>; 17] = [
            Some(regs.rax),
            Some(regs.rdx),
            Some(regs.rcx),
            Some(regs.rbx),
            Some(regs.rsi),
            Some(regs.rdi),
            Some(regs.rbp),
            Some(regs.rsp),
            Some(regs.r8),
            Some(regs.r9),
            Some(regs.r10),
            Some(regs.r11),
            Some(regs.r12),
            Some(regs.r13),
            Some(regs.r14),
            Some(regs.r15),
            Some(regs.rip),
        ];
        let mut frames = Vec::new();
        let mut pc = regs.rip;
        // The first frame is where the tracee stopped, as is a frame a signal
        // interrupted; the others are return addresses (one past their call).
        let mut return_address = false;
        let read = |addr: u64| {
            mem.read(addr, 8)
                .and_then(|b| b.try_into().ok())
                .map(u64::from_ne_bytes)
        };
        for _ in 0..MAX_FRAMES {
            let Some(map) = self.mapping(tid, pc) else {
                break;
            };
            let module = self.module(&map);
            // strace prints the offset in the file; symbols are found by the file's
            // own (virtual) address, which differs where a segment's does.
            let file_offset = map.offset.wrapping_add(pc - map.start);
            let file_pc = module
                .as_ref()
                .map_or(file_offset, |m| m.file_address(pc, map.start, map.offset));
            let symbol = module
                .as_ref()
                .and_then(|m| m.symbol(file_pc))
                .map(|(name, off)| format!("{}+{off:#x}", demangle(name)))
                .unwrap_or_else(|| "+0x0".to_string());
            frames.push(format!(" > {}({symbol}) [{file_offset:#x}]", map.path));
            if mem.read(pc, SIGRETURN_CODE.len()).as_deref() == Some(&SIGRETURN_CODE[..]) {
                // A handler returns here: the interrupted registers are in the
                // ucontext on the stack.
                let Some(sp) = r[RSP] else {
                    break;
                };
                let mut next = [None; 17];
                for (slot, &reg) in MCONTEXT_DWARF.iter().enumerate() {
                    next[reg] = read(sp.wrapping_add(MCONTEXT_OFFSET + 8 * slot as u64));
                }
                match next[RA] {
                    Some(rip) if rip != 0 => pc = rip,
                    _ => break,
                }
                r = next;
                return_address = false;
                continue;
            }
            // The caller, from the CFI: a return address points after its call, which
            // may be the last instruction of its function; look up the call itself.
            let lookup = if return_address {
                file_pc.saturating_sub(1)
            } else {
                file_pc
            };
            return_address = true;
            let Some(row) = module.and_then(|m| m.row(lookup)) else {
                break;
            };
            let reg_value = |n: u16| r.get(usize::from(n)).copied().flatten();
            let cfa = match &row.cfa {
                Cfa::RegisterAndOffset(reg, offset) => {
                    reg_value(*reg).map(|base| base.wrapping_add_signed(*offset))
                }
                Cfa::Expression(e) => module::evaluate(e, None, reg_value, read),
            };
            let Some(cfa) = cfa else {
                break;
            };
            let mut next = r;
            for (reg, rule) in row.rules.iter().enumerate() {
                next[reg] = match rule {
                    Rule::Same => r[reg],
                    Rule::Undefined | Rule::Unknown => None,
                    Rule::At(n) => read(cfa.wrapping_add_signed(*n)),
                    Rule::Is(n) => Some(cfa.wrapping_add_signed(*n)),
                    Rule::Register(o) => reg_value(*o),
                    Rule::AtExpression(e) => {
                        module::evaluate(e, Some(cfa), reg_value, read).and_then(read)
                    }
                    Rule::IsExpression(e) => module::evaluate(e, Some(cfa), reg_value, read),
                };
            }
            next[RSP] = Some(cfa);
            match next[RA] {
                Some(ra) if ra != 0 => pc = ra,
                _ => break,
            }
            r = next;
        }
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn rust_names_as_strace_prints_them() {
        assert_eq!(
            demangle("_ZN11strace_lite4main17h50b8650d245138edE"),
            "strace_lite::main"
        );
        assert_eq!(
            demangle("_RNvNtNtCsjrHSEGnQ3l9_3std2io5stdio6__print"),
            "std::io::stdio::_print"
        );
        assert_eq!(demangle("__libc_start_main"), "__libc_start_main");
        assert_eq!(demangle("main"), "main");
    }
}
