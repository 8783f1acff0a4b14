//! Reading a log back: each file of the manifest in order, command by command, applied to
//! the dataset with expiry off (the log says when keys went: it has their `DEL`s).
//!
//! How a log can end badly, and what happens:
//! - **torn**: the last command is cut short (the process or the machine died while writing
//!   it). With `aof-load-truncated yes` (the default) the file is cut back to the last whole
//!   command, with a warning, and the server starts; nothing acknowledged is lost, since a
//!   reply leaves only after its command was written whole.
//! - **an unfinished transaction**: `MULTI` and some commands without `EXEC` at the end: the
//!   transaction never ran for any client, so it is dropped (cut off) like a torn command.
//! - **corrupt**: bytes that are not a command, or a command that fails, before the end. The
//!   server refuses to start and names the file and byte offset, unless
//!   `aof-load-corrupt-prefix yes` asks it to load what precedes the damage (and cut the rest).

use crate::resp::request::{Limits, Parsed, Parser};
use crate::state::Server;
use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// What reading one file found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Scan {
    /// Commands applied.
    pub(crate) commands: u64,
    /// Bytes that hold whole commands (and whole transactions).
    pub(crate) valid_len: u64,
    /// The file's length.
    pub(crate) len: u64,
    /// Why the file stops being valid at `valid_len`, if it does.
    pub(crate) problem: Option<Problem>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Problem {
    /// The file ends inside a command or a transaction.
    Torn,
    /// Not a valid command at `valid_len`: the reason.
    Corrupt(String),
}

/// Parses `data` as a log, calling `apply` for each command outside transactions and for
/// each command of a transaction once its EXEC is seen; stops at the first problem.
pub(crate) fn scan(data: &[u8], mut apply: impl FnMut(&[Vec<u8>]) -> Result<(), String>) -> Scan {
    // Reading a slice cannot fail: the error case is there for the types.
    let unreadable = Scan {
        commands: 0,
        valid_len: 0,
        len: data.len() as u64,
        problem: Some(Problem::Corrupt("unreadable".into())),
    };
    scan_from(data, CHUNK, |args, _| apply(args)).unwrap_or(unreadable)
}

/// How much of a log is read at a time: a replay holds this much of the file (or one
/// command, if longer), not the whole of it. More than the parser's longest `*N`/`$N` line,
/// so a line too long is found too long whether or not a read ends inside it.
pub(crate) const CHUNK: usize = 1 << 20;

