//! Differential tests: the same small C programs traced by the real strace and by
//! strace-lite, the traces normalised (see tests/common) and compared line by line.
//! Each program exercises one syscall family; every line of its trace is compared,
//! from the `execve` through the dynamic loader to `+++ exited with N +++`.

mod common;

use common::*;

fn assert_program_matches(test: &str, options: &[&str], program: &str, args: &[&str]) {
    let (theirs, mine, theirs_run, mine_run) = both(test, options, program, args);
    assert!(
        theirs.len() > 5,
        "strace produced no trace: {}",
        theirs_run.stderr
    );
    assert_same(test, &theirs, &mine);
    assert_eq!(
        theirs_run.status.code(),
        mine_run.status.code(),
        "exit status"
    );
}

#[test]
fn file_family() {
    assert_program_matches("files", &[], "files", &["$DIR"]);
}

/// The PTRACE_PEEKDATA fallback (for kernels without process_vm_readv) reads the same.
#[test]
fn memory_fallback_gives_the_same_trace() {
    use std::process::{Command, Stdio};
    let dir = scratch_dir("peekdata");
    let work = WorkDir::new("peekdata");
    let prog = program("net");
    let mut traces = Vec::new();
    for force in ["0", "1"] {
        let out = dir.join(format!("trace{force}"));
        work.fresh();
        let mut cmd = Command::new(STRACE_LITE);
        cmd.env("STRACE_LITE_FORCE_PEEKDATA", force)
            .args(["-s", "64", "-o"])
            .arg(&out)
            .arg(&prog)
            .arg(work.path())
            .stdin(Stdio::null());
        let run = run_with_deadline(&mut cmd, std::time::Duration::from_secs(30));
        assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
        traces.push(normalize(&std::fs::read_to_string(&out).expect("trace")));
    }
    assert!(traces[0].len() > 50);
    assert_same("peekdata", &traces[0], &traces[1]);
}

#[test]
fn network_family() {
    assert_program_matches("net", &[], "net", &["$DIR"]);
}

/// Kernel TLS's setsockopt calls (OpenSSL's with SSL_OP_ENABLE_KTLS): SOL_TCP TCP_ULP "tls",
/// SOL_TLS TLS_TX and TLS_RX with their key material, named and printed as strace 6.1 does,
/// whether the kernel has the tls module (the calls succeed) or not (they fail).
#[test]
fn kernel_tls_socket_options() {
    assert_program_matches("ktls", &[], "ktls", &[]);
    assert_program_matches("ktls-s64-x", &["-s", "64", "-x"], "ktls", &[]);
}

#[test]
fn descriptor_making_calls_and_file_times() {
    assert_program_matches("fds", &[], "fds", &["$DIR"]);
}

/// Bad pointers and absurd values in every decoded call: same text as strace, no crash.
#[test]
fn unreadable_pointers_and_garbage_arguments() {
    assert_program_matches("garbage", &[], "garbage", &[]);
}

/// `int` arguments with junk in the upper half of their register (issue 21): the kernel
/// reads the lower 32 bits, and strace prints only those (`O_NONBLOCK`, not
/// `O_NONBLOCK|0xffffffff00000000`); F_DUPFD's argument, a long, is printed whole, and so
/// are strace 6.1's quirks (readlink's size, socket's protocol after a junk family).
#[test]
fn int_arguments_ignore_the_upper_half_of_the_register() {
    assert_program_matches("int_args", &[], "int_args", &[]);
}

/// i386 calls made with `int $0x80` by a 64-bit program (issue 21): named with i386's
/// numbers (`write`, not x86_64's 4, `stat`), an address past 32 bits printed as a number,
/// an unknown one in strace's generic form.
#[test]
fn int_0x80_calls_are_i386_calls() {
    assert_program_matches("int80", &[], "int80", &[]);
}

/// Under `-e trace=`, an i386 call is selected by its name, and a call strace has no
/// name for (i386's or x86_64's) is shown whatever the set, as strace shows it.
#[test]
fn int_0x80_calls_under_a_trace_set() {
    let (theirs, mine, _, _) = both("int80-set", &["-e", "trace=write,getpid"], "int80", &[]);
    assert!(
        theirs.iter().any(|l| l.starts_with("write(1, "))
            && theirs.iter().any(|l| l.starts_with("syscall_0x270f(")),
        "{theirs:#?}"
    );
    assert_same("int80 -e trace=write,getpid", &theirs, &mine);
}

