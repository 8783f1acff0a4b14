//! Connection and server commands: PING ECHO SELECT AUTH HELLO QUIT, INFO, CONFIG, CLIENT,
//! COMMAND, TIME, SHUTDOWN, BGREWRITEAOF.

use crate::cmd::args::{self, glob_match, is, SYNTAX};
use crate::cmd::{table, Command, Ctx, ADMIN, DENYOOM, FAST, NO_AUTH, NO_QUEUE, READONLY, WRITE};
use std::fmt::Write;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: FAST,
        keys: (0, 0, 0),
        run: ping,
    },
    Command {
        name: "echo",
        arity: 2,
        flags: FAST,
        keys: (0, 0, 0),
        run: echo,
    },
    Command {
        name: "select",
        arity: 2,
        flags: FAST,
        keys: (0, 0, 0),
        run: select,
    },
    Command {
        name: "auth",
        arity: -2,
        flags: NO_AUTH | FAST,
        keys: (0, 0, 0),
        run: auth,
    },
    Command {
        name: "hello",
        arity: -1,
        flags: NO_AUTH | FAST,
        keys: (0, 0, 0),
        run: hello,
    },
    Command {
        name: "quit",
        arity: -1,
        flags: NO_AUTH | NO_QUEUE | FAST,
        keys: (0, 0, 0),
        run: quit,
    },
    Command {
        name: "info",
        arity: -1,
        flags: 0,
        keys: (0, 0, 0),
        run: info,
    },
    Command {
        name: "config",
        arity: -2,
        flags: ADMIN,
        keys: (0, 0, 0),
        run: config,
    },
    Command {
        name: "client",
        arity: -2,
        flags: 0,
        keys: (0, 0, 0),
        run: client,
    },
    Command {
        name: "command",
        arity: -1,
        flags: 0,
        keys: (0, 0, 0),
        run: command,
    },
    Command {
        name: "time",
        arity: 1,
        flags: FAST,
        keys: (0, 0, 0),
        run: time,
    },
    Command {
        name: "shutdown",
        arity: -1,
        flags: ADMIN | NO_QUEUE,
        keys: (0, 0, 0),
        run: shutdown,
    },
    Command {
        name: "bgrewriteaof",
        arity: 1,
        flags: ADMIN,
        keys: (0, 0, 0),
        run: bgrewriteaof,
    },
];

fn ping(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    match a.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&a[1]),
        _ => return Err(crate::cmd::arity_error("ping")),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    ctx.out.bulk(&a[1]);
    Ok(())
}

fn select(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let n = args::int(&a[1])?;
    if n != 0 {
        // One database (see README): anything but 0 is out of range.
        return Err("ERR DB index is out of range".into());
    }
    ctx.out.ok();
    Ok(())
}

