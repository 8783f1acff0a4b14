//! The body of the fuzz target `strace_decode` (`fuzz/`), a plain function of arbitrary
//! bytes, so that libFuzzer and the corpus replay test (`tests/fuzz_corpus.rs`) run the
//! same code. It panics only on a bug. Not an API: hidden from the docs.
//!
//! The input is one syscall as the tracer sees it: its number, six arguments, the stack
//! pointer and the return value, the decoding options (`-s -x -y -v -X`, `-e raw=`), and
//! the tracee's memory, a made-up address space (`memory::FakeMemory`): ranges of bytes at any
//! address, holes where a read faults, and the ranges the kernel wrote, seen only at exit.
//! The call is decoded as the tracer decodes it (entry, then exit when the decoder asks),
//! and what is printed must be well formed:
//!
//! - the text line, `NAME(ARGS) = RESULT`: the arguments and the result each balanced
//!   (brackets, braces, parentheses), every string `"..."` closed and holding only strace's
//!   escapes, every `/* comment */` closed, and nothing but printable ASCII; a call that
//!   never returns, cut at `<unfinished ...>`, closes its strings and comments and nothing
//!   it did not open;
//! - the `--json` line: valid JSON, one line, whose arguments are the text's split at its
//!   top-level commas, each balanced, joining back to the text (one may be empty: strace
//!   prints statx's flags 0 as nothing under `-X raw`, and strace-lite does as it does);
//! - `-e read=`/`-e write=` dumps: lines of printable ASCII in strace's layout.

use std::sync::{Arc, OnceLock};

use crate::cli::XlatStyle;
use crate::decode::{Call, DecodeOptions, DecoderTable, RetStyle, Step};
use crate::filter::NumberSet;
use crate::format;
use crate::json;
use crate::memory::{FakeMemory, Memory};
use crate::syscall_table;

/// A pid no process has (`pid_max` is at most 2^22): `-y` finds no `/proc` entry.
const NO_PID: i32 = i32::MAX;

/// [`Input::flags`]: the `-x` level (3 is 2).
pub const HEX: u8 = 0b11;
/// [`Input::flags`]: the `-y` level, shifted by 2 (3 is 0).
pub const DECODE_FDS: u8 = 0b11 << 2;
/// [`Input::flags`]: `-v`.
pub const VERBOSE: u8 = 1 << 4;
/// [`Input::flags`]: the `-X` style, shifted by 5: abbrev, raw, verbose (3 is abbrev).
pub const XLAT: u8 = 0b11 << 5;
/// [`Input::flags`]: `-e raw=all`.
pub const RAW: u8 = 1 << 7;

/// [`Input::mode`]: the call never returns (`= ?`).
pub const NO_EXIT: u8 = 1;
/// [`Input::mode`]: `-y` looks at this process's own descriptors (else at no process's).
pub const OWN_FDS: u8 = 1 << 1;
/// [`Input::mode`]: `-e read=all -e write=all`.
pub const DUMP: u8 = 1 << 2;
/// [`Input::mode`]: `-s` is [`Input::string_limit`] times 256.
pub const LONG_STRINGS: u8 = 1 << 3;
/// [`Input::mode`]: an i386 call (`int $0x80`).
pub const I386: u8 = 1 << 4;

/// One range of the tracee's memory.
#[derive(Debug, Clone, Default)]
pub struct Range {
    /// Written by the kernel: there at exit only.
    pub at_exit: bool,
    /// A hole of `len` bytes, where reads fault (else `bytes`).
    pub hole: bool,
    pub start: u64,
    /// A hole's length (else the length of `bytes`).
    pub len: u16,
    pub bytes: Vec<u8>,
}

/// One syscall and the tracee's memory, as the fuzz input lays them out: `flags`,
/// `string_limit`, `mode` (a byte each), `nr` (u16), `args`, `rval`, `stack_pointer`
/// (u64 each, little-endian), then ranges to the end: a byte (1: at exit, 2: a hole),
/// `start` (u64), `len` (u16), and `len` bytes unless a hole. Missing bytes are zeros.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub flags: u8,
    pub string_limit: u8,
    pub mode: u8,
    /// The syscall number, modulo 512 (x86_64's or, with [`I386`], i386's).
    pub nr: u16,
    pub args: [u64; 6],
    pub rval: i64,
    pub stack_pointer: u64,
    pub ranges: Vec<Range>,
}

