//! The configuration file: nginx-like directives, one per line, each ended by `;`.
//!
//! ```text
//! # a comment runs from `#` to the end of the line
//! listen 127.0.0.1:8080;      # may be repeated: one listener per address
//! root /srv/www;
//! threads auto;               # or a number
//! keepalive_timeout 75s;      # durations: 500ms, 30s, 2m, 1h (no unit: seconds)
//! access_log off;
//! ```
//!
//! Values are single words (no quoting; a path cannot hold spaces or `#`). Relative paths are
//! taken relative to the directory of the config file. Every directive but `listen` may appear
//! once. Any mistake is an [`Error`] naming the file, the line and the problem; nothing in a
//! file can panic the parser. `user`, `group` and `chroot` are parsed and checked (the user and
//! group must exist, the chroot must be a directory) here, and applied by the server once it
//! has bound its listeners and opened its files.
//!
//! [`Settings`] holds what a file (or the command line) set, every field optional;
//! [`Settings::overlay`] lets the flags override the file, and [`Settings::into_options`]
//! fills the rest with the defaults: the [`Options`] the server runs with.
//!
//! A layer of its own, between the connections and the processes: it uses
//! [`crate::conn`] (the `Timeouts`), [`crate::net`] (the listener setup) and [`crate::http`]
//! (the head limits); the processes and the command line use it. Reading the file and
//! splitting it into directives is netcore's [`netcore::config_file`], shared with the proxy;
//! the directives are this module's.

use crate::conn::ctx::Timeouts;
use crate::http::parse::Limits;
use crate::net::congestion::Congestion;
use crate::net::socket::ListenerSetup;
use crate::proxy::route::{self, system_resolve, ProxySettings, Resolve, Route};
use netcore::config_file::{self, Directive};
use std::ffi::CString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How to run the server.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// One or more addresses; every worker listens on each.
    pub(crate) listen: Vec<SocketAddr>,
    pub(crate) root: PathBuf,
    /// Worker threads, each with its own epoll loop and listener.
    pub(crate) threads: usize,
    /// The access log file; `None` turns logging off.
    pub(crate) access_log: Option<PathBuf>,
    /// The error log file; `None` is stderr.
    pub(crate) error_log: Option<PathBuf>,
    pub(crate) timeouts: Timeouts,
    /// How long a graceful shutdown (SIGQUIT) waits for responses in flight.
    pub(crate) shutdown_timeout: Duration,
    pub(crate) limits: Limits,
    /// Connections held at once over all workers; past it a new connection gets 503.
    pub(crate) max_connections: usize,
    /// Requests served on one connection before it is closed (`keepalive_requests`).
    pub(crate) max_keepalive_requests: u32,
    /// Who to run as and where to chroot, once bound (see `privileges`).
    pub(crate) user: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) chroot: Option<PathBuf>,
    /// Worker processes under a master process; 0: no master, this process serves.
    pub(crate) processes: usize,
    /// Rotate a log once it reaches this size (0: never), keeping `log_keep` old files.
    pub(crate) log_max_size: u64,
    pub(crate) log_keep: usize,
    /// Serve as root if started as root without `user` (or with `user root`); refused
    /// otherwise (the server's start-up checks it before binding anything).
    pub(crate) allow_root: bool,
    /// The listeners' TCP congestion control and `TCP_DEFER_ACCEPT`.
    pub(crate) listener_setup: ListenerSetup,
    /// The `proxy_pass` locations and the proxy's timeouts and limits.
    pub(crate) proxy: ProxySettings,
}

/// Where a log goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogDest {
    Off,
    Stderr,
    File(PathBuf),
}

/// The `threads` setting: a number, or `auto` (one per CPU, the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Threads {
    Auto,
    Count(usize),
}

impl Threads {
    /// How many worker threads to start.
    pub(crate) fn count(self) -> usize {
        match self {
            Threads::Count(n) => n,
            Threads::Auto => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
        }
    }
}

