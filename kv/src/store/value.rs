//! The values a key can hold: Redis's string, hash, list and set types.

use crate::store::bytes::Bytes;
use crate::store::dict::Dict;
use std::collections::VecDeque;

/// A key's value.
#[derive(Debug)]
pub(crate) enum Value {
    /// Bytes; integers and floats are strings that parse as such. 16 bytes rather than a
    /// `Vec`'s 24: see [`Bytes`].
    Str(Bytes),
    // The aggregates are boxed so that an entry is no larger than a string needs: most keys
    // hold strings, and every entry is as large as the largest variant.
    Hash(Box<Dict<Vec<u8>>>),
    // A VecDeque is 32 bytes: boxed, the entry of every string key is 8 bytes smaller.
    #[allow(clippy::box_collection)]
    List(Box<VecDeque<Vec<u8>>>),
    Set(Box<Dict<()>>),
}

impl Value {
    /// `TYPE`'s answer.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Value::Str(_) => "string",
            Value::Hash(_) => "hash",
            Value::List(_) => "list",
            Value::Set(_) => "set",
        }
    }

    /// An aggregate with no element left is deleted, as in Redis: a key never holds an empty
    /// hash, list or set.
    pub(crate) fn is_empty_aggregate(&self) -> bool {
        match self {
            Value::Str(_) => false,
            Value::Hash(h) => h.is_empty(),
            Value::List(l) => l.is_empty(),
            Value::Set(s) => s.is_empty(),
        }
    }
}

/// The reply to a command run against a key of another type.
pub(crate) const WRONGTYPE: &str =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
