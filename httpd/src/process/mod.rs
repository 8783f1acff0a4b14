//! Processes, threads and signals: start-up and the main thread's loop, the generations of
//! worker threads and each worker's epoll loop, the master of worker processes, the
//! operator's signals, and the drop of privileges.
//!
//! The top layer of the server: it may use every other ([`crate::config`] for the options,
//! [`crate::conn`] for the connections its workers drive, [`crate::net`], [`crate::log`],
//! [`crate::files`], [`crate::http`]); nothing but the command line uses it.

pub(crate) mod control;
pub(crate) mod generation;
pub(crate) mod master;
pub(crate) mod privileges;
pub(crate) mod server;
pub(crate) mod signals;
pub(crate) mod worker;
