//! `httpd` as a library: the server's modules and its command line; the `httpd` binary
//! calls [`main`].
//!
//! The modules are in layers, each using only the layers below it (a `use` of a higher layer
//! is a mistake; `layers_point_down` in this file's tests checks it):
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
mod cli;
pub mod config;
pub mod conn;
pub mod files;
pub mod http;
pub mod log;
pub mod net;
pub mod process;

pub use cli::main;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Each layer (a folder of `src`, or a file at its top) and the layers it may use.
    const LAYERS: &[(&str, &[&str])] = &[
        ("http", &[]),
        ("net", &[]),
        ("chroot", &[]),
        ("files", &["http"]),
        ("log", &["http", "chroot"]),
        ("conn", &["http", "files", "net", "log"]),
        ("config", &["http", "net", "conn"]),
        (
            "process",
            &["http", "files", "net", "log", "conn", "config", "chroot"],
        ),
        (
            "cli",
            &[
                "http", "files", "net", "log", "conn", "config", "chroot", "process",
            ],
        ),
    ];

    /// The source files of `layer`: `src/LAYER/**.rs`, or `src/LAYER.rs`.
    fn sources(src: &Path, layer: &str) -> Vec<(String, String)> {
        let file = src.join(format!("{layer}.rs"));
        if file.is_file() {
            return vec![(
                format!("{layer}.rs"),
                std::fs::read_to_string(file).unwrap(),
            )];
        }
        let mut out = Vec::new();
        let mut dirs = vec![src.join(layer)];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let name = path.strip_prefix(src).unwrap_or(&path).display();
                    out.push((name.to_string(), text));
                }
            }
        }
        assert!(!out.is_empty(), "no sources for layer {layer}");
        out
    }

    /// No file names a layer it may not use (`crate::LAYER`, in code or in a doc link), and
    /// none hides one in a grouped `crate::{...}` import.
    #[test]
    fn layers_point_down() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut wrong = Vec::new();
        for (layer, allowed) in LAYERS {
            for (file, text) in sources(&src, layer) {
                if text.contains("crate::{") {
                    wrong.push(format!("{file}: a grouped crate::{{...}} import"));
                }
                for (other, _) in LAYERS {
                    if other == layer || allowed.contains(other) {
                        continue;
                    }
                    let needle = format!("crate::{other}");
                    let names_it = text.match_indices(&needle).any(|(i, _)| {
                        let next = text[i + needle.len()..].chars().next();
                        !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
                    });
                    if names_it {
                        wrong.push(format!("{file}: {layer} may not use {other}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
