//! The HTTP protocol, without file descriptors or I/O: request heads in, response heads out.
//!
//! Everything here works on bytes and values, so it is tested without sockets or files.
//! It depends on nothing else of the crate (the bottom layer); every other layer may use it.

pub(crate) mod chunked;
pub(crate) mod conditional;
pub(crate) mod date;
pub(crate) mod mime;
pub(crate) mod parse;
pub(crate) mod path;
pub(crate) mod range;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod status;