/// Checks a password against `requirepass` in constant time.
fn password_ok(ctx: &Ctx, given: &[u8]) -> bool {
    let Some(want) = &ctx.server.config.requirepass else {
        return false;
    };
    let mut diff = (want.len() != given.len()) as u8;
    for (i, w) in want.iter().enumerate() {
        diff |= w ^ given.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

fn authenticate(ctx: &mut Ctx, user: Option<&[u8]>, pass: &[u8]) -> Result<(), String> {
    if ctx.server.config.requirepass.is_none() && user.is_none() {
        return Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?".into());
    }
    let user_ok = user.is_none_or(|u| u == b"default");
    let ok = user_ok
        && (ctx.server.config.requirepass.is_none() && user.is_some() || password_ok(ctx, pass));
    if !ok {
        return Err("WRONGPASS invalid username-password pair or user is disabled.".into());
    }
    ctx.session.authenticated = true;
    let token = ctx.session.token;
    if let Some(info) = ctx.server.client_mut(token) {
        info.authenticated = true;
    }
    Ok(())
}

fn auth(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    match a.len() {
        2 => authenticate(ctx, None, &a[1])?,
        3 => authenticate(ctx, Some(&a[1]), &a[2])?,
        _ => return Err(SYNTAX.into()),
    }
    ctx.out.ok();
    Ok(())
}

fn hello(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let mut i = 1;
    if a.len() > 1 {
        let version = args::int(&a[1])
            .map_err(|_| "ERR Protocol version is not an integer or out of range".to_string())?;
        if version != 2 {
            return Err("NOPROTO unsupported protocol version".into());
        }
        i = 2;
    }
    let mut name = None;
    while i < a.len() {
        if is(&a[i], "auth") && i + 2 < a.len() {
            authenticate(ctx, Some(&a[i + 1]), &a[i + 2])?;
            i += 3;
        } else if is(&a[i], "setname") && i + 1 < a.len() {
            name = Some(a[i + 1].clone());
            i += 2;
        } else {
            return Err(format!(
                "ERR Syntax error in HELLO option '{}'",
                String::from_utf8_lossy(&a[i])
            ));
        }
    }
    if !ctx.session.authenticated {
        return Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time".into());
    }
    let token = ctx.session.token;
    let id = ctx.server.client(token).map_or(0, |c| c.id);
    if let (Some(name), Some(info)) = (name, ctx.server.client_mut(token)) {
        info.name = Some(name);
    }
    ctx.out.array(14);
    for (k, v) in [("server", "redis"), ("version", crate::REDIS_VERSION)] {
        ctx.out.bulk_str(k);
        ctx.out.bulk_str(v);
    }
    ctx.out.bulk_str("proto");
    ctx.out.int(2);
    ctx.out.bulk_str("id");
    ctx.out.int(id as i64);
    for (k, v) in [("mode", "standalone"), ("role", "master")] {
        ctx.out.bulk_str(k);
        ctx.out.bulk_str(v);
    }
    ctx.out.bulk_str("modules");
    ctx.out.array(0);
    Ok(())
}

fn quit(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    ctx.session.close_after_reply = true;
    ctx.out.ok();
    Ok(())
}

fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < 1024 {
        format!("{bytes}B")
    } else if bytes < 1 << 20 {
        format!("{:.2}K", b / 1024.0)
    } else if bytes < 1 << 30 {
        format!("{:.2}M", b / 1048576.0)
    } else {
        format!("{:.2}G", b / 1073741824.0)
    }
}

/// The resident set size, from `/proc/self/statm`.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no memory effects.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
    pages * page
}

