//! Reading the tracee's memory: `process_vm_readv` in page-sized pieces, falling back to
//! `PTRACE_PEEKDATA` word by word where that call is refused (old kernels, some
//! containers). Every read may fail: the tracee's pointers are data, not promises. The
//! tracer never writes to a tracee's memory.
//!
//! The same reads serve a made-up address space ([`FakeMemory`]) in place of a tracee's,
//! so that the decoders can be fuzzed without one (`crate::fuzzing`): only where the bytes
//! come from differs.

use std::sync::Arc;

use std::sync::atomic::{AtomicBool, Ordering};

/// Set once `process_vm_readv` has been refused as a whole (ENOSYS/EPERM).
static VM_READV_UNAVAILABLE: AtomicBool = AtomicBool::new(false);

pub(crate) const PAGE: u64 = 4096;

/// Use only the `PTRACE_PEEKDATA` path (set from `STRACE_LITE_FORCE_PEEKDATA=1`, so the
/// tests can check the fallback gives the same trace).
pub fn force_peekdata() {
    VM_READV_UNAVAILABLE.store(true, Ordering::Relaxed);
}

/// A view of one tracee's address space.
#[derive(Debug, Clone)]
pub struct Memory {
    pub pid: i32,
    /// For an i386 call: an address past 32 bits is not one the call can mean, and is not
    /// read (strace prints it as a number).
    words32: bool,
    /// Whether structures are read at all: `-e verbose=SET` leaves the calls outside the set
    /// with their structures, arrays and numbers behind pointers printed as addresses,
    /// strace's `verbose(tcp)` test in tfetch_mem. Buffers and strings are read regardless.
    structs: bool,
    /// Read this instead of the tracee `pid` (fuzzing).
    fake: Option<Arc<FakeMemory>>,
}

impl Memory {
    pub fn new(pid: i32) -> Self {
        Memory {
            pid,
            words32: false,
            structs: true,
            fake: None,
        }
    }

    /// A view of `fake` in place of a tracee's memory.
    pub fn fake(fake: Arc<FakeMemory>) -> Self {
        Memory {
            fake: Some(fake),
            ..Memory::new(0)
        }
    }

    pub fn with_words32(self, words32: bool) -> Self {
        Memory { words32, ..self }
    }

    /// A view that reads structures only when `structs` (see the field).
    pub fn with_structs(self, structs: bool) -> Self {
        Memory { structs, ..self }
    }

    /// Whether this view reads structures (`-e verbose=` includes the call).
    pub fn reads_structs(&self) -> bool {
        self.structs
    }

    /// The `len` bytes of a structure or array at `addr` (as [`Memory::read`]), or nothing
    /// when this view reads no structures.
    pub fn read_struct(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        if !self.structs {
            return None;
        }
        self.read(addr, len)
    }