/// Reads the input's fields, zeros past its end.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        let n = N.min(self.0.len());
        out[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        out
    }

    fn u8(&mut self) -> u8 {
        self.bytes::<1>()[0]
    }

    fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }

    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(self.bytes())
    }
}

impl Input {
    pub fn parse(data: &[u8]) -> Input {
        let mut r = Reader(data);
        let mut input = Input {
            flags: r.u8(),
            string_limit: r.u8(),
            mode: r.u8(),
            nr: r.u16(),
            ..Input::default()
        };
        for a in &mut input.args {
            *a = r.u64();
        }
        input.rval = r.u64() as i64;
        input.stack_pointer = r.u64();
        while !r.0.is_empty() {
            let kind = r.u8();
            let mut range = Range {
                at_exit: kind & 1 != 0,
                hole: kind & 2 != 0,
                start: r.u64(),
                len: r.u16(),
                bytes: Vec::new(),
            };
            if !range.hole {
                let n = usize::from(range.len).min(r.0.len());
                range.bytes = r.0[..n].to_vec();
                r.0 = &r.0[n..];
                range.len = n as u16;
            }
            input.ranges.push(range);
        }
        input
    }

    /// The bytes [`Input::parse`] reads back as `self`.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![self.flags, self.string_limit, self.mode];
        out.extend_from_slice(&self.nr.to_le_bytes());
        for a in self.args {
            out.extend_from_slice(&a.to_le_bytes());
        }
        out.extend_from_slice(&self.rval.to_le_bytes());
        out.extend_from_slice(&self.stack_pointer.to_le_bytes());
        for r in &self.ranges {
            out.push(u8::from(r.at_exit) | u8::from(r.hole) << 1);
            out.extend_from_slice(&r.start.to_le_bytes());
            if r.hole {
                out.extend_from_slice(&r.len.to_le_bytes());
            } else {
                out.extend_from_slice(&(r.bytes.len() as u16).to_le_bytes());
                out.extend_from_slice(&r.bytes);
            }
        }
        out
    }

    /// The syscall number as the tracer numbers it.
    pub fn syscall_nr(&self) -> u64 {
        let nr = u64::from(self.nr % 512);
        if self.mode & I386 != 0 {
            syscall_table::I386_BASE + nr
        } else {
            nr
        }
    }

    /// The tracee's memory at entry, or at exit (with what the kernel wrote).
    fn memory(&self, exiting: bool) -> Memory {
        let mut fake = FakeMemory::default();
        for r in self.ranges.iter().filter(|r| exiting || !r.at_exit) {
            if r.hole {
                fake.unmap(r.start, u64::from(r.len));
            } else {
                fake.map(r.start, &r.bytes);
            }
        }
        Memory::fake(Arc::new(fake)).with_words32(syscall_table::is_i386(self.syscall_nr()))
    }

    fn options(&self) -> DecodeOptions {
        let mut string_limit = usize::from(self.string_limit);
        if self.mode & LONG_STRINGS != 0 {
            string_limit *= 256;
        }
        DecodeOptions {
            string_limit,
            hex: (self.flags & HEX).min(2),
            decode_fds: match (self.flags & DECODE_FDS) >> 2 {
                3 => 0,
                level => level,
            },
            verbose: self.flags & VERBOSE != 0,
            xlat_style: match (self.flags & XLAT) >> 5 {
                1 => XlatStyle::Raw,
                2 => XlatStyle::Verbose,
                _ => XlatStyle::Abbrev,
            },
        }
    }
}

