//! The command line: strace's options with strace's spelling, parsed by clap, and turned
//! into [`Options`], the validated settings the tracer runs with.
//!
//! Like strace, a bad option prints a short usage hint and exits with status 1 (clap's
//! own convention is 2), and options after the command belong to the command.

use crate::filter::{NumberSet, SignalSet, SyscallSet};
use clap::Parser;
use std::path::PathBuf;

/// Trace the system calls of a command, like strace.
///
/// Long options may be shortened to any unambiguous prefix, as getopt allows
/// (`--stack-trace` is `--stack-traces`).
#[derive(Parser, Debug)]
#[command(
    name = "strace-lite",
    version,
    about,
    trailing_var_arg = true,
    disable_help_flag = true,
    infer_long_args = true,
    // strace's getopt loop lets a later -a, -s, -o, -S... replace an earlier one (its tests
    // rely on it, e.g. `-a24 ... --columns=31`); the options that accumulate (-e, -p, -P,
    // -E) are lists here and keep every value.
    args_override_self = true
)]
pub struct Cli {
    /// Print this help.
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help)]
    help: Option<bool>,

    /// Follow forks and threads; twice (-ff) with -o, one file per process.
    #[arg(short = 'f', action = clap::ArgAction::Count)]
    pub follow: u8,

    /// Write the trace to FILE instead of stderr; `|CMD` or `!CMD` pipes it to CMD.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        allow_hyphen_values = true
    )]
    pub output: Option<PathBuf>,

    /// Qualifying expression: trace=, signal=, status=, quiet=, read=, write=, abbrev=,
    /// verbose=, raw=, decode-fds= (strace's spelling and sets).
    #[arg(short = 'e', value_name = "EXPR", allow_hyphen_values = true)]
    pub expr: Vec<String>,

    /// Same as -e trace=SET.
    #[arg(long = "trace", value_name = "SET", allow_hyphen_values = true)]
    pub trace: Vec<String>,

    /// Same as -e signal=SET.
    #[arg(
        long = "signals",
        visible_alias = "signal",
        value_name = "SET",
        allow_hyphen_values = true
    )]
    pub signal: Vec<String>,

    /// Same as -e status=SET: successful, failed, unfinished, unavailable, detached.
    #[arg(long = "status", value_name = "SET", allow_hyphen_values = true)]
    pub status: Vec<String>,

    /// Same as -e quiet=SET (attach, exit, path-resolution, personality, thread-execve);
    /// alone, attach,personality.
    #[arg(
        long = "quiet",
        visible_aliases = ["silent", "silence"],
        value_name = "SET",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "attach,personality"
    )]
    pub quiet_long: Vec<String>,

    /// Same as -e read=SET: dump the data read from these descriptors.
    #[arg(long = "read", value_name = "SET", allow_hyphen_values = true)]
    pub read: Vec<String>,

    /// Same as -e write=SET: dump the data written to these descriptors.
    #[arg(long = "write", value_name = "SET", allow_hyphen_values = true)]
    pub write: Vec<String>,

    /// Same as -e abbrev=SET.
    #[arg(long = "abbrev", value_name = "SET", allow_hyphen_values = true)]
    pub abbrev: Vec<String>,

    /// Same as -e verbose=SET.
    #[arg(long = "verbose", value_name = "SET", allow_hyphen_values = true)]
    pub verbose_set: Vec<String>,

    /// Same as -e raw=SET: the arguments of these calls undecoded, in hex.
    #[arg(long = "raw", value_name = "SET", allow_hyphen_values = true)]
    pub raw: Vec<String>,

    /// Same as -e decode-fds=SET (path; all); alone, path.
    #[arg(
        long = "decode-fds",
        value_name = "SET",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "path"
    )]
    pub decode_fds_long: Vec<String>,

    /// strace's --inject, --fault, --kvm, --decode-pids and --secontext: refused (not
    /// implemented), with a message.
    #[arg(
        long = "inject",
        value_name = "SET",
        hide = true,
        allow_hyphen_values = true
    )]
    pub inject: Vec<String>,
    #[arg(
        long = "fault",
        value_name = "SET",
        hide = true,
        allow_hyphen_values = true
    )]
    pub fault: Vec<String>,
    #[arg(
        long = "kvm",
        value_name = "SET",
        hide = true,
        allow_hyphen_values = true
    )]
    pub kvm: Vec<String>,
    #[arg(
        long = "decode-pids",
        value_name = "SET",
        hide = true,
        allow_hyphen_values = true
    )]
    pub decode_pids: Vec<String>,
    #[arg(
        long = "secontext",
        value_name = "SET",
        hide = true,
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "!full,mismatch"
    )]
    pub secontext: Vec<String>,

    /// Trace only the calls that access PATH (repeatable).
    #[arg(
        short = 'P',
        long = "trace-path",
        value_name = "PATH",
        allow_hyphen_values = true
    )]
    pub trace_path: Vec<String>,

    /// VAR=VAL: put VAR=VAL in the command's environment; VAR: remove VAR from it.
    #[arg(
        short = 'E',
        long = "env",
        value_name = "VAR=VAL",
        allow_hyphen_values = true
    )]
    pub env: Vec<std::ffi::OsString>,

    /// When signals interrupt strace-lite: 1/anywhere, 2/waiting, 3/never, 4/never_tstp.
    #[arg(
        short = 'I',
        long = "interruptible",
        value_name = "INTERRUPTIBLE",
        allow_hyphen_values = true
    )]
    pub interruptible: Option<String>,

    /// Print only syscalls that returned without an error.
    #[arg(short = 'z', long = "successful-only", action = clap::ArgAction::Count)]
    pub successful_only: u8,

    /// Print only syscalls that returned an error.
    #[arg(short = 'Z', long = "failed-only", visible_alias = "failing-only", action = clap::ArgAction::Count)]
    pub failed_only: u8,

    /// Count time, calls and errors per syscall and print a summary at the end.
    #[arg(short = 'c', long = "summary-only")]
    pub summary_only: bool,

    /// Like -c, but also print the regular trace.
    #[arg(short = 'C', long = "summary")]
    pub summary: bool,

    /// Sort the summary by: time, min-time, max-time, avg-time, calls, errors, name, nothing.
    #[arg(
        short = 'S',
        long = "summary-sort-by",
        value_name = "SORTBY",
        allow_hyphen_values = true
    )]
    pub sort_by: Option<String>,

    /// The summary's columns, comma-separated: time-percent, total-time, min-time,
    /// max-time, avg-time, calls, errors, name (strace's names and aliases).
    #[arg(
        short = 'U',
        long = "summary-columns",
        value_name = "COLUMNS",
        allow_hyphen_values = true
    )]
    pub summary_columns: Vec<String>,

    /// Subtract OVERHEAD (s, ms, us or ns; default us) from each call's time in the summary.
    #[arg(
        short = 'O',
        long = "summary-syscall-overhead",
        value_name = "OVERHEAD",
        allow_hyphen_values = true
    )]
    pub overhead: Option<String>,

    /// Summarise wall-clock time between entry and exit instead of system time.
    #[arg(short = 'w', long = "summary-wall-clock")]
    pub wall_clock: bool,

    /// Show the time spent in each syscall.
    #[arg(short = 'T', long = "syscall-times")]
    pub syscall_times: bool,

    /// Prefix each line with the time of day; -tt with microseconds, -ttt as epoch.
    #[arg(short = 't', action = clap::ArgAction::Count)]
    pub timestamps: u8,

    /// Prefix each line with the time since the previous one.
    #[arg(short = 'r', long = "relative-timestamps")]
    pub relative: bool,

    /// Print at most N bytes of each string (default 32).
    #[arg(
        short = 's',
        long = "string-limit",
        value_name = "N",
        allow_hyphen_values = true
    )]
    pub string_limit: Option<String>,

    /// Print non-ASCII strings in hex; -xx prints every string in hex.
    #[arg(short = 'x', action = clap::ArgAction::Count)]
    pub hex: u8,

    /// Print the paths of file descriptors; -yy adds socket and device details.
    #[arg(short = 'y', action = clap::ArgAction::Count)]
    pub decode_fds: u8,

    /// Print structures, environments and arrays in full.
    #[arg(short = 'v', long = "no-abbrev")]
    pub verbose: bool,

    /// Constants as: raw (numbers), abbrev (names, the default) or verbose (both).
    #[arg(
        short = 'X',
        long = "const-print-style",
        value_name = "FORMAT",
        allow_hyphen_values = true
    )]
    pub xlat_style: Option<String>,

    /// Align return values at column COL (default 40).
    #[arg(
        short = 'a',
        long = "columns",
        value_name = "COL",
        allow_hyphen_values = true
    )]
    pub column: Option<String>,

    /// Suppress attach/detach messages; -qq also exit messages; -qqq every message.
    #[arg(short = 'q', action = clap::ArgAction::Count)]
    pub quiet: u8,

    /// Print the tracee's stack at each shown syscall.
    #[arg(short = 'k', long = "stack-traces")]
    pub stack_trace: bool,

    /// Color names, errors, signals and exits: always, never, auto (on a terminal, unless
    /// NO_COLOR is set).
    #[arg(long = "color", value_name = "WHEN")]
    pub color: Option<String>,

    /// With -c/-C: also a table of each syscall's p50, p99 and maximum time.
    #[arg(long = "latency")]
    pub latency: bool,

    /// One JSON object per line for each syscall, signal and exit (see README.md).
    #[arg(long = "json")]
    pub json: bool,

    /// Stop the tracee only for the traced syscalls, with a seccomp filter (needs -f).
    #[arg(long = "seccomp-bpf")]
    pub seccomp_bpf: bool,

    /// Pin the command to the tracer's CPU, so a ptrace stop switches tasks there instead of
    /// waking another CPU. This changes how the command runs, and it sees it (its affinity
    /// and policy calls answer the truth): always (when given without a value: pinned for
    /// the whole run), auto (pinned and under SCHED_BATCH while it runs one thread of
    /// execution), never (the default, as strace: nothing changed).
    #[arg(
        long = "same-cpu",
        value_name = "WHEN",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "always"
    )]
    pub same_cpu: Option<String>,

    /// Not in strace: auto (the default) keeps the CPUs the trace uses busy at idle
    /// priority while stops come close together, so a stop does not wait for a halted CPU
    /// to wake (tracer threads under SCHED_IDLE; costs CPU time, shows in top); never: off.
    #[arg(long = "spin", value_name = "WHEN", require_equals = true)]
    pub spin: Option<String>,

    /// Kill the command (and every tracee) when strace-lite exits (PTRACE_O_EXITKILL); by
    /// default they go on, untraced, as under strace.
    #[arg(long = "kill-on-exit")]
    pub kill_on_exit: bool,

    /// Attach to the process (and all its threads) with this PID; comma-separated or repeated.
    #[arg(
        short = 'p',
        long = "attach",
        value_name = "PID",
        allow_hyphen_values = true
    )]
    pub pids: Vec<String>,

    /// Command to run under the tracer, and its arguments (any bytes, as execve takes them).
    #[arg(value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

