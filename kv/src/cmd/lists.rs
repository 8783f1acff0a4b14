//! List commands: a double-ended queue of strings under one key. A list left without
//! elements is deleted. Every write here is deterministic, so each is logged as received.

use crate::cmd::args::{self, is, SYNTAX};
use crate::cmd::{arity_error, Command, Ctx, DENYOOM, FAST, READONLY, WRITE};
use crate::store::value::{Value, WRONGTYPE};
use crate::store::Db;
use std::collections::VecDeque;

pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "lpush",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: lpush,
    },
    Command {
        name: "rpush",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: rpush,
    },
    Command {
        name: "lpushx",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: lpushx,
    },
    Command {
        name: "rpushx",
        arity: -3,
        flags: WRITE | DENYOOM | FAST,
        keys: (1, 1, 1),
        run: rpushx,
    },
    Command {
        name: "lpop",
        arity: -2,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: lpop,
    },
    Command {
        name: "rpop",
        arity: -2,
        flags: WRITE | FAST,
        keys: (1, 1, 1),
        run: rpop,
    },
    Command {
        name: "lrange",
        arity: 4,
        flags: READONLY,
        keys: (1, 1, 1),
        run: lrange,
    },
    Command {
        name: "llen",
        arity: 2,
        flags: READONLY | FAST,
        keys: (1, 1, 1),
        run: llen,
    },
    Command {
        name: "lindex",
        arity: 3,
        flags: READONLY,
        keys: (1, 1, 1),
        run: lindex,
    },
    Command {
        name: "lset",
        arity: 4,
        flags: WRITE | DENYOOM,
        keys: (1, 1, 1),
        run: lset,
    },
    Command {
        name: "ltrim",
        arity: 4,
        flags: WRITE,
        keys: (1, 1, 1),
        run: ltrim,
    },
    Command {
        name: "lrem",
        arity: 4,
        flags: WRITE,
        keys: (1, 1, 1),
        run: lrem,
    },
    Command {
        name: "linsert",
        arity: 5,
        flags: WRITE | DENYOOM,
        keys: (1, 1, 1),
        run: linsert,
    },
    Command {
        name: "lpos",
        arity: -3,
        flags: READONLY,
        keys: (1, 1, 1),
        run: lpos,
    },
    Command {
        name: "lmove",
        arity: 5,
        flags: WRITE | DENYOOM,
        keys: (1, 2, 1),
        run: lmove,
    },
    Command {
        name: "rpoplpush",
        arity: 3,
        flags: WRITE | DENYOOM,
        keys: (1, 2, 1),
        run: rpoplpush,
    },
];

type List = VecDeque<Vec<u8>>;

fn typed(v: Option<&mut Value>) -> Result<Option<&mut List>, String> {
    match v {
        None => Ok(None),
        Some(Value::List(l)) => Ok(Some(l)),
        Some(_) => Err(WRONGTYPE.into()),
    }
}

/// `key`'s list for a read (counted as a hit or a miss); WRONGTYPE for another type.
fn read<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<Option<&'d mut List>, String> {
    typed(db.read(key, now))
}

/// `key`'s list for a write.
fn write<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<Option<&'d mut List>, String> {
    typed(db.get_mut(key, now).map(|e| &mut e.value))
}

/// `key`'s list, created empty if absent (the caller adds to it at once).
fn write_or_create<'d>(db: &'d mut Db, key: &[u8], now: i64) -> Result<&'d mut List, String> {
    let entry = db.get_or_create(key, now, || Value::List(Box::default()));
    typed(Some(&mut entry.value))?.ok_or_else(|| WRONGTYPE.to_string())
}

/// A side of a list: `LEFT` (the head) or `RIGHT` (the tail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Left,
    Right,
}

fn push_at(list: &mut List, end: End, value: Vec<u8>) {
    match end {
        End::Left => list.push_front(value),
        End::Right => list.push_back(value),
    }
}

fn pop_at(list: &mut List, end: End) -> Option<Vec<u8>> {
    match end {
        End::Left => list.pop_front(),
        End::Right => list.pop_back(),
    }
}

