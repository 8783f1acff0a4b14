//! Blocking, one thread per client: the serving code of the `threads` and `pool` models.
//!
//! A client's thread blocks in `poll(2)` on three descriptors: its socket, its [`Outbox`]'s
//! waker and the server's stop waker. Lines from other clients do not touch its socket: the
//! sender's thread appends them to this client's bounded outbox (under the outbox's mutex) and
//! wakes it, once per chunk of input rather than per line; this thread then writes the whole
//! outbox with one non-blocking write. So a client
//! that stops reading stalls nobody: its outbox fills, and past `max_queue` it is cut off
//! (the same slow-consumer policy as the event loops).
//!
//! The [`Room`] is shared behind one mutex; the `threads` model ([`serve_threads`]) spawns a
//! thread per accepted client, the `pool` model ([`crate::pool`]) hands clients to a fixed set
//! of workers that run the same [`serve_client`].

use crate::evloop::leave_note;
use crate::room::{After, ClientId, Outlet, Room};
use crate::server::ServeOptions;
use netcore::buffered::framing::{Frame, LineFramer};
use netcore::buffered::outqueue::OutQueue;
use netcore::reactor::send::{send, NoSignal};
use netcore::reactor::signal::Waker;
use netcore::{CloseReason, Stats};
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::ops::ControlFlow;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// Stack size of a client thread: they hold little, and 500 of them should not reserve 4 GiB.
pub const CLIENT_STACK: usize = 256 * 1024;

/// Locks, ignoring poisoning: a panicked client thread must not take the server down.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A client's bounded queue of lines from other threads, and the waker that tells its thread.
///
/// Double-buffered: the owner swaps the queued bytes out under the mutex and writes them
/// without holding it, so senders never wait for a `write(2)`. The bytes the owner holds
/// (`in_flight`) still count against the limit.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<OutboxState>,
    limit: usize,
    wake: Waker,
}

#[derive(Debug)]
struct OutboxState {
    queue: OutQueue,
    /// Bytes the owner took out of `queue` and has not written yet.
    in_flight: usize,
    /// Overflowed: nothing more is queued, the owner disconnects the client.
    cut_off: bool,
}

impl Outbox {
    pub(crate) fn new(limit: usize) -> io::Result<Outbox> {
        Ok(Outbox {
            state: Mutex::new(OutboxState {
                queue: OutQueue::new(usize::MAX),
                in_flight: 0,
                cut_off: false,
            }),
            limit,
            wake: Waker::new()?,
        })
    }

    /// Queues `bytes`; returns true if the owner must be woken (it had nothing to write, or
    /// the client just overflowed and is cut off).
    pub(crate) fn push(&self, bytes: &[u8]) -> bool {
        let mut s = lock(&self.state);
        if s.cut_off {
            return false;
        }
        let idle = s.queue.is_empty() && s.in_flight == 0;
        if s.queue.pending() + s.in_flight + bytes.len() > self.limit {
            s.queue.clear();
            s.cut_off = true;
            return true;
        }
        // Cannot fail: the queue itself is unbounded, the limit is checked above.
        let _ = s.queue.push(bytes);
        idle
    }

    /// Bytes held for the client: queued, and taken by the owner but not yet written.
    pub(crate) fn held(&self) -> usize {
        let s = lock(&self.state);
        s.queue.pending() + s.in_flight
    }

    /// Whether the client overflowed and is being cut off.
    pub(crate) fn is_cut_off(&self) -> bool {
        lock(&self.state).cut_off
    }
}

/// The room and every client's outbox, under one mutex.
#[derive(Debug)]
pub struct Members {
    pub room: Room,
    outboxes: HashMap<ClientId, Arc<Outbox>>,
}

/// Queues the room's lines on the outboxes, and remembers whom to wake. The wakes are sent
/// after the room's lock is released ([`OutboxOutlet::wake_all`]): one wake per client per
/// chunk of input rather than per line, so a burst of lines costs each receiving thread one
/// wake-up and one write, not one per line.
struct OutboxOutlet<'a> {
    outboxes: &'a HashMap<ClientId, Arc<Outbox>>,
    to_wake: &'a mut Vec<Arc<Outbox>>,
}

impl<'a> OutboxOutlet<'a> {
    fn new(
        outboxes: &'a HashMap<ClientId, Arc<Outbox>>,
        to_wake: &'a mut Vec<Arc<Outbox>>,
    ) -> Self {
        OutboxOutlet { outboxes, to_wake }
    }
}

impl Outlet for OutboxOutlet<'_> {
    fn send(&mut self, to: ClientId, line: &[u8]) {
        if let Some(o) = self.outboxes.get(&to) {
            if o.push(line) {
                self.to_wake.push(o.clone());
            }
        }
    }
}

/// Wakes the owners of outboxes that received lines (call without holding the room lock).
fn wake_all(to_wake: &mut Vec<Arc<Outbox>>) {
    for o in to_wake.drain(..) {
        o.wake.wake();
    }
}

