#!/usr/bin/env python3
"""Run tests of strace 6.1's own test suite with the real strace and with strace-lite.

Each test is run as strace's `make check` runs it (`env STRACE_ARCH=... ./run.sh
./NAME.gen.test`), with $STRACE pointing at the tracer: the test program prints what
strace 6.1 prints for it, and the test script diffs (or greps, or awks) the tracer's log
against that. Nothing is normalised or skipped here: a test passes when strace's own
script says it passes.

    suite/run.py                   the full list (suite/tests.list), both tracers, a table
    suite/run.py --subset          suite/pass.list with strace-lite only; exit 1 if any fails
    suite/run.py accept chmod      just these tests

The programs come from suite/build.sh (cached under ~/.cache/os-toolkit/strace-suite);
strace-lite is `cargo build --release -p strace-lite` unless --lite names a binary.
"""

import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# What strace's Makefile passes to every test on x86_64 (tests/Makefile: AM_TEST_LOG_FLAGS).
TEST_ENV = {
    "STRACE_ARCH": "x86_64",
    "STRACE_NATIVE_ARCH": "x86_64",
    "SIZEOF_KERNEL_LONG_T": "8",
    "SIZEOF_LONG": "8",
    "MIPS_ABI": "",
    "srcdir": ".",
}


def read_list(path):
    names = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                names.append(line.split()[0])
    return names


def build_suite(lists):
    """suite/build.sh: the build directory, or exit with its message."""
    try:
        out = subprocess.run(
            [os.path.join(HERE, "build.sh"), *lists], stdout=subprocess.PIPE, text=True, check=True
        ).stdout
    except subprocess.CalledProcessError as e:
        sys.exit(
            f"strace-suite: FAILED - strace's test suite could not be fetched or built "
            f"(suite/build.sh exited {e.returncode}, see above); no test was run"
        )
    return out.strip().splitlines()[-1]


def build_lite():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    print("strace-suite: cargo build --release --locked -p strace-lite", file=sys.stderr)
    r = subprocess.run(
        ["nice", "cargo", "build", "--release", "--locked", "-p", "strace-lite"], cwd=ROOT
    )
    if r.returncode != 0:
        sys.exit("strace-suite: FAILED - cargo could not build strace-lite")
    return os.path.join(target, "release", "strace-lite")


def make_farm(build, where):
    """A private copy of the suite's tests directory (symbolic links to the cached build),
    so that runs do not share the NAME.dir directories the tests work in."""
    os.makedirs(where)
    os.symlink(os.path.join(build, "src"), os.path.join(where, "src"))
    tests = os.path.join(where, "tests")
    os.makedirs(tests)
    src = os.path.join(build, "tests")
    for entry in os.scandir(src):
        if entry.is_file():
            os.symlink(entry.path, os.path.join(tests, entry.name))
    return tests


def uses_trace_expr(tests, names):
    for n in names:
        script = test_script(tests, n)
        if script:
            with open(os.path.join(tests, script)) as f:
                if "test_trace_expr" in f.read():
                    return True
    return False


