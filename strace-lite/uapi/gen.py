#!/usr/bin/env python3
"""Generate strace-lite's constant and system call tables from the kernel's UAPI headers.

Inputs (this folder):
  xlat/MODULE.in        the named constants each decoder prints, in strace's order; the
                        values come from the C headers each table names (Debian's
                        linux-libc-dev, and glibc where the kernel keeps a constant out of
                        its UAPI), compiled and printed by the C compiler
  syscalls/x86_64.tsv   name, argument count and %classes of every x86_64 call (strace
                        6.1's linux/x86_64/syscallent.h); the numbers come from
                        <asm/unistd_64.h>, and the file records only the numbers of calls
                        newer than those headers
  syscalls/i386.tsv     name and %classes of every i386 call (strace 6.1's
                        linux/i386/syscallent.h); numbers from <asm/unistd_32.h>
Outputs:
  ../src/uapi/xlat.rs, ../src/uapi/syscalls.rs   (rustfmt-formatted; never edited by hand)

  gen.py            write the outputs
  gen.py --check    regenerate into memory and fail, with a diff, if an output differs:
                    the test that keeps the tables from drifting from the ABI
  gen.py --kernel-src DIR   also check every number against the kernel tree's
                    arch/x86/entry/syscalls/syscall_64.tbl (the numbers newer calls take)

The .in format, one line each:
  #include <linux/fcntl.h>   a header for the tables below it in the file (before the first
                             table) or for the current table (after it)
  [NAME]                     starts a table; `[NAME octal]` prints its values in octal
  O_CREAT                    an entry named by a C constant
  "TEXT" EXPR                an entry printed as TEXT with the value of the C expression EXPR
  NAME EXPR                  likewise, for a name the headers lack (the .in says why)
  # ...                      a comment (a line starting with `# `)
"""

import difflib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src", "uapi")
UNISTD_64 = "asm/unistd_64.h"
UNISTD_32 = "asm/unistd_32.h"
CLASSES = {"TD", "TF", "TI", "TN", "TP", "TS", "TM", "TC", "TCL", "TST", "TLST", "TFST",
           "TSTA", "TSF", "TFSF", "TSFA", "PU"}


def die(msg):
    sys.exit(f"uapi/gen.py: {msg}")


def parse_in(path):
    """The tables of one .in file: [(name, octal, includes, [(text, expr)])]."""
    common, tables = [], []
    for lineno, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.strip()
        where = f"{os.path.relpath(path, HERE)}:{lineno}"
        if not line or line == "#" or line.startswith("# "):
            continue
        if line.startswith("#include"):
            (tables[-1][2] if tables else common).append(line)
            continue
        m = re.fullmatch(r"\[(\w+)( octal)?\]", line)
        if m:
            tables.append((m.group(1), bool(m.group(2)), list(common), []))
            continue
        if not tables:
            die(f"{where}: an entry before the first [TABLE]")
        m = re.fullmatch(r'"([^"]+)"\s+(.+)|(\w+)(?:\s+(.+))?', line)
        if not m:
            die(f"{where}: cannot read {line!r}")
        if m.group(1):
            text, expr = m.group(1), m.group(2)
        else:
            text, expr = m.group(3), m.group(4) or m.group(3)
        tables[-1][3].append((text, expr))
    return tables


def c_values(includes, exprs, what):
    """The values of the C expressions `exprs` as unsigned 64-bit numbers."""
    body = "".join(f'  printf("%llu\\n", (unsigned long long)({e}));\n' for e in exprs)
    prog = "\n".join(["#include <stdio.h>"] + includes) + f"\nint main(void) {{\n{body}  return 0;\n}}\n"
    with tempfile.TemporaryDirectory() as tmp:
        c, exe = os.path.join(tmp, "t.c"), os.path.join(tmp, "t")
        open(c, "w").write(prog)
        r = subprocess.run(["cc", "-w", "-D_GNU_SOURCE", "-o", exe, c], capture_output=True, text=True)
        if r.returncode != 0:
            die(f"{what}: the C compiler refused the table:\n{r.stderr}")
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split()
    return [int(v) for v in out]


def rust_number(value, octal):
    if octal and value >= 8:
        return f"0o{value:o}"
    return str(value) if value < 16 else f"{value:#x}"


def gen_xlat():
    files = sorted(f for f in os.listdir(os.path.join(HERE, "xlat")) if f.endswith(".in"))
    out = [HEADER.format(inputs="uapi/xlat/*.in"),
           "//! The named constants the decoders print, in strace's order, by decoder module.\n"]
    for f in files:
        module = f[:-3]
        out.append(f"\npub(crate) mod {module} {{\n    use crate::format::Xlat;\n")
        for name, octal, includes, entries in parse_in(os.path.join(HERE, "xlat", f)):
            values = c_values(includes, [e for _, e in entries], f"xlat/{f} [{name}]")
            rows = "".join(f'(' + rust_number(v, octal) + f', "{t}"), '
                           for (t, _), v in zip(entries, values))
            out.append(f"    pub(crate) const {name}: &Xlat = &[{rows}];\n")
        out.append("}\n")
    return "".join(out)


