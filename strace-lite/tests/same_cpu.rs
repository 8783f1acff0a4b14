//! `--same-cpu=auto|always|never`: when the tracer and the command share one CPU.
//!
//! `never` is the default (strace's behaviour: nothing changed, see `faithful.rs`); `auto`
//! pins while the command could not use a second CPU, under `SCHED_BATCH`; `always` pins
//! for the whole run; both are refused with `-p`. Nothing is hidden: the command's mask
//! from `/proc/self/status`, `nproc` (which asks `sched_getaffinity`) and the trace all
//! show the pin. Unless a test says otherwise it runs under `--same-cpu=auto`.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs `strace-lite ARGS -o /dev/null CMD...` (with `--same-cpu=auto` unless ARGS say
/// which); returns what the command wrote to stderr.
fn traced(args: &[&str], cmd: &[&str]) -> String {
    let mut all = args.to_vec();
    if !args.iter().any(|a| a.starts_with("--same-cpu")) {
        all.push("--same-cpu=auto");
    }
    all.extend(["-o", "/dev/null"]);
    all.extend(cmd);
    let run = run_with_deadline(
        Command::new(STRACE_LITE).args(&all).stdin(Stdio::null()),
        Duration::from_secs(30),
    );
    assert_eq!(run.status.code(), Some(0), "{all:?}: {}", run.stderr);
    run.stderr.trim().to_string()
}

/// The CPUs a child of the shell may use, as `/proc/self/status` lists them (the `:` after
/// it makes the shell fork for `grep` rather than exec it).
const ALLOWED: &str = "grep Cpus_allowed_list /proc/self/status >&2; :";
/// `nproc` in the traced process itself (exec, no fork).
const NPROC: &str = "exec nproc >&2";

fn allowed(args: &[&str], script: &str) -> String {
    last_allowed(&traced(args, &["sh", "-c", script]))
}

/// The CPU list of the last line of `out`, a `Cpus_allowed_list:` line of /proc.
fn last_allowed(out: &str) -> String {
    out.lines()
        .last()
        .and_then(|l| l.strip_prefix("Cpus_allowed_list:"))
        .unwrap_or_else(|| panic!("{out:?}"))
        .trim()
        .to_string()
}

