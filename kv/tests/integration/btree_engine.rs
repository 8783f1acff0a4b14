//! `kv serve --engine btree` against the real tools: redis-cli and redis-py on string keys,
//! a clear error for the other types, the data kept across a restart, and SIGKILL rounds
//! during a writer loop and during redis-benchmark, after each of which the tree file is
//! sound (the `btree` crate's `check`, what `btree check FILE` runs) and every acknowledged
//! write is there.

use crate::common::{run_tool, start, Reply, TempDir};
use crate::durability::kill_rounds_with;
use std::path::Path;

const BTREE: &[&str] = &["--engine", "btree"];

/// The tree file in `dir` passes every check of `btree check`.
fn assert_sound(dir: &Path) {
    let path = dir.join("kv.btree");
    let db = btree::Db::open(
        &path,
        &btree::Options {
            read_only: true,
            ..btree::Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let report = db.check().unwrap();
    assert!(
        report.problems.is_empty(),
        "{}: {:#?}",
        path.display(),
        report.problems
    );
}

#[test]
fn redis_cli_scripted_session_on_the_btree_engine() {
    let dir = TempDir::new("bt-cli");
    let kv = start(dir.path(), BTREE);
    let script = b"SET greeting hello\nGET greeting\nAPPEND greeting \" world\"\nGET greeting\nINCR visits\nINCRBY visits 41\nEXPIRE greeting 100\nTTL greeting\nMSET a 1 b 2\nMGET a b nokey\nDEL a b\nEXISTS a b\nTYPE visits\nHSET h f v\nLPUSH l x\nDBSIZE\nCONFIG GET engine\n";
    let out = run_tool("redis-cli", &["-p", &kv.port()], script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let refused = |c: &str| {
        format!(
            "ERR '{c}' is not supported by the btree engine (it keeps string keys only; kv \
             serve --engine aof has every type)\n\n"
        )
    };
    let want = format!(
        "OK\nhello\n11\nhello world\n1\n42\n1\n100\nOK\n1\n2\n\n2\n0\nstring\n{}{}2\nengine\nbtree\n",
        refused("hset"),
        refused("lpush")
    );
    assert_eq!(text, want);
    // The data is in the file, not in the process: a restart finds it.
    kv.stop();
    assert_sound(dir.path());
    let kv = start(dir.path(), BTREE);
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["GET", "greeting"]), Reply::bulk("hello world"));
    assert_eq!(c.cmd(&["GET", "visits"]), Reply::bulk("42"));
    let Reply::Int(ttl) = c.cmd(&["TTL", "greeting"]) else {
        panic!("TTL is not an integer");
    };
    assert!((90..=100).contains(&ttl), "the expiry was kept: {ttl}");
    assert!(
        !dir.aof_dir().exists(),
        "no append-only log beside the tree"
    );
}

#[test]
fn redis_py_on_the_btree_engine_and_a_restart_keeps_everything() {
    let dir = TempDir::new("bt-py");
    let kv = start(dir.path(), BTREE);
    let script = |port: u16, phase: &str| {
        format!(
            r#"
import redis, sys
r = redis.Redis(host="127.0.0.1", port={port})
if "{phase}" == "write":
    assert r.set("k", b"\x00\xffbinary\r\n") is True
    assert r.set("k", "v", nx=True) is None
    assert r.set("n", 10, ex=600) is True
    assert r.incrbyfloat("f", 1.5) == 1.5
    p = r.pipeline(transaction=True)
    p.incr("c").incr("c").get("c")
    assert p.execute() == [1, 2, b"2"]
    big = bytes(range(256)) * 400   # overflow pages in the tree
    assert r.set("big", big) is True
    r.mset({{"u:%d" % i: str(i) for i in range(2000)}})
    assert r.delete("u:0", "u:1") == 2
    assert r.setrange("k", 1, b"\x00") == 10
    try:
        r.hset("h", "f", "v")
        sys.exit("HSET did not fail")
    except redis.ResponseError as e:
        assert "not supported by the btree engine" in str(e), e
    assert r.info("persistence")["kv_engine"] == "btree"
else:
    assert r.get("k") == b"\x00\x00binary\r\n", r.get("k")
    assert 590 <= r.ttl("n") <= 600, r.ttl("n")
    assert r.get("f") == b"1.5" and r.get("c") == b"2"
    assert r.get("big") == bytes(range(256)) * 400
    assert r.mget("u:0", "u:1", "u:2", "u:1999") == [None, None, b"2", b"1999"]
    assert r.dbsize() == 1998 + 5, r.dbsize()
    keys = set(r.scan_iter(match="u:1*", count=50))
    assert keys == {{("u:%d" % i).encode() for i in range(2, 2000) if str(i).startswith("1")}}
    assert set(r.keys("[kfcn]")) == {{b"k", b"f", b"c", b"n"}}
    assert r.info("keyspace")["db0"]["keys"] == 2003
    assert r.flushall() is True and r.dbsize() == 0
print("ok")
"#
        )
    };
    let run = |port: u16, phase: &str| {
        let out = run_tool("/usr/bin/python3", &["-c", &script(port, phase)], b"");
        assert!(
            out.status.success(),
            "{phase}: stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
    };
    run(kv.addr.port(), "write");
    // SIGKILL, not a clean stop: the replies meant the commits were made.
    kv.kill9();
    assert_sound(dir.path());
    let kv = start(dir.path(), BTREE);
    run(kv.addr.port(), "read");
}

#[test]
fn a_second_server_on_the_same_file_is_refused() {
    let dir = TempDir::new("bt-busy");
    let _kv = start(dir.path(), BTREE);
    let err = crate::common::try_start(dir.path(), BTREE)
        .err()
        .expect("a second server on the same file started");
    assert!(err.contains("in use by another writer"), "{err}");
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_write_on_the_btree_engine() {
    kill_rounds_with("btree", BTREE, 8, assert_sound);
}

#[test]
fn sigkill_during_redis_benchmark_leaves_a_sound_tree() {
    let dir = TempDir::new("bt-bench");
    for round in 0..3 {
        let kv = start(dir.path(), BTREE);
        let port = kv.port();
        let bench = std::process::Command::new("redis-benchmark")
            .args([
                "-p", &port, "-t", "set,incr", "-n", "2000000", "-r", "100000",
            ])
            .args(["-c", "20", "-P", "8", "-q"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("redis-benchmark (make deps installs it)");
        let mut bench = Killed(bench);
        // Wait until the benchmark's writes have been committed, then kill mid-stream.
        let mut c = kv.connect();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let Reply::Int(n) = c.cmd(&["DBSIZE"]) else {
                panic!("DBSIZE");
            };
            if n > 1000 * (round + 1) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "no writes arrived");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        drop(c);
        kv.kill9();
        let _ = bench.0.kill();
        let _ = bench.0.wait();
        assert_sound(dir.path());
    }
    let kv = start(dir.path(), BTREE);
    let Reply::Int(n) = kv.connect().cmd(&["DBSIZE"]) else {
        panic!("DBSIZE");
    };
    assert!(n > 3000, "{n} keys kept");
}

/// A child killed when dropped (a failed assertion must not leave redis-benchmark running).
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_engine_is_checked_by_check_config_from_a_flag_or_the_file() {
    let dir = TempDir::new("bt-conf");
    let conf = dir.path().join("kv.conf");
    std::fs::write(&conf, "engine btree;\n").unwrap();
    let conf = conf.to_str().unwrap();
    let ok = run_tool(
        crate::common::kv_bin(),
        &["serve", "--config", conf, "--check-config"],
        b"",
    );
    assert!(ok.status.success());
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "configuration OK\n");
    let bad = run_tool(
        crate::common::kv_bin(),
        &["serve", "--engine", "lsm", "--check-config"],
        b"",
    );
    assert!(!bad.status.success());
    assert_eq!(
        String::from_utf8_lossy(&bad.stderr),
        "kv: --engine: argument couldn't be parsed into a value for 'engine': lsm\n"
    );
    std::fs::write(dir.path().join("kv.conf"), "engine lsm;\n").unwrap();
    let bad = run_tool(
        crate::common::kv_bin(),
        &["serve", "--config", conf, "--check-config"],
        b"",
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr)
            .ends_with(":1: argument couldn't be parsed into a value for 'engine': lsm\n"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}
