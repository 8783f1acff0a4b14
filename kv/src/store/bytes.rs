//! A string value's bytes: a `Vec<u8>` in 16 bytes instead of 24.
//!
//! Every key's entry is as large as its largest value variant, and a string's `Vec<u8>` (a
//! pointer, a length and a capacity of 8 bytes each) is the largest. A string kv can hold is
//! under 4 GiB unless `proto-max-bulk-len` is raised past it, so the length and capacity fit
//! in 32 bits each: that takes 8 bytes off every entry, which brings a node with a short key
//! to 72 bytes, the most glibc's 80-byte chunk holds (see `kv/README.md`, "Benchmark").
//! A string of 4 GiB or more is still kept, as a boxed `Vec` behind the same pointer.
//!
//! Reads see a `[u8]`; the two commands that change a string in place (APPEND, SETRANGE) go
//! through [`Bytes::extend_from_slice`] and [`Bytes::resize`], which grow it as a `Vec` does
//! (amortised doubling, as Redis's sds preallocates).

use std::mem::ManuallyDrop;
use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

/// The capacity above which the bytes are a boxed `Vec` (`cap == BIG`). Low in tests, so that
/// they reach that path without allocating 4 GiB.
#[cfg(not(test))]
const LIMIT: usize = u32::MAX as usize;
#[cfg(test)]
const LIMIT: usize = 64;
/// The capacity that marks a boxed `Vec`.
const BIG: u32 = u32::MAX;

/// Owned bytes, as a `Vec<u8>` owns them.
pub(crate) struct Bytes {
    /// When `cap < BIG`: the buffer a `Vec<u8>` of this length and capacity allocated (dangling
    /// when `cap` is 0, as a `Vec`'s is). When `cap == BIG`: a `Box<Vec<u8>>`.
    ptr: NonNull<u8>,
    len: u32,
    cap: u32,
}

// SAFETY: `Bytes` owns its buffer exclusively, as `Vec<u8>` does, which is `Send` and `Sync`.
unsafe impl Send for Bytes {}
// SAFETY: as above; `&Bytes` only reads.
unsafe impl Sync for Bytes {}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Bytes {
        if v.capacity() < LIMIT {
            let mut v = ManuallyDrop::new(v);
            Bytes {
                ptr: NonNull::new(v.as_mut_ptr()).expect("a Vec's pointer is never null"),
                len: v.len() as u32,
                cap: v.capacity() as u32,
            }
        } else {
            Bytes {
                ptr: NonNull::from(Box::leak(Box::new(v))).cast(),
                len: 0,
                cap: BIG,
            }
        }
    }
}

impl From<&[u8]> for Bytes {
    fn from(s: &[u8]) -> Bytes {
        Bytes::from(s.to_vec())
    }
}

impl Bytes {
    /// The bytes as the `Vec` they were made from; no copy.
    pub(crate) fn into_vec(self) -> Vec<u8> {
        let me = ManuallyDrop::new(self);
        if me.cap == BIG {
            // SAFETY: `cap == BIG` means `ptr` came from `Box::leak` of a `Box<Vec<u8>>` in
            // `from`, and `me` is not dropped, so the box is taken back exactly once.
            *unsafe { Box::from_raw(me.ptr.as_ptr().cast::<Vec<u8>>()) }
        } else {
            // SAFETY: `ptr`, `len` and `cap` are those of a `Vec<u8>` given up in `from` (or
            // the dangling pointer of `Default`, with 0 and 0), unchanged since but for writes
            // within `len`; `me` is not dropped, so the buffer is taken back exactly once.
            unsafe { Vec::from_raw_parts(me.ptr.as_ptr(), me.len as usize, me.cap as usize) }
        }
    }

    /// Changes the bytes as a `Vec`. Should `f` panic, `self` is left empty (nothing is freed
    /// twice).
    fn edit<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let mut v = std::mem::take(self).into_vec();
        let r = f(&mut v);
        *self = Bytes::from(v);
        r
    }

    /// `Vec::extend_from_slice` (APPEND).
    pub(crate) fn extend_from_slice(&mut self, s: &[u8]) {
        self.edit(|v| v.extend_from_slice(s));
    }

    /// `Vec::resize` (SETRANGE past the end).
    pub(crate) fn resize(&mut self, len: usize, fill: u8) {
        self.edit(|v| v.resize(len, fill));
    }
}

impl Drop for Bytes {
    fn drop(&mut self) {
        drop(std::mem::take(self).into_vec());
    }
}

impl Default for Bytes {
    fn default() -> Bytes {
        Bytes::from(Vec::new())
    }
}

impl Deref for Bytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        if self.cap == BIG {
            // SAFETY: `cap == BIG`: `ptr` is a live `Box<Vec<u8>>` this value owns.
            unsafe { self.ptr.cast::<Vec<u8>>().as_ref() }
        } else {
            // SAFETY: `ptr` holds `len` initialised bytes (a `Vec`'s first `len`), owned here.
            unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize) }
        }
    }
}

impl DerefMut for Bytes {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        if self.cap == BIG {
            // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
            unsafe { self.ptr.cast::<Vec<u8>>().as_mut() }
        } else {
            // SAFETY: as in `deref`, and `&mut self` makes the access exclusive.
            unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len as usize) }
        }
    }
}

impl Clone for Bytes {
    fn clone(&self) -> Bytes {
        Bytes::from(self.to_vec())
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        **self == **other
    }
}

impl Eq for Bytes {}

impl std::fmt::Debug for Bytes {
    /// As a `Vec<u8>` prints (a list of numbers).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixteen_bytes_and_an_option_of_it_too() {
        assert_eq!(std::mem::size_of::<Bytes>(), 16);
        assert_eq!(std::mem::size_of::<Option<Bytes>>(), 16);
    }

    #[test]
    fn bytes_read_back_and_grow_on_both_sides_of_the_limit() {
        for n in [0, 1, 16, LIMIT - 1, LIMIT, LIMIT + 1, 3 * LIMIT] {
            let v: Vec<u8> = (0..n).map(|i| i as u8).collect();
            let mut b = Bytes::from(v.clone());
            assert_eq!(&*b, &v[..], "{n}");
            assert_eq!(b.clone(), b);
            assert_eq!(format!("{b:?}"), format!("{v:?}"));
            b.extend_from_slice(b"xyz");
            let mut want = v.clone();
            want.extend_from_slice(b"xyz");
            assert_eq!(&*b, &want[..], "{n}");
            b.resize(n / 2, 0);
            b.resize(n + 40, 7);
            want.resize(n / 2, 0);
            want.resize(n + 40, 7);
            b[0] = 9;
            want[0] = 9;
            assert_eq!(&*b, &want[..], "{n}");
            assert_eq!(b.into_vec(), want);
        }
        // Growing by one byte at a time crosses into the boxed form.
        let mut b = Bytes::default();
        for i in 0..10 * LIMIT {
            b.extend_from_slice(&[i as u8]);
        }
        assert_eq!(b.len(), 10 * LIMIT);
        assert!(b.iter().enumerate().all(|(i, &x)| x == i as u8));
    }

    #[test]
    fn a_vec_is_taken_without_a_copy() {
        let v = vec![1u8; 40];
        let p = v.as_ptr();
        assert_eq!(Bytes::from(v).as_ptr(), p);
    }
}
