//! Processes, threads and signals: start-up and the main thread's loop, the generations of
//! worker threads and each worker's epoll loop, the master of worker processes, the
//! operator's signals, and the drop of privileges.
//!
//! The top layer of the server: it may use every other ([`crate::config`] for the options,
//! [`crate::conn`] for the connections its workers drive, [`crate::net`], [`crate::log`],
//! [`crate::files`], [`crate::http`]); nothing but the command line uses it.

pub mod control;
pub mod generation;
pub mod master;
pub mod privileges;
pub mod server;
pub mod signals;
pub mod worker;
