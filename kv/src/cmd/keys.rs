//! Commands on keys whatever their type: deletion, existence, expiry, type, renaming,
//! listing (`KEYS`, `SCAN`), counting and flushing. `EXPIRE` and its relatives are logged as
//! `PEXPIREAT` with an absolute time; a time already past deletes the key (logged as `DEL`).

use crate::cmd::args::{self, glob_match, is, SYNTAX};
use crate::cmd::{Command, Ctx, ADMIN, FAST, READONLY, WRITE};
use crate::store::dict::Dict;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "del",
        arity: -2,
        flags: WRITE,
        keys: (1, -1, 1),
        run: del,
    },
    Command {
        name: "unlink",
        arity: -2,
        flags: WRITE | FAST,
        keys: (1, -1, 1),
        run: del,
    },
    Command {
        name: "exists",
        arity: -2,
        flags: READONLY | FAST,
        keys: (1, -1, 1),
        run: exists,
    },
    Command {
        name: "expire",
        arity: -3,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: expire,
    },
    Command {
        name: "pexpire",
        arity: -3,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: pexpire,
    },
    Command {
        name: "expireat",
        arity: -3,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: expireat,
    },
    Command {
        name: "pexpireat",
        arity: -3,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: pexpireat,
    },
    Command {
        name: "ttl",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: ttl,
    },
    Command {
        name: "pttl",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: pttl,
    },
    Command {
        name: "expiretime",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: expiretime,
    },
    Command {
        name: "pexpiretime",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: pexpiretime,
    },
    Command {
        name: "persist",
        arity: 2,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: persist,
    },
    Command {
        name: "type",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: type_,
    },
    Command {
        name: "rename",
        arity: 3,
        flags: WRITE,
        keys: (1, 2, 1),
        run: rename,
    },
    Command {
        name: "renamenx",
        arity: 3,
        flags: WRITE | FAST,
        keys: (1, 2, 1),
        run: renamenx,
    },
    Command {
        name: "keys",
        arity: 2,
        flags: READONLY,
        keys: (0, 0, 0),
        run: keys,
    },
    Command {
        name: "scan",
        arity: -2,
        flags: READONLY,
        keys: (0, 0, 0),
        run: scan,
    },
    Command {
        name: "dbsize",
        arity: 1,
        flags: READONLY | FAST,
        keys: (0, 0, 0),
        run: dbsize,
    },
    Command {
        name: "randomkey",
        arity: 1,
        flags: READONLY,
        keys: (0, 0, 0),
        run: randomkey,
    },
    Command {
        name: "flushdb",
        arity: -1,
        flags: WRITE | ADMIN,
        keys: (0, 0, 0),
        run: flush,
    },
    Command {
        name: "flushall",
        arity: -1,
        flags: WRITE | ADMIN,
        keys: (0, 0, 0),
        run: flush,
    },
];

fn del(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let mut n = 0;
    for key in &a[1..] {
        if ctx.db().contains(key, now) {
            ctx.db().remove(key);
            n += 1;
        }
    }
    if n > 0 {
        ctx.changed();
    }
    ctx.out.int(n);
    Ok(())
}

fn exists(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let n = a[1..]
        .iter()
        .filter(|k| ctx.server.db.contains(k, now))
        .count();
    ctx.out.int(n as i64);
    Ok(())
}

/// EXPIRE and friends: `at` is the absolute time in ms, options NX XX GT LT (Redis 7).
fn set_expiry(ctx: &mut Ctx, a: &[Vec<u8>], at: Option<i64>) -> Result<(), String> {
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in &a[3..] {
        if is(opt, "nx") {
            nx = true;
        } else if is(opt, "xx") {
            xx = true;
        } else if is(opt, "gt") {
            gt = true;
        } else if is(opt, "lt") {
            lt = true;
        } else {
            return Err(format!(
                "ERR Unsupported option {}",
                String::from_utf8_lossy(opt)
            ));
        }
    }
    if nx && (xx || gt || lt) {
        return Err("ERR NX and XX, GT or LT options at the same time are not compatible".into());
    }
    if gt && lt {
        return Err("ERR GT and LT options at the same time are not compatible".into());
    }
    let name = String::from_utf8_lossy(&a[0]).to_ascii_lowercase();
    let at = at.ok_or_else(|| format!("ERR invalid expire time in '{name}' command"))?;
    let key = &a[1];
    let now = ctx.now;
    let Some(entry) = ctx.db().get_mut(key, now) else {
        ctx.out.int(0);
        return Ok(());
    };
    let current = entry.expire_at();
    // No expiry counts as infinite for GT and LT.
    let allowed = !(nx && current.is_some()
        || xx && current.is_none()
        || gt && current.is_none_or(|c| at <= c)
        || lt && current.is_some_and(|c| at >= c));
    if !allowed {
        ctx.out.int(0);
        return Ok(());
    }
    if at <= now {
        ctx.db().remove(key);
        ctx.log_as(vec![b"DEL".to_vec(), key.clone()]);
    } else {
        ctx.db().set_expire(key, Some(at));
        ctx.log_as(vec![
            b"PEXPIREAT".to_vec(),
            key.clone(),
            at.to_string().into_bytes(),
        ]);
    }
    ctx.out.int(1);
    Ok(())
}

