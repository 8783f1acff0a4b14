//! A chained hash table in the manner of Redis's `dict.c`: a power-of-two array of buckets,
//! each a singly linked list of entries, keyed by SipHash with a per-process random key
//! (so a client cannot choose keys that all land in one bucket).
//!
//! Why not `std::collections::HashMap`: three things a Redis-compatible server needs look at
//! buckets. `SCAN` returns a cursor that must keep working while the table is modified and
//! resized, and return every element present for the whole iteration at least once: Redis's
//! reverse-binary cursor does that over power-of-two bucket arrays ([`Dict::scan`]).
//! `RANDOMKEY` and eviction sampling pick random buckets ([`Dict::random`]). The active
//! expiry cycle walks the table a few buckets per turn with the same kind of cursor.
//!
//! Resizing doubles (or halves) the bucket array at once, where Redis rehashes a few buckets
//! per operation to spread the cost; a resize of a million keys costs a few milliseconds
//! here, once.

use crate::store::key::Key;
use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// One entry and the link to the next in its bucket: one allocation, the key inline in it
/// when short (see [`Key`]).
struct Node<V> {
    key: Key,
    value: V,
    next: Option<Box<Node<V>>>,
}

/// Values by byte-string key, with bucket-level access for scans and sampling.
pub(crate) struct Dict<V> {
    buckets: Vec<Option<Box<Node<V>>>>,
    len: usize,
    hasher: RandomState,
}

/// What [`Dict::get_mut_or_remove`] found.
pub(crate) enum Lookup<'d, V> {
    Found(&'d mut V),
    Removed(V),
    Missing,
}

/// Smallest bucket array (Redis's `DICT_HT_INITIAL_SIZE`).
const MIN_BUCKETS: usize = 4;
/// The largest bucket array [`Dict::clear`] keeps.
const KEEP_BUCKETS: usize = 64;

impl<V> Default for Dict<V> {
    fn default() -> Dict<V> {
        Dict::new()
    }
}