/// [`scan`] over a log read `chunk` bytes at a time from `input`; `apply` also gets the byte
/// offset where the command (or the transaction) ends. Errors are the reads'.
pub(crate) fn scan_from(
    mut input: impl Read,
    chunk: usize,
    mut apply: impl FnMut(&[Vec<u8>], u64) -> Result<(), String>,
) -> io::Result<Scan> {
    let limits = Limits {
        max_bulk: usize::MAX >> 1,
        authenticated: true,
    };
    let mut parser = Parser::default();
    // `buf` holds the file from byte `base` on; `pos` is where parsing stands in it.
    let mut buf: Vec<u8> = Vec::new();
    let mut base: u64 = 0;
    let mut pos = 0;
    let mut eof = false;
    let mut valid: u64 = 0;
    let mut commands = 0;
    let mut multi: Option<Vec<Vec<Vec<u8>>>> = None;
    let corrupt = |commands: u64, at: u64, why: String, len: u64| Scan {
        commands,
        valid_len: at,
        len,
        problem: Some(Problem::Corrupt(why)),
    };
    // Where the request being read began (it may span reads).
    let mut start = 0;
    loop {
        if !parser.mid_request() {
            start = base + pos as u64;
            if pos < buf.len() && buf[pos] != b'*' {
                let len = base + buf.len() as u64 + drain(&mut input)?;
                return Ok(corrupt(
                    commands,
                    valid,
                    format!("expected '*' at byte {start}"),
                    len,
                ));
            }
        }
        match parser.next(&buf, &mut pos, limits) {
            Ok(Parsed::Incomplete) if eof => break,
            Ok(Parsed::Incomplete) => {
                // What was parsed is dropped (the parser keeps a part-read request's
                // arguments itself); the rest moves to the front and more is read after it.
                buf.drain(..pos);
                base += pos as u64;
                pos = 0;
                let more = (&mut input).take(chunk as u64).read_to_end(&mut buf)?;
                eof = more == 0;
            }
            Err(e) => {
                let len = base + buf.len() as u64 + drain(&mut input)?;
                return Ok(corrupt(
                    commands,
                    valid,
                    format!("{} at byte {start}", e.0),
                    len,
                ));
            }
            Ok(Parsed::Request(args)) => {
                let end = base + pos as u64;
                let name = args[0].to_ascii_lowercase();
                let mut fail = None;
                match (name.as_slice(), &mut multi) {
                    (b"multi", None) => multi = Some(Vec::new()),
                    (b"exec", Some(_)) => {
                        for queued in multi.take().unwrap_or_default() {
                            if let Err(e) = apply(&queued, end) {
                                fail =
                                    Some(format!("{e} (in the transaction ending at byte {end})"));
                                break;
                            }
                            commands += 1;
                        }
                        if fail.is_none() {
                            valid = end;
                        }
                    }
                    (b"multi" | b"exec", _) => {
                        fail = Some(format!(
                            "unexpected {} at byte {start}",
                            String::from_utf8_lossy(&args[0])
                        ));
                    }
                    (_, Some(queue)) => queue.push(args.to_vec()),
                    (_, None) => match apply(args, end) {
                        Ok(()) => {
                            commands += 1;
                            valid = end;
                        }
                        Err(e) => fail = Some(format!("{e} at byte {start}")),
                    },
                }
                if let Some(why) = fail {
                    let len = base + buf.len() as u64 + drain(&mut input)?;
                    return Ok(corrupt(commands, valid, why, len));
                }
            }
        }
    }
    let len = base + buf.len() as u64;
    Ok(Scan {
        commands,
        valid_len: valid,
        len,
        problem: (valid < len).then_some(Problem::Torn),
    })
}

/// Reads `input` to its end; how many bytes that was (a scan stopped by corruption still
/// reports the file's length).
fn drain(input: &mut impl Read) -> io::Result<u64> {
    io::copy(input, &mut io::sink())
}

/// Loads `path` into `server`, applying the rules of the module doc; the scan, or the error
/// that refuses the start.
pub(crate) fn load_file(server: &mut Server, path: &Path, last: bool) -> Result<Scan, String> {
    let reading = |e: io::Error| format!("reading {}: {e}", path.display());
    let file = File::open(path).map_err(reading)?;
    let size = file.metadata().map_err(reading)?.len();
    let result = replay(server, file, size).map_err(reading)?;
    let name = path.display();
    match &result.problem {
        None => {}
        Some(Problem::Torn) if last && server.config.aof_load_truncated => {
            crate::log::warn(&format!(
                "{name}: the log ends in a torn command (a crash while it was written): \
                 cutting it back from {} to {} bytes",
                result.len, result.valid_len
            ));
            truncate(path, result.valid_len)?;
        }
        Some(Problem::Torn) => {
            return Err(format!(
                "{name}: the log ends in a torn command at byte {}{}; \
                 `kv check-aof --fix` cuts it off",
                result.valid_len,
                if last {
                    " and aof-load-truncated is no"
                } else {
                    " of a file that is not the last"
                }
            ));
        }
        Some(Problem::Corrupt(why)) if server.config.aof_load_corrupt_prefix => {
            crate::log::warn(&format!(
                "{name}: corrupt at byte {} ({why}); aof-load-corrupt-prefix: loaded what precedes \
                 it and cut off the {} bytes after",
                result.valid_len,
                result.len - result.valid_len
            ));
            truncate(path, result.valid_len)?;
        }
        Some(Problem::Corrupt(why)) => {
            return Err(format!(
                "{name}: corrupt at byte {}: {why}. Refusing to start: the data after it would \
                 be lost. Inspect it with `kv check-aof`; set aof-load-corrupt-prefix yes to load \
                 what precedes the damage",
                result.valid_len
            ));
        }
    }
    Ok(result)
}

