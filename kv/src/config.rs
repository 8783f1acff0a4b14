//! kv's settings: Redis's names (`appendfsync`, `maxmemory`, `requirepass`...), in a file of
//! httpd's style, one directive per line ended by `;`, `#` comments:
//!
//! ```text
//! listen 127.0.0.1:6380;
//! dir /var/lib/kv;
//! appendfsync everysec;     # always | everysec | no
//! maxmemory 1gb;            # 0: no limit; units b k kb m mb g gb as Redis reads them
//! maxmemory-policy allkeys-lru;
//! requirepass s3cret;
//! ```
//!
//! The same names are what `CONFIG GET` and `CONFIG SET` take. A mistake in the file is an
//! error naming the file, the line and the problem. Flags on the command line override the
//! file.

use crate::engine::Kind;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

/// When the log is flushed to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fsync {
    /// Before any reply of the turn leaves: nothing acknowledged is ever lost.
    Always,
    /// Once a second, from a background thread: at most about a second is lost.
    Everysec,
    /// When the kernel decides.
    No,
}

impl Fsync {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fsync::Always => "always",
            Fsync::Everysec => "everysec",
            Fsync::No => "no",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Fsync> {
        match s.to_ascii_lowercase().as_str() {
            "always" => Some(Fsync::Always),
            "everysec" => Some(Fsync::Everysec),
            "no" => Some(Fsync::No),
            _ => None,
        }
    }
}

/// What happens when a write would take memory past `maxmemory`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Policy {
    /// Writes that may add memory get an OOM error.
    NoEviction,
    /// The least recently used keys (by sampling) are evicted to make room.
    AllKeysLru,
}

impl Policy {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Policy::NoEviction => "noeviction",
            Policy::AllKeysLru => "allkeys-lru",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Policy> {
        match s.to_ascii_lowercase().as_str() {
            "noeviction" => Some(Policy::NoEviction),
            "allkeys-lru" => Some(Policy::AllKeysLru),
            _ => None,
        }
    }
}

/// The server's settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) listen: Vec<SocketAddr>,
    /// Where the keys live: in memory with the log (`aof`), or in `dir/kv.btree` (`btree`).
    pub(crate) engine: Kind,
    /// Where the log directory (or the btree engine's file) lives.
    pub(crate) dir: PathBuf,
    pub(crate) appendonly: bool,
    pub(crate) appendfsync: Fsync,
    /// The log directory's name inside `dir` (Redis 7's `appenddirname`).
    pub(crate) appenddirname: String,
    pub(crate) requirepass: Option<Vec<u8>>,
    /// Refuse non-loopback listening without a password (Redis's protected mode).
    pub(crate) protected_mode: bool,
    pub(crate) maxmemory: u64,
    pub(crate) maxmemory_policy: Policy,
    pub(crate) maxmemory_samples: usize,
    pub(crate) maxclients: usize,
    /// Close a client idle for this many seconds (0: never).
    pub(crate) timeout: u64,
    /// The longest argument (`proto-max-bulk-len`).
    pub(crate) proto_max_bulk_len: usize,
    /// The largest query buffer a client may have (`client-query-buffer-limit`).
    pub(crate) client_query_buffer_limit: usize,
    /// Reply bytes a client may leave unread before it is disconnected.
    pub(crate) client_output_buffer_limit: usize,
    /// Rewrite the log when it has grown this many percent over its size after the last
    /// rewrite (0: never automatically)...
    pub(crate) auto_aof_rewrite_percentage: u64,
    /// ...and is at least this large.
    pub(crate) auto_aof_rewrite_min_size: u64,
    /// Start even if the log ends in a torn command (cut it off, with a warning).
    pub(crate) aof_load_truncated: bool,
    /// Start even if the log is corrupt before its end, loading what precedes the damage.
    pub(crate) aof_load_corrupt_prefix: bool,
    /// Timer ticks per second (active expiry, statistics).
    pub(crate) hz: u32,
    /// Microseconds the event loop may poll for input before it sleeps, while requests keep
    /// coming back that soon (0, the default: it sleeps at once, as Redis does; HAProxy's
    /// `busy-polling` is off by default too). kv's own; Redis has none.
    pub(crate) busy_poll_us: u64,
    /// The file the settings came from.
    pub(crate) config_file: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: vec!["127.0.0.1:6380".parse().expect("a valid literal address")],
            engine: Kind::Aof,
            dir: PathBuf::from("."),
            appendonly: true,
            appendfsync: Fsync::Everysec,
            appenddirname: "appendonlydir".into(),
            requirepass: None,
            protected_mode: true,
            maxmemory: 0,
            maxmemory_policy: Policy::NoEviction,
            maxmemory_samples: 5,
            maxclients: 10000,
            timeout: 0,
            proto_max_bulk_len: 512 << 20,
            client_query_buffer_limit: 1 << 30,
            client_output_buffer_limit: 256 << 20,
            auto_aof_rewrite_percentage: 100,
            auto_aof_rewrite_min_size: 64 << 20,
            aof_load_truncated: true,
            aof_load_corrupt_prefix: false,
            hz: 10,
            busy_poll_us: 0,
            config_file: None,
        }
    }
}