fn untraced_allowed() -> String {
    let out = Command::new("sh")
        .args(["-c", "grep Cpus_allowed_list /proc/self/status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let list = text
        .trim()
        .strip_prefix("Cpus_allowed_list:")
        .unwrap_or_else(|| panic!("no CPU list in {text:?}"))
        .trim();
    assert!(!list.is_empty(), "{text:?}");
    list.to_string()
}

fn one_cpu(list: &str) -> bool {
    list.parse::<u32>().is_ok()
}

fn several_cpus() -> bool {
    std::thread::available_parallelism().map_or(1, |n| n.get()) > 1
}

/// Held by every test that traces a command here, so that they run one at a time: whether
/// `auto` lets go depends on how much CPU the tracees get, and another test's loops pinned
/// to the same CPU would take half of it.
fn cpu_to_ourselves() -> std::sync::MutexGuard<'static, ()> {
    static CPU: std::sync::Mutex<()> = std::sync::Mutex::new(());
    CPU.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// On a one-CPU machine there is nothing to pin: says so, for the test to return.
fn skipped_on_one_cpu() -> bool {
    let skip = !several_cpus();
    if skip {
        eprintln!("skipped: one CPU, nothing to pin");
    }
    skip
}

#[test]
fn auto_pins_a_single_process_and_the_command_sees_it() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Traced with -f and the shell waiting for its child: one task runs at a time, so
    // both stay on the tracer's CPU.
    let pinned = allowed(&["-f"], ALLOWED);
    assert!(one_cpu(&pinned), "not pinned: {pinned:?}");
    // Asked through sched_getaffinity, the command gets the truth: one CPU.
    assert_eq!(traced(&[], &["sh", "-c", NPROC]), "1");
    assert_eq!(traced(&["-f"], &["sh", "-c", NPROC]), "1");
    assert_eq!(traced(&["-c"], &["sh", "-c", NPROC]), "1");
    assert_eq!(traced(&["-e", "trace=accept"], &["sh", "-c", NPROC]), "1");
    // And the trace shows the mask the kernel answered.
    let dir = scratch_dir("same-cpu-nproc");
    let out = dir.join("trace");
    let run = run_lite(&[
        "--same-cpu=auto",
        "-o",
        out.to_str().unwrap(),
        "sh",
        "-c",
        NPROC,
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    let trace = std::fs::read_to_string(&out).unwrap();
    let line = trace
        .lines()
        .find(|l| l.starts_with("sched_getaffinity("))
        .unwrap_or_else(|| panic!("{trace}"));
    let mask = line
        .rsplit_once(", [")
        .and_then(|(_, m)| m.split_once(']'))
        .map(|(m, _)| m)
        .unwrap_or_else(|| panic!("{line}"));
    assert!(one_cpu(mask), "{line}");
}

#[test]
fn auto_lets_go_before_an_untraced_child_is_created() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Without -f the shell's child is not traced: it must start with the original mask.
    // (The tracer has the kernel attach it, gives it the mask and lets it go before it
    // runs; with a filter that hides clone, or -c, which reads nothing at entry.)
    assert_eq!(allowed(&[], ALLOWED), untraced_allowed());
    assert_eq!(allowed(&["-c"], ALLOWED), untraced_allowed());
    assert_eq!(
        allowed(&["-e", "trace=accept"], ALLOWED),
        untraced_allowed()
    );
    // The child is let go, not traced: the trace shows the parent's calls only.
    let dir = scratch_dir("same-cpu-child");
    let out = dir.join("trace");
    let run = run_lite(&[
        "--same-cpu=auto",
        "-o",
        out.to_str().unwrap(),
        "sh",
        "-c",
        "/bin/true; :",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    assert!(!run.stderr.contains("attached"), "{}", run.stderr);
    let trace = std::fs::read_to_string(&out).unwrap();
    assert!(trace.contains("wait4("), "{trace}");
    assert!(!trace.contains("execve(\"/bin/true\""), "{trace}");
}

#[test]
fn an_untraced_child_outlives_the_tracer_untraced_and_unpinned() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // The command starts a background child and exits at once: the tracer may see the
    // command's end before the child's first stop, and must not leave with the child
    // still attached (it would be killed with the tracer, or stay stopped).
    for _ in 0..5 {
        let run = run_lite(&[
            "--same-cpu=auto",
            "-o",
            "/dev/null",
            "sh",
            "-c",
            "sleep 5 2>/dev/null & echo $! >&2",
        ]);
        assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
        let pid: i32 = run.stderr.trim().parse().expect("the child's pid");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|e| panic!("child {pid} is gone: {e}"));
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .unwrap_or_default()
                .trim()
                .to_string()
        };
        // SAFETY: ending the sleep we started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        assert_eq!(field("TracerPid:"), "0", "{status}");
        // Running or asleep, not stopped ('t': tracing stop, 'T': stopped).
        assert!(!field("State:").starts_with(['t', 'T']), "{status}");
        assert_eq!(field("Cpus_allowed_list:"), untraced_allowed());
    }
}

#[test]
fn auto_lets_go_when_two_tracees_compute_side_by_side() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Two shell loops with no system calls, a second or so each: the tracer sees two
    // tracees running at consecutive ticks and gives them back every CPU.
    let script = format!(
        "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done & \
         j=0; while [ $j -lt 400000 ]; do j=$((j+1)); done; wait; {ALLOWED}"
    );
    assert_eq!(allowed(&["-f"], &script), untraced_allowed());
}

/// `side_by_side MODE MS` traced with `-f`: the mask its main thread ends with.
fn side_by_side_allowed(mode: &str) -> String {
    let prog = program("side_by_side");
    last_allowed(&traced(&["-f"], &[prog.to_str().unwrap(), mode, "800"]))
}

#[test]
fn auto_lets_go_when_two_threads_compute_side_by_side() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    assert_eq!(side_by_side_allowed("compute"), untraced_allowed());
}

#[test]
fn auto_keeps_threads_that_mostly_make_system_calls_pinned() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Two threads in a getppid loop spend their time in ptrace stops, not in their own
    // code: every stop goes through the one tracer, and on its CPU a stop is cheaper.
    let mask = side_by_side_allowed("calls");
    assert!(one_cpu(&mask), "let go: {mask:?}");
}

