//! What the commands see of the server beyond the dataset: the settings `CONFIG GET/SET`
//! reads and changes, the counters `INFO` shows, the connected clients (`CLIENT LIST`), the
//! state of the log, and requests for the event loop (shut down).

use crate::config::Config;
use crate::engine::Engine;
use crate::store::Db;
use std::net::SocketAddr;
use std::time::Instant;

/// One connected client as `CLIENT LIST` and `INFO clients` show it.
#[derive(Debug, Clone)]
pub(crate) struct ClientInfo {
    pub(crate) id: u64,
    pub(crate) addr: Option<SocketAddr>,
    pub(crate) laddr: Option<SocketAddr>,
    pub(crate) name: Option<Vec<u8>>,
    pub(crate) created: Instant,
    pub(crate) last_active: Instant,
    /// The last command's name, lowercase.
    pub(crate) last_cmd: &'static str,
    pub(crate) authenticated: bool,
    /// Inside MULTI: commands queued.
    pub(crate) multi: Option<usize>,
    /// Query buffer and output bytes pending (updated by the connection layer).
    pub(crate) qbuf: usize,
    pub(crate) omem: usize,
}

/// Counters for `INFO stats`.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) connections_received: u64,
    pub(crate) commands_processed: u64,
    pub(crate) rejected_connections: u64,
    pub(crate) net_input_bytes: u64,
    pub(crate) net_output_bytes: u64,
    pub(crate) errors: u64,
}

/// The log's state for `INFO persistence`.
#[derive(Debug, Default, Clone)]
pub(crate) struct AofInfo {
    pub(crate) enabled: bool,
    /// Bytes of the current log files.
    pub(crate) current_size: u64,
    /// Size after the last rewrite (or at start-up), the base of automatic rewrites.
    pub(crate) base_size: u64,
    /// A rewrite child is running.
    pub(crate) rewrite_in_progress: bool,
    /// A BGREWRITEAOF asked while another ran: starts when that one ends.
    pub(crate) rewrite_scheduled: bool,
    pub(crate) last_rewrite_ok: bool,
    pub(crate) last_write_ok: bool,
    /// Bytes written but not yet fsynced (everysec).
    pub(crate) pending_fsync_bytes: u64,
    /// Milliseconds since the last successful fsync (everysec: how far behind).
    pub(crate) last_fsync_age_ms: u64,
    pub(crate) fsyncs: u64,
}

/// The server state commands run against.
#[derive(Debug)]
pub(crate) struct Server {
    /// The keyspace under the AOF engine; under the btree engine, the working set of the
    /// command running (empty between commands).
    pub(crate) db: Db,
    pub(crate) engine: Engine,
    pub(crate) config: Config,
    pub(crate) stats: Stats,
    /// By connection token.
    pub(crate) clients: Vec<Option<ClientInfo>>,
    pub(crate) next_client_id: u64,
    pub(crate) started: Instant,
    /// Commands to append to the log, in RESP, since the last flush.
    pub(crate) aof_buf: Vec<u8>,
    pub(crate) aof: AofInfo,
    /// Writes since start-up (Redis's `dirty`, `INFO`'s `rdb_changes_since_last_save`).
    pub(crate) dirty: u64,
    /// SHUTDOWN was asked.
    pub(crate) shutdown: bool,
    /// BGREWRITEAOF was asked (the server starts it after the turn).
    pub(crate) rewrite_requested: bool,
    /// The address the server listens on (for `INFO server`'s `tcp_port`).
    pub(crate) port: u16,
    /// Bytes allocated now (the counting allocator), for `INFO memory` and `maxmemory`.
    pub(crate) used_memory: fn() -> usize,
    /// The state of the xorshift generator behind RANDOMKEY, SPOP and eviction sampling.
    pub(crate) rng: u64,
}

impl Server {
    pub(crate) fn new(config: Config, used_memory: fn() -> usize) -> Server {
        let seed = crate::store::now_ms() as u64 ^ (std::process::id() as u64) << 32;
        Server {
            db: Db::default(),
            engine: Engine::Aof,
            config,
            stats: Stats::default(),
            clients: Vec::new(),
            next_client_id: 1,
            started: Instant::now(),
            aof_buf: Vec::new(),
            aof: AofInfo::default(),
            dirty: 0,
            shutdown: false,
            rewrite_requested: false,
            port: 0,
            used_memory,
            rng: seed | 1,
        }
    }

    /// A pseudo-random number (xorshift64*); not for secrets.
    pub(crate) fn random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545F4914F6CDD1D)
    }

    /// A generator seeded from [`random`](Self::random), for a choice made while the dataset
    /// is borrowed (a random bucket, a random element).
    pub(crate) fn random_source(&mut self) -> impl FnMut() -> u64 {
        let mut state = self.random() | 1;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }

    pub(crate) fn client(&self, token: usize) -> Option<&ClientInfo> {
        self.clients.get(token)?.as_ref()
    }

    pub(crate) fn client_mut(&mut self, token: usize) -> Option<&mut ClientInfo> {
        self.clients.get_mut(token)?.as_mut()
    }

    /// Registers a new connection under `token`; its client id.
    pub(crate) fn add_client(
        &mut self,
        token: usize,
        addr: Option<SocketAddr>,
        laddr: Option<SocketAddr>,
    ) -> u64 {
        if token >= self.clients.len() {
            self.clients.resize(token + 1, None);
        }
        let id = self.next_client_id;
        self.next_client_id += 1;
        let now = Instant::now();
        self.clients[token] = Some(ClientInfo {
            id,
            addr,
            laddr,
            name: None,
            created: now,
            last_active: now,
            last_cmd: "NULL",
            authenticated: self.config.requirepass.is_none(),
            multi: None,
            qbuf: 0,
            omem: 0,
        });
        self.stats.connections_received += 1;
        id
    }

    pub(crate) fn remove_client(&mut self, token: usize) {
        if let Some(slot) = self.clients.get_mut(token) {
            *slot = None;
        }
    }

    /// Connected clients.
    pub(crate) fn connected(&self) -> usize {
        self.clients.iter().flatten().count()
    }
}
