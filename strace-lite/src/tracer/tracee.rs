//! The tracer's state for one traced thread.

use crate::decode::{Call, Step};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct Tracee {
    pub tid: i32,
    /// Between a syscall-entry stop and its exit stop.
    pub in_syscall: bool,
    pub nr: u64,
    /// The syscall before the current one (what `restart_syscall` resumes).
    pub previous_nr: Option<u64>,
    /// The last call seen was an i386 one (`int $0x80`): strace's personality.
    pub i386: bool,
    /// The call being decoded, when it is shown.
    pub call: Option<Call>,
    /// Whether the decoder still has arguments to print at exit.
    pub step: Step,
    /// With -z/-Z: the line's start, held until the result decides.
    pub staged: Option<String>,
    /// The current syscall is not in `-e trace=`.
    pub filtered: bool,
    /// When the current call entered, if anything prints or counts its wall time (`-T`,
    /// `-w`, `--json`): the clock is not read for nothing.
    pub entered_at: Option<Instant>,
    pub stime_at_entry: Duration,
    /// The spawned command before its `execve`: nothing is shown.
    pub hidden: bool,
    /// Attached with -p (detached, not killed, when the tracer stops).
    pub attached: bool,
    /// A syscall stop has been identified by the kernel, so entry and exit stops can be
    /// told apart by alternation from now on.
    pub phase_known: bool,
    /// `-c` alone: the entry was not read; the number comes at exit with the result.
    pub nr_at_exit: bool,
    /// `-k`: the frames of the current call, printed after its line.
    pub stack: Vec<String>,
}

impl Tracee {
    pub fn new(tid: i32) -> Self {
        Tracee {
            tid,
            in_syscall: false,
            nr: 0,
            previous_nr: None,
            i386: false,
            call: None,
            step: Step::Done,
            staged: None,
            filtered: false,
            entered_at: None,
            stime_at_entry: Duration::ZERO,
            hidden: false,
            attached: false,
            phase_known: false,
            nr_at_exit: false,
            stack: Vec::new(),
        }
    }

    /// Record a syscall entry; `timed`: its wall time will be used.
    pub fn begin_syscall(&mut self, nr: u64, stime: Duration, timed: bool) {
        self.in_syscall = true;
        self.nr = nr;
        self.nr_at_exit = false;
        self.call = None;
        self.staged = None;
        self.step = Step::Done;
        self.entered_at = timed.then(Instant::now);
        self.stime_at_entry = stime;
    }
}