/// The text of `INFO` for the sections asked (`default`, `all`, or names).
pub(crate) fn info_text(ctx: &mut Ctx, sections: &[String]) -> String {
    let want = |s: &str| {
        sections.is_empty()
            || sections
                .iter()
                .any(|w| w == s || w == "all" || w == "everything" || w == "default")
    };
    let s = &*ctx.server;
    let mut out = String::new();
    if want("server") {
        let up = s.started.elapsed().as_secs();
        let _ = write!(
            out,
            "# Server\r\nredis_version:{}\r\nkv_version:{}\r\nredis_mode:standalone\r\nos:Linux\r\narch_bits:64\r\nmultiplexing_api:epoll\r\nprocess_id:{}\r\ntcp_port:{}\r\nuptime_in_seconds:{up}\r\nuptime_in_days:{}\r\nhz:{}\r\nexecutable:{}\r\nconfig_file:{}\r\n\r\n",
            crate::REDIS_VERSION,
            env!("CARGO_PKG_VERSION"),
            std::process::id(),
            s.port,
            up / 86400,
            s.config.hz,
            std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_default(),
            s.config.config_file.as_ref().map(|p| p.display().to_string()).unwrap_or_default(),
        );
    }
    if want("clients") {
        let _ = write!(
            out,
            "# Clients\r\nconnected_clients:{}\r\nmaxclients:{}\r\nblocked_clients:0\r\n\r\n",
            s.connected(),
            s.config.maxclients
        );
    }
    if want("memory") {
        let used = (s.used_memory)() as u64;
        let rss = rss_bytes();
        let _ = write!(
            out,
            "# Memory\r\nused_memory:{used}\r\nused_memory_human:{}\r\nused_memory_rss:{rss}\r\nused_memory_rss_human:{}\r\nmaxmemory:{}\r\nmaxmemory_human:{}\r\nmaxmemory_policy:{}\r\nmem_allocator:libc\r\n\r\n",
            human(used),
            human(rss),
            s.config.maxmemory,
            human(s.config.maxmemory),
            s.config.maxmemory_policy.name(),
        );
    }
    if want("persistence") {
        let a = &s.aof;
        let status = |ok: bool| if ok { "ok" } else { "err" };
        let _ = write!(
            out,
            "# Persistence\r\nloading:0\r\nrdb_changes_since_last_save:{}\r\naof_enabled:{}\r\naof_fsync_policy:{}\r\naof_rewrite_in_progress:{}\r\naof_rewrite_scheduled:{}\r\naof_last_bgrewrite_status:{}\r\naof_last_write_status:{}\r\naof_current_size:{}\r\naof_base_size:{}\r\naof_pending_fsync_bytes:{}\r\naof_last_fsync_age_ms:{}\r\naof_fsyncs:{}\r\n\r\n",
            s.dirty,
            u8::from(a.enabled),
            s.config.appendfsync.name(),
            u8::from(a.rewrite_in_progress),
            u8::from(a.rewrite_scheduled),
            status(a.last_rewrite_ok),
            status(a.last_write_ok),
            a.current_size,
            a.base_size,
            a.pending_fsync_bytes,
            a.last_fsync_age_ms,
            a.fsyncs,
        );
        // After the blank line ends Redis's fields: kv's own, the engine and its commits.
        out.truncate(out.len() - 2);
        let _ = write!(out, "kv_engine:{}\r\n", s.config.engine.name());
        if let crate::engine::Engine::Btree(e) = &s.engine {
            let _ = write!(
                out,
                "btree_file:{}\r\nbtree_commits:{}\r\n",
                e.path.display(),
                e.commits
            );
        }
        out.push_str("\r\n");
    }
    if want("stats") {
        let st = &s.stats;
        let db = &s.db.stats;
        let _ = write!(
            out,
            "# Stats\r\ntotal_connections_received:{}\r\ntotal_commands_processed:{}\r\ntotal_net_input_bytes:{}\r\ntotal_net_output_bytes:{}\r\nrejected_connections:{}\r\nexpired_keys:{}\r\nevicted_keys:{}\r\nkeyspace_hits:{}\r\nkeyspace_misses:{}\r\ntotal_error_replies:{}\r\n\r\n",
            st.connections_received,
            st.commands_processed,
            st.net_input_bytes,
            st.net_output_bytes,
            st.rejected_connections,
            db.expired_keys,
            db.evicted_keys,
            db.hits,
            db.misses,
            st.errors,
        );
    }
    if want("replication") {
        out.push_str("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n");
    }
    if want("keyspace") {
        out.push_str("# Keyspace\r\n");
        let (keys, expires) = crate::engine::keyspace(s);
        if keys > 0 {
            let _ = write!(
                out,
                "db0:keys={keys},expires={},avg_ttl=0\r\n",
                expires.unwrap_or(0)
            );
        }
        out.push_str("\r\n");
    }
    while out.ends_with("\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    out
}

fn info(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let sections: Vec<String> = a[1..]
        .iter()
        .map(|s| String::from_utf8_lossy(s).to_ascii_lowercase())
        .collect();
    let text = info_text(ctx, &sections);
    ctx.out.bulk(text.as_bytes());
    Ok(())
}

/// A container command's subcommand (CONFIG GET, CLIENT SETNAME...), lowercase, checked as
/// Redis 7 checks it against its own table of subcommands and arities (the convention of
/// [`Command::arity`]): an unknown one and a wrong number of arguments have their own errors.
fn subcommand(a: &[Vec<u8>], known: &[(&str, i32)]) -> Result<String, String> {
    let sub = String::from_utf8_lossy(&a[1]).to_ascii_lowercase();
    let container = String::from_utf8_lossy(&a[0]).to_ascii_lowercase();
    let Some(&(_, arity)) = known.iter().find(|(name, _)| *name == sub) else {
        let given: String = String::from_utf8_lossy(&a[1]).chars().take(128).collect();
        return Err(format!(
            "ERR unknown subcommand '{given}'. Try {} HELP.",
            container.to_ascii_uppercase()
        ));
    };
    let argc = a.len() as i32;
    if (arity >= 0 && argc != arity) || argc < arity.abs() {
        return Err(format!(
            "ERR wrong number of arguments for '{container}|{sub}' command"
        ));
    }
    Ok(sub)
}

fn config(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let sub = subcommand(a, &[("get", -3), ("set", -4), ("resetstat", 2)])?;
    match sub.as_str() {
        "get" => {
            let mut pairs = Vec::new();
            for (name, _) in crate::config::PARAMETERS {
                if a[2..]
                    .iter()
                    .any(|p| glob_match(&p.to_ascii_lowercase(), name.as_bytes()))
                {
                    if let Some(v) = ctx.server.config.get(name) {
                        pairs.push((name.to_string(), v));
                    }
                }
            }
            ctx.out.array(pairs.len() * 2);
            for (k, v) in pairs {
                ctx.out.bulk_str(&k);
                ctx.out.bulk_str(&v);
            }
        }
        "set" if a.len() % 2 == 0 => {
            // All or nothing, as Redis 7: applied to a copy first.
            let mut next = ctx.server.config.clone();
            for pair in a[2..].chunks(2) {
                let name = String::from_utf8_lossy(&pair[0]).to_ascii_lowercase();
                let value = String::from_utf8_lossy(&pair[1]);
                if !crate::config::PARAMETERS.iter().any(|(n, _)| *n == name) {
                    return Err(format!(
                        "ERR Unknown option or number of arguments for CONFIG SET - '{name}'"
                    ));
                }
                next.set(&name, &value, true).map_err(|e| {
                    format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {e}")
                })?;
            }
            ctx.server.config = next;
            ctx.out.ok();
        }
        "set" => return Err(SYNTAX.into()),
        _ => {
            ctx.server.stats = Default::default();
            ctx.server.db.stats = Default::default();
            ctx.out.ok();
        }
    }
    Ok(())
}

fn client_list_line(info: &crate::state::ClientInfo) -> String {
    let addr = info.addr.map(|a| a.to_string()).unwrap_or_default();
    let laddr = info.laddr.map(|a| a.to_string()).unwrap_or_default();
    let name = info
        .name
        .as_ref()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    format!(
        "id={} addr={addr} laddr={laddr} fd=0 name={name} age={} idle={} flags={} db=0 sub=0 psub=0 ssub=0 multi={} qbuf={} qbuf-free=0 argv-mem=0 multi-mem=0 rbs=0 rbp=0 obl=0 oll=0 omem={} tot-mem=0 events=r cmd={} user=default redir=-1 resp=2",
        info.id,
        info.created.elapsed().as_secs(),
        info.last_active.elapsed().as_secs(),
        if info.multi.is_some() { "x" } else { "N" },
        info.multi.map_or(-1, |n| n as i64),
        info.qbuf,
        info.omem,
        info.last_cmd,
    )
}

fn client(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let sub = subcommand(
        a,
        &[
            ("setname", 3),
            ("getname", 2),
            ("id", 2),
            ("info", 2),
            ("list", -2),
            ("setinfo", 4),
        ],
    )?;
    let token = ctx.session.token;
    match sub.as_str() {
        "setname" => {
            let name = &a[2];
            if name.iter().any(|&c| c <= b' ' || c > b'~') {
                return Err(
                    "ERR Client names cannot contain spaces, newlines or special characters."
                        .into(),
                );
            }
            if let Some(info) = ctx.server.client_mut(token) {
                info.name = (!name.is_empty()).then(|| name.clone());
            }
            ctx.out.ok();
        }
        "getname" => {
            let name = ctx.server.client(token).and_then(|c| c.name.clone());
            ctx.out.bulk_or_nil(name.as_deref());
        }
        "id" => {
            let id = ctx.server.client(token).map_or(0, |c| c.id);
            ctx.out.int(id as i64);
        }
        "info" => {
            let line = ctx
                .server
                .client(token)
                .map(client_list_line)
                .unwrap_or_default();
            ctx.out.bulk(format!("{line}\n").as_bytes());
        }
        "list" if a.len() == 2 => {
            let mut text = String::new();
            for info in ctx.server.clients.iter().flatten() {
                text.push_str(&client_list_line(info));
                text.push('\n');
            }
            ctx.out.bulk(text.as_bytes());
        }
        "setinfo" => ctx.out.ok(),
        // CLIENT LIST's filters (TYPE, ID) are not kept: Redis's answer to what it cannot read.
        _ => return Err(SYNTAX.into()),
    }
    Ok(())
}

/// COMMAND's flags of a command, as words.
fn flag_words(c: &Command) -> Vec<&'static str> {
    let mut words = Vec::new();
    for (flag, word) in [
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (NO_AUTH, "no_auth"),
        (FAST, "fast"),
    ] {
        if c.is(flag) {
            words.push(word);
        }
    }
    words
}

