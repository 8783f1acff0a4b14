//! The manifest: which files make up the log, as Redis 7's multi-part AOF keeps it. A base
//! file (the dataset as commands, written by a rewrite) and the incremental files appended to
//! since, in order. The manifest is replaced atomically: written to a temporary file, synced,
//! renamed over the old one, and the directory synced, so a crash at any point leaves either
//! the old list or the new one, each naming files that exist.
//!
//! ```text
//! file appendonly.aof.2.base.aof seq 2 type b
//! file appendonly.aof.3.incr.aof seq 3 type i
//! ```

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

pub(crate) const MANIFEST: &str = "appendonly.aof.manifest";
const PREFIX: &str = "appendonly.aof";

/// A file of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) seq: u64,
    pub(crate) base: bool,
}

impl Part {
    pub(crate) fn base(seq: u64) -> Part {
        Part {
            name: format!("{PREFIX}.{seq}.base.aof"),
            seq,
            base: true,
        }
    }

    pub(crate) fn incr(seq: u64) -> Part {
        Part {
            name: format!("{PREFIX}.{seq}.incr.aof"),
            seq,
            base: false,
        }
    }
}

/// The list of files, base first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Manifest {
    pub(crate) base: Option<Part>,
    pub(crate) incrs: Vec<Part>,
}

impl Manifest {
    /// Every file, in replay order.
    pub(crate) fn parts(&self) -> impl Iterator<Item = &Part> {
        self.base.iter().chain(self.incrs.iter())
    }

    /// The file appended to now.
    pub(crate) fn current(&self) -> Option<&Part> {
        self.incrs.last()
    }

    /// The highest sequence number in use.
    pub(crate) fn max_seq(&self) -> u64 {
        self.parts().map(|p| p.seq).max().unwrap_or(0)
    }

    /// Bytes in the files it names, in `dir` (a missing file counts 0).
    pub(crate) fn size(&self, dir: &Path) -> u64 {
        self.parts()
            .map(|p| fs::metadata(path_of(dir, p)).map_or(0, |m| m.len()))
            .sum()
    }

    pub(crate) fn to_text(&self) -> String {
        self.parts()
            .map(|p| {
                format!(
                    "file {} seq {} type {}\n",
                    p.name,
                    p.seq,
                    if p.base { 'b' } else { 'i' }
                )
            })
            .collect()
    }

    pub(crate) fn parse(text: &str) -> Result<Manifest, String> {
        let mut m = Manifest::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let bad = || format!("manifest line {}: {line:?}", n + 1);
            let words: Vec<&str> = line.split_whitespace().collect();
            let ["file", name, "seq", seq, "type", kind] = words.as_slice() else {
                return Err(bad());
            };
            if name.contains('/') || name.starts_with('.') {
                return Err(bad());
            }
            let seq = seq.parse().map_err(|_| bad())?;
            let part = Part {
                name: name.to_string(),
                seq,
                base: *kind == "b",
            };
            match *kind {
                "b" if m.base.is_none() && m.incrs.is_empty() => m.base = Some(part),
                "i" => m.incrs.push(part),
                _ => return Err(bad()),
            }
        }
        Ok(m)
    }

    /// The manifest in `dir`, `None` if there is none yet.
    pub(crate) fn load(dir: &Path) -> io::Result<Option<Manifest>> {
        match fs::read_to_string(dir.join(MANIFEST)) {
            Ok(text) => Manifest::parse(&text)
                .map(Some)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Replaces the manifest in `dir` atomically (temporary file, fsync, rename, fsync of the
    /// directory).
    pub(crate) fn store(&self, dir: &Path) -> io::Result<()> {
        let tmp = dir.join(format!("temp-{MANIFEST}"));
        let mut f = File::create(&tmp)?;
        f.write_all(self.to_text().as_bytes())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dir.join(MANIFEST))?;
        sync_dir(dir)
    }
}

/// fsync of a directory: makes a rename or a new file in it durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The path of `part` in `dir`.
pub(crate) fn path_of(dir: &Path, part: &Part) -> PathBuf {
    dir.join(&part.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_nonsense() {
        let m = Manifest {
            base: Some(Part::base(2)),
            incrs: vec![Part::incr(3), Part::incr(4)],
        };
        let text = m.to_text();
        assert_eq!(text, "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\nfile appendonly.aof.4.incr.aof seq 4 type i\n");
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        assert_eq!(m.max_seq(), 4);
        assert_eq!(m.current().unwrap().seq, 4);
        for bad in [
            "file x seq 1\n",
            "file ../x seq 1 type i\n",
            "file a seq x type i\n",
            "file a seq 1 type i\nfile b seq 2 type b\n",
        ] {
            assert!(Manifest::parse(bad).is_err(), "{bad:?}");
        }
    }
}
