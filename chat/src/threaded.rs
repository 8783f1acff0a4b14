//! Blocking, one thread per client: the serving code of the `threads` and `pool` models.
//!
//! A client's thread blocks in `poll(2)` on three descriptors: its socket, its [`Mailbox`]'s
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
//!
//! TLS: a client of the TLS port first does its handshake on its own thread
//! ([`TlsSession::handshake_until`]: `poll(2)` on the socket and the stop waker, bounded by
//! the handshake timeout), so a slow handshake holds up only that thread (in the `pool`
//! model, that worker, for at most the timeout). Then the same loop runs with `SSL_read` and
//! `SSL_write` in place of `read` and `write`: the socket stays non-blocking, `WANT_READ`
//! and `WANT_WRITE` are waits like `EAGAIN`, and bytes OpenSSL has already decrypted are read
//! without waiting for the socket.

use crate::evloop::leave_note;
use crate::room::{After, ClientId, Outlet, Room};
use crate::server::{Listener, ServeOptions};
use crate::tls::{TlsServer, TlsSession};
use netcore::buffered::framing::{Frame, LineFramer};
use netcore::buffered::outqueue::OutQueue;
use netcore::buffered::transport::Transport;
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

/// A client's bounded queue of lines from other threads.
///
/// Double-buffered: the owner swaps the queued bytes out under the mutex and writes them
/// without holding it, so senders never wait for a `write(2)`. The bytes the owner holds
/// (`in_flight`) still count against the limit. No descriptor: the waker beside it is the
/// [`Mailbox`]'s, so the fuzz target (`crate::fuzzing`) runs this very queue without a
/// system call per client.
#[derive(Debug)]
pub struct Outbox {
    state: Mutex<OutboxState>,
    limit: usize,
}

#[derive(Debug)]
struct OutboxState {
    queue: OutQueue,
    /// Bytes the owner took out of `queue` and has not written yet.
    in_flight: usize,
    /// Overflowed: nothing more is queued, the owner disconnects the client.
    cut_off: bool,
}

/// A client's [`Outbox`] and the waker that tells its thread there is something in it.
#[derive(Debug)]
pub(crate) struct Mailbox {
    outbox: Outbox,
    wake: Waker,
}

impl Mailbox {
    fn new(limit: usize) -> io::Result<Mailbox> {
        Ok(Mailbox {
            outbox: Outbox::new(limit),
            wake: Waker::new()?,
        })
    }
}

impl Outbox {
    pub(crate) fn new(limit: usize) -> Outbox {
        Outbox {
            state: Mutex::new(OutboxState {
                queue: OutQueue::new(usize::MAX),
                in_flight: 0,
                cut_off: false,
            }),
            limit,
        }
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
    outboxes: HashMap<ClientId, Arc<Mailbox>>,
}

/// Queues the room's lines on the outboxes, and remembers whom to wake. The wakes are sent
/// after the room's lock is released ([`OutboxOutlet::wake_all`]): one wake per client per
/// chunk of input rather than per line, so a burst of lines costs each receiving thread one
/// wake-up and one write, not one per line.
struct OutboxOutlet<'a> {
    outboxes: &'a HashMap<ClientId, Arc<Mailbox>>,
    to_wake: &'a mut Vec<Arc<Mailbox>>,
}

impl<'a> OutboxOutlet<'a> {
    fn new(
        outboxes: &'a HashMap<ClientId, Arc<Mailbox>>,
        to_wake: &'a mut Vec<Arc<Mailbox>>,
    ) -> Self {
        OutboxOutlet { outboxes, to_wake }
    }
}

impl Outlet for OutboxOutlet<'_> {
    fn send(&mut self, to: ClientId, line: &[u8]) {
        if let Some(o) = self.outboxes.get(&to) {
            if o.outbox.push(line) {
                self.to_wake.push(o.clone());
            }
        }
    }
}

