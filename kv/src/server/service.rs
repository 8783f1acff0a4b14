//! kv as a netcore service: bytes in, requests parsed and run, replies out; the turn's writes
//! appended to the log before any reply leaves (netcore's `before_flush`), and the periodic
//! work on its tick (active expiry, automatic rewrites, the log's lag for INFO).

use crate::aof::rewrite::{self, Rewrite};
use crate::aof::writer::Writer;
use crate::cmd::{self, Session};
use crate::engine::Engine;
use crate::resp::reply::Reply;
use crate::resp::request::{Limits, Parsed};
use crate::server::client::Client;
use crate::state::Server;
use netcore::reactor::signal::Waker;
use netcore::{CloseReason, Conns, Service, Stats, Token};
use std::sync::Arc;

/// How many keys the active expiry looks at per tick (Redis looks at 20 per database per
/// loop, repeated while a quarter of them were expired, within 25% of the CPU).
const EXPIRE_BUDGET: usize = 200;
/// Reply bytes built before they are handed to the connection's queue.
const REPLY_CHUNK: usize = 64 * 1024;

pub(crate) struct KvService {
    pub(crate) server: Server,
    clients: Vec<Option<Client>>,
    pub(crate) aof: Option<Writer>,
    rewrite: Option<Rewrite>,
    stats: Arc<Stats>,
    waker: Arc<Waker>,
    reply: Reply,
}

impl KvService {
    pub(crate) fn new(
        server: Server,
        aof: Option<Writer>,
        stats: Arc<Stats>,
        waker: Arc<Waker>,
    ) -> KvService {
        KvService {
            server,
            clients: Vec::new(),
            aof,
            rewrite: None,
            stats,
            waker,
            reply: Reply::default(),
        }
    }

    fn client_mut(&mut self, id: Token) -> Option<&mut Client> {
        self.clients.get_mut(id)?.as_mut()
    }

    /// Parses and runs every whole request in `id`'s buffer, replies queued.
    fn process(&mut self, conns: &mut Conns, id: Token) {
        let limits_base = self.server.config.proto_max_bulk_len;
        let query_limit = self.server.config.client_query_buffer_limit;
        let Some(mut client) = self.clients.get_mut(id).and_then(Option::take) else {
            return;
        };
        self.reply.buf.clear();
        let mut commands = 0;
        loop {
            if client.session.close_after_reply || self.server.shutdown {
                break;
            }
            let limits = Limits {
                max_bulk: limits_base,
                authenticated: client.session.authenticated,
            };
            match client.parser.next(&client.query, &mut client.pos, limits) {
                Ok(Parsed::Incomplete) => break,
                Ok(Parsed::Request(args)) => {
                    commands += 1;
                    cmd::execute(&mut self.server, &mut client.session, args, &mut self.reply);
                    // Replies go to the connection's bounded queue as they grow, so a
                    // pipeline of big replies meets the output limit before it is all built.
                    if self.reply.len() >= REPLY_CHUNK && !self.send_reply(conns, id) {
                        break;
                    }
                }
                Err(e) => {
                    // Redis replies and closes: the stream cannot be resynchronised.
                    self.server.stats.errors += 1;
                    self.reply.error(&format!("ERR {}", e.0));
                    client.session.close_after_reply = true;
                }
            }
        }
        client.compact();
        if client.pending() > query_limit {
            crate::log::warn(&format!(
                "closing client {id}: query buffer of {} bytes over client-query-buffer-limit",
                client.pending()
            ));
            client.session.close_after_reply = true;
            client.query.clear();
            client.pos = 0;
        }
        if commands > 0 {
            self.stats.add_requests(commands);
        }
        self.send_reply(conns, id);
        if self.reply.buf.capacity() > 4 * REPLY_CHUNK {
            self.reply.buf = Vec::new();
        }
        if let Some(info) = self.server.client_mut(id) {
            info.qbuf = client.pending();
            info.omem = conns.pending(id);
            // CLIENT LIST's idle: since the last bytes received (Redis's `lastinteraction`,
            // stamped per read, not per command).
            info.last_active = std::time::Instant::now();
        }
        if client.session.close_after_reply {
            conns.close(id);
        }
        self.clients[id] = Some(client);
        if self.server.shutdown {
            self.waker.wake();
        }
    }

    /// Queues the reply bytes built so far for `id`; false if the connection is being cut
    /// off (its output limit) and nothing more should be run for it.
    fn send_reply(&mut self, conns: &mut Conns, id: Token) -> bool {
        if self.reply.is_empty() {
            return true;
        }
        self.server.stats.net_output_bytes += self.reply.len() as u64;
        let queued = conns.send(id, &self.reply.buf);
        self.reply.buf.clear();
        queued
    }

