//! String commands. Integers are strings that parse as 64-bit integers (`INCR` keeps a key's
//! expiry); a relative expiry (`EX`, `PX`) is logged as an absolute `PXAT`, as Redis does.

use crate::cmd::args::{self, is, NOT_INTEGER, SYNTAX};
use crate::cmd::{arity_error, Command, Ctx, DENYOOM, FAST, READONLY, WRITE};
use crate::store::bytes::Bytes;
use crate::store::value::{Value, WRONGTYPE};

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: get,
    },
    Command {
        name: "set",
        arity: -3,
        flags: WRITE | DENYOOM,
        keys: (1, 1, 1),
        run: set,
    },
    Command {
        name: "setnx",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: setnx,
    },
    Command {
        name: "setex",
        arity: 4,
        flags: WRITE | DENYOOM,
        keys: (1, 1, 1),
        run: setex,
    },
    Command {
        name: "psetex",
        arity: 4,
        flags: WRITE | DENYOOM,
        keys: (1, 1, 1),
        run: psetex,
    },
    Command {
        name: "getset",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: getset,
    },
    Command {
        name: "getdel",
        arity: 2,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: getdel,
    },
    Command {
        name: "getex",
        arity: -2,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: getex,
    },
    Command {
        name: "mget",
        arity: -2,
        flags: READONLY | FAST,
        keys: (1, -1, 1),
        run: mget,
    },
    Command {
        name: "mset",
        arity: -3,
        flags: WRITE | DENYOOM,
        keys: (1, -1, 2),
        run: mset,
    },
    Command {
        name: "msetnx",
        arity: -3,
        flags: WRITE | DENYOOM,
        keys: (1, -1, 2),
        run: msetnx,
    },
    Command {
        name: "incr",
        arity: 2,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: incr,
    },
    Command {
        name: "decr",
        arity: 2,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: decr,
    },
    Command {
        name: "incrby",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: incrby,
    },
    Command {
        name: "decrby",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: decrby,
    },
    Command {
        name: "incrbyfloat",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: incrbyfloat,
    },
    Command {
        name: "append",
        arity: 3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: append,
    },
    Command {
        name: "strlen",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: strlen,
    },
    Command {
        name: "getrange",
        arity: 4,
        flags: READONLY,
        keys: (1, 1, 1),
        run: getrange,
    },
    Command {
        name: "substr",
        arity: 4,
        flags: READONLY,
        keys: (1, 1, 1),
        run: getrange,
    },
    Command {
        name: "setrange",
        arity: 4,
        flags: WRITE | DENYOOM,
        keys: (1, 1, 1),
        run: setrange,
    },
];

/// The longest string SETRANGE and APPEND may build (`proto-max-bulk-len`'s default).
const MAX_STRING: usize = 512 * 1024 * 1024;

