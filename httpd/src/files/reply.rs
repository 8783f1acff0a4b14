//! What a request is answered with: a response [`Head`] and the [`Body`] it announces,
//! which the connection sends (small bodies copied after the head, larger ones with
//! `sendfile`; see [`SMALL_BODY`]).

use crate::http::response::Head;
use crate::http::status::Status;
use std::fs::File;
use std::sync::Arc;

/// Bodies up to this size are read into the output buffer and leave with the head in one
/// `send`; larger ones go with `sendfile`. The file cache keeps the bytes of files this small.
pub(crate) const SMALL_BODY: u64 = 16 * 1024;

/// The body of a reply.
#[derive(Debug)]
pub(crate) enum Body {
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
pub(crate) struct Reply {
    pub(crate) head: Head,
    pub(crate) body: Body,
}

impl Reply {
    /// An error or informational reply with the status's HTML page.
    pub(crate) fn page(status: Status) -> Reply {
        Reply {
            head: Head::page(status),
            body: Body::Page(status.page()),
        }
    }
}
