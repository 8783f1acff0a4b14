//! Compaction (`BGREWRITEAOF`, and automatically past `auto-aof-rewrite-percentage`): a
//! `fork()`ed child writes the dataset, as commands, from its copy-on-write view of memory,
//! while the parent goes on serving. The steps, and what a crash at each leaves:
//!
//! 1. The parent starts a new incremental file and lists it in the manifest: writes from now
//!    on go there. (Crash: the old files plus an empty new one; all data.)
//! 2. The child writes `temp-rewrite-PID.aof`, syncs it, exits. (Crash: a stray temporary
//!    file, deleted at the next start; the manifest still names the old files.)
//! 3. The parent renames the temporary file to the new base and syncs the directory. (Crash:
//!    an unlisted base file, deleted at the next start.)
//! 4. The parent stores a manifest naming the new base and the incremental files from step 1
//!    on: written aside, synced, renamed over the old one, directory synced. (Crash before the
//!    rename: the old list; after: the new one. Both load whole.)
//! 5. The old base and incremental files are deleted.

use crate::aof::manifest::{path_of, sync_dir, Manifest, Part};
use crate::aof::writer::Writer;
use crate::cmd::encode;
use crate::state::Server;
use crate::store::value::Value;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Elements per command for aggregates (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
const ITEMS_PER_CMD: usize = 64;

/// A rewrite in progress.
#[derive(Debug)]
pub(crate) struct Rewrite {
    pid: libc::pid_t,
    temp: PathBuf,
    /// The first incremental file written after the fork (step 1).
    first_incr: u64,
}

/// Writes the dataset as commands into `out`.
pub(crate) fn write_dataset(server: &Server, out: &mut impl Write) -> io::Result<()> {
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut cmd: Vec<Vec<u8>> = Vec::new();
    for (key, entry) in server.db.iter() {
        match &entry.value {
            Value::Str(s) => {
                cmd.clear();
                cmd.extend([b"SET".to_vec(), key.to_vec(), s.to_vec()]);
                if let Some(t) = entry.expire_at() {
                    cmd.extend([b"PXAT".to_vec(), t.to_string().into_bytes()]);
                }
                encode(&mut buf, &cmd);
            }
            Value::Hash(h) => {
                let pairs: Vec<(&[u8], &Vec<u8>)> = h.iter().collect();
                for chunk in pairs.chunks(ITEMS_PER_CMD) {
                    cmd.clear();
                    cmd.extend([b"HSET".to_vec(), key.to_vec()]);
                    for (f, v) in chunk {
                        cmd.push(f.to_vec());
                        cmd.push((*v).clone());
                    }
                    encode(&mut buf, &cmd);
                }
            }
            Value::List(l) => {
                let items: Vec<&Vec<u8>> = l.iter().collect();
                for chunk in items.chunks(ITEMS_PER_CMD) {
                    cmd.clear();
                    cmd.extend([b"RPUSH".to_vec(), key.to_vec()]);
                    cmd.extend(chunk.iter().map(|v| (*v).clone()));
                    encode(&mut buf, &cmd);
                }
            }
            Value::Set(s) => {
                let members: Vec<&[u8]> = s.iter().map(|(m, _)| m).collect();
                for chunk in members.chunks(ITEMS_PER_CMD) {
                    cmd.clear();
                    cmd.extend([b"SADD".to_vec(), key.to_vec()]);
                    cmd.extend(chunk.iter().map(|m| m.to_vec()));
                    encode(&mut buf, &cmd);
                }
            }
        }
        if !matches!(entry.value, Value::Str(_)) {
            if let Some(t) = entry.expire_at() {
                encode(
                    &mut buf,
                    &[
                        b"PEXPIREAT".to_vec(),
                        key.to_vec(),
                        t.to_string().into_bytes(),
                    ],
                );
            }
        }
        if buf.len() >= 64 * 1024 {
            out.write_all(&buf)?;
            buf.clear();
        }
    }
    out.write_all(&buf)
}

/// Steps 1 and 2: a new incremental file, then the child.
pub(crate) fn start(server: &Server, writer: &mut Writer) -> io::Result<Rewrite> {
    let part = writer.switch_to_new_incr()?;
    let dir = writer.dir().to_path_buf();
    // SAFETY: the child only writes the dataset to a file with plain system calls and
    // allocations (glibc's malloc is fork-safe) and leaves with _exit; the parent goes on.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        let temp = dir.join(format!("temp-rewrite-{}.aof", std::process::id()));
        let code = match write_child(server, &temp) {
            Ok(()) => 0,
            Err(e) => {
                crate::log::warn(&format!("log rewrite child: {e}"));
                1
            }
        };
        // SAFETY: ends the child without running the parent's destructors or atexit handlers.
        unsafe { libc::_exit(code) };
    }
    crate::log::notice(&format!(
        "Background append only file rewriting started by pid {pid}"
    ));
    Ok(Rewrite {
        pid,
        temp: dir.join(format!("temp-rewrite-{pid}.aof")),
        first_incr: part.seq,
    })
}