/// And strace's `[ Process PID=N runs in 32 bit mode. ]` notices when the calls switch
/// between i386 and x86_64 (in the trace on stderr; `-o` with a command is quiet).
#[test]
fn int_0x80_switches_print_the_personality_notice() {
    use std::process::{Command, Stdio};
    let mut traces = Vec::new();
    for tracer in [STRACE, STRACE_LITE] {
        let run = run_with_deadline(
            Command::new(tracer)
                .arg(program("int80"))
                .stdin(Stdio::null()),
            std::time::Duration::from_secs(30),
        );
        assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
        traces.push(normalize(&run.stderr));
    }
    assert!(
        traces[0].iter().any(|l| l.contains("runs in 32 bit mode")),
        "{:#?}",
        traces[0]
    );
    assert_same("int80 on stderr", &traces[0], &traces[1]);
}

#[test]
fn readiness_family() {
    assert_program_matches("poll", &[], "poll", &[]);
}

/// From strace's own suite (issue 21): tv_nsec/tv_usec, close_range's bounds and
/// sendfile's offset printed unsigned; futex operations as whole values and FUTEX_WAKE_OP's
/// encoding; pollfd arrays by strace's print_array rules.
#[test]
fn unsigned_fields_futex_ops_and_pollfd_arrays() {
    assert_program_matches("unsigned_fields", &[], "unsigned_fields", &[]);
}

/// -y and -yy as strace prints them (issue 21): `<path>(deleted)`, paths escaped as
/// strace quotes them (under -x in hex), UNIX sockets with peer and bound path.
#[test]
fn fd_paths_deleted_escaped_and_unix_sockets() {
    for (test, options) in [
        ("fd_paths-y", &["-y"][..]),
        ("fd_paths-yx", &["-y", "-x"]),
        ("fd_paths-yy", &["-yy"]),
    ] {
        let (theirs, mine, run, _) = both(test, options, "fd_paths", &["$DIR"]);
        assert!(theirs.len() > 5, "strace produced no trace: {}", run.stderr);
        assert_same(test, &number_inodes(&theirs), &number_inodes(&mine));
    }
}

/// Socket inodes (`socket:[21462635]`, `UNIX-STREAM:[21462635->21462636,...]`) differ from
/// run to run: numbered in order of appearance, so a peer must still be the right socket.
fn number_inodes(lines: &[String]) -> Vec<String> {
    let re = regex::Regex::new(r"(:\[|->)(\d{3,})").expect("regex");
    let mut seen: Vec<String> = Vec::new();
    lines
        .iter()
        .map(|l| {
            re.replace_all(l, |c: &regex::Captures| {
                let n = match seen.iter().position(|s| s == &c[2]) {
                    Some(n) => n,
                    None => {
                        seen.push(c[2].to_string());
                        seen.len() - 1
                    }
                };
                format!("{}INO{n}", &c[1])
            })
            .into_owned()
        })
        .collect()
}

/// Socket option values by strace's rules (issue 21), also under -x.
#[test]
fn socket_options_by_kind_and_length() {
    assert_program_matches("sockopts", &[], "sockopts", &[]);
    assert_program_matches("sockopts-x", &["-x"], "sockopts", &[]);
}

/// fcntl's commands and results as strace's print_fcntl prints them (issue 21).
#[test]
fn fcntl_commands() {
    assert_program_matches("fcntl_cmds", &[], "fcntl_cmds", &[]);
}

/// execve's argv and envp that run into unreadable memory (issue 21), with and without -v.
#[test]
fn exec_arrays_cut_by_unreadable_memory() {
    assert_program_matches("exec_arrays", &[], "exec_arrays", &[]);
    assert_program_matches("exec_arrays-v", &["-v"], "exec_arrays", &[]);
}

/// Strings and buffers at the edge of readable memory and of PATH_MAX and -s (issue 21).
#[test]
fn strings_at_the_edge_of_memory_and_limits() {
    assert_program_matches("strings_edge", &[], "strings_edge", &[]);
    assert_program_matches("strings_edge-s5", &["-s", "5"], "strings_edge", &[]);
    assert_program_matches("strings_edge-s300", &["-s", "300"], "strings_edge", &[]);
}