/// LPUSH, RPUSH, and with `only_existing` LPUSHX, RPUSHX: the list's new length.
fn push(ctx: &mut Ctx, a: &[Vec<u8>], end: End, only_existing: bool) -> Result<(), String> {
    let now = ctx.now;
    let db = &mut ctx.server.db;
    let list = if only_existing {
        match write(db, &a[1], now)? {
            Some(l) => l,
            None => {
                ctx.out.int(0);
                return Ok(());
            }
        }
    } else {
        write_or_create(db, &a[1], now)?
    };
    for v in &a[2..] {
        push_at(list, end, v.clone());
    }
    let len = list.len();
    ctx.changed();
    ctx.out.int(len as i64);
    Ok(())
}

fn lpush(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    push(ctx, a, End::Left, false)
}

fn rpush(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    push(ctx, a, End::Right, false)
}

fn lpushx(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    push(ctx, a, End::Left, true)
}

fn rpushx(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    push(ctx, a, End::Right, true)
}

/// Redis's reading of a count that must not be negative, with its own error for both a
/// negative number and something that is not a number.
fn positive(arg: &[u8], msg: &str) -> Result<usize, String> {
    match args::int(arg) {
        Ok(n) if n >= 0 => Ok(n as usize),
        _ => Err(format!("ERR {msg}")),
    }
}

/// LPOP and RPOP. Without a count: one element, or nil. With one: an array of up to `count`
/// elements, a nil array for no key, an empty array for a count of 0.
fn pop(ctx: &mut Ctx, a: &[Vec<u8>], end: End) -> Result<(), String> {
    let count = match a.len() {
        2 => None,
        3 => Some(positive(&a[2], "value is out of range, must be positive")?),
        _ => return Err(arity_error(if end == End::Left { "lpop" } else { "rpop" })),
    };
    let now = ctx.now;
    let Some(list) = write(&mut ctx.server.db, &a[1], now)? else {
        match count {
            None => ctx.out.nil(),
            Some(_) => ctx.out.nil_array(),
        }
        return Ok(());
    };
    match count {
        None => {
            let v = pop_at(list, end);
            ctx.out.bulk_or_nil(v.as_deref());
        }
        Some(0) => {
            ctx.out.array(0);
            return Ok(());
        }
        Some(n) => {
            let n = n.min(list.len());
            ctx.out.array(n);
            for _ in 0..n {
                if let Some(v) = pop_at(list, end) {
                    ctx.out.bulk(&v);
                }
            }
        }
    }
    ctx.db().drop_if_empty(&a[1]);
    ctx.changed();
    Ok(())
}

fn lpop(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    pop(ctx, a, End::Left)
}

fn rpop(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    pop(ctx, a, End::Right)
}

/// LRANGE's (and LTRIM's) indexes made positive: `start..=end` within `len`, or `None` for
/// an empty range.
fn range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

fn lrange(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let (start, end) = (args::int(&a[2])?, args::int(&a[3])?);
    let now = ctx.now;
    let list = read(&mut ctx.server.db, &a[1], now)?;
    match list.and_then(|l| Some((range(start, end, l.len())?, l))) {
        None => ctx.out.array(0),
        Some(((from, to), l)) => {
            ctx.out.array(to - from + 1);
            for v in l.range(from..=to) {
                ctx.out.bulk(v);
            }
        }
    }
    Ok(())
}

fn llen(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let n = read(&mut ctx.server.db, &a[1], now)?.map_or(0, |l| l.len());
    ctx.out.int(n as i64);
    Ok(())
}

/// A position counted from the head, or from the tail when negative.
fn position(index: i64, len: usize) -> Option<usize> {
    let i = if index < 0 { len as i64 + index } else { index };
    (0..len as i64).contains(&i).then_some(i as usize)
}

fn lindex(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    // The key first, then the index: an absent key is nil whatever the index says.
    let Some(list) = read(&mut ctx.server.db, &a[1], now)? else {
        ctx.out.nil();
        return Ok(());
    };
    let index = args::int(&a[2])?;
    let v = position(index, list.len()).and_then(|i| list.get(i));
    ctx.out.bulk_or_nil(v.map(Vec::as_slice));
    Ok(())
}

fn lset(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let now = ctx.now;
    let list = write(&mut ctx.server.db, &a[1], now)?.ok_or("ERR no such key")?;
    let index = args::int(&a[2])?;
    let i = position(index, list.len()).ok_or("ERR index out of range")?;
    list[i] = a[3].clone();
    ctx.changed();
    ctx.out.ok();
    Ok(())
}