fn write_child(server: &Server, temp: &Path) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(1 << 20, File::create(temp)?);
    write_dataset(server, &mut out)?;
    let f = out.into_inner().map_err(|e| e.into_error())?;
    f.sync_all()
}

/// What polling a rewrite found.
pub(crate) enum Poll {
    Running,
    Done,
    Failed(String),
}

impl Rewrite {
    /// Whether the child has finished; if it succeeded, steps 3 to 5.
    pub(crate) fn poll(&self, writer: &mut Writer) -> Poll {
        let mut status = 0;
        // SAFETY: waits without blocking for our own child.
        let r = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
        if r == 0 {
            return Poll::Running;
        }
        if r < 0 {
            return Poll::Failed(format!("waitpid: {}", io::Error::last_os_error()));
        }
        if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
            let _ = fs::remove_file(&self.temp);
            return Poll::Failed(format!("the rewrite child ended with status {status}"));
        }
        match self.install(writer) {
            Ok(()) => Poll::Done,
            Err(e) => Poll::Failed(format!("installing the rewritten log: {e}")),
        }
    }

    fn install(&self, writer: &mut Writer) -> io::Result<()> {
        let dir = writer.dir().to_path_buf();
        let old = writer.manifest.clone();
        let base = Part::base(old.max_seq() + 1);
        fs::rename(&self.temp, path_of(&dir, &base))?;
        sync_dir(&dir)?;
        let next = Manifest {
            base: Some(base),
            incrs: old
                .incrs
                .iter()
                .filter(|p| p.seq >= self.first_incr)
                .cloned()
                .collect(),
        };
        next.store(&dir)?;
        writer.manifest = next.clone();
        for part in old.parts() {
            if !next.parts().any(|p| p.name == part.name) {
                let _ = fs::remove_file(path_of(&dir, part));
            }
        }
        writer.size = next.size(&dir);
        Ok(())
    }

    /// Stops the child (shutdown while rewriting); its temporary file goes.
    pub(crate) fn abort(self) {
        // SAFETY: signals and reaps our own child.
        unsafe {
            libc::kill(self.pid, libc::SIGKILL);
            libc::waitpid(self.pid, std::ptr::null_mut(), 0);
        }
        let _ = fs::remove_file(&self.temp);
    }
}

/// Whether the log has grown enough since its last rewrite for an automatic one.
pub(crate) fn due(server: &Server, size: u64) -> bool {
    let c = &server.config;
    let base = server.aof.base_size.max(1);
    c.auto_aof_rewrite_percentage > 0
        && size >= c.auto_aof_rewrite_min_size
        && (size - base.min(size)) * 100 / base >= c.auto_aof_rewrite_percentage
}

/// Deletes files in `dir` that the manifest does not name (left by a crash mid-rewrite).
pub(crate) fn remove_strays(dir: &Path, manifest: &Manifest) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with("temp-") || name.starts_with("appendonly.aof.");
        let listed =
            manifest.parts().any(|p| p.name == name) || name == crate::aof::manifest::MANIFEST;
        if ours && !listed {
            crate::log::notice(&format!("removing {name}, left by an unfinished rewrite"));
            let _ = fs::remove_file(e.path());
        }
    }
}