/// `n` in `unit_ms` units from `base`, or `None` on overflow.
fn deadline(n: i64, unit_ms: i64, base: i64) -> Option<i64> {
    n.checked_mul(unit_ms)?.checked_add(base)
}

fn expire(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let n = args::int(&a[2])?;
    set_expiry(ctx, a, deadline(n, 1000, ctx.now))
}

fn pexpire(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let n = args::int(&a[2])?;
    set_expiry(ctx, a, deadline(n, 1, ctx.now))
}

fn expireat(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let n = args::int(&a[2])?;
    set_expiry(ctx, a, deadline(n, 1000, 0))
}

fn pexpireat(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let n = args::int(&a[2])?;
    set_expiry(ctx, a, Some(n))
}

/// TTL's family: -2 for no key, -1 for no expiry, else `f(expire_at)`.
fn report_ttl(ctx: &mut Ctx, key: &[u8], f: impl Fn(i64, i64) -> i64) -> Result<(), String> {
    let now = ctx.now;
    let n = match ctx.db().get_mut(key, now) {
        None => -2,
        Some(e) => match e.expire_at() {
            None => -1,
            Some(t) => f(t, now),
        },
    };
    ctx.out.int(n);
    Ok(())
}

fn ttl(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    // Rounded to the nearest second, as Redis does.
    report_ttl(ctx, &a[1], |t, now| ((t - now).max(0) + 500) / 1000)
}

fn pttl(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    report_ttl(ctx, &a[1], |t, now| (t - now).max(0))
}

fn expiretime(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    report_ttl(ctx, &a[1], |t, _| t / 1000)
}

fn pexpiretime(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    report_ttl(ctx, &a[1], |t, _| t)
}

fn persist(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let had = ctx
        .db()
        .get_mut(&a[1], now)
        .is_some_and(|e| e.expire_at().is_some());
    if had {
        ctx.db().set_expire(&a[1], None);
        ctx.changed();
    }
    ctx.out.int(i64::from(had));
    Ok(())
}

fn type_(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let name = ctx
        .db()
        .get_mut(&a[1], now)
        .map_or("none", |e| e.value.type_name());
    ctx.out.simple(name);
    Ok(())
}

/// Moves `a[1]` to `a[2]` with its expiry; `nx`: only if `a[2]` does not exist. Whether it moved.
fn move_key(ctx: &mut Ctx, a: &[Vec<u8>], nx: bool) -> Result<bool, String> {
    let now = ctx.now;
    if !ctx.db().contains(&a[1], now) {
        return Err("ERR no such key".into());
    }
    if a[1] == a[2] {
        return Ok(!nx);
    }
    if nx && ctx.db().contains(&a[2], now) {
        return Ok(false);
    }
    let Some(entry) = ctx.db().remove(&a[1]) else {
        return Err("ERR no such key".into());
    };
    let at = entry.expire_at();
    ctx.db().set(&a[2], entry.value, at);
    ctx.changed();
    Ok(true)
}

fn rename(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    move_key(ctx, a, false)?;
    ctx.out.ok();
    Ok(())
}

fn renamenx(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let moved = move_key(ctx, a, true)?;
    ctx.out.int(i64::from(moved));
    Ok(())
}

fn keys(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let pattern = &a[1];
    let all = pattern.as_slice() == b"*";
    let found: Vec<Vec<u8>> = ctx
        .server
        .db
        .iter()
        .filter(|(k, e)| e.expire_at().is_none_or(|t| t > now) && (all || glob_match(pattern, k)))
        .map(|(k, _)| k.to_vec())
        .collect();
    ctx.out.array(found.len());
    for k in &found {
        ctx.out.bulk(k);
    }
    Ok(())
}

/// The options of SCAN and of HSCAN/SSCAN: `MATCH pattern`, `COUNT n`, and for SCAN `TYPE t`.
pub(crate) struct ScanOptions {
    pub(crate) pattern: Option<Vec<u8>>,
    pub(crate) count: usize,
    pub(crate) type_name: Option<String>,
}

