//! The commands under the btree engine: which run, the working set each keyed command runs
//! in (its keys loaded from the tree into the in-memory table, the ones it changed written
//! back), GET answered from the tree without it, and the commands over the whole keyspace,
//! on the tree itself.

use crate::cmd::args::{glob_match, is, SYNTAX};
use crate::cmd::keys::{reply_scan, scan_options};
use crate::cmd::{Command, Ctx, Session};
use crate::engine::btree::{unknown_format, BtreeEngine, Stored};
use crate::engine::Engine;
use crate::resp::reply::Reply;
use crate::state::Server;
use crate::store::value::Value;

/// Keyed commands the engine runs: the string family and the type-blind key commands.
const KEYED: &[&str] = &[
    // strings
    "get",
    "set",
    "setnx",
    "setex",
    "psetex",
    "getset",
    "getdel",
    "getex",
    "mget",
    "mset",
    "msetnx",
    "incr",
    "decr",
    "incrby",
    "decrby",
    "incrbyfloat",
    "append",
    "strlen",
    "getrange",
    "substr",
    "setrange", // keys
    "del",
    "unlink",
    "exists",
    "expire",
    "pexpire",
    "expireat",
    "pexpireat",
    "ttl",
    "pttl",
    "expiretime",
    "pexpiretime",
    "persist",
    "type",
    "rename",
    "renamenx",
];

/// Commands over the whole keyspace, which have versions of their own here.
const WHOLE: &[&str] = &["keys", "scan", "dbsize", "randomkey", "flushdb", "flushall"];

/// Keyless commands that make no sense without the log.
const LOG_ONLY: &[&str] = &["bgrewriteaof"];

/// The error for a command this engine does not run, or `None`.
pub(crate) fn refusal(cmd: &Command) -> Option<String> {
    let keyed = cmd.keys.0 > 0;
    if (keyed && !KEYED.contains(&cmd.name)) || LOG_ONLY.contains(&cmd.name) {
        return Some(format!(
            "ERR '{}' is not supported by the btree engine (it keeps string keys only; \
             kv serve --engine aof has every type)",
            cmd.name
        ));
    }
    None
}

/// The distinct keys of a command, from the table's key positions.
fn key_args<'a>(cmd: &Command, args: &'a [Vec<u8>]) -> Vec<&'a [u8]> {
    let (first, last, step) = cmd.keys;
    if first <= 0 || step <= 0 {
        return Vec::new();
    }
    let last = if last < 0 {
        args.len() as i32 + last
    } else {
        last
    };
    let mut keys: Vec<&[u8]> = Vec::new();
    let mut i = first;
    while i <= last && (i as usize) < args.len() {
        let k = args[i as usize].as_slice();
        if !keys.contains(&k) {
            keys.push(k);
        }
        i += step;
    }
    keys
}

fn engine(server: &mut Server) -> &mut BtreeEngine {
    match &mut server.engine {
        Engine::Btree(e) => e,
        Engine::Aof => unreachable!("called only under the btree engine"),
    }
}

/// Runs `cmd` under the btree engine (every check done, [`refusal`] included).
pub(crate) fn run(
    server: &mut Server,
    session: &mut Session,
    cmd: &Command,
    args: &[Vec<u8>],
    out: &mut Reply,
    now: i64,
) {
    if let Some(e) = refusal(cmd) {
        server.stats.errors += 1;
        out.error(&e);
        return;
    }
    if WHOLE.contains(&cmd.name) {
        let mut ctx = Ctx::new(server, session, out, now);
        let result = match cmd.name {
            "keys" => keys(&mut ctx, args),
            "scan" => scan(&mut ctx, args),
            "dbsize" => {
                let n = engine(ctx.server).len();
                ctx.out.int(n as i64);
                Ok(())
            }
            "randomkey" => randomkey(&mut ctx),
            _ => flush(&mut ctx, args),
        };
        if let Err(e) = result {
            server.stats.errors += 1;
            out.error(&e);
        }
        return;
    }
    if cmd.name == "get" && get(server, args, out, now) {
        return;
    }
    // Most keyed commands name one key, the first argument: no list to build for it.
    let one;
    let many;
    let keys: &[&[u8]] = match (cmd.keys, args.get(1)) {
        ((1, 1, 1), Some(key)) => {
            one = [key.as_slice()];
            &one
        }
        _ => {
            many = key_args(cmd, args);
            &many
        }
    };
    if keys.is_empty() {
        // PING, INFO, MULTI, EXEC (whose commands come back through here)...
        crate::cmd::run(server, session, cmd, args, out, now);
        return;
    }
    if let Err(e) = in_working_set(server, session, cmd, args, keys, out, now) {
        server.stats.errors += 1;
        out.error(&e);
    }
    server.db.clear();
}

