//! The `btree` tool: `check`, `stat`, `dump`, `get`, `put`, `del`, `compact`, and the
//! hidden `torture` writer of the crash tests. Exit status: 0 done, 1 a key not found or a
//! check that found problems, 2 an error.

use crate::workload::{self, Op, COUNTER_KEY};
use crate::{Db, Error, Options};
use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::io::{Read, Write};
use std::ops::Bound;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// An on-disk B+tree in one file that survives a crash at any moment.
///
/// Keys and values on the command line are taken byte for byte.
#[derive(Debug, Parser)]
#[command(name = "btree", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Verify every invariant and checksum; each problem names its page (exit 1 if any)
    Check { file: PathBuf },
    /// Depth, pages by kind, fill, free pages
    Stat { file: PathBuf },
    /// Print the entries in key order as KEY<TAB>VALUE, bytes outside printable ASCII as \xNN
    Dump {
        file: PathBuf,
        /// First key (inclusive)
        #[arg(long)]
        from: Option<OsString>,
        /// Last key (inclusive)
        #[arg(long)]
        to: Option<OsString>,
        /// Last key first
        #[arg(long)]
        reverse: bool,
    },
    /// Print a key's value, as it is, to standard output (exit 1 if absent)
    Get { file: PathBuf, key: OsString },
    /// Set a key (the value from standard input if not given); creates the file
    Put {
        file: PathBuf,
        key: OsString,
        value: Option<OsString>,
        /// Page size of a new file
        #[arg(long, default_value_t = crate::DEFAULT_PAGE_SIZE)]
        page_size: u32,
        /// Wait for another writer instead of failing
        #[arg(long)]
        wait: bool,
    },
    /// Delete a key (exit 1 if absent)
    Del {
        file: PathBuf,
        key: OsString,
        /// Wait for another writer instead of failing
        #[arg(long)]
        wait: bool,
    },
    /// Copy the entries into a new file OUT, without free pages
    Compact {
        file: PathBuf,
        out: PathBuf,
        /// Page size of OUT [default: FILE's]
        #[arg(long)]
        page_size: Option<u32>,
    },
    /// Commit numbered transactions of the crash-test workload until killed, printing each
    /// number once its commit has returned
    #[command(hide = true)]
    Torture {
        file: PathBuf,
        /// Stop after this many commits
        #[arg(long)]
        commits: Option<u64>,
        /// The log region's size if the file gets one (Options::log_bytes)
        #[arg(long)]
        log_bytes: Option<usize>,
    },
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = match &cli.command {
        Command::Check { file }
        | Command::Stat { file }
        | Command::Dump { file, .. }
        | Command::Get { file, .. }
        | Command::Put { file, .. }
        | Command::Del { file, .. }
        | Command::Compact { file, .. }
        | Command::Torture { file, .. } => file.clone(),
    };
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("btree: {}: {e}", file.display());
            ExitCode::from(2)
        }
    }
}

fn read_only() -> Options {
    Options {
        create: false,
        read_only: true,
        ..Options::default()
    }
}

