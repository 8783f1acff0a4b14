//! `-k`: the stack after each shown syscall, compared with strace's `-k` (Debian's strace
//! is built with libdw): our own C programs built with frame pointers and without them
//! (so the unwinding must come from `.eh_frame`), a call chain that goes through libc and
//! back (qsort calling our comparator), signal handlers (unwinding through the signal
//! frame), CFI written as DWARF expressions, C++ names, threads; and each frame in our own
//! binary checked against `nm`'s addresses.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

/// Trace `prog` with both tracers and `options` (+ -k); both normalised traces.
fn both_k(test: &str, options: &[&str], prog: &Path) -> (Vec<String>, Vec<String>, String) {
    let dir = scratch_dir(test);
    let mut opts = vec!["-k"];
    opts.extend_from_slice(options);
    trace(STRACE, &opts, &dir.join("strace"), prog, &[]);
    trace(STRACE_LITE, &opts, &dir.join("lite"), prog, &[]);
    let theirs = std::fs::read_to_string(dir.join("strace")).expect("strace");
    let mine = std::fs::read_to_string(dir.join("lite")).expect("lite");
    (normalize(&theirs), normalize(&mine), mine)
}

/// Function addresses of `binary` from `nm`.
fn nm(binary: &Path) -> HashMap<String, u64> {
    let out = Command::new("nm")
        .arg(binary)
        .output()
        .expect("nm (binutils)");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let addr = u64::from_str_radix(f.next()?, 16).ok()?;
            let _kind = f.next()?;
            Some((f.next()?.to_string(), addr))
        })
        .collect()
}

/// Every ` > BINARY(sym+0xoff) [0xaddr]` frame of `binary` in `trace` agrees with nm:
/// sym's address + off = addr (`[addr]` is a file offset, equal to the address in gcc's
/// text segment). Returns the symbols seen.
fn frames_agree_with_nm(trace: &str, binary: &Path) -> Vec<String> {
    let symbols = nm(binary);
    let prefix = format!(" > {}(", binary.display());
    let mut seen = Vec::new();
    for line in trace.lines() {
        let Some(rest) = line.strip_prefix(&prefix) else {
            continue;
        };
        let (sym_off, addr) = rest.split_once(") [").expect("frame");
        let (sym, off) = sym_off.rsplit_once("+0x").expect("sym+off");
        let off = u64::from_str_radix(off, 16).expect("off");
        let addr = u64::from_str_radix(addr.trim_end_matches(']').trim_start_matches("0x"), 16)
            .expect("addr");
        let base = symbols
            .get(sym)
            .unwrap_or_else(|| panic!("{sym} not in nm"));
        assert_eq!(base + off, addr, "{line}");
        seen.push(sym.to_string());
    }
    seen
}