/// When the summary table is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryMode {
    /// No summary (default).
    Off,
    /// `-c`: only the summary.
    Only,
    /// `-C`: the trace and the summary.
    WithTrace,
}

/// A column of the summary table (`-U`), in strace's order of the default table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryColumn {
    TimePercent,
    TimeTotal,
    TimeMin,
    TimeMax,
    TimeAvg,
    Calls,
    Errors,
    Name,
}

impl SummaryColumn {
    /// strace's table without `-U`.
    pub const DEFAULT: [SummaryColumn; 6] = [
        SummaryColumn::TimePercent,
        SummaryColumn::TimeTotal,
        SummaryColumn::TimeAvg,
        SummaryColumn::Calls,
        SummaryColumn::Errors,
        SummaryColumn::Name,
    ];

    /// strace's column names and aliases (count.c's column_aliases, without `none`, which
    /// names no column).
    fn parse(text: &str) -> Option<SummaryColumn> {
        Some(match text {
            "time" | "time_percent" | "time-percent" => SummaryColumn::TimePercent,
            "time_total" | "time-total" | "total_time" | "total-time" => SummaryColumn::TimeTotal,
            "min_time" | "min-time" | "shortest" | "time_min" | "time-min" => {
                SummaryColumn::TimeMin
            }
            "longest" | "max_time" | "max-time" | "time_max" | "time-max" => SummaryColumn::TimeMax,
            "avg_time" | "avg-time" | "time_avg" | "time-avg" => SummaryColumn::TimeAvg,
            "calls" | "count" => SummaryColumn::Calls,
            "error" | "errors" => SummaryColumn::Errors,
            "name" | "syscall" | "syscall_name" | "syscall-name" => SummaryColumn::Name,
            _ => return None,
        })
    }

