//! SQLite through rusqlite (the amalgamation compiled in), configured as its users run it
//! for durable data: WAL mode with `synchronous=FULL` (every commit fsyncs the WAL; NORMAL
//! would not make a commit durable), its defaults otherwise (4 KiB pages, the automatic
//! checkpoint at 1,000 WAL pages, a 2 MiB page cache). The table is keyed by the key as a
//! `WITHOUT ROWID` table: the form SQLite recommends for a non-integer primary key with
//! small rows, one B-tree holding keys and values in key order (a rowid table would keep
//! a second index for the key, slower and twice as large).

use crate::engine::{check_order, Engine, Pairs, Result};
use rusqlite::Connection;
use std::path::{Path, PathBuf};

pub struct Sqlite {
    conn: Connection,
    path: PathBuf,
}

impl Sqlite {
    pub fn open(dir: &Path) -> Result<Sqlite> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("data.sqlite");
        let conn = Connection::open(&path)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        if mode != "wal" {
            return Err(format!("SQLite refused WAL mode (journal_mode is {mode})").into());
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY NOT NULL, v BLOB NOT NULL) WITHOUT ROWID",
        )?;
        Ok(Sqlite { conn, path })
    }

    /// SQLite's version, for the table's heading.
    pub fn version() -> &'static str {
        rusqlite::version()
    }
}

impl Engine for Sqlite {
    fn name(&self) -> &'static str {
        "SQLite"
    }

    fn put_batch(&mut self, pairs: Pairs<'_>) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut put = tx.prepare_cached("INSERT OR REPLACE INTO kv (k, v) VALUES (?1, ?2)")?;
            for (k, v) in pairs {
                put.execute((k, v))?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn delete_batch(&mut self, keys: &[&[u8]]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut del = tx.prepare_cached("DELETE FROM kv WHERE k = ?1")?;
            for k in keys {
                del.execute([k])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn get_all(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) -> Result<(u64, u64)> {
        // One read transaction around all the reads, as for the other two (outside one,
        // each SELECT would begin and end its own).
        let tx = self.conn.transaction()?;
        let (mut found, mut bytes) = (0, 0);
        {
            let mut get = tx.prepare_cached("SELECT v FROM kv WHERE k = ?1")?;
            for k in keys {
                let mut rows = get.query([k])?;
                if let Some(row) = rows.next()? {
                    found += 1;
                    bytes += row.get_ref(0)?.as_blob()?.len() as u64;
                }
            }
        }
        tx.commit()?;
        Ok((found, bytes))
    }

    fn scan(&mut self) -> Result<(u64, u64)> {
        let tx = self.conn.transaction()?;
        let (mut n, mut bytes, mut prev) = (0, 0, Vec::new());
        {
            // The table is ordered by k: this walks it, no sort.
            let mut all = tx.prepare_cached("SELECT k, v FROM kv ORDER BY k")?;
            let mut rows = all.query([])?;
            while let Some(row) = rows.next()? {
                let k = row.get_ref(0)?.as_blob()?;
                check_order(&mut prev, k, n == 0)?;
                let v = row.get_ref(1)?.as_blob()?;
                n += 1;
                bytes += (k.len() + v.len()) as u64;
            }
        }
        tx.commit()?;
        Ok((n, bytes))
    }

    /// The database file and its WAL (which holds committed pages until a checkpoint).
    fn file_bytes(&self) -> Result<u64> {
        let mut wal = self.path.clone().into_os_string();
        wal.push("-wal");
        let wal = std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0);
        Ok(std::fs::metadata(&self.path)?.len() + wal)
    }
}