/// `key`'s string, `None` if absent; WRONGTYPE for another type.
fn read_str<'c>(ctx: &'c mut Ctx, key: &[u8]) -> Result<Option<&'c mut Bytes>, String> {
    let now = ctx.now;
    match ctx.db().read(key, now) {
        None => Ok(None),
        Some(Value::Str(s)) => Ok(Some(s)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

fn get(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    // The value is written straight from the store (the dataset and the reply are disjoint
    // parts of the context): no copy of it on the hottest path.
    match ctx.server.db.read(&a[1], ctx.now) {
        None => ctx.out.nil(),
        Some(Value::Str(s)) => ctx.out.bulk(s),
        Some(_) => return Err(WRONGTYPE.into()),
    }
    Ok(())
}

/// The expiry options of SET and GETEX.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expiry {
    None,
    /// An absolute time in ms.
    At(i64),
    KeepTtl,
    Persist,
}

/// Reads an `EX`/`PX`/`EXAT`/`PXAT` value into an absolute time; Redis's errors.
fn expiry_at(unit: &[u8], arg: &[u8], now: i64, cmd: &str) -> Result<i64, String> {
    let n = args::int(arg)?;
    let invalid = || format!("ERR invalid expire time in '{cmd}' command");
    if n <= 0 {
        return Err(invalid());
    }
    let ms = if is(unit, "ex") || is(unit, "exat") {
        n.checked_mul(1000).ok_or_else(invalid)?
    } else {
        n
    };
    if is(unit, "ex") || is(unit, "px") {
        ms.checked_add(now).ok_or_else(invalid)
    } else {
        Ok(ms)
    }
}

fn set(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let (mut nx, mut xx, mut want_get) = (false, false, false);
    let mut expiry = Expiry::None;
    let mut i = 3;
    while i < a.len() {
        let opt = &a[i];
        let has_value = i + 1 < a.len();
        if is(opt, "nx") && !xx {
            nx = true;
        } else if is(opt, "xx") && !nx {
            xx = true;
        } else if is(opt, "get") {
            want_get = true;
        } else if is(opt, "keepttl") && expiry == Expiry::None {
            expiry = Expiry::KeepTtl;
        } else if ["ex", "px", "exat", "pxat"].iter().any(|w| is(opt, w))
            && expiry == Expiry::None
            && has_value
        {
            expiry = Expiry::At(expiry_at(opt, &a[i + 1], ctx.now, "set")?);
            i += 1;
        } else {
            return Err(SYNTAX.into());
        }
        i += 1;
    }
    let key = &a[1];
    let old = if want_get {
        read_str(ctx, key)?.map(|s| s.clone())
    } else {
        None
    };
    let now = ctx.now;
    // The common SET (no condition, no old value, no KEEPTTL) looks its key up once, in
    // `set_live`; the others look first.
    let plain = !nx && !xx && !want_get && expiry != Expiry::KeepTtl;
    let exists = !plain && ctx.db().contains(key, now);
    if (nx && exists) || (xx && !exists) {
        if want_get {
            ctx.out.bulk_or_nil(old.as_deref());
        } else {
            ctx.out.nil();
        }
        return Ok(());
    }
    let keep = match expiry {
        Expiry::KeepTtl => ctx.db().get_mut(key, now).and_then(|e| e.expire_at()),
        Expiry::At(t) => Some(t),
        _ => None,
    };
    let value = Value::Str(a[2].clone().into());
    if plain {
        ctx.db().set_live(key, value, keep, now);
    } else {
        ctx.db().set(key, value, keep);
    }
    if let Expiry::At(t) = expiry {
        ctx.log_as(vec![
            b"SET".to_vec(),
            key.clone(),
            a[2].clone(),
            b"PXAT".to_vec(),
            t.to_string().into_bytes(),
        ]);
    } else {
        ctx.changed();
    }
    if want_get {
        ctx.out.bulk_or_nil(old.as_deref());
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn setnx(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    if ctx.db().contains(&a[1], now) {
        ctx.out.int(0);
    } else {
        ctx.db().set(&a[1], Value::Str(a[2].clone().into()), None);
        ctx.changed();
        ctx.out.int(1);
    }
    Ok(())
}

fn set_with_expiry(ctx: &mut Ctx, a: &[Vec<u8>], unit: &[u8], name: &str) -> Result<(), String> {
    let at = expiry_at(unit, &a[2], ctx.now, name)?;
    ctx.db()
        .set(&a[1], Value::Str(a[3].clone().into()), Some(at));
    ctx.log_as(vec![
        b"SET".to_vec(),
        a[1].clone(),
        a[3].clone(),
        b"PXAT".to_vec(),
        at.to_string().into_bytes(),
    ]);
    ctx.out.ok();
    Ok(())
}

fn setex(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    set_with_expiry(ctx, a, b"ex", "setex")
}

fn psetex(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    set_with_expiry(ctx, a, b"px", "psetex")
}

fn getset(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let old = read_str(ctx, &a[1])?.map(|s| s.clone());
    ctx.db().set(&a[1], Value::Str(a[2].clone().into()), None);
    ctx.changed();
    ctx.out.bulk_or_nil(old.as_deref());
    Ok(())
}

fn getdel(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let old = read_str(ctx, &a[1])?.map(|s| s.clone());
    if old.is_some() {
        ctx.db().remove(&a[1]);
        ctx.log_as(vec![b"DEL".to_vec(), a[1].clone()]);
    }
    ctx.out.bulk_or_nil(old.as_deref());
    Ok(())
}

fn getex(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let mut expiry = Expiry::None;
    let mut i = 2;
    while i < a.len() {
        let opt = &a[i];
        if ["ex", "px", "exat", "pxat"].iter().any(|w| is(opt, w))
            && expiry == Expiry::None
            && i + 1 < a.len()
        {
            expiry = Expiry::At(expiry_at(opt, &a[i + 1], ctx.now, "getex")?);
            i += 1;
        } else if is(opt, "persist") && expiry == Expiry::None {
            expiry = Expiry::Persist;
        } else {
            return Err(SYNTAX.into());
        }
        i += 1;
    }
    let key = &a[1];
    let Some(value) = read_str(ctx, key)?.map(|s| s.clone()) else {
        ctx.out.nil();
        return Ok(());
    };
    let now = ctx.now;
    match expiry {
        Expiry::At(t) if t <= now => {
            ctx.db().remove(key);
            ctx.log_as(vec![b"DEL".to_vec(), key.clone()]);
        }
        Expiry::At(t) => {
            ctx.db().set_expire(key, Some(t));
            ctx.log_as(vec![
                b"PEXPIREAT".to_vec(),
                key.clone(),
                t.to_string().into_bytes(),
            ]);
        }
        Expiry::Persist
            if ctx
                .db()
                .get_mut(key, now)
                .is_some_and(|e| e.expire_at().is_some()) =>
        {
            ctx.db().set_expire(key, None);
            ctx.log_as(vec![b"PERSIST".to_vec(), key.clone()]);
        }
        _ => {}
    }
    ctx.out.bulk(&value);
    Ok(())
}

fn mget(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    ctx.out.array(a.len() - 1);
    let now = ctx.now;
    for key in &a[1..] {
        match ctx.server.db.read(key, now) {
            Some(Value::Str(s)) => ctx.out.bulk(s),
            _ => ctx.out.nil(),
        }
    }
    Ok(())
}

fn mset_pairs(a: &[Vec<u8>], name: &str) -> Result<(), String> {
    if a.len() % 2 == 0 {
        return Err(arity_error(name));
    }
    Ok(())
}

fn mset(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    mset_pairs(a, "mset")?;
    for pair in a[1..].chunks(2) {
        ctx.db()
            .set(&pair[0], Value::Str(pair[1].clone().into()), None);
    }
    ctx.changed();
    ctx.out.ok();
    Ok(())
}

fn msetnx(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    mset_pairs(a, "msetnx")?;
    let now = ctx.now;
    if a[1..]
        .chunks(2)
        .any(|pair| ctx.server.db.contains(&pair[0], now))
    {
        ctx.out.int(0);
        return Ok(());
    }
    for pair in a[1..].chunks(2) {
        ctx.db()
            .set(&pair[0], Value::Str(pair[1].clone().into()), None);
    }
    ctx.changed();
    ctx.out.int(1);
    Ok(())
}

/// Adds `by` to the integer at `key` (0 if absent), keeping its expiry.
fn add(ctx: &mut Ctx, key: &[u8], by: i64) -> Result<(), String> {
    let overflow = "ERR increment or decrement would overflow";
    let mut digits = itoa::Buffer::new();
    // One lookup: an existing string is replaced where it is (its expiry kept).
    let n = match read_str(ctx, key)? {
        Some(s) => {
            let current = crate::resp::request::parse_i64(s).ok_or(NOT_INTEGER)?;
            let n = current.checked_add(by).ok_or(overflow)?;
            *s = digits.format(n).as_bytes().into();
            n
        }
        None => {
            ctx.db()
                .set(key, Value::Str(digits.format(by).as_bytes().into()), None);
            by
        }
    };
    ctx.changed();
    ctx.out.int(n);
    Ok(())
}

fn incr(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    add(ctx, &a[1], 1)
}

fn decr(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    add(ctx, &a[1], -1)
}

fn incrby(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let by = args::int(&a[2])?;
    add(ctx, &a[1], by)
}

fn decrby(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let by = args::int(&a[2])?;
    if by == i64::MIN {
        return Err("ERR decrement would overflow".into());
    }
    add(ctx, &a[1], -by)
}

fn incrbyfloat(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    // Redis's order: the key's type, its value, then the increment.
    let current = match read_str(ctx, &a[1])? {
        Some(s) => args::long_double(s)?,
        None => Default::default(),
    };
    let n = current.add(args::long_double(&a[2])?);
    if !n.is_finite() {
        return Err("ERR increment would produce NaN or Infinity".into());
    }
    let text = n.to_human().into_bytes();
    let now = ctx.now;
    match ctx.db().get_mut(&a[1], now) {
        Some(e) => e.value = Value::Str(text.clone().into()),
        None => ctx.db().set(&a[1], Value::Str(text.clone().into()), None),
    }
    // Logged as the value it produced, so a replay cannot round differently.
    ctx.log_as(vec![
        b"SET".to_vec(),
        a[1].clone(),
        text.clone(),
        b"KEEPTTL".to_vec(),
    ]);
    ctx.out.bulk(&text);
    Ok(())
}

fn append(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let len = match read_str(ctx, &a[1])? {
        Some(s) => {
            if s.len() + a[2].len() > MAX_STRING {
                return Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into());
            }
            s.extend_from_slice(&a[2]);
            s.len()
        }
        None => {
            ctx.db().set(&a[1], Value::Str(a[2].clone().into()), None);
            a[2].len()
        }
    };
    ctx.changed();
    ctx.out.int(len as i64);
    Ok(())
}

fn strlen(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let len = read_str(ctx, &a[1])?.map_or(0, |s| s.len());
    ctx.out.int(len as i64);
    Ok(())
}

/// Redis's range of `len` bytes for `start..=end` with negative indexes from the end.
pub(crate) fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if end < 0 {
        end = 0;
    }
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return None;
    }
    Some((start as usize, end as usize))
}

