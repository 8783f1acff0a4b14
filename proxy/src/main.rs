//! `proxy`: a TCP proxy on netcore's reactor (epoll). Each client of a listener is joined to
//! a server of the listener's group, and bytes move between the two sockets with `splice(2)`
//! through a pipe per direction, taken from a bounded pool only while bytes are in flight,
//! never through user space. See README.md for the design.
//!
//! Layers, one folder each, the upper built on the lower:
//!
//! | layer | what it is for |
//! |---|---|
//! | [`config`] | the config file (httpd's style, with groups) and what it sets |
//! | [`cli`] | the command line: a config file, or one listener as flags |
//! | [`sys`] | the system calls std does not wrap: non-blocking connect, pipes, `SO_LINGER` |
//! | [`forward`] | one direction's pump; the pipe pool; a connection's two directions and how it ends |
//! | [`server`] | the loop: accept, connect, drive, timers, health, signals, log lines |

mod cli;
mod config;
mod forward;
mod server;
mod sys;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    if args.check_config {
        return match args.config() {
            Ok(c) => {
                let what = args
                    .config
                    .as_ref()
                    .map_or_else(String::new, |p| format!(" ({})", p.display()));
                println!(
                    "proxy: configuration OK{what}: {} listeners, {} groups",
                    c.listeners.len(),
                    c.groups.len()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("proxy: {e}");
                ExitCode::FAILURE
            }
        };
    }
    match server::run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("proxy: {e}");
            ExitCode::FAILURE
        }
    }
}
