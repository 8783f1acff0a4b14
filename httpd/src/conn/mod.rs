//! One client connection: its state machine (read, answer in order, send, keep alive,
//! close), the socket calls in `connection` around the I/O-free decisions of `state`, and
//! [`ctx::Ctx`], what a connection needs from the worker that drives it.
//!
//! A request under a `proxy_pass` location is handed to an exchange of [`crate::proxy`]
//! (`proxied`), which streams it to the upstream and the response back.
//!
//! Depends on [`crate::http`], [`crate::files`], [`crate::proxy`], [`crate::net`] and
//! [`crate::log`]; the
//! worker loop that drives connections lives above it, in `process`.

pub(crate) mod connection;
pub(crate) mod ctx;
pub(crate) mod proxied;
pub(crate) mod state;
