//! The HTTP protocol, without file descriptors or I/O: request heads in, response heads out.
//!
//! Everything here works on bytes and values, so it is tested without sockets or files.
//! It depends on nothing else of the crate (the bottom layer); every other layer may use it.

pub mod chunked;
pub mod conditional;
pub mod date;
pub mod mime;
pub mod parse;
pub mod path;
pub mod range;
pub mod request;
pub mod response;
pub mod status;