/// A mistake in a config file or a CONFIG SET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error(pub(crate) String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A memory size as Redis reads one: a number with an optional unit (`b`, `k`/`kb`, `m`/`mb`,
/// `g`/`gb`; `k` is 1000, `kb` is 1024, and so on), any case.
pub(crate) fn parse_memory(s: &str) -> Option<u64> {
    let lower = s.to_ascii_lowercase();
    let units: [(&str, u64); 7] = [
        ("gb", 1 << 30),
        ("mb", 1 << 20),
        ("kb", 1 << 10),
        ("g", 1_000_000_000),
        ("m", 1_000_000),
        ("k", 1000),
        ("b", 1),
    ];
    for (unit, mul) in units {
        if let Some(n) = lower.strip_suffix(unit) {
            return n.parse::<u64>().ok()?.checked_mul(mul);
        }
    }
    lower.parse().ok()
}

fn yes_no(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "yes" | "on" => Some(true),
        "no" | "off" => Some(false),
        _ => None,
    }
}

/// The parameters CONFIG GET lists and whether CONFIG SET may change them, in CONFIG GET's
/// order. Those the event loop or the listener took at start-up (`timeout`, `hz`, the output
/// limit, protected mode) are read-only until a restart, rather than accepted and ignored.
pub(crate) const PARAMETERS: &[(&str, bool)] = &[
    ("engine", false),
    ("appendonly", false),
    ("appendfsync", true),
    ("appenddirname", false),
    ("dir", false),
    ("requirepass", true),
    ("protected-mode", false),
    ("maxmemory", true),
    ("maxmemory-policy", true),
    ("maxmemory-samples", true),
    ("maxclients", false),
    ("timeout", false),
    ("proto-max-bulk-len", true),
    ("client-query-buffer-limit", true),
    ("client-output-buffer-limit", false),
    ("auto-aof-rewrite-percentage", true),
    ("auto-aof-rewrite-min-size", true),
    ("aof-load-truncated", true),
    ("aof-load-corrupt-prefix", true),
    ("hz", false),
    ("busy-poll", false),
    ("save", false),
    ("databases", false),
    ("port", false),
    ("bind", false),
];

impl Config {
    /// A parameter's value as CONFIG GET shows it.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let b = |v: bool| if v { "yes" } else { "no" }.to_string();
        Some(match name {
            "engine" => self.engine.name().into(),
            "appendonly" => b(self.appendonly),
            "appendfsync" => self.appendfsync.name().into(),
            "appenddirname" => self.appenddirname.clone(),
            "dir" => self.dir.display().to_string(),
            "requirepass" => self
                .requirepass
                .as_ref()
                .map(|p| String::from_utf8_lossy(p).into_owned())
                .unwrap_or_default(),
            "protected-mode" => b(self.protected_mode),
            "maxmemory" => self.maxmemory.to_string(),
            "maxmemory-policy" => self.maxmemory_policy.name().into(),
            "maxmemory-samples" => self.maxmemory_samples.to_string(),
            "maxclients" => self.maxclients.to_string(),
            "timeout" => self.timeout.to_string(),
            "proto-max-bulk-len" => self.proto_max_bulk_len.to_string(),
            "client-query-buffer-limit" => self.client_query_buffer_limit.to_string(),
            "client-output-buffer-limit" => self.client_output_buffer_limit.to_string(),
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage.to_string(),
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size.to_string(),
            "aof-load-truncated" => b(self.aof_load_truncated),
            "aof-load-corrupt-prefix" => b(self.aof_load_corrupt_prefix),
            "hz" => self.hz.to_string(),
            "busy-poll" => self.busy_poll_us.to_string(),
            // No snapshots: the log is the only persistence.
            "save" => String::new(),
            "databases" => "1".into(),
            "port" => self.listen.first().map_or(0, |a| a.port()).to_string(),
            "bind" => self
                .listen
                .iter()
                .map(|a| a.ip().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            _ => return None,
        })
    }

