//! The command line: strace's options with strace's spelling, parsed by clap, and turned
//! into [`Options`], the validated settings the tracer runs with.
//!
//! Like strace, a bad option prints a short usage hint and exits with status 1 (clap's
//! own convention is 2), and options after the command belong to the command.

use crate::filter::{SignalSet, SyscallSet};
use clap::Parser;
use std::path::PathBuf;

/// Trace the system calls of a command, like strace.
#[derive(Parser, Debug)]
#[command(
    name = "strace-lite",
    version,
    about,
    trailing_var_arg = true,
    disable_help_flag = true
)]
pub struct Cli {
    /// Print this help.
    #[arg(short = 'h', long = "help", action = clap::ArgAction::Help)]
    help: Option<bool>,

    /// Follow forks and threads; twice (-ff) with -o, one file per process.
    #[arg(short = 'f', action = clap::ArgAction::Count)]
    pub follow: u8,

    /// Write the trace to FILE instead of stderr.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Qualifying expression: trace=SET, signal=SET, status=, abbrev=, verbose=, raw=, quiet=.
    #[arg(short = 'e', value_name = "EXPR")]
    pub expr: Vec<String>,

    /// Same as -e trace=SET.
    #[arg(long = "trace", value_name = "SET")]
    pub trace: Vec<String>,

    /// Same as -e signal=SET.
    #[arg(long = "signal", value_name = "SET")]
    pub signal: Vec<String>,

    /// Print only syscalls that returned without an error.
    #[arg(short = 'z', long = "successful-only")]
    pub successful_only: bool,

    /// Print only syscalls that returned an error.
    #[arg(short = 'Z', long = "failed-only")]
    pub failed_only: bool,

    /// Count time, calls and errors per syscall and print a summary at the end.
    #[arg(short = 'c', long = "summary-only")]
    pub summary_only: bool,

    /// Like -c, but also print the regular trace.
    #[arg(short = 'C', long = "summary")]
    pub summary: bool,

    /// Sort the summary by: time, calls, errors, name, nothing.
    #[arg(short = 'S', long = "summary-sort-by", value_name = "SORTBY")]
    pub sort_by: Option<String>,

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
    #[arg(short = 's', long = "string-limit", value_name = "N")]
    pub string_limit: Option<usize>,

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
    #[arg(short = 'X', long = "const-print-style", value_name = "FORMAT")]
    pub xlat_style: Option<String>,

    /// Align return values at column COL (default 40).
    #[arg(short = 'a', long = "columns", value_name = "COL")]
    pub column: Option<usize>,

    /// Suppress attach/detach messages; -qq also exit messages.
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

    /// Kill the command (and every tracee) when strace-lite exits (PTRACE_O_EXITKILL); by
    /// default they go on, untraced, as under strace.
    #[arg(long = "kill-on-exit")]
    pub kill_on_exit: bool,

    /// Attach to the process (and all its threads) with this PID; comma-separated or repeated.
    #[arg(short = 'p', long = "attach", value_name = "PID")]
    pub pids: Vec<String>,

    /// Command to run under the tracer, and its arguments.
    #[arg(value_name = "CMD")]
    pub command: Vec<String>,
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

/// The summary's sort key (`-S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Time,
    Calls,
    Errors,
    Name,
    Nothing,
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

/// Which results are printed (`-z`, `-Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    Successful,
    Failed,
}