impl<V> Dict<V> {
    pub(crate) fn new() -> Dict<V> {
        Dict {
            buckets: Vec::new(),
            len: 0,
            hasher: RandomState::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Buckets in the array (0 before the first insert): the tests watch it shrink.
    #[cfg(test)]
    pub(crate) fn buckets(&self) -> usize {
        self.buckets.len()
    }

    fn index(&self, key: &[u8]) -> usize {
        // The bytes alone: `hash_one` would hash the slice's length first, a round of
        // SipHash more for nothing (the final round mixes the length in anyway).
        let mut h = self.hasher.build_hasher();
        h.write(key);
        (h.finish() as usize) & (self.buckets.len() - 1)
    }

    pub(crate) fn get(&self, key: &[u8]) -> Option<&V> {
        if self.buckets.is_empty() {
            return None;
        }
        let mut node = self.buckets[self.index(key)].as_deref();
        while let Some(n) = node {
            if &*n.key == key {
                return Some(&n.value);
            }
            node = n.next.as_deref();
        }
        None
    }

    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut V> {
        if self.buckets.is_empty() {
            return None;
        }
        self.get_mut_in(self.index(key), key)
    }

    /// `key`'s value in bucket `i`.
    fn get_mut_in(&mut self, i: usize, key: &[u8]) -> Option<&mut V> {
        let mut node = self.buckets[i].as_deref_mut();
        while let Some(n) = node {
            if &*n.key == key {
                return Some(&mut n.value);
            }
            node = n.next.as_deref_mut();
        }
        None
    }

    /// `key`'s value, or, should `remove_if` say so of it, its removal: the key is hashed
    /// once, where [`get`](Self::get) then [`get_mut`](Self::get_mut) or
    /// [`remove`](Self::remove) would hash it twice (a read that checks the expiry first).
    pub(crate) fn get_mut_or_remove(
        &mut self,
        key: &[u8],
        remove_if: impl FnOnce(&V) -> bool,
    ) -> Lookup<'_, V> {
        if self.buckets.is_empty() {
            return Lookup::Missing;
        }
        let i = self.index(key);
        let mut node = self.buckets[i].as_deref();
        let remove = loop {
            match node {
                None => return Lookup::Missing,
                Some(n) if &*n.key == key => break remove_if(&n.value),
                Some(n) => node = n.next.as_deref(),
            }
        };
        // Walked again to hand out the entry mutably (or to unlink it): a chain is a node or
        // two, and walking it costs less than hashing the key again.
        let found = if remove {
            self.remove_in(i, key).map(Lookup::Removed)
        } else {
            self.get_mut_in(i, key).map(Lookup::Found)
        };
        found.unwrap_or(Lookup::Missing)
    }

    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Sets `key` to `value`; the old value, if there was one.
    pub(crate) fn insert(&mut self, key: &[u8], value: V) -> Option<V> {
        let mut i = 0;
        if !self.buckets.is_empty() {
            i = self.index(key);
            if let Some(v) = self.get_mut_in(i, key) {
                return Some(std::mem::replace(v, value));
            }
        }
        // Hashed once, unless the array grows under it.
        if self.grow_if_full() {
            i = self.index(key);
        }
        let next = self.buckets[i].take();
        self.buckets[i] = Some(Box::new(Node {
            key: key.into(),
            value,
            next,
        }));
        self.len += 1;
        None
    }

    /// `key`'s value, made by `make` and inserted if missing; whether it was. The key is
    /// hashed once (a write that creates its aggregate when absent: SADD, LPUSH, HSET). The
    /// entry ends at the head of its chain, where it is found first next time.
    pub(crate) fn get_or_insert_with(
        &mut self,
        key: &[u8],
        make: impl FnOnce() -> V,
    ) -> (&mut V, bool) {
        let mut i = 0;
        let mut found = None;
        if !self.buckets.is_empty() {
            i = self.index(key);
            found = self.unlink_in(i, key);
        }
        let (mut node, created) = match found {
            Some(node) => (node, false),
            None => {
                if self.grow_if_full() {
                    i = self.index(key);
                }
                self.len += 1;
                let node = Box::new(Node {
                    key: key.into(),
                    value: make(),
                    next: None,
                });
                (node, true)
            }
        };
        node.next = self.buckets[i].take();
        let node = self.buckets[i].insert(node);
        (&mut node.value, created)
    }

    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<V> {
        if self.buckets.is_empty() {
            return None;
        }
        self.remove_in(self.index(key), key)
    }

    /// Removes `key` from bucket `i`.
    fn remove_in(&mut self, i: usize, key: &[u8]) -> Option<V> {
        let node = self.unlink_in(i, key)?;
        self.len -= 1;
        self.shrink_if_sparse();
        Some(node.value)
    }

    /// Takes `key`'s node out of bucket `i`'s chain (`len` left as it was).
    fn unlink_in(&mut self, i: usize, key: &[u8]) -> Option<Box<Node<V>>> {
        let mut link = &mut self.buckets[i];
        loop {
            match link {
                None => return None,
                Some(n) if &*n.key == key => {
                    let mut node = link.take()?;
                    *link = node.next.take();
                    return Some(node);
                }
                Some(n) => link = &mut n.next,
            }
        }
    }

    /// Removes every entry.
    pub(crate) fn clear(&mut self) {
        // Unlinks chain by chain so that a long chain is not dropped recursively.
        for bucket in &mut self.buckets {
            let mut node = bucket.take();
            while let Some(mut n) = node {
                node = n.next.take();
            }
        }
        // A small array is kept, emptied: the btree engine's working set is filled and
        // cleared around every command, and would allocate it again each time.
        if self.buckets.len() > KEEP_BUCKETS {
            self.buckets = Vec::new();
        }
        self.len = 0;
    }

    /// Every entry, in bucket order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&[u8], &V)> {
        self.buckets.iter().flat_map(|b| {
            let mut node = b.as_deref();
            std::iter::from_fn(move || {
                let n = node?;
                node = n.next.as_deref();
                Some((&*n.key, &n.value))
            })
        })
    }