fn built_without_frame_pointers() -> std::path::PathBuf {
    let dir = scratch_dir("stack-programs");
    let out = dir.join("callchain-O2");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/callchain.c");
    let status = Command::new("gcc")
        .args(["-O2", "-fomit-frame-pointer", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("gcc");
    assert!(status.success());
    out
}

/// `tests/programs/cpp_names.cpp` built with g++ at `level` (`-O2` also drops the frame
/// pointers, so unwinding comes from `.eh_frame`).
fn cpp_program(level: &str) -> std::path::PathBuf {
    let dir = scratch_dir(&format!("stack-cpp{level}"));
    let out = dir.join(format!("cpp_names{level}"));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/cpp_names.cpp");
    let status = Command::new("g++")
        .args([level, "-fomit-frame-pointer", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .expect("g++ (installed by make deps)");
    assert!(status.success());
    out
}

/// C++ frames, ours and libstdc++'s, demangled as strace (libiberty) prints them.
#[test]
fn cpp_names_are_demangled_as_strace_does() {
    for level in ["-O0", "-O2"] {
        let prog = cpp_program(level);
        let (theirs, mine, raw) = both_k(
            &format!("stack-cpp-trace{level}"),
            &["-e", "trace=write"],
            &prog,
        );
        assert_same(&format!("{}", prog.display()), &theirs, &mine);
        for name in [
            "(demo::Widget::flush_all()+",
            "(std::ostream::flush()+",
            "(main+",
        ] {
            assert!(raw.contains(name), "{level}: no {name} frame in {raw}");
        }
        assert!(!raw.contains("(_Z"), "{level}: a mangled name in {raw}");
    }
}

/// A frame whose CFI is DWARF expressions (the CFA and a saved register), written by hand
/// in `tests/programs/cfiexpr.c`: the unwinder evaluates them (gimli) and goes on to
/// `main` and libc, as strace does.
#[test]
fn cfi_expressions_are_evaluated() {
    let prog = program("cfiexpr");
    let (theirs, mine, raw) = both_k("stack-cfiexpr", &["-e", "trace=write"], &prog);
    assert_same("cfiexpr", &theirs, &mine);
    let seen = frames_agree_with_nm(&raw, &prog);
    for f in ["inner", "hand_framed", "main"] {
        assert!(seen.iter().any(|s| s == f), "{f} missing from {seen:?}");
    }
}

#[test]
fn call_chains_through_our_code_and_libc() {
    let opts = ["-e", "trace=write,getppid"];
    for prog in [program("callchain"), built_without_frame_pointers()] {
        let (theirs, mine, raw) = both_k("stack-callchain", &opts, &prog);
        assert!(
            theirs.iter().any(|l| l.starts_with(" > ")),
            "strace -k printed no stack"
        );
        assert_same(&format!("{}", prog.display()), &theirs, &mine);
        let seen = frames_agree_with_nm(&raw, &prog);
        // (-O2 turns level2's write into a tail call: level2 has no frame of its own.)
        for f in ["main", "compare", "sort_three", "level1"] {
            assert!(seen.iter().any(|s| s == f), "{f} missing from {seen:?}");
        }
    }
}

/// Handlers run on the interrupted code's stack: the unwinder steps over the signal
/// frame (the kernel's ucontext) back into the interrupted call.
#[test]
fn signal_handlers_and_every_other_call() {
    let (theirs, mine, raw) = both_k("stack-signals", &[], &program("signals"));
    assert_same("signals", &theirs, &mine);
    let seen = frames_agree_with_nm(&raw, &program("signals"));
    assert!(
        seen.iter().any(|s| s == "main"),
        "no frame of main: {seen:?}"
    );
    let (theirs, mine, _, _) = both("stack-files", &["-k"], "files", &["$DIR"]);
    assert!(
        theirs.iter().any(|l| l.starts_with(" > ")),
        "strace -k printed no stack: {theirs:#?}"
    );
    assert_same("files", &theirs, &mine);
}

#[test]
fn threads_one_file_each() {
    let dir = scratch_dir("stack-threads");
    let prog = program("threads");
    trace(
        STRACE,
        &["-k", "-ff", "-e", "trace=write"],
        &dir.join("strace"),
        &prog,
        &[],
    );
    trace(
        STRACE_LITE,
        &["-k", "-ff", "-e", "trace=write"],
        &dir.join("lite"),
        &prog,
        &[],
    );
    let files = |base: &str| -> Vec<Vec<String>> {
        let mut names: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir(&dir)
            .expect("dir")
            .filter_map(|e| {
                let p = e.ok()?.path();
                let pid = p
                    .file_name()?
                    .to_str()?
                    .strip_prefix(&format!("{base}."))?
                    .parse()
                    .ok()?;
                Some((pid, p))
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|(_, p)| normalize(&std::fs::read_to_string(p).expect("trace")))
            .collect()
    };
    let (theirs, mine) = (files("strace"), files("lite"));
    assert_eq!(theirs.len(), 3);
    assert_eq!(theirs.len(), mine.len());
    for (t, m) in theirs.iter().zip(&mine) {
        assert!(t.iter().any(|l| l.starts_with(" > ")), "no stack: {t:#?}");
        assert_same("thread", t, m);
    }
}

/// Our own Rust binary (strace-lite printing its version): Rust names demangled as
/// strace prints them, the whole chain from `write` down to `_start` (the source says
/// what it is), and every frame strace's libdw finds is one of ours, in the same order
/// (libdw skips some frames of this binary and stops early; the frames it does print
/// must agree to the byte).
#[test]
fn our_rust_binary() {
    let dir = scratch_dir("stack-rust");
    let me = Path::new(STRACE_LITE);
    let opts = ["-k", "-e", "trace=write"];
    trace(STRACE, &opts, &dir.join("strace"), me, &["--version"]);
    trace(STRACE_LITE, &opts, &dir.join("lite"), me, &["--version"]);
    let frames = |name: &str| -> Vec<String> {
        std::fs::read_to_string(dir.join(name))
            .expect("trace")
            .lines()
            .filter(|l| l.starts_with(" > "))
            .map(str::to_string)
            .collect()
    };
    let (theirs, mine) = (frames("strace"), frames("lite"));
    assert!(theirs.len() >= 5, "{theirs:#?}");
    let mut at = 0;
    for frame in &theirs {
        match mine[at..].iter().position(|m| m == frame) {
            Some(i) => at += i + 1,
            None => panic!("strace's frame {frame:?} is not in ours (in order): {mine:#?}"),
        }
    }
    let symbols: Vec<&str> = mine
        .iter()
        .filter_map(|f| f.split_once('(')?.1.rsplit_once('+').map(|(s, _)| s))
        .collect();
    let mut want = [
        "std::io::stdio::_print",
        "strace_lite::main",
        "std::rt::lang_start_internal",
        "main",
        "__libc_start_main",
        "_start",
    ]
    .into_iter()
    .peekable();
    for s in &symbols {
        if want.peek() == Some(s) {
            want.next();
        }
    }
    assert_eq!(want.next(), None, "the chain is incomplete: {symbols:#?}");
}

/// Under `--seccomp-bpf` only the traced calls stop, yet the unwinder must see the
/// mappings change: a library unloaded and another loaded in its place, then a new file
/// renamed over the first one's path. Each frame names the library and function that made
/// the call, as strace prints them.
#[test]
fn mappings_that_change_under_seccomp_bpf() {
    let dir = scratch_dir("stack-remap");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs/remap/lib.c");
    let opts = ["-f", "--seccomp-bpf", "-k", "-e", "trace=getpid"];
    let mut traces = Vec::new();
    for (tracer, out) in [(STRACE, "strace"), (STRACE_LITE, "lite")] {
        // Built afresh for each run: the program renames libthree.so over libone.so.
        for (lib, name) in [("one", "one_fn"), ("two", "two_fn"), ("three", "three_fn")] {
            let status = Command::new("gcc")
                .args(["-O0", "-shared", "-fPIC", &format!("-DNAME={name}"), "-o"])
                .arg(dir.join(format!("lib{lib}.so")))
                .arg(&src)
                .status()
                .expect("gcc");
            assert!(status.success());
        }
        let arg = dir.to_str().expect("utf-8 path");
        let run = trace(tracer, &opts, &dir.join(out), &program("remap"), &[arg]);
        assert_eq!(run.status.code(), Some(0), "{tracer}: {}", run.stderr);
        traces.push(std::fs::read_to_string(dir.join(out)).expect("trace"));
    }
    let frames: Vec<String> = traces[1]
        .lines()
        .filter_map(|l| {
            let lib = l.strip_prefix(" > ")?.split('(').next()?;
            let lib = Path::new(lib).file_name()?.to_str()?;
            let func = l.split_once('(')?.1.split('+').next()?;
            func.ends_with("_fn").then(|| format!("{lib}:{func}"))
        })
        .collect();
    assert_eq!(
        frames,
        ["libone.so:one_fn", "libtwo.so:two_fn", "libone.so:three_fn"],
        "{}",
        traces[1]
    );
    assert_same("remap", &normalize(&traces[0]), &normalize(&traces[1]));
}
