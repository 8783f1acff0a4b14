//! One ELF file as the unwinder needs it, read once with goblin and cached: its loadable
//! segments (to turn a mapped address into the file's own address), its symbols (the
//! full `.symtab` if the file has one, else `.dynsym`), and its `.eh_frame` (with
//! `.eh_frame_hdr`'s search table) for gimli to find each address's CFI.

use gimli::{
    BaseAddresses, CfaRule, EhFrame, EhFrameHdr, NativeEndian, RegisterRule, UnwindContext,
    UnwindSection, X86_64,
};

/// A symbol an address can be named after.
#[derive(Debug, Clone)]
struct Symbol {
    addr: u64,
    name: String,
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

/// What the unwinder knows of one file.
pub struct Module {
    segments: Vec<Segment>,
    /// Sorted by address; within an address, in the order libdw searches (globals first).
    symbols: Vec<Symbol>,
    eh_frame: Vec<u8>,
    eh_frame_addr: u64,
    eh_frame_hdr: Vec<u8>,
    eh_frame_hdr_addr: u64,
    text_addr: u64,
}

/// How to find a caller's frame from a row of CFI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    Undefined,
    Same,
    /// The value is saved at CFA + n.
    At(i64),
    /// The value is CFA + n.
    Is(i64),
    /// The value is that of another register.
    Register(u16),
    /// The value is saved at the address this DWARF expression computes (the CFA pushed
    /// first).
    AtExpression(Vec<u8>),
    /// The value is what this DWARF expression computes (the CFA pushed first).
    IsExpression(Vec<u8>),
    /// Not representable here.
    Unknown,
}

/// Where the CFA is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cfa {
    /// Register + offset (nearly every row).
    RegisterAndOffset(u16, i64),
    /// What a DWARF expression computes (PLT stubs, realigned stacks, hand-written CFI).
    Expression(Vec<u8>),
}

/// The CFI row for an address: the CFA, and the rules of the return address and the
/// callee-saved registers (indexed by DWARF register number).
#[derive(Debug, Clone)]
pub struct Row {
    pub cfa: Cfa,
    pub rules: [Rule; 17],
}

/// The encoding of `.eh_frame` expressions on x86-64.
const ENCODING: gimli::Encoding = gimli::Encoding {
    address_size: 8,
    format: gimli::Format::Dwarf32,
    version: 4,
};

/// Evaluates a CFI expression: `initial` is pushed first (the CFA, for a register rule);
/// `reg_value` gives a DWARF register's value, `read_mem` 8 bytes of the tracee's memory.
pub fn evaluate(
    bytecode: &[u8],
    initial: Option<u64>,
    reg_value: impl Fn(u16) -> Option<u64>,
    read_mem: impl Fn(u64) -> Option<u64>,
) -> Option<u64> {
    use gimli::{EvaluationResult, Location, Value};
    let expr = gimli::Expression(gimli::EndianSlice::new(bytecode, NativeEndian));
    let mut eval = expr.evaluation(ENCODING);
    if let Some(v) = initial {
        eval.set_initial_value(v);
    }
    let mut result = eval.evaluate().ok()?;
    // A bound on the round trips, so a malformed expression cannot keep us here.
    for _ in 0..64 {
        result = match result {
            EvaluationResult::Complete => {
                let piece = eval.result().into_iter().next()?;
                return match piece.location {
                    Location::Address { address } => Some(address),
                    Location::Value { value } => value.to_u64(u64::MAX).ok(),
                    _ => None,
                };
            }
            EvaluationResult::RequiresRegister { register, .. } => {
                let v = reg_value(register.0)?;
                eval.resume_with_register(Value::Generic(v)).ok()?
            }
            EvaluationResult::RequiresMemory { address, size, .. } => {
                let v = read_mem(address)?;
                let v = match size {
                    1..=7 => v & ((1u64 << (u32::from(size) * 8)) - 1),
                    _ => v,
                };
                eval.resume_with_memory(Value::Generic(v)).ok()?
            }
            _ => return None,
        };
    }
    None
}

