//! `kv check-aof [--fix] PATH`: verifies a log file (or every file a manifest lists, given the
//! directory or the manifest), as `redis-check-aof` does, and with `--fix` cuts a file back
//! to its last whole command. Corruption before the end is reported with its offset and not
//! "fixed": cutting there would drop the valid commands after it, a decision for the operator.

use crate::aof::load::{scan_from, Problem, CHUNK};
use crate::aof::manifest::{path_of, Manifest, MANIFEST};
use std::path::{Path, PathBuf};

/// The files `path` names: itself, or those of the manifest it is or contains.
fn files(path: &Path) -> Result<Vec<PathBuf>, String> {
    let (dir, manifest) = if path.is_dir() {
        (path.to_path_buf(), path.join(MANIFEST))
    } else if path.file_name().is_some_and(|n| n == MANIFEST) {
        (
            path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            path.to_path_buf(),
        )
    } else {
        return Ok(vec![path.to_path_buf()]);
    };
    let text =
        std::fs::read_to_string(&manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    let m = Manifest::parse(&text)?;
    Ok(m.parts().map(|p| path_of(&dir, p)).collect())
}

/// Runs the check; the exit status (0: valid or fixed).
pub(crate) fn run(path: &Path, fix: bool) -> i32 {
    let files = match files(path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("kv check-aof: {e}");
            return 1;
        }
    };
    let mut status = 0;
    let count = files.len();
    for (i, file) in files.iter().enumerate() {
        let checked = std::fs::File::open(file).and_then(|f| {
            scan_from(f, CHUNK, |args, _| match crate::cmd::lookup(&args[0]) {
                Some(_) => Ok(()),
                None => Err(format!(
                    "unknown command '{}'",
                    String::from_utf8_lossy(&args[0])
                )),
            })
        });
        let s = match checked {
            Ok(s) => s,
            Err(e) => {
                eprintln!("kv check-aof: {}: {e}", file.display());
                return 1;
            }
        };
        println!(
            "AOF analyzed: filename={}, size={}, ok_up_to={}, diff={}",
            file.display(),
            s.len,
            s.valid_len,
            s.len - s.valid_len
        );
        match s.problem {
            None => println!("AOF {} is valid", file.display()),
            Some(Problem::Torn) if fix && i + 1 == count => {
                let r = std::fs::OpenOptions::new()
                    .write(true)
                    .open(file)
                    .and_then(|f| f.set_len(s.valid_len).and_then(|()| f.sync_all()));
                match r {
                    Ok(()) => println!(
                        "Successfully truncated AOF {} to {} bytes",
                        file.display(),
                        s.valid_len
                    ),
                    Err(e) => {
                        eprintln!("kv check-aof: truncating {}: {e}", file.display());
                        status = 1;
                    }
                }
            }
            Some(Problem::Torn) => {
                println!(
                    "AOF {} ends in a torn command at byte {}. Use the --fix option to cut it off.",
                    file.display(),
                    s.valid_len
                );
                status = 1;
            }
            Some(Problem::Corrupt(why)) => {
                println!(
                    "AOF {} is not valid: {why}. The damage is not at the end: --fix does not cut \
                     valid commands off; restore from a copy, or start kv with \
                     aof-load-corrupt-prefix yes to keep what precedes byte {}.",
                    file.display(),
                    s.valid_len
                );
                status = 1;
            }
        }
    }
    status
}