    /// strace's set_count_summary_columns: the columns of a `-U` list, in its order, each
    /// at most once, and the name column last when the list leaves it out.
    pub fn parse_list(spec: &str) -> Result<Vec<SummaryColumn>, String> {
        let mut columns = Vec::new();
        let mut rest = spec;
        loop {
            let (name, next) = match rest.split_once(',') {
                Some((name, next)) => (name, Some(next)),
                None => (rest, None),
            };
            let Some(column) = SummaryColumn::parse(name) else {
                return Err(format!("unknown column name: '{name}'"));
            };
            if columns.contains(&column) {
                return Err(format!(
                    "call summary column has been provided more than once: '{name}' \
                     (-U option residual: '{rest}')"
                ));
            }
            columns.push(column);
            match next {
                Some(next) => rest = next,
                None => break,
            }
        }
        if !columns.contains(&SummaryColumn::Name) {
            columns.push(SummaryColumn::Name);
        }
        Ok(columns)
    }
}

/// The summary's sort key (`-S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    MinTime,
    MaxTime,
    AvgTime,
    Calls,
    Errors,
    Name,
    Nothing,
}

impl SortKey {
    /// strace's `-S` spellings (its column aliases).
    pub fn parse(text: &str) -> Option<SortKey> {
        Some(match text {
            "time" | "time_percent" | "time-percent" | "time_total" | "time-total"
            | "total_time" | "total-time" => SortKey::Time,
            "min_time" | "min-time" | "shortest" | "time_min" | "time-min" => SortKey::MinTime,
            "longest" | "max_time" | "max-time" | "time_max" | "time-max" => SortKey::MaxTime,
            "avg_time" | "avg-time" | "time_avg" | "time-avg" => SortKey::AvgTime,
            "calls" | "count" => SortKey::Calls,
            "error" | "errors" => SortKey::Errors,
            "name" | "syscall" | "syscall_name" | "syscall-name" => SortKey::Name,
            "none" | "nothing" => SortKey::Nothing,
            _ => return None,
        })
    }
}

/// Time stamps at the start of each line (`-t`, `-tt`, `-ttt`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampStyle {
    None,
    Seconds,
    Micros,
    Epoch,
}

/// How named constants are printed (`-X`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XlatStyle {
    Abbrev,
    Raw,
    Verbose,
}

/// The statuses of `-e status=` (strace's numbering).
pub mod status {
    pub const SUCCESSFUL: u64 = 0;
    pub const FAILED: u64 = 1;
    pub const UNFINISHED: u64 = 2;
    pub const UNAVAILABLE: u64 = 3;
    pub const DETACHED: u64 = 4;
    pub const COUNT: u64 = 5;

    pub fn parse(text: &str) -> Option<u64> {
        Some(match text {
            "successful" => SUCCESSFUL,
            "failed" => FAILED,
            "unfinished" => UNFINISHED,
            "unavailable" => UNAVAILABLE,
            "detached" => DETACHED,
            _ => return None,
        })
    }
}

/// The messages of `-e quiet=` (strace's numbering).
pub mod quiet {
    pub const ATTACH: u64 = 0;
    pub const EXIT: u64 = 1;
    pub const PATH_RESOLUTION: u64 = 2;
    pub const PERSONALITY: u64 = 3;
    pub const THREAD_EXECVE: u64 = 4;

    pub fn parse(text: &str) -> Option<u64> {
        Some(match text {
            "attach" => ATTACH,
            "exit" | "exits" => EXIT,
            "path-resolution" => PATH_RESOLUTION,
            "personality" => PERSONALITY,
            "superseded" | "thread-execve" => THREAD_EXECVE,
            _ => return None,
        })
    }
}

/// `-I`: when fatal signals (SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM) stop strace-lite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruptible {
    /// 1: no handling at all, they kill the tracer where it stands.
    Anywhere,
    /// 2: they end tracing (detach) between two stops (the default).
    Waiting,
    /// 3: ignored (the default with `-o FILE` and a command).
    Never,
    /// 4: ignored, and so is SIGTSTP.
    NeverTstp,
}

impl Interruptible {
    fn parse(text: &str) -> Option<Interruptible> {
        Some(match text {
            "anywhere" | "always" => Interruptible::Anywhere,
            "waiting" => Interruptible::Waiting,
            "never" => Interruptible::Never,
            "never_tstp" => Interruptible::NeverTstp,
            _ => match crate::filter::string_to_uint(text, 4)? {
                1 => Interruptible::Anywhere,
                2 => Interruptible::Waiting,
                3 => Interruptible::Never,
                4 => Interruptible::NeverTstp,
                _ => return None,
            },
        })
    }
}

