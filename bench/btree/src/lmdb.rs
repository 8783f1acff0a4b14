//! LMDB through heed, configured as its users run it for durable data: the default flags
//! (no `MDB_NOSYNC`, `MDB_NOMETASYNC` or `MDB_WRITEMAP`: every commit fsyncs), one unnamed
//! database of raw bytes, and a map size far above the data (LMDB's 10 MiB default is for
//! toy data; the map only reserves address space, the file grows as pages are used).

use crate::engine::{check_order, Engine, Pairs, Result};
use heed::types::Bytes;
use heed::{CommitOrAbort, Database, Env, EnvOpenOptions};
use std::path::{Path, PathBuf};

/// The map size: 64 GiB of address space, far above any scale the benchmark runs.
const MAP_SIZE: usize = 64 << 30;

pub struct Lmdb {
    env: Env,
    /// 'static: heed ties a database to the transaction that created it until that commits.
    db: Database<'static, Bytes, Bytes>,
    dir: PathBuf,
}

impl Lmdb {
    pub fn open(dir: &Path) -> Result<Lmdb> {
        std::fs::create_dir_all(dir)?;
        // SAFETY: heed's `open` is unsafe because the map must not be opened twice in one
        // process nor changed under it by another; this directory is the benchmark's own.
        let env = unsafe { EnvOpenOptions::new().map_size(MAP_SIZE).open(dir)? };
        let w = env.write_txn()?;
        let db = env
            .create_databases_and_commit(w, |opener, w| {
                opener
                    .create_database::<Bytes, Bytes>(w, None)
                    .map(CommitOrAbort::<_, ()>::Commit)
            })?
            .unwrap_commit();
        Ok(Lmdb {
            env,
            db,
            dir: dir.to_owned(),
        })
    }

    /// LMDB's version, for the table's heading.
    pub fn version() -> String {
        heed::lmdb_version().string.to_owned()
    }
}

impl Engine for Lmdb {
    fn name(&self) -> &'static str {
        "LMDB"
    }

    fn put_batch(&mut self, pairs: Pairs<'_>) -> Result<()> {
        let mut w = self.env.write_txn()?;
        for (k, v) in pairs {
            self.db.put(&mut w, k, v)?;
        }
        w.commit()?;
        Ok(())
    }

    fn delete_batch(&mut self, keys: &[&[u8]]) -> Result<()> {
        let mut w = self.env.write_txn()?;
        for k in keys {
            self.db.delete(&mut w, k)?;
        }
        w.commit()?;
        Ok(())
    }

    fn get_all(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) -> Result<(u64, u64)> {
        let r = self.env.read_txn()?;
        let (mut found, mut bytes) = (0, 0);
        for k in keys {
            if let Some(v) = self.db.get(&r, k)? {
                found += 1;
                bytes += v.len() as u64;
            }
        }
        Ok((found, bytes))
    }

    fn scan(&mut self) -> Result<(u64, u64)> {
        let r = self.env.read_txn()?;
        let (mut n, mut bytes, mut prev) = (0, 0, Vec::new());
        for entry in self.db.iter(&r)? {
            let (k, v) = entry?;
            check_order(&mut prev, k, n == 0)?;
            n += 1;
            bytes += (k.len() + v.len()) as u64;
        }
        Ok((n, bytes))
    }

    /// data.mdb only: lock.mdb holds the reader table, no data.
    fn file_bytes(&self) -> Result<u64> {
        Ok(std::fs::metadata(self.dir.join("data.mdb"))?.len())
    }
}
