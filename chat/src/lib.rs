//! `chat`: a multi-client broadcast chat server, served by each classic concurrency model
//! side by side, and its terminal client. See `README.md` for the protocol and the policies.
//!
//! | module | what it is for |
//! |---|---|
//! | [`room`] | the chat itself: members, nicks, commands, what goes to whom |
//! | [`server`] | options, the model switch, signals |
//! | [`evloop`] | the `select`, `poll` and `epoll` models: the room on netcore's event loop |
//! | [`threaded`] | the `threads` model, and the client-serving code the pool shares |
//! | [`pool`] | the `pool` model: a bounded Mutex+Condvar queue and fixed workers |
//! | [`echo`] | `chat echo`: the echo server on the same core |
//! | [`client`] | `chat connect`: the interactive client |
//! | [`conn`] | a client's connection, plain or TLS (the client's and `chat-bench`'s) |
//! | [`tls`] | TLS through OpenSSL: the server's sessions, the client's connector |
//! | [`certgen`] | `chat gen-cert`: a self-signed or a test CA's certificates |
//!
//! `fuzzing` holds the body of the fuzz target in `fuzz/` (hidden: not an API).
//!
//! Live counters are a [`netcore::Stats`] given to [`server::serve`]; read them with
//! `stats.snapshot()` from any thread.

pub mod certgen;
pub mod client;
pub mod conn;
pub mod echo;
pub mod evloop;
#[doc(hidden)]
pub mod fuzzing;
pub mod pool;
pub mod room;
pub mod server;
pub mod threaded;
pub mod tls;
