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
use std::fs::OpenOptions;
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
    let limits = Limits {
        max_bulk: usize::MAX >> 1,
        authenticated: true,
    };
    let mut parser = Parser::default();
    let mut pos = 0;
    let mut valid = 0;
    let mut commands = 0;
    let mut multi: Option<Vec<Vec<Vec<u8>>>> = None;
    let corrupt = |commands: u64, at: usize, why: String| Scan {
        commands,
        valid_len: at as u64,
        len: data.len() as u64,
        problem: Some(Problem::Corrupt(why)),
    };
    loop {
        if pos < data.len() && data[pos] != b'*' {
            return corrupt(commands, valid, format!("expected '*' at byte {pos}"));
        }
        let start = pos;
        match parser.next(data, &mut pos, limits) {
            Ok(Parsed::Incomplete) => break,
            Err(e) => {
                return corrupt(commands, valid, format!("{} at byte {start}", e.0));
            }
            Ok(Parsed::Request(args)) => {
                let name = args[0].to_ascii_lowercase();
                match (name.as_slice(), &mut multi) {
                    (b"multi", None) => multi = Some(Vec::new()),
                    (b"exec", Some(_)) => {
                        for queued in multi.take().unwrap_or_default() {
                            if let Err(e) = apply(&queued) {
                                return corrupt(
                                    commands,
                                    valid,
                                    format!("{e} (in the transaction ending at byte {pos})"),
                                );
                            }
                            commands += 1;
                        }
                        valid = pos;
                    }
                    (b"multi" | b"exec", _) => {
                        return corrupt(
                            commands,
                            valid,
                            format!(
                                "unexpected {} at byte {start}",
                                String::from_utf8_lossy(&args[0])
                            ),
                        );
                    }
                    (_, Some(queue)) => queue.push(args.to_vec()),
                    (_, None) => {
                        if let Err(e) = apply(args) {
                            return corrupt(commands, valid, format!("{e} at byte {start}"));
                        }
                        commands += 1;
                        valid = pos;
                    }
                }
            }
        }
    }
    Scan {
        commands,
        valid_len: valid as u64,
        len: data.len() as u64,
        problem: (valid < data.len()).then_some(Problem::Torn),
    }
}

/// Loads `path` into `server`, applying the rules of the module doc; the scan, or the error
/// that refuses the start.
pub(crate) fn load_file(server: &mut Server, path: &Path, last: bool) -> Result<Scan, String> {
    let data = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    server.db.loading = true;
    let result = scan(&data, |args| crate::cmd::replay(server, args));
    server.db.loading = false;
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

    fn cmds(data: &[u8]) -> (Scan, Vec<String>) {
        let mut seen = Vec::new();
        let s = scan(data, |args| {
            let words: Vec<String> = args
                .iter()
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            if words[0] == "FAIL" {
                return Err("ERR failed".into());
            }
            seen.push(words.join(" "));
            Ok(())
        });
        (s, seen)
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
