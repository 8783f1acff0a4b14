//! The network side: the listener, netcore's buffered event loop with epoll, signals, the
//! statistics row in `/dev/mydevice`, and a clean stop (the log synced) on SIGINT, SIGTERM or
//! SHUTDOWN.
//!
//! | module | what it is for |
//! |---|---|
//! | [`service`] | kv as a netcore `Service`: requests in, replies out, the log's group commit |
//! | [`client`] | one connection's query buffer and session |

pub(crate) mod client;
pub(crate) mod service;

use crate::config::Config;
use crate::state::Server;
use netcore::reactor::backend::Epoll;
use netcore::reactor::listener::ListenerBuilder;
use netcore::reactor::signal::{self, Waker};
use netcore::{EventLoop, Stats};
use service::KvService;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Runs the server until it is told to stop; an error says why it could not start.
pub(crate) fn serve(config: Config) -> Result<(), String> {
    config.check_protected().map_err(|e| e.0)?;
    let addr = match config.listen.as_slice() {
        [one] => *one,
        _ => return Err("kv listens on exactly one address".into()),
    };
    let _ = netcore::sys::raise_fd_limit(config.maxclients as u64 + 64);
    let mut server = Server::new(config, crate::alloc::used);
    let aof = match server.config.engine {
        crate::engine::Kind::Btree => {
            // The tree is the persistence: no log is kept beside it.
            server.config.appendonly = false;
            let engine = crate::engine::btree::BtreeEngine::open(&server.config.dir)?;
            crate::log::notice(&format!(
                "btree engine: {} keys in {}",
                engine.len(),
                engine.path.display()
            ));
            server.engine = crate::engine::Engine::Btree(Box::new(engine));
            None
        }
        crate::engine::Kind::Aof if server.config.appendonly => {
            Some(crate::aof::open(&mut server)?)
        }
        crate::engine::Kind::Aof => None,
    };
    let listener = ListenerBuilder::new(addr)
        .backlog(511)
        .bind()
        .map_err(|e| format!("listening on {addr}: {e}"))?;
    let bound = listener.local_addr().map_err(|e| e.to_string())?;
    server.port = bound.port();
    let waker = Arc::new(Waker::new().map_err(|e| e.to_string())?);
    signal::forward_signals(&waker, &[libc::SIGINT, libc::SIGTERM]).map_err(|e| e.to_string())?;
    let stats = Arc::new(Stats::new());
    let reporter = devstats::Reporter::start("kv", Arc::clone(&stats), Duration::from_millis(500));
    let loop_config = netcore::Config {
        max_clients: server.config.maxclients,
        max_outbound: server.config.client_output_buffer_limit,
        idle_timeout: (server.config.timeout > 0)
            .then(|| Duration::from_secs(server.config.timeout)),
        close_linger: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(2),
        read_chunk: 64 * 1024,
        tick: Some(Duration::from_millis(
            1000 / u64::from(server.config.hz.max(1)),
        )),
        busy_poll: Duration::from_micros(server.config.busy_poll_us),
    };
    let mut service = KvService::new(server, aof, Arc::clone(&stats), Arc::clone(&waker));
    let mut event_loop = EventLoop::new(
        Epoll::new().map_err(|e| e.to_string())?,
        listener,
        waker,
        loop_config,
        stats,
    )
    .map_err(|e| e.to_string())?;
    crate::log::notice(&format!("Ready to accept connections tcp on {bound}"));
    // The bound address on stdout, for a caller that asked for port 0.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "kv: listening on {bound}");
    let _ = out.flush();
    drop(out);
    let result = event_loop
        .run(&mut service)
        .map_err(|e| format!("event loop: {e}"));
    service.finish();
    reporter.stop();
    crate::log::notice("kv is now ready to exit, bye bye...");
    result
}
