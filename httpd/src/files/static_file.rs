//! Answering a request from the document root: the file lookup, directories and their
//! `index.html`, conditional requests and ranges. The result is a [`Reply`] that says what to
//! send: a response [`Head`] and the [`Body`] it announces, which the connection sends.
//!
//! Files are opened only beneath the root ([`DocRoot::open_beneath`]: neither `..` nor a
//! symlink leaves it), through the worker's [`FileCache`], which keeps what this path opened
//! and checks it with one `statx` per request.

use crate::files::docroot::DocRoot;
use crate::files::file_cache::{FileCache, Opened};
use crate::files::reply::{Body, Reply};
use crate::http::conditional::{Preconditions, Validators};
use crate::http::range::{self, RangeDecision};
use crate::http::request::{Method, Request};
use crate::http::response::Head;
use crate::http::status::Status;
use std::io;
use std::time::Instant;

fn errno_status(e: &io::Error) -> Status {
    match e.raw_os_error() {
        Some(libc::ENOENT | libc::ENOTDIR | libc::ENAMETOOLONG) => Status::NotFound,
        Some(libc::EACCES | libc::EPERM | libc::EXDEV | libc::ELOOP) => Status::Forbidden,
        _ => Status::InternalServerError,
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
pub(crate) fn serve(
    root: &DocRoot,
    files: &mut FileCache,
    now: Instant,
    req: &Request<'_>,
) -> Reply {
    if req.method == Method::Other {
        return Reply::page(Status::MethodNotAllowed);
    }
    let clean = match crate::http::path::clean(req.raw_path) {
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
    file_reply(req, opened, crate::http::mime::content_type(name))
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