/// What the tracer prints for one call.
#[derive(Debug, Clone)]
pub struct Traced {
    /// The text line, without its newline.
    pub line: String,
    /// The `--json` line.
    pub json: String,
    /// `-e read=all -e write=all`'s dump (with [`DUMP`]).
    pub dump: String,
    /// Where the arguments are in `line` (after `NAME(`), and where the result is (`None`
    /// for a call that never returns).
    args: std::ops::Range<usize>,
    result: Option<usize>,
    /// Whether the arguments were all printed (not cut at `<unfinished ...>`).
    complete: bool,
}

/// Decode `input` as the tracer does: the entry half, then (unless the call never returns)
/// the exit half when the decoder asks for it, the return value, the dumps.
pub fn trace(input: &Input) -> Traced {
    static DECODERS: OnceLock<DecoderTable> = OnceLock::new();
    let decoders = DECODERS.get_or_init(DecoderTable::new);
    let nr = input.syscall_nr();
    let pid = if input.mode & OWN_FDS != 0 {
        std::process::id() as i32
    } else {
        NO_PID
    };
    let mut call = Call::new(pid, nr, input.args, input.stack_pointer, input.options());
    call.mem = input.memory(false);
    let step = if input.flags & RAW != 0 {
        call.ret_style = RetStyle::Hex;
        crate::decode::raw(&mut call)
    } else {
        (decoders.get(nr))(&mut call)
    };
    let name = syscall_table::name(nr);
    let mut line = format!("{name}({}", call.out);
    let args_start = name.len() + 1;
    if input.mode & NO_EXIT != 0 {
        let args = line[args_start..].to_string();
        let json = json::syscall(&record(&call, &name, &args, None));
        let args_end = line.len();
        if step == Step::AtExit {
            line.push_str(" <unfinished ...>");
        }
        line.push_str(") = ?");
        return Traced {
            line,
            json,
            dump: String::new(),
            args: args_start..args_end,
            result: None,
            complete: step == Step::Done,
        };
    }
    call.rval = input.rval;
    call.exiting = true;
    call.out.clear();
    call.mem = input.memory(true);
    if step == Step::AtExit {
        (decoders.get(nr))(&mut call);
    }
    line.push_str(&call.out);
    let args_end = line.len();
    let ret = call.return_text(str::to_string);
    let json = json::syscall(&record(
        &call,
        &name,
        &line[args_start..],
        Some(ret.as_str()),
    ));
    line.push_str(") = ");
    let result = line.len();
    line.push_str(&ret);
    let dump = if input.mode & DUMP != 0 {
        crate::dump::dump(&call, &NumberSet::all(), &NumberSet::all())
    } else {
        String::new()
    };
    Traced {
        line,
        json,
        dump,
        args: args_start..args_end,
        result: Some(result),
        complete: true,
    }
}

fn record<'a>(
    call: &Call,
    name: &'a str,
    args: &'a str,
    ret: Option<&'a str>,
) -> json::SyscallRecord<'a> {
    let failed = ret.is_some() && call.failed();
    json::SyscallRecord {
        pid: call.pid,
        time: 0.0,
        name,
        nr: call.nr,
        args,
        retval: ret.map(|_| call.rval),
        return_text: ret.unwrap_or("?"),
        errno: failed.then(|| {
            (
                format::errno_name(-call.rval),
                format::errno_message(-call.rval),
            )
        }),
        duration: 0.0,
        stack: None,
    }
}

/// The fuzz target: decode the input, check what is printed (module doc).
pub fn decode(data: &[u8]) {
    let input = Input::parse(data);
    let t = trace(&input);
    check(&t).unwrap_or_else(|e| panic!("{e}\nline: {}\njson: {}\n{}", t.line, t.json, t.dump));
}

/// The checks of the module doc.
pub fn check(t: &Traced) -> Result<(), String> {
    let args = &t.line[t.args.clone()];
    match t.result {
        Some(result) => {
            well_formed(args, false).map_err(|e| format!("arguments: {e}"))?;
            well_formed(&t.line[result..], false).map_err(|e| format!("result: {e}"))?;
        }
        None => well_formed(args, !t.complete).map_err(|e| format!("arguments: {e}"))?,
    }
    check_json(&t.json, args, t.result.map(|r| &t.line[r..]), t.complete)?;
    for line in t.dump.split_inclusive('\n') {
        let body = line
            .strip_suffix('\n')
            .ok_or_else(|| format!("dump line without its newline: {line:?}"))?;
        if !(body.starts_with(" | ") || body.starts_with(" * ") || body.starts_with(" = ")) {
            return Err(format!("dump line: {body:?}"));
        }
        if !body.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(format!("dump line not printable: {body:?}"));
        }
    }
    Ok(())
}

