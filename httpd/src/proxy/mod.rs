//! The HTTP reverse proxy (`proxy_pass PREFIX URL;`): requests whose path lies under a
//! prefix are forwarded to an upstream server and its response relayed back, on the same
//! worker's epoll loop as the client (the upstream socket is one more descriptor there).
//!
//! | file | what it is |
//! |---|---|
//! | `route` | the configured locations (`proxy_pass`), their timeouts, which one a path falls under |
//! | `pool` | a worker's idle keep-alive connections to upstreams, whose an upstream socket's events are, and each upstream's busy connections and queue of requests waiting for one |
//! | `headers` | the request head as sent upstream (hop-by-hop headers dropped, `X-Forwarded-For` and `Forwarded` added, re-framed) and the upstream's response head, parsed strictly and rewritten for the client |
//! | `forward` | the request body from the client to the upstream, re-framed as it streams |
//! | `relay` | the response body from the upstream to the client, re-framed as it streams |
//! | `splice` | a response body that needs no re-framing, moved socket to socket through a pipe |
//! | `exchange` | one proxied request: connect or reuse, send, receive, the one retry, 502 and 504, the upstream socket's readiness |
//!
//! Every request reaching here was parsed and checked by [`crate::http`] first (the
//! smuggling checks included), so nothing httpd would refuse is forwarded. Bodies stream
//! through buffers of bounded size in both directions: a side that cannot take more stops
//! the reading of the other (backpressure), so a slow client holds the upstream back rather
//! than growing memory.
//!
//! Depends on [`crate::http`], [`crate::net`] and [`crate::log`]; the connections use it.

pub(crate) mod exchange;
pub(crate) mod forward;
pub(crate) mod headers;
pub(crate) mod pool;
pub(crate) mod relay;
pub(crate) mod route;
pub(crate) mod splice;

/// The epoll token of an upstream socket is `UPSTREAM_TOKEN_BASE + fd` (its owner, a
/// connection or the pool, is the pool's to say).
pub(crate) const UPSTREAM_TOKEN_BASE: usize = usize::MAX / 4;

/// Most bytes a direction holds before it stops reading its source (per connection).
pub(crate) const BUFFER_LIMIT: usize = 64 * 1024;