/// What every client thread shares.
#[derive(Debug)]
pub struct Shared {
    members: Mutex<Members>,
    pub stats: Arc<Stats>,
    pub opts: ServeOptions,
    /// Woken once at shutdown and never drained, so every thread polling it sees it.
    stop: Waker,
    /// Clients being served now.
    pub active: AtomicUsize,
    next_id: AtomicU64,
}

impl Shared {
    pub fn new(opts: ServeOptions, stats: Arc<Stats>) -> io::Result<Shared> {
        Ok(Shared {
            members: Mutex::new(Members {
                room: Room::new(opts.max_line, stats.clone()),
                outboxes: HashMap::new(),
            }),
            stats,
            opts,
            stop: Waker::new()?,
            active: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        })
    }

    /// Tells everyone the server is going down, then wakes every client thread to finish.
    pub fn begin_shutdown(&self) {
        let mut to_wake = Vec::new();
        {
            let mut m = lock(&self.members);
            let m = &mut *m;
            m.room.notice_all(
                "server shutting down",
                &mut OutboxOutlet::new(&m.outboxes, &mut to_wake),
            );
        }
        wake_all(&mut to_wake);
        self.stop.wake();
    }

    pub fn stopping(&self) -> bool {
        self.stop.is_woken()
    }
}

/// Sends a refusal line (best effort, never blocks) and closes.
pub fn refuse(stream: TcpStream, why: &str, stats: &Stats) {
    stats.add_error();
    let _ = stream.set_nonblocking(true);
    if let Ok(n) = send(&stream, format!("! {why}\n").as_bytes(), false) {
        stats.add_bytes_out(n as u64);
    }
}

/// One write for the client (to `w`, its socket): takes what is queued (if the last batch
/// is done), writes without holding the outbox's lock, and returns the bytes still to write.
/// `Err` if the client is cut off or the socket failed.
pub(crate) fn flush_outbox(
    w: &mut impl Write,
    outbox: &Outbox,
    batch: &mut OutQueue,
    stats: &Stats,
) -> Result<usize, CloseReason> {
    {
        let mut s = lock(&outbox.state);
        if s.cut_off {
            return Err(CloseReason::SlowConsumer);
        }
        if batch.is_empty() {
            std::mem::swap(batch, &mut s.queue);
            s.in_flight = batch.pending();
        }
    }
    let written = batch
        .write_once(w)
        .map_err(|e| CloseReason::of_io_error(&e))?;
    stats.add_bytes_out(written as u64);
    let mut s = lock(&outbox.state);
    s.in_flight = batch.pending();
    Ok(batch.pending() + s.queue.pending())
}

fn poll_fds(fds: &mut [libc::pollfd], timeout: Option<Duration>) {
    let ms = match timeout {
        None => -1,
        Some(d) => d.as_millis().clamp(1, i32::MAX as u128) as libc::c_int,
    };
    // SAFETY: the slice is live for the call; EINTR just returns early.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
}

/// Serves one client until it leaves, the server stops, or it is cut off.
pub fn serve_client(shared: &Shared, stream: TcpStream) {
    let stats = &*shared.stats;
    if stream.set_nonblocking(true).is_err() {
        stats.add_error();
        return;
    }
    let _ = stream.set_nodelay(true);
    let outbox = match Outbox::new(shared.opts.max_queue) {
        Ok(o) => Arc::new(o),
        Err(e) => {
            refuse(
                stream,
                &format!("server cannot take this connection: {e}"),
                stats,
            );
            return;
        }
    };
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    stats.connection_opened();
    let mut to_wake = Vec::new();
    {
        let mut m = lock(&shared.members);
        let m = &mut *m;
        m.outboxes.insert(id, outbox.clone());
        m.room
            .join(id, &mut OutboxOutlet::new(&m.outboxes, &mut to_wake));
    }
    wake_all(&mut to_wake);
    let mut batch = OutQueue::new(usize::MAX);
    let reason = client_loop(shared, &stream, &outbox, &mut batch, id);
    {
        let mut m = lock(&shared.members);
        let m = &mut *m;
        if reason == CloseReason::Idle {
            outbox.push(b"! idle timeout, closing\n");
        }
        if reason.is_error() {
            stats.add_error();
        }
        let announce = reason != CloseReason::Shutdown;
        m.room.leave(
            id,
            leave_note(reason),
            announce,
            &mut OutboxOutlet::new(&m.outboxes, &mut to_wake),
        );
        m.outboxes.remove(&id);
    }
    wake_all(&mut to_wake);
    if reason.is_graceful() {
        linger(
            &stream,
            &outbox,
            &mut batch,
            shared.opts.close_linger,
            stats,
        );
    }
    stats.connection_closed();
}

