//! Processes, threads and signals: the supervisor (start-up, and the one loop over the
//! operator's signals that steers the workers, reloads included), its two kinds of workers
//! (threads of this process, or processes under a master), each thread's epoll loop, the
//! listening sockets kept across reloads, and the drop of privileges.
//!
//! The top layer of the server: it may use every other ([`crate::config`] for the options,
//! [`crate::conn`] for the connections its workers drive, [`crate::net`], [`crate::log`],
//! [`crate::files`], [`crate::http`]); nothing but the command line uses it. Within it,
//! files use only files below them (`process_files_point_down` in `lib.rs` checks it):
//! `processes` (a master's worker processes, each running `threads`), `threads`
//! (generations of worker threads), `supervisor` (the loop and the reload rules), `worker`
//! (one thread's epoll loop), `control` (how a generation is steered), `listeners`,
//! `signals`, `privileges`.

pub(crate) mod control;
pub(crate) mod listeners;
pub(crate) mod privileges;
pub(crate) mod processes;
pub(crate) mod signals;
pub(crate) mod supervisor;
pub(crate) mod threads;
pub(crate) mod worker;