    /// Starts a rewrite if one was asked for or is due and none runs.
    fn maybe_rewrite(&mut self) {
        let Some(writer) = self.aof.as_mut() else {
            return;
        };
        if let Some(r) = &self.rewrite {
            match r.poll(writer) {
                rewrite::Poll::Running => return,
                rewrite::Poll::Done => {
                    self.server.aof.last_rewrite_ok = true;
                    self.server.aof.base_size = writer.size;
                    crate::log::notice("Background AOF rewrite finished successfully");
                }
                rewrite::Poll::Failed(e) => {
                    self.server.aof.last_rewrite_ok = false;
                    crate::log::warn(&format!("Background AOF rewrite failed: {e}"));
                }
            }
            self.rewrite = None;
            self.server.aof.rewrite_in_progress = false;
        }
        let asked = std::mem::take(&mut self.server.rewrite_requested)
            || std::mem::take(&mut self.server.aof.rewrite_scheduled);
        if asked || rewrite::due(&self.server, writer.size) {
            // The turn's writes must be in the old files before the switch.
            if let Err(e) = writer.append(&std::mem::take(&mut self.server.aof_buf)) {
                fatal_log_error(&e);
            }
            match rewrite::start(&self.server, writer) {
                Ok(r) => {
                    self.rewrite = Some(r);
                    self.server.aof.rewrite_in_progress = true;
                }
                Err(e) => {
                    self.server.aof.last_rewrite_ok = false;
                    crate::log::warn(&format!(
                        "Can't rewrite append only file in background: {e}"
                    ));
                }
            }
        }
    }

    /// At shutdown: the log synced, a running rewrite stopped.
    pub(crate) fn finish(&mut self) {
        if let Engine::Btree(engine) = &mut self.server.engine {
            if let Err(e) = engine.commit() {
                crate::log::warn(&format!("committing at shutdown: {e}"));
            }
        }
        if let Some(r) = self.rewrite.take() {
            r.abort();
        }
        if let Some(w) = self.aof.as_mut() {
            let buf = std::mem::take(&mut self.server.aof_buf);
            if let Err(e) = w.append(&buf).and_then(|()| w.sync()) {
                crate::log::warn(&format!("writing the log at shutdown: {e}"));
            }
        }
    }
}

/// The log could not be written: stop rather than acknowledge what is not stored (Redis
/// exits too under `always`).
fn fatal_log_error(e: &std::io::Error) -> ! {
    crate::log::warn(&format!(
        "Can't persist the append only file: {e}. Exiting: replies would claim writes that \
         are not stored"
    ));
    std::process::exit(1);
}

/// The btree engine could not write or commit: stop before the turn's replies claim writes
/// that are not stored (the file stays at its last commit).
pub(crate) fn fatal_storage_error(e: &str) -> ! {
    crate::log::warn(&format!(
        "Can't persist to the btree file: {e}. Exiting: replies would claim writes that are \
         not stored"
    ));
    std::process::exit(1);
}

impl Service for KvService {
    fn on_open(&mut self, conns: &mut Conns, id: Token) {
        if id >= self.clients.len() {
            self.clients.resize_with(id + 1, || None);
        }
        let authenticated = self.server.config.requirepass.is_none();
        self.server
            .add_client(id, conns.peer_addr(id), conns.local_addr(id));
        self.clients[id] = Some(Client {
            session: Session {
                token: id,
                authenticated,
                ..Session::default()
            },
            ..Client::default()
        });
    }

    fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]) {
        self.server.stats.net_input_bytes += data.len() as u64;
        let Some(client) = self.client_mut(id) else {
            return;
        };
        if client.session.close_after_reply {
            return;
        }
        client.query.extend_from_slice(data);
        self.process(conns, id);
    }

    fn on_close(&mut self, _conns: &mut Conns, id: Token, _reason: CloseReason) {
        if let Some(slot) = self.clients.get_mut(id) {
            *slot = None;
        }
        self.server.remove_client(id);
    }

    fn refusal(&self, why: &str) -> Vec<u8> {
        let why = if why == "server full" {
            "max number of clients reached"
        } else {
            why
        };
        format!("-ERR {why}\r\n").into_bytes()
    }

    fn before_flush(&mut self, _conns: &mut Conns) {
        if let Engine::Btree(engine) = &mut self.server.engine {
            // The turn's writes, every client's, in one commit before any reply leaves.
            if let Err(e) = engine.commit() {
                fatal_storage_error(&e);
            }
            return;
        }
        let Some(writer) = self.aof.as_mut() else {
            self.server.aof_buf.clear();
            return;
        };
        if writer.policy() != self.server.config.appendfsync {
            // CONFIG SET appendfsync: in force from this turn's writes on.
            writer.set_policy(self.server.config.appendfsync);
        }
        if self.server.aof_buf.is_empty() {
            return;
        }
        let buf = std::mem::take(&mut self.server.aof_buf);
        if let Err(e) = writer.append(&buf) {
            self.server.aof.last_write_ok = false;
            fatal_log_error(&e);
        }
        self.server.aof.current_size = writer.size;
        // Reuse the allocation.
        self.server.aof_buf = buf;
        self.server.aof_buf.clear();
    }

    fn on_tick(&mut self, _conns: &mut Conns) {
        let now = crate::store::now_ms();
        self.server.db.lru_clock = (now / 1000) as u32;
        self.server.db.expire_some(now, EXPIRE_BUDGET);
        if let Engine::Btree(engine) = &mut self.server.engine {
            match engine.expire_some(now, EXPIRE_BUDGET) {
                Ok(n) => self.server.db.stats.expired_keys += n as u64,
                // A read failed (a damaged page): reported, and tried again next tick.
                Err(e) => crate::log::warn(&format!("active expiry: {e}")),
            }
        }
        cmd::log_expired(&mut self.server);
        self.maybe_rewrite();
        if let Some(w) = &self.aof {
            let (pending, age, syncs) = w.lag();
            self.server.aof.pending_fsync_bytes = pending;
            self.server.aof.last_fsync_age_ms = age;
            self.server.aof.fsyncs = syncs;
            self.server.aof.current_size = w.size;
        }
    }
}