fn client_loop(
    shared: &Shared,
    stream: &TcpStream,
    outbox: &Outbox,
    batch: &mut OutQueue,
    id: ClientId,
) -> CloseReason {
    let stats = &*shared.stats;
    let mut framer = LineFramer::new(shared.opts.max_line);
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_input = Instant::now();
    let mut to_wake = Vec::new();
    loop {
        let pending = match flush_outbox(&mut NoSignal(stream), outbox, batch, stats) {
            Ok(p) => p,
            Err(reason) => return reason,
        };
        let timeout = match shared.opts.idle_timeout {
            Some(idle) => {
                let left = idle.saturating_sub(last_input.elapsed());
                if left.is_zero() {
                    return CloseReason::Idle;
                }
                Some(left)
            }
            None => None,
        };
        let mut fds = [
            libc::pollfd {
                fd: stream.as_raw_fd(),
                events: libc::POLLIN | if pending > 0 { libc::POLLOUT } else { 0 },
                revents: 0,
            },
            libc::pollfd {
                fd: outbox.wake.read_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: shared.stop.read_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        poll_fds(&mut fds, timeout);
        if fds[2].revents != 0 {
            return CloseReason::Shutdown;
        }
        if fds[1].revents != 0 {
            outbox.wake.drain();
        }
        if fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) == 0 {
            continue;
        }
        let n = match (&*stream).read(&mut buf) {
            Ok(0) => return CloseReason::PeerClosed,
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
                ) =>
            {
                continue
            }
            Err(e) => {
                return CloseReason::of_io_error(&e);
            }
        };
        last_input = Instant::now();
        stats.add_bytes_in(n as u64);
        let mut guard = lock(&shared.members);
        let m = &mut *guard;
        let flow = framer.feed(&buf[..n], |frame| {
            let mut out = OutboxOutlet::new(&m.outboxes, &mut to_wake);
            match frame {
                Frame::Line(line) => match m.room.handle_line(id, line, &mut out) {
                    After::Continue => ControlFlow::Continue(()),
                    After::Quit => ControlFlow::Break(()),
                },
                Frame::TooLong => {
                    m.room.line_too_long(id, &mut out);
                    ControlFlow::Continue(())
                }
            }
        });
        drop(guard);
        wake_all(&mut to_wake);
        if flow.is_break() {
            return CloseReason::Requested;
        }
    }
}

/// Flushes what is left for a closing client, for at most `linger`.
fn linger(
    stream: &TcpStream,
    outbox: &Outbox,
    batch: &mut OutQueue,
    linger: Duration,
    stats: &Stats,
) {
    let deadline = Instant::now() + linger;
    loop {
        match flush_outbox(&mut NoSignal(stream), outbox, batch, stats) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        let mut fds = [libc::pollfd {
            fd: stream.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        }];
        poll_fds(&mut fds, Some(left));
    }
}

/// Blocks until the listener has a connection or the signal waker fires. Returns false on
/// the signal.
pub fn wait_accept(listener: &TcpListener, signals: &Waker) -> bool {
    let mut fds = [
        libc::pollfd {
            fd: listener.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: signals.read_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    poll_fds(&mut fds, None);
    fds[1].revents == 0
}

/// Accepts one connection if there is one; logs and sleeps briefly on EMFILE so the loop does
/// not spin.
pub fn accept_one(listener: &TcpListener, stats: &Stats) -> Option<TcpStream> {
    match listener.accept() {
        Ok((s, _)) => Some(s),
        Err(e) if matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) => {
            stats.add_error();
            eprintln!("chat: accept: {e}");
            thread::sleep(Duration::from_millis(10));
            None
        }
        Err(_) => None,
    }
}

/// The `threads` model: the main thread accepts, each client gets its own thread.
pub fn serve_threads(
    listener: TcpListener,
    signals: Arc<Waker>,
    shared: Arc<Shared>,
) -> io::Result<()> {
    listener.set_nonblocking(true)?;
    let mut handles: Vec<thread::JoinHandle<()>> = Vec::new();
    while wait_accept(&listener, &signals) {
        while let Some(stream) = accept_one(&listener, &shared.stats) {
            if shared.active.load(Ordering::Relaxed) >= shared.opts.max_clients {
                refuse(stream, "server full", &shared.stats);
                continue;
            }
            shared.active.fetch_add(1, Ordering::Relaxed);
            let sh = shared.clone();
            let spawned = thread::Builder::new()
                .name("chat-client".into())
                .stack_size(CLIENT_STACK)
                .spawn(move || {
                    serve_client(&sh, stream);
                    sh.active.fetch_sub(1, Ordering::Relaxed);
                });
            match spawned {
                Ok(h) => handles.push(h),
                Err(e) => {
                    shared.active.fetch_sub(1, Ordering::Relaxed);
                    shared.stats.add_error();
                    eprintln!("chat: cannot spawn a client thread: {e}");
                }
            }
        }
        if handles.len() > 64 {
            handles.retain(|h| !h.is_finished());
        }
    }
    drop(listener);
    shared.begin_shutdown();
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}
