//! The data file: whole pages read and written at their offsets (`pread`/`pwrite`, no
//! mmap, so a damaged page is checked before anything reads it), `fdatasync`, and the
//! `flock` that admits one writer at a time.
//!
//! In the crate's own tests a [`Faults`] plan can make a write stop short (keeping a chosen
//! number of its bytes, as a torn write or a full disk would) or an fsync fail, so that the
//! tests can show the previous commit surviving both.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;

#[derive(Debug)]
pub(crate) struct DataFile {
    file: File,
    #[cfg(test)]
    pub(crate) faults: std::sync::Mutex<Faults>,
}

/// Faults to inject: after so many more successful calls, the next fails.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Writes to let through before one fails; that one keeps `keep` bytes of its buffer.
    pub(crate) write_after: Option<usize>,
    pub(crate) keep: usize,
    /// Count only the writes at this offset.
    pub(crate) write_pos: Option<u64>,
    /// Syncs to let through before one fails.
    pub(crate) sync_after: Option<usize>,
}

#[cfg(test)]
fn fire(counter: &mut Option<usize>) -> bool {
    match counter {
        Some(0) => {
            *counter = None;
            true
        }
        Some(n) => {
            *n -= 1;
            false
        }
        None => false,
    }
}

impl DataFile {
    pub(crate) fn new(file: File) -> DataFile {
        DataFile {
            file,
            #[cfg(test)]
            faults: Default::default(),
        }
    }

    /// The file's length, by `lseek` to its end rather than `fstat` (every transaction
    /// asks): on Linux with multigrain timestamps (6.13 and later) a `stat` marks the
    /// file's times as seen, so the next write updates them at once and dirties the inode,
    /// and the commit's `fdatasync` then costs 40-60 µs more (measured here: one page
    /// written and synced, with and without an `fstat` before). Reads and writes name
    /// their offsets, so the file position moved by the `lseek` is never used.
    pub(crate) fn len(&self) -> io::Result<u64> {
        use std::io::Seek;
        (&self.file).seek(io::SeekFrom::End(0))
    }

    /// Reads `buf.len()` bytes at `pos`; a file that ends first is `UnexpectedEof`.
    pub(crate) fn read_at(&self, buf: &mut [u8], pos: u64) -> io::Result<()> {
        self.file.read_exact_at(buf, pos)
    }

    pub(crate) fn write_at(&self, buf: &[u8], pos: u64) -> io::Result<()> {
        #[cfg(test)]
        {
            let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
            if f.write_pos.is_none_or(|p| p == pos) && fire(&mut f.write_after) {
                let keep = f.keep.min(buf.len());
                self.file.write_all_at(&buf[..keep], pos)?;
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "injected short write",
                ));
            }
        }
        self.file.write_all_at(buf, pos)
    }

    /// Makes the file `len` bytes long (the writer calls it only to grow the file, knowing
    /// its length).
    pub(crate) fn set_len(&self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    /// `fdatasync`: the data written so far, and the file's size, are on the disk.
    pub(crate) fn sync(&self) -> io::Result<()> {
        #[cfg(test)]
        {
            let mut f = self.faults.lock().unwrap_or_else(|e| e.into_inner());
            if fire(&mut f.sync_after) {
                return Err(io::Error::other("injected fsync failure"));
            }
        }
        self.file.sync_data()
    }

    /// Takes the write lock: `Ok(false)` if another open file holds it and `wait` is false.
    pub(crate) fn lock(&self, wait: bool) -> io::Result<bool> {
        let op = if wait {
            libc::LOCK_EX
        } else {
            libc::LOCK_EX | libc::LOCK_NB
        };
        loop {
            // SAFETY: flock on a descriptor we own; it touches no memory of ours.
            if unsafe { libc::flock(self.file.as_raw_fd(), op) } == 0 {
                return Ok(true);
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                Some(libc::EWOULDBLOCK) => return Ok(false),
                _ => return Err(e),
            }
        }
    }

    pub(crate) fn unlock(&self) {
        // SAFETY: as in `lock`. Unlocking cannot fail on a valid descriptor; closing it
        // would release the lock anyway.
        unsafe { libc::flock(self.file.as_raw_fd(), libc::LOCK_UN) };
    }
}
