//! The logs: the access log (Combined Log Format), the error log, and the log files they
//! write to, reopened (SIGUSR1) or rotated without losing or tearing a line.
//!
//! Depends on [`crate::http`] (dates) and [`crate::chroot`] (a reopen inside a chroot);
//! connections and processes write to it.

pub(crate) mod access;
pub(crate) mod errlog;
pub(crate) mod logfile;