def failing_untraced(tests):
    """The programs of pure_executables.list that fail when run untraced, here.

    test_trace_expr runs every one of them under the tracer and expects no output, but first
    runs each untraced (try_run_prog) and fails the test if one exits with neither 0 nor 77:
    strace 6.1's membarrier test does on kernels newer than it (a new command bit), which
    fails every such test whatever the tracer prints. Those programs are left out of the
    negative sets (said so in the output), so these tests measure the tracer."""
    bad = []
    work = tempfile.mkdtemp(prefix="untraced.", dir=tests)
    with open(os.path.join(tests, "pure_executables.list")) as f:
        progs = [ln.split()[0] for ln in f if ln.strip() and not ln.startswith("#")]
    for prog in progs:
        try:
            rc = subprocess.run([os.path.join("..", prog)], cwd=work, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        if rc not in (0, 77):
            bad.append((prog, rc))
    shutil.rmtree(work, ignore_errors=True)
    return bad


def drop_from_pure_list(tests, progs):
    path = os.path.join(tests, "pure_executables.list")
    with open(path) as f:
        lines = [ln for ln in f if ln.split()[:1] and ln.split()[0] in progs and not ln.startswith("#")]
        f.seek(0)
        keep = [ln for ln in f if ln not in lines]
    os.unlink(path)  # a link into the cache: replaced by this run's own copy
    with open(path, "w") as f:
        f.writelines(keep)


def test_script(tests, name):
    for s in (f"{name}.gen.test", f"{name}.test"):
        if os.path.exists(os.path.join(tests, s)):
            return s
    return None


def run_one(tests, name, tracer, timeout, logdir, tag):
    """Run one test under one tracer: (status, log text, seconds)."""
    script = test_script(tests, name)
    log_path = os.path.join(logdir, tag, name + ".log")
    if script is None:
        text = f"no test script {name}.gen.test or {name}.test\n"
        with open(log_path, "w") as f:
            f.write(text)
        return "ERROR", text, 0.0
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRACE", "VERBOSE"))}
    env.update(TEST_ENV)
    env["STRACE"] = tracer
    env["TIMEOUT_DURATION"] = str(timeout)
    start = time.monotonic()
    with open(log_path, "w") as log:
        # A session of its own, so that whatever a test leaves running is ended with it.
        p = subprocess.Popen(
            ["./run.sh", "./" + script],
            cwd=tests,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            rc = p.wait(timeout=timeout + 60)
        except subprocess.TimeoutExpired:
            rc = None
        finally:
            kill_session(p.pid)
            if rc is None:
                p.wait()
    secs = time.monotonic() - start
    with open(log_path, errors="replace") as f:
        text = f.read()
    if rc == 0 and not wrote_trace(tests, name, script):
        # strace's tests take the tracer's word that it ran the program: the program writes
        # the expected output while traced, so a tracer that runs nothing passes many of
        # them (empty against empty). Each test's last trace must hold something.
        rc = 1
        text += "\nstrace-suite: the test passed, but its last trace (NAME.dir/log*) is empty\n"
    if rc is None:
        text += f"\nstrace-suite: killed after {timeout + 60} s\n"
        status = "FAIL"
    elif rc == 0:
        status = "PASS"
    elif rc == 77:
        status = "SKIP"
    elif rc == 99:
        status = "ERROR"
    else:
        status = "FAIL"
    return status, text, secs


def wrote_trace(tests, name, script):
    """Whether the test's last trace file is not empty (test_trace_expr's last runs expect
    nothing: not checked there)."""
    with open(os.path.join(tests, script)) as f:
        if "test_trace_expr" in f.read():
            return True
    d = os.path.join(tests, name + ".dir")
    try:
        logs = [e for e in os.scandir(d) if e.name == "log" or e.name.startswith("log.")]
    except OSError:
        return False
    return any(e.stat().st_size > 0 for e in logs)


def canary(tracer):
    """None if the tracer traces a command into a file as strace does, else what is wrong."""
    work = tempfile.mkdtemp(prefix="strace-suite-canary.")
    log = os.path.join(work, "log")
    try:
        r = subprocess.run([tracer, "-o", log, "-e", "trace=execve", "/bin/true"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
        out = open(log).read() if os.path.exists(log) else ""
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if r.returncode != 0 or 'execve("/bin/true", ["/bin/true"], ' not in out or "+++ exited with 0 +++" not in out:
        return f"`{tracer} -o LOG -e trace=execve /bin/true` exited {r.returncode} and wrote {out[:200]!r}"
    return None


def kill_session(sid):
    """SIGKILL every process left in the session the test ran in (by its id)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) == sid:  # field 6: session
                os.kill(int(pid), signal.SIGKILL)
        except (OSError, IndexError, ValueError):
            pass


# --- Why a test failed ---------------------------------------------------------------------

USAGE_RE = re.compile(r"^(?:strace-lite|strace): (.*)$", re.M)
CALL_RE = re.compile(r"^(?:\[pid +\d+\] |\d+ +)?(?:[\d:.]+ +)?([A-Za-z_][A-Za-z0-9_]*)\(")


def option_of(message):
    """The option a usage error is about, as the test spelled it."""
    m = re.search(r"the argument '(-[^' ]+)[^']*' cannot be used multiple times", message)
    if m:
        return m.group(1) + " given twice"
    m = re.search(r"invalid system call '([^']*)'", message)
    if m:
        return f"-e trace={m.group(1)}"
    m = re.search(r"invalid sortby: '([^']*)'", message)
    if m:
        return f"-S {m.group(1)}"
    m = re.search(r"unexpected argument '([^']+)'", message)
    if m:
        return m.group(1)
    m = re.search(r"invalid -e argument: '([^'=]+=?)", message)
    if m:
        return "-e " + m.group(1)
    m = re.search(r"invalid value '([^']*)' for '([^' ]+)", message)
    if m:
        return f"{m.group(2)} {m.group(1)}"
    m = re.search(r"'(-[^']+)'", message)
    if m:
        return m.group(1)
    return message


def call_name(line):
    line = line.strip()
    if line.startswith("+++") or " +++" in line[:20]:
        return "exit line"
    if "--- SIG" in line or line.startswith("---"):
        return "signal line"
    m = CALL_RE.match(line)
    if m:
        return m.group(1)
    return None


def shorten(s, n=150):
    s = s.replace("\t", " ")
    return s if len(s) <= n else s[: n - 3] + "..."


ADDR_RE = re.compile(r"^0x[0-9a-f]{5,}$")
INT_RE = re.compile(r"^-?\d+$")
BOUNDARY = set(",()[]{}= ")


def token_at(s, i):
    """The argument text of s that starts at i: up to the next `,` `)` `}` `]` (or `=`)."""
    j = i
    while j < len(s) and s[j] not in ",)}]":
        j += 1
    return s[i:j]


def line_difference(exp, got):
    """(class, detail) for two lines that differ: where they part, and how."""
    n = 0
    while n < min(len(exp), len(got)) and exp[n] == got[n]:
        n += 1
    i = n
    while i > 0 and exp[i - 1] not in BOUNDARY:
        i -= 1
    e, g = token_at(exp, i), token_at(got, i)
    er, gr = exp[n:], got[n:]
    name = call_name(exp) or "other line"
    ctx = exp[max(0, n - 50) : n]
    detail = f"{name}: after `...{ctx}` expected `{shorten(er, 45) or '(end)'}`, got `{shorten(gr, 45) or '(end)'}`"
    if ADDR_RE.match(e) and g[:1] in '{["~' and not ADDR_RE.match(g):
        cls = "decodes memory that strace prints as an address"
    elif ADDR_RE.match(g) and e[:1] in '{["~.' and not ADDR_RE.match(e):
        cls = "prints an address where strace decodes the memory"
    elif e == "NULL" and g == "0":
        cls = "0 where strace prints NULL"
    elif INT_RE.match(e) and INT_RE.match(g) and (e.startswith("-") != g.startswith("-")):
        cls = "number signed where strace prints it unsigned" if g.startswith("-") else "number unsigned where strace prints it signed"
    elif er.startswith(", ???") or er.startswith("???"):
        cls = "no `???` for the unread rest of a struct (strace prints it)"
    elif er.startswith(" /*"):
        cls = "no `/* ... */` comment where strace prints one"
    elif gr.startswith(" /*"):
        cls = "a `/* ... */` comment strace does not print"
    elif er.startswith("...") or er.startswith('"...') or er.startswith(", ..."):
        cls = "no `...` where strace truncates"
    elif gr.startswith("...") or gr.startswith('"...') or gr.startswith(", ..."):
        cls = "`...` where strace prints it all"
    elif gr.startswith(", ") and "=" in token_at(got, n + 2) and er[:1] in ")}]":
        cls = "a field or argument strace does not print"
    elif er.startswith(", ") and gr[:1] in ")}]":
        cls = "an element or field that strace prints is missing"
    elif "pid changed to" in er or "unfinished ...>" in gr or "resumed>" in gr:
        cls = "`<unfinished ...>` / `<pid changed to ...>` markers"
    elif re.search(r"\d<[^>]*$", exp[:n]):
        cls = "-y/-yy fd decoration"
    elif re.match(r"^[A-Z][A-Z0-9_|]+", e) and re.match(r"^(-?\d|0x|_IOC\()", g):
        cls = "a number where strace prints a named constant"
    elif re.match(r"^(-?\d|0x)", e) and re.match(r"^[A-Z_][A-Z0-9_|]+", g):
        cls = "a named constant where strace prints a number"
    elif e.startswith('"') and g.startswith('"'):
        cls = "string contents or escapes"
    else:
        cls = f"output differs ({name})"
    return cls, detail


def classify(text, tracer_name):
    """(class, detail): the group a failure belongs to, and its one-line cause."""
    if re.search(r"^Try '\S+ -h'", text, re.M):
        msgs = [m for m in USAGE_RE.findall(text) if "Try" not in m]
        msg = msgs[0] if msgs else "usage error"
        return "usage error: " + option_of(msg), "usage error: " + shorten(msg)
    if "time limit (" in text or "strace-suite: killed after" in text:
        return "timeout", "timeout"
    if "panicked at" in text:
        m = re.search(r"panicked at [^\n]*\n?([^\n]*)", text)
        return "panic", "panic: " + shorten(m.group(0).replace("\n", " ") if m else "")
    # diff -u: the first removed (expected) and added (traced) lines after the first hunk.
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("@@ ") and i >= 2 and lines[i - 1].startswith("+++ ") and lines[i - 2].startswith("--- "):
            exp = got = None
            for d in lines[i + 1 :]:
                if d.startswith("-") and exp is None:
                    exp = d[1:]
                elif d.startswith("+") and got is None:
                    got = d[1:]
                    break
                elif d.startswith("-"):
                    continue
                elif exp is not None:
                    break
            if exp is not None and got is not None:
                return line_difference(exp, got)
            if exp is not None:
                name = call_name(exp) or "other line"
                return "a line strace prints is missing", f"missing `{shorten(exp, 140)}`"
            if got is not None:
                name = call_name(got) or "other line"
                return "a line strace does not print", f"unexpected `{shorten(got, 140)}`"
    # plain diff (a test's own `diff EXP OUT`): the first `<` (expected) and `>` (traced) lines.
    for i, line in enumerate(lines):
        if re.match(r"^\d+(,\d+)?[acd]\d+(,\d+)?$", line):
            exp = next((d[2:] for d in lines[i + 1 :] if d.startswith("< ")), None)
            got = next((d[2:] for d in lines[i + 1 :] if d.startswith("> ")), None)
            if exp is not None and got is not None:
                return line_difference(exp, got)
            break
    # match_grep: the patterns no line matched.
    m = re.search(r"Failed patterns of expected output:\n(?:#\d+: )?(.*)", text)
    if m:
        pat = m.group(1)
        name = call_name(pat.replace("\\", "")) or "pattern"
        return f"no line matches a pattern ({name})", f"no line matches `{shorten(pat, 130)}`"
    m = re.search(r"failed test: (.*)", text)
    if m:
        msg = m.group(1)
        mm = re.search(r"failed with code (\d+)", msg)
        if mm and (tracer_name in msg.split(" failed", 1)[0]):
            return f"tracer exit {mm.group(1)}", shorten(msg)
        if "output mismatch" in msg:
            return "output mismatch (the test's own check)", shorten(msg)
        return "test: " + shorten(re.sub(r"\d+", "N", msg), 60), shorten(msg)
    m = re.search(r"(skipped test|framework skip|framework failure): (.*)", text)
    if m:
        return m.group(1), shorten(m.group(2))
    last = [line for line in lines if line.strip()][-1:] or ["(no output)"]
    return "other", shorten(last[0])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("tests", nargs="*", help="test names (default: the list)")
    ap.add_argument("--list", help="a list file (default: suite/tests.list)")
    ap.add_argument("--subset", action="store_true",
                    help="the regression subset: suite/pass.list, strace-lite only, exit 1 on any failure")
    ap.add_argument("--lite", help="the strace-lite binary (default: cargo build --release)")
    ap.add_argument("--strace", default="/usr/bin/strace", help="the real strace (default /usr/bin/strace)")
    ap.add_argument("--only", choices=["strace", "lite"], help="run one tracer only")
    ap.add_argument("-j", "--jobs", type=int, default=1, help="tests run at once (default 1)")
    ap.add_argument("--timeout", type=int, default=120, help="seconds per test (default 120)")
    ap.add_argument("--logs", help="keep the logs here (default: a temporary directory, kept on failure)")
    ap.add_argument("--markdown", help="also write the results as Markdown tables into this file")
    args = ap.parse_args()

    if args.subset:
        args.list = args.list or os.path.join(HERE, "pass.list")
        args.only = "lite"
    list_file = args.list or os.path.join(HERE, "tests.list")
    names = args.tests or read_list(list_file)
    if not names:
        sys.exit(f"strace-suite: FAILED - no tests in {list_file}")
    if args.tests:
        fd, tmp_list = tempfile.mkstemp(suffix=".list")
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(names) + "\n")
        build = build_suite([tmp_list])
        os.unlink(tmp_list)
    else:
        build = build_suite([list_file])

    tracers = []
    if args.only != "lite":
        if not os.access(args.strace, os.X_OK):
            sys.exit(f"strace-suite: FAILED - no strace at {args.strace} (apt-get install strace)")
        ver = subprocess.run([args.strace, "-V"], stdout=subprocess.PIPE, text=True).stdout.split("\n")[0]
        if "version 6.1" not in ver:
            print(f"strace-suite: warning: {args.strace} is not strace 6.1 ({ver})", file=sys.stderr)
        tracers.append(("strace", os.path.abspath(args.strace)))
    if args.only != "strace":
        lite = args.lite or build_lite()
        if not os.access(lite, os.X_OK):
            sys.exit(f"strace-suite: FAILED - no strace-lite binary at {lite}")
        tracers.append(("lite", os.path.abspath(lite)))

    for tag, binary in tracers:
        wrong = canary(binary)
        if wrong:
            sys.exit(f"strace-suite: FAILED - {binary} does not trace a command as strace does: {wrong}")

    logdir = os.path.abspath(args.logs) if args.logs else tempfile.mkdtemp(prefix="strace-suite.")
    # The tests work in a short path whatever the logs' (some build socket paths from it).
    workdir = tempfile.mkdtemp(prefix="strace-suite-run.")
    farms = {}
    for tag, _ in tracers:
        os.makedirs(os.path.join(logdir, tag), exist_ok=True)
        farms[tag] = make_farm(build, os.path.join(workdir, tag))
    if farms and uses_trace_expr(next(iter(farms.values())), names):
        bad = failing_untraced(next(iter(farms.values())))
        if bad:
            print("strace-suite: left out of test_trace_expr's sets of other programs, as they fail "
                  "untraced on this kernel: " + ", ".join(f"{p} (exit {rc})" for p, rc in bad))
            for tests in farms.values():
                drop_from_pure_list(tests, {p for p, _ in bad})

    print(f"strace-suite: {len(names)} tests of strace 6.1 ({build}), logs in {logdir}")
    results = {}
    start = time.monotonic()

    def job(name):
        row = {}
        for tag, binary in tracers:
            row[tag] = run_one(farms[tag], name, binary, args.timeout, logdir, tag)
        return name, row

    width = max(len(n) for n in names)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name, row in pool.map(job, names):
            results[name] = row
            cols = []
            for tag, _ in tracers:
                status, text, secs = row[tag]
                cols.append(f"{tag} {status:5} {secs:5.1f}s")
            cause = ""
            if "lite" in row and row["lite"][0] != "PASS":
                cause = classify(row["lite"][1], os.path.basename(dict(tracers)["lite"]))[1]
            elif "strace" in row and row["strace"][0] != "PASS":
                cause = "strace: " + classify(row["strace"][1], "strace")[1]
            print(f"{name:{width}}  {'  '.join(cols)}  {cause}".rstrip(), flush=True)
    elapsed = time.monotonic() - start

    # --- Summary.
    print()
    print(f"strace-suite: {len(names)} tests in {elapsed:.0f} s")
    counts = {}
    for tag, binary in tracers:
        c = collections.Counter(results[n][tag][0] for n in names)
        counts[tag] = c
        label = "strace 6.1 " if tag == "strace" else "strace-lite"
        print(f"  {label}  {c['PASS']:4} passed  {c['FAIL']:4} failed  {c['SKIP']:4} skipped  {c['ERROR']:4} errors  (of {len(names)})")
    groups = collections.OrderedDict()
    details = []
    if "lite" in counts:
        lite_name = os.path.basename(dict(tracers)["lite"])
        for n in names:
            status, text, _ = results[n]["lite"]
            if status == "PASS":
                continue
            cls, detail = classify(text, lite_name)
            if status == "SKIP":
                cls = "skipped: " + cls
            if "strace" in results[n] and results[n]["strace"][0] != "PASS":
                cls += " (strace 6.1 fails too)"
            groups.setdefault(cls, []).append(n)
            details.append((n, status, detail))
        if groups:
            print()
            print("strace-lite's failures by cause:")
            for cls, tests in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
                print(f"  {len(tests):3}  {cls}: {' '.join(tests)}")
    if "strace" in counts and counts["strace"]["PASS"] < len(names):
        print()
        print("strace 6.1's own failures (this kernel, this machine):")
        for n in names:
            status, text, _ = results[n]["strace"]
            if status != "PASS":
                print(f"  {n}: {status} {classify(text, 'strace')[1]}")

    if args.markdown:
        write_markdown(args.markdown, names, tracers, results, counts, groups, details, list_file)
        print(f"strace-suite: Markdown tables in {args.markdown}")

    bad = sum(c["PASS"] != len(names) for c in counts.values())
    if args.subset:
        c = counts["lite"]
        failed = len(names) - c["PASS"]
        print(f"strace-suite: {c['PASS']} passed, {failed} failed")
        if failed:
            for n in names:
                status, text, _ = results[n]["lite"]
                if status != "PASS":
                    print(f"--- {n} ({status}), the end of its log:")
                    print("\n".join(text.splitlines()[-15:]))
            print(f"strace-suite: FAILED - {failed} of strace's tests that strace-lite passed "
                  f"(suite/pass.list) no longer pass; logs in {logdir}/lite, work directories in {workdir}")
            sys.exit(1)
    if bad:
        print(f"strace-suite: the failed tests' work directories (exp, log) are in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
        if not args.logs:
            shutil.rmtree(logdir, ignore_errors=True)
    return 0


def write_markdown(path, names, tracers, results, counts, groups, details, list_file):
    with open(path, "w") as f:
        f.write("| | passed | failed | skipped | of |\n|---|---|---|---|---|\n")
        for tag, _ in tracers:
            c = counts[tag]
            label = "strace 6.1 (`/usr/bin/strace`)" if tag == "strace" else "strace-lite"
            f.write(f"| {label} | {c['PASS']} | {c['FAIL'] + c['ERROR']} | {c['SKIP']} | {len(names)} |\n")
        if groups:
            f.write("\n| tests | cause | which |\n|---|---|---|\n")
            for cls, tests in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
                c = cls.replace("|", "\\|")
                f.write(f"| {len(tests)} | {c} | {' '.join(tests)} |\n")
            f.write("\n| test | first difference |\n|---|---|\n")
            for n, status, detail in details:
                d = detail.replace("|", "\\|")
                f.write(f"| {n} | {d} |\n")


if __name__ == "__main__":
    sys.exit(main())