/// What a config file or the command line set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    pub(crate) listen: Vec<SocketAddr>,
    pub(crate) root: Option<PathBuf>,
    pub(crate) threads: Option<Threads>,
    pub(crate) max_connections: Option<usize>,
    pub(crate) keepalive_requests: Option<u32>,
    pub(crate) header_timeout: Option<Duration>,
    pub(crate) keepalive_timeout: Option<Duration>,
    pub(crate) send_timeout: Option<Duration>,
    pub(crate) shutdown_timeout: Option<Duration>,
    pub(crate) access_log: Option<LogDest>,
    pub(crate) error_log: Option<LogDest>,
    pub(crate) user: Option<String>,
    pub(crate) group: Option<String>,
    pub(crate) chroot: Option<PathBuf>,
    /// Rotate a log past this size (0: never).
    pub(crate) log_max_size: Option<u64>,
    /// Rotated files kept (`path.1` .. `path.N`).
    pub(crate) log_keep: Option<usize>,
    /// Worker processes under a master (0: none).
    pub(crate) worker_processes: Option<usize>,
    /// Serve as root (started as root without `user`, or `user root`): refused unless set.
    pub(crate) allow_root: Option<bool>,
    /// The listeners' TCP congestion control.
    pub(crate) tcp_congestion: Option<Congestion>,
    /// `TCP_DEFER_ACCEPT` on the listeners.
    pub(crate) defer_accept: Option<bool>,
    /// `proxy_pass PREFIX URL;` lines (repeatable, each prefix once).
    pub(crate) proxy_pass: Vec<Route>,
    pub(crate) proxy_connect_timeout: Option<Duration>,
    pub(crate) proxy_read_timeout: Option<Duration>,
    pub(crate) proxy_set_host: Option<String>,
    pub(crate) proxy_max_body_size: Option<u64>,
    pub(crate) proxy_keepalive: Option<usize>,
    pub(crate) proxy_queue_wait: Option<Duration>,
}

pub(crate) use netcore::config_file::Error;