/// GET, the commonest command, straight from the tree, without the working set every other
/// keyed command goes through (load, run, compare, empty the table): the value of a live key
/// goes from the transaction into the reply, a missing key is a nil, each counted as the
/// table's read counts them (`keyspace_hits`, `keyspace_misses`). False, with nothing done,
/// when the general path must answer: a key found expired (it deletes it), a key too long,
/// a value it cannot read (its error).
fn get(server: &mut Server, args: &[Vec<u8>], out: &mut Reply, now: i64) -> bool {
    let key = &args[1];
    let e = engine(server);
    if key.len() > e.max_key {
        return false;
    }
    match e.get_raw(key) {
        Ok(None) => {
            server.db.stats.misses += 1;
            out.nil();
            true
        }
        Ok(Some(raw)) => match Stored::view(&raw) {
            Some((value, expire_at)) if expire_at.is_none_or(|t| t > now) => {
                server.db.stats.hits += 1;
                out.bulk(value);
                true
            }
            _ => false,
        },
        Err(_) => false,
    }
}

/// Loads `keys` into the in-memory table, runs the command there, writes back what changed.
fn in_working_set(
    server: &mut Server,
    session: &mut Session,
    cmd: &Command,
    args: &[Vec<u8>],
    keys: &[&[u8]],
    out: &mut Reply,
    now: i64,
) -> Result<(), String> {
    let max_key = engine(server).max_key;
    if let Some(k) = keys.iter().find(|k| k.len() > max_key) {
        return Err(format!(
            "ERR key too long for the btree engine: {} bytes, the limit is {max_key}",
            k.len()
        ));
    }
    // Each key's value as the tree had it (its format checked here), to compare after.
    let mut before = std::mem::take(&mut engine(server).before);
    before.clear();
    for k in keys {
        let raw = engine(server).get_raw(k)?;
        if let Some(r) = &raw {
            let (value, expire_at) = Stored::view(r).ok_or_else(|| unknown_format(k))?;
            server.db.set(k, Value::Str(value.into()), expire_at);
        }
        before.push(raw);
    }
    let dirty = server.dirty;
    crate::cmd::run(server, session, cmd, args, out, now);
    let wrote = server.dirty != dirty;
    let Server { db, engine, .. } = server;
    let Engine::Btree(e) = engine else {
        unreachable!("called only under the btree engine")
    };
    for (k, old) in keys.iter().zip(before.drain(..)) {
        let result = if !wrote {
            // A read changes nothing, but may have found the key expired and deleted it.
            if old.is_none() || db.contains(k, i64::MIN) {
                continue;
            }
            e.delete(k).map(|_| ())
        } else {
            let old = old.as_deref().and_then(Stored::view);
            let after = match db.get_mut(k, i64::MIN) {
                None => None,
                Some(entry) => match &entry.value {
                    Value::Str(s) => Some((&s[..], entry.expire_at())),
                    // Refused before it runs: no command here makes another type.
                    _ => return Err("ERR the btree engine stores strings only".into()),
                },
            };
            match after {
                _ if old == after => continue,
                Some((value, expire_at)) => e.put_value(k, value, expire_at),
                None => e.delete(k).map(|_| ()),
            }
        };
        if let Err(err) = result {
            // The transaction cannot commit now: stop before anything is acknowledged.
            crate::server::service::fatal_storage_error(&err);
        }
    }
    e.before = before;
    Ok(())
}

fn keys(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let pattern = a[1].clone();
    let all = pattern.as_slice() == b"*";
    let mut found = Vec::new();
    engine(ctx.server).scan(0, |k, s| {
        if s.live(now) && (all || glob_match(&pattern, k)) {
            found.push(k.to_vec());
        }
        true
    })?;
    ctx.out.array(found.len());
    for k in &found {
        ctx.out.bulk(k);
    }
    Ok(())
}

fn scan(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let (cursor, opts) = scan_options(&a[1..], true)?;
    let now = ctx.now;
    let mut found = Vec::new();
    let mut seen = 0;
    let next = engine(ctx.server).scan(cursor, |k, s| {
        seen += 1;
        let typed = opts.type_name.as_deref().is_none_or(|t| t == "string");
        let matched = opts.pattern.as_deref().is_none_or(|p| glob_match(p, k));
        if s.live(now) && typed && matched {
            found.push(k.to_vec());
        }
        seen < opts.count
    })?;
    reply_scan(ctx, next, &found);
    Ok(())
}

