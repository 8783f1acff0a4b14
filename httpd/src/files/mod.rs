//! The files served: the document root, each worker's cache of open files, and the answer to
//! a request from them (a [`reply::Reply`]: a response head and the body that names the
//! file to send).
//!
//! Depends on [`crate::http`] only; the connection layer above sends what it answers.

pub mod docroot;
pub mod file_cache;
pub mod reply;
pub mod static_file;
