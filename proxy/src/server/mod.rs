//! The server: the listener, the upstream list, and the loop on netcore's reactor that
//! accepts clients, connects them, drives their connections and writes their log lines.

mod proxy;
mod upstreams;

use crate::cli::Args;
use netcore::reactor::listener::ListenerBuilder;
use netcore::reactor::signal::{forward_signals, Waker};
use std::io::{self, Write};

/// Binds, resolves the upstreams, and serves until SIGINT or SIGTERM.
pub(crate) fn run(args: &Args) -> io::Result<()> {
    let upstreams = upstreams::Upstreams::resolve(&args.upstreams)?;
    let listener = ListenerBuilder::new(args.listen)
        .nonblocking(true)
        .bind()
        .map_err(|e| io::Error::new(e.kind(), format!("listen on {}: {e}", args.listen)))?;
    let waker = Waker::new()?;
    forward_signals(&waker, &[libc::SIGINT, libc::SIGTERM])?;
    let _ = writeln!(
        io::stderr().lock(),
        "proxy: listening on {} upstreams {}",
        listener.local_addr()?,
        upstreams.describe()
    );
    proxy::Proxy::new(listener, waker, upstreams, args)?.run()
}
