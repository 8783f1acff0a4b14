//! The toolkit's btree, with its defaults (4 KiB pages; every commit fsyncs its pages, then
//! its meta page).

use crate::engine::{check_order, Engine, Pairs, Result};
use std::path::{Path, PathBuf};

pub struct Btree {
    db: btree::Db,
    path: PathBuf,
}

impl Btree {
    pub fn open(dir: &Path) -> Result<Btree> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("data.btree");
        let db = btree::Db::open(&path, &btree::Options::default())?;
        Ok(Btree { db, path })
    }
}

impl Engine for Btree {
    fn name(&self) -> &'static str {
        "btree"
    }

    fn put_batch(&mut self, pairs: Pairs<'_>) -> Result<()> {
        let mut w = self.db.write()?;
        for (k, v) in pairs {
            w.put(k, v)?;
        }
        w.commit()?;
        Ok(())
    }

    fn delete_batch(&mut self, keys: &[&[u8]]) -> Result<()> {
        let mut w = self.db.write()?;
        for k in keys {
            w.delete(k)?;
        }
        w.commit()?;
        Ok(())
    }

    fn get_all(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) -> Result<(u64, u64)> {
        let r = self.db.read()?;
        let (mut found, mut bytes) = (0, 0);
        for k in keys {
            // Borrowed from the page, as LMDB's get borrows from its map.
            if let Some(v) = r.get_ref(k)? {
                found += 1;
                bytes += v.len() as u64;
            }
        }
        Ok((found, bytes))
    }

    fn scan(&mut self) -> Result<(u64, u64)> {
        let r = self.db.read()?;
        let (mut n, mut bytes, mut prev) = (0, 0, Vec::new());
        // Entries borrowed from their pages, as LMDB's iterator borrows from its map.
        let mut c = r.cursor();
        while let Some((k, v)) = c.next_ref()? {
            check_order(&mut prev, k, n == 0)?;
            n += 1;
            bytes += (k.len() + v.len()) as u64;
        }
        Ok((n, bytes))
    }

    fn file_bytes(&self) -> Result<u64> {
        Ok(std::fs::metadata(&self.path)?.len())
    }
}
