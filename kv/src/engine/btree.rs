//! The btree engine's store: kv's string keys in the on-disk B+tree of the `btree` crate
//! (`DIR/kv.btree`), read and written through one write transaction per event-loop turn,
//! committed before the turn's replies leave.
//!
//! A tree key is the 8-byte big-endian hash of the kv key followed by the key, so the tree
//! is in hash order: SCAN's cursor is the hash to go on from, which needs no server state,
//! survives a restart, and misses no key that was there throughout (the order of the keys
//! never changes). A tree value is a tag byte (`0`: a string; `1`: a string with an expiry,
//! followed by the expiry as 8 bytes little-endian, Unix ms), then the string's bytes.
//!
//! The write transaction borrows the `btree::Db` it writes; the database is leaked to give
//! it the lifetime of the process (one per server, opened once), so that the transaction can
//! live in the engine across commands.

use ::btree::{Db, Options, WriteTxn};
use std::path::{Path, PathBuf};

/// The file name inside `dir`.
pub(crate) const FILE: &str = "kv.btree";

/// Bytes of the hash before each key in the tree.
const HASH_LEN: usize = 8;
const TAG_STRING: u8 = 0;
const TAG_STRING_EXPIRES: u8 = 1;

/// A key's value as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stored {
    pub(crate) value: Vec<u8>,
    /// Unix ms, if the key expires.
    pub(crate) expire_at: Option<i64>,
}

impl Stored {
    #[cfg(test)]
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(9 + self.value.len());
        encode_into(&mut v, &self.value, self.expire_at);
        v
    }

    pub(crate) fn decode(raw: &[u8]) -> Option<Stored> {
        let (value, expire_at) = Stored::view(raw)?;
        Some(Stored {
            value: value.to_vec(),
            expire_at,
        })
    }

    /// A stored value read in place: the string and its expiry.
    pub(crate) fn view(raw: &[u8]) -> Option<(&[u8], Option<i64>)> {
        match *raw.first()? {
            TAG_STRING => Some((&raw[1..], None)),
            TAG_STRING_EXPIRES if raw.len() >= 9 => Some((
                &raw[9..],
                Some(i64::from_le_bytes(raw[1..9].try_into().ok()?)),
            )),
            _ => None,
        }
    }

    pub(crate) fn live(&self, now: i64) -> bool {
        self.expire_at.is_none_or(|t| t > now)
    }
}

/// A value and its expiry in the tree's format, into `buf` (emptied first).
fn encode_into(buf: &mut Vec<u8>, value: &[u8], expire_at: Option<i64>) {
    buf.clear();
    match expire_at {
        None => buf.push(TAG_STRING),
        Some(t) => {
            buf.push(TAG_STRING_EXPIRES);
            buf.extend_from_slice(&t.to_le_bytes());
        }
    }
    buf.extend_from_slice(value);
}

/// The hash a key is filed under: FNV-1a, then SplitMix64's finalizer so that keys differing
/// in their last byte spread over the whole range. Never 0 (SCAN's "done"). Part of the file
/// format: changing it would lose every key.
pub(crate) fn hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in key {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58476d1ce4e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d049bb133111eb);
    h ^= h >> 31;
    h.max(1)
}

fn tree_key(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(HASH_LEN + key.len());
    write_tree_key(&mut k, key);
    k
}

/// `key`'s tree key into `buf` (emptied first).
fn write_tree_key(buf: &mut Vec<u8>, key: &[u8]) {
    buf.clear();
    buf.extend_from_slice(&hash(key).to_be_bytes());
    buf.extend_from_slice(key);
}

/// The kv key and its hash from a tree key; `None` for one too short to be ours.
fn split_tree_key(k: &[u8]) -> Option<(u64, &[u8])> {
    let h = u64::from_be_bytes(k.get(..HASH_LEN)?.try_into().ok()?);
    Some((h, &k[HASH_LEN..]))
}

/// The error for a tree value that is not one of ours.
pub(crate) fn unknown_format(key: &[u8]) -> String {
    format!(
        "ERR storage: the value of '{}' is in an unknown format",
        String::from_utf8_lossy(key)
    )
}

fn storage_error(e: ::btree::Error) -> String {
    format!("ERR storage: {e}")
}

/// The open file and the turn's write transaction.
pub(crate) struct BtreeEngine {
    pub(crate) path: PathBuf,
    db: &'static Db,
    /// Always open between calls: taken only to commit, and begun again at once.
    txn: Option<WriteTxn<'static>>,
    /// The transaction holds writes not yet committed.
    pending: bool,
    /// The longest key the tree takes, less the hash.
    pub(crate) max_key: usize,
    /// Where the active expiry walk goes on from (a hash; 0: the start).
    expire_cursor: u64,
    /// Commits made (`INFO persistence`).
    pub(crate) commits: u64,
    /// The tree key of the last key read or written (no allocation per lookup).
    key_buf: Vec<u8>,
    /// The last value written, in the tree's format.
    value_buf: Vec<u8>,
    /// The values a command's keys had before it ran (see `btree_cmds::in_working_set`),
    /// kept between commands for its allocation.
    pub(crate) before: Vec<Option<Vec<u8>>>,
}

