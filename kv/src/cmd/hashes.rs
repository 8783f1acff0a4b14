//! Hash commands: fields and values under one key. A hash left without fields is deleted.
//! `HINCRBYFLOAT` is logged as an `HSET` of the value it produced, as Redis does, so a replay
//! cannot round differently.

use crate::cmd::args::{self, is, SYNTAX};
use crate::cmd::keys::{reply_scan, scan_dict, scan_options};
use crate::cmd::{arity_error, Command, Ctx, DENYOOM, FAST, READONLY, WRITE};
use crate::resp::request::parse_i64;
use crate::store::dict::Dict;
use crate::store::value::{Value, WRONGTYPE};
use crate::store::Db;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "hset",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: hset,
    },
    Command {
        name: "hmset",
        arity: -4,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: hmset,
    },
    Command {
        name: "hsetnx",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: hsetnx,
    },
    Command {
        name: "hget",
        arity: 3,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: hget,
    },
    Command {
        name: "hmget",
        arity: -3,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: hmget,
    },
    Command {
        name: "hdel",
        arity: -3,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: hdel,
    },
    Command {
        name: "hgetall",
        arity: 2,
        flags: READONLY,
        keys: (1, 1, 1),
        run: hgetall,
    },
    Command {
        name: "hkeys",
        arity: 2,
        flags: READONLY,
        keys: (1, 1, 1),
        run: hkeys,
    },
    Command {
        name: "hvals",
        arity: 2,
        flags: READONLY,
        keys: (1, 1, 1),
        run: hvals,
    },
    Command {
        name: "hlen",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: hlen,
    },
    Command {
        name: "hexists",
        arity: 3,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: hexists,
    },
    Command {
        name: "hstrlen",
        arity: 3,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: hstrlen,
    },
    Command {
        name: "hincrby",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: hincrby,
    },
    Command {
        name: "hincrbyfloat",
        arity: 4,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: hincrbyfloat,
    },
    Command {
        name: "hrandfield",
        arity: -2,
        flags: READONLY,
        keys: (1, 1, 1),
        run: hrandfield,
    },
    Command {
        name: "hscan",
        arity: -3,
        flags: READONLY,
        keys: (1, 1, 1),
        run: hscan,
    },
];

type Hash = Dict<Vec<u8>>;

fn typed(v: Option<&mut Value>) -> Result<Option<&mut Hash>, String> {
    match v {
        None => Ok(None),
        Some(Value::Hash(h)) => Ok(Some(h)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// `key`'s hash for a read (counted as a hit or a miss); WRONGTYPE for another type.
fn read<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<Option<&'d mut Hash>, String> {
    typed(db.read(key, now))
}

/// `key`'s hash for a write.
fn write<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<Option<&'d mut Hash>, String> {
    typed(db.get_mut(key, now).map(|e| &mut e.value))
}

/// `key`'s hash, created empty if absent (the caller adds to it at once).
fn write_or_create<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<&'d mut Hash, String> {
    let entry = db.get_or_create(key, now, || Value::Hash(Box::default()));
    typed(Some(&mut entry.value))?.ok_or_else(|| WRONGTYPE.to_string())
}

/// HSET and HMSET: field-value pairs; how many fields are new.
fn set_pairs(ctx: &mut Ctx, a: &[Vec<u8>], name: &str) -> Result<usize, String> {
    if a.len() % 2 == 1 {
        return Err(arity_error(name));
    }
    let now = ctx.now;
    let h = write_or_create(&mut ctx.server.db, &a[1], now)?;
    let created = a[2..]
        .chunks(2)
        .filter(|pair| h.insert(&pair[0], pair[1].clone()).is_none())
        .count();
    ctx.changed();
    Ok(created)
}

fn hset(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let created = set_pairs(ctx, a, "hset")?;
    ctx.out.int(created as i64);
    Ok(())
}

fn hmset(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    set_pairs(ctx, a, "hmset")?;
    ctx.out.ok();
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let h = write_or_create(&mut ctx.server.db, &a[1], now)?;
    if h.contains_key(&a[2]) {
        ctx.out.int(0);
    } else {
        h.insert(&a[2], a[3].clone());
        ctx.changed();
        ctx.out.int(1);
    }
    Ok(())
}

