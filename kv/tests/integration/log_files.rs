//! The log's files: a torn tail is cut and reported, corruption refuses the start with its
//! offset (or loads the prefix when asked), `kv check-aof` agrees, and a rewrite compacts
//! the log without losing a write made while it runs, whenever it is interrupted.

use crate::common::{aof_bytes, current_incr, run_tool, start, try_start, Reply, TempDir};
use std::io::Write;

fn append(path: &std::path::Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Writes `n` keys and stops the server cleanly.
fn fill(dir: &TempDir, n: usize) {
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    for i in 0..n {
        assert_eq!(
            c.cmd(&["SET", &format!("k{i}"), &format!("v{i}")]),
            Reply::Simple("OK".into())
        );
    }
    drop(c);
    assert!(kv.stop().success());
}

#[test]
fn a_torn_last_command_is_cut_off_with_a_warning_and_the_rest_loads() {
    let dir = TempDir::new("torn");
    fill(&dir, 10);
    let incr = current_incr(&dir);
    let whole = std::fs::metadata(&incr).unwrap().len();
    append(&incr, b"*3\r\n$3\r\nSET\r\n$3\r\nnew\r\n$5\r\nval");
    // check-aof sees it; --fix cuts it.
    let out = run_tool(
        crate::common::kv_bin(),
        &["check-aof", &incr.display().to_string()],
        b"",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("torn command at byte {whole}")));
    let kv = start(dir.path(), &[]);
    assert!(kv.log_text().contains("torn command"), "{}", kv.log_text());
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(10));
    assert_eq!(c.cmd(&["GET", "new"]), Reply::Bulk(None));
    // The cut file goes on growing cleanly.
    assert_eq!(c.cmd(&["SET", "after", "1"]), Reply::Simple("OK".into()));
    drop(c);
    kv.stop();
    let out = run_tool(
        crate::common::kv_bin(),
        &["check-aof", &dir.aof_dir().display().to_string()],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A log of several MiB is read a piece at a time and the key table sized from its first
/// MiB: commands cut by the pieces' ends, a value longer than a piece, keys deleted after
/// the guess was made, and a torn tail all come back as they were written.
#[test]
fn a_log_of_several_mib_replays_whole_however_it_is_read() {
    fn resp(words: &[&[u8]]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", words.len()).into_bytes();
        for w in words {
            out.extend(format!("${}\r\n", w.len()).bytes());
            out.extend_from_slice(w);
            out.extend_from_slice(b"\r\n");
        }
        out
    }
    let dir = TempDir::new("bigload");
    let kv = start(dir.path(), &["--set", "auto-aof-rewrite-percentage=0"]);
    let mut input = Vec::new();
    for i in 0..5000 {
        let value = format!("{i:0999}");
        input.extend(resp(&[
            b"SET",
            format!("k{i}").as_bytes(),
            value.as_bytes(),
        ]));
    }
    for i in (0..5000).step_by(2) {
        input.extend(resp(&[b"DEL", format!("k{i}").as_bytes()]));
    }
    let big: Vec<u8> = (0..3 << 20).map(|i| b'a' + (i % 26) as u8).collect();
    input.extend(resp(&[b"SET", b"big", &big]));
    input.extend(resp(&[b"RPUSH", b"list", b"x", b"y"]));
    let out = run_tool("redis-cli", &["-p", &kv.port(), "--pipe"], &input);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("errors: 0, replies: 7502"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(kv.stop().success());
    let incr = current_incr(&dir);
    assert!(std::fs::metadata(&incr).unwrap().len() > 6 << 20);
    append(&incr, b"*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nval");

    let kv = start(dir.path(), &[]);
    assert!(kv.log_text().contains("torn command"), "{}", kv.log_text());
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(2502));
    for i in 0..5000 {
        let want = (i % 2 == 1).then(|| format!("{i:0999}"));
        assert_eq!(
            c.cmd(&["GET", &format!("k{i}")]),
            Reply::Bulk(want.map(String::into_bytes)),
            "k{i}"
        );
    }
    assert_eq!(c.cmd(&["GET", "big"]), Reply::Bulk(Some(big)));
    assert_eq!(c.cmd(&["LLEN", "list"]), Reply::Int(2));
    assert_eq!(c.cmd(&["GET", "torn"]), Reply::Bulk(None));
}

#[test]
fn check_aof_fix_cuts_a_torn_tail_like_redis_check_aof() {
    let dir = TempDir::new("fix");
    fill(&dir, 3);
    let incr = current_incr(&dir);
    let whole = std::fs::metadata(&incr).unwrap().len();
    append(&incr, b"*2\r\n$3\r\nDEL");
    let out = run_tool(
        crate::common::kv_bin(),
        &["check-aof", "--fix", &incr.display().to_string()],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(std::fs::metadata(&incr).unwrap().len(), whole);
    // Redis's own checker agrees the result is a valid log.
    let out = run_tool("redis-check-aof", &[&incr.display().to_string()], b"y\n");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("is valid"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn corruption_before_the_end_refuses_the_start_naming_the_offset_unless_told() {
    let dir = TempDir::new("corrupt");
    fill(&dir, 5);
    let incr = current_incr(&dir);
    let good = std::fs::metadata(&incr).unwrap().len();
    let damage = b"this is not RESP\r\n*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$1\r\n1\r\n";
    append(&incr, damage);
    let err = try_start(dir.path(), &[])
        .err()
        .expect("a corrupt log must refuse the start");
    assert!(err.contains(&format!("corrupt at byte {good}")), "{err}");
    assert_eq!(
        std::fs::metadata(&incr).unwrap().len(),
        good + damage.len() as u64,
        "nothing was cut"
    );
    let kv = start(dir.path(), &["--set", "aof-load-corrupt-prefix=yes"]);
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(5));
    assert!(kv.log_text().contains("aof-load-corrupt-prefix"));
}

#[test]
fn bgrewriteaof_compacts_and_keeps_every_write_made_meanwhile() {
    let dir = TempDir::new("rewrite");
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    for round in 0..20 {
        for i in 0..200 {
            c.send(&[
                b"SET",
                format!("k{i}").as_bytes(),
                format!("{round}").as_bytes(),
            ]);
        }
        for _ in 0..200 {
            c.read().unwrap();
        }
    }
    c.cmd(&["SET", "ttl", "x", "EX", "1000"]);
    let before = aof_bytes(&dir).len();
    assert_eq!(
        c.cmd(&["BGREWRITEAOF"]),
        Reply::Simple("Background append only file rewriting started".into())
    );
    // Writes while the child works.
    for i in 0..200 {
        assert_eq!(c.cmd(&["INCR", &format!("during{i}")]), Reply::Int(1));
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let Reply::Bulk(Some(info)) = c.cmd(&["INFO", "persistence"]) else {
            panic!("INFO");
        };
        let info = String::from_utf8_lossy(&info).into_owned();
        if info.contains("aof_rewrite_in_progress:0") && kv.log_text().contains("rewrite finished")
        {
            assert!(info.contains("aof_last_bgrewrite_status:ok"), "{info}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the rewrite never finished: {info}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let manifest = std::fs::read_to_string(dir.aof_dir().join("appendonly.aof.manifest")).unwrap();
    assert!(manifest.contains("type b"), "{manifest}");
    let after = aof_bytes(&dir).len();
    assert!(
        after * 5 < before,
        "not compacted: {before} -> {after} bytes"
    );
    drop(c);
    kv.kill9();
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(401));
    assert_eq!(c.cmd(&["GET", "k7"]), Reply::bulk("19"));
    assert_eq!(c.cmd(&["GET", "during199"]), Reply::bulk("1"));
    let Reply::Int(ttl) = c.cmd(&["TTL", "ttl"]) else {
        panic!()
    };
    assert!(ttl > 900, "{ttl}");
    // Only the files the manifest names are left.
    let names: Vec<String> = std::fs::read_dir(dir.aof_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
}

#[test]
fn a_rewrite_interrupted_by_a_crash_at_any_moment_loses_nothing() {
    // Kill the server at increasing delays after BGREWRITEAOF: before the child is done,
    // while it writes, around the rename and the manifest switch, after. Every start loads
    // everything and leaves no stray file behind.
    let dir = TempDir::new("rewrite-crash");
    fill(&dir, 2000);
    for delay_ms in [0u64, 1, 2, 5, 10, 20, 50, 100] {
        let kv = start(dir.path(), &[]);
        let mut c = kv.connect();
        c.send(&[b"BGREWRITEAOF"]);
        c.send(&[b"SET", b"marker", delay_ms.to_string().as_bytes()]);
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = c.read();
        let acked = matches!(c.read(), Some(Reply::Simple(_)));
        kv.kill9();
        // The rewrite child is orphaned: it finishes on its own and its file is a stray.
        let kv = start(dir.path(), &[]);
        let mut c = kv.connect();
        assert_eq!(
            c.cmd(&["GET", "k1999"]),
            Reply::bulk("v1999"),
            "after a kill at {delay_ms} ms"
        );
        if acked {
            assert_eq!(
                c.cmd(&["GET", "marker"]),
                Reply::bulk(&delay_ms.to_string())
            );
        }
        let Reply::Int(n) = c.cmd(&["DBSIZE"]) else {
            panic!()
        };
        assert!(
            n == 2000 || n == 2001,
            "{n} keys after a kill at {delay_ms} ms"
        );
        drop(c);
        kv.stop();
    }
}

/// The manifest's lines.
fn manifest_of(dir: &TempDir) -> String {
    std::fs::read_to_string(dir.aof_dir().join("appendonly.aof.manifest")).unwrap()
}

fn files_in(dir: &TempDir) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.aof_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Starts on `dir`, checks the 300 keys are there and that only the manifest's files are left.
fn loads_whole(dir: &TempDir, state: &str) {
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(300), "{state}");
    assert_eq!(c.cmd(&["GET", "k299"]), Reply::bulk("v299"), "{state}");
    drop(c);
    assert!(kv.stop().success());
    let listed: Vec<String> = manifest_of(dir)
        .lines()
        .map(|l| l.split_whitespace().nth(1).unwrap().to_string())
        .collect();
    for f in files_in(dir) {
        assert!(
            f == "appendonly.aof.manifest" || listed.contains(&f),
            "{state}: stray {f} left"
        );
    }
}

#[test]
fn every_state_a_rewrite_can_be_cut_in_loads_whole() {
    // The directory as a crash after each step of rewrite.rs's protocol leaves it.
    let dir = TempDir::new("rewrite-steps");
    fill(&dir, 300);
    let aof = dir.aof_dir();
    // Step 1 done: a new, empty incremental file listed after the old one.
    let mut manifest = manifest_of(&dir);
    manifest.push_str("file appendonly.aof.9.incr.aof seq 9 type i\n");
    std::fs::write(aof.join("appendonly.aof.9.incr.aof"), b"").unwrap();
    std::fs::write(aof.join("appendonly.aof.manifest"), &manifest).unwrap();
    loads_whole(&dir, "after step 1");
    // Step 2 under way: the child's temporary file, half written.
    std::fs::write(
        aof.join("temp-rewrite-4242.aof"),
        b"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$2\r\nv",
    )
    .unwrap();
    loads_whole(&dir, "during step 2");
    // Step 3 done: the new base renamed into place but not listed (it holds other data, to
    // show it is not read).
    std::fs::write(
        aof.join("appendonly.aof.10.base.aof"),
        b"*3\r\n$3\r\nSET\r\n$5\r\nghost\r\n$1\r\n1\r\n",
    )
    .unwrap();
    loads_whole(&dir, "after step 3");
    // Step 4 done, 5 not: the real rewrite's result, with the old files put back beside it.
    let old: Vec<(String, Vec<u8>)> = files_in(&dir)
        .into_iter()
        .filter(|f| f != "appendonly.aof.manifest")
        .map(|f| (f.clone(), std::fs::read(aof.join(&f)).unwrap()))
        .collect();
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    c.cmd(&["BGREWRITEAOF"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !manifest_of(&dir).contains("type b") {
        assert!(
            std::time::Instant::now() < deadline,
            "the rewrite did not finish"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    drop(c);
    assert!(kv.stop().success());
    for (name, bytes) in old {
        if !aof.join(&name).exists() {
            std::fs::write(aof.join(&name), bytes).unwrap();
        }
    }
    loads_whole(&dir, "after step 4");
}