    /// The entries of bucket `i` (mod the bucket count).
    pub(crate) fn bucket(&self, i: usize) -> impl Iterator<Item = (&[u8], &V)> {
        let mut node = if self.buckets.is_empty() {
            None
        } else {
            self.buckets[i & (self.buckets.len() - 1)].as_deref()
        };
        std::iter::from_fn(move || {
            let n = node?;
            node = n.next.as_deref();
            Some((&*n.key, &n.value))
        })
    }

    /// One step of a scan: calls `visit` for every entry of the bucket `cursor` names (and,
    /// for a cursor taken before the table grew, its expansions), and returns the next cursor,
    /// 0 when the scan is complete. Redis's reverse-binary increment: the cursor's high bits
    /// are incremented, so buckets that split on growth (i and i + size) or merge on shrinking
    /// are visited together, and no element present for the whole scan is missed.
    pub(crate) fn scan(&self, cursor: u64, mut visit: impl FnMut(&[u8], &V)) -> u64 {
        if self.buckets.is_empty() {
            return 0;
        }
        let mask = (self.buckets.len() - 1) as u64;
        for (k, v) in self.bucket((cursor & mask) as usize) {
            visit(k, v);
        }
        // Set the bits above the mask, increment the reversed cursor, reverse back.
        let mut v = cursor | !mask;
        v = v.reverse_bits();
        v = v.wrapping_add(1);
        v.reverse_bits()
    }

    /// A bucket index chosen from `random`, that holds at least one entry, and the entry at
    /// a position chosen from `random` in its chain. `None` when the table is empty.
    pub(crate) fn random(&self, mut random: impl FnMut() -> u64) -> Option<(&[u8], &V)> {
        if self.len == 0 {
            return None;
        }
        let mask = self.buckets.len() - 1;
        loop {
            let i = random() as usize & mask;
            let chain = self.bucket(i).count();
            if chain == 0 {
                continue;
            }
            let pick = random() as usize % chain;
            return self.bucket(i).nth(pick);
        }
    }