/// The `--json` line: one line of valid JSON whose `args` are `args` split at its
/// top-level commas (each well formed when `complete`; when not, less a trailing
/// separator), and whose `return_text` is `ret` (`?` for a call that never
/// returns).
fn check_json(line: &str, args: &str, ret: Option<&str>, complete: bool) -> Result<(), String> {
    if line.contains('\n') {
        return Err("the JSON record is more than a line".into());
    }
    let v: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("JSON record: {e}"))?;
    let list = v["args"]
        .as_array()
        .ok_or("the JSON record has no argument list")?;
    let mut texts = Vec::new();
    for a in list {
        let text = a["text"].as_str().ok_or("a JSON argument without text")?;
        if a["type"].as_str().is_none() {
            return Err(format!("a JSON argument without a type: {text:?}"));
        }
        if complete {
            well_formed(text, false).map_err(|e| format!("JSON argument {text:?}: {e}"))?;
        }
        texts.push(text);
    }
    // A call cut at `<unfinished ...>` ends in the separator before the arguments its
    // exit would have printed: the record lists those printed.
    let printed = if complete {
        args
    } else {
        args.strip_suffix(", ").unwrap_or(args)
    };
    if texts.join(", ") != printed {
        return Err(format!("the JSON arguments {texts:?} are not the text's"));
    }
    if v["return_text"].as_str() != Some(ret.unwrap_or("?")) {
        return Err("the JSON return_text is not the text's".into());
    }
    Ok(())
}

/// Where the comment whose opening `/*` precedes `b` ends: the offset of its `*/`, nested
/// comments skipped.
fn comment_end(b: &[u8]) -> Option<usize> {
    let mut depth = 1;
    let mut i = 0;
    while i + 1 < b.len() {
        match (b[i], b[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
                i += 2;
            }
            _ => i += 1,
        }
    }
    None
}