/// Clock ids, sleeps' remaining time, mmap and mlockall flags by name (issue 21), in
/// each -X style.
#[test]
fn named_constants_of_clocks_sleeps_and_mappings() {
    assert_program_matches("named_constants", &[], "named_constants", &[]);
    assert_program_matches(
        "named_constants-Xv",
        &["-X", "verbose"],
        "named_constants",
        &[],
    );
    assert_program_matches("named_constants-Xr", &["-X", "raw"], "named_constants", &[]);
}

/// Memory strace prints as an address (issue 21): signal sets of the wrong size,
/// EPOLL_CTL_DEL's event, a failed epoll_pwait2's arguments, an empty wait4's usage.
#[test]
fn memory_strace_leaves_unread() {
    assert_program_matches("unread_memory", &[], "unread_memory", &[]);
}

/// The xattr calls by strace's print_xattr_val and print_xattr_list (issue 21).
#[test]
fn xattr_values_and_lists() {
    assert_program_matches("xattrs", &[], "xattrs", &["$DIR"]);
}

#[test]
fn open_modes_and_larger_open_how_structs() {
    assert_program_matches("open_how", &[], "open_how", &["$DIR"]);
}

#[test]
fn clone3_arguments() {
    assert_program_matches("clone3_args", &[], "clone3_args", &[]);
    assert_program_matches(
        "clone3_args-Xverbose",
        &["-X", "verbose"],
        "clone3_args",
        &[],
    );
}

/// Dates of the stat family and utimensat (tests/programs/stat_times.c). The file's
/// change and birth times are the time of the run, different in each: they are masked,
/// with their dates, and so is its inode.
#[test]
fn stat_times_and_their_dates() {
    let ctime = regex::Regex::new(
        r"(st_ctime=|stx_[bc]time=\{tv_sec=)\d+(, tv_nsec=\d+\})?( /\* [^*]+ \*/)?(, st_ctime_nsec=\d+)?",
    )
    .unwrap();
    // The file is made anew in each run: its inode may differ too.
    let ino = regex::Regex::new(r"(st_ino=|stx_ino=)\d+").unwrap();
    let mask = |lines: Vec<String>| -> Vec<String> {
        lines
            .iter()
            .map(|l| {
                let l = ctime.replace_all(l, "${1}TIME");
                ino.replace_all(&l, "${1}INO").into_owned()
            })
            .collect()
    };
    for (test, extra) in [
        ("stat_times", &[][..]),
        ("stat_times-v", &["-v"]),
        // st_dev as strace's print_dev_t: 0xfe00, or 0xfe00 /* makedev(0xfe, 0) */.
        ("stat_times-v-Xraw", &["-v", "-X", "raw"]),
        ("stat_times-v-Xverbose", &["-v", "-X", "verbose"]),
    ] {
        let mut options = vec!["-e", "trace=newfstatat,statx,utimensat"];
        options.extend_from_slice(extra);
        let (theirs, mine, theirs_run, _) = both(test, &options, "stat_times", &["$DIR"]);
        assert!(
            theirs.len() > 5,
            "strace produced no trace: {}",
            theirs_run.stderr
        );
        assert_same(test, &mask(theirs), &mask(mine));
    }
}

#[test]
fn iovec_arrays() {
    assert_program_matches("iovecs", &[], "iovecs", &["$DIR"]);
}

/// adjtimex, clock_adjtime and time (tests/programs/clock_state.c), their times masked
/// (the clock moves between the two runs), their form compared.
#[test]
fn clock_state_timex_and_time() {
    let now = regex::Regex::new(
        r"tv_sec=\d+, tv_usec=\d+|\b\d{9,}( /\* [^*]+ \*/| \([^)]+\))?|maxerror=\d+",
    )
    .unwrap();
    let mask = |lines: Vec<String>| -> Vec<String> {
        lines
            .iter()
            .map(|l| now.replace_all(l, "NOW").into_owned())
            .collect()
    };
    let options = ["-e", "trace=adjtimex,clock_adjtime,time"];
    let (theirs, mine, theirs_run, _) = both("clock_state", &options, "clock_state", &[]);
    assert!(
        theirs.len() > 5,
        "strace produced no trace: {}",
        theirs_run.stderr
    );
    assert!(theirs.iter().any(|l| l.contains("(TIME_")), "{theirs:#?}");
    assert_same("clock_state", &mask(theirs), &mask(mine));
}

