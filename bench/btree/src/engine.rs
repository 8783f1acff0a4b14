//! What the benchmark asks of an engine: the operations of the workloads, each over a
//! whole batch so that the loop around it is the engine's own (no dynamic call per key).
//! Every write is one transaction, durable when the call returns.

pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Pairs to put, or keys to delete, in one transaction.
pub type Pairs<'a> = &'a [(&'a [u8], &'a [u8])];

pub trait Engine {
    /// Its name in the table.
    fn name(&self) -> &'static str;

    /// Puts every pair (replacing any value) in one transaction and commits it durably.
    fn put_batch(&mut self, pairs: Pairs<'_>) -> Result<()>;

    /// Deletes every key in one transaction and commits it durably.
    fn delete_batch(&mut self, keys: &[&[u8]]) -> Result<()>;

    /// Looks every key up in one read transaction; returns how many were found and the
    /// sum of their values' lengths (so the values are really read).
    fn get_all(&mut self, keys: &mut dyn Iterator<Item = &[u8]>) -> Result<(u64, u64)>;

    /// Reads every entry in key order in one read transaction; returns the number of
    /// entries and the bytes of keys and values, and fails if a key is not above the one
    /// before it.
    fn scan(&mut self) -> Result<(u64, u64)>;

    /// Bytes on disk of the files that hold the data (with SQLite, the WAL too).
    fn file_bytes(&self) -> Result<u64>;
}

/// Fails unless `key` is above `prev` (the scan's check that the order is right), and
/// keeps it as the new `prev`.
pub fn check_order(prev: &mut Vec<u8>, key: &[u8], first: bool) -> Result<()> {
    if !first && key <= prev.as_slice() {
        return Err("a scan returned keys out of order".into());
    }
    prev.clear();
    prev.extend_from_slice(key);
    Ok(())
}