/// The validated settings of one run.
#[derive(Debug, Clone)]
pub struct Options {
    pub follow_forks: bool,
    pub output_per_process: bool,
    pub output: Option<PathBuf>,
    pub trace: SyscallSet,
    pub signals: SignalSet,
    pub status: StatusFilter,
    pub summary: SummaryMode,
    pub sort_by: SortKey,
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
    pub quiet: u8,
    pub pids: Vec<i32>,
    pub command: Vec<String>,
    /// `--seccomp-bpf` (with -f, on a spawned command).
    pub seccomp_bpf: bool,
    /// `--same-cpu`: when tracer and command share one CPU (see `tracer::cpu_pin`).
    pub same_cpu: SameCpu,
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

/// What the command line asks for: run with options, or stop with a message.
#[derive(Debug)]
pub enum Parsed {
    Run(Box<Options>),
    /// Print `text` on stdout and exit 0 (`-h`, `-V`).
    Info(String),
    /// Print `message` and the usage hint on stderr and exit 1.
    Usage(String),
}

/// Parse strace-lite's arguments (including the program name).
pub fn parse<I, T>(args: I) -> Parsed
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => match Options::from_cli(cli) {
            Ok(opts) => Parsed::Run(Box::new(opts)),
            Err(msg) => Parsed::Usage(msg),
        },
        Err(err) => {
            use clap::error::ErrorKind;
            match err.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => Parsed::Info(err.to_string()),
                _ => Parsed::Usage(clap_message(&err)),
            }
        }
    }
}

/// The first line of clap's error, without its "error: " prefix and colors.
fn clap_message(err: &clap::Error) -> String {
    let text = err.render().to_string();
    let first = text.lines().next().unwrap_or("invalid option");
    first.trim_start_matches("error: ").to_string()
}

/// Print a usage error the way strace does and exit with status 1.
pub fn usage_exit(message: &str) -> ! {
    eprintln!("strace-lite: {message}");
    eprintln!("Try 'strace-lite -h' for more information.");
    std::process::exit(1);
}