/// Upper bounds that keep a typo from asking for absurd resources.
const MAX_THREADS: usize = 1024;
const MAX_CONNECTIONS: usize = 1 << 20;
/// Longest accepted duration (a day).
const MAX_DURATION: Duration = Duration::from_secs(86_400);
/// Reads and parses a config file.
pub(crate) fn load(path: &Path) -> Result<Settings, Error> {
    let text = config_file::read(path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    parse(&text, path, base)
}

/// Parses the text of a config file named `file`; relative paths are resolved against `base`.
pub(crate) fn parse(text: &str, file: &Path, base: &Path) -> Result<Settings, Error> {
    parse_with(text, file, base, system_resolve)
}

/// [`parse`], with host names in `listen` and `proxy_pass` resolved by `resolve`.
pub(crate) fn parse_with(
    text: &str,
    file: &Path,
    base: &Path,
    resolve: Resolve,
) -> Result<Settings, Error> {
    let mut s = Settings::default();
    let mut seen: Vec<&str> = Vec::new();
    for (line_no, directive) in config_file::directives(text) {
        let err = |message: String| Error {
            file: file.to_path_buf(),
            line: line_no,
            message,
        };
        let Directive { key, args: values } = directive.map_err(err)?;
        let Some(directive) = DIRECTIVES.iter().find(|d| **d == key) else {
            return Err(err(format!("unknown directive \"{key}\"")));
        };
        let arity = if *directive == "proxy_pass" { 2 } else { 1 };
        if values.len() != arity {
            return Err(err(format!(
                "\"{key}\" takes {}, got {}",
                if arity == 1 {
                    "one value"
                } else {
                    "two values"
                },
                values.len()
            )));
        }
        let v = values[0];
        if v.contains(';') {
            return Err(err(format!("unexpected \";\" in \"{v}\"")));
        }
        if *directive != "listen" && *directive != "proxy_pass" {
            if seen.contains(directive) {
                return Err(err(format!("\"{key}\" directive is duplicate")));
            }
            seen.push(directive);
        }
        let path = |v: &str| base.join(v);
        match *directive {
            "listen" => s.listen.push(listen_with(v, resolve).map_err(err)?),
            "root" => {
                let p = path(v);
                if !p.is_dir() {
                    return Err(err(format!("root {}: not a directory", p.display())));
                }
                s.root = Some(p);
            }
            "threads" => {
                s.threads = Some(if v == "auto" {
                    Threads::Auto
                } else {
                    Threads::Count(config_file::number(v, 1, MAX_THREADS).map_err(err)?)
                })
            }
            "max_connections" => {
                s.max_connections = Some(config_file::number(v, 1, MAX_CONNECTIONS).map_err(err)?)
            }
            "keepalive_requests" => {
                s.keepalive_requests =
                    Some(config_file::number(v, 1, u32::MAX as usize).map_err(err)? as u32)
            }
            "header_timeout" => s.header_timeout = Some(parse_duration(v).map_err(err)?),
            "keepalive_timeout" => s.keepalive_timeout = Some(parse_duration(v).map_err(err)?),
            "send_timeout" => s.send_timeout = Some(parse_duration(v).map_err(err)?),
            "shutdown_timeout" => s.shutdown_timeout = Some(parse_duration(v).map_err(err)?),
            "access_log" => s.access_log = Some(parse_log(v, base, false).map_err(err)?),
            "error_log" => s.error_log = Some(parse_log(v, base, true).map_err(err)?),
            "user" => {
                check_name(v, NameKind::User).map_err(err)?;
                s.user = Some(v.to_owned());
            }
            "group" => {
                check_name(v, NameKind::Group).map_err(err)?;
                s.group = Some(v.to_owned());
            }
            "chroot" => {
                let p = path(v);
                if !p.is_dir() {
                    return Err(err(format!("chroot {}: not a directory", p.display())));
                }
                s.chroot = Some(p);
            }
            "log_max_size" => s.log_max_size = Some(parse_size(v).map_err(err)?),
            "worker_processes" => {
                s.worker_processes = Some(config_file::number(v, 0, MAX_THREADS).map_err(err)?)
            }
            "log_keep" => s.log_keep = Some(config_file::number(v, 1, 1000).map_err(err)?),
            "allow_root" => s.allow_root = Some(parse_switch(v).map_err(err)?),
            "tcp_congestion" => s.tcp_congestion = Some(Congestion::parse(v).map_err(err)?),
            "defer_accept" => s.defer_accept = Some(parse_switch(v).map_err(err)?),
            "proxy_pass" => {
                let r = route::parse_route(v, values[1], resolve).map_err(err)?;
                if s.proxy_pass.iter().any(|o| o.prefix == r.prefix) {
                    return Err(err(format!("proxy_pass prefix \"{v}\" is duplicate")));
                }
                s.proxy_pass.push(r);
            }
            "proxy_connect_timeout" => {
                s.proxy_connect_timeout = Some(parse_duration(v).map_err(err)?)
            }
            "proxy_read_timeout" => s.proxy_read_timeout = Some(parse_duration(v).map_err(err)?),
            "proxy_set_host" => {
                if v.bytes()
                    .any(|b| b <= 0x20 || b == 0x7f || b == b'/' || b == b'\\')
                {
                    return Err(err(format!("proxy_set_host \"{v}\": not a host")));
                }
                s.proxy_set_host = Some(v.to_owned());
            }
            "proxy_max_body_size" => s.proxy_max_body_size = Some(parse_size(v).map_err(err)?),
            "proxy_keepalive" => {
                s.proxy_keepalive = Some(config_file::number(v, 0, 10_000).map_err(err)?)
            }
            "proxy_queue_wait" => s.proxy_queue_wait = Some(parse_duration(v).map_err(err)?),
            _ => unreachable!("every directive of DIRECTIVES is matched"),
        }
    }
    Ok(s)
}

const DIRECTIVES: &[&str] = &[
    "listen",
    "root",
    "threads",
    "max_connections",
    "keepalive_requests",
    "header_timeout",
    "keepalive_timeout",
    "send_timeout",
    "shutdown_timeout",
    "access_log",
    "error_log",
    "user",
    "group",
    "chroot",
    "log_max_size",
    "log_keep",
    "worker_processes",
    "allow_root",
    "tcp_congestion",
    "defer_accept",
    "proxy_pass",
    "proxy_connect_timeout",
    "proxy_read_timeout",
    "proxy_set_host",
    "proxy_max_body_size",
    "proxy_keepalive",
    "proxy_queue_wait",
];

/// `on` or `off`.
pub(crate) fn parse_switch(v: &str) -> Result<bool, String> {
    match v {
        "on" => Ok(true),
        "off" => Ok(false),
        _ => Err(format!("\"{v}\": expected \"on\" or \"off\"")),
    }
}

/// `ADDR:PORT` (or `[V6]:PORT`, or `host:port`, resolved now).
pub(crate) fn parse_listen(v: &str) -> Result<SocketAddr, String> {
    listen_with(v, system_resolve)
}

/// [`parse_listen`], with a host name resolved by `resolve`.
fn listen_with(v: &str, resolve: Resolve) -> Result<SocketAddr, String> {
    if let Ok(a) = v.parse::<SocketAddr>() {
        return Ok(a);
    }
    if !v.contains(':') {
        return Err(format!("listen \"{v}\": expected ADDRESS:PORT"));
    }
    resolve(v)
        .map_err(|e| format!("listen \"{v}\": {e}"))?
        .ok_or_else(|| format!("listen \"{v}\": no address"))
}

/// `N`, `Nms`, `Ns`, `Nm`, `Nh`; at most a day.
pub(crate) fn parse_duration(v: &str) -> Result<Duration, String> {
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = v.split_at(digits);
    let bad = || format!("\"{v}\" is not a duration (like 500ms, 30s, 2m, 1h)");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let ms_per = match unit {
        "ms" => 1,
        "" | "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    match n.checked_mul(ms_per).map(Duration::from_millis) {
        Some(d) if d <= MAX_DURATION => Ok(d),
        _ => Err(format!("{v} is longer than a day")),
    }
}

/// `N`, `Nk`, `Nm`, `Ng` bytes (binary units), or `off` (0).
pub(crate) fn parse_size(v: &str) -> Result<u64, String> {
    if v == "off" {
        return Ok(0);
    }
    let digits = v.bytes().take_while(u8::is_ascii_digit).count();
    let (num, unit) = v.split_at(digits);
    let bad = || format!("\"{v}\" is not a size (like 512k, 10m, 1g, or off)");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let shift = match unit {
        "" => 0,
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        _ => return Err(bad()),
    };
    n.checked_mul(1 << shift)
        .filter(|&b| b <= 1 << 50)
        .ok_or_else(|| format!("{v} is too large"))
}

fn parse_log(v: &str, base: &Path, stderr_ok: bool) -> Result<LogDest, String> {
    match v {
        "off" => Ok(LogDest::Off),
        "stderr" if stderr_ok => Ok(LogDest::Stderr),
        _ => {
            let p = base.join(v);
            match p.parent() {
                Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => Err(format!(
                    "log {}: directory {} does not exist",
                    p.display(),
                    dir.display()
                )),
                _ if p.is_dir() => Err(format!("log {}: is a directory", p.display())),
                _ => Ok(LogDest::File(p)),
            }
        }
    }
}

#[derive(Clone, Copy)]
enum NameKind {
    User,
    Group,
}

/// The user or group must exist (a number is taken as an id and accepted as is).
fn check_name(v: &str, kind: NameKind) -> Result<(), String> {
    let what = match kind {
        NameKind::User => "user",
        NameKind::Group => "group",
    };
    if v.bytes().all(|b| b.is_ascii_digit()) {
        return config_file::number(v, 0, u32::MAX as usize - 1).map(|_| ());
    }
    let c = CString::new(v).map_err(|_| format!("{what} \"{v}\": contains a NUL"))?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let found = match kind {
        NameKind::User => {
            // SAFETY: the reentrant lookup writes into our passwd and buffer only.
            let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
            let mut out: *mut libc::passwd = std::ptr::null_mut();
            // SAFETY: every pointer is to a live local of the size given.
            let rc = unsafe {
                libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut out)
            };
            rc == 0 && !out.is_null()
        }
        NameKind::Group => {
            // SAFETY: as above, with a group.
            let mut gr: libc::group = unsafe { std::mem::zeroed() };
            let mut out: *mut libc::group = std::ptr::null_mut();
            // SAFETY: every pointer is to a live local of the size given.
            let rc = unsafe {
                libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut out)
            };
            rc == 0 && !out.is_null()
        }
    };
    if found {
        Ok(())
    } else {
        Err(format!("{what} \"{v}\" does not exist"))
    }
}

