//! Shared helpers of the integration tests: build the C test programs once, run a
//! command under both tracers with a deadline, and normalise traces so two runs can be
//! compared line by line.
//!
//! What normalisation changes, and why (everything else must match exactly):
//! - addresses `0x` + 5 or more hex digits → `0xADDR` (ASLR);
//! - process and thread ids → `PID0`, `PID1`... in order of first appearance;
//! - TCP/UDP ports ≥ 1000 in `htons(N)` → `htons(PORT)`, ≥ 1024 as `-X raw`'s bytes
//!   `sin_port="\x9a\x63"` → `sin_port="PORT"` (ephemeral ports);
//! - `getrandom`'s bytes, `si_utime`/`si_stime` (CPU ticks), and (where a test asks)
//!   `tv_nsec`/`tv_usec` of remaining times.

#![allow(dead_code)]

use regex::Regex;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const STRACE_LITE: &str = env!("CARGO_BIN_EXE_strace-lite");
pub const STRACE: &str = "/usr/bin/strace";

/// A fresh directory for one test, under Cargo's target/tmp (emptied each run).
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("strace-lite")
        .join(env!("CARGO_CRATE_NAME"))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// The directory a traced program works in (the `$DIR` of its arguments): short, under
/// the system's temporary directory rather than the clone, since the programs bind Unix
/// sockets there and a socket's path must fit in 108 bytes. The same path for every run of
/// one test; removed when dropped.
pub struct WorkDir(PathBuf);

