//! Bad input: random bytes, empty and truncated files, a damaged byte in every page, pages
//! of garbage with valid checksums, keys and values over the limits, a second writer. Each
//! is a clear error, never a panic and never wrong data; `btree check` names the page.
//! And the tool end to end.

mod common;

use btree::workload::Rng;
use btree::{max_key_len, Db, Error, Options, MAX_VALUE_LEN};
use common::{assert_sound, bin, contents, open, Model, TempDir};
use std::ops::Bound;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn read_only() -> Options {
    Options {
        create: false,
        read_only: true,
        ..Options::default()
    }
}

/// A file of a few hundred pages (leaves, branches, overflow chains, a free list); returns
/// the model after each commit, by transaction number (0: the empty file).
fn build(path: &Path) -> Vec<Model> {
    let db = open(path, 4096);
    let mut model = Model::new();
    let mut states = vec![model.clone()];
    let mut rng = Rng::new(5);
    for round in 0..6 {
        let mut w = db.write().unwrap();
        for _ in 0..300 {
            let k = format!("key{:05}", rng.below(1500)).into_bytes();
            if round > 2 && rng.below(3) == 0 {
                w.delete(&k).unwrap();
                model.remove(&k);
            } else {
                let len = if rng.below(15) == 0 {
                    9000
                } else {
                    rng.below(200)
                };
                let v: Vec<u8> = (0..len)
                    .map(|i| (i as u8).wrapping_mul(round + 3))
                    .collect();
                w.put(&k, &v).unwrap();
                model.insert(k, v);
            }
        }
        w.commit().unwrap();
        states.push(model.clone());
    }
    let mut w = db.write().unwrap();
    w.put(b"last", b"commit").unwrap();
    w.commit().unwrap();
    model.insert(b"last".to_vec(), b"commit".to_vec());
    states.push(model);
    assert_sound(&db, "built");
    states
}