/// The validated settings of one run.
#[derive(Debug, Clone)]
pub struct Options {
    pub follow_forks: bool,
    pub output_per_process: bool,
    /// `-o`: a file, or `|CMD` / `!CMD` (a pipe to CMD run by `/bin/sh -c`).
    pub output: Option<PathBuf>,
    pub trace: SyscallSet,
    pub signals: SignalSet,
    /// `-e status=` (`-z`, `-Z`): which ends of a call print it (see [`status`]).
    pub status: NumberSet,
    /// `-P`: the paths (and what they resolve to) a shown call must access.
    pub trace_paths: Vec<String>,
    /// `-e read=`, `-e write=`: descriptors whose data is dumped.
    pub read_fds: NumberSet,
    pub write_fds: NumberSet,
    /// `-e raw=`: calls printed undecoded.
    pub raw: SyscallSet,
    /// `-e abbrev=`: calls whose structures and arrays are abbreviated (not under `-v`).
    pub abbrev: SyscallSet,
    /// `-e verbose=`: calls whose structures are dereferenced (the others show addresses).
    pub verbose_calls: SyscallSet,
    pub summary: SummaryMode,
    pub sort_by: SortKey,
    /// `-U`: the summary's columns.
    pub summary_columns: Vec<SummaryColumn>,
    /// `-O`: subtracted from each call's time in the summary.
    pub overhead: std::time::Duration,
    pub wall_clock: bool,
    pub syscall_times: bool,
    pub timestamps: TimestampStyle,
    pub relative: bool,
    pub string_limit: usize,
    pub hex: u8,
    pub decode_fds: u8,
    pub verbose: bool,
    pub xlat_style: XlatStyle,
    pub column: usize,
    /// `-q`, `-e quiet=`: the messages not printed (see [`quiet`]).
    pub quiet: NumberSet,
    pub interruptible: Interruptible,
    /// `-E`: changes to the command's environment, in order.
    pub env: Vec<std::ffi::OsString>,
    pub pids: Vec<i32>,
    pub command: Vec<std::ffi::OsString>,
    /// `--seccomp-bpf` (with -f, on a spawned command).
    pub seccomp_bpf: bool,
    /// `--same-cpu`: when tracer and command share one CPU (see `tracer::cpu_pin`).
    pub same_cpu: SameCpu,
    /// `--spin`: idle-priority spinners while the trace is hot (`tracer/spin.rs`).
    pub spin: bool,
    /// `--kill-on-exit`: tracees die with the tracer (`PTRACE_O_EXITKILL`).
    pub kill_on_exit: bool,
    /// `--json`: JSON lines instead of strace's text.
    pub json: bool,
    /// `--latency`: percentiles after the summary table.
    pub latency: bool,
    /// `--color`.
    pub color: crate::colors::ColorWhen,
    /// `-k`: a stack trace after each syscall.
    pub stack_trace: bool,
    /// Warnings to print before tracing (an option that was turned off, and why).
    pub warnings: Vec<String>,
}

impl Options {
    /// Whether the message `which` (see [`quiet`]) is printed.
    pub fn says(&self, which: u64) -> bool {
        !self.quiet.contains(which)
    }

    /// Whether calls that end with `which` (see [`status`]) are printed.
    pub fn shows_status(&self, which: u64) -> bool {
        self.status.contains(which)
    }

    /// Whether some statuses are not printed, so each call's line waits for its end.
    pub fn filters_status(&self) -> bool {
        !self.status.is_complete(status::COUNT)
    }
}

/// `--same-cpu=WHEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameCpu {
    Auto,
    Always,
    Never,
}

impl SameCpu {
    /// The option's value (`None`: not given, so `never`, strace's behaviour).
    pub fn parse(value: Option<&str>) -> Result<SameCpu, String> {
        match value {
            None | Some("never") => Ok(SameCpu::Never),
            Some("auto") => Ok(SameCpu::Auto),
            Some("always") => Ok(SameCpu::Always),
            Some(other) => Err(format!(
                "invalid --same-cpu value '{other}' (auto, always or never)"
            )),
        }
    }
}

/// `--spin=auto|never` (`None`: not given, so `auto`): whether spinners may run.
fn parse_spin(value: Option<&str>) -> Result<bool, String> {
    match value {
        None | Some("auto") => Ok(true),
        Some("never") => Ok(false),
        Some(other) => Err(format!("invalid --spin value '{other}' (auto or never)")),
    }
}

/// A command line strace refuses: its message, and whether the usage hint follows it
/// (strace's `error_msg_and_help`) or not (`error_msg_and_die`). Both exit with status 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fail {
    pub message: String,
    pub help: bool,
}

impl Fail {
    pub fn die(message: impl Into<String>) -> Fail {
        Fail {
            message: message.into(),
            help: false,
        }
    }

    pub fn help(message: impl Into<String>) -> Fail {
        Fail {
            message: message.into(),
            help: true,
        }
    }
}

impl From<String> for Fail {
    fn from(message: String) -> Fail {
        Fail::help(message)
    }
}

/// What the command line asks for: run with options, or stop with a message.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Options>),
    /// Print `text` on stdout and exit 0 (`-h`, `-V`).
    Info(String),
    /// Print the message (and the usage hint, if asked) on stderr and exit 1.
    Usage(Fail),
}

/// Parse strace-lite's arguments (including the program name).
pub fn parse<I, T>(args: I) -> Parsed
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::{CommandFactory, FromArgMatches};
    let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
    let raw: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let matches = match Cli::command().try_get_matches_from(&args) {
        Ok(m) => m,
        Err(err) => {
            use clap::error::ErrorKind;
            return match err.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Parsed::Info(err.to_string()),
                _ => Parsed::Usage(Fail::help(clap_message(&err, &raw))),
            };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return Parsed::Usage(Fail::help(clap_message(&err, &raw))),
    };
    let bound = matches
        .indices_of("command")
        .and_then(|mut i| i.next())
        .unwrap_or(raw.len());
    let spelled = Spelling {
        raw: &raw[..bound.min(raw.len())],
    };
    match Options::from_cli(cli, &matches, &spelled) {
        Ok(opts) => Parsed::Run(Box::new(opts)),
        Err(fail) => Parsed::Usage(fail),
    }
}

/// getopt's words for what clap rejected (`invalid option -- 'Q'`, `unrecognized option
/// '--foo'`, `option requires an argument -- 's'`), else clap's first line.
fn clap_message(err: &clap::Error, raw: &[String]) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => Some(s.clone()),
        _ => None,
    };
    match (err.kind(), arg) {
        (ErrorKind::UnknownArgument, Some(a)) if a.starts_with("--") => {
            return format!("unrecognized option '{a}'");
        }
        (ErrorKind::UnknownArgument, Some(a)) if a.starts_with('-') => {
            let c = a.chars().nth(1).unwrap_or('-');
            return format!("invalid option -- '{c}'");
        }
        (ErrorKind::InvalidValue | ErrorKind::NoEquals, Some(a)) if a.starts_with("-") => {
            // clap names the option as `-s <N>` or `--output <FILE>`, whichever was used:
            // the last argument says (a value is missing only at the end).
            let name = a.split([' ', '=']).next().unwrap_or(&a);
            let long = name.strip_prefix("--").unwrap_or(name);
            let last = raw.last().map(String::as_str).unwrap_or("");
            if last.starts_with("--") {
                return format!("option '--{long}' requires an argument");
            }
            let short = <Cli as clap::CommandFactory>::command()
                .get_arguments()
                .find(|arg| arg.get_long() == Some(long))
                .and_then(|arg| arg.get_short());
            let c = short.or_else(|| name.chars().nth(1)).unwrap_or('-');
            return format!("option requires an argument -- '{c}'");
        }
        _ => {}
    }
    let text = err.render().to_string();
    let first = text.lines().next().unwrap_or("invalid option");
    first.trim_start_matches("error: ").to_string()
}

