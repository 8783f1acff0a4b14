//! `proxy`: a TCP proxy on netcore's reactor (epoll). Each client is joined to an upstream
//! chosen round-robin, and bytes move between the two sockets with `splice(2)` through one
//! pipe per direction, never through user space. See README.md for the design.
//!
//! Layers, one folder each, the upper built on the lower:
//!
//! | layer | what it is for |
//! |---|---|
//! | [`cli`] | the command line |
//! | [`sys`] | the system calls std does not wrap: non-blocking connect, pipes, `SO_LINGER` |
//! | [`forward`] | one direction's pipe and pump; a connection's two directions and how it ends |
//! | [`server`] | the loop: accept, connect, drive, timers, signals, log lines |

mod cli;
mod forward;
mod server;
mod sys;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match server::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxy: {e}");
            ExitCode::FAILURE
        }
    }
}
