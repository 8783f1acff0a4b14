//! The Redis tools and client library, unchanged, against kv.

use crate::common::{run_tool, start, Kv, Reply, TempDir};

#[test]
fn redis_cli_scripted_session() {
    let dir = TempDir::new("cli");
    let kv = start(dir.path(), &[]);
    let script = b"SET greeting hello\nGET greeting\nAPPEND greeting \" world\"\nGET greeting\nINCR visits\nINCRBY visits 41\nEXPIRE greeting 100\nTTL greeting\nMSET a 1 b 2\nMGET a b nokey\nDEL a b\nEXISTS a b\nTYPE visits\nNOSUCHCMD x\nGET\n";
    let out = run_tool("redis-cli", &["-p", &kv.port()], script);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let want = "OK\nhello\n11\nhello world\n1\n42\n1\n100\nOK\n1\n2\n\n2\n0\nstring\nERR unknown command 'NOSUCHCMD', with args beginning with: 'x' \n\nERR wrong number of arguments for 'get' command\n\n";
    // (redis-cli prints an error reply followed by an empty line, as it does for Redis.)
    assert_eq!(text, want);
}

#[test]
fn redis_py_reads_and_writes_and_pipelines() {
    let dir = TempDir::new("py");
    let kv = start(dir.path(), &[]);
    let script = format!(
        r#"
import redis, sys
r = redis.Redis(host="127.0.0.1", port={port})
assert r.ping()
assert r.set("k", b"\x00\xffbinary\r\n") is True
assert r.get("k") == b"\x00\xffbinary\r\n", r.get("k")
assert r.set("k", "v", nx=True) is None
assert r.set("n", 10, ex=60) is True
assert 55 <= r.ttl("n") <= 60
assert r.incrbyfloat("f", 1.5) == 1.5
p = r.pipeline(transaction=True)
p.incr("c").incr("c").get("c")
assert p.execute() == [1, 2, b"2"]
try:
    r.incr("k")
    sys.exit("INCR of a non-integer did not fail")
except redis.ResponseError as e:
    assert "not an integer" in str(e), e
assert r.dbsize() == 4, r.dbsize()
info = r.info()
assert info["connected_clients"] >= 1 and info["aof_enabled"] == 1, info
r.client_setname("tester")
assert r.client_getname() == "tester"
assert any(c["name"] == "tester" for c in r.client_list())
assert r.config_get("appendfsync") == {{"appendfsync": "everysec"}}
keys = set(r.scan_iter(match="*"))
assert keys == {{b"k", b"n", b"f", b"c"}}, keys
print("ok")
"#,
        port = kv.addr.port()
    );
    // Debian's interpreter, where python3-redis is installed (not a pyenv shim on PATH).
    let out = run_tool("/usr/bin/python3", &["-c", &script], b"");
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok\n");
}

/// `redis-benchmark -t set,get,incr -n N -c CLIENTS -P PIPELINE -q` against `kv`, which
/// must run to its end; returns what it printed.
fn redis_benchmark(kv: &Kv, n: &str, clients: &str, pipeline: &str) -> String {
    let out = run_tool(
        "redis-benchmark",
        &[
            "-p",
            &kv.port(),
            "-t",
            "set,get,incr",
            "-n",
            n,
            "-c",
            clients,
            "-P",
            pipeline,
            "-q",
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn redis_benchmark_runs_to_the_end_and_every_write_is_there() {
    let dir = TempDir::new("bench");
    let kv = start(dir.path(), &[]);
    let text = redis_benchmark(&kv, "3000", "10", "4");
    for test in ["SET: ", "GET: ", "INCR: "] {
        assert!(text.contains(test), "{test} missing from {text}");
    }
    // INCR on the counter key 3000 times: the count is exact.
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["GET", "counter:__rand_int__"]), Reply::bulk("3000"));
}

/// With `busy-poll` (microseconds; off by default) kv polls for input a little before it
/// sleeps while clients keep it busy: pipelined redis-benchmark runs whole, and once the
/// clients stop, the server stops polling and sleeps: an idle kv uses next to no CPU.
#[test]
fn busy_polling_serves_a_pipelined_benchmark_and_stops_when_the_clients_do() {
    let dir = TempDir::new("busy-poll");
    let kv = start(dir.path(), &["--set", "busy-poll=50"]);
    let mut c = kv.connect();
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "busy-poll"]),
        Reply::Array(Some(vec![Reply::bulk("busy-poll"), Reply::bulk("50")]))
    );
    let Reply::Error(e) = c.cmd(&["CONFIG", "SET", "busy-poll", "0"]) else {
        panic!("busy-poll was settable")
    };
    assert!(e.contains("can't set immutable config 'busy-poll'"), "{e}");
    redis_benchmark(&kv, "50000", "20", "16");
    assert_eq!(
        c.cmd(&["GET", "counter:__rand_int__"]),
        Reply::bulk("50000")
    );
    drop(c);
    // The CPU kv uses (user and system) over a second with no client: a server that went
    // on polling would use most of it, one asleep in epoll_wait only its ticks' work.
    let cpu = || netcore::sys::process_cpu_seconds(kv.child.id()).unwrap();
    // A few of the server's ticks (10 per second) shut the window: let them pass first.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let before = cpu();
    std::thread::sleep(std::time::Duration::from_secs(1));
    let used = cpu() - before;
    assert!(used < 0.2, "an idle kv used {used} s of CPU in a second");
}