impl WorkDir {
    pub fn new(test: &str) -> WorkDir {
        WorkDir(std::env::temp_dir().join(format!(
            "strace-lite-{}-{}-{test}",
            env!("CARGO_CRATE_NAME"),
            std::process::id()
        )))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Empties the directory, for a run to start from the same state as the one before.
    pub fn fresh(&self) {
        let _ = std::fs::remove_dir_all(&self.0);
        std::fs::create_dir_all(&self.0).expect("work dir");
    }

    /// `args` with `$DIR` standing for this directory.
    pub fn args(&self, args: &[&str]) -> Vec<String> {
        args.iter()
            .map(|a| a.replace("$DIR", &self.0.to_string_lossy()))
            .collect()
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The compiled test programs (tests/programs/*.c), built once per test binary.
pub fn program(name: &str) -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        assert!(
            Path::new(STRACE).exists(),
            "these tests compare with the real strace: install Debian's strace package \
             (scripts/deps.sh does)"
        );
        let dir = scratch_dir("programs");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs");
        for entry in std::fs::read_dir(&src).expect("tests/programs") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "c") {
                let out = dir.join(path.file_stem().expect("stem"));
                let status = Command::new("gcc")
                    .args(["-O0", "-pthread", "-o"])
                    .arg(&out)
                    .arg(&path)
                    .status()
                    .expect("gcc runs (the test programs are C, built at test time)");
                assert!(status.success(), "gcc failed on {}", path.display());
            }
        }
        dir
    });
    dir.join(name)
}

/// The result of one traced run.
pub struct Run {
    pub status: ExitStatus,
    pub stderr: String,
    /// Empty unless the run captured it ([`output_with_deadline`]).
    pub stdout: String,
}

/// How long a child's output pipe may stay open after the child has exited: only a process
/// it left behind holding the pipe keeps it open that long.
const PIPE_GRACE: Duration = Duration::from_secs(10);

/// A child's output pipe read to its end by a thread of its own, so that the child never
/// blocks on a full pipe (64 KiB) however much it writes.
pub struct PipeReader {
    bytes: Arc<Mutex<Vec<u8>>>,
    closed: mpsc::Receiver<()>,
}

impl PipeReader {
    pub fn start(mut pipe: impl Read + Send + 'static) -> PipeReader {
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bytes);
        let (tx, closed) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 64 * 1024];
            loop {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = tx.send(());
        });
        PipeReader { bytes, closed }
    }

    /// What has arrived so far.
    pub fn so_far(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
    }

    /// Everything, once every writer has closed the pipe (at most `limit` from now).
    pub fn finish(self, limit: Duration) -> String {
        if self.closed.recv_timeout(limit).is_err() {
            panic!(
                "the pipe is still open {limit:?} after its writer exited (a process left \
                 behind holds it); so far:\n{}",
                self.so_far()
            );
        }
        self.so_far()
    }
}

/// `child`'s exit status, waiting at most `limit`; after that it is killed and `None`
/// returned (a hang fails the test, not the run).
pub fn wait_with_deadline(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// strace-lite with `args`, stdin closed, killed after 10 s: for runs that should end at
/// once (usage errors and the like).
pub fn run_lite(args: &[&str]) -> Run {
    run_with_deadline(
        Command::new(STRACE_LITE).args(args).stdin(Stdio::null()),
        Duration::from_secs(10),
    )
}

/// Run `cmd` with a deadline (killing it if it overruns), stdout discarded, stderr read
/// while it runs. Stdin is the caller's choice (set it, or it is inherited).
pub fn run_with_deadline(cmd: &mut Command, deadline: Duration) -> Run {
    run_reading_pipes(cmd.stdout(Stdio::null()), deadline)
}

/// Like [`run_with_deadline`], with stdout captured too.
pub fn output_with_deadline(cmd: &mut Command, deadline: Duration) -> Run {
    run_reading_pipes(cmd.stdout(Stdio::piped()), deadline)
}

fn run_reading_pipes(cmd: &mut Command, deadline: Duration) -> Run {
    let mut child = cmd.stderr(Stdio::piped()).spawn().expect("spawn");
    let stdout = child.stdout.take().map(PipeReader::start);
    let stderr = PipeReader::start(child.stderr.take().expect("stderr"));
    let Some(status) = wait_with_deadline(&mut child, deadline) else {
        panic!(
            "{cmd:?} did not finish within {deadline:?}; its stderr so far:\n{}",
            stderr.so_far()
        );
    };
    Run {
        status,
        stdout: stdout.map_or_else(String::new, |o| o.finish(PIPE_GRACE)),
        stderr: stderr.finish(PIPE_GRACE),
    }
}

/// Run `tracer` with `options`, the trace going to `out`, on `program args`.
pub fn trace(tracer: &str, options: &[&str], out: &Path, program: &Path, args: &[&str]) -> Run {
    let mut cmd = Command::new(tracer);
    cmd.args(options)
        .arg("-o")
        .arg(out)
        .arg(program)
        .args(args)
        .stdin(Stdio::null());
    run_with_deadline(&mut cmd, Duration::from_secs(30))
}

fn regexes() -> &'static [(Regex, &'static str)] {
    static R: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    R.get_or_init(|| {
        [
            (r"0x[0-9a-f]{5,}", "0xADDR"),
            (r"htons\(\d{4,5}\)", "htons(PORT)"),
            // The same port as `-X raw` prints it, its two bytes (≥ 1024).
            (
                r#"_port="\\x(?:0[4-9a-f]|[1-9a-f][0-9a-f])\\x[0-9a-f]{2}""#,
                r#"_port="PORT""#,
            ),
            (r#"getrandom\("[^"]*""#, r#"getrandom("RANDOM""#),
            // The ticks and the seconds strace shows for them (` /* 0.10 s */`, not for 0).
            (
                r"si_utime=\d+(?: /\* [0-9.]+ s \*/)?, si_stime=\d+(?: /\* [0-9.]+ s \*/)?",
                "si_utime=T, si_stime=T",
            ),
        ]
        .iter()
        .map(|(re, to)| (Regex::new(re).expect("regex"), *to))
        .collect()
    })
}

/// Regexes whose first group is a process or thread id, and only that: the line's pid
/// prefix, `[pid N]`, `si_pid=`, the pid arguments of kill/wait/ptrace-like calls, the
/// return value of calls that return a pid, and the tracer's own `in pid N` notes. A
/// number anywhere else (a length, an address, a count) is never a pid, even when it
/// happens to have a pid's digits.
fn pid_positions() -> &'static [Regex] {
    static R: OnceLock<Vec<Regex>> = OnceLock::new();
    R.get_or_init(|| {
        const RETURNS_PID: &str = "clone|clone3|fork|vfork|getpid|gettid|getppid|getpgid|\
            getpgrp|getsid|setsid|wait4|waitid|set_tid_address";
        let first_arg = "kill|tkill|tgkill|wait4|pidfd_open|getpgid|setpgid|getsid|prlimit64|\
            sched_[a-z_]+|rt_sigqueueinfo|rt_tgsigqueueinfo|process_vm_readv|process_vm_writev|\
            get_robust_list";
        [
            r"^(\d+) ".to_string(),
            r"\[pid\s+(\d+)\]".to_string(),
            r"si_pid=(\d+)".to_string(),
            r"_tid=\[(\d+)\]".to_string(),
            format!(r"\b(?:{first_arg})\((\d+)"),
            r"\b(?:tgkill|rt_tgsigqueueinfo)\(\d+, (\d+)".to_string(),
            r"\bwaitid\(P_PID, (\d+)".to_string(),
            r"\bptrace\(\w+, (\d+)".to_string(),
            // The return value, before a `-T` duration.
            format!(
                r"(?:\b(?:{RETURNS_PID})\(|<\.\.\. (?:{RETURNS_PID}) resumed>).*\) += (\d+)(?: <[\d.]+>)?$"
            ),
            r"in pid (\d+)".to_string(),
            r"<pid changed to (\d+) ".to_string(),
            r"Process (\d+) (?:attached|detached)".to_string(),
            r"\[ Process PID=(\d+) runs in".to_string(),
        ]
        .iter()
        .map(|re| Regex::new(re).expect("regex"))
        .collect()
    })
}

/// The byte ranges of `line` that hold a pid, sorted and without overlaps.
fn pid_spans(line: &str) -> Vec<std::ops::Range<usize>> {
    let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
    for re in pid_positions() {
        for caps in re.captures_iter(line) {
            if let Some(m) = caps.get(1) {
                spans.push(m.range());
            }
        }
    }
    spans.sort_by_key(|r| r.start);
    spans.dedup();
    spans
}

/// Normalise a trace (see the module comment), one string per line.
pub fn normalize(text: &str) -> Vec<String> {
    let mut pids: Vec<String> = Vec::new();
    text.lines()
        .map(|line| {
            let mut l = line.to_string();
            for (re, to) in regexes() {
                l = re.replace_all(&l, *to).into_owned();
            }
            let spans = pid_spans(&l);
            if spans.is_empty() {
                return l;
            }
            let mut out = String::with_capacity(l.len() + 8);
            let mut at = 0;
            for span in spans {
                if span.start < at {
                    continue;
                }
                let pid = &l[span.clone()];
                let n = match pids.iter().position(|p| p == pid) {
                    Some(n) => n,
                    None => {
                        pids.push(pid.to_string());
                        pids.len() - 1
                    }
                };
                out.push_str(&l[at..span.start]);
                out.push_str(&format!("PID{n}"));
                at = span.end;
            }
            out.push_str(&l[at..]);
            // A pid's digit count shifts the ` = ` column; compare without it.
            collapse_alignment(&out)
        })
        .collect()
}

/// `) = ` with the alignment padding removed.
pub fn collapse_alignment(line: &str) -> String {
    static R: OnceLock<Regex> = OnceLock::new();
    let re = R.get_or_init(|| Regex::new(r"\) +=").expect("regex"));
    re.replace(line, ") =").into_owned()
}

/// Replace remaining-time values, which depend on scheduling.
pub fn normalize_times(lines: Vec<String>) -> Vec<String> {
    let re = Regex::new(r"(tv_nsec|tv_usec)=\d+").expect("regex");
    lines
        .into_iter()
        .map(|l| re.replace_all(&l, "$1=N").into_owned())
        .collect()
}

/// Assert two normalised traces are equal, showing the first differences.
pub fn assert_same(what: &str, theirs: &[String], mine: &[String]) {
    if theirs == mine {
        return;
    }
    let mut report = format!(
        "{what}: traces differ (strace {} lines, strace-lite {} lines)\n",
        theirs.len(),
        mine.len()
    );
    let mut shown = 0;
    for i in 0..theirs.len().max(mine.len()) {
        let a = theirs.get(i).map(String::as_str).unwrap_or("<none>");
        let b = mine.get(i).map(String::as_str).unwrap_or("<none>");
        if a != b {
            report.push_str(&format!(
                "line {}:\n  strace:      {a}\n  strace-lite: {b}\n",
                i + 1
            ));
            shown += 1;
            if shown == 8 {
                break;
            }
        }
    }
    panic!("{report}");
}

/// Trace `program args` with both tracers and `options`; return both normalised traces.
pub fn both(
    test: &str,
    options: &[&str],
    program_name: &str,
    args: &[&str],
) -> (Vec<String>, Vec<String>, Run, Run) {
    let dir = scratch_dir(test);
    let prog = program(program_name);
    // The program works in `$DIR`, emptied before each run so both runs see the same.
    let work = WorkDir::new(test);
    let args = work.args(args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let theirs_path = dir.join("strace.out");
    let mine_path = dir.join("lite.out");
    work.fresh();
    let theirs_run = trace(STRACE, options, &theirs_path, &prog, &args);
    work.fresh();
    let mine_run = trace(STRACE_LITE, options, &mine_path, &prog, &args);
    let theirs = std::fs::read_to_string(&theirs_path).unwrap_or_default();
    let mine = std::fs::read_to_string(&mine_path).unwrap_or_default();
    (normalize(&theirs), normalize(&mine), theirs_run, mine_run)
}

/// Trace with `-ff -o`: one normalised trace per thread, ordered by thread id.
pub fn both_per_thread(
    test: &str,
    options: &[&str],
    program_name: &str,
) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let dir = scratch_dir(test);
    let prog = program(program_name);
    let mut opts = vec!["-ff"];
    opts.extend_from_slice(options);
    trace(STRACE, &opts, &dir.join("strace"), &prog, &[]);
    trace(STRACE_LITE, &opts, &dir.join("lite"), &prog, &[]);
    (
        per_thread_files(&dir, "strace"),
        per_thread_files(&dir, "lite"),
    )
}

fn per_thread_files(dir: &Path, base: &str) -> Vec<Vec<String>> {
    let mut files: Vec<(u32, PathBuf)> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| {
            let path = e.ok()?.path();
            let name = path.file_name()?.to_str()?.to_string();
            let pid = name.strip_prefix(&format!("{base}."))?.parse().ok()?;
            Some((pid, path))
        })
        .collect();
    files.sort();
    // Thread ids are renumbered across all files together, so one trace's
    // reference to another's id stays comparable.
    let texts: Vec<String> = files
        .iter()
        .map(|(pid, p)| {
            format!(
                "{pid} ---\n{}",
                std::fs::read_to_string(p).unwrap_or_default()
            )
        })
        .collect();
    let joined = texts.join("\n");
    let lines = normalize(&joined);
    let mut out: Vec<Vec<String>> = Vec::new();
    for line in lines {
        if line.ends_with(" ---") && line.starts_with("PID") && !line.contains('(') {
            out.push(Vec::new());
        } else if let Some(cur) = out.last_mut() {
            cur.push(line);
        }
    }
    out
}

/// Undo interleaving in a shared `-f -o` trace: join each `<unfinished ...>` line with
/// its `<... resumed>` line, then group the lines by pid (in order of first appearance).
pub fn reassemble(lines: &[String]) -> Vec<(String, Vec<String>)> {
    let prefix = Regex::new(r"^(PID\d+) +(.*)$").expect("regex");
    let resumed = Regex::new(r"^<\.\.\. \S+ resumed>(.*)$").expect("regex");
    let spaces = Regex::new(r"\) +=").expect("regex");
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut open: std::collections::HashMap<String, (usize, String)> = Default::default();
    for line in lines {
        let Some(c) = prefix.captures(line) else {
            continue;
        };
        let pid = c[1].to_string();
        let body = c[2].to_string();
        let idx = match groups.iter().position(|g| g.0 == pid) {
            Some(i) => i,
            None => {
                groups.push((pid.clone(), Vec::new()));
                groups.len() - 1
            }
        };
        if let Some(rest) = resumed.captures(&body) {
            if let Some((slot, head)) = open.remove(&pid) {
                groups[idx].1[slot] = spaces
                    .replace(&format!("{head}{}", &rest[1]), ") =")
                    .into_owned();
                continue;
            }
        }
        if let Some(head) = body.strip_suffix(" <unfinished ...>") {
            groups[idx].1.push(String::new());
            let slot = groups[idx].1.len() - 1;
            open.insert(pid, (slot, head.to_string()));
            continue;
        }
        groups[idx]
            .1
            .push(spaces.replace(&body, ") =").into_owned());
    }
    groups
}

/// A fresh pseudo-terminal: (master, slave), both close-on-exec from the start so the
/// processes other tests spawn meanwhile do not inherit them.
pub fn open_pty() -> (std::os::fd::OwnedFd, std::os::fd::OwnedFd) {
    use std::os::fd::FromRawFd;
    // SAFETY: plain libc calls on descriptors owned here; ptsname_r writes into `name`.
    unsafe {
        let master = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
        assert!(master >= 0, "posix_openpt");
        let master_fd = std::os::fd::OwnedFd::from_raw_fd(master);
        assert_eq!(libc::grantpt(master), 0);
        assert_eq!(libc::unlockpt(master), 0);
        let mut name = [0 as libc::c_char; 64];
        assert_eq!(libc::ptsname_r(master, name.as_mut_ptr(), name.len()), 0);
        let slave = libc::open(
            name.as_ptr(),
            libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
        );
        assert!(slave >= 0, "open pty slave");
        (master_fd, std::os::fd::OwnedFd::from_raw_fd(slave))
    }
}

/// What `/proc/PID/stat` says of a process: its name, state letter and parent.
pub struct ProcStat {
    pub comm: String,
    pub state: char,
    pub ppid: i32,
}

/// `/proc/PID/stat` of `pid`; `None` once it is gone (reaped).
pub fn proc_stat(pid: i32) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The name is between the first '(' and the last ')': it may hold either.
    let (head, rest) = stat.rsplit_once(") ")?;
    let comm = head.split_once('(')?.1.to_owned();
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some(ProcStat { comm, state, ppid })
}

/// The processes whose parent is `pid`.
pub fn children(pid: i32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .map(|d| {
            d.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
                .filter(|&p| proc_stat(p).is_some_and(|s| s.ppid == pid))
                .collect()
        })
        .unwrap_or_default()
}

/// Polls `cond` every 10 ms until it holds (true) or `limit` has passed (false).
pub fn wait_for(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if cond() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}
