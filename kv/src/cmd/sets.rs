//! Set commands: unordered distinct strings under one key, and the algebra between sets. A
//! set left without members is deleted. `SPOP` is logged as an `SREM` of the members it
//! took, never as itself: a replay must remove the same members, not pick new ones.

use crate::cmd::args::{self, SYNTAX};
use crate::cmd::keys::{reply_scan, scan_dict, scan_options};
use crate::cmd::{Command, Ctx, DENYOOM, FAST, READONLY, WRITE};
use crate::resp::reply::Reply;
use crate::store::dict::Dict;
use crate::store::value::{Value, WRONGTYPE};
use crate::store::Db;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "sadd",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: sadd,
    },
    Command {
        name: "srem",
        arity: -3,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: srem,
    },
    Command {
        name: "smembers",
        arity: 2,
        flags: READONLY,
        keys: (1, 1, 1),
        run: sinter,
    },
    Command {
        name: "sismember",
        arity: 3,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: sismember,
    },
    Command {
        name: "smismember",
        arity: -3,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: smismember,
    },
    Command {
        name: "scard",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: scard,
    },
    Command {
        name: "spop",
        arity: -2,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: spop,
    },
    Command {
        name: "srandmember",
        arity: -2,
        flags: READONLY,
        keys: (1, 1, 1),
        run: srandmember,
    },
    Command {
        name: "sinter",
        arity: -2,
        flags: READONLY,
        keys: (1, -1, 1),
        run: sinter,
    },
    Command {
        name: "sunion",
        arity: -2,
        flags: READONLY,
        keys: (1, -1, 1),
        run: sunion,
    },
    Command {
        name: "sdiff",
        arity: -2,
        flags: READONLY,
        keys: (1, -1, 1),
        run: sdiff,
    },
    Command {
        name: "sinterstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        keys: (1, -1, 1),
        run: sinterstore,
    },
    Command {
        name: "sunionstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        keys: (1, -1, 1),
        run: sunionstore,
    },
    Command {
        name: "sdiffstore",
        arity: -3,
        flags: WRITE | DENYOOM,
        keys: (1, -1, 1),
        run: sdiffstore,
    },
    Command {
        name: "sintercard",
        arity: -3,
        flags: READONLY,
        // The keys follow their count: no fixed range (Redis's "movablekeys").
        keys: (0, 0, 0),
        run: sintercard,
    },
    Command {
        name: "smove",
        arity: 4,
        flags: WRITE | FAST,
        keys: (1, 2, 1),
        run: smove,
    },
    Command {
        name: "sscan",
        arity: -3,
        flags: READONLY,
        keys: (1, 1, 1),
        run: sscan,
    },
];

type Set = Dict<()>;

fn typed(v: Option<&mut Value>) -> Result<Option<&mut Set>, String> {
    match v {
        None => Ok(None),
        Some(Value::Set(s)) => Ok(Some(s)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// `key`'s set for a read (counted as a hit or a miss); WRONGTYPE for another type.
fn read<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<Option<&'d mut Set>, String> {
    typed(db.read(key, now))
}

/// `key`'s set for a write.
fn write<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<Option<&'d mut Set>, String> {
    typed(db.get_mut(key, now).map(|e| &mut e.value))
}

/// `key`'s set, created empty if absent (the caller adds to it at once).
fn write_or_create<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<&'d mut Set, String> {
    let entry = db.get_or_create(key, now, || Value::Set(Box::default()));
    typed(Some(&mut entry.value))?.ok_or_else(|| WRONGTYPE.to_string())
}

fn reply_members<'m>(out: &mut Reply, members: impl ExactSizeIterator<Item = &'m [u8]>) {
    out.array(members.len());
    for m in members {
        out.bulk(m);
    }
}

/// A whole set as an array reply (its length is known without collecting the members).
fn reply_set(out: &mut Reply, set: &Set) {
    out.array(set.len());
    for (m, _) in set.iter() {
        out.bulk(m);
    }
}

fn sadd(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let set = write_or_create(&mut ctx.server.db, &a[1], now)?;
    let added = a[2..]
        .iter()
        .filter(|m| set.insert(m, ()).is_none())
        .count();
    if added > 0 {
        ctx.changed();
    }
    ctx.out.int(added as i64);
    Ok(())
}

