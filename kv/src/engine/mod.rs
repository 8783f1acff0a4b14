//! Storage engines: where the keys live, chosen at start-up (`engine aof|btree`).
//!
//! | engine | where the keys are | files |
//! |---|---|---|
//! | `aof` (the default) | every type in memory ([`crate::store`]), each write appended to the log ([`crate::aof`]) | `store/`, `aof/` |
//! | `btree` | string keys in the on-disk B+tree of the `btree` crate, `DIR/kv.btree`, one commit per event-loop turn | [`btree`], [`btree_cmds`] |
//!
//! The commands are written once, against the in-memory [`crate::store::Db`]. Under the
//! btree engine that table is only a working set: before a command runs, its keys (the
//! command table's key positions) are loaded into it from the tree; after, the keys it
//! changed are written back into the turn's write transaction, and the table is emptied
//! again. So every string command behaves exactly as under the AOF engine, and only the
//! commands that look at the whole keyspace (KEYS, SCAN, DBSIZE, RANDOMKEY, FLUSHDB,
//! FLUSHALL) have versions of their own, over the tree. GET, the commonest, skips the working
//! set when the key is live or missing (the value goes from the tree into the reply); a key
//! found expired takes the general path, which deletes it.

pub(crate) mod btree;
pub(crate) mod btree_cmds;

use crate::cmd::{Command, Session};
use crate::resp::reply::Reply;
use crate::state::Server;

/// Which engine a server runs (the `engine` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// In memory, persisted by the append-only log.
    Aof,
    /// On disk in a B+tree file.
    Btree,
}

impl Kind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Aof => "aof",
            Kind::Btree => "btree",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Kind> {
        match s.to_ascii_lowercase().as_str() {
            "aof" => Some(Kind::Aof),
            "btree" => Some(Kind::Btree),
            _ => None,
        }
    }
}

/// The engine a server runs, with its state (the AOF engine's is `Server::db` and the log
/// writer the service holds).
#[derive(Default)]
pub(crate) enum Engine {
    #[default]
    Aof,
    Btree(Box<btree::BtreeEngine>),
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Engine::Aof => f.write_str("Aof"),
            Engine::Btree(e) => write!(f, "Btree({})", e.path.display()),
        }
    }
}

/// The error a command gets when the server's engine cannot run it (checked before a command
/// is queued inside MULTI too), or `None`.
pub(crate) fn refusal(server: &Server, cmd: &Command) -> Option<String> {
    match server.engine {
        Engine::Aof => None,
        Engine::Btree(_) => btree_cmds::refusal(cmd),
    }
}

/// Runs `cmd` (every check done) on the server's engine.
pub(crate) fn run(
    server: &mut Server,
    session: &mut Session,
    cmd: &Command,
    args: &[Vec<u8>],
    out: &mut Reply,
    now: i64,
) {
    match server.engine {
        Engine::Aof => crate::cmd::run(server, session, cmd, args, out, now),
        Engine::Btree(_) => btree_cmds::run(server, session, cmd, args, out, now),
    }
}

/// `INFO keyspace`'s counts: keys, and keys with an expiry (`None`: not counted).
pub(crate) fn keyspace(server: &Server) -> (u64, Option<u64>) {
    match &server.engine {
        Engine::Aof => (server.db.len() as u64, Some(server.db.volatile() as u64)),
        Engine::Btree(e) => (e.len(), None),
    }
}