#[test]
fn the_tick_timer_stops_once_let_go() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Tracing to stderr, the 100 ms timer is there only for the pin's ticks: once two
    // loops running side by side have made the tracer let go, a second of `sleep` must
    // not be interrupted ten more times. strace counts the tracer's timer signals after
    // its last sched_setaffinity (the let-go ends with the tracer's own mask): how long
    // the let-go takes depends on how busy the machine is, what follows does not.
    let dir = scratch_dir("same-cpu-timer");
    let outer = dir.join("outer");
    let script = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done & \
                  j=0; while [ $j -lt 300000 ]; do j=$((j+1)); done; wait; sleep 1";
    let run = run_with_deadline(
        Command::new(STRACE)
            .args(["-e", "trace=setitimer,sched_setaffinity"])
            .args(["-o", outer.to_str().unwrap()])
            .args([
                STRACE_LITE,
                "--same-cpu=auto",
                "-f",
                "-qq",
                "sh",
                "-c",
                script,
            ])
            .stdin(Stdio::null()),
        Duration::from_secs(60),
    );
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    let outer = std::fs::read_to_string(&outer).unwrap();
    let after_let_go = outer
        .rsplit_once("sched_setaffinity(0,")
        .unwrap_or_else(|| panic!("never let go:\n{outer}"))
        .1;
    let ticks = after_let_go
        .lines()
        .filter(|l| l.starts_with("--- SIGALRM"))
        .count();
    assert!(
        outer.contains("setitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}"),
        "{outer}"
    );
    assert!(ticks <= 2, "{ticks} ticks after the let-go:\n{outer}");
}

#[test]
fn always_pins_for_the_whole_run_and_never_does_not_pin() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    assert!(one_cpu(&allowed(&["--same-cpu"], ALLOWED)));
    assert!(one_cpu(&allowed(&["--same-cpu=always"], ALLOWED)));
    assert_eq!(traced(&["--same-cpu"], &["sh", "-c", NPROC]), "1");
    assert_eq!(
        allowed(&["-f", "--same-cpu=never"], ALLOWED),
        untraced_allowed()
    );
}

#[test]
fn pinning_is_refused_with_p_and_a_bad_value_is_a_usage_error() {
    for mode in ["--same-cpu", "--same-cpu=auto"] {
        let run = run_lite(&[mode, "-p", "1"]);
        assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
        assert!(
            run.stderr.contains("--same-cpu cannot be used with -p"),
            "{}",
            run.stderr
        );
    }
    let run = run_lite(&["--same-cpu=sometimes", "true"]);
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("auto, always or never"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_command_let_go_by_ctrl_c_leaves_unpinned() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    use std::os::unix::process::ExitStatusExt;
    let dir = scratch_dir("same-cpu-detach");
    let (state, pid) = (dir.join("state"), dir.join("pid"));
    // A shell that survives Ctrl-C and keeps writing, each turn, the turn's number, what its
    // children may use, and their scheduling policy (field 41 of /proc/PID/stat).
    let script = format!(
        "echo $$ > {pid}; trap '' INT; n=0; while :; do n=$((n+1)); \
         {{ echo $n; grep Cpus_allowed_list /proc/self/status; \
         cut -d' ' -f41 /proc/self/stat; }} > {state}.new; mv {state}.new {state}; \
         sleep 0.05; done",
        pid = pid.display(),
        state = state.display()
    );
    // The trace on stderr (with -o strace-lite ignores Ctrl-C, as strace does).
    let mut tracer = Command::new(STRACE_LITE)
        .args(["--same-cpu=auto", "-f", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // (turn, mask, policy) of the last whole turn.
    let read_state = || -> Option<(u64, String, String)> {
        let text = std::fs::read_to_string(&state).ok()?;
        let mut lines = text.lines();
        let turn = lines.next()?.parse().ok()?;
        let mask = lines.next()?.strip_prefix("Cpus_allowed_list:")?.trim();
        let policy = lines.next()?.trim();
        Some((turn, mask.to_string(), policy.to_string()))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while read_state().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let shell: i32 = std::fs::read_to_string(&pid)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (_, pinned, batch) = read_state().expect("the script wrote its state");
    // SAFETY: signalling the tracer we started.
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let ended = wait_with_deadline(&mut tracer, Duration::from_secs(10));
    // The turn under way when the tracer ended may have read the old mask; the one after
    // it began after the end.
    let ended_in = read_state().map_or(0, |s| s.0);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut after = read_state();
    while after.as_ref().is_none_or(|s| s.0 < ended_in + 2) && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(20));
        after = read_state();
    }
    // SAFETY: stopping the shell the test started (it ignores SIGINT).
    unsafe { libc::kill(shell, libc::SIGKILL) };
    assert_eq!(ended.and_then(|s| s.signal()), Some(libc::SIGINT));
    assert!(one_cpu(&pinned), "not pinned while traced: {pinned:?}");
    let (turn, mask_after, policy_after) = after.expect("the script's state");
    assert!(
        turn >= ended_in + 2,
        "the script stopped writing its state after the tracer ended (turn {turn})"
    );
    assert_eq!(mask_after, untraced_allowed());
    // SCHED_BATCH (3) while traced, SCHED_OTHER (0) after.
    assert_eq!(batch, "3");
    assert_eq!(policy_after, "0");
}

#[test]
fn a_command_that_sets_its_own_affinity_keeps_it_for_its_children() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Whichever CPU the tracer pinned to, taskset's choice wins and the shell's child
    // inherits it.
    for cpu in ["0", "1"] {
        let list = allowed(&["-f"], &format!("taskset -c {cpu} sh -c '{ALLOWED}'"));
        assert_eq!(list, cpu);
    }
    // Also under -c (which reads a call's number only at its exit), and when two loops
    // computing side by side afterwards would otherwise make the tracer let go and hand
    // every tracee the tracer's original mask.
    let loops = "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done & \
                 j=0; while [ $j -lt 400000 ]; do j=$((j+1)); done; wait";
    for cpu in ["0", "1"] {
        let script = format!("taskset -c {cpu} sh -c '{loops}; {ALLOWED}'");
        assert_eq!(allowed(&["-c", "-f"], &script), cpu);
    }
}

/// `sched_policy [MODE]` traced with ARGS: its lines "WHO getscheduler getattr proc".
fn policies(args: &[&str], mode: &str) -> String {
    let prog = program("sched_policy");
    traced(args, &[prog.to_str().unwrap(), mode])
}

const BATCH: &str = "main 3 3 3\nthread 3 3 3";
const OTHER: &str = "main 0 0 0\nthread 0 0 0";

#[test]
fn auto_runs_the_command_under_sched_batch_and_it_sees_it() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // SCHED_BATCH (3) for the main thread and a new one, in /proc and in the answers of
    // the calls that ask for the policy, in every mode.
    assert_eq!(policies(&["-f"], "-"), BATCH);
    assert_eq!(policies(&["-f", "-c"], "-"), BATCH);
    assert_eq!(policies(&["-f", "-e", "trace=accept"], "-"), BATCH);
    // And the trace shows the result the kernel gave.
    let dir = scratch_dir("same-cpu-policy");
    let out = dir.join("trace");
    let prog = program("sched_policy");
    let run = run_lite(&[
        "--same-cpu=auto",
        "-o",
        out.to_str().unwrap(),
        prog.to_str().unwrap(),
        "-",
    ]);
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    let trace = std::fs::read_to_string(&out).unwrap();
    let line = trace
        .lines()
        .find(|l| l.starts_with("sched_getscheduler(0)"))
        .unwrap_or_else(|| panic!("{trace}"));
    assert!(line.ends_with("= 3 (SCHED_BATCH)"), "{trace}");
    // Not pinned, nothing changes.
    assert_eq!(policies(&["-f", "--same-cpu=never"], "-"), OTHER);
    assert_eq!(policies(&["-f", "--same-cpu=always"], "-"), OTHER);
}