    /// Sets a parameter from text (a file's directive, or CONFIG SET when `runtime`).
    pub(crate) fn set(&mut self, name: &str, value: &str, runtime: bool) -> Result<(), Error> {
        let bad = || {
            Error(format!(
                "argument couldn't be parsed into a value for '{name}': {value}"
            ))
        };
        let num = |v: &str| v.parse::<u64>().map_err(|_| bad());
        let mem = |v: &str| parse_memory(v).ok_or_else(bad);
        let Some(&(_, settable)) = PARAMETERS.iter().find(|(n, _)| *n == name) else {
            if !runtime && name == "listen" {
                let addrs: Vec<SocketAddr> = value
                    .to_socket_addrs()
                    .map_err(|e| Error(format!("listen {value}: {e}")))?
                    .collect();
                self.listen = addrs;
                return Ok(());
            }
            return Err(Error(format!("unknown directive '{name}'")));
        };
        if runtime && !settable {
            return Err(Error(format!("can't set immutable config '{name}'")));
        }
        match name {
            "engine" => self.engine = Kind::parse(value).ok_or_else(bad)?,
            "appendonly" => self.appendonly = yes_no(value).ok_or_else(bad)?,
            "appendfsync" => self.appendfsync = Fsync::parse(value).ok_or_else(bad)?,
            "appenddirname" => {
                if value.is_empty() || value.contains('/') {
                    return Err(bad());
                }
                self.appenddirname = value.into()
            }
            "dir" => self.dir = PathBuf::from(value),
            "requirepass" => {
                self.requirepass = (!value.is_empty()).then(|| value.as_bytes().to_vec())
            }
            "protected-mode" => self.protected_mode = yes_no(value).ok_or_else(bad)?,
            "maxmemory" => self.maxmemory = mem(value)?,
            "maxmemory-policy" => self.maxmemory_policy = Policy::parse(value).ok_or_else(bad)?,
            "maxmemory-samples" => {
                self.maxmemory_samples = num(value)?.clamp(1, 64) as usize;
            }
            "maxclients" => self.maxclients = num(value)?.max(1) as usize,
            "timeout" => self.timeout = num(value)?,
            "proto-max-bulk-len" => self.proto_max_bulk_len = mem(value)?.max(1024 * 1024) as usize,
            "client-query-buffer-limit" => {
                self.client_query_buffer_limit = mem(value)?.max(1024 * 1024) as usize
            }
            "client-output-buffer-limit" => {
                self.client_output_buffer_limit = mem(value)?.max(64 * 1024) as usize
            }
            "auto-aof-rewrite-percentage" => self.auto_aof_rewrite_percentage = num(value)?,
            "auto-aof-rewrite-min-size" => self.auto_aof_rewrite_min_size = mem(value)?,
            "aof-load-truncated" => self.aof_load_truncated = yes_no(value).ok_or_else(bad)?,
            "aof-load-corrupt-prefix" => {
                self.aof_load_corrupt_prefix = yes_no(value).ok_or_else(bad)?
            }
            "hz" => self.hz = num(value)?.clamp(1, 500) as u32,
            // A millisecond at most: beyond that a sleep costs nothing worth saving.
            "busy-poll" => self.busy_poll_us = num(value)?.min(1000),
            _ => return Err(Error(format!("'{name}' cannot be set here"))),
        }
        Ok(())
    }

