//! `httpd` as a library: the whole server, its command line included. The `httpd` binary
//! calls [`main`], the one public item; everything else is `pub(crate)`.
//!
//! The modules are in layers, listed from the top; each uses only the layers it names
//! (`layers_point_down`, in this file's tests, checks it), so dependencies run one way:
//!
//! | layer | what it is | may use |
//! |---|---|---|
//! | `cli` | the command line: the flags laid over the config file, then `--check-config`, the server, or the master | all below |
//! | `process/` | processes, threads and signals: start-up and the one loop over the operator's signals that steers the workers, reload rules included (`supervisor`), its workers: generations of worker threads (`threads`) or a master's worker processes (`processes`); how the main thread steers a generation (`control`), one thread's epoll loop (`worker`), the listening sockets kept across reloads (`listeners`), the operator's signals (`signals`), chroot, setgroups, setgid, setuid (`privileges`); within it, files too use only those below them | all below |
//! | `config` | the config file (`key value;` lines), how flags override it, and the `Options` it yields | `conn`, `proxy`, `net`, `http` |
//! | `conn/` | one connection's state machine (a request under a `proxy_pass` location handed to an exchange of `proxy`, `proxied`): pipelining, keep-alive, sendfile, lingering close, deadlines (`state`, without I/O; `connection`, the socket calls around it); what it needs from its worker: `Ctx`, the `Shared` settings, `Timeouts` (`ctx`) | `files`, `proxy`, `log`, `net`, `http` |
//! | `proxy/` | the HTTP reverse proxy: the locations (`route`), the idle upstream connections (`pool`), header rewriting both ways (`headers`), the request body streamed up (`forward`), the response body streamed down (`relay`), one request's exchange with its upstream on the worker's epoll (`exchange`) | `http`, `net`, `log` |
//! | `files/` | the document root, files opened with openat2 beneath it (`docroot`); a worker's open files, checked by one `statx` per request (`file_cache`); the answer from them, 301/403/404, conditionals, ranges (`static_file`); what the answer is: a response head and the body naming the file (`reply`, with `SMALL_BODY`) | `http` |
//! | `log/` | the access log in Combined Log Format (`access`), the error log and its `error!`, `warn!`, `notice!` (`errlog`), log files reopened or rotated without losing or tearing lines (`logfile`) | `http`, `chroot` |
//! | `net/` | socket calls std lacks: SO_REUSEPORT, TCP_DEFER_ACCEPT, TCP_QUICKACK, accept4, MSG_MORE, sendfile (`socket`); the listeners' TCP congestion control (`congestion`) | nothing |
//! | `http/` | the protocol without file descriptors or I/O: the request-head parser, pure and fuzzed by its tests (`parse`); what a head means: method, body framing, keep-alive, smuggling checks (`request`); the response head (`response`); `status`, `date`, `range`, `conditional` (ETag, Last-Modified, If-*), `chunked` (skipping a chunked body), `mime`, `path` (percent-decoding, dot segments) | nothing |
//! | `chroot` | the chroot entered, and paths as seen from inside it (a leaf, for the logs and the processes) | nothing |
//!
//! Beside the layers, `fuzzing` holds the bodies of the fuzz targets in `fuzz/` (hidden, not an
//! API: the one other public item); it uses `http` only.

mod chroot;
mod cli;
mod config;
mod conn;
mod files;
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod log;
mod net;
mod process;
mod proxy;

pub use cli::main;

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Each layer (a folder of `src`, or a file at its top) and the layers it may use.
    const LAYERS: &[(&str, &[&str])] = &[
        ("fuzzing", &["http"]),
        ("http", &[]),
        ("net", &[]),
        ("chroot", &[]),
        ("files", &["http"]),
        ("log", &["http", "chroot"]),
        ("proxy", &["http", "net", "log"]),
        ("conn", &["http", "files", "net", "log", "proxy"]),
        ("config", &["http", "net", "conn", "proxy"]),
        (
            "process",
            &[
                "http", "files", "net", "log", "conn", "config", "chroot", "proxy",
            ],
        ),
        (
            "cli",
            &[
                "http", "files", "net", "log", "conn", "config", "chroot", "process", "proxy",
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
                    if names(&text, &format!("crate::{other}")) {
                        wrong.push(format!("{file}: {layer} may not use {other}"));
                    }
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Whether `text` names the path `needle` (not merely a longer name starting with it).
    fn names(text: &str, needle: &str) -> bool {
        text.match_indices(needle).any(|(i, _)| {
            let next = text[i + needle.len()..].chars().next();
            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    }

    /// The files of `process/`, from the top, and the files of `process/` each may use: only
    /// files below it, so no two files use each other, directly or not.
    const PROCESS_FILES: &[(&str, &[&str])] = &[
        (
            "processes",
            &["threads", "supervisor", "listeners", "signals"],
        ),
        (
            "threads",
            &["supervisor", "worker", "control", "listeners", "privileges"],
        ),
        ("supervisor", &["listeners", "signals", "privileges"]),
        ("worker", &["control"]),
        ("control", &[]),
        ("listeners", &[]),
        ("signals", &[]),
        ("privileges", &[]),
    ];

    /// Within `process/` too, dependencies run one way: every file is in [`PROCESS_FILES`],
    /// names (`crate::process::FILE` or `super::FILE`, in code or in a doc link) only the
    /// files it may use, and those lie below it.
    #[test]
    fn process_files_point_down() {
        let mut wrong = Vec::new();
        for (i, (file, allowed)) in PROCESS_FILES.iter().enumerate() {
            for a in *allowed {
                if !PROCESS_FILES[i + 1..].iter().any(|(f, _)| f == a) {
                    wrong.push(format!("{file} may use {a}, which is not below it"));
                }
            }
        }
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        for (path, text) in sources(&src, "process") {
            let file = path.trim_start_matches("process/").trim_end_matches(".rs");
            if file == "mod" {
                continue;
            }
            let Some((_, allowed)) = PROCESS_FILES.iter().find(|(f, _)| *f == file) else {
                wrong.push(format!("{path}: not in PROCESS_FILES"));
                continue;
            };
            if text.contains("crate::process::{") || text.contains("super::{") {
                wrong.push(format!("{path}: a grouped import of process files"));
            }
            for (other, _) in PROCESS_FILES {
                if *other == file || allowed.contains(other) {
                    continue;
                }
                if names(&text, &format!("crate::process::{other}"))
                    || names(&text, &format!("super::{other}"))
                {
                    wrong.push(format!("{path}: {file} may not use {other}"));
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
