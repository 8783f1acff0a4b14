//! The document root: a descriptor of the directory being served, and the one way to open
//! a file under it.
//!
//! Files are opened with `openat2(2)` relative to a descriptor of the root with
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`: the kernel refuses any resolution that leaves
//! the root, whether by `..` or by a symlink (relative or absolute), with `EXDEV`, and we
//! answer `403`. A symlink that stays inside the root and is relative is followed. An
//! absolute symlink is refused even if it points inside the root (it is resolved from `/`).
//! Where `openat2` is missing (`ENOSYS`, kernels before 5.6 or a seccomp filter) the file is
//! opened with `openat` and its real path (`/proc/self/fd/N`) must lie under the root's.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The directory being served.
#[derive(Debug)]
pub(crate) struct DocRoot {
    dir: OwnedFd,
    /// Its canonical path, for the fallback check and for messages.
    canonical: PathBuf,
}

impl DocRoot {
    /// Opens `path` as the document root.
    pub(crate) fn open(path: &Path) -> io::Result<DocRoot> {
        let canonical = std::fs::canonicalize(path)?;
        let c = CString::new(canonical.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: a NUL-terminated path; the descriptor is owned right after.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(DocRoot {
            // SAFETY: fresh descriptor owned by nothing else.
            dir: unsafe { OwnedFd::from_raw_fd(fd) },
            canonical,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.canonical
    }

    /// The directory's descriptor (`O_PATH`), for lookups relative to it.
    pub(crate) fn raw_fd(&self) -> i32 {
        self.dir.as_raw_fd()
    }

    /// Opens `rel` (relative, no NUL) for reading without leaving the root.
    pub(crate) fn open_beneath(&self, rel: &[u8]) -> io::Result<File> {
        let c = CString::new(rel).map_err(|_| io::Error::from_raw_os_error(libc::ENOENT))?;
        let flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
        // SAFETY: open_how is plain integers; all-zero is its "nothing asked" value.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = flags as u64;
        how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: openat2 reads the path and the struct of the size we pass.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                self.dir.as_raw_fd(),
                c.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd >= 0 {
            // SAFETY: fresh descriptor owned by nothing else.
            return Ok(unsafe { File::from_raw_fd(fd as i32) });
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ENOSYS) {
            return Err(err);
        }
        self.open_checked_by_proc(&c, flags)
    }

    /// The fallback without `openat2`: open, then check where the descriptor really is.
    fn open_checked_by_proc(&self, rel: &CString, flags: i32) -> io::Result<File> {
        // SAFETY: NUL-terminated path relative to our directory descriptor.
        let fd = unsafe { libc::openat(self.dir.as_raw_fd(), rel.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fresh descriptor owned by nothing else.
        let file = unsafe { File::from_raw_fd(fd) };
        let real = std::fs::read_link(format!("/proc/self/fd/{fd}"))?;
        if real == self.canonical || real.starts_with(&self.canonical) {
            Ok(file)
        } else {
            Err(io::Error::from_raw_os_error(libc::EXDEV))
        }
    }
}
