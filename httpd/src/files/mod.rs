//! The files served: the document root, each worker's cache of open files, and the answer to
//! a request from them (a [`reply::Reply`]: a response head and the body that names the
//! file to send).
//!
//! Depends on [`crate::http`] only; the connection layer above sends what it answers.

pub(crate) mod docroot;
pub(crate) mod file_cache;
pub(crate) mod reply;
pub(crate) mod static_file;