def header_numbers(header):
    found = {}
    text = subprocess.run(["cc", "-E", "-dM", "-"], input=f"#include <{header}>\n",
                          capture_output=True, text=True, check=True).stdout
    for m in re.finditer(r"#define __NR_(\w+) (\d+)", text):
        found[m.group(1)] = int(m.group(2))
    return found


def kernel_numbers(kernel_src):
    found = {}
    tbl = os.path.join(kernel_src, "arch/x86/entry/syscalls/syscall_64.tbl")
    for line in open(tbl, encoding="utf-8"):
        f = line.split()
        if len(f) >= 3 and not line.startswith("#") and f[1] in ("common", "64"):
            found[f[2]] = int(f[0])
    return found


def gen_syscalls(kernel_src):
    numbers = header_numbers(UNISTD_64)
    kernel = kernel_numbers(kernel_src) if kernel_src else None
    rows = []
    path = os.path.join(HERE, "syscalls", "x86_64.tsv")
    for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split()
        name, nargs, classes = f[0], int(f[1]), f[2]
        recorded = int(f[3]) if len(f) > 3 else None
        nr = numbers.get(name)
        if nr is None and recorded is None:
            die(f"syscalls/x86_64.tsv:{lineno}: {name} is not in <{UNISTD_64}> and has no number")
        if nr is not None and recorded is not None and nr != recorded:
            die(f"syscalls/x86_64.tsv:{lineno}: {name} is {recorded} here but {nr} in <{UNISTD_64}>")
        nr = nr if nr is not None else recorded
        if kernel is not None and kernel.get(name, nr) != nr:
            die(f"syscalls/x86_64.tsv:{lineno}: {name} is {nr} here but {kernel[name]} in the kernel")
        bad = set(classes.split("|")) - CLASSES - {"0"}
        if bad:
            die(f"syscalls/x86_64.tsv:{lineno}: unknown classes {bad}")
        rows.append((nr, name, nargs, classes.replace("|", " | ")))
    listed = {r[1] for r in rows}
    missing = sorted(n for n in numbers if n not in listed)
    if missing:
        die(f"<{UNISTD_64}> has calls syscalls/x86_64.tsv lacks: {', '.join(missing)}")
    rows.sort()
    for a, b in zip(rows, rows[1:]):
        if a[0] == b[0]:
            die(f"{a[1]} and {b[1]} share number {a[0]}")
    body = "".join(f'SyscallEntry {{ nr: {nr}, name: "{name}", nargs: {nargs}, classes: {c} }},'
                   for nr, name, nargs, c in rows)
    i386 = "".join(f'({nr}, "{name}", {c}),' for nr, name, c in gen_i386())
    return (HEADER.format(inputs=f"uapi/syscalls/*.tsv, <{UNISTD_64}> and <{UNISTD_32}>")
            + "//! The system call tables: every x86_64 call strace 6.1 knows (and the newer ones),\n"
            + "//! and every i386 call, by number.\n\n"
            + "use crate::syscall_table::class::*;\nuse crate::syscall_table::SyscallEntry;\n\n"
            + f"pub(crate) static X86_64: &[SyscallEntry] = &[{body}];\n\n"
            + "/// (number, name, classes) of every i386 call.\n"
            + f"pub(crate) static I386: &[(u16, &str, u32)] = &[{i386}];\n")


def gen_i386():
    numbers = header_numbers(UNISTD_32)
    rows = []
    path = os.path.join(HERE, "syscalls", "i386.tsv")
    for lineno, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, classes = line.split()
        if name not in numbers:
            die(f"syscalls/i386.tsv:{lineno}: {name} is not in <{UNISTD_32}>")
        rows.append((numbers[name], name, classes.replace("|", " | ")))
    missing = sorted(set(numbers) - {r[1] for r in rows})
    if missing:
        die(f"<{UNISTD_32}> has calls syscalls/i386.tsv lacks: {', '.join(missing)}")
    return sorted(rows)


HEADER = ("// @generated by strace-lite/uapi/gen.py from {inputs}: do not edit; change the\n"
          "// input and run the script (strace-lite/README.md, \"Tables\").\n")


def rustfmt(text):
    r = subprocess.run(["rustfmt", "--edition", "2021", "--emit", "stdout", "--quiet"],
                       input=text, capture_output=True, text=True)
    if r.returncode != 0:
        die(f"rustfmt failed:\n{r.stderr}")
    return r.stdout


def main(argv):
    check = "--check" in argv
    kernel_src = None
    if "--kernel-src" in argv:
        kernel_src = argv[argv.index("--kernel-src") + 1]
    outputs = {"xlat.rs": gen_xlat(), "syscalls.rs": gen_syscalls(kernel_src)}
    stale = []
    for name, text in outputs.items():
        text = rustfmt(text)
        path = os.path.join(SRC, name)
        old = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if old == text:
            continue
        if check:
            stale.append(name)
            sys.stdout.writelines(difflib.unified_diff(
                old.splitlines(True), text.splitlines(True), f"src/uapi/{name}", "generated"))
        else:
            open(path, "w", encoding="utf-8").write(text)
            print(f"wrote src/uapi/{name}")
    if stale:
        die(f"src/uapi/{', '.join(stale)} differ from what the headers give: run strace-lite/uapi/gen.py")


if __name__ == "__main__":
    main(sys.argv[1:])