#[test]
fn a_command_let_go_goes_back_to_sched_other() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Field 41 of /proc/PID/stat: of the shell, then of a child created after the pin
    // was let go.
    const POLICY: &str = "cut -d' ' -f41 /proc/$$/stat /proc/self/stat | tr '\\n' ' ' >&2; :";
    let last = |out: String| out.lines().last().unwrap_or_default().to_string();
    // Without -f, the shell's child leaves untraced, with the policy it would have had.
    assert_eq!(last(traced(&[], &["sh", "-c", POLICY])), "0 0");
    assert_eq!(last(traced(&["-c"], &["sh", "-c", POLICY])), "0 0");
    // With -f, two loops computing side by side make the tracer let go.
    let script = format!(
        "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done & \
         j=0; while [ $j -lt 400000 ]; do j=$((j+1)); done; wait; {POLICY}"
    );
    assert_eq!(last(traced(&["-f"], &["sh", "-c", &script])), "0 0");
    // Still pinned, both are under SCHED_BATCH.
    assert_eq!(last(traced(&["-f"], &["sh", "-c", POLICY])), "3 3");
}

#[test]
fn a_command_that_sets_its_own_policy_keeps_it() {
    if skipped_on_one_cpu() {
        return;
    }
    let _cpu = cpu_to_ourselves();
    // Its own SCHED_OTHER, and a sched_setattr that keeps the policy it had untraced.
    assert_eq!(policies(&["-f"], "other"), OTHER);
    assert_eq!(policies(&["-f"], "keep"), OTHER);
    // chrt's choice, seen as it is.
    let prog = program("sched_policy");
    let out = traced(&["-f"], &["chrt", "-b", "0", prog.to_str().unwrap(), "-"]);
    assert_eq!(out, "main 3 3 3\nthread 3 3 3");
    let out = traced(&["-f"], &["chrt", "-i", "0", prog.to_str().unwrap(), "-"]);
    assert_eq!(out, "main 5 5 5\nthread 5 5 5");
}