impl Module {
    /// Read and parse `path`; `None` if it cannot be read or is not an ELF file.
    pub fn load(path: &str) -> Option<Module> {
        let bytes = std::fs::read(path).ok()?;
        let elf = goblin::elf::Elf::parse(&bytes).ok()?;
        let segments = elf
            .program_headers
            .iter()
            .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
            .map(|p| Segment {
                offset: p.p_offset,
                vaddr: p.p_vaddr,
                filesz: p.p_filesz,
            })
            .collect();
        let (syms, strtab) = if elf.syms.is_empty() {
            (&elf.dynsyms, &elf.dynstrtab)
        } else {
            (&elf.syms, &elf.strtab)
        };
        // As libdw (strace's -k) names an address: the closest symbol at or before it;
        // among aliases the first found, globals being searched before locals.
        let mut ordered: Vec<(usize, goblin::elf::Sym)> = syms.iter().enumerate().collect();
        ordered.sort_by_key(|(i, s)| (s.st_bind() == goblin::elf::sym::STB_LOCAL, *i));
        let mut symbols: Vec<Symbol> = Vec::new();
        for (_, s) in ordered {
            use goblin::elf::sym::{STT_FILE, STT_SECTION, STT_TLS};
            if s.st_shndx == 0
                || s.st_value == 0
                || matches!(s.st_type(), STT_SECTION | STT_FILE | STT_TLS)
            {
                continue;
            }
            let Some(name) = strtab.get_at(s.st_name).filter(|n| !n.is_empty()) else {
                continue;
            };
            symbols.push(Symbol {
                addr: s.st_value,
                name: name.to_string(),
            });
        }
        // Stable: the search order stays within an address; the first alias stays.
        symbols.sort_by_key(|s| s.addr);
        symbols.dedup_by_key(|s| s.addr);
        let best = symbols;
        let section = |name: &str| {
            elf.section_headers.iter().find(|sh| {
                elf.shdr_strtab.get_at(sh.sh_name) == Some(name)
                    && sh.sh_type != goblin::elf::section_header::SHT_NOBITS
            })
        };
        let data = |name: &str| -> (Vec<u8>, u64) {
            match section(name) {
                Some(sh) => {
                    let start = sh.sh_offset as usize;
                    let end = start.saturating_add(sh.sh_size as usize);
                    (
                        bytes.get(start..end).unwrap_or_default().to_vec(),
                        sh.sh_addr,
                    )
                }
                None => (Vec::new(), 0),
            }
        };
        let (eh_frame, eh_frame_addr) = data(".eh_frame");
        let (eh_frame_hdr, eh_frame_hdr_addr) = data(".eh_frame_hdr");
        let text_addr = section(".text").map_or(0, |sh| sh.sh_addr);
        Some(Module {
            segments,
            symbols: best,
            eh_frame,
            eh_frame_addr,
            eh_frame_hdr,
            eh_frame_hdr_addr,
            text_addr,
        })
    }

    /// The file's own address of the byte mapped at `addr` from file offset `offset` of
    /// a mapping starting at `map_start`.
    pub fn file_address(&self, addr: u64, map_start: u64, map_offset: u64) -> u64 {
        let in_file = map_offset.wrapping_add(addr.wrapping_sub(map_start));
        for s in &self.segments {
            if s.offset <= in_file && in_file < s.offset.saturating_add(s.filesz.max(1)) {
                return s.vaddr.wrapping_add(in_file - s.offset);
            }
        }
        in_file
    }

    /// The symbol at or closest before `addr` (a file address) and the distance to it.
    pub fn symbol(&self, addr: u64) -> Option<(&str, u64)> {
        let i = self.symbols.partition_point(|s| s.addr <= addr);
        let s = self.symbols.get(i.checked_sub(1)?)?;
        Some((&s.name, addr - s.addr))
    }

