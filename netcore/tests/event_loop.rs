//! The event loop with a small test service, on every backend, over real loopback sockets:
//! opens and closes are reported once each with the right reason, output is flushed in
//! order, limits hold, and a wake of the waker shuts the loop down after flushing.

use netcore::reactor::backend::{Epoll, Poll, Select};
use netcore::reactor::signal::Waker;
use netcore::{CloseReason, Config, Conns, EventLoop, Readiness, Service, Stats, Token};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

const GUARD: Duration = Duration::from_secs(20);

/// Echoes each chunk back; "big N\n" queues N KiB for the sender at once; "stream N\n"
/// sends N KiB in pieces as the queue drains; "bye\n" asks for a graceful close. Records
/// every open and close.
#[derive(Default)]
struct Probe {
    log: Arc<Mutex<Vec<String>>>,
    /// KiB still to stream, per connection.
    streaming: HashMap<Token, usize>,
}

impl Probe {
    /// Queues up to 32 KiB of the stream, then waits for the queue to drain.
    fn pump(&mut self, conns: &mut Conns, id: Token) {
        let Some(left) = self.streaming.get_mut(&id) else {
            return;
        };
        let mut budget = 32;
        while *left > 0 && budget > 0 {
            conns.send(id, &[b's'; 1024]);
            *left -= 1;
            budget -= 1;
        }
        if *left > 0 {
            conns.notify_when_drained(id);
        } else {
            self.streaming.remove(&id);
        }
    }
}

impl Service for Probe {
    fn on_open(&mut self, conns: &mut Conns, id: Token) {
        self.log.lock().unwrap().push(format!("open {id}"));
        conns.send(id, b"hello\n");
    }

    fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]) {
        if let Some(n) = data.strip_prefix(b"big ") {
            let kib: usize = String::from_utf8_lossy(n).trim().parse().unwrap_or(0);
            for _ in 0..kib {
                if !conns.send(id, &[b'x'; 1024]) {
                    break;
                }
            }
        } else if let Some(n) = data.strip_prefix(b"stream ") {
            let kib: usize = String::from_utf8_lossy(n).trim().parse().unwrap_or(0);
            self.streaming.insert(id, kib);
            self.pump(conns, id);
        } else if data == b"bye\n" {
            conns.send(id, b"goodbye\n");
            conns.close(id);
        } else {
            conns.send(id, data);
        }
    }

    fn on_close(&mut self, conns: &mut Conns, id: Token, reason: CloseReason) {
        self.log
            .lock()
            .unwrap()
            .push(format!("close {id} {reason:?}"));
        if reason == CloseReason::Shutdown || reason == CloseReason::Idle {
            conns.send(id, format!("closing: {reason:?}\n").as_bytes());
        }
    }

    fn refusal(&self, why: &str) -> Vec<u8> {
        format!("refused: {why}\n").into_bytes()
    }

    fn on_drain(&mut self, conns: &mut Conns, id: Token) {
        self.pump(conns, id);
    }
}

struct Running {
    addr: SocketAddr,
    waker: Arc<Waker>,
    log: Arc<Mutex<Vec<String>>>,
    stats: Arc<Stats>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Running {
    fn stop(mut self) -> Vec<String> {
        self.waker.wake();
        self.thread.take().unwrap().join().unwrap();
        self.log.lock().unwrap().clone()
    }
}

fn start<B: Readiness + Send + 'static>(backend: B, config: Config) -> Running {
    let listener = netcore::reactor::listener::bind("127.0.0.1:0".parse().unwrap(), 128).unwrap();
    let addr = listener.local_addr().unwrap();
    let waker = Arc::new(Waker::new().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut probe = Probe {
        log: log.clone(),
        ..Probe::default()
    };
    let stats = Arc::new(Stats::new());
    let mut el = EventLoop::new(backend, listener, waker.clone(), config, stats.clone()).unwrap();
    let thread = thread::spawn(move || el.run(&mut probe).unwrap());
    Running {
        addr,
        waker,
        log,
        stats,
        thread: Some(thread),
    }
}

fn each_backend(f: impl Fn(&dyn Fn(Config) -> Running)) {
    f(&|c| start(Select::new(), c));
    f(&|c| start(Poll::new(), c));
    f(&|c| start(Epoll::new().unwrap(), c));
}

fn connect(addr: SocketAddr) -> BufReader<TcpStream> {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(GUARD)).unwrap();
    BufReader::new(s)
}

