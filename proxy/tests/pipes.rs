//! The pipe pool against the real binary: an idle connection holds its two sockets and no
//! pipe (counted in `/proc/PID/fd`), and with fewer pipes than directions in flight, or none
//! at all (`--max-pipes`), bytes are copied instead and every transfer still arrives whole.
//! The proxy raises its soft descriptor limit to the hard one, and says when its settings
//! may need more.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::Arc;
use std::thread;

#[test]
fn an_idle_connection_holds_two_descriptors() {
    const N: usize = 200;
    const PIPES: usize = 4;
    // This process: the client and the echo server's two (its socket and a clone).
    raise_nofile(4 * N as u64 + 256);
    let (up, _) = server(echo);
    let p = Proxy::start(&[up], &["--max-pipes", &PIPES.to_string()]);
    let base = open_fds(p.child.id());
    let mut clients: Vec<TcpStream> = (0..N as u64)
        .map(|i| {
            let mut s = p.connect();
            s.write_all(&i.to_le_bytes()).unwrap();
            s
        })
        .collect();
    for (i, s) in clients.iter_mut().enumerate() {
        let mut id = [0u8; 8];
        s.read_exact(&mut id).unwrap();
        assert_eq!(u64::from_le_bytes(id), i as u64);
    }
    // Every connection carried bytes both ways and is idle now: its two sockets, and the
    // pool's free pipes (at most PIPES of them) besides.
    let held = open_fds(p.child.id()) - base;
    eprintln!("{held} descriptors for {N} idle connections");
    assert!(
        (2 * N..=2 * N + 2 * PIPES).contains(&held),
        "{held} descriptors for {N} idle connections (two each, and at most {PIPES} pipes)"
    );
    drop(clients);
    for _ in 0..N {
        let line = p.conn_line();
        assert!(line.contains("up=8 down=8 "), "{line}");
    }
    let left = open_fds(p.child.id()) - base;
    assert!(
        left <= 2 * PIPES,
        "{left} descriptors left with no connection"
    );
}

#[test]
fn with_no_pipe_to_be_had_transfers_are_copied_whole_and_say_so() {
    let (up, _) = server(echo);
    // `forward splice`: every read wants a pipe, the 1 KiB one too (`splice-auto` copies
    // small reads by choice: no pipe wanted, none missed).
    let p = Proxy::start(&[up], &["--max-pipes", "0", "--forward", "splice"]);
    for len in [0, 1024, 16 << 20] {
        round_trip(&p, len);
        let line = p.conn_line();
        assert!(
            line.contains(&format!("up={len} down={len}")) && line.contains("end=closed"),
            "{line}"
        );
        // Copied when there was something to copy.
        assert_eq!(line.contains(" forward=copy "), len > 0, "{line}");
    }
}

#[test]
fn connections_sharing_one_pipe_arrive_whole() {
    // Eight directions in flight at once and one pipe: each direction splices when it gets
    // the pipe and copies when it does not, from one read to the next.
    const CONNS: usize = 4;
    const LEN: u64 = 32 << 20;
    let (up, _) = server(echo);
    let p = Proxy::start(&[up], &["--max-pipes", "1"]);
    let pattern = Arc::new(Pattern::new());
    let addr = p.addr;
    let clients: Vec<_> = (0..CONNS)
        .map(|_| {
            let pattern = pattern.clone();
            thread::spawn(move || pattern_round_trip(addr, LEN, &pattern))
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    let mut copied = 0;
    for _ in 0..CONNS {
        let line = p.conn_line();
        assert!(
            line.contains(&format!("up={LEN} down={LEN}")) && line.contains("end=closed"),
            "{line}"
        );
        copied += usize::from(line.contains("forward=copy"));
    }
    eprintln!("{copied} of {CONNS} connections copied some of their bytes");
}

#[test]
fn the_proxy_raises_its_soft_descriptor_limit_and_warns_when_it_is_short() {
    let (up, _) = server(echo);
    let mut cmd = Command::new(proxy_bin());
    cmd.args(["--listen", "127.0.0.1:0", "--upstream", &up.to_string()]);
    // Over four million descriptors: more than any RLIMIT_NOFILE (at most fs.nr_open, 1 Mi
    // by default).
    cmd.args(["--max-connections", "2000000", "--max-pipes", "500000"]);
    // SAFETY: only getrlimit and setrlimit (async-signal-safe) between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
            lim.rlim_cur = lim.rlim_max.min(64);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
            Ok(())
        })
    };
    let p = Proxy::spawn_cmd(cmd, 1);
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", p.child.id())).unwrap();
    let open_files: Vec<&str> = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .split_whitespace()
        .collect();
    let (soft, hard) = (open_files[3], open_files[4]);
    assert_eq!(soft, hard, "{limits}");
    let line = p.wait_for(|l| l.contains("warning: descriptor limit"));
    assert!(
        line.contains(&format!("descriptor limit {hard} is below"))
            && line.contains("max_connections 2000000 and max_pipes 500000"),
        "{line}"
    );
}