    /// The CFI row for `addr` (a file address), if the file has one.
    pub fn row(&self, addr: u64) -> Option<Row> {
        if self.eh_frame.is_empty() {
            return None;
        }
        let eh = EhFrame::new(&self.eh_frame, NativeEndian);
        let bases = BaseAddresses::default()
            .set_eh_frame(self.eh_frame_addr)
            .set_eh_frame_hdr(self.eh_frame_hdr_addr)
            .set_text(self.text_addr);
        let mut ctx = Box::new(UnwindContext::new());
        let row = if self.eh_frame_hdr.is_empty() {
            eh.unwind_info_for_address(&bases, &mut ctx, addr, EhFrame::cie_from_offset)
                .ok()?
                .clone()
        } else {
            let hdr = EhFrameHdr::new(&self.eh_frame_hdr, NativeEndian)
                .parse(&bases, 8)
                .ok()?;
            let table = hdr.table()?;
            table
                .unwind_info_for_address(&eh, &bases, &mut ctx, addr, EhFrame::cie_from_offset)
                .ok()?
                .clone()
        };
        let bytes = |e: &gimli::UnwindExpression<usize>| -> Option<Vec<u8>> {
            Some(e.get(&eh).ok()?.0.slice().to_vec())
        };
        let cfa = match row.cfa() {
            CfaRule::RegisterAndOffset { register, offset } => {
                Cfa::RegisterAndOffset(register.0, *offset)
            }
            CfaRule::Expression(e) => Cfa::Expression(bytes(e)?),
        };
        let mut rules: [Rule; 17] = std::array::from_fn(|_| Rule::Same);
        rules[X86_64::RA.0 as usize] = Rule::Undefined;
        for (reg, rule) in row.registers() {
            let Some(slot) = rules.get_mut(reg.0 as usize) else {
                continue;
            };
            *slot = match rule {
                RegisterRule::Undefined => Rule::Undefined,
                RegisterRule::SameValue => Rule::Same,
                RegisterRule::Offset(n) => Rule::At(*n),
                RegisterRule::ValOffset(n) => Rule::Is(*n),
                RegisterRule::Register(r) => Rule::Register(r.0),
                RegisterRule::Expression(e) => bytes(e).map_or(Rule::Unknown, Rule::AtExpression),
                RegisterRule::ValExpression(e) => {
                    bytes(e).map_or(Rule::Unknown, Rule::IsExpression)
                }
                _ => Rule::Unknown,
            };
        }
        Some(Row { cfa, rules })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn libc_path() -> String {
        let maps = std::fs::read_to_string("/proc/self/maps").expect("maps");
        maps.lines()
            .filter_map(|l| l.split_whitespace().nth(5))
            .find(|p| p.contains("/libc.so"))
            .expect("libc mapped")
            .to_string()
    }

    /// Symbols agree with the dynamic linker's idea of them.
    #[test]
    fn names_libc_functions_as_dladdr_does() {
        let libc = Module::load(&libc_path()).expect("libc");
        // SAFETY: dladdr only reads the address and fills the struct.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        let getpid = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"getpid".as_ptr()) } as usize;
        assert_ne!(unsafe { libc::dladdr(getpid as *const _, &mut info) }, 0);
        let base = info.dli_fbase as u64;
        let (name, off) = libc.symbol(getpid as u64 - base).expect("symbol");
        assert_eq!(off, 0);
        assert!(name.contains("getpid"), "{name}");
    }

    /// Every function start in libc has CFI whose return address is at CFA-8.
    #[test]
    fn libc_has_cfi_at_function_entry() {
        let libc = Module::load(&libc_path()).expect("libc");
        // SAFETY: as above: dlsym and dladdr only read their arguments and fill `info`.
        let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
        let write = unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"write".as_ptr()) } as usize;
        assert_ne!(unsafe { libc::dladdr(write as *const _, &mut info) }, 0);
        let row = libc.row(write as u64 - info.dli_fbase as u64).expect("cfi");
        assert_eq!(row.cfa, Cfa::RegisterAndOffset(X86_64::RSP.0, 8));
        assert_eq!(row.rules[X86_64::RA.0 as usize], Rule::At(-8));
    }

    /// The expressions CFI uses: register plus offset, arithmetic on the pushed CFA, and a
    /// load (a realigned frame's CFA is `*(rbp - 8)`); a malformed one gives nothing.
    #[test]
    fn cfi_expressions() {
        let regs = |n: u16| match n {
            6 => Some(2000), // rbp
            7 => Some(1000), // rsp
            _ => None,
        };
        let mem = |addr: u64| (addr == 1992).then_some(0xfeed_0000_1234);
        // DW_OP_breg7 16
        assert_eq!(evaluate(&[0x77, 0x10], None, regs, mem), Some(1016));
        // CFA pushed first; DW_OP_lit16, DW_OP_minus
        assert_eq!(evaluate(&[0x40, 0x1c], Some(1000), regs, mem), Some(984));
        // DW_OP_breg6 -8, DW_OP_deref
        assert_eq!(
            evaluate(&[0x76, 0x78, 0x06], None, regs, mem),
            Some(0xfeed_0000_1234)
        );
        // A register we do not have, memory we cannot read, a truncated expression.
        assert_eq!(evaluate(&[0x71, 0x00], None, regs, mem), None);
        assert_eq!(evaluate(&[0x77, 0x00, 0x06], None, regs, mem), None);
        assert_eq!(evaluate(&[0x77], None, regs, mem), None);
    }
}