/// A cursor as Redis reads it, with `strtoul`: decimal digits after an optional sign (a
/// negative one wraps around, so `-1` is the last cursor), nothing around them, not past
/// 2^64 - 1; and the empty string, where `strtoul` reads nothing, is 0.
fn parse_cursor(arg: &[u8]) -> Option<u64> {
    if arg.is_empty() {
        return Some(0);
    }
    let (neg, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse::<u64>().ok()?;
    Some(if neg { n.wrapping_neg() } else { n })
}

/// Reads a cursor (Redis: "ERR invalid cursor") and the options after it.
pub(crate) fn scan_options(a: &[Vec<u8>], allow_type: bool) -> Result<(u64, ScanOptions), String> {
    let cursor = parse_cursor(&a[0]).ok_or("ERR invalid cursor")?;
    let mut opts = ScanOptions {
        pattern: None,
        count: 10,
        type_name: None,
    };
    let mut i = 1;
    while i < a.len() {
        if i + 1 >= a.len() {
            return Err(SYNTAX.into());
        }
        if is(&a[i], "match") {
            opts.pattern = Some(a[i + 1].clone()).filter(|p| p.as_slice() != b"*");
        } else if is(&a[i], "count") {
            let n = args::int(&a[i + 1])?;
            if n < 1 {
                return Err(SYNTAX.into());
            }
            opts.count = n as usize;
        } else if allow_type && is(&a[i], "type") {
            opts.type_name = Some(String::from_utf8_lossy(&a[i + 1]).to_ascii_lowercase());
        } else {
            return Err(SYNTAX.into());
        }
        i += 2;
    }
    Ok((cursor, opts))
}

/// The `[cursor, [items]]` reply.
pub(crate) fn reply_scan(ctx: &mut Ctx, cursor: u64, items: &[Vec<u8>]) {
    ctx.out.array(2);
    ctx.out.bulk(cursor.to_string().as_bytes());
    ctx.out.array(items.len());
    for item in items {
        ctx.out.bulk(item);
    }
}

/// One HSCAN or SSCAN call over an aggregate: buckets from `cursor` on until COUNT elements
/// were looked at (a hint, as for SCAN), those the pattern matches handed to `emit`; returns
/// the next cursor (0: done).
pub(crate) fn scan_dict<V>(
    d: &Dict<V>,
    mut cursor: u64,
    opts: &ScanOptions,
    mut emit: impl FnMut(&[u8], &V),
) -> u64 {
    let mut budget = opts.count.saturating_mul(10).max(100);
    let mut seen = 0;
    loop {
        cursor = d.scan(cursor, |k, v| {
            seen += 1;
            if opts.pattern.as_deref().is_none_or(|p| glob_match(p, k)) {
                emit(k, v);
            }
        });
        budget -= 1;
        if cursor == 0 || seen >= opts.count || budget == 0 {
            return cursor;
        }
    }
}

fn scan(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let (mut cursor, opts) = scan_options(&a[1..], true)?;
    let now = ctx.now;
    let mut found = Vec::new();
    // Visit buckets until COUNT elements were seen (Redis's rule: COUNT is a hint).
    let mut budget = opts.count.saturating_mul(10).max(100);
    let mut seen = 0;
    loop {
        cursor = ctx.server.db.scan(cursor, |k, e| {
            seen += 1;
            let live = e.expire_at().is_none_or(|t| t > now);
            let typed = opts
                .type_name
                .as_deref()
                .is_none_or(|t| t == e.value.type_name());
            let matched = opts.pattern.as_deref().is_none_or(|p| glob_match(p, k));
            if live && typed && matched {
                found.push(k.to_vec());
            }
        });
        budget -= 1;
        if cursor == 0 || seen >= opts.count || budget == 0 {
            break;
        }
    }
    reply_scan(ctx, cursor, &found);
    Ok(())
}

fn dbsize(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    let n = ctx.db().len();
    ctx.out.int(n as i64);
    Ok(())
}

fn randomkey(ctx: &mut Ctx, _: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    // A few tries past expired keys, as Redis does, then give up on them.
    for _ in 0..100 {
        let source = ctx.server.random_source();
        let pick = ctx.server.db.random(source);
        let Some((key, entry)) = pick else {
            ctx.out.nil();
            return Ok(());
        };
        if entry.expire_at().is_none_or(|t| t > now) {
            let key = key.to_vec();
            ctx.out.bulk(&key);
            return Ok(());
        }
        let key = key.to_vec();
        ctx.db().get_mut(&key, now); // deletes it
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
    ctx.db().clear();
    ctx.changed();
    ctx.out.ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;

    #[test]
    fn expiry_commands_and_their_log() {
        let mut h = Harness::new();
        h.run(&["SET", "k", "v"]);
        h.take_log();
        assert_eq!(h.run(&["TTL", "k"]), ":-1\r\n");
        assert_eq!(h.run(&["TTL", "nokey"]), ":-2\r\n");
        assert_eq!(h.run(&["EXPIRE", "k", "100"]), ":1\r\n");
        assert!(h
            .take_log()
            .starts_with("*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$13\r\n"));
        assert_eq!(h.run(&["TTL", "k"]), ":100\r\n");
        assert_eq!(h.run(&["EXPIRE", "k", "50", "GT"]), ":0\r\n");
        assert_eq!(h.run(&["EXPIRE", "k", "50", "LT"]), ":1\r\n");
        assert_eq!(
            h.run(&["EXPIRE", "k", "50", "NX", "XX"]),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
        );
        assert_eq!(h.run(&["PERSIST", "k"]), ":1\r\n");
        assert_eq!(h.run(&["PERSIST", "k"]), ":0\r\n");
        h.take_log();
        assert_eq!(h.run(&["EXPIRE", "k", "-1"]), ":1\r\n");
        assert_eq!(h.take_log(), "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
        assert_eq!(h.run(&["EXISTS", "k"]), ":0\r\n");
        // The time is checked before the key is looked up, as in Redis.
        assert_eq!(
            h.run(&["EXPIRE", "k", "9223372036854775807"]),
            "-ERR invalid expire time in 'expire' command\r\n"
        );
        h.run(&["SET", "k", "v"]);
        assert_eq!(
            h.run(&["EXPIRE", "k", "9223372036854775807"]),
            "-ERR invalid expire time in 'expire' command\r\n"
        );
    }

    #[test]
    fn cursors_are_read_as_strtoul_reads_them() {
        use super::parse_cursor;
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0), "strtoul reads nothing: 0");
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(
            parse_cursor(b"-1"),
            Some(u64::MAX),
            "a negative cursor wraps"
        );
        assert_eq!(parse_cursor(b"-18446744073709551615"), Some(1));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b"-",
            b"+",
            b" 1",
            b"1 ",
            b"0x1",
            b"1.0",
        ] {
            assert_eq!(
                parse_cursor(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn an_expired_key_read_is_logged_as_a_del() {
        let mut h = Harness::new();
        h.run(&["SET", "k", "v", "PX", "1"]);
        std::thread::sleep(std::time::Duration::from_millis(5));
        h.take_log();
        assert_eq!(h.run(&["GET", "k"]), "$-1\r\n");
        assert_eq!(h.take_log(), "*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n");
    }

    #[test]
    fn rename_type_keys_scan_and_flush() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["RENAME", "a", "b"]), "-ERR no such key\r\n");
        h.run(&["SET", "a", "1"]);
        assert_eq!(h.run(&["RENAME", "a", "b"]), "+OK\r\n");
        assert_eq!(h.run(&["TYPE", "b"]), "+string\r\n");
        assert_eq!(h.run(&["TYPE", "a"]), "+none\r\n");
        h.run(&["SET", "c", "1"]);
        assert_eq!(h.run(&["RENAMENX", "b", "c"]), ":0\r\n");
        for i in 0..100 {
            h.run(&["SET", &format!("user:{i}"), "x"]);
        }
        assert_eq!(h.run(&["DBSIZE"]), ":102\r\n");
        assert!(h.run(&["KEYS", "user:1?"]).starts_with("*10\r\n"));
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashSet::new();
        loop {
            let reply = h.run(&["SCAN", &cursor, "MATCH", "user:*", "COUNT", "7"]);
            let lines: Vec<&str> = reply.split("\r\n").collect();
            cursor = lines[2].to_string();
            for l in lines.iter().skip(5).step_by(2) {
                if l.starts_with("user:") {
                    seen.insert(l.to_string());
                }
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 100);
        assert_eq!(h.run(&["SCAN", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(h.run(&["SCAN", "-"]), "-ERR invalid cursor\r\n");
        assert_eq!(h.run(&["SCAN", " 1"]), "-ERR invalid cursor\r\n");
        assert_eq!(
            h.run(&["SCAN", "18446744073709551616"]),
            "-ERR invalid cursor\r\n"
        );
        assert_eq!(h.run(&["FLUSHDB"]), "+OK\r\n");
        assert_eq!(h.run(&["DBSIZE"]), ":0\r\n");
        assert_eq!(h.run(&["RANDOMKEY"]), "$-1\r\n");
    }
}