/// Wakes the owners of outboxes that received lines (call without holding the room lock).
fn wake_all(to_wake: &mut Vec<Arc<Mailbox>>) {
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

/// A client's socket, and its TLS session if it came in on the TLS port.
struct Link {
    stream: TcpStream,
    tls: Option<TlsSession>,
}

impl Link {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.tls {
            Some(t) => t.read(buf),
            None => (&self.stream).read(buf),
        }
    }

    /// The last read or write waits for writability (TLS only).
    fn wants_write(&self) -> bool {
        self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// TLS only: bytes a read can return without the socket (decrypted, or records read
    /// ahead); see `Transport::buffered`.
    fn buffered(&self) -> usize {
        self.tls.as_ref().map_or(0, |t| t.buffered())
    }

    /// The TLS goodbye (`close_notify`), best effort.
    fn close(&mut self) {
        if let Some(t) = &mut self.tls {
            t.close();
        }
    }
}

impl Write for Link {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.tls {
            Some(t) => t.write(buf),
            None => NoSignal(&self.stream).write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Refuses a client: a TLS client is just closed (a line in the clear means nothing to it),
/// a plain one is sent the line first.
pub fn refuse_on(stream: TcpStream, tls: Option<&TlsServer>, why: &str, stats: &Stats) {
    if tls.is_some() {
        stats.add_error();
    } else {
        refuse(stream, why, stats);
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

/// Serves one client until it leaves, the server stops, or it is cut off; a client of the
/// TLS port (`tls`) does its handshake first.
pub fn serve_client(shared: &Shared, stream: TcpStream, tls: Option<&TlsServer>) {
    let stats = &*shared.stats;
    if stream.set_nonblocking(true).is_err() {
        stats.add_error();
        return;
    }
    let _ = stream.set_nodelay(true);
    let mailbox = match Mailbox::new(shared.opts.max_queue) {
        Ok(o) => Arc::new(o),
        Err(e) => {
            refuse_on(
                stream,
                tls,
                &format!("server cannot take this connection: {e}"),
                stats,
            );
            return;
        }
    };
    stats.connection_opened();
    let session = match tls {
        None => None,
        Some(tls) => {
            let deadline = Instant::now() + tls.handshake_timeout();
            let fd = stream.as_raw_fd();
            match tls.session(&stream, None).and_then(|mut s| {
                s.handshake_until(fd, deadline, Some(shared.stop.read_fd()))
                    .map(|()| s)
            }) {
                Ok(s) => Some(s),
                Err(_) => {
                    // The session logged why.
                    stats.add_error();
                    stats.connection_closed();
                    return;
                }
            }
        }
    };
    let certified = session.as_ref().and_then(|s| s.peer_common_name());
    let mut link = Link {
        stream,
        tls: session,
    };
    let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
    let mut to_wake = Vec::new();
    let joined;
    {
        let mut m = lock(&shared.members);
        let m = &mut *m;
        m.outboxes.insert(id, mailbox.clone());
        let mut out = OutboxOutlet::new(&m.outboxes, &mut to_wake);
        joined = match &certified {
            // Mutual TLS: the certificate's name is the nick.
            Some(name) => m.room.join_certified(id, name, &mut out),
            None => {
                m.room.join(id, &mut out);
                true
            }
        };
    }
    wake_all(&mut to_wake);
    let mut batch = OutQueue::new(usize::MAX);
    let reason = if joined {
        client_loop(shared, &mut link, &mailbox, &mut batch, id)
    } else {
        CloseReason::Requested
    };
    {
        let mut m = lock(&shared.members);
        let m = &mut *m;
        if reason == CloseReason::Idle {
            mailbox.outbox.push(b"! idle timeout, closing\n");
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
    let close_linger = shared.opts.close_linger;
    if reason.is_graceful() && linger(&mut link, &mailbox.outbox, &mut batch, close_linger, stats) {
        link.close();
    }
    stats.connection_closed();
}

fn client_loop(
    shared: &Shared,
    link: &mut Link,
    mailbox: &Mailbox,
    batch: &mut OutQueue,
    id: ClientId,
) -> CloseReason {
    let stats = &*shared.stats;
    let mut framer = LineFramer::new(shared.opts.max_line);
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_input = Instant::now();
    let mut to_wake = Vec::new();
    loop {
        let pending = match flush_outbox(link, &mailbox.outbox, batch, stats) {
            Ok(p) => p,
            Err(reason) => return reason,
        };
        let timeout = match shared.opts.idle_timeout {
            // Bytes are waiting in OpenSSL: look at the descriptors without sleeping.
            _ if link.buffered() > 0 => Some(Duration::ZERO),
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
                fd: link.stream.as_raw_fd(),
                events: libc::POLLIN
                    | if pending > 0 || link.wants_write() {
                        libc::POLLOUT
                    } else {
                        0
                    },
                revents: 0,
            },
            libc::pollfd {
                fd: mailbox.wake.read_fd(),
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
            mailbox.wake.drain();
        }
        let readable = fds[0].revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
            || link.buffered() > 0
            || (link.wants_write() && fds[0].revents & libc::POLLOUT != 0);
        if !readable {
            continue;
        }
        let n = match link.read(&mut buf) {
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

/// Flushes what is left for a closing client, for at most `linger`. True if all went out.
fn linger(
    link: &mut Link,
    outbox: &Outbox,
    batch: &mut OutQueue,
    linger: Duration,
    stats: &Stats,
) -> bool {
    let deadline = Instant::now() + linger;
    loop {
        match flush_outbox(link, outbox, batch, stats) {
            Ok(0) => return true,
            Err(_) => return false,
            Ok(_) => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        let mut fds = [libc::pollfd {
            fd: link.stream.as_raw_fd(),
            events: libc::POLLOUT,
            revents: 0,
        }];
        poll_fds(&mut fds, Some(left));
    }
}

/// Blocks until a listener has a connection or the signal waker fires. Returns false on
/// the signal.
pub fn wait_accept(listeners: &[Listener], signals: &Waker) -> bool {
    let mut fds: Vec<libc::pollfd> = std::iter::once(signals.read_fd())
        .chain(listeners.iter().map(|(l, _)| l.as_raw_fd()))
        .map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    poll_fds(&mut fds, None);
    fds[0].revents == 0
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
    listeners: Vec<Listener>,
    signals: Arc<Waker>,
    shared: Arc<Shared>,
) -> io::Result<()> {
    for (l, _) in &listeners {
        l.set_nonblocking(true)?;
    }
    let mut handles: Vec<thread::JoinHandle<()>> = Vec::new();
    while wait_accept(&listeners, &signals) {
        for (listener, tls) in &listeners {
            while let Some(stream) = accept_one(listener, &shared.stats) {
                if shared.active.load(Ordering::Relaxed) >= shared.opts.max_clients {
                    refuse_on(stream, tls.as_ref(), "server full", &shared.stats);
                    continue;
                }
                shared.active.fetch_add(1, Ordering::Relaxed);
                let sh = shared.clone();
                let tls = tls.clone();
                let spawned = thread::Builder::new()
                    .name("chat-client".into())
                    .stack_size(CLIENT_STACK)
                    .spawn(move || {
                        serve_client(&sh, stream, tls.as_ref());
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
        }
        if handles.len() > 64 {
            handles.retain(|h| !h.is_finished());
        }
    }
    drop(listeners);
    shared.begin_shutdown();
    for h in handles {
        let _ = h.join();
    }
    Ok(())
}
