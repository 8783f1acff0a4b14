//! The append-only log: every write command in RESP, as executed, in files listed by a
//! manifest (Redis 7's multi-part AOF), replayed at start-up, compacted by a forked child.
//!
//! | module | what it is for |
//! |---|---|
//! | [`manifest`] | which files make up the log; replaced atomically |
//! | [`writer`] | appending, and `appendfsync` always (group commit) / everysec / no |
//! | [`load`] | replaying at start-up: torn tails cut, corruption refused with its offset |
//! | [`rewrite`] | `BGREWRITEAOF`: the dataset from a `fork()`ed child, then an atomic switch |
//! | [`check`] | `kv check-aof [--fix]` |

pub(crate) mod check;
pub(crate) mod load;
pub(crate) mod manifest;
pub(crate) mod rewrite;
pub(crate) mod writer;

use crate::state::Server;
use manifest::{path_of, Manifest};
use std::fs;
use writer::Writer;

/// Opens the log in `server.config`'s directory: creates it on the first start, replays it
/// otherwise, and returns the writer that appends to it.
pub(crate) fn open(server: &mut Server) -> Result<Writer, String> {
    let dir = server.config.aof_dir();
    fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let manifest = Manifest::load(&dir)
        .map_err(|e| format!("{}: {e}", dir.join(manifest::MANIFEST).display()))?
        .unwrap_or_default();
    rewrite::remove_strays(&dir, &manifest);
    let started = std::time::Instant::now();
    let mut commands = 0;
    let parts: Vec<_> = manifest.parts().cloned().collect();
    for (i, part) in parts.iter().enumerate() {
        let path = path_of(&dir, part);
        if !path.exists() {
            return Err(format!(
                "{}: listed in the manifest but missing",
                path.display()
            ));
        }
        let scan = load::load_file(server, &path, i + 1 == parts.len())?;
        commands += scan.commands;
    }
    if !parts.is_empty() {
        crate::log::notice(&format!(
            "DB loaded from append only file: {:.3} seconds ({commands} commands, {} keys)",
            started.elapsed().as_secs_f64(),
            server.db.len()
        ));
    }
    let writer = Writer::open(&dir, manifest, server.config.appendfsync)
        .map_err(|e| format!("opening the log in {}: {e}", dir.display()))?;
    server.aof.enabled = true;
    server.aof.current_size = writer.size;
    server.aof.base_size = writer.size;
    server.aof.last_rewrite_ok = true;
    server.aof.last_write_ok = true;
    Ok(writer)
}