    /// Read exactly `len` bytes at `addr`, or nothing.
    pub fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        if addr == 0 {
            return None;
        }
        let bytes = self.read_prefix(addr, len);
        (bytes.len() == len).then_some(bytes)
    }

    /// Read up to `len` bytes at `addr`, stopping at the first unreadable page.
    pub fn read_prefix(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        if addr == 0 || (self.words32 && addr > u64::from(u32::MAX)) {
            return out;
        }
        if let Some(fake) = &self.fake {
            fake.read_into(addr, len, &mut out);
            return out;
        }
        if !VM_READV_UNAVAILABLE.load(Ordering::Relaxed) {
            match self.vm_readv(addr, len, &mut out) {
                Ok(()) => return out,
                Err(()) => VM_READV_UNAVAILABLE.store(true, Ordering::Relaxed),
            }
        }
        self.peek_into(addr, len, &mut out);
        out
    }

    /// `process_vm_readv` page by page; Err only when the call itself is unavailable.
    fn vm_readv(&self, addr: u64, len: usize, out: &mut Vec<u8>) -> Result<(), ()> {
        let mut cur = addr;
        let end = addr.saturating_add(len as u64);
        while cur < end {
            let page_end = (cur / PAGE).saturating_add(1).saturating_mul(PAGE);
            // Read to the page boundary, or more at once when the range is larger.
            let chunk_end = if end - cur > PAGE {
                end
            } else {
                end.min(page_end)
            };
            let chunk = (chunk_end - cur) as usize;
            let start = out.len();
            out.resize(start + chunk, 0);
            let local = libc::iovec {
                iov_base: out[start..].as_mut_ptr().cast(),
                iov_len: chunk,
            };
            let remote = libc::iovec {
                iov_base: cur as *mut libc::c_void,
                iov_len: chunk,
            };
            // SAFETY: the local iovec points into `out`, sized to `chunk` bytes just above.
            let n = unsafe { libc::process_vm_readv(self.pid, &local, 1, &remote, 1, 0) };
            if n < 0 {
                out.truncate(start);
                let errno = std::io::Error::last_os_error().raw_os_error();
                if matches!(errno, Some(libc::ENOSYS) | Some(libc::EPERM)) && start == 0 {
                    return Err(());
                }
                if chunk_end > page_end {
                    // A multi-page read failed part way: retry page by page.
                    let mut rest = Vec::new();
                    self.vm_readv_pages(cur, (end - cur) as usize, &mut rest);
                    out.extend_from_slice(&rest);
                }
                return Ok(());
            }
            let n = n as usize;
            out.truncate(start + n);
            if n < chunk {
                return Ok(());
            }
            cur = chunk_end;
        }
        Ok(())
    }

    fn vm_readv_pages(&self, addr: u64, len: usize, out: &mut Vec<u8>) {
        let mut cur = addr;
        let end = addr.saturating_add(len as u64);
        while cur < end {
            let chunk_end = end.min((cur / PAGE).saturating_add(1).saturating_mul(PAGE));
            let before = out.len();
            let _ = self.vm_readv(cur, (chunk_end - cur) as usize, out);
            if out.len() - before < (chunk_end - cur) as usize {
                return;
            }
            cur = chunk_end;
        }
    }

    /// The `PTRACE_PEEKDATA` fallback.
    fn peek_into(&self, addr: u64, len: usize, out: &mut Vec<u8>) {
        let mut cur = addr;
        let end = addr.saturating_add(len as u64);
        while cur < end {
            let aligned = cur & !7;
            // SAFETY: PEEKDATA reads a word from the tracee; errors come back via errno.
            let word = unsafe {
                *libc::__errno_location() = 0;
                libc::ptrace(
                    libc::PTRACE_PEEKDATA,
                    self.pid,
                    aligned as *mut libc::c_void,
                    std::ptr::null_mut::<libc::c_void>(),
                )
            };
            // SAFETY: reading errno right after the call.
            if word == -1 && unsafe { *libc::__errno_location() } != 0 {
                return;
            }
            let bytes = word.to_ne_bytes();
            let skip = (cur - aligned) as usize;
            let take = (8 - skip).min((end - cur) as usize);
            out.extend_from_slice(&bytes[skip..skip + take]);
            cur = cur.saturating_add(take as u64);
        }
    }

    /// A NUL-terminated string of at most `max` bytes: the bytes and whether the NUL was
    /// found within them. None when the string runs into unreadable memory before its NUL
    /// and before `max` bytes, as strace's `umovestr` fails then (and strace prints the
    /// address, not the bytes it read).
    pub fn read_cstring(&self, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
        if addr == 0 {
            return None;
        }
        let mut out = Vec::new();
        let mut cur = addr;
        while out.len() < max {
            let page_end = (cur / PAGE).saturating_add(1).saturating_mul(PAGE);
            let want = page_end.saturating_sub(cur).min((max - out.len()) as u64) as usize;
            if want == 0 {
                return (!out.is_empty()).then_some((out, false));
            }
            let chunk = self.read_prefix(cur, want);
            if let Some(nul) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Some((out, true));
            }
            let got = chunk.len();
            out.extend_from_slice(&chunk);
            if got < want {
                return None;
            }
            cur = cur.saturating_add(got as u64);
        }
        Some((out, false))
    }

    /// A plain-old-data value of type `T` at `addr`.
    pub fn read_value<T: Pod>(&self, addr: u64) -> Option<T> {
        let bytes = self.read_struct(addr, std::mem::size_of::<T>())?;
        // SAFETY: T is Pod (every bit pattern valid); `bytes` holds size_of::<T>() bytes.
        Some(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
    }

    /// `count` values of type `T` starting at `addr`.
    pub fn read_array<T: Pod>(&self, addr: u64, count: usize) -> Option<Vec<T>> {
        let size = std::mem::size_of::<T>();
        let bytes = self.read_struct(addr, size.checked_mul(count)?)?;
        Some(
            bytes
                .chunks_exact(size)
                // SAFETY: as in read_value, for each element.
                .map(|c| unsafe { std::ptr::read_unaligned(c.as_ptr().cast::<T>()) })
                .collect(),
        )
    }

    pub fn read_u64(&self, addr: u64) -> Option<u64> {
        self.read_value::<u64>(addr)
    }

    pub fn read_i32(&self, addr: u64) -> Option<i32> {
        self.read_value::<i32>(addr)
    }
}

/// A made-up address space: ranges of bytes, each laid over those before it, and holes
/// where a read faults. A read stops at the first byte no range holds (or a hole holds),
/// as `process_vm_readv` stops at the first unreadable page; here at any byte.
#[derive(Debug, Clone, Default)]
pub struct FakeMemory {
    ranges: Vec<FakeRange>,
}

#[derive(Debug, Clone)]
struct FakeRange {
    start: u64,
    len: u64,
    /// `None`: a hole.
    bytes: Option<Vec<u8>>,
}

impl FakeRange {
    fn holds(&self, addr: u64) -> bool {
        addr.wrapping_sub(self.start) < self.len
    }
}

