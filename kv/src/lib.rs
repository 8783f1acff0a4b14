//! kv: a Redis-compatible key-value server whose persistence is an append-only log, on the
//! toolkit's shared event loop (netcore). Layers, each using only those below it:
//!
//! | layer | what it is for |
//! |---|---|
//! | [`cli`] | the command line: `kv serve`, `kv check-aof` |
//! | [`server`] | the network side: netcore's loop, clients, group commit, ticks |
//! | [`engine`] | where the keys live: in memory with the log (`aof`), or in a B+tree file (`btree`) |
//! | [`aof`] | the log: manifest, writer, replay, rewrite, check |
//! | [`cmd`] | the command table and the commands, by family |
//! | [`state`], [`evict`], [`config`] | what commands see of the server; `maxmemory`; settings |
//! | [`store`] | the dataset: hash table, values, expiry |
//! | [`resp`] | the protocol without sockets: requests in, replies out |
//! | [`alloc`], [`log`] | the counting allocator; log lines |
//!
//! `fuzzing` holds the bodies of the fuzz targets in `fuzz/` (hidden: not an API).

pub(crate) mod alloc;
pub(crate) mod aof;
pub(crate) mod cli;
pub(crate) mod cmd;
pub(crate) mod config;
pub(crate) mod engine;
pub(crate) mod evict;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod log;
pub(crate) mod resp;
pub(crate) mod server;
pub(crate) mod state;
pub(crate) mod store;

/// The Redis version whose commands and replies kv follows (Debian 12's redis-server).
pub(crate) const REDIS_VERSION: &str = "7.0.15";

#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// The `kv` binary.
pub fn main() -> std::process::ExitCode {
    cli::main()
}