fn command_info(ctx: &mut Ctx, c: &Command) {
    ctx.out.array(10);
    ctx.out.bulk_str(c.name);
    ctx.out.int(c.arity as i64);
    let flags = flag_words(c);
    ctx.out.array(flags.len());
    for f in flags {
        ctx.out.simple(f);
    }
    ctx.out.int(c.keys.0 as i64);
    ctx.out.int(c.keys.1 as i64);
    ctx.out.int(c.keys.2 as i64);
    ctx.out.array(0); // ACL categories
    ctx.out.array(0); // tips
    ctx.out.array(0); // key specifications
    ctx.out.array(0); // subcommands
}

fn command(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let mut all: Vec<&'static Command> = table().values().copied().collect();
    all.sort_by_key(|c| c.name);
    if a.len() == 1 {
        ctx.out.array(all.len());
        for c in all {
            command_info(ctx, c);
        }
        return Ok(());
    }
    let sub = subcommand(a, &[("count", 2), ("info", -2), ("docs", -2), ("list", -2)])?;
    match sub.as_str() {
        "count" => ctx.out.int(all.len() as i64),
        "info" => {
            let names: Vec<Vec<u8>> = if a.len() == 2 {
                all.iter().map(|c| c.name.as_bytes().to_vec()).collect()
            } else {
                a[2..].to_vec()
            };
            ctx.out.array(names.len());
            for n in &names {
                match crate::cmd::lookup(n) {
                    Some(c) => command_info(ctx, c),
                    None => ctx.out.nil_array(),
                }
            }
        }
        "docs" => {
            // Name -> [summary, group]: enough for a client to list what exists.
            let chosen: Vec<&Command> = if a.len() == 2 {
                all
            } else {
                a[2..]
                    .iter()
                    .filter_map(|n| crate::cmd::lookup(n))
                    .collect()
            };
            ctx.out.array(chosen.len() * 2);
            for c in chosen {
                ctx.out.bulk_str(c.name);
                ctx.out.array(4);
                ctx.out.bulk_str("summary");
                ctx.out
                    .bulk_str(&format!("{} (kv)", c.name.to_ascii_uppercase()));
                ctx.out.bulk_str("group");
                ctx.out.bulk_str("generic");
            }
        }
        "list" if a.len() == 2 => {
            ctx.out.array(all.len());
            for c in all {
                ctx.out.bulk_str(c.name);
            }
        }
        // COMMAND LIST's FILTERBY is not kept.
        _ => return Err(SYNTAX.into()),
    }
    Ok(())
}

