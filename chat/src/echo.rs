//! `chat echo`: the echo server of the event-loop step, on the same core as the chat.
//!
//! Every byte a client sends comes back to it. On the event loops the echo goes through the
//! same bounded outbound queue (a client that sends but never reads is cut off past
//! `max_queue`). The `threads` and `pool` models use plain blocking copies; at shutdown their
//! client sockets are shut down so the blocked threads return.

use crate::pool::BoundedQueue;
use crate::server::{Model, ServeOptions};
use crate::threaded::{accept_one, lock, refuse, wait_accept, CLIENT_STACK};
use netcore::reactor::backend::{Epoll, Poll, Select};
use netcore::reactor::signal::Waker;
use netcore::{CloseReason, Conns, EventLoop, Readiness, Service, Stats, Token};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// Echo as a netcore service.
pub struct EchoService;

impl Service for EchoService {
    fn on_open(&mut self, _conns: &mut Conns, _id: Token) {}

    fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]) {
        conns.stats().add_requests(1);
        conns.send(id, data);
    }

    fn on_close(&mut self, _conns: &mut Conns, _id: Token, _reason: CloseReason) {}

    fn refusal(&self, why: &str) -> Vec<u8> {
        format!("echo: {why}\n").into_bytes()
    }
}

fn run_loop<B: Readiness>(
    backend: B,
    listener: TcpListener,
    waker: Arc<Waker>,
    opts: &ServeOptions,
    stats: Arc<Stats>,
) -> io::Result<()> {
    EventLoop::new(backend, listener, waker, opts.loop_config(), stats)?.run(&mut EchoService)
}

/// Serves echo with the chosen model until the signal waker fires.
pub fn serve(
    opts: &ServeOptions,
    listener: TcpListener,
    waker: Arc<Waker>,
    stats: Arc<Stats>,
) -> io::Result<()> {
    match opts.model {
        Model::Select => run_loop(Select::new(), listener, waker, opts, stats),
        Model::Poll => run_loop(Poll::new(), listener, waker, opts, stats),
        Model::Epoll => run_loop(Epoll::new()?, listener, waker, opts, stats),
        Model::Threads | Model::Pool => serve_blocking(opts, listener, waker, stats),
    }
}

/// Sockets being served, so shutdown can unblock their threads.
#[derive(Default)]
struct Open {
    next: AtomicU64,
    streams: Mutex<HashMap<u64, TcpStream>>,
    active: AtomicUsize,
}

/// Registers a socket before its thread starts, so shutdown sees every one of them.
fn track(open: &Open, stream: &TcpStream) -> u64 {
    let id = open.next.fetch_add(1, Ordering::Relaxed);
    if let Ok(clone) = stream.try_clone() {
        lock(&open.streams).insert(id, clone);
    }
    id
}

fn echo_client(open: &Open, stats: &Stats, (id, mut stream): (u64, TcpStream)) {
    stats.connection_opened();
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                stats.add_bytes_in(n as u64);
                stats.add_requests(1);
                if let Err(e) = stream.write_all(&buf[..n]) {
                    if CloseReason::of_io_error(&e).is_error() {
                        stats.add_error();
                    }
                    break;
                }
                stats.add_bytes_out(n as u64);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if CloseReason::of_io_error(&e).is_error() {
                    stats.add_error();
                }
                break;
            }
        }
    }
    lock(&open.streams).remove(&id);
    stats.connection_closed();
}

fn serve_blocking(
    opts: &ServeOptions,
    listener: TcpListener,
    signals: Arc<Waker>,
    stats: Arc<Stats>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let open = Arc::new(Open::default());
    let pool = opts.model == Model::Pool;
    let queue: Arc<BoundedQueue<(u64, TcpStream)>> = Arc::new(BoundedQueue::new(opts.pool_queue));
    let mut handles = Vec::new();
    if pool {
        for _ in 0..opts.workers.max(1) {
            let (q, o, s) = (queue.clone(), open.clone(), stats.clone());
            handles.push(
                thread::Builder::new()
                    .stack_size(CLIENT_STACK)
                    .spawn(move || {
                        while let Some(stream) = q.pop() {
                            o.active.fetch_add(1, Ordering::Relaxed);
                            echo_client(&o, &s, stream);
                            o.active.fetch_sub(1, Ordering::Relaxed);
                        }
                    })?,
            );
        }
    }
    let listeners = [(listener, None)];
    let listener = &listeners[0].0;
    while wait_accept(&listeners, &signals) {
        while let Some(stream) = accept_one(listener, &stats) {
            let _ = stream.set_nonblocking(false);
            if open.active.load(Ordering::Relaxed) + queue.len() >= opts.max_clients {
                refuse(stream, "server full", &stats);
            } else if pool {
                let id = track(&open, &stream);
                if let Err((id, stream)) = queue.try_push((id, stream)) {
                    lock(&open.streams).remove(&id);
                    refuse(stream, "server full", &stats);
                }
            } else {
                let stream = (track(&open, &stream), stream);
                let (o, s) = (open.clone(), stats.clone());
                o.active.fetch_add(1, Ordering::Relaxed);
                let spawned = thread::Builder::new()
                    .stack_size(CLIENT_STACK)
                    .spawn(move || {
                        echo_client(&o, &s, stream);
                        o.active.fetch_sub(1, Ordering::Relaxed);
                    });
                match spawned {
                    Ok(h) => handles.push(h),
                    Err(_) => {
                        open.active.fetch_sub(1, Ordering::Relaxed);
                        stats.add_error();
                    }
                }
            }
        }
        if !pool && handles.len() > 64 {
            handles.retain(|h| !h.is_finished());
        }
    }
    drop(listeners);
    queue.close();
    for s in lock(&open.streams).values() {
        let _ = s.shutdown(Shutdown::Both);
    }
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}
