//! The dataset: keys to values, with expiry times and access times for eviction.
//!
//! | module | what it is for |
//! |---|---|
//! | [`dict`] | the hash table (Redis's `dict.c`): buckets for `SCAN`, sampling, the expiry walk |
//! | [`key`] | a key, inline in the table's node when short |
//! | [`bytes`] | a string value's bytes in 16 bytes |
//! | [`value`] | the value types |
//!
//! Expiry is Redis's: a key past its time is deleted when a command looks it up (lazily), and
//! a walk over the table a few buckets per tick deletes those nobody looks up (actively),
//! within a budget so a tick never stalls the clients. Each deletion is reported to the
//! caller ([`Db::take_expired`]) so it can be logged as a `DEL`: a replayed log then needs no
//! clock. While the log is replayed ([`Db::loading`]), nothing expires.

pub(crate) mod bytes;
pub(crate) mod dict;
pub(crate) mod key;
pub(crate) mod value;

use dict::{Dict, Lookup};
use std::collections::BTreeMap;
use value::Value;

/// Milliseconds since the Unix epoch: the time expiries are kept in (absolute, so that the
/// log can carry them, as Redis's `PEXPIREAT`).
pub(crate) fn now_ms() -> i64 {
    // clock_gettime itself: every command reads the clock, and `SystemTime`'s checked
    // subtraction from the epoch and conversions cost as much again as the (vDSO) call.
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME always exists.
    if unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000).max(0)
}

/// A key's value and its metadata.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) value: Value,
    /// When the key expires (Unix ms), 0 if it does not: an `Option<i64>` would take 16 bytes
    /// in every entry for a time that is never the epoch itself.
    expire: i64,
    /// The last access, in the LRU clock's seconds (for `allkeys-lru`).
    pub(crate) lru: u32,
}

impl Entry {
    /// When the key expires (Unix ms), if it does.
    pub(crate) fn expire_at(&self) -> Option<i64> {
        (self.expire != 0).then_some(self.expire)
    }

    /// An empty string, never stored: what a closure that has given its entry away returns.
    fn placeholder() -> Entry {
        Entry {
            value: Value::Str(Default::default()),
            expire: 0,
            lru: 0,
        }
    }

    fn set_expire_at(&mut self, at: Option<i64>) {
        // An expiry at the epoch itself (or before) is already past: 1 ms after it is too.
        self.expire = at.map_or(0, |t| if t == 0 { 1 } else { t });
    }
}

/// The one database (Redis's db 0).
#[derive(Debug, Default)]
pub(crate) struct Db {
    keys: Dict<Entry>,
    /// Keys with an expiry time.
    volatile: usize,
    /// Where the active expiry walk goes on from.
    expire_cursor: u64,
    /// Keys deleted by expiry, not yet taken by the caller to be logged.
    expired: Vec<Vec<u8>>,
    /// While the log is replayed: nothing expires.
    pub(crate) loading: bool,
    /// The LRU clock now (seconds), stamped on every access.
    pub(crate) lru_clock: u32,
    pub(crate) stats: DbStats,
}

/// Counters `INFO stats` shows.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct DbStats {
    pub(crate) expired_keys: u64,
    pub(crate) evicted_keys: u64,
    pub(crate) hits: u64,
    pub(crate) misses: u64,
}