fn hget(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let v = read(&mut ctx.server.db, &a[1], now)?.and_then(|h| h.get(&a[2]));
    ctx.out.bulk_or_nil(v.map(Vec::as_slice));
    Ok(())
}

fn hmget(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let h = read(&mut ctx.server.db, &a[1], now)?;
    ctx.out.array(a.len() - 2);
    for field in &a[2..] {
        let v = h.as_ref().and_then(|h| h.get(field));
        ctx.out.bulk_or_nil(v.map(Vec::as_slice));
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let Some(h) = write(&mut ctx.server.db, &a[1], now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let deleted = a[2..].iter().filter(|f| h.remove(f).is_some()).count();
    if deleted > 0 {
        ctx.db().drop_if_empty(&a[1]);
        ctx.changed();
    }
    ctx.out.int(deleted as i64);
    Ok(())
}

/// HGETALL, HKEYS, HVALS: the fields and/or the values, in the table's order.
fn list(ctx: &mut Ctx, key: &[u8], fields: bool, values: bool) -> Result<(), String> {
    let now = ctx.now;
    let Some(h) = read(&mut ctx.server.db, key, now)? else {
        ctx.out.array(0);
        return Ok(());
    };
    ctx.out
        .array(h.len() * (usize::from(fields) + usize::from(values)));
    for (f, v) in h.iter() {
        if fields {
            ctx.out.bulk(f);
        }
        if values {
            ctx.out.bulk(v);
        }
    }
    Ok(())
}

fn hgetall(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    list(ctx, &a[1], true, true)
}

fn hkeys(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    list(ctx, &a[1], true, false)
}

fn hvals(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    list(ctx, &a[1], false, true)
}

fn hlen(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let n = read(&mut ctx.server.db, &a[1], now)?.map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let found = read(&mut ctx.server.db, &a[1], now)?.is_some_and(|h| h.contains_key(&a[2]));
    ctx.out.int(i64::from(found));
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let n = read(&mut ctx.server.db, &a[1], now)?
        .and_then(|h| h.get(&a[2]))
        .map_or(0, Vec::len);
    ctx.out.int(n as i64);
    Ok(())
}

fn hincrby(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let by = args::int(&a[3])?;
    let now = ctx.now;
    // Checked before the hash is created, so a failure leaves nothing behind.
    let current = match write(&mut ctx.server.db, &a[1], now)?.and_then(|h| h.get(&a[2])) {
        Some(v) => parse_i64(v).ok_or("ERR hash value is not an integer")?,
        None => 0,
    };
    let n = current
        .checked_add(by)
        .ok_or("ERR increment or decrement would overflow")?;
    write_or_create(&mut ctx.server.db, &a[1], now)?.insert(&a[2], n.to_string().into_bytes());
    ctx.changed();
    ctx.out.int(n);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let by = args::long_double(&a[3])?;
    if !by.is_finite() {
        return Err("ERR value is NaN or Infinity".into());
    }
    let now = ctx.now;
    let current = match write(&mut ctx.server.db, &a[1], now)?.and_then(|h| h.get(&a[2])) {
        Some(v) => args::long_double(v).map_err(|_| "ERR hash value is not a float")?,
        None => Default::default(),
    };
    let n = current.add(by);
    if !n.is_finite() {
        return Err("ERR increment would produce NaN or Infinity".into());
    }
    let text = n.to_human().into_bytes();
    write_or_create(&mut ctx.server.db, &a[1], now)?.insert(&a[2], text.clone());
    ctx.log_as(vec![
        b"HSET".to_vec(),
        a[1].clone(),
        a[2].clone(),
        text.clone(),
    ]);
    ctx.out.bulk(&text);
    Ok(())
}

/// HRANDFIELD's count: negative means with repetitions. Redis's range and errors.
fn random_count(arg: &[u8]) -> Result<i64, String> {
    let n = args::int(arg)?;
    if n == i64::MIN {
        return Err(format!(
            "ERR value is out of range, value must between {} and {}",
            -i64::MAX,
            i64::MAX
        ));
    }
    Ok(n)
}

fn hrandfield(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    if a.len() == 2 {
        let mut rng = ctx.server.random_source();
        let h = read(&mut ctx.server.db, &a[1], now)?;
        let pick = h.and_then(|h| h.random(&mut rng)).map(|(f, _)| f);
        ctx.out.bulk_or_nil(pick);
        return Ok(());
    }
    let n = random_count(&a[2])?;
    let with_values = match &a[3..] {
        [] => false,
        [w] if is(w, "withvalues") => {
            if !(-i64::MAX / 2..=i64::MAX / 2).contains(&n) {
                return Err("ERR value is out of range".into());
            }
            true
        }
        _ => return Err(SYNTAX.into()),
    };
    let mut rng = ctx.server.random_source();
    let Some(h) = read(&mut ctx.server.db, &a[1], now)? else {
        ctx.out.array(0);
        return Ok(());
    };
    let per = if with_values { 2 } else { 1 };
    let count = n.unsigned_abs() as usize;
    if n < 0 || n == 1 {
        ctx.out.array(count * per);
        for _ in 0..count {
            if let Some((f, v)) = h.random(&mut rng) {
                ctx.out.bulk(f);
                if with_values {
                    ctx.out.bulk(v);
                }
            }
        }
        return Ok(());
    }
    let picked = h.sample(count, &mut rng);
    ctx.out.array(picked.len() * per);
    for (f, v) in picked {
        ctx.out.bulk(f);
        if with_values {
            ctx.out.bulk(v);
        }
    }
    Ok(())
}

fn hscan(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    // As Redis: the cursor, then the key (an absent one is an empty scan whatever the
    // options), then the options.
    scan_options(&a[2..3], false)?;
    let now = ctx.now;
    let Some(h) = read(&mut ctx.server.db, &a[1], now)? else {
        reply_scan(ctx, 0, &[]);
        return Ok(());
    };
    let (cursor, opts) = scan_options(&a[2..], false)?;
    let mut items = Vec::new();
    let next = scan_dict(h, cursor, &opts, |f, v| {
        items.push(f.to_vec());
        items.push(v.clone());
    });
    reply_scan(ctx, next, &items);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;

    #[test]
    fn set_get_delete_and_the_key_goes_with_its_last_field() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["HSET", "h", "a", "1", "b", "2"]), ":2\r\n");
        assert_eq!(h.run(&["HSET", "h", "a", "3", "c", "4"]), ":1\r\n");
        assert_eq!(h.run(&["HGET", "h", "a"]), "$1\r\n3\r\n");
        assert_eq!(h.run(&["HGET", "h", "x"]), "$-1\r\n");
        assert_eq!(h.run(&["HGET", "nokey", "x"]), "$-1\r\n");
        assert_eq!(
            h.run(&["HSET", "h", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'hset' command\r\n"
        );
        assert_eq!(
            h.run(&["HMSET", "h", "a"]),
            "-ERR wrong number of arguments for 'hmset' command\r\n"
        );
        assert_eq!(h.run(&["HMSET", "h", "d", "5"]), "+OK\r\n");
        assert_eq!(h.run(&["HLEN", "h"]), ":4\r\n");
        assert_eq!(
            h.run(&["HMGET", "h", "a", "zz", "d"]),
            "*3\r\n$1\r\n3\r\n$-1\r\n$1\r\n5\r\n"
        );
        assert_eq!(h.run(&["HMGET", "nokey", "a"]), "*1\r\n$-1\r\n");
        assert_eq!(h.run(&["HSETNX", "h", "a", "9"]), ":0\r\n");
        assert_eq!(h.run(&["HSETNX", "h", "e", "9"]), ":1\r\n");
        assert_eq!(h.run(&["HEXISTS", "h", "e"]), ":1\r\n");
        assert_eq!(h.run(&["HEXISTS", "h", "zz"]), ":0\r\n");
        assert_eq!(h.run(&["HSTRLEN", "h", "e"]), ":1\r\n");
        assert_eq!(h.run(&["HSTRLEN", "h", "zz"]), ":0\r\n");
        assert_eq!(h.run(&["HDEL", "h", "a", "b", "zz"]), ":2\r\n");
        assert_eq!(h.run(&["HDEL", "h", "c", "d", "e"]), ":3\r\n");
        assert_eq!(h.run(&["EXISTS", "h"]), ":0\r\n");
        assert_eq!(h.run(&["HDEL", "h", "c"]), ":0\r\n");
        assert_eq!(h.run(&["HGETALL", "h"]), "*0\r\n");
    }

    #[test]
    fn listings_hold_every_field_and_value() {
        let mut h = Harness::new();
        h.run(&["HSET", "h", "a", "1", "b", "2"]);
        let all = h.run(&["HGETALL", "h"]);
        assert!(
            all == "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"
                || all == "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\n1\r\n",
            "{all:?}"
        );
        let keys = h.run(&["HKEYS", "h"]);
        assert!(keys.starts_with("*2\r\n") && keys.contains("$1\r\na\r\n") && keys.contains("b"));
        let vals = h.run(&["HVALS", "h"]);
        assert!(vals.starts_with("*2\r\n") && vals.contains("1") && vals.contains("2"));
        assert_eq!(h.run(&["HKEYS", "nokey"]), "*0\r\n");
    }

    #[test]
    fn wrong_types_are_refused_and_nothing_is_created() {
        let mut h = Harness::new();
        h.run(&["SET", "s", "x"]);
        for cmd in [
            &["HSET", "s", "a", "1"][..],
            &["HGET", "s", "a"],
            &["HMGET", "s", "a"],
            &["HDEL", "s", "a"],
            &["HGETALL", "s"],
            &["HLEN", "s"],
            &["HINCRBY", "s", "a", "1"],
            &["HINCRBYFLOAT", "s", "a", "1"],
            &["HRANDFIELD", "s"],
            &["HSCAN", "s", "0"],
        ] {
            assert_eq!(
                h.run(cmd),
                "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
                "{cmd:?}"
            );
        }
        assert_eq!(
            h.run(&["HINCRBY", "n", "f", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            h.run(&["HINCRBYFLOAT", "n", "f", "x"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(h.run(&["EXISTS", "n"]), ":0\r\n");
    }

    #[test]
    fn increments_check_the_stored_value_and_overflow() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["HINCRBY", "h", "n", "5"]), ":5\r\n");
        assert_eq!(h.run(&["HINCRBY", "h", "n", "-7"]), ":-2\r\n");
        h.run(&["HSET", "h", "f", "1.5", "big", "9223372036854775807"]);
        assert_eq!(
            h.run(&["HINCRBY", "h", "f", "1"]),
            "-ERR hash value is not an integer\r\n"
        );
        assert_eq!(
            h.run(&["HINCRBY", "h", "big", "1"]),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(h.run(&["HINCRBYFLOAT", "h", "f", "0.25"]), "$4\r\n1.75\r\n");
        assert_eq!(h.run(&["HINCRBYFLOAT", "h", "g", "0x10"]), "$2\r\n16\r\n");
        assert_eq!(
            h.run(&["HINCRBYFLOAT", "h", "g", "inf"]),
            "-ERR value is NaN or Infinity\r\n"
        );
        h.run(&["HSET", "h", "w", "abc"]);
        assert_eq!(
            h.run(&["HINCRBYFLOAT", "h", "w", "1"]),
            "-ERR hash value is not a float\r\n"
        );
        // Long double arithmetic, as Redis: three tenths make 0.3.
        for want in ["0.1", "0.2", "0.3"] {
            let r = h.run(&["HINCRBYFLOAT", "h", "t", "0.1"]);
            assert_eq!(r, format!("${}\r\n{want}\r\n", want.len()));
        }
    }

    #[test]
    fn each_write_logs_what_replays_to_the_same_hash() {
        let mut h = Harness::new();
        h.run(&["HSET", "h", "a", "1"]);
        assert_eq!(
            h.take_log(),
            "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\na\r\n$1\r\n1\r\n"
        );
        h.run(&["HSETNX", "h", "a", "2"]);
        h.run(&["HDEL", "h", "zz"]);
        h.run(&["HGET", "h", "a"]);
        assert_eq!(h.take_log(), "", "nothing changed, nothing logged");
        h.run(&["HINCRBY", "h", "a", "2"]);
        assert_eq!(
            h.take_log(),
            "*4\r\n$7\r\nHINCRBY\r\n$1\r\nh\r\n$1\r\na\r\n$1\r\n2\r\n"
        );
        h.run(&["HINCRBYFLOAT", "h", "a", "0.5"]);
        assert_eq!(
            h.take_log(),
            "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\na\r\n$3\r\n3.5\r\n"
        );
        h.run(&["HDEL", "h", "a"]);
        assert_eq!(h.take_log(), "*3\r\n$4\r\nHDEL\r\n$1\r\nh\r\n$1\r\na\r\n");
    }

    #[test]
    fn random_fields_follow_the_count_rules() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["HRANDFIELD", "h"]), "$-1\r\n");
        assert_eq!(h.run(&["HRANDFIELD", "h", "3"]), "*0\r\n");
        h.run(&["HSET", "h", "a", "1", "b", "2", "c", "3"]);
        assert!(h.run(&["HRANDFIELD", "h"]).starts_with("$1\r\n"));
        assert_eq!(h.run(&["HRANDFIELD", "h", "0"]), "*0\r\n");
        assert!(h.run(&["HRANDFIELD", "h", "2"]).starts_with("*2\r\n"));
        assert!(h.run(&["HRANDFIELD", "h", "10"]).starts_with("*3\r\n"));
        assert!(h.run(&["HRANDFIELD", "h", "-10"]).starts_with("*10\r\n"));
        assert!(h
            .run(&["HRANDFIELD", "h", "-5", "WITHVALUES"])
            .starts_with("*10\r\n"));
        assert!(h
            .run(&["HRANDFIELD", "h", "2", "withvalues"])
            .starts_with("*4\r\n"));
        assert_eq!(
            h.run(&["HRANDFIELD", "h", "1", "x"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run(&["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"]),
            "-ERR value is out of range\r\n"
        );
        assert_eq!(
            h.run(&["HRANDFIELD", "h", "-9223372036854775808"]),
            "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"
        );
    }

    #[test]
    fn hscan_visits_every_field_with_its_value() {
        let mut h = Harness::new();
        for i in 0..300 {
            h.run(&["HSET", "h", &format!("f{i}"), &format!("v{i}")]);
        }
        let mut cursor = "0".to_string();
        let mut seen = std::collections::HashMap::new();
        loop {
            let reply = h.run(&["HSCAN", "h", &cursor, "MATCH", "f1*", "COUNT", "20"]);
            let lines: Vec<&str> = reply.split("\r\n").collect();
            cursor = lines[2].to_string();
            let items: Vec<&str> = lines[4..].iter().skip(1).step_by(2).copied().collect();
            for pair in items.chunks(2).filter(|p| p.len() == 2) {
                seen.insert(pair[0].to_string(), pair[1].to_string());
            }
            if cursor == "0" {
                break;
            }
        }
        assert_eq!(seen.len(), 111, "f1, f10..f19, f100..f199");
        assert!(seen.iter().all(|(f, v)| f[1..] == v[1..]));
        assert_eq!(
            h.run(&["HSCAN", "nokey", "0", "COUNT", "0"]),
            "*2\r\n$1\r\n0\r\n*0\r\n"
        );
        assert_eq!(h.run(&["HSCAN", "h", "x"]), "-ERR invalid cursor\r\n");
        assert_eq!(
            h.run(&["HSCAN", "h", "0", "COUNT", "0"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run(&["HSCAN", "h", "0", "TYPE", "hash"]),
            "-ERR syntax error\r\n"
        );
    }
}
