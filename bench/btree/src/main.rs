//! btree-bench: the benchmark of issue 23 ("Speed"). The toolkit's btree against LMDB
//! (through heed) and SQLite (through rusqlite), on the same machine in one run, each
//! configured as its users run it for durable data. Workloads, at BENCH_SCALE=1:
//!
//! 1. 1,000,000 random inserts of 16-byte keys and 100-byte values, in transactions of
//!    1,000, each commit durable;
//! 2. the file size after them;
//! 3. 1,000,000 random point reads (of keys present) in one read transaction;
//! 4. a full ordered scan in one read transaction;
//! 5. 10,000 single-insert durable commits (new keys, into the loaded tree);
//! 6. deleting every other key of step 1, in transactions of 1,000;
//! 7. the file size after that.
//!
//! Each workload runs on the three engines in turn (btree, LMDB, SQLite) before the next
//! begins, so a slow patch of the shared machine hits all three alike. Each engine's
//! answers are checked (every read finds its key, the scan returns every entry in order,
//! deleted keys are gone): a wrong answer stops the benchmark rather than make a row.
//!
//! Usage: `btree-bench DIR` (DIR on the disk to measure, not a tmpfs); BENCH_SCALE scales
//! the counts (0.01 for a quick look). bench/btree/run builds and runs it.

mod btree_engine;
mod engine;
mod lmdb;
mod sqlite;
mod table;
mod workload;

use engine::{Engine, Result};
use std::path::PathBuf;
use std::time::Instant;
use table::{Better, Goal, Row};
use workload::{Data, KEY_LEN, VALUE_LEN};

/// Keys per transaction of the batched inserts and of the deletes.
const BATCH: usize = 1000;

