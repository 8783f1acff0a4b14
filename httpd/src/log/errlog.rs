//! The error log: start-up, signals, reloads, and failures that no response can report.
//!
//! One line per message, written with one `write(2)` (`O_APPEND`), so lines from several
//! threads never mix:
//!
//! ```text
//! [28/Nov/2026:01:42:17 +0000] [notice] 4242: reopening the logs (SIGUSR1)
//! ```
//!
//! It goes to stderr until [`set`] names a file; SIGUSR1 [`reopen`]s it with the access log.

use crate::log::logfile::LogFile;
use std::io::Write;
use std::sync::{Arc, Mutex};

static TARGET: Mutex<Option<Arc<LogFile>>> = Mutex::new(None);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    Error,
    Warn,
    Notice,
}

impl Level {
    fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warn => "warn",
            Level::Notice => "notice",
        }
    }
}

/// Sends the error log to `file` (`None`: stderr).
pub(crate) fn set(file: Option<Arc<LogFile>>) {
    *TARGET.lock().unwrap_or_else(|e| e.into_inner()) = file;
}

/// The current error log file, if it is not stderr.
pub(crate) fn current() -> Option<Arc<LogFile>> {
    TARGET.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Reopens the error log file (SIGUSR1).
pub(crate) fn reopen() -> std::io::Result<()> {
    match current() {
        Some(f) => f.reopen(),
        None => Ok(()),
    }
}

/// Writes one line.
pub(crate) fn log(level: Level, msg: std::fmt::Arguments<'_>) {
    let mut line = Vec::with_capacity(128);
    let _ = writeln!(
        line,
        "[{}] [{}] {}: {msg}",
        crate::http::date::log_date(crate::http::date::unix_now()),
        level.name(),
        std::process::id()
    );
    let written = match current() {
        Some(f) => (&*f.current().0).write_all(&line).is_ok(),
        None => false,
    };
    if !written {
        let _ = std::io::stderr().lock().write_all(&line);
    }
}

/// `error!("...", args)`: a line at level error.
macro_rules! log_error {
    ($($t:tt)*) => { $crate::log::errlog::log($crate::log::errlog::Level::Error, format_args!($($t)*)) };
}

/// `warn!("...", args)`: a line at level warn.
macro_rules! log_warn {
    ($($t:tt)*) => { $crate::log::errlog::log($crate::log::errlog::Level::Warn, format_args!($($t)*)) };
}

/// `notice!("...", args)`: a line at level notice.
macro_rules! log_notice {
    ($($t:tt)*) => { $crate::log::errlog::log($crate::log::errlog::Level::Notice, format_args!($($t)*)) };
}

// Exported under short names; defined under long ones, as `warn` alone would clash with the
// built-in `#[warn]` attribute in the `use`.
pub(crate) use {log_error as error, log_notice as notice, log_warn as warn};
