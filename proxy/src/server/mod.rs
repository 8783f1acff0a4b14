//! The server: the loop on netcore's reactor that accepts clients on its listeners, connects
//! them to a server of their listener's group, drives their connections, watches the
//! servers' health, and acts on the operator's signals.
//!
//! | module | what it is for |
//! |---|---|
//! | [`proxy`] | the loop: listeners, connections, deadlines, reload, drain |
//! | [`upstreams`] | groups of servers: the choice, the counts, passive health |
//! | [`checks`] | active health checks (a TCP connect every interval) |
//! | [`signals`] | SIGHUP, SIGQUIT, SIGTERM/SIGINT as commands for the loop |
//! | [`stats`] | the proxy's row in `/dev/mydevice` |

mod checks;
mod proxy;
mod signals;
mod stats;
pub(crate) mod upstreams;

use crate::cli::Args;
use netcore::reactor::signal::Waker;
use std::io::{self, Write};

/// Serves `args`' configuration until SIGINT or SIGTERM, or a drain is over.
pub(crate) fn run(args: &Args) -> io::Result<()> {
    let config = args.config().map_err(io::Error::other)?;
    let waker = Waker::new()?;
    signals::install(&waker)?;
    let read_again = || args.config();
    let reload: proxy::Reload<'_> = args.config.is_some().then_some(&read_again as _);
    // As nginx's worker_rlimit_nofile and HAProxy do: the soft descriptor limit up to the
    // hard one (a connection is two sockets, a pipe in use two more), never a failure here.
    let fd_limit = netcore::sys::raise_fd_limit(u64::MAX)?;
    let stats = stats::Stats::start(&args.stats_device);
    proxy::Proxy::new(config, waker, reload, stats, fd_limit)?.run()
}

/// One line on stderr, in one write (stderr is unbuffered: `writeln!` would write each
/// piece), after the connection lines waiting ([`log_conn`]), so the lines keep their
/// order; a stderr that is gone is not a reason to stop.
pub(crate) fn log_line(args: std::fmt::Arguments<'_>) {
    let out = PENDING.with_borrow_mut(|p| take_with(p, args));
    write_err(&out);
}

/// A connection's line, kept until the loop's turn ends ([`flush_log`]): the connections
/// that end in a turn share one write rather than one each (HAProxy's and nginx's logs
/// buffer likewise). A turn lasts microseconds: the loop flushes before it waits.
pub(crate) fn log_conn(line: &str) {
    let full = PENDING.with_borrow_mut(|p| {
        p.push_str(line);
        p.push('\n');
        p.len() >= FLUSH_AT
    });
    if full {
        flush_log();
    }
}

/// Writes the connection lines kept so far.
pub(crate) fn flush_log() {
    let out = PENDING.with_borrow_mut(std::mem::take);
    if !out.is_empty() {
        write_err(&out);
    }
}

/// Past this many bytes kept, the connection lines are written at once.
const FLUSH_AT: usize = 64 * 1024;

thread_local! {
    /// Connection lines not yet written (the loop is one thread).
    static PENDING: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// The lines kept in `pending`, then the line `args`, as one string; `pending` left empty.
fn take_with(pending: &mut String, args: std::fmt::Arguments<'_>) -> String {
    let mut out = std::mem::take(pending);
    std::fmt::write(&mut out, args).expect("formatting into a String does not fail");
    out.push('\n');
    out
}

fn write_err(s: &str) {
    let _ = io::stderr().lock().write_all(s.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_lines_wait_for_the_flush_and_keep_their_order_before_other_lines() {
        log_conn("conn one");
        log_conn("conn two");
        assert_eq!(PENDING.with_borrow(|p| p.clone()), "conn one\nconn two\n");
        let mut pending = PENDING.with_borrow_mut(std::mem::take);
        let out = take_with(&mut pending, format_args!("proxy: {}", "reloaded"));
        assert_eq!(out, "conn one\nconn two\nproxy: reloaded\n");
        assert!(pending.is_empty());
    }
}