/// How an option was spelled on the command line (the options before the command), for
/// strace's `invalid -s argument` / `invalid --string-limit argument`.
pub struct Spelling<'a> {
    raw: &'a [String],
}

impl Spelling<'_> {
    /// `invalid -s argument: 'x'`, or with the long name when the last spelling of the
    /// option was long (any unambiguous prefix, as getopt takes it).
    fn invalid(&self, short: char, long: &str, value: &str) -> Fail {
        let last_long = self.raw.iter().skip(1).rev().find_map(|a| {
            if let Some(body) = a.strip_prefix("--") {
                let name = body.split('=').next().unwrap_or(body);
                (name.len() >= 2 && long.starts_with(name)).then_some(true)
            } else if a.starts_with('-') && !a.starts_with("--") && a[1..].contains(short) {
                Some(false)
            } else {
                None
            }
        });
        if last_long == Some(true) {
            Fail::help(format!("invalid --{long} argument: '{value}'"))
        } else {
            Fail::help(format!("invalid -{short} argument: '{value}'"))
        }
    }
}

/// Print a usage error the way strace does and exit with status 1.
pub fn usage_exit(fail: &Fail) -> ! {
    eprintln!("strace-lite: {}", fail.message);
    if fail.help {
        eprintln!("Try 'strace-lite -h' for more information.");
    }
    std::process::exit(1);
}

/// One qualifier as strace's `qualify` reads `-e NAME=VALUE`: the qualifier and its value
/// (`trace` when no known qualifier is named, the whole text then being the value).
fn split_qualifier(expr: &str) -> (&'static str, &str) {
    const QUALIFIERS: [(&str, &str); 31] = [
        ("trace", "trace"),
        ("t", "trace"),
        ("abbrev", "abbrev"),
        ("a", "abbrev"),
        ("verbose", "verbose"),
        ("v", "verbose"),
        ("raw", "raw"),
        ("x", "raw"),
        ("signal", "signal"),
        ("signals", "signal"),
        ("s", "signal"),
        ("status", "status"),
        ("quiet", "quiet"),
        ("silent", "quiet"),
        ("silence", "quiet"),
        ("q", "quiet"),
        ("read", "read"),
        ("reads", "read"),
        ("r", "read"),
        ("write", "write"),
        ("writes", "write"),
        ("w", "write"),
        ("fault", "fault"),
        ("inject", "inject"),
        ("kvm", "kvm"),
        ("decode-fd", "decode-fds"),
        ("decode-fds", "decode-fds"),
        ("decode-pid", "decode-pids"),
        ("decode-pids", "decode-pids"),
        ("secontext", "secontext"),
        ("trace", "trace"),
    ];
    for (name, qualifier) in QUALIFIERS {
        if let Some(value) = expr.strip_prefix(name).and_then(|v| v.strip_prefix('=')) {
            return (qualifier, value);
        }
    }
    ("trace", expr)
}

/// The settings the qualifiers build, in command-line order.
struct Qualified {
    trace: SyscallSet,
    signals: SignalSet,
    status: NumberSet,
    quiet: Option<NumberSet>,
    quiet_updated: bool,
    read_fds: NumberSet,
    write_fds: NumberSet,
    raw: SyscallSet,
    abbrev: SyscallSet,
    verbose: SyscallSet,
    decode_fds: Option<u8>,
}

impl Qualified {
    fn new() -> Self {
        Qualified {
            trace: SyscallSet::all(),
            signals: SignalSet::all(),
            status: NumberSet::all(),
            quiet: None,
            quiet_updated: false,
            read_fds: NumberSet::none(),
            write_fds: NumberSet::none(),
            raw: SyscallSet::parse("none").expect("none"),
            abbrev: SyscallSet::all(),
            verbose: SyscallSet::all(),
            decode_fds: None,
        }
    }

    fn qualify(&mut self, qualifier: &str, value: &str) -> Result<(), Fail> {
        let fd = |t: &str| crate::filter::string_to_uint(t, i32::MAX as u64);
        match qualifier {
            "trace" => self.trace = SyscallSet::parse(value)?,
            "signal" => self.signals = SignalSet::parse(value)?,
            "status" => self.status = NumberSet::parse(value, "status", status::parse)?,
            "quiet" => {
                self.quiet_updated = true;
                self.quiet = Some(NumberSet::parse(value, "quiet", quiet::parse)?);
            }
            "read" => self.read_fds = NumberSet::parse(value, "descriptor", fd)?,
            "write" => self.write_fds = NumberSet::parse(value, "descriptor", fd)?,
            "raw" => self.raw = SyscallSet::parse(value)?,
            "abbrev" => self.abbrev = SyscallSet::parse(value)?,
            "verbose" => self.verbose = SyscallSet::parse(value)?,
            "decode-fds" => {
                const PATH: u64 = 0;
                const SOCKET: u64 = 1;
                const DEV: u64 = 2;
                const PIDFD: u64 = 3;
                let set = NumberSet::parse(value, "decode-fds", |t| match t {
                    "path" => Some(PATH),
                    "socket" => Some(SOCKET),
                    "dev" => Some(DEV),
                    "pidfd" => Some(PIDFD),
                    _ => None,
                })?;
                let level = if set.is_empty() {
                    0
                } else if set.is_complete(4) {
                    2
                } else if set.contains(PATH) && (1..4).all(|d| !set.contains(d)) {
                    1
                } else {
                    return Err(Fail::help(format!(
                        "-e decode-fds={value}: strace-lite decodes none, path (-y) or all \
                         (-yy) of these details"
                    )));
                };
                self.decode_fds = Some(level);
            }
            "kvm" => {
                if value != "vcpu" {
                    return Err(Fail::die(format!("invalid -e kvm= argument: '{value}'")));
                }
                return Err(Fail::help(
                    "-e kvm=vcpu is not supported: strace-lite does not decode KVM_RUN exits",
                ));
            }
            "fault" | "inject" => {
                return Err(Fail::help(format!(
                    "-e {qualifier}= is not supported: strace-lite does not tamper with \
                     system calls"
                )));
            }
            "decode-pids" => {
                NumberSet::parse(value, "decode-pids", |t| match t {
                    "pidns" => Some(0),
                    "comm" => Some(1),
                    _ => None,
                })?;
                return Err(Fail::help(
                    "-e decode-pids= (--decode-pids, -Y) is not supported by strace-lite",
                ));
            }
            "secontext" => {
                return Err(Fail::die(
                    "SELinux context printing (--secontext option) is not supported by this \
                     build of strace",
                ));
            }
            _ => unreachable!("qualifier {qualifier}"),
        }
        Ok(())
    }
}