/// A value as [`Db::dump`] gives it: its contents, a hash's fields and a set's members
/// sorted.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Dumped<'a> {
    Str(&'a [u8]),
    List(Vec<&'a [u8]>),
    Hash(Vec<(&'a [u8], &'a [u8])>),
    Set(Vec<&'a [u8]>),
}

impl Db {
    /// Every key with its value's contents and its expiry, members sorted: two datasets with
    /// the same contents dump the same (the log's round-trip tests and fuzz target). Borrowed,
    /// not formatted: the aof fuzz target dumps two datasets at every execution.
    pub(crate) fn dump(&self) -> BTreeMap<&[u8], (Dumped<'_>, Option<i64>)> {
        self.iter()
            .map(|(k, e)| {
                let contents = match &e.value {
                    Value::Str(s) => Dumped::Str(s),
                    Value::List(l) => Dumped::List(l.iter().map(Vec::as_slice).collect()),
                    Value::Hash(h) => {
                        let mut pairs: Vec<_> = h.iter().map(|(f, v)| (f, v.as_slice())).collect();
                        pairs.sort_unstable();
                        Dumped::Hash(pairs)
                    }
                    Value::Set(s) => {
                        let mut members: Vec<_> = s.iter().map(|(m, _)| m).collect();
                        members.sort_unstable();
                        Dumped::Set(members)
                    }
                };
                (k, (contents, e.expire_at()))
            })
            .collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.keys.len()
    }

    /// Makes room for `n` keys in all (see [`Dict::reserve`]).
    pub(crate) fn reserve(&mut self, n: usize) {
        self.keys.reserve(n);
    }

    /// Gives back what a [`reserve`](Self::reserve) asked for beyond the keys there are.
    pub(crate) fn shrink_to_fit(&mut self) {
        self.keys.shrink_to_fit();
    }

    /// Buckets in the key table's array (the replay's tests check its size).
    #[cfg(test)]
    pub(crate) fn buckets(&self) -> usize {
        self.keys.buckets()
    }

    /// Keys with an expiry time.
    pub(crate) fn volatile(&self) -> usize {
        self.volatile
    }

    /// The live entry of `key`, its access time stamped; one past its expiry is deleted (and
    /// reported for the log) instead. Counts a hit or a miss if `count`. One hash of the key
    /// for all of it: this is every read's path.
    fn find(&mut self, key: &[u8], now: i64, count: bool) -> Option<&mut Entry> {
        let Db {
            keys,
            volatile,
            expired,
            loading,
            lru_clock,
            stats,
            ..
        } = self;
        // While the log is replayed nothing expires.
        let due = |e: &Entry| !*loading && e.expire_at().is_some_and(|t| t <= now);
        let found = match keys.get_mut_or_remove(key, due) {
            Lookup::Found(e) => {
                e.lru = *lru_clock;
                Some(e)
            }
            Lookup::Removed(_) => {
                // Only an entry with an expiry is ever due.
                *volatile -= 1;
                stats.expired_keys += 1;
                expired.push(key.to_vec());
                None
            }
            Lookup::Missing => None,
        };
        if count {
            match found {
                Some(_) => stats.hits += 1,
                None => stats.misses += 1,
            }
        }
        found
    }

    /// The live entry of `key` (an expired one is deleted first), its access time stamped.
    pub(crate) fn get_mut(&mut self, key: &[u8], now: i64) -> Option<&mut Entry> {
        self.find(key, now, false)
    }

    /// The live value of `key`, counting a hit or a miss (`INFO`'s `keyspace_hits`).
    pub(crate) fn read(&mut self, key: &[u8], now: i64) -> Option<&mut Value> {
        self.find(key, now, true).map(|e| &mut e.value)
    }

    /// The live entry of `key`, its access time stamped, or a new one with the value `make`
    /// gives (no expiry) if there was none: [`get_mut`](Self::get_mut) then
    /// [`set`](Self::set), an expired key deleted (and reported for the log) as they would,
    /// with one hash of the key instead of three (SADD, LPUSH, HSET on their aggregate).
    pub(crate) fn get_or_create(
        &mut self,
        key: &[u8],
        now: i64,
        make: impl Fn() -> Value,
    ) -> &mut Entry {
        let fresh = |lru| Entry {
            value: make(),
            expire: 0,
            lru,
        };
        let lru = self.lru_clock;
        let (entry, created) = self.keys.get_or_insert_with(key, || fresh(lru));
        if !created {
            // While the log is replayed nothing expires.
            if !self.loading && entry.expire_at().is_some_and(|t| t <= now) {
                *entry = fresh(lru);
                self.volatile -= 1;
                self.stats.expired_keys += 1;
                self.expired.push(key.to_vec());
            } else {
                entry.lru = lru;
            }
        }
        entry
    }

    /// Whether `key` exists (and has not expired).
    pub(crate) fn contains(&mut self, key: &[u8], now: i64) -> bool {
        self.get_mut(key, now).is_some()
    }

    /// Sets `key` to `value` with `expire_at`, replacing what was there (its expiry too).
    pub(crate) fn set(&mut self, key: &[u8], value: Value, expire_at: Option<i64>) {
        let mut entry = Entry {
            value,
            expire: 0,
            lru: self.lru_clock,
        };
        entry.set_expire_at(expire_at);
        let old = self.keys.insert(key, entry);
        if old.as_ref().is_some_and(|o| o.expire_at().is_some()) {
            self.volatile -= 1;
        }
        if expire_at.is_some() {
            self.volatile += 1;
        }
    }

    /// [`get_mut`](Self::get_mut) then [`set`](Self::set), with one hash of the key: an
    /// entry past its expiry is reported deleted (for the log's DEL, and `expired_keys`)
    /// before the new value replaces it, as SET's lookup of its key does.
    pub(crate) fn set_live(&mut self, key: &[u8], value: Value, expire_at: Option<i64>, now: i64) {
        let mut new = Entry {
            value,
            expire: 0,
            lru: self.lru_clock,
        };
        new.set_expire_at(expire_at);
        // Taken by the table if the key is new; still here if it was there.
        let mut new = Some(new);
        let (entry, _) = self
            .keys
            .get_or_insert_with(key, || new.take().unwrap_or_else(Entry::placeholder));
        if let Some(new) = new {
            let old = std::mem::replace(entry, new);
            if let Some(t) = old.expire_at() {
                self.volatile -= 1;
                // While the log is replayed nothing expires.
                if !self.loading && t <= now {
                    self.stats.expired_keys += 1;
                    self.expired.push(key.to_vec());
                }
            }
        }
        if expire_at.is_some() {
            self.volatile += 1;
        }
    }

    /// Sets `key`'s expiry (the key exists); `None` removes it.
    pub(crate) fn set_expire(&mut self, key: &[u8], expire_at: Option<i64>) {
        if let Some(e) = self.keys.get_mut(key) {
            match (e.expire_at().is_some(), expire_at.is_some()) {
                (false, true) => self.volatile += 1,
                (true, false) => self.volatile -= 1,
                _ => {}
            }
            e.set_expire_at(expire_at);
        }
    }

    /// Deletes `key`; whether it existed (expired keys are not looked at: call through
    /// [`get_mut`](Self::get_mut) first where that matters).
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        let old = self.keys.remove(key)?;
        if old.expire_at().is_some() {
            self.volatile -= 1;
        }
        Some(old)
    }

    /// Deletes `key` if its value is an empty hash, list or set (after a pop or a removal).
    pub(crate) fn drop_if_empty(&mut self, key: &[u8]) {
        if self
            .keys
            .get(key)
            .is_some_and(|e| e.value.is_empty_aggregate())
        {
            self.remove(key);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.keys.clear();
        self.volatile = 0;
        self.expire_cursor = 0;
    }

    /// Keys deleted by expiry since the last call, to be logged as `DEL`s.
    /// Whether expiry has deleted keys not yet taken by [`take_expired`](Self::take_expired).
    pub(crate) fn has_expired(&self) -> bool {
        !self.expired.is_empty()
    }

    pub(crate) fn take_expired(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.expired)
    }

    /// The active expiry: walks the table from where it stopped, deleting keys past their
    /// time, until `budget` entries have been looked at or the walk has gone round once.
    /// Returns how many were deleted.
    pub(crate) fn expire_some(&mut self, now: i64, budget: usize) -> usize {
        if self.volatile == 0 || self.loading {
            return 0;
        }
        let mut looked = 0;
        let mut deleted = Vec::new();
        loop {
            let (next, seen) = self.keys.scan_retain(self.expire_cursor, |k, e| {
                let due = e.expire_at().is_some_and(|t| t <= now);
                if due {
                    deleted.push(k.to_vec());
                }
                !due
            });
            self.expire_cursor = next;
            looked += seen.max(1);
            if next == 0 || looked >= budget {
                break;
            }
        }
        let n = deleted.len();
        self.volatile -= n;
        self.stats.expired_keys += n as u64;
        self.expired.extend(deleted);
        n
    }

    /// Every live key and entry (for `KEYS`, the log rewrite).
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &Entry)> {
        self.keys.iter()
    }

    /// One step of `SCAN` over the keys.
    pub(crate) fn scan(&self, cursor: u64, visit: impl FnMut(&[u8], &Entry)) -> u64 {
        self.keys.scan(cursor, visit)
    }

    /// A random key (`RANDOMKEY`, eviction sampling).
    pub(crate) fn random(&self, random: impl FnMut() -> u64) -> Option<(&[u8], &Entry)> {
        self.keys.random(random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_key_is_gone_when_looked_up_and_reported_for_the_log() {
        let mut db = Db::default();
        db.set(b"a", Value::Str(b"1".to_vec().into()), Some(1000));
        db.set(b"b", Value::Str(b"2".to_vec().into()), None);
        assert_eq!(db.volatile(), 1);
        assert!(db.contains(b"a", 999));
        assert!(!db.contains(b"a", 1000));
        assert_eq!(db.take_expired(), [b"a".to_vec()]);
        assert_eq!((db.len(), db.volatile(), db.stats.expired_keys), (1, 0, 1));
    }

    #[test]
    fn nothing_expires_while_loading() {
        let mut db = Db {
            loading: true,
            ..Db::default()
        };
        db.set(b"a", Value::Str(b"1".to_vec().into()), Some(1));
        assert!(db.contains(b"a", 10));
        assert_eq!(db.expire_some(10, 100), 0);
    }

    #[test]
    fn the_active_walk_deletes_within_its_budget_and_finishes_over_ticks() {
        let mut db = Db::default();
        for i in 0..10_000 {
            let t = if i % 2 == 0 { Some(5) } else { None };
            db.set(format!("k{i}").as_bytes(), Value::Str(vec![].into()), t);
        }
        let first = db.expire_some(10, 100);
        assert!(first > 0 && first < 5000, "{first}");
        let mut total = first;
        for _ in 0..1000 {
            total += db.expire_some(10, 100);
        }
        assert_eq!(total, 5000);
        assert_eq!((db.len(), db.volatile()), (5000, 0));
        assert_eq!(db.take_expired().len(), 5000);
    }

    #[test]
    fn an_entry_is_no_larger_than_it_needs_to_be() {
        // A string's bytes (16), the value's tag (8 with padding), the expiry time (8), the
        // LRU stamp (4, padded).
        assert!(
            std::mem::size_of::<Entry>() <= 40,
            "{}",
            std::mem::size_of::<Entry>()
        );
    }

    #[test]
    fn replacing_a_key_replaces_its_expiry() {
        let mut db = Db::default();
        db.set(b"a", Value::Str(vec![].into()), Some(50));
        db.set(b"a", Value::Str(vec![].into()), None);
        assert_eq!(db.volatile(), 0);
        db.set_expire(b"a", Some(7));
        assert_eq!(db.volatile(), 1);
        db.remove(b"a");
        assert_eq!(db.volatile(), 0);
    }
}