    /// `count` distinct entries chosen from `random` (all of them if `count` is not less than
    /// the length). Redis's two ways: when most of the table is wanted, a partial shuffle of
    /// all the entries; otherwise random picks until enough distinct ones came up.
    pub(crate) fn sample(&self, count: usize, mut random: impl FnMut() -> u64) -> Vec<(&[u8], &V)> {
        if count >= self.len {
            return self.iter().collect();
        }
        if count.saturating_mul(3) > self.len {
            let mut all: Vec<(&[u8], &V)> = self.iter().collect();
            for i in 0..count {
                let j = i + (random() as usize) % (all.len() - i);
                all.swap(i, j);
            }
            all.truncate(count);
            return all;
        }
        let mut picked = std::collections::HashSet::with_capacity(count);
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            if let Some((k, v)) = self.random(&mut random) {
                if picked.insert(k) {
                    out.push((k, v));
                }
            }
        }
        out
    }

    /// Removes every entry for which `keep` says false, in the bucket `cursor` names, like
    /// one step of [`scan`](Self::scan); returns the next cursor and how many entries it
    /// looked at.
    pub(crate) fn scan_retain(
        &mut self,
        cursor: u64,
        mut keep: impl FnMut(&[u8], &mut V) -> bool,
    ) -> (u64, usize) {
        if self.buckets.is_empty() {
            return (0, 0);
        }
        let mask = (self.buckets.len() - 1) as u64;
        let mut seen = 0;
        let mut removed = 0;
        let mut link = &mut self.buckets[(cursor & mask) as usize];
        loop {
            let remove = match link {
                None => break,
                Some(n) => {
                    seen += 1;
                    !keep(&n.key, &mut n.value)
                }
            };
            if remove {
                if let Some(mut node) = link.take() {
                    *link = node.next.take();
                    removed += 1;
                }
            } else if let Some(n) = link {
                link = &mut n.next;
            }
        }
        self.len -= removed;
        let next = (cursor | !mask)
            .reverse_bits()
            .wrapping_add(1)
            .reverse_bits();
        if removed > 0 {
            self.shrink_if_sparse();
        }
        (next, seen)
    }

    /// Makes room for `n` entries at once: the array grows to what `n` inserts would have
    /// grown it to, so they rehash nothing (the log's replay, which knows roughly how many
    /// keys are coming).
    pub(crate) fn reserve(&mut self, n: usize) {
        let Some(want) = n.max(MIN_BUCKETS).checked_next_power_of_two() else {
            return;
        };
        if want > self.buckets.len() {
            self.resize(want);
        }
    }

    /// Shrinks the array to what inserting the entries one by one would have left, should a
    /// [`reserve`](Self::reserve) have asked for more than came.
    pub(crate) fn shrink_to_fit(&mut self) {
        let want = self.len.max(MIN_BUCKETS).next_power_of_two();
        if self.buckets.len() > want {
            self.resize(want);
        }
    }

    /// Whether it grew.
    fn grow_if_full(&mut self) -> bool {
        if self.buckets.is_empty() {
            self.resize(MIN_BUCKETS);
        } else if self.len >= self.buckets.len() {
            self.resize(self.buckets.len() * 2);
        } else {
            return false;
        }
        true
    }

    /// Halves the array when under a tenth full (Redis's `HASHTABLE_MIN_FILL`).
    fn shrink_if_sparse(&mut self) {
        let n = self.buckets.len();
        if n > MIN_BUCKETS && self.len * 10 < n {
            let want = (self.len.max(MIN_BUCKETS)).next_power_of_two();
            self.resize(want.max(MIN_BUCKETS));
        }
    }

    fn resize(&mut self, size: usize) {
        let old = std::mem::take(&mut self.buckets);
        self.buckets.resize_with(size, || None);
        for mut bucket in old {
            while let Some(mut node) = bucket {
                bucket = node.next.take();
                let i = self.index(&node.key);
                node.next = self.buckets[i].take();
                self.buckets[i] = Some(node);
            }
        }
    }
}

impl<V> Drop for Dict<V> {
    fn drop(&mut self) {
        self.clear();
    }
}