/// Past this many bytes of a log, the keys it has added so far tell how many the whole will
/// add; a shorter log grows the table as it goes.
const SAMPLE: u64 = 1 << 20;

/// Applies the log read from `input` to `server`. `size` is the log's expected length: once
/// [`SAMPLE`] bytes are in, the key table is grown at once to the keys that length should
/// hold at the rate seen so far, instead of doubling (and rehashing every key) as they come;
/// at the end it is shrunk back if fewer came. The hint changes only how much the table
/// rehashes: wrong, everything still loads.
fn replay(server: &mut Server, input: impl Read, size: u64) -> io::Result<Scan> {
    let keys_before = server.db.len();
    let mut sized = size < 2 * SAMPLE;
    let reserved = !sized;
    server.db.loading = true;
    let result = scan_from(input, CHUNK, |args, at| {
        crate::cmd::replay(server, args)?;
        if !sized && at >= SAMPLE {
            sized = true;
            let added = server.db.len().saturating_sub(keys_before) as u128;
            let expected = added * u128::from(size) / u128::from(at);
            server
                .db
                .reserve(keys_before.saturating_add(expected.try_into().unwrap_or(usize::MAX)));
        }
        Ok(())
    });
    server.db.loading = false;
    if reserved {
        server.db.shrink_to_fit();
    }
    result
}