fn main() {
    if let Err(e) = run() {
        eprintln!("btree-bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let dir: PathBuf = std::env::args_os()
        .nth(1)
        .ok_or("usage: btree-bench DIR (an empty directory on the disk to measure)")?
        .into();
    let scale: f64 = match std::env::var("BENCH_SCALE") {
        Ok(s) => s
            .parse()
            .map_err(|_| format!("BENCH_SCALE={s}: not a number"))?,
        Err(_) => 1.0,
    };
    if !scale.is_finite() || scale <= 0.0 {
        return Err("BENCH_SCALE must be above 0".into());
    }
    let n = ((1_000_000.0 * scale).round() as usize).max(BATCH);
    let commits = ((10_000.0 * scale).round() as usize).max(10);

    eprintln!("btree-bench: making {n} keys and values");
    let data = Data::new(n, commits);
    let mut engines: Vec<Box<dyn Engine>> = vec![
        Box::new(btree_engine::Btree::open(&dir.join("btree"))?),
        Box::new(lmdb::Lmdb::open(&dir.join("lmdb"))?),
        Box::new(sqlite::Sqlite::open(&dir.join("sqlite"))?),
    ];
    println!(
        "btree vs {} (heed 0.23) vs SQLite {} (rusqlite 0.43, bundled): BENCH_SCALE={scale}, \
         {KEY_LEN}-byte keys, {VALUE_LEN}-byte values, every commit durable, files in {}",
        lmdb::Lmdb::version(),
        sqlite::Sqlite::version(),
        dir.display()
    );
    println!();
    let mut rows = Vec::new();

    let pairs: Vec<(&[u8], &[u8])> = data
        .keys
        .iter()
        .zip(&data.values)
        .map(|(k, v)| (&k[..], &v[..]))
        .collect();
    rows.push(per_second(
        format!("{n} random inserts, transactions of {BATCH} (inserts/s)"),
        &mut engines,
        n,
        Goal::BOTH,
        |e| {
            for chunk in pairs.chunks(BATCH) {
                e.put_batch(chunk)?;
            }
            Ok(())
        },
    )?);
    rows.push(size(
        format!("file size after the {n} inserts (MiB)"),
        &engines,
    )?);

    rows.push(per_second(
        format!("{n} random point reads (reads/s)"),
        &mut engines,
        n,
        Goal::BOTH,
        |e| {
            let mut keys = data.reads.iter().map(|&i| &data.keys[i][..]);
            let (found, bytes) = e.get_all(&mut keys)?;
            expect(e, "reads found", found, n as u64)?;
            expect(e, "value bytes read", bytes, (n * VALUE_LEN) as u64)
        },
    )?);

    rows.push(per_second(
        format!("full ordered scan of {n} entries (entries/s)"),
        &mut engines,
        n,
        Goal::BOTH,
        |e| {
            let (entries, bytes) = e.scan()?;
            expect(e, "entries scanned", entries, n as u64)?;
            expect(
                e,
                "bytes scanned",
                bytes,
                (n * (KEY_LEN + VALUE_LEN)) as u64,
            )
        },
    )?);

    let value = [7u8; VALUE_LEN];
    rows.push(per_second(
        format!("{commits} single-insert durable commits (commits/s)"),
        &mut engines,
        commits,
        Goal::SQLITE,
        |e| {
            for k in &data.single {
                e.put_batch(&[(&k[..], &value[..])])?;
            }
            Ok(())
        },
    )?);

    // Every other key of the inserts, in insertion order (random in key order).
    let doomed: Vec<&[u8]> = data.keys.iter().step_by(2).map(|k| &k[..]).collect();
    rows.push(per_second(
        format!(
            "deleting half ({}), transactions of {BATCH} (deletes/s)",
            doomed.len()
        ),
        &mut engines,
        doomed.len(),
        Goal::NONE,
        |e| {
            for chunk in doomed.chunks(BATCH) {
                e.delete_batch(chunk)?;
            }
            // The first deleted keys are gone, the first kept ones are there.
            let sample = BATCH.min(n / 2);
            let (found, _) = e.get_all(&mut doomed[..sample].iter().copied())?;
            expect(e, "deleted keys found", found, 0)?;
            let mut kept = data
                .keys
                .iter()
                .skip(1)
                .step_by(2)
                .take(sample)
                .map(|k| &k[..]);
            let (found, _) = e.get_all(&mut kept)?;
            expect(e, "kept keys found", found, sample as u64)
        },
    )?);
    rows.push(size(
        "file size after deleting half (MiB)".into(),
        &engines,
    )?);

    print!("{}", table::render(&rows));
    Ok(())
}

/// Runs `work` (`ops` operations) on each engine in turn, timed: a row of operations per
/// second.
fn per_second(
    label: String,
    engines: &mut [Box<dyn Engine>],
    ops: usize,
    goal: Goal,
    mut work: impl FnMut(&mut dyn Engine) -> Result<()>,
) -> Result<Row> {
    let mut values = [0.0; 3];
    for (i, e) in engines.iter_mut().enumerate() {
        settle()?;
        let start = Instant::now();
        work(e.as_mut()).map_err(|err| format!("{}: {label}: {err}", e.name()))?;
        let secs = start.elapsed().as_secs_f64();
        values[i] = ops as f64 / secs;
        eprintln!("btree-bench: {label}: {} {secs:.2} s", e.name());
    }
    Ok(Row {
        label,
        values,
        better: Better::Higher,
        goal,
    })
}

/// Writes every dirty page of the machine back before a timed run (`sync`), so that an
/// engine's fsyncs do not pay for what the engine before it, or another program, left
/// in the page cache.
fn settle() -> Result<()> {
    let status = std::process::Command::new("sync").status()?;
    if !status.success() {
        return Err(format!("sync: {status}").into());
    }
    Ok(())
}

/// A row of each engine's bytes on disk (at most LMDB's and SQLite's, the issue asks).
fn size(label: String, engines: &[Box<dyn Engine>]) -> Result<Row> {
    let mut values = [0.0; 3];
    for (i, e) in engines.iter().enumerate() {
        values[i] = e.file_bytes()? as f64;
    }
    Ok(Row {
        label,
        values,
        better: Better::Lower,
        goal: Goal::BOTH,
    })
}

/// Fails, naming the engine, unless `got` is `want`.
fn expect(e: &dyn Engine, what: &str, got: u64, want: u64) -> Result<()> {
    if got != want {
        return Err(format!("{}: {what}: {got}, expected {want}", e.name()).into());
    }
    Ok(())
}
