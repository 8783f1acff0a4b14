//! `httpd` as a library: the server's modules, used by the `httpd` binary.
//!
//! The modules are in layers, each using only the layers below it (a `use` of a higher layer
//! is a mistake):
//!
//! ```text
//! process ──> config ──> conn ──> files ──> http
//!    │                    │ │                ^
//!    │                    │ └──> log ────────┤
//!    └────────────────────┴────> net         │
//!                                  chroot <── log, process
//! ```
//!
//! | module | what it is |
//! |---|---|
//! | [`http`] | the protocol without I/O: [`parse`](http::parse) (the request-head parser, pure, fuzzed by its tests), [`request`](http::request) (method, body framing, keep-alive, smuggling checks), [`response`](http::response) (the status line and headers), [`status`](http::status), [`date`](http::date), [`range`](http::range), [`conditional`](http::conditional) (ETag, Last-Modified, If-*), [`chunked`](http::chunked) (skipping a chunked body), [`mime`](http::mime), [`path`](http::path) (percent-decoding, dot segments) |
//! | [`files`] | the document root ([`docroot`](files::docroot): openat2 beneath it), a worker's open files ([`file_cache`](files::file_cache): one `statx` per request), the answer from them ([`static_file`](files::static_file): 301/403/404, conditionals, ranges) and what it is ([`reply`](files::reply): head and body) |
//! | [`conn`] | one connection ([`connection`](conn::connection): pipelining, keep-alive, sendfile, lingering close, deadlines) and what it needs from its worker ([`ctx`](conn::ctx)) |
//! | [`net`] | socket calls std lacks ([`socket`](net::socket): SO_REUSEPORT, TCP_DEFER_ACCEPT, TCP_QUICKACK, accept4, MSG_MORE, sendfile) and the listeners' congestion control ([`congestion`](net::congestion)) |
//! | [`log`] | the access log ([`access`](log::access), Combined Log Format), the error log ([`errlog`](log::errlog)), files reopened without losing or tearing lines ([`logfile`](log::logfile)) |
//! | [`config`] | the config file (`key value;` lines), how flags override it, and the [`Options`](config::Options) it yields |
//! | [`process`] | start-up and the main thread ([`server`](process::server)), how it steers the workers ([`control`](process::control)), sets of worker threads and their listeners ([`generation`](process::generation)), one thread's epoll loop ([`worker`](process::worker)), worker processes ([`master`](process::master)), operator signals ([`signals`](process::signals)), chroot/setgroups/setgid/setuid ([`privileges`](process::privileges)) |
//! | [`chroot`] | the chroot entered, and paths as seen from inside it (a leaf, for the logs and the processes) |

pub mod chroot;
pub mod config;
pub mod conn;
pub mod files;
pub mod http;
pub mod log;
pub mod net;
pub mod process;