impl Options {
    fn from_cli(cli: Cli) -> Result<Options, String> {
        let mut trace = SyscallSet::all();
        let mut signals = SignalSet::all();
        let mut verbose = cli.verbose;
        let mut xlat_style = match cli.xlat_style.as_deref() {
            None | Some("abbrev") => XlatStyle::Abbrev,
            Some("raw") => XlatStyle::Raw,
            Some("verbose") => XlatStyle::Verbose,
            Some(other) => return Err(format!("invalid -X argument: '{other}'")),
        };
        let mut quiet = cli.quiet;
        let mut status_set = None;
        for expr in &cli.expr {
            let (key, value) = expr.split_once('=').unwrap_or(("trace", expr.as_str()));
            match key {
                "trace" | "t" => trace = SyscallSet::parse(value)?,
                "signal" | "signals" | "s" => signals = SignalSet::parse(value)?,
                "verbose" | "v" => verbose = value != "none",
                "abbrev" | "a" => verbose = value == "none",
                "raw" | "x" => {
                    if value == "all" {
                        xlat_style = XlatStyle::Raw
                    }
                }
                "quiet" | "q" | "silence" | "silent" => {
                    if value == "all" || value.contains("exit") {
                        quiet = quiet.max(2)
                    } else {
                        quiet = quiet.max(1)
                    }
                }
                "status" => {
                    status_set = Some(match value {
                        "all" => StatusFilter::All,
                        "successful" | "!failed" => StatusFilter::Successful,
                        "failed" | "!successful" => StatusFilter::Failed,
                        _ => {
                            return Err(format!(
                        "invalid status '{value}' (this strace-lite knows successful, failed, all)"
                    ))
                        }
                    })
                }
                _ => return Err(format!("invalid -e argument: '{expr}'")),
            }
        }
        for set in &cli.trace {
            trace = SyscallSet::parse(set)?;
        }
        for set in &cli.signal {
            signals = SignalSet::parse(set)?;
        }
        let sort_by = match cli.sort_by.as_deref() {
            None | Some("time") | Some("time_total") | Some("total_time") => SortKey::Time,
            Some("calls") | Some("count") => SortKey::Calls,
            Some("errors") | Some("error") => SortKey::Errors,
            Some("name") | Some("syscall") | Some("syscall_name") => SortKey::Name,
            Some("nothing") | Some("none") => SortKey::Nothing,
            Some(other) => return Err(format!("invalid sortby: '{other}'")),
        };
        let timestamps = match cli.timestamps {
            0 => TimestampStyle::None,
            1 => TimestampStyle::Seconds,
            2 => TimestampStyle::Micros,
            _ => TimestampStyle::Epoch,
        };
        let mut pids = Vec::new();
        for spec in &cli.pids {
            for part in spec.split([',', ' ', '\t']).filter(|s| !s.is_empty()) {
                match part.parse::<i32>() {
                    Ok(pid) if pid > 0 => pids.push(pid),
                    _ => return Err(format!("Invalid process id: '{part}'")),
                }
            }
        }
        if pids.is_empty() && cli.command.is_empty() {
            return Err("must have PROG [ARGS] or -p PID".to_string());
        }
        if cli.successful_only && cli.failed_only {
            return Err("-z and -Z are mutually exclusive".to_string());
        }
        let summary = if cli.summary_only {
            SummaryMode::Only
        } else if cli.summary {
            SummaryMode::WithTrace
        } else {
            SummaryMode::Off
        };
        let status = if cli.successful_only {
            StatusFilter::Successful
        } else if cli.failed_only {
            StatusFilter::Failed
        } else {
            status_set.unwrap_or(StatusFilter::All)
        };
        if cli.json && (cli.summary_only || cli.summary) {
            return Err("--json does not combine with -c/-C".to_string());
        }
        if cli.latency && !(cli.summary_only || cli.summary) {
            return Err("--latency needs -c or -C".to_string());
        }
        let color = match cli.color.as_deref() {
            None => crate::colors::ColorWhen::Auto,
            Some(v) => crate::colors::ColorWhen::parse(v)?,
        };
        if cli.stack_trace && (cli.summary_only || cli.summary) {
            return Err("-k and -c/-C are mutually exclusive".to_string());
        }
        let mut warnings = Vec::new();
        if cli.seccomp_bpf && !pids.is_empty() {
            return Err("--seccomp-bpf cannot be used with -p: an attached process \
                        cannot be given a seccomp filter"
                .to_string());
        }
        let mut same_cpu = SameCpu::parse(cli.same_cpu.as_deref())?;
        if same_cpu != SameCpu::Never && !pids.is_empty() {
            return Err(
                "--same-cpu cannot be used with -p: it would change the CPU \
                        affinity of a running process"
                    .to_string(),
            );
        }
        if same_cpu == SameCpu::Auto && cli.seccomp_bpf {
            // auto watches calls that a seccomp filter would not stop at.
            warnings.push("--same-cpu=auto cannot be used with --seccomp-bpf, disabling".into());
            same_cpu = SameCpu::Never;
        }
        let seccomp_bpf = cli.seccomp_bpf && cli.follow > 0;
        if cli.seccomp_bpf && !seccomp_bpf {
            // As strace: the filter is inherited, so children would need a tracer.
            warnings
                .push("--seccomp-bpf cannot be used without -f/--follow-forks, disabling".into());
        }
        // strace: with -o and a command, attach/detach messages are off by default.
        if cli.output.is_some() && !cli.command.is_empty() {
            quiet = quiet.max(1);
        }
        Ok(Options {
            follow_forks: cli.follow > 0,
            output_per_process: cli.follow > 1 && cli.output.is_some(),
            output: cli.output,
            trace,
            signals,
            status,
            summary,
            sort_by,
            wall_clock: cli.wall_clock,
            syscall_times: cli.syscall_times,
            timestamps,
            relative: cli.relative,
            string_limit: cli.string_limit.unwrap_or(32),
            hex: cli.hex,
            decode_fds: cli.decode_fds,
            verbose,
            xlat_style,
            // A column past any real line would only pad with spaces; keep it sane.
            column: cli.column.unwrap_or(40).min(4096),
            quiet,
            pids,
            command: cli.command,
            seccomp_bpf,
            same_cpu,
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
            &["strace-lite", "-k", "-c", "true"][..],
            &["strace-lite", "--json", "-C", "true"],
            &["strace-lite", "--latency", "true"],
            &["strace-lite", "--color=sometimes", "true"],
        ] {
            assert!(matches!(parse(args), Parsed::Usage(_)), "{args:?}");
        }
        assert!(run(&["strace-lite", "-k", "--json", "true"]).stack_trace);
    }

    #[test]
    fn pids_split_on_commas() {
        let o = run(&["strace-lite", "-p", "1,2", "-p", "3"]);
        assert_eq!(o.pids, [1, 2, 3]);
    }
}
