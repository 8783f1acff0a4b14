//! btree: an on-disk B+tree in one file that survives a crash at any moment, after LMDB.

pub(crate) mod format;
