//! The body of btree's fuzz target (`fuzz/`), a plain function of arbitrary bytes, so that
//! libFuzzer and the corpus replay test (`tests/fuzz_corpus.rs`) run the same code. It
//! panics only on a bug. Not an API: hidden from the docs.

use crate::format::crc32c::crc32c;
use crate::format::log::LOG_MAGIC;
use crate::format::{get_u32, put_u32, seal, MAX_PAGE_SIZE, MIN_PAGE_SIZE};
use crate::{Db, Options};
use std::fs::File;
use std::ops::Bound;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

/// `data` as a database file, every whole page's checksum made valid (else nearly every
/// mutation would stop at the checksum; a log record gets its CRC): opening it and checking it give an error or a
/// report, never a panic; and a file the check finds sound reads back consistently: the
/// entries in order, as many as the check counted, each found again by `get`, the same
/// backwards.
pub fn file(data: &[u8]) {
    let mut bytes = data.to_vec();
    // The page size the meta page claims, if it is a valid one.
    let claimed = (bytes.len() >= 32).then(|| get_u32(&bytes, 28));
    let page_size = claimed
        .filter(|p| p.is_power_of_two() && (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(p))
        .unwrap_or(MIN_PAGE_SIZE) as usize;
    // Log records' first pages keep their magic and get their record's CRC instead, over
    // the record's bytes (its length at bytes 44..48, cut at the input's end).
    let mut headers = Vec::new();
    for (pgno, page) in bytes.chunks_exact_mut(page_size).enumerate() {
        if page[..8] == LOG_MAGIC {
            headers.push(pgno);
        } else {
            seal(page, pgno as u64);
        }
    }
    for h in headers {
        let at = h * page_size;
        let len = (get_u32(&bytes, at + 44) as usize).clamp(12, bytes.len() - at);
        let crc = crc32c(&[&bytes[at + 12..at + len]]);
        put_u32(&mut bytes, at + 8, crc);
    }
    let file = input_file(&bytes);
    // A cache for files of the fuzzer's sizes (16 KiB at most) rather than the default
    // 256 MiB, whose slots, made and dropped at every execution, took three quarters of it.
    let options = Options {
        create: false,
        read_only: true,
        cache_bytes: 64 << 10,
        ..Options::default()
    };
    let Ok(db) = Db::open(&file, &options) else {
        return;
    };
    let Ok(report) = db.check() else {
        return;
    };
    let Ok(r) = db.read() else {
        return;
    };
    if !report.problems.is_empty() {
        // Damaged: reading may fail, but must end (a bounded walk) without a panic.
        let mut c = r.cursor();
        let mut step = c.first();
        for _ in 0..=report.stats.page_count * 64 {
            match step {
                Ok(Some(_)) => step = c.next(),
                _ => break,
            }
        }
        return;
    }
    let forward: Vec<_> = r
        .range(Bound::Unbounded, Bound::Unbounded)
        .collect::<Result<_, _>>()
        .expect("a sound file reads back");
    assert_eq!(forward.len() as u64, report.stats.entries);
    assert_eq!(forward.len() as u64, r.len());
    assert!(
        forward.windows(2).all(|w| w[0].0 < w[1].0),
        "keys out of order"
    );
    for e in &forward {
        assert_eq!(r.get(&e.0).expect("get").as_ref(), Some(&e.1));
    }
    let mut backward: Vec<_> = r
        .range_rev(Bound::Unbounded, Bound::Unbounded)
        .collect::<Result<_, _>>()
        .expect("a sound file reads back backwards");
    backward.reverse();
    assert_eq!(backward, forward);
}

/// `bytes` as a file, by a path: a memory file (`memfd_create`) made once per thread and
/// rewritten for each input, opened by its `/proc/self/fd` path as any file is. A file
/// created and removed in the temporary directory per input cost more than the rest of the
/// target.
fn input_file(bytes: &[u8]) -> PathBuf {
    thread_local! {
        static MEMFD: File = memory_file();
    }
    MEMFD.with(|file| {
        file.set_len(0).expect("truncating the memory file");
        file.write_all_at(bytes, 0)
            .expect("writing the memory file");
        PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()))
    })
}

fn memory_file() -> File {
    // SAFETY: a NUL-terminated name; memfd_create touches no other memory of ours.
    let fd = unsafe { libc::memfd_create(c"btree-fuzz".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
    // SAFETY: the descriptor is new and owned by nothing else.
    File::from(unsafe { OwnedFd::from_raw_fd(fd) })
}