impl BtreeEngine {
    /// Opens (or creates) `dir/kv.btree` and begins the first transaction, which holds the
    /// file's write lock: a second server on the same file is refused here.
    pub(crate) fn open(dir: &Path) -> Result<BtreeEngine, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let path = dir.join(FILE);
        let db = Db::open(&path, &Options::default())
            .map_err(|e| format!("opening {}: {e}", path.display()))?;
        let max_key = ::btree::max_key_len(db.page_size()) - HASH_LEN;
        let db: &'static Db = Box::leak(Box::new(db));
        let txn = db.write().map_err(|e| match e {
            ::btree::Error::Busy => format!(
                "{} is in use by another writer (another kv serve on the same dir?)",
                path.display()
            ),
            e => format!("{}: {e}", path.display()),
        })?;
        Ok(BtreeEngine {
            path,
            db,
            txn: Some(txn),
            pending: false,
            max_key,
            expire_cursor: 0,
            commits: 0,
            key_buf: Vec::new(),
            value_buf: Vec::new(),
            before: Vec::new(),
        })
    }

    fn txn(&mut self) -> &mut WriteTxn<'static> {
        self.txn
            .as_mut()
            .expect("the write transaction is begun again after every commit")
    }

    /// Keys in the tree (expired ones not yet deleted included, as Redis's DBSIZE).
    pub(crate) fn len(&self) -> u64 {
        self.txn.as_ref().map_or(0, |t| t.len())
    }

    /// `key`'s stored value as the tree holds it (see [`Stored::view`]).
    pub(crate) fn get_raw(&mut self, key: &[u8]) -> Result<Option<Vec<u8>>, String> {
        write_tree_key(&mut self.key_buf, key);
        let txn = self.txn.as_mut().expect("a transaction is open");
        txn.get(&self.key_buf).map_err(storage_error)
    }

    #[cfg(test)]
    pub(crate) fn put(&mut self, key: &[u8], stored: &Stored) -> Result<(), String> {
        self.put_value(key, &stored.value, stored.expire_at)
    }

    /// Sets `key` to the string `value` with `expire_at`.
    pub(crate) fn put_value(
        &mut self,
        key: &[u8],
        value: &[u8],
        expire_at: Option<i64>,
    ) -> Result<(), String> {
        self.pending = true;
        write_tree_key(&mut self.key_buf, key);
        encode_into(&mut self.value_buf, value, expire_at);
        let txn = self.txn.as_mut().expect("a transaction is open");
        txn.put(&self.key_buf, &self.value_buf)
            .map_err(storage_error)
    }

    /// Deletes `key`; whether it was there.
    pub(crate) fn delete(&mut self, key: &[u8]) -> Result<bool, String> {
        let k = tree_key(key);
        let found = self.txn().delete(&k).map_err(storage_error)?;
        self.pending |= found;
        Ok(found)
    }

    /// Makes the turn's writes durable (a no-op without any), then begins the next
    /// transaction. An error means they may not be: the caller must not acknowledge them.
    pub(crate) fn commit(&mut self) -> Result<(), String> {
        if !self.pending {
            return Ok(());
        }
        let txn = self.txn.take().expect("a transaction is open");
        self.pending = false;
        txn.commit()
            .map_err(|e| format!("committing to {}: {e}", self.path.display()))?;
        self.commits += 1;
        self.txn = Some(
            self.db
                .write()
                .map_err(|e| format!("{}: {e}", self.path.display()))?,
        );
        Ok(())
    }

    /// Visits entries in hash order from hash `cursor` on; `visit` returns whether to go
    /// on. Returns the hash of the first entry not visited (0: the end), never stopping
    /// inside a run of keys with one hash, so a cursor never splits one.
    pub(crate) fn scan(
        &mut self,
        cursor: u64,
        mut visit: impl FnMut(&[u8], &Stored) -> bool,
    ) -> Result<u64, String> {
        let mut c = self.txn().cursor();
        let mut entry = c.seek(&cursor.to_be_bytes()).map_err(storage_error)?;
        let mut stop_after: Option<u64> = None;
        while let Some((k, v)) = entry {
            let Some((h, key)) = split_tree_key(&k) else {
                return Err("ERR storage: a tree key shorter than its hash".into());
            };
            if let Some(last) = stop_after {
                if h != last {
                    return Ok(h);
                }
            }
            let stored = Stored::decode(&v).ok_or_else(|| {
                format!(
                    "ERR storage: the value of '{}' is in an unknown format",
                    String::from_utf8_lossy(key)
                )
            })?;
            if !visit(key, &stored) && stop_after.is_none() {
                stop_after = Some(h);
            }
            entry = c.next().map_err(storage_error)?;
        }
        Ok(0)
    }

    /// Deletes every key (FLUSHALL), in one transaction.
    pub(crate) fn clear(&mut self) -> Result<(), String> {
        loop {
            let mut batch = Vec::new();
            {
                let mut c = self.txn().cursor();
                let mut entry = c.first().map_err(storage_error)?;
                while let Some((k, _)) = entry {
                    batch.push(k);
                    if batch.len() == 1024 {
                        break;
                    }
                    entry = c.next().map_err(storage_error)?;
                }
            }
            if batch.is_empty() {
                return Ok(());
            }
            self.pending = true;
            for k in batch {
                self.txn().delete(&k).map_err(storage_error)?;
            }
        }
    }

    /// The active expiry: looks at up to `budget` entries from where the walk stopped,
    /// deleting those past their time; how many it deleted.
    pub(crate) fn expire_some(&mut self, now: i64, budget: usize) -> Result<usize, String> {
        let mut due = Vec::new();
        let mut seen = 0;
        let next = self.scan(self.expire_cursor, |key, s| {
            seen += 1;
            if !s.live(now) {
                due.push(key.to_vec());
            }
            seen < budget
        })?;
        self.expire_cursor = next;
        for key in &due {
            self.delete(key)?;
        }
        Ok(due.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> TempDir {
            let d = std::env::temp_dir().join(format!("kv-btree-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&d);
            TempDir(d)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn values_round_trip_and_a_strange_tag_is_refused() {
        for s in [
            Stored {
                value: b"".to_vec(),
                expire_at: None,
            },
            Stored {
                value: b"\x01\x00abc".to_vec(),
                expire_at: Some(1_700_000_000_000),
            },
        ] {
            assert_eq!(Stored::decode(&s.encode()), Some(s));
        }
        assert_eq!(Stored::decode(b""), None);
        assert_eq!(Stored::decode(b"\x01abc"), None);
        assert_eq!(Stored::decode(b"\x07abc"), None);
    }

    #[test]
    fn the_hash_is_stable_and_never_zero() {
        // Part of the file format: these must never change.
        assert_eq!(hash(b"greeting"), 0xf15f_bde9_3284_3575);
        assert_eq!(hash(b""), 0xf52a_15e9_a9b5_e89b);
        assert_ne!(hash(b"key:1"), hash(b"key:2"));
        assert!((0..10_000).all(|i| hash(format!("k{i}").as_bytes()) != 0));
    }

    #[test]
    fn commits_reach_the_file_and_a_second_writer_is_refused() {
        let d = TempDir::new("commit");
        let mut e = BtreeEngine::open(&d.0).unwrap();
        let s = Stored {
            value: b"v".to_vec(),
            expire_at: None,
        };
        e.put(b"k", &s).unwrap();
        e.commit().unwrap();
        assert_eq!(e.commits, 1);
        e.commit().unwrap();
        assert_eq!(e.commits, 1, "nothing to commit");
        let err = BtreeEngine::open(&d.0).err().unwrap();
        assert!(err.contains("in use by another writer"), "{err}");
        let r = Db::open(d.0.join(FILE), &Options::default()).unwrap();
        let snap = r.read().unwrap();
        assert_eq!(snap.get(&tree_key(b"k")).unwrap(), Some(s.encode()));
    }

    #[test]
    fn a_scan_visits_every_key_once_across_cursors_and_expiry_deletes_the_due() {
        let d = TempDir::new("scan");
        let mut e = BtreeEngine::open(&d.0).unwrap();
        for i in 0..500 {
            let s = Stored {
                value: vec![b'x'; i % 50],
                expire_at: (i % 5 == 0).then_some(100),
            };
            e.put(format!("k{i}").as_bytes(), &s).unwrap();
        }
        let (mut cursor, mut seen) = (0, Vec::new());
        loop {
            let mut n = 0;
            cursor = e
                .scan(cursor, |k, _| {
                    seen.push(k.to_vec());
                    n += 1;
                    n < 7
                })
                .unwrap();
            if cursor == 0 {
                break;
            }
        }
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 500);
        let mut deleted = 0;
        for _ in 0..100 {
            deleted += e.expire_some(200, 30).unwrap();
        }
        assert_eq!(deleted, 100);
        assert_eq!(e.len(), 400);
        e.clear().unwrap();
        assert_eq!(e.len(), 0);
        e.commit().unwrap();
    }
}