fn randomkey(ctx: &mut Ctx) -> Result<(), String> {
    let now = ctx.now;
    // A few tries past expired keys, as Redis does, then give up on them.
    for _ in 0..100 {
        let from = ctx.server.random();
        let mut pick = None;
        let e = engine(ctx.server);
        e.scan(from, |k, s| {
            pick = Some((k.to_vec(), s.live(now)));
            false
        })?;
        if pick.is_none() {
            // Past the last hash: wrap round to the first.
            e.scan(0, |k, s| {
                pick = Some((k.to_vec(), s.live(now)));
                false
            })?;
        }
        match pick {
            None => break,
            Some((k, true)) => {
                ctx.out.bulk(&k);
                return Ok(());
            }
            Some((k, false)) => {
                if let Err(err) = e.delete(&k) {
                    crate::server::service::fatal_storage_error(&err);
                }
                ctx.server.db.stats.expired_keys += 1;
            }
        }
    }
    ctx.out.nil();
    Ok(())
}

fn flush(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    match &a[1..] {
        [] => {}
        [mode] if is(mode, "sync") || is(mode, "async") => {}
        _ => return Err(SYNTAX.into()),
    }
    if let Err(err) = engine(ctx.server).clear() {
        crate::server::service::fatal_storage_error(&err);
    }
    ctx.server.dirty += 1;
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;
    use crate::engine::btree::BtreeEngine;
    use crate::engine::Engine;
    use std::path::PathBuf;

    struct TempDir(PathBuf);

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn btree_harness(tag: &str) -> (Harness, TempDir) {
        let dir = std::env::temp_dir().join(format!("kv-btree-cmds-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut h = Harness::new();
        h.server.aof.enabled = false;
        h.server.engine = Engine::Btree(Box::new(BtreeEngine::open(&dir).unwrap()));
        (h, TempDir(dir))
    }

    fn commit(h: &mut Harness) {
        if let Engine::Btree(e) = &mut h.server.engine {
            e.commit().unwrap();
        }
    }

    /// The same string and key commands against both engines: the same replies.
    #[test]
    fn string_commands_answer_as_under_the_aof_engine() {
        let (mut bt, _dir) = btree_harness("same");
        let mut mem = Harness::new();
        let script: &[&[&str]] = &[
            &["SET", "k", "v"],
            &["GET", "k"],
            &["SET", "k", "w", "NX"],
            &["SET", "k", "w", "XX", "GET"],
            &["SET", "n", "w", "XX"],
            &["SET", "k", "w", "NX", "XX"],
            &["SET", "k", "w", "EX", "0"],
            &["SET", "t", "x", "EX", "1000"],
            &["SET", "t", "y", "KEEPTTL"],
            &["TTL", "t"],
            &["PERSIST", "t"],
            &["TTL", "t"],
            &["SETEX", "gone", "1", "x"],
            &["PEXPIREAT", "gone", "1"],
            &["GET", "gone"],
            &["EXISTS", "gone"],
            &["INCR", "c"],
            &["INCRBY", "c", "41"],
            &["DECRBY", "c", "2"],
            &["DECR", "c"],
            &["INCR", "k"],
            &["INCRBYFLOAT", "f", "0.1"],
            &["INCRBYFLOAT", "f", "0.2"],
            &["APPEND", "s", "Hello"],
            &["APPEND", "s", " World"],
            &["GETRANGE", "s", "-5", "-1"],
            &["SETRANGE", "s", "6", "Redis"],
            &["SETRANGE", "z", "3", "x"],
            &["GET", "z"],
            &["STRLEN", "s"],
            &["MSET", "a", "1", "b", "2", "a", "3"],
            &["MGET", "a", "x", "b"],
            &["MSETNX", "a", "3", "c2", "4"],
            &["GETSET", "b", "5"],
            &["GETDEL", "b"],
            &["GETEX", "a", "PX", "100000"],
            &["DEL", "a", "a", "nope", "c"],
            &["EXISTS", "s", "s", "z"],
            &["RENAME", "s", "s2"],
            &["RENAMENX", "s2", "z"],
            &["TYPE", "s2"],
            &["TYPE", "nope"],
            &["DBSIZE"],
            &["MULTI"],
            &["SET", "m", "1"],
            &["INCR", "m"],
            &["EXEC"],
            &["KEYS", "m*"],
            &["FLUSHALL"],
            &["DBSIZE"],
            &["GET", "k"],
        ];
        for cmd in script {
            assert_eq!(bt.run(cmd), mem.run(cmd), "{cmd:?}");
        }
    }

    /// GET's own path under the btree engine, and INCR's single lookup: the replies, the hit
    /// and miss counts, the deletion of a key found expired and the expiry INCR keeps are the
    /// AOF engine's.
    #[test]
    fn get_and_incr_count_expire_and_keep_ttls_as_the_aof_engine() {
        let (mut bt, _dir) = btree_harness("get");
        let mut mem = Harness::new();
        let script: &[&[&str]] = &[
            &["SET", "k", "v"],
            &["SET", "c", "9223372036854775806", "EX", "1000"],
            &["GET", "k"],
            &["GET", "k"],
            &["GET", "nope"],
            &["GET", "old"],
            &["INCR", "c"],
            &["TTL", "c"],
            &["INCR", "c"],
            &["GET", "c"],
            &["INCRBY", "new", "-5"],
            &["GET", "new"],
            &["INCR", "k"],
            &["DBSIZE"],
        ];
        // A key that expires in 1 ms, past when the script reads it.
        let set_at = crate::store::now_ms();
        for h in [&mut bt, &mut mem] {
            assert_eq!(h.run(&["SET", "old", "x", "PX", "1"]), "+OK\r\n");
        }
        while crate::store::now_ms() <= set_at + 1 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        for cmd in script {
            commit(&mut bt);
            assert_eq!(bt.run(cmd), mem.run(cmd), "{cmd:?}");
        }
        let (b, m) = (&bt.server.db.stats, &mem.server.db.stats);
        assert_eq!(
            (b.hits, b.misses),
            (m.hits, m.misses),
            "keyspace hits and misses"
        );
        assert_eq!(b.expired_keys, 1);
        // The expired key was deleted from the tree by the GET that found it.
        assert_eq!(bt.run(&["DBSIZE"]), ":3\r\n");
        let long = "k".repeat(2000);
        assert!(bt
            .run(&["GET", &long])
            .starts_with("-ERR key too long for the btree engine: 2000 bytes"));
    }

    #[test]
    fn other_types_are_refused_with_a_clear_error_even_inside_multi() {
        let (mut h, _dir) = btree_harness("refused");
        let err = "-ERR 'hset' is not supported by the btree engine (it keeps string keys only; \
                   kv serve --engine aof has every type)\r\n";
        assert_eq!(h.run(&["HSET", "h", "a", "1"]), err);
        assert!(h
            .run(&["BGREWRITEAOF"])
            .contains("not supported by the btree engine"));
        h.run(&["MULTI"]);
        assert_eq!(h.run(&["HSET", "h", "a", "1"]), err);
        assert_eq!(h.run(&["SET", "a", "1"]), "+QUEUED\r\n");
        assert!(h.run(&["EXEC"]).starts_with("-EXECABORT"));
        assert_eq!(h.run(&["GET", "a"]), "$-1\r\n");
        let long = "k".repeat(2000);
        assert!(h
            .run(&["SET", &long, "v"])
            .starts_with("-ERR key too long for the btree engine: 2000 bytes"),);
        assert_eq!(h.run(&["PING"]), "+PONG\r\n");
    }

    #[test]
    fn scan_returns_every_key_once_and_commits_survive_a_reopen() {
        let (mut h, dir) = btree_harness("scan");
        for i in 0..300 {
            let k = format!("key:{i}");
            assert_eq!(h.run(&["SET", &k, &i.to_string()]), "+OK\r\n");
        }
        h.run(&["SET", "dead", "x", "PX", "1"]);
        commit(&mut h);
        let (mut cursor, mut seen) = ("0".to_string(), Vec::new());
        loop {
            let args = vec![
                b"SCAN".to_vec(),
                cursor.clone().into_bytes(),
                b"COUNT".to_vec(),
                b"17".to_vec(),
                b"MATCH".to_vec(),
                b"key:*".to_vec(),
            ];
            let mut out = crate::resp::reply::Reply::default();
            crate::cmd::execute(&mut h.server, &mut h.session, &args, &mut out);
            let text = String::from_utf8(out.buf).unwrap();
            let lines: Vec<&str> = text.split("\r\n").collect();
            cursor = lines[2].to_string();
            seen.extend(
                lines[4..]
                    .iter()
                    .filter(|l| l.starts_with("key:"))
                    .map(|l| l.to_string()),
            );
            if cursor == "0" {
                break;
            }
        }
        seen.sort();
        let before = seen.len();
        seen.dedup();
        assert_eq!((before, seen.len()), (300, 300));
        // Reopened as after a restart: the committed keys are there.
        drop(h);
        let mut again = crate::cmd::testing::Harness::new();
        again.server.engine = Engine::Btree(Box::new(BtreeEngine::open(&dir.0).unwrap()));
        assert_eq!(again.run(&["GET", "key:299"]), "$3\r\n299\r\n");
        assert_eq!(again.run(&["DBSIZE"]), ":301\r\n");
        assert_eq!(again.run(&["GET", "dead"]), "$-1\r\n");
        assert_eq!(
            again.run(&["DBSIZE"]),
            ":300\r\n",
            "the expired key was deleted"
        );
        let r = again.run(&["RANDOMKEY"]);
        assert!(r.contains("key:"), "{r}");
    }
}
