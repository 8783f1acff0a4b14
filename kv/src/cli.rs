//! The command line: `kv serve` (flags over an optional config file, `--check-config`),
//! `kv check-aof [--fix] PATH`.

use crate::config::Config;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// A Redis-compatible key-value server whose persistence is an append-only log.
///
/// Speak to it with redis-cli, redis-benchmark or any Redis client: `redis-cli -p 6380`.
#[derive(Debug, Parser)]
#[command(name = "kv", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve: replay the log in --dir, then accept clients
    Serve(Box<ServeArgs>),
    /// Verify a log file (or the files of a manifest, given the directory); --fix cuts a torn tail
    CheckAof {
        /// Cut the last file back to its last whole command (as redis-check-aof --fix)
        #[arg(long)]
        fix: bool,
        /// A log file, the log directory, or its manifest
        path: PathBuf,
    },
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Config file (directives as `name value;`, Redis's names; see kv.conf.example)
    #[arg(long)]
    config: Option<PathBuf>,
    /// Check the configuration and exit: 0 and "configuration OK", or 1 and the error
    #[arg(short = 't', long)]
    check_config: bool,
    /// Address to listen on [default: 127.0.0.1:6380]; beyond loopback only with a password
    #[arg(long)]
    listen: Option<String>,
    /// Where the keys live: aof (memory and the append-only log) or btree (DIR/kv.btree,
    /// string keys only) [default: aof]
    #[arg(long)]
    engine: Option<String>,
    /// Directory holding the log directory (appendonlydir) or kv.btree [default: .]
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Keep the append-only log: yes or no [default: yes]
    #[arg(long)]
    appendonly: Option<String>,
    /// When the log reaches the disk: always (before each reply), everysec, no [default: everysec]
    #[arg(long)]
    appendfsync: Option<String>,
    /// Password clients must AUTH with
    #[arg(long)]
    requirepass: Option<String>,
    /// Memory limit (100mb, 1gb; 0: none) [default: 0]
    #[arg(long)]
    maxmemory: Option<String>,
    /// noeviction or allkeys-lru [default: noeviction]
    #[arg(long)]
    maxmemory_policy: Option<String>,
    /// yes: refuse a non-loopback address without requirepass [default: yes]
    #[arg(long)]
    protected_mode: Option<String>,
    /// Close clients idle for this many seconds (0: never) [default: 0]
    #[arg(long)]
    timeout: Option<String>,
    /// Clients served at once [default: 10000]
    #[arg(long)]
    maxclients: Option<String>,
    /// Set any other parameter: --set NAME=VALUE (Redis's names, as CONFIG SET takes them)
    #[arg(long, value_name = "NAME=VALUE")]
    set: Vec<String>,
}

impl ServeArgs {
    fn config(&self) -> Result<Config, String> {
        let mut c = Config::default();
        if let Some(path) = &self.config {
            c.load_file(path).map_err(|e| e.0)?;
        }
        let mut flags: Vec<(&str, String)> = Vec::new();
        if let Some(v) = &self.dir {
            flags.push(("dir", v.display().to_string()));
        }
        for (name, v) in [
            ("engine", &self.engine),
            ("appendonly", &self.appendonly),
            ("appendfsync", &self.appendfsync),
            ("requirepass", &self.requirepass),
            ("maxmemory", &self.maxmemory),
            ("maxmemory-policy", &self.maxmemory_policy),
            ("protected-mode", &self.protected_mode),
            ("timeout", &self.timeout),
            ("maxclients", &self.maxclients),
        ] {
            if let Some(v) = v {
                flags.push((name, v.clone()));
            }
        }
        for kv in &self.set {
            let (name, value) = kv
                .split_once('=')
                .ok_or_else(|| format!("--set {kv}: expected NAME=VALUE"))?;
            flags.push((name, value.to_string()));
        }
        for (name, value) in flags {
            c.set(name, &value, false)
                .map_err(|e| format!("--{name}: {e}"))?;
        }
        if let Some(l) = &self.listen {
            c.set("listen", l, false)
                .map_err(|e| format!("--listen: {e}"))?;
        }
        c.check_protected().map_err(|e| e.0)?;
        Ok(c)
    }
}

pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::CheckAof { fix, path } => ExitCode::from(crate::aof::check::run(&path, fix) as u8),
        Command::Serve(args) => {
            let config = match args.config() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("kv: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if args.check_config {
                println!("configuration OK");
                return ExitCode::SUCCESS;
            }
            match crate::server::serve(config) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    crate::log::warn(&e);
                    ExitCode::FAILURE
                }
            }
        }
    }
}
