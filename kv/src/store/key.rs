//! A key as the hash table keeps it: short keys (most are) inline in the table's node, longer
//! ones in a box of their own.
//!
//! A key in its own allocation costs a 16-byte fat pointer in the node plus a heap block
//! (glibc's smallest is 32 bytes for up to 24 bytes of key), and a pointer chase on every
//! lookup. Inline, a key of up to [`INLINE`] bytes costs the 24 bytes of this type and nothing
//! else: the node, its key and its entry are one allocation (Redis's embedded keys do the same).

use std::ops::Deref;

/// The longest key kept inline: what fits beside the tag and a length byte in 24 bytes.
pub(crate) const INLINE: usize = 22;

/// A byte-string key, inline up to [`INLINE`] bytes.
pub(crate) enum Key {
    Inline { len: u8, bytes: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl From<&[u8]> for Key {
    fn from(k: &[u8]) -> Key {
        if k.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..k.len()].copy_from_slice(k);
            Key::Inline {
                len: k.len() as u8,
                bytes,
            }
        } else {
            Key::Heap(k.into())
        }
    }
}

impl Deref for Key {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        match self {
            Key::Inline { len, bytes } => &bytes[..*len as usize],
            Key::Heap(b) => b,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_24_bytes_and_reads_back_at_every_length() {
        assert_eq!(std::mem::size_of::<Key>(), 24);
        for n in 0..64 {
            let k: Vec<u8> = (0..n as u8).collect();
            let key = Key::from(&k[..]);
            assert_eq!(&*key, &k[..], "{n}");
            assert_eq!(matches!(key, Key::Inline { .. }), n <= INLINE, "{n}");
        }
    }
}