fn btree(args: &[&str]) -> std::process::Output {
    Command::new(bin()).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Whether `s` mentions page `p` (not a page whose number starts with p's digits).
fn names_page(s: &str, p: u64) -> bool {
    let pat = format!("page {p}");
    s.match_indices(&pat).any(|(i, _)| {
        !s[i + pat.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// CRC-32C, bit by bit: the tests' own, to forge pages with valid checksums.
fn crc32c(parts: &[&[u8]]) -> u32 {
    let mut crc = !0u32;
    for b in parts.iter().flat_map(|p| p.iter()) {
        crc ^= *b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn reseal(page: &mut [u8], pgno: u64) {
    let c = crc32c(&[&pgno.to_le_bytes(), &page[4..]]);
    page[..4].copy_from_slice(&c.to_le_bytes());
}

#[test]
fn random_bytes_and_empty_files_are_not_a_btree() {
    let dir = TempDir::new("random");
    let mut rng = Rng::new(1);
    for len in [1usize, 100, 4096, 8192, 65536, 300_000] {
        let path = dir.join(&format!("random-{len}"));
        let bytes: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        for opts in [read_only(), Options::default()] {
            match Db::open(&path, &opts) {
                Err(Error::NotABtree(_)) => {}
                other => panic!("{len} random bytes: {other:?}"),
            }
        }
        let out = btree(&["check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("not a btree file"),
            "{}",
            text(&out.stderr)
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a refused file is left alone"
        );
    }
    let empty = dir.join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        Db::open(&empty, &read_only()),
        Err(Error::NotABtree(_))
    ));
    let db = Db::open(&empty, &Options::default()).unwrap();
    assert!(db.read().unwrap().is_empty());
    assert_sound(&db, "created over an empty file");
}

#[test]
fn a_truncated_file_is_an_error() {
    let dir = TempDir::new("truncated");
    let path = dir.join("whole");
    build(&path);
    let whole = std::fs::read(&path).unwrap();
    let len = whole.len();
    for cut in [
        10,
        4095,
        4096,
        8191,
        8192,
        8193,
        len / 2,
        len - 4096,
        len - 1,
    ] {
        let p = dir.join("cut");
        std::fs::write(&p, &whole[..cut]).unwrap();
        match Db::open(&p, &read_only()) {
            Err(Error::Truncated { file_len, .. }) => assert_eq!(file_len, cut as u64),
            Err(Error::NotABtree(_)) if cut < 8192 => {}
            other => panic!("cut at {cut}: {other:?}"),
        }
        let out = btree(&["check", p.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "cut at {cut}");
        let err = text(&out.stderr);
        assert!(
            err.contains("truncated") || err.contains("not a btree"),
            "{err}"
        );
    }
}

#[test]
fn a_damaged_byte_in_any_page_is_reported_with_its_number_never_returned_as_data() {
    let dir = TempDir::new("damage");
    let path = dir.join("whole");
    let states = build(&path);
    let whole = std::fs::read(&path).unwrap();
    let pages = whole.len() as u64 / 4096;
    // The log region's pages after its records are unused: damage there is harmless.
    let log_pages = {
        let db = Db::open(&path, &read_only()).unwrap();
        db.check().unwrap().stats.log_pages
    };
    let mut rng = Rng::new(9);
    let (mut reported, mut harmless) = (0, 0);
    for p in 0..pages {
        let mut bytes = whole.clone();
        let at = (p * 4096 + rng.below(4096)) as usize;
        bytes[at] ^= 1 << rng.below(8);
        let damaged = dir.join("damaged");
        std::fs::write(&damaged, &bytes).unwrap();
        let db = match Db::open(&damaged, &read_only()) {
            Ok(db) => db,
            Err(e) => panic!("page {p}: one damaged meta page must leave the other: {e}"),
        };
        let report = db.check().unwrap();
        // Whatever is read is right: entries in order until an error, each as it was.
        let r = db.read().unwrap();
        // Damage to the meta page of the last checkpoint falls back to the checkpoint before
        // it and its log (the commits logged since are lost, as SQLite loses its WAL's
        // frames when the WAL's header is damaged): an earlier commit, whole.
        let reference = &states[r.txn_id() as usize];
        for e in r.range(Bound::Unbounded, Bound::Unbounded) {
            match e {
                Ok((k, v)) => assert_eq!(reference.get(&k), Some(&v), "page {p}"),
                Err(Error::Corrupt { page, .. }) => {
                    assert_eq!(page, p, "page {p} damaged, page {page} blamed");
                    break;
                }
                Err(e) => panic!("page {p}: {e}"),
            }
        }
        for k in reference.keys().step_by(7) {
            match r.get(k) {
                Ok(v) => assert_eq!(v.as_ref(), reference.get(k), "page {p}"),
                Err(Error::Corrupt { page, .. }) => assert_eq!(page, p),
                Err(e) => panic!("page {p}: {e}"),
            }
        }
        if report.problems.is_empty() {
            // A free page, or the older meta page, or the current one (then the file is
            // back at an earlier commit): nothing that is read changed.
            harmless += 1;
            assert!(
                contents(&db).unwrap() == *reference,
                "page {p}: sound but different"
            );
        } else {
            reported += 1;
            assert!(
                report.problems.iter().any(|s| names_page(s, p)),
                "page {p} damaged: {:#?}",
                report.problems
            );
        }
    }
    eprintln!("{pages} pages damaged one at a time: {reported} reported by check, {harmless} harmless (free or a meta page)");
    assert!(reported > (pages - log_pages) / 2);
    // The tool names the page too, and fails.
    let mut bytes = whole;
    let leaf = (2..pages)
        .find(|&p| bytes[(p * 4096 + 4) as usize] == 3)
        .unwrap();
    bytes[(leaf * 4096 + 2000) as usize] ^= 0x40;
    let damaged = dir.join("damaged");
    std::fs::write(&damaged, &bytes).unwrap();
    let out = btree(&["check", damaged.to_str().unwrap()]);
    let stdout = text(&out.stdout);
    if out.status.code() == Some(1) {
        assert!(names_page(&stdout, leaf), "{stdout}");
    } else {
        assert_eq!(out.status.code(), Some(0), "{stdout}"); // it was a free page
    }
}

#[test]
fn pages_of_garbage_with_valid_checksums_never_panic() {
    let dir = TempDir::new("garbage");
    let path = dir.join("whole");
    build(&path);
    let whole = std::fs::read(&path).unwrap();
    let pages = whole.len() as u64 / 4096;
    let mut rng = Rng::new(13);
    let mut errors = 0;
    for trial in 0..600 {
        let mut bytes = whole.clone();
        let p = rng.below(pages);
        let page = &mut bytes[(p * 4096) as usize..((p + 1) * 4096) as usize];
        // A few bytes in the header, the slots or the first cells, or anywhere.
        for _ in 0..rng.between(1, 6) {
            let at = if rng.below(2) == 0 {
                rng.between(4, 120)
            } else {
                rng.below(4096)
            } as usize;
            page[at] = rng.next_u64() as u8;
        }
        reseal(page, p);
        let forged = dir.join("forged");
        std::fs::write(&forged, &bytes).unwrap();
        let Ok(db) = Db::open(&forged, &read_only()) else {
            errors += 1;
            continue;
        };
        let _ = db.check();
        if let Ok(r) = db.read() {
            let mut n = 0;
            for e in r.range(Bound::Unbounded, Bound::Unbounded) {
                n += 1;
                if e.is_err() || n > 100_000 {
                    errors += 1;
                    break;
                }
            }
            let _ = r
                .range_rev(Bound::Unbounded, Bound::Included(b"key00700"))
                .take(50)
                .count();
            let _ = r.get(b"key00500");
        }
        if trial % 100 == 0 {
            // The writer too must refuse, not panic, when a page it changes is garbage.
            let db = Db::open(&forged, &Options::default()).unwrap();
            if let Ok(mut w) = db.write() {
                for i in 0..50 {
                    let _ = w.put(format!("key{:05}", i * 29).as_bytes(), b"v");
                    let _ = w.delete(format!("key{:05}", i * 31).as_bytes());
                }
                drop(w);
            };
        }
    }
    eprintln!("600 forged pages: {errors} gave errors, none a panic");
}

#[test]
fn keys_and_values_over_the_limits_are_refused() {
    let dir = TempDir::new("limits");
    let db = open(&dir.join("limits"), 4096);
    let max = max_key_len(4096);
    assert_eq!(max, 960);
    let mut w = db.write().unwrap();
    match w.put(&vec![b'k'; max + 1], b"v") {
        Err(Error::KeyTooLarge { len, max: m }) => assert_eq!((len, m), (max + 1, max)),
        other => panic!("{other:?}"),
    }
    let huge = vec![0u8; MAX_VALUE_LEN + 1]; // zeroed lazily: costs no memory
    match w.put(b"k", &huge) {
        Err(Error::ValueTooLarge { len, .. }) => assert_eq!(len, MAX_VALUE_LEN + 1),
        other => panic!("{other:?}"),
    }
    drop(huge);
    assert!(!w.delete(&vec![b'k'; max + 1]).unwrap());
    // The transaction is still good; the largest key and an empty one work.
    w.put(&vec![b'k'; max], b"largest").unwrap();
    w.put(b"", b"empty key").unwrap();
    w.commit().unwrap();
    let r = db.read().unwrap();
    assert_eq!(r.get(&vec![b'k'; max]).unwrap().unwrap(), b"largest");
    assert_eq!(r.get(b"").unwrap().unwrap(), b"empty key");
    let out = btree(&[
        "put",
        dir.join("limits").to_str().unwrap(),
        &"k".repeat(961),
        "v",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("a key of 961 bytes; the limit is 960 bytes"));
}

#[test]
fn a_second_writer_is_refused_at_once_or_waits_with_wait() {
    let dir = TempDir::new("writers");
    let path = dir.join("w");
    let db = open(&path, 4096);
    let mut w = db.write().unwrap();
    w.put(b"a", b"1").unwrap();
    assert!(matches!(db.write(), Err(Error::Busy)), "the same handle");
    let other = open(&path, 4096);
    assert!(matches!(other.write(), Err(Error::Busy)), "another handle");
    assert!(db.read().unwrap().is_empty(), "readers go on");
    let file = path.to_str().unwrap();
    let out = btree(&["put", file, "b", "2"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("another writer holds the file's write lock"));
    let mut waiting = Command::new(bin())
        .args(["put", "--wait", file, "b", "2"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(waiting.try_wait().unwrap().is_none(), "--wait waits");
    w.commit().unwrap();
    assert!(waiting.wait().unwrap().success());
    let r = db.read().unwrap();
    assert_eq!(r.get(b"a").unwrap().unwrap(), b"1");
    assert_eq!(r.get(b"b").unwrap().unwrap(), b"2");
    drop(r);
    // And the lock is free again.
    other.write().unwrap().commit().unwrap();
    assert!(matches!(
        Db::open(&path, &read_only()).unwrap().write(),
        Err(Error::ReadOnly)
    ));
    assert!(matches!(
        Db::open(
            dir.join("x"),
            &Options {
                page_size: 1000,
                ..Options::default()
            }
        ),
        Err(Error::BadPageSize(1000))
    ));
}

#[test]
fn the_tool_end_to_end() {
    let dir = TempDir::new("tool");
    let file = dir.join("t");
    let f = file.to_str().unwrap();
    for i in 0..300 {
        let out = btree(&["put", f, &format!("key{i:03}"), &format!("value {i}")]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let mut big = Command::new(bin())
        .args(["put", f, "big"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut big.stdin.take().unwrap(), &vec![b'x'; 50_000]).unwrap();
    assert!(big.wait().unwrap().success());
    let out = btree(&["get", f, "key042"]);
    assert_eq!(
        (out.status.code(), out.stdout.as_slice()),
        (Some(0), &b"value 42"[..])
    );
    assert_eq!(btree(&["get", f, "big"]).stdout.len(), 50_000);
    assert_eq!(btree(&["get", f, "nope"]).status.code(), Some(1));
    assert_eq!(btree(&["del", f, "key042"]).status.code(), Some(0));
    assert_eq!(btree(&["del", f, "key042"]).status.code(), Some(1));
    let out = btree(&["dump", f, "--from", "key040", "--to", "key044"]);
    assert_eq!(
        text(&out.stdout),
        "key040\tvalue 40\nkey041\tvalue 41\nkey043\tvalue 43\nkey044\tvalue 44\n"
    );
    let out = btree(&["dump", f, "--reverse", "--from", "key000", "--to", "key001"]);
    assert_eq!(text(&out.stdout), "key001\tvalue 1\nkey000\tvalue 0\n");
    btree(&["put", f, "bin\tkey", "\\\x01"]);
    assert!(
        text(&btree(&["dump", f, "--from", "bin"]).stdout).starts_with("bin\\x09key\t\\x5c\\x01\n")
    );
    let out = btree(&["check", f]);
    assert!(out.status.success());
    assert!(
        text(&out.stdout).starts_with("ok: 301 entries, depth 2,"),
        "{}",
        text(&out.stdout)
    );
    let stat = text(&btree(&["stat", f]).stdout);
    assert!(
        stat.contains("entries:      301") && stat.contains("overflow:   13 (1 values)"),
        "{stat}"
    );
    // Delete most, compact: the copy is smaller, sound and the same.
    for i in (0..300).filter(|i| i % 10 != 0) {
        btree(&["del", f, &format!("key{i:03}")]);
    }
    let out_file = dir.join("compacted");
    let o = out_file.to_str().unwrap();
    let out = btree(&["compact", f, o]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(btree(&["check", o]).status.success());
    assert_eq!(btree(&["dump", o]).stdout, btree(&["dump", f]).stdout);
    let (before, after) = (
        std::fs::metadata(&file).unwrap().len(),
        std::fs::metadata(&out_file).unwrap().len(),
    );
    assert!(after < before, "{before} -> {after}");
    let stat = text(&btree(&["stat", o]).stdout);
    assert!(
        stat.contains("free:       0 ") && stat.contains("free list:  0"),
        "{stat}"
    );
    assert_eq!(
        btree(&["compact", f, o]).status.code(),
        Some(2),
        "never over a file"
    );
}
