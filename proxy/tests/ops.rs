//! Operations against the real binary: SIGHUP reads the config file again (new upstreams
//! for new clients, a long transfer on the old ones going on, a new listener opened, a bad
//! file refused with its line; under load, with a thousand connections held and transfers
//! running, five reloads drop none); SIGQUIT drains (the listener closed, an open connection
//! finishing, then exit; or closed at shutdown_timeout).

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::thread;

fn group_conf(servers: &[std::net::SocketAddr], listens: &[&str], extra: &str) -> String {
    let mut s = format!("{extra}group g {{\n");
    for a in servers {
        s.push_str(&format!("    server {a};\n"));
    }
    s.push_str("}\n");
    for l in listens {
        s.push_str(&format!("listen {l} g;\n"));
    }
    s
}

#[test]
fn sighup_changes_the_upstreams_for_new_clients_while_a_long_transfer_goes_on() {
    let (a, count_a) = server(echo);
    let (b, count_b) = server(echo);
    let path = config_file("reload", &group_conf(&[a], &["127.0.0.1:0"], ""));
    let p = Proxy::spawn(&["-c".into(), path.display().to_string()], 1);

    // A 32 MiB transfer through the proxy to a, read at once.
    const LEN: u64 = 32 << 20;
    let s = p.connect();
    let mut w = s.try_clone().unwrap();
    let writer = thread::spawn(move || {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        while sent < LEN {
            let n = (LEN - sent).min(buf.len() as u64) as usize;
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = byte(sent + i as u64);
            }
            w.write_all(&buf[..n]).unwrap();
            fnv(&mut hash, &buf[..n]);
            sent += n as u64;
        }
        w.shutdown(Shutdown::Write).unwrap();
        hash
    });
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut got = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let mut r = &s;
    let mut reloaded = false;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        fnv(&mut hash, &buf[..n]);
        got += n as u64;
        if !reloaded && got >= 1 << 20 {
            // Mid-transfer: the group now has b only, and a second listener.
            std::fs::write(&path, group_conf(&[b], &["127.0.0.1:0", "127.0.0.1:0"], "")).unwrap();
            p.signal(libc::SIGHUP);
            p.wait_for(|l| l.starts_with("proxy: reloaded: 2 listeners"));
            reloaded = true;
        }
    }
    assert!(reloaded);
    assert_eq!(got, LEN);
    assert_eq!(hash, writer.join().unwrap());
    let line = p.conn_line();
    assert!(
        line.contains(&format!("upstream={a}")) && line.contains("end=closed"),
        "{line}"
    );
    assert_eq!(count_a.load(Ordering::SeqCst), 1);

    // New clients go to b, on the kept listener and on the new one.
    let new_listener = {
        let seen = p.seen.borrow();
        let lines: Vec<&String> = seen
            .iter()
            .filter(|l| l.starts_with("proxy: listening on "))
            .collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert_eq!(
            listening_addr(lines[1]),
            p.addr,
            "the first listener is kept"
        );
        listening_addr(lines[2])
    };
    round_trip(&p, 1024);
    round_trip_at(new_listener, 1024);
    assert_eq!(count_b.load(Ordering::SeqCst), 2);
    assert_eq!(count_a.load(Ordering::SeqCst), 1);

    // A bad file is refused with its line; the running configuration stays.
    std::fs::write(&path, "group g {\n    server nowhere;\n}\n").unwrap();
    p.signal(libc::SIGHUP);
    let line = p.wait_for(|l| l.starts_with("proxy: reload refused"));
    assert!(line.contains(":2: \"nowhere\""), "{line}");
    round_trip(&p, 1024);
    assert_eq!(count_b.load(Ordering::SeqCst), 3);
}

#[test]
fn sigquit_refuses_new_clients_and_lets_an_open_connection_finish() {
    let (up, _) = server(echo);
    let path = config_file(
        "drain",
        &group_conf(&[up], &["127.0.0.1:0"], "shutdown_timeout 60s;\n"),
    );
    let mut p = Proxy::spawn(&["-c".into(), path.display().to_string()], 1);
    let mut open = p.connect();
    open.write_all(b"before").unwrap();
    let mut b = [0u8; 6];
    open.read_exact(&mut b).unwrap();

    p.signal(libc::SIGQUIT);
    p.wait_for(|l| l.starts_with("proxy: draining"));
    let refused = TcpStream::connect(p.addr).unwrap_err();
    assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
    p.assert_alive();

    // The open one goes on, to its end.
    open.write_all(b"during").unwrap();
    open.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"during");
    open.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    open.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(p.wait_exit(), "{:#?}", p.seen.borrow());
    assert_eq!(p.count("up=12 down=12"), 1, "{:#?}", p.seen.borrow());
    assert_eq!(p.count("proxy: drained, exiting"), 1);
}