    /// Reads a config file over `self`. Relative paths in it are relative to its directory.
    pub(crate) fn load_file(&mut self, path: &Path) -> Result<(), Error> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let mut listen = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (n, raw) in text.lines().enumerate() {
            let at = |msg: String| Error(format!("{}:{}: {msg}", path.display(), n + 1));
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let Some(body) = line.strip_suffix(';') else {
                return Err(at("missing ';' at the end of the directive".into()));
            };
            let words: Vec<&str> = body.split_whitespace().collect();
            let [name, value] = words.as_slice() else {
                if words.len() == 1 && words[0] == "requirepass" {
                    return Err(at("\"requirepass\" takes one value".into()));
                }
                return Err(at(format!(
                    "\"{}\" takes one value, got {}",
                    words.first().unwrap_or(&""),
                    words.len().saturating_sub(1)
                )));
            };
            if *name != "listen" && !seen.insert(name.to_string()) {
                return Err(at(format!("\"{name}\" is set twice")));
            }
            if *name == "listen" {
                let addrs = value
                    .to_socket_addrs()
                    .map_err(|e| at(format!("listen {value}: {e}")))?;
                listen.extend(addrs);
                continue;
            }
            let value = if *name == "dir" && Path::new(value).is_relative() {
                base.join(value).display().to_string()
            } else {
                value.to_string()
            };
            self.set(name, &value, false).map_err(|e| at(e.0))?;
        }
        if !listen.is_empty() {
            self.listen = listen;
        }
        self.config_file = Some(path.to_path_buf());
        Ok(())
    }

    /// Redis's protected mode: listening beyond loopback needs a password.
    pub(crate) fn check_protected(&self) -> Result<(), Error> {
        if self.protected_mode
            && self.requirepass.is_none()
            && self.listen.iter().any(|a| !a.ip().is_loopback())
        {
            return Err(Error(
                "protected mode: listening on a non-loopback address needs a password \
                 (requirepass), or protected-mode no"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The log directory.
    pub(crate) fn aof_dir(&self) -> PathBuf {
        self.dir.join(&self.appenddirname)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes_read_as_redis_reads_them() {
        assert_eq!(parse_memory("100"), Some(100));
        assert_eq!(parse_memory("1k"), Some(1000));
        assert_eq!(parse_memory("1kb"), Some(1024));
        assert_eq!(parse_memory("2GB"), Some(2 << 30));
        assert_eq!(parse_memory("x"), None);
        assert_eq!(parse_memory("-1"), None);
    }

    #[test]
    fn a_file_sets_what_it_names_and_mistakes_name_their_line() {
        let dir = std::env::temp_dir().join(format!("kv-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("kv.conf");
        std::fs::write(
            &path,
            "# comment\nlisten 127.0.0.1:7777;\ndir data;\nappendfsync always; # trailing\nmaxmemory 1mb;\n",
        )
        .unwrap();
        let mut c = Config::default();
        c.load_file(&path).unwrap();
        assert_eq!(c.listen, ["127.0.0.1:7777".parse().unwrap()]);
        assert_eq!(c.dir, dir.join("data"));
        assert_eq!(c.appendfsync, Fsync::Always);
        assert_eq!(c.maxmemory, 1 << 20);
        assert_eq!(c.engine, Kind::Aof, "the default");
        std::fs::write(&path, "engine btree;\n").unwrap();
        let mut c = Config::default();
        c.load_file(&path).unwrap();
        assert_eq!(c.engine, Kind::Btree);
        for (text, want) in [
            (
                "appendfsync sometimes;\n",
                ":1: argument couldn't be parsed into a value for 'appendfsync': sometimes",
            ),
            (
                "maxmemory 1mb\n",
                ":1: missing ';' at the end of the directive",
            ),
            ("bogus 1;\n", ":1: unknown directive 'bogus'"),
            (
                "engine lsm;\n",
                ":1: argument couldn't be parsed into a value for 'engine': lsm",
            ),
            ("\nhz 10;\nhz 11;\n", ":3: \"hz\" is set twice"),
            ("timeout 1 2;\n", ":1: \"timeout\" takes one value, got 2"),
        ] {
            std::fs::write(&path, text).unwrap();
            let err = Config::default().load_file(&path).unwrap_err().0;
            assert!(err.ends_with(want), "{err:?} does not end with {want:?}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn busy_poll_is_read_at_start_up_only_and_capped_at_a_millisecond() {
        let mut c = Config::default();
        assert_eq!(c.get("busy-poll").as_deref(), Some("0"));
        c.set("busy-poll", "50", false).unwrap();
        assert_eq!(c.busy_poll_us, 50);
        c.set("busy-poll", "999999", false).unwrap();
        assert_eq!(c.busy_poll_us, 1000);
        let err = c.set("busy-poll", "10", true).unwrap_err().0;
        assert_eq!(err, "can't set immutable config 'busy-poll'");
        let err = c.set("busy-poll", "-1", false).unwrap_err().0;
        assert!(err.contains("couldn't be parsed"), "{err}");
    }

    #[test]
    fn protected_mode_refuses_an_open_address_without_a_password() {
        let mut c = Config::default();
        assert!(c.check_protected().is_ok());
        c.listen = vec!["0.0.0.0:6380".parse().unwrap()];
        assert!(c.check_protected().is_err());
        c.requirepass = Some(b"x".to_vec());
        assert!(c.check_protected().is_ok());
    }
}