fn ltrim(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let (start, end) = (args::int(&a[2])?, args::int(&a[3])?);
    let now = ctx.now;
    if let Some(list) = write(&mut ctx.server.db, &a[1], now)? {
        let before = list.len();
        match range(start, end, before) {
            None => list.clear(),
            Some((from, to)) => {
                list.truncate(to + 1);
                list.drain(..from);
            }
        }
        if list.len() != before {
            ctx.db().drop_if_empty(&a[1]);
            ctx.changed();
        }
    }
    ctx.out.ok();
    Ok(())
}

fn lrem(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let count = args::int(&a[2])?;
    let now = ctx.now;
    let Some(list) = write(&mut ctx.server.db, &a[1], now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let target = &a[3];
    // 0: every match; N > 0: the first N from the head; N < 0: the first |N| from the tail.
    let limit = if count == 0 {
        usize::MAX
    } else {
        count.unsigned_abs() as usize
    };
    let mut removed = 0;
    let mut kept = VecDeque::with_capacity(list.len());
    let from_tail = count < 0;
    let mut take = |v: Vec<u8>, kept: &mut List| {
        if removed < limit && v == *target {
            removed += 1;
        } else if from_tail {
            kept.push_front(v);
        } else {
            kept.push_back(v);
        }
    };
    if from_tail {
        while let Some(v) = list.pop_back() {
            take(v, &mut kept);
        }
    } else {
        while let Some(v) = list.pop_front() {
            take(v, &mut kept);
        }
    }
    *list = kept;
    if removed > 0 {
        ctx.db().drop_if_empty(&a[1]);
        ctx.changed();
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn linsert(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let after = if is(&a[2], "after") {
        true
    } else if is(&a[2], "before") {
        false
    } else {
        return Err(SYNTAX.into());
    };
    let now = ctx.now;
    let Some(list) = write(&mut ctx.server.db, &a[1], now)? else {
        ctx.out.int(0);
        return Ok(());
    };
    let Some(i) = list.iter().position(|v| *v == a[3]) else {
        ctx.out.int(-1);
        return Ok(());
    };
    list.insert(if after { i + 1 } else { i }, a[4].clone());
    let len = list.len();
    ctx.changed();
    ctx.out.int(len as i64);
    Ok(())
}

fn lpos(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0usize);
    let mut i = 3;
    while i < a.len() {
        let has_value = i + 1 < a.len();
        if is(&a[i], "rank") && has_value {
            rank = args::int(&a[i + 1])?;
            if rank == 0 {
                return Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list".into());
            }
        } else if is(&a[i], "count") && has_value {
            count = Some(positive(&a[i + 1], "COUNT can't be negative")?);
        } else if is(&a[i], "maxlen") && has_value {
            maxlen = positive(&a[i + 1], "MAXLEN can't be negative")?;
        } else {
            return Err(SYNTAX.into());
        }
        i += 2;
    }
    let now = ctx.now;
    let Some(list) = read(&mut ctx.server.db, &a[1], now)? else {
        match count {
            Some(_) => ctx.out.array(0),
            None => ctx.out.nil(),
        }
        return Ok(());
    };
    // A negative rank searches from the tail. (Redis negates it in a C long: the lowest
    // rank stays negative and so means "the first match", and is answered the same here.)
    let from_tail = rank < 0;
    let skip = if rank == i64::MIN {
        0
    } else {
        rank.unsigned_abs() - 1
    };
    let len = list.len();
    let scanned = if maxlen == 0 { len } else { maxlen.min(len) };
    let indexes: Box<dyn Iterator<Item = usize>> = if from_tail {
        Box::new((0..len).rev().take(scanned))
    } else {
        Box::new((0..len).take(scanned))
    };
    let wanted = match count {
        None => 1,
        Some(0) => usize::MAX,
        Some(n) => n,
    };
    let found: Vec<usize> = indexes
        .filter(|&i| list[i] == a[2])
        .skip(usize::try_from(skip).unwrap_or(usize::MAX))
        .take(wanted)
        .collect();
    match count {
        Some(_) => {
            ctx.out.array(found.len());
            for i in found {
                ctx.out.int(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => ctx.out.int(i as i64),
            None => ctx.out.nil(),
        },
    }
    Ok(())
}

fn end_arg(arg: &[u8]) -> Result<End, String> {
    if is(arg, "left") {
        Ok(End::Left)
    } else if is(arg, "right") {
        Ok(End::Right)
    } else {
        Err(SYNTAX.into())
    }
}

/// LMOVE and RPOPLPUSH: pops from `a[1]`'s `from` end, pushes at `a[2]`'s `to` end (the same
/// list may be both: a rotation). Nil for no source.
fn move_element(ctx: &mut Ctx, a: &[Vec<u8>], from: End, to: End) -> Result<(), String> {
    let now = ctx.now;
    let db = &mut ctx.server.db;
    if write(db, &a[1], now)?.is_none() {
        ctx.out.nil();
        return Ok(());
    }
    write(db, &a[2], now)?; // the destination's type, before anything moves
    let Some(v) = write(db, &a[1], now)?.and_then(|l| pop_at(l, from)) else {
        ctx.out.nil();
        return Ok(());
    };
    if a[1] == a[2] {
        // A rotation within one list: the key (and its expiry) stays, even with one element.
        if let Some(list) = write(db, &a[1], now)? {
            push_at(list, to, v.clone());
        }
    } else {
        db.drop_if_empty(&a[1]);
        push_at(write_or_create(db, &a[2], now)?, to, v.clone());
    }
    ctx.changed();
    ctx.out.bulk(&v);
    Ok(())
}

fn lmove(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    let from = end_arg(&a[3])?;
    let to = end_arg(&a[4])?;
    move_element(ctx, a, from, to)
}

fn rpoplpush(ctx: &mut Ctx, a: &[Vec<u8>]) -> Result<(), String> {
    move_element(ctx, a, End::Right, End::Left)
}

#[cfg(test)]
mod tests {
    use crate::cmd::testing::Harness;

    const WRONGTYPE: &str =
        "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";

    #[test]
    fn push_pop_and_the_key_goes_with_its_last_element() {
        let mut h = Harness::new();
        assert_eq!(h.run(&["RPUSH", "l", "a", "b"]), ":2\r\n");
        assert_eq!(h.run(&["LPUSH", "l", "x", "y"]), ":4\r\n");
        assert_eq!(
            h.run(&["LRANGE", "l", "0", "-1"]),
            "*4\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(h.run(&["LPUSHX", "nol", "a"]), ":0\r\n");
        assert_eq!(h.run(&["RPUSHX", "l", "c"]), ":5\r\n");
        assert_eq!(h.run(&["LPOP", "l"]), "$1\r\ny\r\n");
        assert_eq!(h.run(&["RPOP", "l"]), "$1\r\nc\r\n");
        assert_eq!(h.run(&["LPOP", "l", "0"]), "*0\r\n");
        assert_eq!(h.run(&["LPOP", "l", "2"]), "*2\r\n$1\r\nx\r\n$1\r\na\r\n");
        assert_eq!(h.run(&["RPOP", "l", "10"]), "*1\r\n$1\r\nb\r\n");
        assert_eq!(h.run(&["EXISTS", "l"]), ":0\r\n");
        assert_eq!(h.run(&["LPOP", "l"]), "$-1\r\n");
        assert_eq!(
            h.run(&["LPOP", "l", "2"]),
            "*-1\r\n",
            "a nil array for no key"
        );
        assert_eq!(h.run(&["LPOP", "l", "0"]), "*-1\r\n");
        assert_eq!(
            h.run(&["LPOP", "l", "-1"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            h.run(&["LPOP", "l", "x"]),
            "-ERR value is out of range, must be positive\r\n"
        );
        assert_eq!(
            h.run(&["LPOP", "l", "1", "2"]),
            "-ERR wrong number of arguments for 'lpop' command\r\n"
        );
    }

    #[test]
    fn ranges_indexes_and_trims_with_negative_positions() {
        let mut h = Harness::new();
        h.run(&["RPUSH", "l", "a", "b", "c", "d", "e"]);
        assert_eq!(
            h.run(&["LRANGE", "l", "-2", "100"]),
            "*2\r\n$1\r\nd\r\n$1\r\ne\r\n"
        );
        assert_eq!(h.run(&["LRANGE", "l", "3", "1"]), "*0\r\n");
        assert_eq!(h.run(&["LRANGE", "l", "-100", "0"]), "*1\r\n$1\r\na\r\n");
        assert_eq!(h.run(&["LRANGE", "nol", "0", "-1"]), "*0\r\n");
        assert_eq!(
            h.run(&["LRANGE", "l", "x", "1"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run(&["LLEN", "l"]), ":5\r\n");
        assert_eq!(h.run(&["LINDEX", "l", "-1"]), "$1\r\ne\r\n");
        assert_eq!(h.run(&["LINDEX", "l", "5"]), "$-1\r\n");
        assert_eq!(h.run(&["LINDEX", "nol", "x"]), "$-1\r\n");
        assert_eq!(
            h.run(&["LINDEX", "l", "x"]),
            "-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(h.run(&["LSET", "l", "-1", "E"]), "+OK\r\n");
        assert_eq!(
            h.run(&["LSET", "l", "5", "E"]),
            "-ERR index out of range\r\n"
        );
        assert_eq!(h.run(&["LSET", "nol", "0", "E"]), "-ERR no such key\r\n");
        assert_eq!(h.run(&["LTRIM", "l", "1", "-2"]), "+OK\r\n");
        assert_eq!(
            h.run(&["LRANGE", "l", "0", "-1"]),
            "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"
        );
        assert_eq!(h.run(&["LTRIM", "l", "5", "10"]), "+OK\r\n");
        assert_eq!(h.run(&["EXISTS", "l"]), ":0\r\n");
        assert_eq!(h.run(&["LTRIM", "nol", "0", "1"]), "+OK\r\n");
    }

    #[test]
    fn remove_insert_and_positions() {
        let mut h = Harness::new();
        h.run(&["RPUSH", "l", "a", "b", "a", "c", "a"]);
        assert_eq!(h.run(&["LREM", "l", "-2", "a"]), ":2\r\n");
        assert_eq!(
            h.run(&["LRANGE", "l", "0", "-1"]),
            "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"
        );
        assert_eq!(h.run(&["LINSERT", "l", "AFTER", "b", "x"]), ":4\r\n");
        assert_eq!(h.run(&["LINSERT", "l", "before", "a", "y"]), ":5\r\n");
        assert_eq!(h.run(&["LINSERT", "l", "before", "zz", "y"]), ":-1\r\n");
        assert_eq!(h.run(&["LINSERT", "nol", "before", "a", "y"]), ":0\r\n");
        assert_eq!(
            h.run(&["LINSERT", "l", "middle", "a", "y"]),
            "-ERR syntax error\r\n"
        );
        // y a b x c
        h.run(&["RPUSH", "l", "a", "b", "a"]); // y a b x c a b a
        assert_eq!(h.run(&["LPOS", "l", "a"]), ":1\r\n");
        assert_eq!(h.run(&["LPOS", "l", "a", "RANK", "2"]), ":5\r\n");
        assert_eq!(h.run(&["LPOS", "l", "a", "RANK", "-1"]), ":7\r\n");
        assert_eq!(
            h.run(&["LPOS", "l", "a", "COUNT", "0"]),
            "*3\r\n:1\r\n:5\r\n:7\r\n"
        );
        assert_eq!(
            h.run(&["LPOS", "l", "a", "RANK", "-2", "COUNT", "5"]),
            "*2\r\n:5\r\n:1\r\n"
        );
        assert_eq!(h.run(&["LPOS", "l", "a", "MAXLEN", "1"]), "$-1\r\n");
        assert_eq!(h.run(&["LPOS", "l", "zz", "COUNT", "1"]), "*0\r\n");
        assert_eq!(h.run(&["LPOS", "nol", "a"]), "$-1\r\n");
        assert_eq!(h.run(&["LPOS", "nol", "a", "COUNT", "0"]), "*0\r\n");
        assert_eq!(
            h.run(&["LPOS", "l", "a", "RANK", "-9223372036854775808"]),
            ":7\r\n"
        );
        assert!(h
            .run(&["LPOS", "l", "a", "RANK", "0"])
            .starts_with("-ERR RANK can't be zero"));
        assert_eq!(
            h.run(&["LPOS", "l", "a", "COUNT", "-1"]),
            "-ERR COUNT can't be negative\r\n"
        );
        assert_eq!(
            h.run(&["LPOS", "l", "a", "MAXLEN", "x"]),
            "-ERR MAXLEN can't be negative\r\n"
        );
        assert_eq!(h.run(&["LPOS", "l", "a", "RANK"]), "-ERR syntax error\r\n");
    }

    #[test]
    fn moves_between_lists_and_rotations() {
        let mut h = Harness::new();
        h.run(&["RPUSH", "src", "a", "b", "c"]);
        assert_eq!(
            h.run(&["LMOVE", "src", "dst", "LEFT", "RIGHT"]),
            "$1\r\na\r\n"
        );
        assert_eq!(h.run(&["RPOPLPUSH", "src", "dst"]), "$1\r\nc\r\n");
        assert_eq!(
            h.run(&["LRANGE", "dst", "0", "-1"]),
            "*2\r\n$1\r\nc\r\n$1\r\na\r\n"
        );
        assert_eq!(h.run(&["RPOPLPUSH", "dst", "dst"]), "$1\r\na\r\n");
        assert_eq!(
            h.run(&["LRANGE", "dst", "0", "-1"]),
            "*2\r\n$1\r\na\r\n$1\r\nc\r\n"
        );
        h.run(&["RPUSH", "one", "x"]);
        h.run(&["EXPIRE", "one", "100"]);
        assert_eq!(
            h.run(&["LMOVE", "one", "one", "left", "right"]),
            "$1\r\nx\r\n"
        );
        assert_eq!(
            h.run(&["TTL", "one"]),
            ":100\r\n",
            "a one-element rotation keeps the key"
        );
        h.run(&["LMOVE", "src", "src", "left", "left"]);
        assert_eq!(h.run(&["LRANGE", "src", "0", "-1"]), "*1\r\n$1\r\nb\r\n");
        assert_eq!(
            h.run(&["LMOVE", "src", "dst", "up", "left"]),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run(&["LMOVE", "nol", "dst", "left", "left"]), "$-1\r\n");
        h.run(&["SET", "s", "x"]);
        assert_eq!(h.run(&["LMOVE", "src", "s", "left", "left"]), WRONGTYPE);
        assert_eq!(h.run(&["LMOVE", "nol", "s", "left", "left"]), "$-1\r\n");
        assert_eq!(h.run(&["LLEN", "src"]), ":1\r\n", "nothing moved");
        assert_eq!(
            h.run(&["LMOVE", "src", "dst", "left", "left"]),
            "$1\r\nb\r\n"
        );
        assert_eq!(h.run(&["EXISTS", "src"]), ":0\r\n");
    }

    #[test]
    fn wrong_types_are_refused() {
        let mut h = Harness::new();
        h.run(&["SET", "s", "x"]);
        for cmd in [
            &["LPUSH", "s", "a"][..],
            &["RPUSHX", "s", "a"],
            &["LPOP", "s"],
            &["RPOP", "s", "0"],
            &["LRANGE", "s", "0", "1"],
            &["LLEN", "s"],
            &["LINDEX", "s", "0"],
            &["LSET", "s", "x", "y"],
            &["LTRIM", "s", "0", "1"],
            &["LREM", "s", "0", "a"],
            &["LINSERT", "s", "before", "a", "b"],
            &["LPOS", "s", "a"],
            &["RPOPLPUSH", "s", "d"],
        ] {
            assert_eq!(h.run(cmd), WRONGTYPE, "{cmd:?}");
        }
    }

    #[test]
    fn each_write_is_logged_as_received_and_only_if_it_changed_something() {
        let mut h = Harness::new();
        h.run(&["RPUSH", "l", "a", "b"]);
        assert_eq!(
            h.take_log(),
            "*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        for noop in [
            &["LPUSHX", "nol", "a"][..],
            &["LPOP", "nol"],
            &["LPOP", "l", "0"],
            &["LREM", "l", "0", "zz"],
            &["LTRIM", "l", "0", "-1"],
            &["LINSERT", "l", "before", "zz", "a"],
            &["LMOVE", "nol", "l", "left", "left"],
            &["LRANGE", "l", "0", "-1"],
        ] {
            h.run(noop);
            assert_eq!(h.take_log(), "", "{noop:?}");
        }
        h.run(&["LPOP", "l", "1"]);
        assert_eq!(h.take_log(), "*3\r\n$4\r\nLPOP\r\n$1\r\nl\r\n$1\r\n1\r\n");
        h.run(&["LMOVE", "l", "m", "left", "right"]);
        assert_eq!(
            h.take_log(),
            "*5\r\n$5\r\nLMOVE\r\n$1\r\nl\r\n$1\r\nm\r\n$4\r\nleft\r\n$5\r\nright\r\n"
        );
        h.run(&["LSET", "m", "0", "z"]);
        assert_eq!(
            h.take_log(),
            "*4\r\n$4\r\nLSET\r\n$1\r\nm\r\n$1\r\n0\r\n$1\r\nz\r\n"
        );
    }
}