/// Whether `text` is well formed as strace prints it: brackets, braces and parentheses
/// balanced (with `open`, a line cut short: none closed that was not opened; those still
/// open are allowed), strings `"..."` closed and holding printable ASCII and strace's
/// escapes (`\" \\ \f \n \r \t \v`, octal up to `\377`, `\xNN`), comments `/* ... */`
/// closed (nested ones too: strace nests them), and nothing but printable ASCII.
pub fn well_formed(text: &str, open: bool) -> Result<(), String> {
    let b = text.as_bytes();
    let mut stack = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if !(0x20..0x7f).contains(&c) {
            return Err(format!("byte {c:#x} at {i}"));
        }
        match c {
            b'"' => {
                i += 1;
                loop {
                    match b.get(i) {
                        None => return Err(format!("a string not closed at {i}")),
                        Some(b'"') => break,
                        Some(b'\\') => {
                            i += escape(&b[i + 1..]).ok_or_else(|| format!("escape at {i}"))?
                        }
                        Some(c) if (0x20..0x7f).contains(c) => {}
                        Some(c) => return Err(format!("byte {c:#x} in a string at {i}")),
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Comments nest: strace prints `-X verbose`'s `"\x00\x00" /* htons(0 /*
                // ETH_P_??? */) */` for an unknown packet protocol.
                let end = comment_end(&b[i + 2..])
                    .ok_or_else(|| format!("a comment not closed at {i}"))?;
                if let Some(c) = b[i + 2..i + 2 + end]
                    .iter()
                    .find(|c| !(0x20..0x7f).contains(*c))
                {
                    return Err(format!("byte {c:#x} in a comment at {i}"));
                }
                i += 2 + end + 1;
            }
            b'(' | b'[' | b'{' => stack.push(c),
            b')' | b']' | b'}' => {
                let want = match c {
                    b')' => b'(',
                    b']' => b'[',
                    _ => b'{',
                };
                if stack.pop() != Some(want) {
                    return Err(format!("{:?} at {i} closes nothing", c as char));
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !open && !stack.is_empty() {
        return Err(format!("{:?} not closed", String::from_utf8_lossy(&stack)));
    }
    Ok(())
}

/// The length of the escape after a backslash in `rest`: strace's C escapes, octal, hex.
fn escape(rest: &[u8]) -> Option<usize> {
    match rest.first()? {
        b'"' | b'\\' | b'f' | b'n' | b'r' | b't' | b'v' => Some(1),
        b'x' => {
            let hex = |c: &u8| c.is_ascii_digit() || (b'a'..=b'f').contains(c);
            (rest.len() >= 3 && hex(&rest[1]) && hex(&rest[2])).then_some(3)
        }
        b'0'..=b'7' => {
            let n = rest
                .iter()
                .take(3)
                .take_while(|c| (b'0'..=b'7').contains(*c))
                .count();
            let value = rest[..n]
                .iter()
                .fold(0u32, |v, c| v * 8 + u32::from(c - b'0'));
            (value <= 0o377).then_some(n)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_knows_straces_syntax() {
        let good = [
            r#"AT_FDCWD, "a, \"b\"\x41\0\377", {st_mode=S_IFREG|0644, ...}, [1, 2]"#,
            "0x8 /* AT_??? */, [{fd=0, events=POLLIN}], 1",
            r#""abc"..., "(", ")", "[""#,
            "0x7f /* ) ] } */",
        ];
        for text in good {
            assert_eq!(well_formed(text, false), Ok(()), "{text}");
        }
        let bad = [
            r#""abc"#,
            r#""\q""#,
            r#""\400""#,
            r#""\x4""#,
            "{a=[1, 2}",
            "[1, 2",
            "1]",
            "0x8 /* AT_???",
            "a\nb",
            "\"\t\"",
        ];
        for text in bad {
            assert!(well_formed(text, false).is_err(), "{text}");
        }
        assert_eq!(well_formed("{flags=CLONE_VM, [1, ", true), Ok(()));
        assert!(well_formed("{flags=1} }", true).is_err());
        assert!(well_formed("\"abc", true).is_err());
    }

    #[test]
    fn the_input_reads_back() {
        let input = Input {
            flags: 0x5a,
            string_limit: 7,
            mode: DUMP,
            nr: 257,
            args: [1, 2, 3, u64::MAX, 5, 6],
            rval: -2,
            stack_pointer: 0x7ffd_0000,
            ranges: vec![
                Range {
                    start: 0x1000,
                    bytes: b"abc".to_vec(),
                    len: 3,
                    ..Range::default()
                },
                Range {
                    at_exit: true,
                    hole: true,
                    start: 0x1001,
                    len: 1,
                    bytes: Vec::new(),
                },
            ],
        };
        let bytes = input.encode();
        assert_eq!(Input::parse(&bytes).encode(), bytes);
        assert_eq!(Input::parse(&[]).encode(), Input::default().encode());
    }

    /// `write(1, "hi\n", 3) = 3`, from a range of memory.
    #[test]
    fn a_call_prints_as_the_tracer_prints_it() {
        let input = Input {
            string_limit: 32,
            nr: 1,
            args: [1, 0x1000, 3, 0, 0, 0],
            rval: 3,
            ranges: vec![Range {
                start: 0x1000,
                len: 3,
                bytes: b"hi\n".to_vec(),
                ..Range::default()
            }],
            ..Input::default()
        };
        let t = trace(&input);
        assert_eq!(t.line, r#"write(1, "hi\n", 3) = 3"#);
        assert_eq!(check(&t), Ok(()));
        let v: serde_json::Value = serde_json::from_str(&t.json).unwrap();
        assert_eq!(v["args"][1]["text"], r#""hi\n""#);
    }
}