impl Settings {
    /// `self` with every field `over` sets replaced (a non-empty `listen` replaces the list).
    pub(crate) fn overlay(mut self, over: Settings) -> Settings {
        if !over.listen.is_empty() {
            self.listen = over.listen;
        }
        if !over.proxy_pass.is_empty() {
            self.proxy_pass = over.proxy_pass;
        }
        macro_rules! take {
            ($($f:ident),*) => { $( if over.$f.is_some() { self.$f = over.$f; } )* };
        }
        take!(
            root,
            threads,
            max_connections,
            keepalive_requests,
            header_timeout,
            keepalive_timeout,
            send_timeout,
            shutdown_timeout,
            access_log,
            error_log,
            user,
            group,
            chroot,
            log_max_size,
            log_keep,
            worker_processes,
            allow_root,
            tcp_congestion,
            defer_accept,
            proxy_connect_timeout,
            proxy_read_timeout,
            proxy_set_host,
            proxy_max_body_size,
            proxy_keepalive,
            proxy_queue_wait
        );
        self
    }

    /// The server's options: what is set, and the defaults for the rest.
    pub(crate) fn into_options(self) -> Options {
        let defaults = Timeouts::default();
        let threads = self.threads.unwrap_or(Threads::Auto).count();
        let file_of = |d: Option<LogDest>, default: LogDest| match d.unwrap_or(default) {
            LogDest::File(p) => Some(p),
            LogDest::Off | LogDest::Stderr => None,
        };
        Options {
            listen: if self.listen.is_empty() {
                vec![SocketAddr::from(([127, 0, 0, 1], 8080))]
            } else {
                self.listen
            },
            root: self.root.unwrap_or_else(|| PathBuf::from(".")),
            threads,
            access_log: file_of(self.access_log, LogDest::File(PathBuf::from("access.log"))),
            error_log: file_of(self.error_log, LogDest::Stderr),
            timeouts: Timeouts {
                header: self.header_timeout.unwrap_or(defaults.header),
                keepalive: self.keepalive_timeout.unwrap_or(defaults.keepalive),
                send: self.send_timeout.unwrap_or(defaults.send),
                linger: defaults.linger,
            },
            shutdown_timeout: self.shutdown_timeout.unwrap_or(Duration::from_secs(30)),
            limits: Limits::default(),
            max_connections: self.max_connections.unwrap_or(16384),
            max_keepalive_requests: self.keepalive_requests.unwrap_or(1000),
            user: self.user,
            group: self.group,
            chroot: self.chroot,
            log_max_size: self.log_max_size.unwrap_or(0),
            log_keep: self.log_keep.unwrap_or(5),
            processes: self.worker_processes.unwrap_or(0),
            allow_root: self.allow_root.unwrap_or(false),
            listener_setup: {
                let default = ListenerSetup::default();
                ListenerSetup {
                    congestion: self.tcp_congestion.unwrap_or(default.congestion),
                    defer_accept: self.defer_accept.unwrap_or(default.defer_accept),
                }
            },
            proxy: {
                let d = ProxySettings::default();
                ProxySettings {
                    routes: self.proxy_pass,
                    connect_timeout: self.proxy_connect_timeout.unwrap_or(d.connect_timeout),
                    read_timeout: self.proxy_read_timeout.unwrap_or(d.read_timeout),
                    host: self.proxy_set_host,
                    max_body: self.proxy_max_body_size.unwrap_or(d.max_body),
                    keepalive: self.proxy_keepalive.unwrap_or(d.keepalive),
                    queue_wait: self.proxy_queue_wait.unwrap_or(d.queue_wait),
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Settings, Error> {
        parse(text, Path::new("t.conf"), Path::new("/"))
    }

    fn msg(text: &str) -> String {
        p(text).unwrap_err().to_string()
    }

    #[test]
    fn a_full_file() {
        let s = p(
            "# c\nlisten 127.0.0.1:1;\n  listen [::1]:2 ; # two\n\nroot /tmp;\nthreads 3;\n\
                   max_connections 10;\nkeepalive_requests 5;\nheader_timeout 500ms;\n\
                   keepalive_timeout 2m;\nsend_timeout 7;\nshutdown_timeout 1h;\n\
                   access_log off;\nerror_log stderr;\nuser root;\ngroup 0;\nchroot /;\n",
        )
        .unwrap();
        assert_eq!(s.listen.len(), 2);
        assert_eq!(s.root, Some(PathBuf::from("/tmp")));
        assert_eq!(s.threads, Some(Threads::Count(3)));
        assert_eq!(s.header_timeout, Some(Duration::from_millis(500)));
        assert_eq!(s.keepalive_timeout, Some(Duration::from_secs(120)));
        assert_eq!(s.send_timeout, Some(Duration::from_secs(7)));
        assert_eq!(s.shutdown_timeout, Some(Duration::from_secs(3600)));
        assert_eq!(s.access_log, Some(LogDest::Off));
        assert_eq!(s.error_log, Some(LogDest::Stderr));
        assert_eq!(s.user.as_deref(), Some("root"));
        assert_eq!(p("threads auto;").unwrap().threads, Some(Threads::Auto));
        let s = p("log_max_size 10m;\nlog_keep 3;").unwrap();
        assert_eq!(s.log_max_size, Some(10 << 20));
        assert_eq!(s.log_keep, Some(3));
        assert_eq!(p("log_max_size off;").unwrap().log_max_size, Some(0));
        let s = p("tcp_congestion cubic;").unwrap();
        assert_eq!(s.tcp_congestion, Some(Congestion::Named("cubic".into())));
        assert_eq!(
            p("tcp_congestion default;").unwrap().tcp_congestion,
            Some(Congestion::Default)
        );
        assert_eq!(
            Settings::default().into_options().listener_setup.congestion,
            Congestion::Default
        );
        assert!(
            Settings::default()
                .into_options()
                .listener_setup
                .defer_accept
        );
        assert_eq!(p("defer_accept off;").unwrap().defer_accept, Some(false));
    }

    #[test]
    fn relative_paths_follow_the_file() {
        let s = parse(
            "access_log a.log;",
            Path::new("/tmp/x.conf"),
            Path::new("/tmp"),
        )
        .unwrap();
        assert_eq!(
            s.access_log,
            Some(LogDest::File(PathBuf::from("/tmp/a.log")))
        );
    }

    #[test]
    fn every_kind_of_mistake_names_the_line() {
        let cases = [
            ("root /tmp", "t.conf:1: missing \";\""),
            ("\n\nfoo 1;", "t.conf:3: unknown directive \"foo\""),
            ("root;", "t.conf:1: \"root\" takes one value, got 0"),
            ("root /a /b;", "t.conf:1: \"root\" takes one value, got 2"),
            (
                "root /tmp;\nroot /tmp;",
                "t.conf:2: \"root\" directive is duplicate",
            ),
            ("threads x;", "t.conf:1: \"x\" is not a number"),
            ("threads 0;", "t.conf:1: 0 is out of range"),
            ("threads 99999999999999999999999;", "out of range"),
            ("send_timeout 5y;", "t.conf:1: \"5y\" is not a duration"),
            ("send_timeout 99999h;", "longer than a day"),
            (
                "listen nowhere;",
                "t.conf:1: listen \"nowhere\": expected ADDRESS:PORT",
            ),
            (
                "root /nonexistent-dir;",
                "t.conf:1: root /nonexistent-dir: not a directory",
            ),
            ("access_log /nonexistent-dir/a.log;", "does not exist"),
            (
                "user no-such-user-xyz;",
                "t.conf:1: user \"no-such-user-xyz\" does not exist",
            ),
            (
                "group no-such-group-xyz;",
                "group \"no-such-group-xyz\" does not exist",
            ),
            ("chroot /etc/passwd;", "chroot /etc/passwd: not a directory"),
            ("log_max_size 5x;", "t.conf:1: \"5x\" is not a size"),
            ("log_keep 0;", "t.conf:1: 0 is out of range"),
            (
                "allow_root yes;",
                "t.conf:1: \"yes\": expected \"on\" or \"off\"",
            ),
            (
                "defer_accept 1;",
                "t.conf:1: \"1\": expected \"on\" or \"off\"",
            ),
            (
                "tcp_congestion Cubic!;",
                "t.conf:1: tcp_congestion \"Cubic!\": expected \"auto\"",
            ),
            ("root a;b;", "unexpected \";\""),
            (";", "\";\" without a directive"),
        ];
        for (text, want) in cases {
            let got = msg(text);
            assert!(got.contains(want), "{text:?}: got {got:?}, want {want:?}");
        }
    }

    #[test]
    fn never_panics_on_garbage() {
        let mut x: u32 = 12345;
        let alphabet = b"abcdefghijklmnopqrstuvwxyz_ ;#\n\t:0123456789./[]\0\xc3\xa9";
        for _ in 0..2000 {
            let mut s = Vec::new();
            for _ in 0..(x % 80) {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                s.push(alphabet[(x >> 16) as usize % alphabet.len()]);
            }
            let text = String::from_utf8_lossy(&s);
            let _ = p(&text);
            for d in DIRECTIVES {
                let _ = p(&format!("{d} {text};"));
            }
        }
    }

    #[test]
    fn proxy_pass_lines() {
        let s = p(
            "proxy_pass /api/ http://127.0.0.1:9000;\nproxy_pass /b/ http://127.0.0.1:9001/;\n\
                   proxy_connect_timeout 2s;\nproxy_read_timeout 500ms;\nproxy_set_host backend;\n\
                   proxy_max_body_size 1g;\nproxy_keepalive 8;\nproxy_queue_wait 0;",
        )
        .unwrap();
        let o = s.into_options();
        assert_eq!(o.proxy.routes.len(), 2);
        assert_eq!(
            o.proxy.routes[1].upstream,
            "127.0.0.1:9001".parse().unwrap()
        );
        assert_eq!(o.proxy.connect_timeout, Duration::from_secs(2));
        assert_eq!(o.proxy.read_timeout, Duration::from_millis(500));
        assert_eq!(o.proxy.host.as_deref(), Some("backend"));
        assert_eq!(o.proxy.max_body, 1 << 30);
        assert_eq!(o.proxy.keepalive, 8);
        assert_eq!(o.proxy.queue_wait, Duration::ZERO);
        assert!(msg("proxy_pass /api/;").contains("takes two values"));
        assert!(
            msg("proxy_pass /a/ http://127.0.0.1:1;\nproxy_pass /a/ http://127.0.0.1:2;")
                .contains(":2: proxy_pass prefix \"/a/\" is duplicate")
        );
        assert!(msg("proxy_pass /a/ https://x:1;").contains("https is not supported"));
        assert!(msg("proxy_set_host a/b;").contains("not a host"));
    }

    #[test]
    fn flags_override_the_file() {
        let file = p("listen 127.0.0.1:1;\nthreads 3;\nroot /tmp;").unwrap();
        let cli = Settings {
            threads: Some(Threads::Count(5)),
            ..Settings::default()
        };
        let s = file.overlay(cli);
        assert_eq!(s.threads, Some(Threads::Count(5)));
        assert_eq!(s.root, Some(PathBuf::from("/tmp")));
        let o = s.into_options();
        assert_eq!(o.threads, 5);
        assert_eq!(o.listen, vec!["127.0.0.1:1".parse().unwrap()]);
    }
}
