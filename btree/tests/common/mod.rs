//! What the btree integration tests share: temporary directories, a file's whole content,
//! and the tool's binary.

#![allow(dead_code)] // each test binary uses its own part

use btree::{Db, Options};
use std::collections::BTreeMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A temporary directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "btree-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub type Model = BTreeMap<Vec<u8>, Vec<u8>>;

/// Every entry of the last commit, in order.
pub fn contents(db: &Db) -> btree::Result<Model> {
    let r = db.read()?;
    r.range(Bound::Unbounded, Bound::Unbounded).collect()
}

pub fn open(path: &Path, page_size: u32) -> Db {
    Db::open(
        path,
        &Options {
            page_size,
            ..Options::default()
        },
    )
    .unwrap()
}

/// Asserts that `btree check` finds nothing wrong.
pub fn assert_sound(db: &Db, context: &str) {
    let report = db.check().unwrap();
    assert!(
        report.problems.is_empty(),
        "{context}: {:#?}",
        report.problems
    );
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_btree")
}
