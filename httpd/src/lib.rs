//! `httpd` as a library: the server's modules, used by the `httpd` binary (and, later, by
//! its master process).
//!
//! The modules follow nginx's `src/http`:
//!
//! | module | what it is |
//! |---|---|
//! | [`config`] | the config file (`key value;` lines) and how flags override it |
//! | [`parse`] | the request-head parser (pure, never panics, fuzzed by its tests) |
//! | [`chunked`] | skipping a chunked request body (strict, bounded) |
//! | [`request`] | what a head means: method, body framing, keep-alive, smuggling checks |
//! | [`path`] | percent-decoding and dot-segment removal of the target's path |
//! | [`docroot`] | the document root: files opened with openat2 beneath it |
//! | [`static_file`] | the answer from the document root: 301/403/404, conditionals, ranges |
//! | [`reply`] | an answer: the response head and the body (a page, or a file to send) |
//! | [`file_cache`] | a worker's open files, checked by one `statx` per request |
//! | [`conditional`] | ETag, Last-Modified, If-None-Match, If-Modified-Since, If-Range |
//! | [`range`] | the single-range `Range` header |
//! | [`mime`] | `Content-Type` by extension |
//! | [`response`] | the status line and headers |
//! | [`status`] | status codes, reasons and error pages |
//! | [`date`] | HTTP dates and the log's timestamps |
//! | [`log`] | the access log (Combined Log Format) |
//! | [`logfile`] | a log file reopened on SIGUSR1 without losing or tearing lines |
//! | [`errlog`] | the error log |
//! | [`signals`] | SIGTERM/INT, SIGQUIT, SIGHUP, SIGUSR1 as commands for the main thread |
//! | [`master`] | the master process: forks, restarts and signals worker processes |
//! | [`conn`] | one connection: pipelining, keep-alive, sendfile, lingering close, deadlines |
//! | [`worker`] | one thread's epoll loop over its listeners and connections |
//! | [`generation`] | a set of worker threads, and the listening sockets they share out |
//! | [`net`] | socket calls std lacks (SO_REUSEPORT, TCP_DEFER_ACCEPT, TCP_QUICKACK, accept4, MSG_MORE, sendfile) |
//! | [`congestion`] | the listeners' TCP congestion control: no pacing across loopback |
//! | [`chroot`] | the chroot entered, and paths as seen from inside it |
//! | [`privileges`] | chroot, setgroups/setgid/setuid, no way back to root |
//! | [`server`] | start-up: options, listeners, signals, threads |

pub mod chroot;
pub mod chunked;
pub mod conditional;
pub mod config;
pub mod congestion;
pub mod conn;
pub mod control;
pub mod ctx;
pub mod date;
pub mod docroot;
pub mod errlog;
pub mod file_cache;
pub mod generation;
pub mod log;
pub mod logfile;
pub mod master;
pub mod mime;
pub mod net;
pub mod parse;
pub mod path;
pub mod privileges;
pub mod range;
pub mod reply;
pub mod request;
pub mod response;
pub mod server;
pub mod signals;
pub mod static_file;
pub mod status;
pub mod worker;