fn time(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk(now.as_secs().to_string().as_bytes());
    ctx.out.bulk(now.subsec_micros().to_string().as_bytes());
    Ok(())
}

fn shutdown(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    for opt in &a[1..] {
        if !["nosave", "save", "now", "force"]
            .iter()
            .any(|w| is(opt, w))
        {
            return Err(SYNTAX.into());
        }
    }
    // No reply: the server flushes the log, closes every connection and exits.
    ctx.server.shutdown = true;
    ctx.session.close_after_reply = true;
    Ok(())
}

fn bgrewriteaof(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    if !ctx.server.aof.enabled {
        return Err(
            "ERR Background append only file rewriting is not possible with appendonly no".into(),
        );
    }
    if ctx.server.aof.rewrite_in_progress {
        ctx.server.aof.rewrite_scheduled = true;
        ctx.out
            .simple("Background append only file rewriting scheduled");
    } else {
        ctx.server.rewrite_requested = true;
        ctx.out
            .simple("Background append only file rewriting started");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;

    #[test]
    fn connection_commands() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["PING"]), "+PONG\r\n");
        assert_eq!(h.run(&["ping", "hi"]), "$2\r\nhi\r\n");
        assert_eq!(h.run(&["ECHO", "x"]), "$1\r\nx\r\n");
        assert_eq!(h.run(&["SELECT", "0"]), "+OK\r\n");
        assert_eq!(h.run(&["SELECT", "1"]), "-ERR DB index is out of range\r\n");
        assert!(h
            .run(&["AUTH", "x"])
            .starts_with("-ERR AUTH <password> called without any password"));
    }

    #[test]
    fn a_password_is_required_when_set() {
        let mut h = Harness::new();
        h.server.config.requirepass = Some(b"s3cret".to_vec());
        h.session.authenticated = false;
        assert_eq!(h.run(&["GET", "a"]), "-NOAUTH Authentication required.\r\n");
        assert_eq!(
            h.run(&["AUTH", "wrong"]),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        );
        assert_eq!(h.run(&["AUTH", "s3cret"]), "+OK\r\n");
        assert_eq!(h.run(&["GET", "a"]), "$-1\r\n");
    }

    #[test]
    fn subcommands_are_checked_as_redis_7_checks_them() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["CLIENT", "foo"]),
            "-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"
        );
        assert_eq!(
            h.run(&["client", "SETNAME"]),
            "-ERR wrong number of arguments for 'client|setname' command\r\n"
        );
        assert_eq!(
            h.run(&["CLIENT", "GETNAME", "x"]),
            "-ERR wrong number of arguments for 'client|getname' command\r\n"
        );
        assert_eq!(h.run(&["CLIENT", "LIST", "x"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run(&["config", "Foo"]),
            "-ERR unknown subcommand 'Foo'. Try CONFIG HELP.\r\n"
        );
        assert_eq!(
            h.run(&["CONFIG", "GET"]),
            "-ERR wrong number of arguments for 'config|get' command\r\n"
        );
        assert_eq!(
            h.run(&["CONFIG", "SET", "a"]),
            "-ERR wrong number of arguments for 'config|set' command\r\n"
        );
        assert_eq!(
            h.run(&["CONFIG", "SET", "maxmemory", "0", "x"]),
            "-ERR syntax error\r\n",
            "a name without a value"
        );
        assert_eq!(
            h.run(&["CONFIG", "RESETSTAT", "x"]),
            "-ERR wrong number of arguments for 'config|resetstat' command\r\n"
        );
        assert_eq!(
            h.run(&["COMMAND", "foo"]),
            "-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"
        );
        assert_eq!(
            h.run(&["COMMAND", "COUNT", "x"]),
            "-ERR wrong number of arguments for 'command|count' command\r\n"
        );
        assert_eq!(h.run(&["COMMAND", "LIST", "x"]), "-ERR syntax error\r\n");
    }

    #[test]
    fn config_get_set_is_all_or_nothing() {
        let mut h = Harness::new();
        assert_eq!(
            h.run(&["CONFIG", "GET", "maxmemory"]),
            "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
        );
        assert_eq!(h.run(&["CONFIG", "SET", "maxmemory", "10mb"]), "+OK\r\n");
        assert_eq!(h.server.config.maxmemory, 10 << 20);
        assert!(h
            .run(&["CONFIG", "SET", "maxmemory", "1mb", "appendfsync", "bad"])
            .starts_with("-ERR CONFIG SET failed (possibly related to argument 'appendfsync')"));
        assert_eq!(h.server.config.maxmemory, 10 << 20, "nothing applied");
        assert_eq!(
            h.run(&["CONFIG", "SET", "nope", "1"]),
            "-ERR Unknown option or number of arguments for CONFIG SET - 'nope'\r\n"
        );
        assert!(h.run(&["CONFIG", "GET", "append*"]).starts_with("*6\r\n"));
    }

    #[test]
    fn info_has_the_sections_clients_read() {
        let mut h = Harness::new();
        h.run(&["SET", "a", "1"]);
        let info = h.run(&["INFO"]);
        for field in [
            "redis_version:",
            "connected_clients:",
            "used_memory:",
            "aof_enabled:1",
            "total_commands_processed:",
            "db0:keys=1,expires=0",
        ] {
            assert!(info.contains(field), "{field} missing from {info}");
        }
        let only = h.run(&["INFO", "keyspace"]);
        assert!(!only.contains("# Server") && only.contains("# Keyspace"));
    }
}