fn getrange(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let (start, end) = (args::int(&a[2])?, args::int(&a[3])?);
    let s = read_str(ctx, &a[1])?.map(|s| s.clone()).unwrap_or_default();
    // Redis: both negative and start > end → empty, before clamping.
    if start < 0 && end < 0 && start > end {
        ctx.out.bulk(b"");
        return Ok(());
    }
    match clamp_range(start, end, s.len()) {
        Some((from, to)) => ctx.out.bulk(&s[from..=to]),
        None => ctx.out.bulk(b""),
    }
    Ok(())
}

fn setrange(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let offset = args::int(&a[2])?;
    if offset < 0 {
        return Err("ERR offset is out of range".into());
    }
    let value = &a[3];
    let offset = offset as usize;
    let exists = read_str(ctx, &a[1])?.is_some();
    if value.is_empty() {
        let len = read_str(ctx, &a[1])?.map_or(0, |s| s.len());
        ctx.out.int(len as i64);
        return Ok(());
    }
    if offset + value.len() > MAX_STRING {
        return Err("ERR string exceeds maximum allowed size (proto-max-bulk-len)".into());
    }
    if !exists {
        ctx.db().set(&a[1], Value::Str(Bytes::default()), None);
    }
    let Some(s) = read_str(ctx, &a[1])? else {
        return Ok(());
    };
    if s.len() < offset + value.len() {
        s.resize(offset + value.len(), 0);
    }
    s[offset..offset + value.len()].copy_from_slice(value);
    let len = s.len();
    ctx.changed();
    ctx.out.int(len as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;

    #[test]
    fn set_and_get_with_options() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["SET", "k", "v"]), "+OK\r\n");
        assert_eq!(h.run(&["GET", "k"]), "$1\r\nv\r\n");
        assert_eq!(h.run(&["SET", "k", "w", "NX"]), "$-1\r\n");
        assert_eq!(h.run(&["SET", "k", "w", "XX", "GET"]), "$1\r\nv\r\n");
        assert_eq!(h.run(&["SET", "n", "w", "XX"]), "$-1\r\n");
        assert_eq!(
            h.run(&["SET", "k", "w", "NX", "XX"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(
            h.run(&["SET", "k", "w", "EX", "10", "PX", "5"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run(&["SET", "k", "w", "EX"]), "-ERR syntax error\r\n");
        assert_eq!(
            h.run(&["SET", "k", "w", "EX", "0"]),
            "-ERR invalid expire time in 'set' command\r\n"
        );
        assert_eq!(
            h.run(&["SET", "k", "w", "EX", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run(&["GET", "k"]), "$1\r\nw\r\n");
    }

    #[test]
    fn relative_expiries_are_logged_as_absolute_times() {
        let mut h = Harness::new();
        h.take_log();
        h.run(&["SET", "k", "v", "EX", "100"]);
        let log = h.take_log();
        assert!(
            log.starts_with("*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n$4\r\nPXAT\r\n$13\r\n"),
            "{log:?}"
        );
        h.run(&["GET", "k"]);
        assert_eq!(h.take_log(), "", "reads are not logged");
        h.run(&["SET", "k", "v", "NX"]);
        assert_eq!(h.take_log(), "", "a SET that did nothing is not logged");
    }

    #[test]
    fn counters_overflow_and_type_errors_as_redis() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["INCR", "c"]), ":1\r\n");
        assert_eq!(h.run(&["INCRBY", "c", "41"]), ":42\r\n");
        assert_eq!(h.run(&["DECRBY", "c", "2"]), ":40\r\n");
        assert_eq!(h.run(&["SET", "c", "9223372036854775807"]), "+OK\r\n");
        assert_eq!(
            h.run(&["INCR", "c"]),
            "-ERR increment or decrement would overflow\r\n"
        );
        assert_eq!(h.run(&["SET", "c", "1.5"]), "+OK\r\n");
        assert_eq!(
            h.run(&["INCR", "c"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run(&["INCRBYFLOAT", "c", "0.25"]), "$4\r\n1.75\r\n");
        assert_eq!(
            h.run(&["INCRBYFLOAT", "c", "x"]),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(
            h.run(&["DECRBY", "c", "-9223372036854775808"]),
            "-ERR decrement would overflow\r\n"
        );
    }

    #[test]
    fn incrbyfloat_computes_in_long_double_as_redis() {
        let mut h = Harness::new();
        // f64 would say 0.30000000000000004.
        assert_eq!(h.run(&["INCRBYFLOAT", "f", "0.1"]), "$3\r\n0.1\r\n");
        assert_eq!(h.run(&["INCRBYFLOAT", "f", "0.2"]), "$3\r\n0.3\r\n");
        assert_eq!(h.run(&["INCRBYFLOAT", "x", "0x10"]), "$2\r\n16\r\n");
        assert_eq!(h.run(&["INCRBYFLOAT", "y", "1e-20"]), "$1\r\n0\r\n");
        assert_eq!(
            h.run(&["INCRBYFLOAT", "z", "infinity"]),
            "-ERR increment would produce NaN or Infinity\r\n"
        );
        assert_eq!(
            h.run(&["INCRBYFLOAT", "z", "1e5000"]),
            "-ERR value is not a valid float\r\n"
        );
        h.run(&["HSET", "l", "a", "1"]);
        assert_eq!(
            h.run(&["INCRBYFLOAT", "l", "x"]),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            "the type is checked before the increment"
        );
    }

    #[test]
    fn ranges_append_and_setrange() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["APPEND", "s", "Hello"]), ":5\r\n");
        assert_eq!(h.run(&["APPEND", "s", " World"]), ":11\r\n");
        assert_eq!(h.run(&["GETRANGE", "s", "0", "4"]), "$5\r\nHello\r\n");
        assert_eq!(h.run(&["GETRANGE", "s", "-5", "-1"]), "$5\r\nWorld\r\n");
        assert_eq!(h.run(&["GETRANGE", "s", "5", "1"]), "$0\r\n\r\n");
        assert_eq!(
            h.run(&["GETRANGE", "s", "0", "100"]),
            "$11\r\nHello World\r\n"
        );
        assert_eq!(h.run(&["SETRANGE", "s", "6", "Redis"]), ":11\r\n");
        assert_eq!(h.run(&["SETRANGE", "z", "3", "x"]), ":4\r\n");
        assert_eq!(h.run(&["GET", "z"]), "$4\r\n\0\0\0x\r\n");
        assert_eq!(
            h.run(&["SETRANGE", "z", "-1", "x"]),
            "-ERR offset is out of range\r\n"
        );
        assert_eq!(h.run(&["STRLEN", "s"]), ":11\r\n");
    }

    #[test]
    fn multi_key_string_commands() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["MSET", "a", "1", "b", "2"]), "+OK\r\n");
        assert_eq!(
            h.run(&["MSET", "a", "1", "b"]),
            "-ERR wrong number of arguments for 'mset' command\r\n"
        );
        assert_eq!(
            h.run(&["MGET", "a", "x", "b"]),
            "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"
        );
        assert_eq!(h.run(&["MSETNX", "a", "3", "c", "4"]), ":0\r\n");
        assert_eq!(h.run(&["MSETNX", "c", "3", "d", "4"]), ":1\r\n");
        assert_eq!(h.run(&["GETDEL", "c"]), "$1\r\n3\r\n");
        assert_eq!(h.run(&["GETDEL", "c"]), "$-1\r\n");
        assert_eq!(h.run(&["GETSET", "d", "5"]), "$1\r\n4\r\n");
    }
}