impl FakeMemory {
    /// `bytes` at `start` (cut where they would pass the end of the address space).
    pub fn map(&mut self, start: u64, bytes: &[u8]) {
        let len = (bytes.len() as u64).min(u64::MAX - start);
        self.ranges.push(FakeRange {
            start,
            len,
            bytes: Some(bytes[..len as usize].to_vec()),
        });
    }

    /// `len` unreadable bytes at `start`, over what was mapped there.
    pub fn unmap(&mut self, start: u64, len: u64) {
        let len = len.min(u64::MAX - start);
        self.ranges.push(FakeRange {
            start,
            len,
            bytes: None,
        });
    }

    /// Up to `len` bytes at `addr`, appended to `out`.
    fn read_into(&self, addr: u64, len: usize, out: &mut Vec<u8>) {
        let end = addr.saturating_add(len as u64);
        let mut cur = addr;
        while cur < end {
            // The topmost range holding `cur`, as far as no range above it begins.
            let Some(top) = self.ranges.iter().rposition(|r| r.holds(cur)) else {
                return;
            };
            let range = &self.ranges[top];
            let Some(bytes) = &range.bytes else {
                return;
            };
            let mut stop = end.min(range.start + range.len);
            for above in &self.ranges[top + 1..] {
                if above.start > cur && above.start < stop {
                    stop = above.start;
                }
            }
            let from = (cur - range.start) as usize;
            out.extend_from_slice(&bytes[from..from + (stop - cur) as usize]);
            cur = stop;
        }
    }
}

/// Types for which every bit pattern is a valid value, so they can be read from bytes.
///
/// # Safety
/// Implement only for `repr(C)` structs of integers (and arrays of them).
pub unsafe trait Pod: Copy {}

// SAFETY: integers and arrays of integers accept any bit pattern.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for i32 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for u64 {}
// SAFETY: as above.
unsafe impl Pod for i64 {}
// SAFETY: as above.
unsafe impl Pod for u16 {}
// SAFETY: as above.
unsafe impl<T: Pod, const N: usize> Pod for [T; N] {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_its_own_memory() {
        let me = Memory::new(std::process::id() as i32);
        let data = b"hello\0world";
        let addr = data.as_ptr() as u64;
        assert_eq!(me.read(addr, 5).unwrap(), b"hello");
        assert_eq!(
            me.read_cstring(addr, 100).unwrap(),
            (b"hello".to_vec(), true)
        );
        assert_eq!(me.read_cstring(addr, 3).unwrap(), (b"hel".to_vec(), false));
        assert!(me.read(0, 4).is_none());
        assert!(me.read(8, 4).is_none());
    }

    /// A fake address space reads as its ranges say: the later over the earlier, stopping
    /// at a hole or at the first byte no range holds.
    #[test]
    fn fake_memory_reads_its_ranges() {
        let mut fake = FakeMemory::default();
        fake.map(0x1000, b"abcdefgh");
        fake.map(0x1004, b"XY");
        fake.map(0x1008, b"ij");
        fake.unmap(0x1009, 1);
        fake.map(u64::MAX - 2, b"wxyz");
        let mem = Memory::fake(Arc::new(fake));
        assert_eq!(mem.read_prefix(0x1000, 100), b"abcdXYghi");
        assert_eq!(mem.read(0x1002, 4).unwrap(), b"cdXY");
        assert_eq!(mem.read(0x1002, 8), None);
        assert_eq!(
            mem.read_cstring(0x1000, 5),
            Some((b"abcdX".to_vec(), false))
        );
        assert_eq!(mem.read_cstring(0x1000, 50), None);
        assert_eq!(mem.read_prefix(0x0fff, 4), b"");
        assert_eq!(mem.read_prefix(u64::MAX - 2, 8), b"wx");
        assert_eq!(
            mem.with_words32(true).read_prefix(0x1000, 2),
            b"ab",
            "below 4 GiB"
        );
    }

    /// A string with no NUL before unreadable memory is not a string (strace's umovestr
    /// fails and strace prints the address), unless `max` bytes came first.
    #[test]
    fn a_string_that_runs_into_unreadable_memory_is_none() {
        // SAFETY: a private anonymous mapping of two pages, the second made unreadable;
        // unmapped at the end.
        let page = unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                8192,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            std::ptr::write_bytes(p.cast::<u8>(), b'x', 4096);
            libc::mprotect(p.cast::<u8>().add(4096).cast(), 4096, libc::PROT_NONE);
            p
        };
        let me = Memory::new(std::process::id() as i32);
        let addr = page as u64 + 4090;
        assert_eq!(me.read_cstring(addr, 100), None);
        assert_eq!(me.read_cstring(addr, 6), Some((b"xxxxxx".to_vec(), false)));
        // SAFETY: unmapping the mapping made above.
        unsafe { libc::munmap(page, 8192) };
    }
}