fn truncate(path: &Path, len: u64) -> Result<(), String> {
    let f = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.set_len(len)
        .and_then(|()| f.sync_all())
        .map_err(|e| format!("truncating {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scan of `data` and the commands applied; the same whatever size of pieces the
    /// log is read in (checked from one byte at a time up).
    fn cmds(data: &[u8]) -> (Scan, Vec<String>) {
        let run = |chunk: usize| {
            let mut seen = Vec::new();
            let s = scan_from(data, chunk, |args, _| {
                let words: Vec<String> = args
                    .iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect();
                if words[0] == "FAIL" {
                    return Err("ERR failed".into());
                }
                seen.push(words.join(" "));
                Ok(())
            })
            .expect("a slice reads");
            (s, seen)
        };
        let whole = run(CHUNK);
        for chunk in [1, 2, 3, 5, 8, 13, 64] {
            assert_eq!(run(chunk), whole, "read {chunk} bytes at a time");
        }
        whole
    }

    #[test]
    fn a_command_longer_than_a_read_is_read_whole() {
        let value = "v".repeat(1000);
        let data = format!("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1000\r\n{value}\r\n");
        let (s, seen) = cmds(data.as_bytes());
        assert_eq!((s.problem, s.len), (None, data.len() as u64));
        assert_eq!(seen, [format!("SET a {value}")]);
    }

    fn set(key: &str, value: &str) -> String {
        format!(
            "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{value}\r\n",
            key.len(),
            value.len()
        )
    }

    /// Replays `log` with `size` as its length, and into a second server with no hint, the
    /// table growing as it goes: the same data, and no more buckets than growing would leave.
    fn replay_with_hint(log: &str, size: u64) -> Server {
        let fresh = || Server::new(crate::config::Config::default(), || 0);
        let mut hinted = fresh();
        let s = replay(&mut hinted, log.as_bytes(), size).expect("a slice reads");
        assert_eq!((s.problem, s.len), (None, log.len() as u64));
        let mut plain = fresh();
        let s = scan(log.as_bytes(), |args| crate::cmd::replay(&mut plain, args));
        assert_eq!(s.problem, None);
        assert_eq!(hinted.db.dump(), plain.db.dump());
        assert!(
            hinted.db.buckets() <= plain.db.buckets(),
            "{} buckets after the hint, {} without",
            hinted.db.buckets(),
            plain.db.buckets()
        );
        hinted
    }

    #[test]
    fn a_log_loads_whole_whatever_its_size_hint_says() {
        // Distinct keys throughout: the rate of the first MiB holds for the whole log.
        let mut distinct = String::new();
        for i in 0..80_000 {
            distinct.push_str(&set(&format!("key:{i}"), "v"));
        }
        assert!(distinct.len() as u64 > 2 * SAMPLE);
        for size in [
            distinct.len() as u64,
            0,
            3 * SAMPLE,
            100 * distinct.len() as u64,
        ] {
            let s = replay_with_hint(&distinct, size);
            assert_eq!(s.db.len(), 80_000);
        }
        let s = replay_with_hint(&distinct, distinct.len() as u64);
        assert_eq!(
            s.db.buckets(),
            131_072,
            "sized once, to what growing would have left"
        );

        // Many keys in the first MiB, deleted later: the hint is far too high.
        let mut shrinking = distinct.clone();
        for i in 0..79_990 {
            let key = format!("key:{i}");
            shrinking.push_str(&format!("*2\r\n$3\r\nDEL\r\n${}\r\n{key}\r\n", key.len()));
        }
        let s = replay_with_hint(&shrinking, shrinking.len() as u64);
        assert_eq!((s.db.len(), s.db.buckets()), (10, 16));

        // One key rewritten through the first MiB, then new keys: the hint is far too low.
        let mut late = String::new();
        while late.len() as u64 <= SAMPLE {
            late.push_str(&set("same", "v"));
        }
        for i in 0..20_000 {
            late.push_str(&set(&format!("key:{i}"), "v"));
        }
        let s = replay_with_hint(&late, late.len() as u64);
        assert_eq!(s.db.len(), 20_001);
    }

    const SET: &[u8] = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n";

    #[test]
    fn a_whole_log_applies_every_command() {
        let mut data = SET.to_vec();
        data.extend_from_slice(
            b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n",
        );
        let (s, seen) = cmds(&data);
        assert_eq!(s.problem, None);
        assert_eq!(s.valid_len, data.len() as u64);
        assert_eq!(seen, ["SET a 1", "INCR a"]);
    }

    #[test]
    fn a_torn_tail_and_an_unfinished_transaction_stop_at_the_last_whole_command() {
        for cut in 1..SET.len() {
            let mut data = SET.to_vec();
            data.extend_from_slice(&SET[..cut]);
            let (s, seen) = cmds(&data);
            assert_eq!(s.problem, Some(Problem::Torn), "{cut}");
            assert_eq!(s.valid_len, SET.len() as u64);
            assert_eq!(seen.len(), 1);
        }
        let mut data = SET.to_vec();
        data.extend_from_slice(b"*1\r\n$5\r\nMULTI\r\n");
        data.extend_from_slice(SET);
        let (s, seen) = cmds(&data);
        assert_eq!(
            (s.problem, s.valid_len, seen.len()),
            (Some(Problem::Torn), SET.len() as u64, 1)
        );
    }

    #[test]
    fn corruption_in_the_middle_names_its_offset() {
        let mut data = SET.to_vec();
        data.extend_from_slice(b"garbage\r\n");
        data.extend_from_slice(SET);
        let (s, _) = cmds(&data);
        assert_eq!(s.valid_len, SET.len() as u64);
        assert!(
            matches!(&s.problem, Some(Problem::Corrupt(why)) if why.contains("byte 27")),
            "{:?}",
            s.problem
        );
        let mut data = SET.to_vec();
        data.extend_from_slice(b"*1\r\n$4\r\nFAIL\r\n");
        let (s, _) = cmds(&data);
        assert!(matches!(s.problem, Some(Problem::Corrupt(_))));
        assert_eq!(s.valid_len, SET.len() as u64);
    }
}