#[test]
fn a_drain_closes_what_is_still_open_at_its_shutdown_timeout() {
    let (up, _) = server(echo);
    let mut p = Proxy::start(&[up], &["--shutdown-timeout", "0.3"]);
    let mut open = p.connect();
    open.write_all(b"x").unwrap();
    open.read_exact(&mut [0u8; 1]).unwrap();
    p.signal(libc::SIGQUIT);
    assert!(closed_without_bytes(&mut open));
    assert!(p.wait_exit(), "{:#?}", p.seen.borrow());
    assert_eq!(p.count("end=drain-timeout"), 1, "{:#?}", p.seen.borrow());
}

#[test]
fn reloads_under_load_drop_no_connection() {
    use std::sync::atomic::AtomicBool;
    use std::sync::mpsc::channel;
    use std::sync::Arc;

    // A thousand held connections (the proxy needs two descriptors each and two more a pipe
    // in use, this process two, and a thread each in the echo servers), fewer if the limit
    // is lower.
    let limit = raise_nofile(8192).limit;
    let held_n = (limit.saturating_sub(512) / 8).clamp(16, 1000) as usize;
    let (a, count_a) = server(echo);
    let (b, count_b) = server(echo);
    let path = config_file(
        "reload-load",
        &group_conf(&[a], &["127.0.0.1:0"], "max_connections 20000;\n"),
    );
    let p = Proxy::spawn(&["-c".into(), path.display().to_string()], 1);
    let addr = p.addr;

    let mut held: Vec<TcpStream> = (0..held_n as u64)
        .map(|i| {
            let mut s = p.connect();
            s.write_all(&i.to_le_bytes()).unwrap();
            s
        })
        .collect();
    for (i, s) in held.iter_mut().enumerate() {
        let mut id = [0u8; 8];
        s.read_exact(&mut id).unwrap();
        assert_eq!(u64::from_le_bytes(id), i as u64);
    }

    // Busy clients: checksummed 1 MiB round trips one after another until told to stop,
    // each telling when one is done.
    let stop = Arc::new(AtomicBool::new(false));
    let pattern = Arc::new(Pattern::new());
    let (done_tx, done) = channel();
    let busy: Vec<_> = (0..8)
        .map(|_| {
            let (stop, pattern, done_tx) = (stop.clone(), pattern.clone(), done_tx.clone());
            thread::spawn(move || {
                let mut n = 0usize;
                while !stop.load(Ordering::SeqCst) {
                    pattern_round_trip(addr, 1 << 20, &pattern);
                    n += 1;
                    let _ = done_tx.send(());
                }
                n
            })
        })
        .collect();

    // Five reloads, the group moving between a, b and both; between two, transfers go on.
    let groups: [&[std::net::SocketAddr]; 5] = [&[b], &[a, b], &[a], &[b], &[a, b]];
    for servers in groups {
        for _ in 0..8 {
            done.recv_timeout(WAIT).unwrap();
        }
        std::fs::write(
            &path,
            group_conf(servers, &["127.0.0.1:0"], "max_connections 20000;\n"),
        )
        .unwrap();
        p.signal(libc::SIGHUP);
        p.wait_for(|l| l.starts_with("proxy: reloaded"));
    }
    for _ in 0..8 {
        done.recv_timeout(WAIT).unwrap();
    }
    stop.store(true, Ordering::SeqCst);
    let transfers: usize = busy.into_iter().map(|t| t.join().unwrap()).sum();

    // Every held connection still answers, then closes cleanly.
    for (i, s) in held.iter_mut().enumerate() {
        s.write_all(&(i as u64 + 1_000_000).to_le_bytes()).unwrap();
        let mut id = [0u8; 8];
        s.read_exact(&mut id).unwrap();
        assert_eq!(u64::from_le_bytes(id), i as u64 + 1_000_000);
        s.shutdown(Shutdown::Write).unwrap();
    }
    for mut s in held {
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
    // A line per connection (some were read while waiting for the reloads' lines), each
    // ended by both sides closing.
    let total = held_n + transfers;
    while p.count("conn client=") < total {
        p.conn_line();
    }
    assert_eq!(p.count("end=closed"), total, "{:#?}", p.seen.borrow());
    assert_eq!(p.count("up=1048576 down=1048576"), transfers);
    assert_eq!(p.count("reload refused"), 0);
    // Both servers had clients: the reloads took effect while all this went on.
    assert!(count_a.load(Ordering::SeqCst) > held_n);
    assert!(count_b.load(Ordering::SeqCst) > 0);
    eprintln!("{held_n} held connections and {transfers} transfers across 5 reloads");
}
