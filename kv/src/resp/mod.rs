//! The Redis protocol, without sockets: requests in ([`request`]), replies out ([`reply`]).

pub(crate) mod reply;
pub(crate) mod request;