impl<V: std::fmt::Debug> std::fmt::Debug for Dict<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (String::from_utf8_lossy(k), v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    #[test]
    fn get_or_insert_with_finds_or_creates_once_through_growth() {
        let mut d: Dict<Vec<usize>> = Dict::new();
        for round in 0..3 {
            for i in 0..2000 {
                let (v, created) = d.get_or_insert_with(&key(i), Vec::new);
                assert_eq!(created, round == 0, "{i} in round {round}");
                v.push(round);
            }
            assert_eq!(d.len(), 2000);
        }
        for i in 0..2000 {
            assert_eq!(d.get(&key(i)), Some(&vec![0, 1, 2]));
        }
        assert_eq!(d.iter().count(), 2000, "no key twice in a chain");
        assert_eq!(d.buckets(), 2048);
    }

    #[test]
    fn insert_get_replace_remove() {
        let mut d = Dict::new();
        assert_eq!(d.get(b"a"), None);
        assert_eq!(d.insert(b"a", 1), None);
        assert_eq!(d.insert(b"a", 2), Some(1));
        for i in 0..1000 {
            d.insert(&key(i), i);
        }
        assert_eq!(d.len(), 1001);
        assert_eq!(d.get(b"a"), Some(&2));
        assert_eq!(d.get(&key(777)), Some(&777));
        *d.get_mut(&key(5)).unwrap() = 55;
        assert_eq!(d.remove(&key(5)), Some(55));
        assert_eq!(d.remove(&key(5)), None);
        assert_eq!(d.iter().count(), 1000);
        for i in 0..1000 {
            d.remove(&key(i));
        }
        assert_eq!(d.len(), 1);
        assert!(d.buckets() <= 16, "shrank: {}", d.buckets());
        d.clear();
        assert!(d.is_empty());
    }

    #[test]
    fn a_scan_returns_every_element_present_throughout_despite_resizes() {
        let mut d = Dict::new();
        for i in 0..500 {
            d.insert(&key(i), ());
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut steps = 0;
        loop {
            cursor = d.scan(cursor, |k, _| {
                seen.insert(k.to_vec());
            });
            steps += 1;
            // Grow in the middle, then shrink: elements 0..250 stay throughout.
            if steps == 50 {
                for i in 500..5000 {
                    d.insert(&key(i), ());
                }
            }
            if steps == 400 {
                for i in 250..5000 {
                    d.remove(&key(i));
                }
            }
            if cursor == 0 {
                break;
            }
            assert!(steps < 100_000);
        }
        for i in 0..250 {
            assert!(seen.contains(&key(i)), "missed {i}");
        }
    }

    #[test]
    fn scan_retain_removes_what_it_is_told_over_a_full_pass() {
        let mut d = Dict::new();
        for i in 0..1000 {
            d.insert(&key(i), i);
        }
        let mut cursor = 0;
        let mut looked = 0;
        loop {
            let (next, seen) = d.scan_retain(cursor, |_, v| *v % 2 == 0);
            looked += seen;
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        assert!(looked >= 1000);
        assert_eq!(d.len(), 500);
        assert!(d.iter().all(|(_, v)| v % 2 == 0));
    }

    #[test]
    fn random_picks_existing_entries_and_reaches_all_of_them() {
        let mut d = Dict::new();
        assert!(d.random(|| 1).is_none());
        for i in 0..20 {
            d.insert(&key(i), i);
        }
        let mut state = 0x2545F4914F6CDD1Du64;
        let mut rng = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            let (k, v) = d.random(&mut rng).unwrap();
            assert_eq!(d.get(k), Some(v));
            seen.insert(*v);
        }
        assert_eq!(seen.len(), 20);
    }

    #[test]
    fn a_sample_is_distinct_entries_of_the_size_asked() {
        let mut d = Dict::new();
        for i in 0..100 {
            d.insert(&key(i), i);
        }
        let mut state = 0x9E3779B97F4A7C15u64;
        let mut rng = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for count in [0, 1, 10, 40, 99, 100, 500] {
            let s = d.sample(count, &mut rng);
            assert_eq!(s.len(), count.min(100), "{count}");
            let distinct: HashSet<&[u8]> = s.iter().map(|(k, _)| *k).collect();
            assert_eq!(distinct.len(), s.len());
            assert!(s.iter().all(|(k, v)| d.get(k) == Some(v)));
        }
    }

    #[test]
    fn get_mut_or_remove_finds_removes_or_misses() {
        let mut d = Dict::new();
        assert!(matches!(
            d.get_mut_or_remove(b"a", |_| true),
            Lookup::Missing
        ));
        for i in 0..100 {
            d.insert(&key(i), i);
        }
        match d.get_mut_or_remove(&key(7), |v| *v == 8) {
            Lookup::Found(v) => *v = 70,
            _ => panic!("not found"),
        }
        assert_eq!(d.get(&key(7)), Some(&70));
        assert!(matches!(
            d.get_mut_or_remove(&key(8), |v| *v == 8),
            Lookup::Removed(8)
        ));
        assert!(matches!(
            d.get_mut_or_remove(&key(8), |_| false),
            Lookup::Missing
        ));
        assert_eq!(d.len(), 99);
    }

    #[test]
    fn a_string_keys_node_fits_glibcs_80_byte_chunk() {
        // glibc hands out chunks of 16-byte steps with 8 bytes of header: 72 bytes is the most
        // an 80-byte chunk holds. The next size up costs 16 bytes more on every key.
        let node = std::mem::size_of::<Node<crate::store::Entry>>();
        assert!(node <= 72, "{node}");
    }

    #[test]
    fn a_long_chain_drops_without_recursion() {
        let mut d: Dict<u32> = Dict::new();
        for i in 0..200_000 {
            d.insert(&key(i), 0);
        }
        drop(d);
    }
}