#[test]
fn data_survives_shutdown_and_restart() {
    let dir = TempDir::new("restart");
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    for i in 0..1000 {
        c.send(&[
            b"SET",
            format!("key:{i}").as_bytes(),
            format!("value:{i}").as_bytes(),
        ]);
    }
    for _ in 0..1000 {
        assert_eq!(c.read(), Some(Reply::Simple("OK".into())));
    }
    assert_eq!(
        c.cmd(&["SET", "temp", "x", "PX", "100000"]),
        Reply::Simple("OK".into())
    );
    // SHUTDOWN: no reply, the connection closes, the process exits 0.
    c.send(&[b"SHUTDOWN"]);
    assert!(c.read().is_none());
    let mut kv = kv;
    let status = kv.child.wait().unwrap();
    assert!(status.success(), "{status}");
    drop(kv);
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(1001));
    assert_eq!(c.cmd(&["GET", "key:777"]), Reply::bulk("value:777"));
    let Reply::Int(ttl) = c.cmd(&["PTTL", "temp"]) else {
        panic!("no ttl");
    };
    assert!(ttl > 90_000 && ttl <= 100_000, "{ttl}");
    assert!(kv.log_text().contains("DB loaded from append only file"));
}

#[test]
fn a_password_is_required_and_protected_mode_guards_open_addresses() {
    let dir = TempDir::new("auth");
    let kv = start(dir.path(), &["--requirepass", "s3cret"]);
    let mut c = kv.connect();
    assert_eq!(
        c.cmd(&["GET", "a"]),
        Reply::Error("NOAUTH Authentication required.".into())
    );
    assert_eq!(
        c.cmd(&["AUTH", "nope"]),
        Reply::Error("WRONGPASS invalid username-password pair or user is disabled.".into())
    );
    assert_eq!(c.cmd(&["AUTH", "s3cret"]), Reply::Simple("OK".into()));
    assert_eq!(c.cmd(&["GET", "a"]), Reply::Bulk(None));
    let out = run_tool(
        crate::common::kv_bin(),
        &[
            "serve",
            "--listen",
            "0.0.0.0:0",
            "--dir",
            &dir.path().display().to_string(),
        ],
        b"",
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("protected mode"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn config_set_appendfsync_takes_effect_and_startup_settings_are_read_only() {
    let dir = TempDir::new("config-set");
    let kv = start(dir.path(), &["--appendfsync", "no"]);
    let mut c = kv.connect();
    let syncs = |c: &mut crate::common::Resp| -> u64 {
        let Reply::Bulk(Some(info)) = c.cmd(&["INFO", "persistence"]) else {
            panic!()
        };
        String::from_utf8_lossy(&info)
            .lines()
            .find_map(|l| l.strip_prefix("aof_fsyncs:"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap()
    };
    for i in 0..5 {
        c.cmd(&["SET", "a", &i.to_string()]);
    }
    let before = syncs(&mut c);
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "appendfsync", "always"]),
        Reply::Simple("OK".into())
    );
    for i in 0..5 {
        c.cmd(&["SET", "a", &i.to_string()]);
    }
    // INFO's figures are refreshed on the server's tick.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while syncs(&mut c) < before + 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "appendfsync always did not sync each write"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let Reply::Error(e) = c.cmd(&["CONFIG", "SET", "timeout", "5"]) else {
        panic!("timeout was settable")
    };
    assert!(e.contains("can't set immutable config 'timeout'"), "{e}");
}

#[test]
fn maxmemory_refuses_writes_under_noeviction_and_evicts_under_allkeys_lru() {
    let dir = TempDir::new("maxmemory");
    let kv = start(dir.path(), &["--maxmemory", "20mb"]);
    let mut c = kv.connect();
    let value = "v".repeat(10_000);
    let mut refused = None;
    for i in 0..10_000 {
        match c.cmd(&["SET", &format!("k{i}"), &value]) {
            Reply::Simple(ok) if ok == "OK" => {}
            Reply::Error(e) => {
                refused = Some((i, e));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    let (at, e) = refused.expect("noeviction never refused a write past maxmemory");
    assert_eq!(e, "OOM command not allowed when used memory > 'maxmemory'.");
    assert!(at > 100, "refused too early, at key {at}");
    // Reads and deletes still work; a delete makes room again.
    assert_eq!(c.cmd(&["GET", "k0"]), Reply::bulk(&value));
    assert_eq!(
        c.cmd(&["DEL", "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9"]),
        Reply::Int(10)
    );
    assert_eq!(
        c.cmd(&["SET", "after-delete", "x"]),
        Reply::Simple("OK".into())
    );
    // allkeys-lru: writes go on, old keys are evicted, memory stays near the limit.
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]),
        Reply::Simple("OK".into())
    );
    for i in 0..5_000 {
        assert_eq!(
            c.cmd(&["SET", &format!("n{i}"), &value]),
            Reply::Simple("OK".into()),
            "write {i}"
        );
    }
    let Reply::Bulk(Some(info)) = c.cmd(&["INFO"]) else {
        panic!()
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    let field = |name: &str| -> u64 {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    assert!(field("evicted_keys:") > 1000, "{info}");
    assert!(field("used_memory:") < 24 << 20, "{info}");
    // The most recent writes are there; evicted keys are logged as DELs, so a restart agrees.
    assert_eq!(c.cmd(&["GET", "n4999"]), Reply::bulk(&value));
    let Reply::Int(keys) = c.cmd(&["DBSIZE"]) else {
        panic!()
    };
    drop(c);
    assert!(kv.stop().success());
    let kv = start(dir.path(), &[]);
    let mut c = kv.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), Reply::Int(keys));
}