/// strace's `parse_ts` for `-O`: an integer or a decimal number, then s, ms, us or ns
/// (microseconds when none).
fn parse_overhead(text: &str) -> Option<std::time::Duration> {
    let float_len = text
        .bytes()
        .take_while(|b| b"eE.-+0123456789".contains(b))
        .count();
    let int_len = text
        .bytes()
        .take_while(|b| b"+0123456789".contains(b))
        .count();
    let (number, unit) = if float_len > int_len {
        let (n, u) = text.split_at(float_len);
        let v: f64 = n.parse().ok()?;
        if v < 0.0 || !v.is_finite() {
            return None;
        }
        (v, u)
    } else {
        let digits_end = text
            .char_indices()
            .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && c == '+')))
            .map_or(text.len(), |(i, _)| i);
        let (n, u) = text.split_at(digits_end);
        if !u.is_empty() && !u.starts_with(['s', 'm', 'u', 'n']) {
            return None;
        }
        (crate::filter::string_to_uint(n, i64::MAX as u64)? as f64, u)
    };
    let ns_per_unit = match unit {
        "" | "us" => 1_000.0,
        "s" => 1_000_000_000.0,
        "ms" => 1_000_000.0,
        "ns" => 1.0,
        _ => return None,
    };
    Some(std::time::Duration::from_nanos(
        (number * ns_per_unit) as u64,
    ))
}

