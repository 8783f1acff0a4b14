//! btree: an on-disk B+tree in one file that survives a crash at any moment, after LMDB: a
//! copy-on-write tree, two meta pages written in turn, readers on snapshots that the one
//! writer never disturbs, a commit durable when it returns. README.md has the file format
//! and why a crash cannot break it. Layers, each using only those below it:
//!
//! | layer | what it is for |
//! |---|---|
//! | [`cli`] | the `btree` tool: check, stat, dump, get, put, del, compact |
//! | [`check`] | every invariant of a file, and its statistics |
//! | [`txn`] | the write transaction and the commit protocol |
//! | [`tree`] | lookups, cursors and ranges over any snapshot; put and delete, copy-on-write |
//! | [`freelist`] | freed pages, reused once no snapshot can see them |
//! | [`db`] | opening a file, loading and checking pages, read transactions |
//! | [`cache`] | pages verified once, kept for the next visits |
//! | [`file`] | the file: pread/pwrite, fdatasync, flock (and injected faults in tests) |
//! | [`format`] | the bytes: pages, cells, meta pages, checksums |
//!
//! `fuzzing` holds the body of the fuzz target in `fuzz/` (hidden: not an API).
//!
//! ```no_run
//! # fn main() -> btree::Result<()> {
//! let db = btree::Db::open("data.btree", &btree::Options::default())?;
//! let mut w = db.write()?;
//! w.put(b"greeting", b"hello")?;
//! w.commit()?; // durable now
//! let r = db.read()?;
//! assert_eq!(r.get(b"greeting")?.as_deref(), Some(&b"hello"[..]));
//! # Ok(()) }
//! ```

pub(crate) mod cache;
pub(crate) mod check;
pub(crate) mod cli;
pub(crate) mod db;
pub(crate) mod error;
pub(crate) mod file;
pub(crate) mod format;
pub(crate) mod freelist;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod log;
pub(crate) mod tree;
pub(crate) mod txn;
#[doc(hidden)]
pub mod workload;

pub use check::{Report, Stats};
pub use db::{Db, Options, ReadTxn};
pub use error::{Error, Result};
pub use format::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MAX_VALUE_LEN, MIN_PAGE_SIZE};
pub use tree::cursor::Entry;
pub use tree::{Cursor, Range, Value};
pub use txn::WriteTxn;

/// The largest key for a page size: a quarter page less 64 bytes (960 bytes at 4 KiB).
pub fn max_key_len(page_size: u32) -> usize {
    (page_size as usize / 4).saturating_sub(64)
}

/// The `btree` binary.
pub fn main() -> std::process::ExitCode {
    cli::main()
}
