//! Answering a request from the document root: the file lookup, directories and their
//! `index.html`, conditional requests and ranges. The result is a [`Reply`] that says what to
//! send: a response [`Head`] and the [`Body`] it announces, which the connection sends.
//!
//! Files are opened with `openat2(2)` relative to a descriptor of the root with
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`: the kernel refuses any resolution that leaves
//! the root, whether by `..` or by a symlink (relative or absolute), with `EXDEV`, and we
//! answer `403`. A symlink that stays inside the root and is relative is followed. An
//! absolute symlink is refused even if it points inside the root (it is resolved from `/`).
//! Where `openat2` is missing (`ENOSYS`, kernels before 5.6 or a seccomp filter) the file is
//! opened with `openat` and its real path (`/proc/self/fd/N`) must lie under the root's.
//!
//! Lookups go through the worker's [`FileCache`], which keeps what this path opened and
//! checks it with one `statx` per request.

use crate::conditional::{Preconditions, Validators};
use crate::file_cache::{FileCache, Opened};
use crate::range::{self, RangeDecision};
use crate::request::{Method, Request};
use crate::response::Head;
use crate::status::Status;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The directory being served.
#[derive(Debug)]
pub struct DocRoot {
    dir: OwnedFd,
    /// Its canonical path, for the fallback check and for messages.
    canonical: PathBuf,
}

/// The body of a reply.
#[derive(Debug)]
pub enum Body {
    None,
    /// A fixed page (error pages, redirects).
    Page(&'static str),
    /// `len` bytes of `file` from `start`; `bytes`, when kept, holds all of the file.
    File {
        file: Arc<File>,
        bytes: Option<Arc<[u8]>>,
        start: u64,
        len: u64,
    },
}

/// What to answer: the response head, and the body it announces.
#[derive(Debug)]
pub struct Reply {
    pub head: Head,
    pub body: Body,
}

impl Reply {
    /// An error or informational reply with the status's HTML page.
    pub fn page(status: Status) -> Reply {
        Reply {
            head: Head::page(status),
            body: Body::Page(status.page()),
        }
    }
}

fn errno_status(e: &io::Error) -> Status {
    match e.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR | libc::ENAMETOOLONG) => Status::NotFound,
        Some(libc::EACCES | libc::EPERM | libc::EXDEV | libc::ELOOP) => Status::Forbidden,
        _ => Status::InternalServerError,
    }
}

impl DocRoot {
    /// Opens `path` as the document root.
    pub fn open(path: &Path) -> io::Result<DocRoot> {
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

    pub fn path(&self) -> &Path {
        &self.canonical
    }

    /// The directory's descriptor (`O_PATH`), for lookups relative to it.
    pub fn raw_fd(&self) -> i32 {
        self.dir.as_raw_fd()
    }

    /// Opens `rel` (relative, no NUL) for reading without leaving the root.
    pub fn open_beneath(&self, rel: &[u8]) -> io::Result<File> {
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

/// The redirect to the directory with its trailing slash (nginx sends it for `/dir`).
fn add_slash_redirect(req: &Request<'_>) -> Reply {
    let mut location = req.raw_path.to_vec();
    location.push(b'/');
    if let Some(q) = req.query {
        location.push(b'?');
        location.extend_from_slice(q);
    }
    let mut reply = Reply::page(Status::MovedPermanently);
    reply.head.location = Some(location);
    reply
}

/// Answers `req` from `root`, opening files through `files`.
pub fn serve(root: &DocRoot, files: &mut FileCache, now: Instant, req: &Request<'_>) -> Reply {
    if req.method == Method::Other {
        return Reply::page(Status::MethodNotAllowed);
    }
    let clean = match crate::path::clean(req.raw_path) {
        Ok(c) => c,
        Err(status) => return Reply::page(status),
    };
    let rel = clean.relative();
    let opened = match files.open(root, rel, now) {
        Ok(o) => o,
        Err(e) => return Reply::page(errno_status(&e)),
    };
    let (opened, name) = if opened.stat.is_dir() {
        if !clean.trailing_slash {
            return add_slash_redirect(req);
        }
        let mut index = rel.to_vec();
        index.extend_from_slice(b"/index.html");
        match files.open(root, &index, now) {
            Ok(o) if o.stat.is_file() => (o, &b"index.html"[..]),
            Ok(_) => return Reply::page(Status::Forbidden),
            // A directory without an index: no listing, so 403 (as nginx).
            Err(e) if errno_status(&e) == Status::NotFound => {
                return Reply::page(Status::Forbidden)
            }
            Err(e) => return Reply::page(errno_status(&e)),
        }
    } else if !opened.stat.is_file() {
        // FIFOs, sockets, devices: nothing to serve.
        return Reply::page(Status::NotFound);
    } else if clean.trailing_slash {
        // "/file.html/": not a directory.
        return Reply::page(Status::NotFound);
    } else {
        (opened, rel)
    };
    file_reply(req, opened, crate::mime::content_type(name))
}

fn file_reply(req: &Request<'_>, opened: Opened, content_type: &'static str) -> Reply {
    let Opened { file, stat, bytes } = opened;
    let size = stat.size;
    let validators = Validators {
        mtime: stat.mtime.0,
        size,
    };
    let head = &req.head;
    let mut reply = Reply {
        head: Head {
            status: Status::Ok,
            content_type: Some(content_type),
            content_length: Some(size),
            validators: Some(validators),
            content_range: None,
            unsatisfied_range: None,
            location: None,
            allow: false,
            accept_ranges: true,
        },
        body: Body::None,
    };
    let preconditions = Preconditions {
        if_match: head.if_match,
        if_unmodified_since: head.if_unmodified_since,
        if_none_match: head.if_none_match,
        if_modified_since: head.if_modified_since,
    };
    match validators.precondition(&preconditions) {
        Some(Status::NotModified) => {
            reply.head.status = Status::NotModified;
            reply.head.content_type = None;
            reply.head.content_length = None;
            return reply;
        }
        Some(status) => return Reply::page(status),
        None => {}
    }
    let range = head
        .range
        .filter(|_| head.if_range.is_none_or(|v| validators.if_range_holds(v)));
    let (start, len) = match range.map(|r| range::decide(r, size)) {
        None | Some(RangeDecision::Full) => (0, size),
        Some(RangeDecision::Partial { start, end }) => {
            reply.head.status = Status::PartialContent;
            reply.head.content_range = Some((start, end, size));
            (start, end - start + 1)
        }
        Some(RangeDecision::Unsatisfiable) => {
            let mut reply = Reply::page(Status::RangeNotSatisfiable);
            reply.head.unsatisfied_range = Some(size);
            return reply;
        }
    };
    reply.head.content_length = Some(len);
    if req.method == Method::Get && len > 0 {
        reply.body = Body::File {
            file,
            bytes,
            start,
            len,
        };
    }
    reply
}