impl Options {
    fn from_cli(cli: Cli, matches: &clap::ArgMatches, spelled: &Spelling) -> Result<Options, Fail> {
        // Every qualifier, -z and -Z in command-line order (the last one wins, as in strace).
        let mut ordered: Vec<(usize, &'static str, String)> = Vec::new();
        let mut add = |id: &str, qualifier: &'static str, values: &[String]| {
            let indices: Vec<usize> = matches
                .indices_of(id)
                .map(|i| i.collect())
                .unwrap_or_default();
            for (i, v) in values.iter().enumerate() {
                let at = indices.get(i).copied().unwrap_or(usize::MAX);
                ordered.push((at, qualifier, v.clone()));
            }
        };
        add("trace", "trace", &cli.trace);
        add("signal", "signal", &cli.signal);
        add("status", "status", &cli.status);
        add("quiet_long", "quiet", &cli.quiet_long);
        add("read", "read", &cli.read);
        add("write", "write", &cli.write);
        add("abbrev", "abbrev", &cli.abbrev);
        add("verbose_set", "verbose", &cli.verbose_set);
        add("raw", "raw", &cli.raw);
        add("decode_fds_long", "decode-fds", &cli.decode_fds_long);
        add("inject", "inject", &cli.inject);
        add("fault", "fault", &cli.fault);
        add("kvm", "kvm", &cli.kvm);
        add("decode_pids", "decode-pids", &cli.decode_pids);
        add("secontext", "secontext", &cli.secontext);
        add("expr", "-e", &cli.expr);
        let z: Vec<String> = vec![String::new(); usize::from(cli.successful_only)];
        add("successful_only", "-z", &z);
        let zz: Vec<String> = vec![String::new(); usize::from(cli.failed_only)];
        add("failed_only", "-Z", &zz);
        ordered.sort_by_key(|e| e.0);

        let mut q = Qualified::new();
        let mut zflags = 0;
        for (_, qualifier, value) in &ordered {
            match *qualifier {
                "-e" => {
                    let (qualifier, value) = split_qualifier(value);
                    q.qualify(qualifier, value)?;
                }
                "-z" => {
                    q.status = NumberSet::of(&[status::SUCCESSFUL]);
                    zflags += 1;
                }
                "-Z" => {
                    q.status = NumberSet::of(&[status::FAILED]);
                    zflags += 1;
                }
                other => q.qualify(other, value)?,
            }
        }

        let xlat_style = match cli.xlat_style.as_deref() {
            None | Some("abbrev") => XlatStyle::Abbrev,
            Some("raw") => XlatStyle::Raw,
            Some("verbose") => XlatStyle::Verbose,
            Some(other) => return Err(spelled.invalid('X', "const-print-style", other)),
        };
        let interruptible = match cli.interruptible.as_deref() {
            None => None,
            Some(v) => Some(
                Interruptible::parse(v).ok_or_else(|| spelled.invalid('I', "interruptible", v))?,
            ),
        };
        let column = match cli.column.as_deref() {
            None => 40,
            Some(v) => crate::filter::string_to_uint(v, i32::MAX as u64)
                .ok_or_else(|| spelled.invalid('a', "columns", v))? as usize,
        };
        let overhead = match cli.overhead.as_deref() {
            None => std::time::Duration::ZERO,
            Some(v) => parse_overhead(v)
                .ok_or_else(|| spelled.invalid('O', "summary-syscall-overhead", v))?,
        };
        let string_limit = match cli.string_limit.as_deref() {
            None => 32,
            Some(v) => crate::filter::string_to_uint(v, u64::from(u32::MAX / 4))
                .ok_or_else(|| spelled.invalid('s', "string-limit", v))?
                as usize,
        };
        let mut pids = Vec::new();
        for spec in &cli.pids {
            // strace's process_opt_p_list: `-p "1 2"`, `-p 1,2`, and `pgrep`'s lines.
            let mut rest = spec.as_str();
            while !rest.is_empty() {
                let end = rest.find(['\n', '\t', ' ', ',']).unwrap_or(rest.len());
                let part = &rest[..end];
                rest = rest.get(end + 1..).unwrap_or("");
                match crate::filter::string_to_uint(part, i32::MAX as u64) {
                    Some(pid) if pid > 0 => {
                        // SAFETY: getpid has no preconditions.
                        if pid as i32 == unsafe { libc::getpid() } {
                            return Err(Fail::die("I'm sorry, I can't let you do that, Dave."));
                        }
                        pids.push(pid as i32)
                    }
                    _ => return Err(Fail::die(format!("Invalid process id: '{part}'"))),
                }
            }
        }
        let sort_by = match cli.sort_by.as_deref() {
            None => SortKey::Time,
            Some(v) => {
                SortKey::parse(v).ok_or_else(|| Fail::help(format!("invalid sortby: '{v}'")))?
            }
        };
        // strace parses each -U as it comes (an error in any is an error); the last wins.
        let mut summary_columns = SummaryColumn::DEFAULT.to_vec();
        for spec in &cli.summary_columns {
            summary_columns = SummaryColumn::parse_list(spec).map_err(Fail::help)?;
        }
        if cli.summary_only && cli.summary {
            return Err(Fail::help(
                "-c/--summary-only and -C/--summary are mutually exclusive",
            ));
        }
        if pids.is_empty() && cli.command.is_empty() {
            return Err(Fail::help("must have PROG [ARGS] or -p PID"));
        }
        let summary = if cli.summary_only {
            SummaryMode::Only
        } else if cli.summary {
            SummaryMode::WithTrace
        } else {
            SummaryMode::Off
        };
        let cflag = summary != SummaryMode::Off;
        let mut warnings = Vec::new();
        if cli.seccomp_bpf && !pids.is_empty() {
            return Err(Fail::help(
                "--seccomp-bpf cannot be used with -p: an attached process \
                 cannot be given a seccomp filter",
            ));
        }
        let seccomp_bpf = cli.seccomp_bpf && cli.follow > 0;
        if cli.seccomp_bpf && !seccomp_bpf {
            // As strace: the filter is inherited, so children would need a tracer.
            warnings
                .push("--seccomp-bpf cannot be used without -f/--follow-forks, disabling".into());
        }
        let output_per_process = cli.follow > 1 && cli.output.is_some();
        if output_per_process && cflag {
            return Err(Fail::help(
                "(-c/--summary-only or -C/--summary) and -ff/--output-separately are \
                 mutually exclusive",
            ));
        }
        if cli.wall_clock && !cflag {
            return Err(Fail::help(
                "-w/--summary-wall-clock must be given with (-c/--summary-only or -C/--summary)",
            ));
        }
        if !cli.summary_columns.is_empty() && !cflag {
            return Err(Fail::help(
                "-U/--summary-columns must be given with (-c/--summary-only or -C/--summary)",
            ));
        }
        if cli.sort_by.is_some() && !cflag {
            warnings.push(
                "-S/--summary-sort-by has no effect without (-c/--summary-only or -C/--summary)"
                    .into(),
            );
        }
        if summary == SummaryMode::Only {
            if cli.stack_trace {
                warnings.push("-k/--stack-traces has no effect with -c/--summary-only".into());
            }
            if cli.relative {
                warnings
                    .push("-r/--relative-timestamps has no effect with -c/--summary-only".into());
            }
            if cli.timestamps > 0 {
                warnings
                    .push("-t/--absolute-timestamps has no effect with -c/--summary-only".into());
            }
            if cli.syscall_times {
                warnings.push("-T/--syscall-times has no effect with -c/--summary-only".into());
            }
            let y = q.decode_fds.unwrap_or(cli.decode_fds);
            if y > 0 {
                warnings.push("-y/--decode-fds has no effect with -c/--summary-only".into());
            }
        }
        if zflags > 1 {
            warnings.push(
                "Only the last of -z/--successful-only/-Z/--failed-only options will take \
                 effect. See status qualifier for more complex filters."
                    .into(),
            );
        }
        if cli.decode_fds > 0 && q.decode_fds.is_some() {
            return Err(Fail::die(
                "-y and --decode-fds cannot be provided simultaneously",
            ));
        }
        let decode_fds = q.decode_fds.unwrap_or(cli.decode_fds);
        if let Some(out) = &cli.output {
            let piped = out
                .as_os_str()
                .as_encoded_bytes()
                .first()
                .is_some_and(|&b| b == b'|' || b == b'!');
            if piped && cli.follow > 1 {
                return Err(Fail::help(
                    "piping the output and -ff/--output-separately are mutually exclusive",
                ));
            }
        }
        // strace: with -o and a command, -q is the default (unless quiet= was given),
        // and fatal signals are ignored unless -I says otherwise.
        let mut qflag = cli.quiet;
        if cli.output.is_some() && !cli.command.is_empty() && qflag == 0 && !q.quiet_updated {
            qflag = 1;
        }
        let interruptible =
            interruptible.unwrap_or(if cli.output.is_some() && !cli.command.is_empty() {
                Interruptible::Never
            } else {
                Interruptible::Waiting
            });
        let quiet = if qflag > 0 {
            if q.quiet_updated {
                return Err(Fail::die(
                    "-q and -e quiet/--quiet cannot be provided simultaneously",
                ));
            }
            let spec = match qflag {
                1 => "attach,personality",
                2 => "exit,attach,personality",
                _ => "all",
            };
            NumberSet::parse(spec, "quiet", quiet::parse)?
        } else {
            q.quiet.clone().unwrap_or_else(NumberSet::none)
        };
        let mut verbose = cli.verbose;
        if cli.verbose {
            q.abbrev = SyscallSet::parse("none")?;
        } else if !q.abbrev.is_all() {
            verbose = false;
        }
        let timestamps = match cli.timestamps {
            0 => TimestampStyle::None,
            1 => TimestampStyle::Seconds,
            2 => TimestampStyle::Micros,
            _ => TimestampStyle::Epoch,
        };
        if cli.json && cflag {
            return Err(Fail::help("--json does not combine with -c/-C"));
        }
        if cli.latency && !cflag {
            return Err(Fail::help("--latency needs -c or -C"));
        }
        let color = match cli.color.as_deref() {
            None => crate::colors::ColorWhen::Auto,
            Some(v) => crate::colors::ColorWhen::parse(v)?,
        };
        let mut same_cpu = SameCpu::parse(cli.same_cpu.as_deref())?;
        if same_cpu != SameCpu::Never && !pids.is_empty() {
            return Err(Fail::help(
                "--same-cpu cannot be used with -p: it would change the CPU \
                 affinity of a running process",
            ));
        }
        if same_cpu == SameCpu::Auto && cli.seccomp_bpf {
            // auto watches calls that a seccomp filter would not stop at.
            warnings.push("--same-cpu=auto cannot be used with --seccomp-bpf, disabling".into());
            same_cpu = SameCpu::Never;
        }
        // Pinned with the command to one CPU, there is no other CPU to keep awake.
        let spin = parse_spin(cli.spin.as_deref())? && same_cpu == SameCpu::Never;
        // -P: each path, and what it resolves to (strace's pathtrace_select).
        let mut trace_paths: Vec<String> = Vec::new();
        for path in &cli.trace_path {
            if !trace_paths.contains(path) {
                trace_paths.push(path.clone());
            }
            let Ok(real) = std::fs::canonicalize(path) else {
                continue;
            };
            let real = real.to_string_lossy().into_owned();
            if real == *path {
                continue;
            }
            if !quiet.contains(quiet::PATH_RESOLUTION) {
                warnings.push(format!(
                    "Requested path {} resolved into {}",
                    crate::format::quote(path.as_bytes(), 0),
                    crate::format::quote(real.as_bytes(), 0)
                ));
            }
            if !trace_paths.contains(&real) {
                trace_paths.push(real);
            }
        }
        Ok(Options {
            follow_forks: cli.follow > 0,
            output_per_process,
            output: cli.output,
            trace: q.trace,
            signals: q.signals,
            status: q.status,
            trace_paths,
            read_fds: q.read_fds,
            write_fds: q.write_fds,
            raw: q.raw,
            abbrev: q.abbrev,
            verbose_calls: q.verbose,
            summary,
            sort_by,
            summary_columns,
            overhead,
            wall_clock: cli.wall_clock,
            syscall_times: cli.syscall_times,
            timestamps,
            relative: cli.relative,
            string_limit,
            hex: cli.hex,
            decode_fds,
            verbose,
            xlat_style,
            // A column past any real line would only pad with spaces; keep it sane.
            column: column.min(4096),
            quiet,
            interruptible,
            env: cli.env,
            pids,
            command: cli.command,
            seccomp_bpf,
            same_cpu,
            spin,
            kill_on_exit: cli.kill_on_exit,
            json: cli.json,
            latency: cli.latency,
            color,
            stack_trace: cli.stack_trace,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn run(args: &[&str]) -> Options {
        match parse(args) {
            Parsed::Run(o) => *o,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn unknown_flag_is_a_usage_error() {
        assert!(matches!(
            parse(["strace-lite", "--no-such-flag"]),
            Parsed::Usage(_)
        ));
        assert!(matches!(
            parse(["strace-lite", "-Q", "ls"]),
            Parsed::Usage(_)
        ));
        assert!(matches!(
            parse(["strace-lite", "-s", "x", "ls"]),
            Parsed::Usage(_)
        ));
        assert!(matches!(parse(["strace-lite"]), Parsed::Usage(_)));
    }

    #[test]
    fn options_after_the_command_belong_to_the_command() {
        let o = run(&["strace-lite", "-f", "ls", "-la", "--color"]);
        assert_eq!(o.command, ["ls", "-la", "--color"]);
        assert!(o.follow_forks);
    }

    #[test]
    fn repeated_letters_count() {
        let o = run(&["strace-lite", "-fftt", "-xx", "-o", "f", "true"]);
        assert!(o.output_per_process);
        assert_eq!(o.timestamps, TimestampStyle::Micros);
        assert_eq!(o.hex, 2);
    }

    /// As strace's getopt loop: a later -a or -s replaces an earlier one (issue 21's
    /// faccessat-y test gives `-a24 ... --columns=31`).
    #[test]
    fn a_repeated_option_takes_its_last_value() {
        let o = run(&[
            "strace-lite",
            "-a24",
            "-s",
            "5",
            "--columns=31",
            "-s9",
            "true",
        ]);
        assert_eq!(o.column, 31);
        assert_eq!(o.string_limit, 9);
    }

    #[test]
    fn seccomp_needs_f_and_is_refused_with_p() {
        let o = run(&["strace-lite", "--seccomp-bpf", "true"]);
        assert!(!o.seccomp_bpf);
        assert_eq!(o.warnings.len(), 1);
        let o = run(&["strace-lite", "-f", "--seccomp-bpf", "true"]);
        assert!(o.seccomp_bpf && o.warnings.is_empty());
        assert!(matches!(
            parse(["strace-lite", "-f", "--seccomp-bpf", "-p", "1"]),
            Parsed::Usage(_)
        ));
    }

    #[test]
    fn exclusive_options_are_usage_errors() {
        for args in [
            &["strace-lite", "-c", "-C", "true"][..],
            &["strace-lite", "--json", "-C", "true"],
            &["strace-lite", "--latency", "true"],
            &["strace-lite", "--color=sometimes", "true"],
        ] {
            assert!(matches!(parse(args), Parsed::Usage(_)), "{args:?}");
        }
        assert!(run(&["strace-lite", "-k", "--json", "true"]).stack_trace);
        // As strace: -k with -c only warns; with -C the trace has the stacks.
        assert_eq!(run(&["strace-lite", "-k", "-c", "true"]).warnings.len(), 1);
        assert!(run(&["strace-lite", "-k", "-C", "true"]).stack_trace);
    }

    #[test]
    fn pids_split_on_commas() {
        let o = run(&["strace-lite", "-p", "1,2", "-p", "3"]);
        assert_eq!(o.pids, [1, 2, 3]);
    }
}