/// The sockaddr families strace decodes (tests/programs/sockaddrs.c), in each -X style.
#[test]
fn sockaddr_families() {
    let options = ["-e", "trace=connect"];
    assert_program_matches("sockaddrs", &options, "sockaddrs", &[]);
    assert_program_matches(
        "sockaddrs-Xraw",
        &["-X", "raw", "-e", "trace=connect"],
        "sockaddrs",
        &[],
    );
    assert_program_matches(
        "sockaddrs-Xverbose",
        &["-X", "verbose", "-e", "trace=connect"],
        "sockaddrs",
        &[],
    );
    assert_program_matches(
        "sockaddrs-yy",
        &["-yy", "-e", "trace=connect"],
        "sockaddrs",
        &[],
    );
}

#[test]
fn robust_lists() {
    assert_program_matches("robust_list", &[], "robust_list", &[]);
}

#[test]
fn signals_restarted_and_interrupted_syscalls() {
    assert_program_matches("signals", &[], "signals", &[]);
}

/// A child's CPU time in its SIGCHLD, `si_utime=N /* S.FF s */` (strace's print_clock_t):
/// the trace matches strace's (the ticks normalised), and the seconds are N / CLK_TCK.
#[test]
fn sigchld_cpu_times_with_their_seconds() {
    let options = ["-e", "trace=process,signal"];
    assert_program_matches("cpu_child", &options, "cpu_child", &[]);
    let out = scratch_dir("cpu_child-lite").join("lite.out");
    let run = trace(STRACE_LITE, &options, &out, &program("cpu_child"), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", run.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    let re = regex::Regex::new(r"si_utime=(\d+) /\* (\d+)\.(\d\d) s \*/, si_stime=\d+").unwrap();
    let caps = re
        .captures(&text)
        .unwrap_or_else(|| panic!("no si_utime with its seconds:\n{text}"));
    let ticks: u64 = caps[1].parse().unwrap();
    // SAFETY: sysconf has no memory arguments.
    let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    assert!(
        ticks >= tck / 10,
        "the child spun 0.25 s, si_utime={ticks}:\n{text}"
    );
    let shown = caps[2].parse::<u64>().unwrap() * 100 + caps[3].parse::<u64>().unwrap();
    assert_eq!(shown, ticks * 100 / tck, "{text}");
}

#[test]
fn fork_vfork_exec_and_a_killed_child_one_file_per_process() {
    let (theirs, mine) = both_per_thread("procs-ff", &[], "procs");
    assert_eq!(theirs.len(), 4, "strace should write one file per process");
    assert_eq!(theirs.len(), mine.len(), "number of per-process files");
    for (i, (t, m)) in theirs.iter().zip(&mine).enumerate() {
        assert!(!t.is_empty(), "strace's file of process {i} is empty");
        assert_same(&format!("process {i}"), t, m);
    }
}

#[test]
fn threads_one_file_per_thread() {
    // futex waits depend on whether a thread has exited before pthread_join: hidden.
    let (theirs, mine) = both_per_thread("threads-ff", &["-e", "trace=!futex"], "threads");
    assert_eq!(theirs.len(), 3);
    assert_eq!(theirs.len(), mine.len(), "number of per-thread files");
    for (i, (t, m)) in theirs.iter().zip(&mine).enumerate() {
        assert!(!t.is_empty(), "strace's file of thread {i} is empty");
        assert_same(&format!("thread {i}"), t, m);
    }
}

/// With -f into one file, lines interleave as the scheduler decides; joined back
/// (`<unfinished ...>` with `<... resumed>`) and grouped per pid they must agree.
#[test]
fn shared_trace_under_f_reassembles_to_the_same_calls() {
    let (theirs, raw, _, _) = both("procs-f", &["-f"], "procs", &[]);
    // The parent's vfork is cut by its child's calls, at least.
    assert!(cut_lines_all_resume(&raw) > 0, "no call was cut: {raw:#?}");
    let theirs = reassemble(&theirs);
    let mine = reassemble(&raw);
    assert_eq!(theirs.len(), 4);
    assert_eq!(theirs.len(), mine.len());
    for ((tp, t), (mp, m)) in theirs.iter().zip(&mine) {
        assert_eq!(tp, mp);
        assert_same(tp, t, m);
    }
}

#[test]
fn threads_under_f_in_one_file() {
    let (theirs, mine, _, _) = both("threads-f", &["-f", "-e", "trace=!futex"], "threads", &[]);
    // How the threads' calls interleave is the scheduler's choice: a cut line may or may
    // not come (the vfork of procs and the pause of thread_exec make sure of some).
    cut_lines_all_resume(&mine);
    let theirs = reassemble(&theirs);
    let mine = reassemble(&mine);
    assert_eq!(theirs.len(), 3, "main and two threads");
    assert_eq!(theirs.len(), mine.len());
    for ((tp, t), (_, m)) in theirs.iter().zip(&mine) {
        assert_same(tp, t, m);
    }
}

/// Checks that every `<unfinished ...>` line of a shared `-f` trace has its
/// `<... NAME resumed>` line, as strace writes them: in the same process, or for an execve
/// in the process whose pid the new program takes; returns how many lines were cut.
fn cut_lines_all_resume(trace: &[String]) -> usize {
    let cut_line = regex::Regex::new(r"^(PID\d+) +(\w+)\(.* <unfinished \.\.\.>$").expect("regex");
    let resumed_line = regex::Regex::new(r"^(PID\d+) +<\.\.\. (\w+) resumed>").expect("regex");
    // (pid, call) of the lines cut and not resumed yet.
    let mut open: Vec<(String, String)> = Vec::new();
    let mut cut = 0;
    for line in trace {
        if let Some(c) = resumed_line.captures(line) {
            let (pid, call) = (&c[1], &c[2]);
            let at = open
                .iter()
                .position(|(p, n)| p == pid && n == call)
                .or_else(|| open.iter().position(|(_, n)| call == "execve" && n == call))
                .unwrap_or_else(|| panic!("{line:?} resumes nothing: {trace:#?}"));
            let (_, call) = open.remove(at);
            if line.ends_with(" <unfinished ...>") {
                open.push((pid.to_string(), call));
                cut += 1;
            }
        } else if let Some(c) = cut_line.captures(line) {
            open.push((c[1].to_string(), c[2].to_string()));
            cut += 1;
        }
    }
    assert!(open.is_empty(), "{open:?} never resumed: {trace:#?}");
    cut
}

/// thread_exec's worker polls /proc until the leader sleeps: a varying number of calls.
const POLLING_HIDDEN: &str = "trace=!openat,read,close,getpid,nanosleep,clock_nanosleep";

#[test]
fn execve_from_a_non_leader_thread() {
    let (theirs, mine, theirs_run, mine_run) = both(
        "thread-exec",
        &["-f", "-e", POLLING_HIDDEN],
        "thread_exec",
        &[],
    );
    // The leader's pause is pending when the worker's execve comes.
    assert!(
        cut_lines_all_resume(&mine) > 0,
        "no call was cut: {mine:#?}"
    );
    let theirs = reassemble(&theirs);
    let mine = reassemble(&mine);
    assert_eq!(theirs.len(), 2, "the leader and the worker");
    assert_eq!(theirs.len(), mine.len());
    for ((tp, t), (_, m)) in theirs.iter().zip(&mine) {
        assert_same(tp, t, m);
    }
    assert_eq!(theirs_run.status.code(), mine_run.status.code());
}

/// The worker's execve line is the last thing written when the exec comes (only execve
/// is traced): strace ends it with `<pid changed to N ...>`, not `<unfinished ...>`, and
/// the line after it is the leader's `+++ superseded`, then `<... execve resumed>`.
#[test]
fn execve_from_a_non_leader_thread_ends_its_line_with_the_new_pid() {
    let (theirs, mine, theirs_run, mine_run) = both(
        "thread-exec-pid",
        &["-f", "-e", "trace=execve"],
        "thread_exec",
        &[],
    );
    assert!(
        theirs
            .iter()
            .any(|l| l.ends_with(" <pid changed to PID0 ...>")),
        "{theirs:#?}"
    );
    assert_same("thread-exec-pid", &theirs, &mine);
    assert_eq!(theirs_run.status.code(), mine_run.status.code());
}

#[test]
fn execve_from_a_non_leader_thread_one_file_per_thread() {
    let (theirs, mine) = both_per_thread("thread-exec-ff", &["-e", POLLING_HIDDEN], "thread_exec");
    assert_eq!(theirs.len(), 2);
    assert_eq!(theirs.len(), mine.len());
    for (i, (t, m)) in theirs.iter().zip(&mine).enumerate() {
        assert_same(&format!("thread {i}"), t, m);
    }
}

#[test]
fn tracee_killed_by_sigkill_kills_the_tracer_the_same_way() {
    use std::os::unix::process::ExitStatusExt;
    let (theirs, mine, theirs_run, mine_run) = both("killed", &[], "killed", &["9"]);
    assert_same("killed", &theirs, &mine);
    assert_eq!(
        theirs.last().map(String::as_str),
        Some("+++ killed by SIGKILL +++")
    );
    assert_eq!(theirs_run.status.signal(), Some(9));
    assert_eq!(mine_run.status.signal(), theirs_run.status.signal());
}

#[test]
fn tracee_killed_by_sigterm() {
    use std::os::unix::process::ExitStatusExt;
    let (theirs, mine, theirs_run, mine_run) = both("killed-term", &[], "killed", &["15"]);
    assert_same("killed-term", &theirs, &mine);
    assert_eq!(
        theirs.last().map(String::as_str),
        Some("+++ killed by SIGTERM +++")
    );
    assert_eq!(theirs_run.status.signal(), Some(libc::SIGTERM));
    assert_eq!(mine_run.status.signal(), theirs_run.status.signal());
}

#[test]
fn exit_status_is_the_tracees() {
    let (_, _, theirs_run, mine_run) = both("exit-status", &["-qq"], "files", &["$DIR"]);
    assert_eq!(theirs_run.status.code(), Some(3));
    assert_eq!(mine_run.status.code(), Some(3));
}

/// A traced child's group-stop is seen by its (traced) parent's wait4(WUNTRACED), as
/// without a tracer; SIGCONT resumes it.
#[test]
fn group_stop_and_sigcont_behave_as_untraced() {
    let (theirs, mine) = both_per_thread("stopcont", &[], "stopcont");
    assert_eq!(theirs.len(), 2);
    assert!(
        theirs[1].iter().any(|l| l == "--- stopped by SIGSTOP ---"),
        "{theirs:#?}"
    );
    assert_eq!(theirs.len(), mine.len());
    for (i, (t, m)) in theirs.iter().zip(&mine).enumerate() {
        assert_same(&format!("process {i}"), t, m);
    }
}

/// Terminal ioctls (TCGETS, TCSETS*, TIOCGWINSZ...) on a pseudo-terminal as stdin; each
/// run gets a fresh terminal, since the program changes its modes.
#[test]
fn terminal_ioctls_on_a_pty() {
    let traces = ioctls_on_a_pty("tty");
    for trace in &traces[..2] {
        assert!(
            trace
                .iter()
                .any(|l| l.starts_with("ioctl(0, TCGETS, {c_iflag=")),
            "{trace:#?}"
        );
    }
    assert_same("tty", &traces[0], &traces[2]);
    assert_same("tty -v", &traces[1], &traces[3]);
}

/// The ioctls of `name` (tests/programs) with a pty as stdin, traced by strace, strace
/// -v, strace-lite and strace-lite -v, each trace normalised.
fn ioctls_on_a_pty(name: &str) -> Vec<Vec<String>> {
    use std::process::{Command, Stdio};
    let dir = scratch_dir(name);
    let prog = program(name);
    let mut traces = Vec::new();
    for (tracer, verbose) in [
        (STRACE, false),
        (STRACE, true),
        (STRACE_LITE, false),
        (STRACE_LITE, true),
    ] {
        let (_master, slave) = open_pty();
        let out = dir.join("trace");
        let mut cmd = Command::new(tracer);
        cmd.args(["-e", "trace=ioctl"]);
        if verbose {
            cmd.arg("-v");
        }
        cmd.arg("-o").arg(&out).arg(&prog).stdin(Stdio::from(slave));
        let run = run_with_deadline(&mut cmd, std::time::Duration::from_secs(30));
        assert_eq!(run.status.code(), Some(0), "{tracer}: {}", run.stderr);
        traces.push(normalize(&std::fs::read_to_string(&out).expect("trace")));
    }
    traces
}

/// termios2, termio and the locked termios, the structs strace's term.c decodes besides
/// termios and winsize.
#[test]
fn terminal_structures_on_a_pty() {
    let traces = ioctls_on_a_pty("tty_structs");
    for trace in &traces[..2] {
        assert!(
            trace
                .iter()
                .any(|l| l.starts_with("ioctl(0, TCSETS2, {c_iflag=")),
            "{trace:#?}"
        );
    }
    assert_same("tty_structs", &traces[0], &traces[2]);
    assert_same("tty_structs -v", &traces[1], &traces[3]);
}