fn srem(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let Some(set) = write(&mut ctx.server.db, &a[1], now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = a[2..].iter().filter(|m| set.remove(m).is_some()).count();
    if removed > 0 {
        ctx.db().drop_if_empty(&a[1]);
        ctx.changed();
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn sismember(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let found = read(&mut ctx.server.db, &a[1], now)?.is_some_and(|s| s.contains_key(&a[2]));
    ctx.out.int(i64::from(found));
    Ok(())
}

fn smismember(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let set = read(&mut ctx.server.db, &a[1], now)?;
    ctx.out.array(a.len() - 2);
    for m in &a[2..] {
        let found = set.as_ref().is_some_and(|s| s.contains_key(m));
        ctx.out.int(i64::from(found));
    }
    Ok(())
}

fn scard(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let n = read(&mut ctx.server.db, &a[1], now)?.map_or(0, |s| s.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn spop(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let count = match &a[2..] {
        [] => None,
        [n] => match args::int(n) {
            Ok(n) if n >= 0 => Some(n as usize),
            _ => return Err("ERR value is out of range, must be positive".into()),
        },
        _ => return Err(SYNTAX.into()),
    };
    let now = ctx.now;
    let mut rng = ctx.server.random_source();
    let Some(set) = write(&mut ctx.server.db, &a[1], now)? else {
        match count {
            None => ctx.out.nil(),
            Some(_) => ctx.out.array(0),
        }
        return Ok(());
    };
    let popped: Vec<Vec<u8>> = match count {
        None => set
            .random(&mut rng)
            .map(|(m, _)| m.to_vec())
            .into_iter()
            .collect(),
        Some(n) => set
            .sample(n, &mut rng)
            .into_iter()
            .map(|(m, _)| m.to_vec())
            .collect(),
    };
    for m in &popped {
        set.remove(m);
    }
    match count {
        None => ctx.out.bulk_or_nil(popped.first().map(Vec::as_slice)),
        Some(_) => reply_members(ctx.out, popped.iter().map(Vec::as_slice)),
    }
    if !popped.is_empty() {
        ctx.db().drop_if_empty(&a[1]);
        let mut srem = vec![b"SREM".to_vec(), a[1].clone()];
        srem.extend(popped);
        ctx.log_as(srem);
    }
    Ok(())
}

fn srandmember(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let count = match &a[2..] {
        [] => None,
        [n] => {
            let n = args::int(n)?;
            if n == i64::MIN {
                return Err(format!(
                    "ERR value is out of range, value must between {} and {}",
                    -i64::MAX,
                    i64::MAX
                ));
            }
            Some(n)
        }
        _ => return Err(SYNTAX.into()),
    };
    let mut rng = ctx.server.random_source();
    let set = read(&mut ctx.server.db, &a[1], now)?;
    let Some(n) = count else {
        let pick = set.and_then(|s| s.random(&mut rng)).map(|(m, _)| m);
        ctx.out.bulk_or_nil(pick);
        return Ok(());
    };
    let Some(set) = set else {
        ctx.out.array(0);
        return Ok(());
    };
    if n < 0 {
        // With repetitions: exactly |n| picks.
        let n = n.unsigned_abs() as usize;
        ctx.out.array(n);
        for _ in 0..n {
            if let Some((m, _)) = set.random(&mut rng) {
                ctx.out.bulk(m);
            }
        }
        return Ok(());
    }
    let picked = set.sample(n as usize, &mut rng);
    reply_members(ctx.out, picked.into_iter().map(|(m, _)| m));
    Ok(())
}

/// Looks up every key as a set (an absent one is empty), for a read or for a store: the
/// sizes, or WRONGTYPE if any key holds another type. Every key is checked, as Redis does,
/// before any answer.
fn sizes(db: &mut Db, keys: &[Vec<u8>], now: i64, store: bool) -> Result<Vec<usize>, String> {
    keys.iter()
        .map(|k| {
            let set = if store {
                write(db, k, now)?
            } else {
                read(db, k, now)?
            };
            Ok(set.map_or(0, |s| s.len()))
        })
        .collect()
}

/// The members of the set at `key` (checked to be a set or absent).
fn members(db: &mut Db, key: &[u8], now: i64) -> Vec<Vec<u8>> {
    match db.get_mut(key, now).map(|e| &e.value) {
        Some(Value::Set(s)) => s.iter().map(|(m, _)| m.to_vec()).collect(),
        _ => Vec::new(),
    }
}

/// The intersection of the sets at `keys`, at most `limit` members (0: no limit).
fn inter(
    db: &mut Db,
    keys: &[Vec<u8>],
    now: i64,
    store: bool,
    limit: usize,
) -> Result<Vec<Vec<u8>>, String> {
    let sizes = sizes(db, keys, now, store)?;
    let Some(smallest) = (0..keys.len()).min_by_key(|&i| sizes[i]) else {
        return Ok(Vec::new());
    };
    if sizes[smallest] == 0 {
        return Ok(Vec::new());
    }
    let mut result = members(db, &keys[smallest], now);
    for (i, key) in keys.iter().enumerate() {
        if i == smallest {
            continue;
        }
        if let Some(set) = write(db, key, now)? {
            result.retain(|m| set.contains_key(m));
        }
    }
    if limit > 0 {
        result.truncate(limit);
    }
    Ok(result)
}

/// The union of the sets at `keys`.
fn union(db: &mut Db, keys: &[Vec<u8>], now: i64, store: bool) -> Result<Set, String> {
    sizes(db, keys, now, store)?;
    let mut result = Set::new();
    for key in keys {
        if let Some(set) = write(db, key, now)? {
            for (m, _) in set.iter() {
                result.insert(m, ());
            }
        }
    }
    Ok(result)
}

/// The members of the first set at `keys` in none of the others.
fn diff(db: &mut Db, keys: &[Vec<u8>], now: i64, store: bool) -> Result<Set, String> {
    sizes(db, keys, now, store)?;
    let mut result = Set::new();
    for m in members(db, &keys[0], now) {
        result.insert(&m, ());
    }
    for key in &keys[1..] {
        if result.is_empty() {
            break;
        }
        if let Some(set) = write(db, key, now)? {
            for (m, _) in set.iter() {
                result.remove(m);
            }
        }
    }
    Ok(result)
}

fn sinter(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let result = inter(&mut ctx.server.db, &a[1..], now, false, 0)?;
    reply_members(ctx.out, result.iter().map(Vec::as_slice));
    Ok(())
}

fn sunion(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let result = union(&mut ctx.server.db, &a[1..], now, false)?;
    reply_set(ctx.out, &result);
    Ok(())
}

fn sdiff(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let result = diff(&mut ctx.server.db, &a[1..], now, false)?;
    reply_set(ctx.out, &result);
    Ok(())
}

/// The STORE variants: `result` replaces `a[1]` whatever it held (deleted if empty); its
/// size is the reply. Logged as received when the destination changed.
fn store(ctx: &mut Ctx, a: &[Vec<u8>], result: Set) {
    let n = result.len();
    let now = ctx.now;
    if n == 0 {
        if ctx.db().contains(&a[1], now) {
            ctx.db().remove(&a[1]);
            ctx.changed();
        }
    } else {
        ctx.db().set(&a[1], Value::Set(Box::new(result)), None);
        ctx.changed();
    }
    ctx.out.int(n as i64);
}

fn sinterstore(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let members = inter(&mut ctx.server.db, &a[2..], now, true, 0)?;
    let mut result = Set::new();
    for m in &members {
        result.insert(m, ());
    }
    store(ctx, a, result);
    Ok(())
}

fn sunionstore(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let result = union(&mut ctx.server.db, &a[2..], now, true)?;
    store(ctx, a, result);
    Ok(())
}

fn sdiffstore(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let result = diff(&mut ctx.server.db, &a[2..], now, true)?;
    store(ctx, a, result);
    Ok(())
}

fn sintercard(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let numkeys = match args::int(&a[1]) {
        Ok(n) if n >= 1 => n as usize,
        _ => return Err("ERR numkeys should be greater than 0".into()),
    };
    if numkeys > a.len() - 2 {
        return Err("ERR Number of keys can't be greater than number of args".into());
    }
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < a.len() {
        if args::is(&a[i], "limit") && i + 1 < a.len() {
            limit = match args::int(&a[i + 1]) {
                Ok(n) if n >= 0 => n as usize,
                _ => return Err("ERR LIMIT can't be negative".into()),
            };
            i += 2;
        } else {
            return Err(SYNTAX.into());
        }
    }
    let now = ctx.now;
    let result = inter(&mut ctx.server.db, &a[2..2 + numkeys], now, false, limit)?;
    ctx.out.int(result.len() as i64);
    Ok(())
}

fn smove(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let db = &mut ctx.server.db;
    let (src, dst, member) = (&a[1], &a[2], &a[3]);
    // As Redis: no source is 0 whatever the destination holds; then both types.
    if db.get_mut(src, now).is_none() {
        ctx.out.int(0);
        return Ok(());
    }
    write(db, src, now)?;
    write(db, dst, now)?;
    if src == dst {
        let found = write(db, src, now)?.is_some_and(|s| s.contains_key(member));
        ctx.out.int(i64::from(found));
        return Ok(());
    }
    let removed = write(db, src, now)?.is_some_and(|s| s.remove(member).is_some());
    if !removed {
        ctx.out.int(0);
        return Ok(());
    }
    db.drop_if_empty(src);
    write_or_create(db, dst, now)?.insert(member, ());
    ctx.changed();
    ctx.out.int(1);
    Ok(())
}

fn sscan(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    // As Redis: the cursor, then the key (an absent one is an empty scan whatever the
    // options), then the options.
    scan_options(&a[2..3], false)?;
    let now = ctx.now;
    let Some(set) = read(&mut ctx.server.db, &a[1], now)? else {
        reply_scan(ctx, 0, &[]);
        return Ok(());
    };
    let (cursor, opts) = scan_options(&a[2..], false)?;
    let mut items = Vec::new();
    let next = scan_dict(set, cursor, &opts, |m, _| items.push(m.to_vec()));
    reply_scan(ctx, next, &items);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;
    use std::collections::BTreeSet;

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    /// The bulk strings of an array reply, sorted.
    fn members(reply: &str) -> BTreeSet<String> {
        reply
            .split("\r\n")
            .skip(1)
            .filter(|l| !l.starts_with('$') && !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn add_remove_membership_and_the_key_goes_with_its_last_member() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["SADD", "s", "a", "b", "a"]), ":2\r\n");
        assert_eq!(h.run(&["SADD", "s", "b", "c"]), ":1\r\n");
        assert_eq!(h.run(&["SCARD", "s"]), ":3\r\n");
        assert_eq!(h.run(&["SISMEMBER", "s", "a"]), ":1\r\n");
        assert_eq!(h.run(&["SISMEMBER", "s", "z"]), ":0\r\n");
        assert_eq!(
            h.run(&["SMISMEMBER", "s", "a", "z", "c"]),
            "*3\r\n:1\r\n:0\r\n:1\r\n"
        );
        assert_eq!(h.run(&["SMISMEMBER", "nos", "a"]), "*1\r\n:0\r\n");
        assert_eq!(members(&h.run(&["SMEMBERS", "s"])), set(&["a", "b", "c"]));
        assert_eq!(h.run(&["SMEMBERS", "nos"]), "*0\r\n");
        assert_eq!(h.run(&["SREM", "s", "a", "z"]), ":1\r\n");
        assert_eq!(h.run(&["SREM", "s", "b", "c"]), ":2\r\n");
        assert_eq!(h.run(&["EXISTS", "s"]), ":0\r\n");
        assert_eq!(h.run(&["SREM", "s", "b"]), ":0\r\n");
        assert_eq!(h.run(&["SCARD", "s"]), ":0\r\n");
    }

    #[test]
    fn algebra_and_stores() {
        let mut h = Harness::new();
        h.run(&["SADD", "a", "1", "2", "3"]);
        h.run(&["SADD", "b", "2", "3", "4"]);
        assert_eq!(members(&h.run(&["SINTER", "a", "b"])), set(&["2", "3"]));
        assert_eq!(h.run(&["SINTER", "a", "nos"]), "*0\r\n");
        assert_eq!(
            members(&h.run(&["SUNION", "a", "nos", "b"])),
            set(&["1", "2", "3", "4"])
        );
        assert_eq!(members(&h.run(&["SDIFF", "a", "b"])), set(&["1"]));
        assert_eq!(h.run(&["SDIFF", "nos", "a"]), "*0\r\n");
        assert_eq!(h.run(&["SINTERCARD", "2", "a", "b"]), ":2\r\n");
        assert_eq!(
            h.run(&["SINTERCARD", "2", "a", "b", "LIMIT", "1"]),
            ":1\r\n"
        );
        assert_eq!(h.run(&["SINTERCARD", "1", "a", "limit", "0"]), ":3\r\n");
        assert_eq!(
            h.run(&["SINTERCARD", "0", "a"]),
            "-ERR numkeys should be greater than 0\r\n"
        );
        assert_eq!(
            h.run(&["SINTERCARD", "3", "a", "b"]),
            "-ERR Number of keys can't be greater than number of args\r\n"
        );
        assert_eq!(
            h.run(&["SINTERCARD", "1", "a", "LIMIT", "-1"]),
            "-ERR LIMIT can't be negative\r\n"
        );
        assert_eq!(
            h.run(&["SINTERCARD", "1", "a", "x"]),
            "-ERR syntax error\r\n"
        );
        h.run(&["SET", "str", "x"]);
        assert_eq!(
            h.run(&["SINTER", "nos", "str"]),
            WRONGTYPE,
            "every key is checked"
        );
        assert_eq!(h.run(&["SUNION", "a", "str"]), WRONGTYPE);
        assert_eq!(h.run(&["SDIFF", "nos", "str"]), WRONGTYPE);
        assert_eq!(h.run(&["SINTERCARD", "2", "nos", "str"]), WRONGTYPE);
        // A store replaces whatever the destination held, and deletes it for no result.
        assert_eq!(h.run(&["SINTERSTORE", "str", "a", "b"]), ":2\r\n");
        assert_eq!(h.run(&["TYPE", "str"]), "+set\r\n");
        assert_eq!(h.run(&["SUNIONSTORE", "u", "a", "b"]), ":4\r\n");
        assert_eq!(h.run(&["SDIFFSTORE", "a", "a", "b"]), ":1\r\n");
        assert_eq!(members(&h.run(&["SMEMBERS", "a"])), set(&["1"]));
        assert_eq!(h.run(&["SDIFFSTORE", "u", "nos", "b"]), ":0\r\n");
        assert_eq!(h.run(&["EXISTS", "u"]), ":0\r\n");
    }

    #[test]
    fn smove_checks_as_redis_does() {
        let mut h = Harness::new();
        h.run(&["SADD", "a", "1", "2"]);
        h.run(&["SET", "str", "x"]);
        assert_eq!(h.run(&["SMOVE", "nos", "str", "1"]), ":0\r\n");
        assert_eq!(h.run(&["SMOVE", "a", "str", "1"]), WRONGTYPE);
        assert_eq!(h.run(&["SMOVE", "str", "a", "1"]), WRONGTYPE);
        assert_eq!(h.run(&["SMOVE", "a", "a", "1"]), ":1\r\n");
        assert_eq!(h.run(&["SMOVE", "a", "a", "9"]), ":0\r\n");
        assert_eq!(h.run(&["SMOVE", "a", "b", "9"]), ":0\r\n");
        assert_eq!(h.run(&["SMOVE", "a", "b", "1"]), ":1\r\n");
        assert_eq!(h.run(&["SMOVE", "a", "b", "2"]), ":1\r\n");
        assert_eq!(h.run(&["EXISTS", "a"]), ":0\r\n");
        assert_eq!(members(&h.run(&["SMEMBERS", "b"])), set(&["1", "2"]));
    }

    #[test]
    fn pops_and_random_members_follow_the_count_rules() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["SPOP", "s"]), "$-1\r\n");
        assert_eq!(h.run(&["SPOP", "s", "3"]), "*0\r\n");
        assert_eq!(h.run(&["SRANDMEMBER", "s"]), "$-1\r\n");
        assert_eq!(h.run(&["SRANDMEMBER", "s", "3"]), "*0\r\n");
        h.run(&["SADD", "s", "a", "b", "c", "d", "e"]);
        assert_eq!(h.run(&["SRANDMEMBER", "s", "0"]), "*0\r\n");
        assert_eq!(members(&h.run(&["SRANDMEMBER", "s", "9"])).len(), 5);
        assert_eq!(members(&h.run(&["SRANDMEMBER", "s", "3"])).len(), 3);
        assert!(h.run(&["SRANDMEMBER", "s", "-9"]).starts_with("*9\r\n"));
        assert_eq!(
            h.run(&["SRANDMEMBER", "s", "1", "2"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run(&["SRANDMEMBER", "s", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
        assert_eq!(h.run(&["SPOP", "s", "0"]), "*0\r\n");
        assert_eq!(
            h.run(&["SPOP", "s", "-1"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            h.run(&["SPOP", "s", "x"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(h.run(&["SPOP", "s", "1", "2"]), "-ERR syntax error\r\n");
        let two = members(&h.run(&["SPOP", "s", "2"]));
        assert_eq!(two.len(), 2);
        assert!(h.run(&["SPOP", "s"]).starts_with("$1\r\n"));
        assert_eq!(h.run(&["SCARD", "s"]), ":2\r\n");
        assert_eq!(members(&h.run(&["SPOP", "s", "10"])).len(), 2);
        assert_eq!(h.run(&["EXISTS", "s"]), ":0\r\n");
    }

    #[test]
    fn spop_is_logged_as_the_srem_of_what_it_took() {
        let mut h = Harness::new();
        h.run(&["SADD", "s", "a", "b", "c"]);
        h.take_log();
        let one = h.run(&["SPOP", "s"]);
        let member = one.split("\r\n").nth(1).unwrap().to_string();
        assert_eq!(
            h.take_log(),
            format!("*3\r\n$4\r\nSREM\r\n$1\r\ns\r\n$1\r\n{member}\r\n")
        );
        let rest = members(&h.run(&["SPOP", "s", "5"]));
        let log = h.take_log();
        assert!(
            log.starts_with("*4\r\n$4\r\nSREM\r\n$1\r\ns\r\n"),
            "{log:?}"
        );
        assert!(rest.iter().all(|m| log.contains(&format!("\r\n{m}\r\n"))));
        h.run(&["SPOP", "s"]);
        h.run(&["SPOP", "s", "2"]);
        assert_eq!(h.take_log(), "", "nothing popped, nothing logged");
    }

    #[test]
    fn other_writes_are_logged_as_received_when_they_changed_something() {
        let mut h = Harness::new();
        h.run(&["SADD", "a", "1"]);
        assert_eq!(h.take_log(), "*3\r\n$4\r\nSADD\r\n$1\r\na\r\n$1\r\n1\r\n");
        for noop in [
            &["SADD", "a", "1"][..],
            &["SREM", "a", "9"],
            &["SMOVE", "a", "b", "9"],
            &["SMOVE", "a", "a", "1"],
            &["SINTERSTORE", "d", "a", "nos"],
            &["SINTER", "a"],
        ] {
            h.run(noop);
            assert_eq!(h.take_log(), "", "{noop:?}");
        }
        h.run(&["SUNIONSTORE", "d", "a"]);
        assert_eq!(
            h.take_log(),
            "*3\r\n$11\r\nSUNIONSTORE\r\n$1\r\nd\r\n$1\r\na\r\n"
        );
        h.run(&["SDIFFSTORE", "d", "a", "a"]);
        assert_eq!(
            h.take_log(),
            "*4\r\n$10\r\nSDIFFSTORE\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\na\r\n",
            "an existing destination deleted is a change"
        );
        h.run(&["SMOVE", "a", "b", "1"]);
        assert_eq!(
            h.take_log(),
            "*4\r\n$5\r\nSMOVE\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\n1\r\n"
        );
    }

    #[test]
    fn wrong_types_and_sscan() {
        let mut h = Harness::new();
        h.run(&["SET", "str", "x"]);
        for cmd in [
            &["SADD", "str", "a"][..],
            &["SREM", "str", "a"],
            &["SMEMBERS", "str"],
            &["SISMEMBER", "str", "a"],
            &["SMISMEMBER", "str", "a"],
            &["SCARD", "str"],
            &["SPOP", "str"],
            &["SPOP", "str", "0"],
            &["SRANDMEMBER", "str", "0"],
            &["SSCAN", "str", "0"],
        ] {
            assert_eq!(h.run(cmd), WRONGTYPE, "{cmd:?}");
        }
        for i in 0..200 {
            h.run(&["SADD", "s", &format!("m{i}")]);
        }
        let mut cursor = "0".to_string();
        let mut seen = BTreeSet::new();
        loop {
            let reply = h.run(&["SSCAN", "s", &cursor, "MATCH", "m1*"]);
            let lines: Vec<&str> = reply.split("\r\n").collect();
            cursor = lines[2].to_string();
            seen.extend(lines[4..].iter().skip(1).step_by(2).map(|s| s.to_string()));
            if cursor == "0" {
                break;
            }
        }
        seen.remove("");
        assert_eq!(seen.len(), 111);
        assert_eq!(
            h.run(&["SSCAN", "nos", "0", "COUNT", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(h.run(&["SSCAN", "s", "1x"]), "-ERR invalid cursor\r\n");
        assert!(
            h.run(&["SSCAN", "s", "-1"]).starts_with("*2\r\n"),
            "-1 wraps, as strtoul"
        );
    }
}