fn line(r: &mut BufReader<TcpStream>) -> String {
    let mut l = String::new();
    r.read_line(&mut l).unwrap();
    l
}

#[test]
fn echo_and_graceful_close_are_reported_once() {
    each_backend(|start| {
        let server = start(Config::default());
        let mut c = connect(server.addr);
        assert_eq!(line(&mut c), "hello\n");
        c.get_mut().write_all(b"ping\n").unwrap();
        assert_eq!(line(&mut c), "ping\n");
        c.get_mut().write_all(b"bye\n").unwrap();
        assert_eq!(line(&mut c), "goodbye\n");
        assert_eq!(line(&mut c), "", "closed after the goodbye");
        let mut d = connect(server.addr);
        assert_eq!(line(&mut d), "hello\n");
        // Half-close: the server sees EOF, closes its side, and d reads EOF.
        d.get_ref().shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(line(&mut d), "");
        let log = server.stop();
        // The freed token is reused.
        assert_eq!(
            log,
            [
                "open 0",
                "close 0 Requested",
                "open 0",
                "close 0 PeerClosed"
            ]
        );
    });
}

#[test]
fn a_big_reply_arrives_whole_and_in_order_through_partial_writes() {
    each_backend(|start| {
        let server = start(Config {
            max_outbound: 8 << 20,
            ..Config::default()
        });
        let mut c = connect(server.addr);
        line(&mut c);
        c.get_mut().write_all(b"big 4096\n").unwrap();
        let mut got = vec![0u8; 4096 * 1024];
        c.read_exact(&mut got).unwrap();
        assert!(got.iter().all(|&b| b == b'x'));
        c.get_mut().write_all(b"after\n").unwrap();
        assert_eq!(line(&mut c), "after\n");
        server.stop();
    });
}

#[test]
fn overflowing_the_outbound_queue_cuts_the_client_off() {
    each_backend(|start| {
        let server = start(Config {
            max_outbound: 64 * 1024,
            ..Config::default()
        });
        let mut c = connect(server.addr);
        line(&mut c);
        // Far more than the socket buffers and the queue can hold within one turn.
        c.get_mut().write_all(b"big 65536\n").unwrap();
        let mut sink = Vec::new();
        match c.read_to_end(&mut sink) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("the connection was not closed: {e}"),
        }
        assert!(sink.len() < 64 << 20, "the client was not cut off");
        let log = server.stop();
        assert!(log.iter().any(|l| l.ends_with("SlowConsumer")), "{log:?}");
    });
}

#[test]
fn max_clients_refuses_with_the_service_line() {
    each_backend(|start| {
        let server = start(Config {
            max_clients: 1,
            ..Config::default()
        });
        let mut a = connect(server.addr);
        assert_eq!(line(&mut a), "hello\n");
        let mut b = connect(server.addr);
        assert_eq!(line(&mut b), "refused: server full\n");
        assert_eq!(line(&mut b), "");
        server.stop();
    });
}

#[test]
fn idle_clients_are_closed_and_shutdown_flushes_a_goodbye() {
    each_backend(|start| {
        let server = start(Config {
            idle_timeout: Some(Duration::from_millis(200)),
            ..Config::default()
        });
        let mut a = connect(server.addr);
        assert_eq!(line(&mut a), "hello\n");
        assert_eq!(line(&mut a), "closing: Idle\n");
        assert_eq!(line(&mut a), "");
        let server2 = start(Config::default());
        let mut b = connect(server2.addr);
        assert_eq!(line(&mut b), "hello\n");
        let log = server2.stop();
        assert_eq!(line(&mut b), "closing: Shutdown\n");
        assert_eq!(line(&mut b), "");
        assert_eq!(log, ["open 0", "close 0 Shutdown"]);
        server.stop();
    });
}

