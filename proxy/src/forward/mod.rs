//! Forwarding: bytes from one socket to another through a pipe with `splice(2)`
//! ([`direction`]), the pipes taken from a bounded pool while bytes are in flight
//! ([`pipes`]), and a connection as its two directions, which says what each socket
//! waits for and when and how the connection ends ([`conn`]); the PROXY protocol header sent
//! to a server first ([`proxy_header`]). No event loop here: the
//! server calls in when a socket is ready.

pub(crate) mod conn;
pub(crate) mod direction;
pub(crate) mod pipes;
pub(crate) mod proxy_header;
