//! A log file that can be reopened while it is written (SIGUSR1, for logrotate).
//!
//! Writers hold an `Arc<File>` of the current generation and write whole buffers to it with
//! `O_APPEND`. [`LogFile::reopen`] opens the path afresh and bumps the generation; each writer
//! notices at its next flush and switches. Nothing is lost or torn: a line goes whole into
//! either the old file (renamed away by logrotate, still open) or the new one, and the old
//! file is closed when its last writer lets go. Rotation by size is [`shift_files`] (`path.1`,
//! `path.2`, ..., keeping N) followed by the same reopen.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub(crate) struct LogFile {
    path: PathBuf,
    file: Mutex<Arc<File>>,
    generation: AtomicU64,
}

/// Opens (creating if needed, mode 0644) `path` for appending.
pub(crate) fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

/// Renames `path.{keep-1}` → `path.{keep}`, ..., `path` → `path.1` (the oldest is replaced);
/// the writers must then reopen `path` ([`LogFile::reopen`], or SIGUSR1 to a process).
pub(crate) fn shift_files(path: &Path, keep: usize) -> io::Result<()> {
    let numbered = |i: usize| {
        let mut s = path.to_path_buf().into_os_string();
        s.push(format!(".{i}"));
        PathBuf::from(s)
    };
    for i in (1..keep.max(1)).rev() {
        match std::fs::rename(numbered(i), numbered(i + 1)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    std::fs::rename(path, numbered(1))
}

impl LogFile {
    pub(crate) fn open(path: &Path) -> io::Result<Arc<LogFile>> {
        let file = open_append(path)?;
        Ok(Arc::new(LogFile {
            path: path.to_path_buf(),
            file: Mutex::new(Arc::new(file)),
            generation: AtomicU64::new(0),
        }))
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the path again (through the chroot, if any); on failure the old file stays in
    /// use.
    pub(crate) fn reopen(&self) -> io::Result<()> {
        let file = Arc::new(open_append(&crate::chroot::visible(&self.path)?)?);
        let mut cur = self.file.lock().unwrap_or_else(|e| e.into_inner());
        *cur = file;
        self.generation.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Cheap: whether writers should switch to [`current`](Self::current).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The file of the current generation, and that generation.
    pub(crate) fn current(&self) -> (Arc<File>, u64) {
        let cur = self.file.lock().unwrap_or_else(|e| e.into_inner());
        (Arc::clone(&cur), self.generation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reopen_after_rename_writes_to_a_new_file() {
        let dir = std::env::temp_dir().join(format!("httpd-logfile-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.log");
        let log = LogFile::open(&path).unwrap();
        let (old, g0) = log.current();
        (&*old).write_all(b"one\n").unwrap();
        std::fs::rename(&path, dir.join("a.log.1")).unwrap();
        (&*old).write_all(b"two\n").unwrap();
        log.reopen().unwrap();
        assert_ne!(log.generation(), g0);
        let (new, _) = log.current();
        (&*new).write_all(b"three\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("a.log.1")).unwrap(),
            "one\ntwo\n"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn rotate_keeps_n_files() {
        let dir = std::env::temp_dir().join(format!("httpd-rotate-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.log");
        let log = LogFile::open(&path).unwrap();
        for i in 0..5 {
            (&*log.current().0)
                .write_all(format!("{i}\n").as_bytes())
                .unwrap();
            shift_files(&path, 3).unwrap();
            log.reopen().unwrap();
        }
        let read = |n: &str| std::fs::read_to_string(dir.join(n)).ok();
        assert_eq!(read("a.log").as_deref(), Some(""));
        assert_eq!(read("a.log.1").as_deref(), Some("4\n"));
        assert_eq!(read("a.log.2").as_deref(), Some("3\n"));
        assert_eq!(read("a.log.3").as_deref(), Some("2\n"));
        assert_eq!(read("a.log.4"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
