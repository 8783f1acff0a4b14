//! The errors every operation can return. Damage is always an error naming the page, never
//! data: a reader that meets a bad page stops there.

use std::fmt;
use std::io;

#[derive(Debug)]
pub enum Error {
    /// The operating system refused a read, a write or a sync.
    Io(io::Error),
    /// Not a file of this format: no magic number where the meta pages belong.
    NotABtree(String),
    /// The meta pages say the file has more pages than it has.
    Truncated {
        pages: u64,
        file_len: u64,
    },
    /// A page failed its checksum or its layout makes no sense.
    Corrupt {
        page: u64,
        reason: String,
    },
    /// Another writer (this process or another) holds the file's write lock.
    Busy,
    /// The file was opened read-only.
    ReadOnly,
    /// An earlier commit could not be made durable (a failed fsync or meta write): the state
    /// on disk is one of the last two commits, but this handle cannot know which. Reopen.
    Poisoned,
    KeyTooLarge {
        len: usize,
        max: usize,
    },
    ValueTooLarge {
        len: usize,
        max: usize,
    },
    /// A page size other than a power of two from 512 to 65536.
    BadPageSize(u32),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn corrupt(page: u64, reason: impl Into<String>) -> Error {
        Error::Corrupt {
            page,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(e) => write!(f, "{e}"),
            Error::NotABtree(why) => write!(f, "not a btree file: {why}"),
            Error::Truncated { pages, file_len } => write!(
                f,
                "truncated: the meta page counts {pages} pages, the file has {file_len} bytes"
            ),
            Error::Corrupt { page, reason } => write!(f, "page {page} is damaged: {reason}"),
            Error::Busy => write!(f, "another writer holds the file's write lock"),
            Error::ReadOnly => write!(f, "opened read-only"),
            Error::Poisoned => write!(
                f,
                "an earlier commit could not be made durable; reopen the file to see which \
                 state it holds"
            ),
            Error::KeyTooLarge { len, max } => {
                write!(f, "a key of {len} bytes; the limit is {max} bytes")
            }
            Error::ValueTooLarge { len, max } => {
                write!(f, "a value of {len} bytes; the limit is {max} bytes")
            }
            Error::BadPageSize(n) => write!(
                f,
                "page size {n}: it must be a power of two from 512 to 65536"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(e)
    }
}