fn run(command: Command) -> crate::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match command {
        Command::Check { file } => {
            let db = Db::open(&file, &read_only())?;
            let report = db.check()?;
            for n in &report.notes {
                writeln!(out, "note: {n}")?;
            }
            for p in &report.problems {
                writeln!(out, "problem: {p}")?;
            }
            let s = &report.stats;
            if report.problems.is_empty() {
                writeln!(
                    out,
                    "ok: {} entries, depth {}, {} pages of {} bytes, transaction {}",
                    s.entries, s.depth, s.page_count, s.page_size, s.txn
                )?;
                Ok(ExitCode::SUCCESS)
            } else {
                writeln!(
                    out,
                    "{}: {} problems",
                    file.display(),
                    report.problems.len()
                )?;
                Ok(ExitCode::from(1))
            }
        }
        Command::Stat { file } => {
            let db = Db::open(&file, &read_only())?;
            let report = db.check()?;
            let s = &report.stats;
            writeln!(
                out,
                "file:         {} ({} bytes)",
                file.display(),
                s.file_len
            )?;
            writeln!(out, "page size:    {}", s.page_size)?;
            writeln!(out, "transaction:  {}", s.txn)?;
            writeln!(out, "entries:      {}", s.entries)?;
            writeln!(out, "depth:        {}", s.depth)?;
            writeln!(out, "pages:        {} in use", s.page_count)?;
            writeln!(out, "  meta:       2")?;
            writeln!(
                out,
                "  branch:     {} ({:.1}% full)",
                s.branch_pages,
                100.0 * s.branch_fill()
            )?;
            writeln!(
                out,
                "  leaf:       {} ({:.1}% full)",
                s.leaf_pages,
                100.0 * s.leaf_fill()
            )?;
            writeln!(
                out,
                "  overflow:   {} ({} values)",
                s.overflow_pages, s.overflow_values
            )?;
            writeln!(
                out,
                "  log:        {} ({} commits in it)",
                s.log_pages, s.log_records
            )?;
            writeln!(out, "  free list:  {}", s.freelist_pages)?;
            writeln!(
                out,
                "  free:       {} ({} reusable by the next writer)",
                s.free_pages, s.reusable_pages
            )?;
            for n in &report.notes {
                writeln!(out, "note: {n}")?;
            }
            for p in &report.problems {
                writeln!(out, "problem: {p}")?;
            }
            Ok(if report.problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Dump {
            file,
            from,
            to,
            reverse,
        } => {
            let db = Db::open(&file, &read_only())?;
            let r = db.read()?;
            let from = from.as_ref().map(|k| k.as_bytes());
            let to = to.as_ref().map(|k| k.as_bytes());
            let from = from.map_or(Bound::Unbounded, Bound::Included);
            let to = to.map_or(Bound::Unbounded, Bound::Included);
            let range = if reverse {
                r.range_rev(from, to)
            } else {
                r.range(from, to)
            };
            for e in range {
                let (k, v) = e?;
                let mut line = escape(&k);
                line.push(b'\t');
                line.extend(escape(&v));
                line.push(b'\n');
                if let Err(e) = out.write_all(&line) {
                    if e.kind() == std::io::ErrorKind::BrokenPipe {
                        return Ok(ExitCode::SUCCESS);
                    }
                    return Err(e.into());
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Get { file, key } => {
            let db = Db::open(&file, &read_only())?;
            let r = db.read()?;
            match r.get(key.as_bytes())? {
                Some(v) => {
                    out.write_all(&v)?;
                    Ok(ExitCode::SUCCESS)
                }
                None => Ok(ExitCode::from(1)),
            }
        }
        Command::Put {
            file,
            key,
            value,
            page_size,
            wait,
        } => {
            let value = match value {
                Some(v) => v.as_bytes().to_vec(),
                None => {
                    let mut v = Vec::new();
                    std::io::stdin().read_to_end(&mut v)?;
                    v
                }
            };
            let db = Db::open(
                &file,
                &Options {
                    page_size,
                    ..Options::default()
                },
            )?;
            let mut w = if wait { db.write_wait()? } else { db.write()? };
            w.put(key.as_bytes(), &value)?;
            w.commit()?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Del { file, key, wait } => {
            let db = Db::open(
                &file,
                &Options {
                    create: false,
                    ..Options::default()
                },
            )?;
            let mut w = if wait { db.write_wait()? } else { db.write()? };
            let found = w.delete(key.as_bytes())?;
            w.commit()?;
            Ok(if found {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Compact {
            file,
            out: dest,
            page_size,
        } => {
            let db = Db::open(&file, &read_only())?;
            let page_size = page_size.unwrap_or(db.page_size());
            compact(&db, &dest, page_size).map_err(|e| match e {
                Error::Io(io) => Error::Io(std::io::Error::new(
                    io.kind(),
                    format!("{}: {io}", dest.display()),
                )),
                e => e,
            })?;
            let before = std::fs::metadata(&file)?.len();
            let after = std::fs::metadata(&dest)?.len();
            writeln!(
                out,
                "{} ({before} bytes) -> {} ({after} bytes)",
                file.display(),
                dest.display()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Torture {
            file,
            commits,
            log_bytes,
        } => {
            let defaults = Options::default();
            let options = Options {
                log_bytes: log_bytes.unwrap_or(defaults.log_bytes),
                ..defaults
            };
            let db = Db::open(&file, &options)?;
            let mut n = {
                let r = db.read()?;
                match r.get(COUNTER_KEY)? {
                    Some(v) => String::from_utf8_lossy(&v).parse::<u64>().unwrap_or(0),
                    None => 0,
                }
            };
            let stop = commits.map_or(u64::MAX, |c| n.saturating_add(c));
            while n < stop {
                n += 1;
                let mut w = db.write_wait()?;
                for op in workload::ops(n) {
                    match op {
                        Op::Put(k, v) => w.put(&k, &v)?,
                        Op::Del(k) => {
                            w.delete(&k)?;
                        }
                    }
                }
                w.commit()?;
                writeln!(out, "{n}")?;
                out.flush()?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Copies every entry of `db`, in key order, into the new file `dest`: pages filled as
/// sequential inserts fill them (the left page of each split kept full), no free pages but
/// the few the last commits release. Commits every 8 MiB so memory stays bounded.
pub(crate) fn compact(db: &Db, dest: &Path, page_size: u32) -> crate::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)?;
    let out = Db::open(
        dest,
        &Options {
            page_size,
            ..Options::default()
        },
    )?;
    let r = db.read()?;
    let mut w = out.write()?;
    let mut batch = 0usize;
    for e in r.range(Bound::Unbounded, Bound::Unbounded) {
        let (k, v) = e?;
        batch += k.len() + v.len() + 16;
        w.put(&k, &v)?;
        if batch >= 8 << 20 {
            w.commit()?;
            w = out.write()?;
            batch = 0;
        }
    }
    w.commit()?;
    Ok(())
}

/// Bytes for a line of `dump`: printable ASCII as itself, the rest (and `\`) as `\xNN`.
fn escape(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &c in b {
        if (0x20..0x7f).contains(&c) && c != b'\\' {
            out.push(c);
        } else {
            out.extend(format!("\\x{c:02x}").bytes());
        }
    }
    out
}
