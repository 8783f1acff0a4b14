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
/// piece); a stderr that is gone is not a reason to stop.
pub(crate) fn log_line(args: std::fmt::Arguments<'_>) {
    let mut line = std::fmt::format(args);
    line.push('\n');
    let _ = io::stderr().lock().write_all(line.as_bytes());
}