#[test]
fn on_drain_streams_a_long_reply_through_a_small_queue() {
    each_backend(|start| {
        let server = start(Config {
            max_outbound: 64 * 1024,
            ..Config::default()
        });
        let mut c = connect(server.addr);
        line(&mut c);
        // 16 MiB through a 64 KiB queue: only possible by waiting for drains.
        c.get_mut().write_all(b"stream 16384\n").unwrap();
        let mut got = vec![0u8; 16384 * 1024];
        c.read_exact(&mut got).unwrap();
        assert!(got.iter().all(|&b| b == b's'));
        c.get_mut().write_all(b"after\n").unwrap();
        assert_eq!(line(&mut c), "after\n");
        let log = server.stop();
        assert!(!log.iter().any(|l| l.ends_with("SlowConsumer")), "{log:?}");
    });
}

#[test]
fn a_closing_client_that_reads_nothing_is_dropped_after_the_linger() {
    each_backend(|start| {
        let server = start(Config {
            idle_timeout: Some(Duration::from_millis(100)),
            close_linger: Duration::from_millis(300),
            max_outbound: 64 << 20,
            ..Config::default()
        });
        let mut c = connect(server.addr);
        assert_eq!(line(&mut c), "hello\n");
        // 16 MiB that the client never reads: the idle close cannot drain it.
        c.get_mut().write_all(b"big 16384\n").unwrap();
        let deadline = std::time::Instant::now() + GUARD;
        while server
            .stats
            .conns_active
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
        {
            assert!(std::time::Instant::now() < deadline, "never dropped");
            thread::sleep(Duration::from_millis(10));
        }
        let log = server.stop();
        assert_eq!(log, ["open 0", "close 0 Idle"]);
    });
}

/// Replies to each chunk, and in `before_flush` records how many reply bytes were still
/// unwritten then (all of them, if the hook runs before the turn's writes); counts ticks.
#[derive(Default)]
struct Committer {
    got_data: Vec<Token>,
    unwritten_at_commit: Arc<Mutex<Vec<usize>>>,
    ticks: Arc<Mutex<u32>>,
}

impl Service for Committer {
    fn on_open(&mut self, _: &mut Conns, _: Token) {}
    fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]) {
        conns.send(id, data);
        self.got_data.push(id);
    }
    fn on_close(&mut self, _: &mut Conns, _: Token, _: CloseReason) {}
    fn refusal(&self, _: &str) -> Vec<u8> {
        Vec::new()
    }
    fn before_flush(&mut self, conns: &mut Conns) {
        for id in self.got_data.drain(..) {
            self.unwritten_at_commit
                .lock()
                .unwrap()
                .push(conns.pending(id));
            conns.send(id, b"+committed\n");
        }
    }
    fn on_tick(&mut self, _: &mut Conns) {
        *self.ticks.lock().unwrap() += 1;
    }
}

#[test]
fn before_flush_runs_after_the_turns_input_and_before_its_writes_and_ticks_tick() {
    let listener = netcore::reactor::listener::bind("127.0.0.1:0".parse().unwrap(), 16).unwrap();
    let addr = listener.local_addr().unwrap();
    let waker = Arc::new(Waker::new().unwrap());
    let mut service = Committer::default();
    let unwritten = service.unwritten_at_commit.clone();
    let ticks = service.ticks.clone();
    let config = Config {
        tick: Some(Duration::from_millis(10)),
        ..Config::default()
    };
    let mut el = EventLoop::new(
        Epoll::new().unwrap(),
        listener,
        waker.clone(),
        config,
        Arc::new(Stats::new()),
    )
    .unwrap();
    let thread = thread::spawn(move || el.run(&mut service).unwrap());
    let mut c = connect(addr);
    for i in 0..5 {
        c.get_mut()
            .write_all(format!("set {i}\n").as_bytes())
            .unwrap();
        assert_eq!(line(&mut c), format!("set {i}\n"));
        assert_eq!(line(&mut c), "+committed\n");
    }
    let deadline = std::time::Instant::now() + GUARD;
    while *ticks.lock().unwrap() < 5 {
        assert!(std::time::Instant::now() < deadline, "no ticks");
        thread::sleep(Duration::from_millis(5));
    }
    waker.wake();
    thread.join().unwrap();
    assert_eq!(
        *unwritten.lock().unwrap(),
        [6, 6, 6, 6, 6],
        "replies left before the commit"
    );
}
