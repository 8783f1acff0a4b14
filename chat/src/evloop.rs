//! The chat on netcore's single-threaded event loop: the `select`, `poll` and `epoll` models.
//!
//! [`ChatService`] adapts the [`Room`] to [`netcore::Service`]: bytes become lines through one
//! [`LineFramer`] per connection, and the room's output is queued on the connections, which
//! the loop flushes with one write per connection per turn. The three models differ only in
//! the backend type given to [`run`].

use crate::room::{After, Outlet, Room};
use crate::server::{Listener, ServeOptions};
use netcore::buffered::framing::{Frame, LineFramer};
use netcore::buffered::transport::Upgrade;
use netcore::reactor::signal::Waker;
use netcore::{CloseReason, Conns, EventLoop, Readiness, Service, Stats, Token};
use std::io;
use std::ops::ControlFlow;
use std::sync::Arc;

/// The room's lines go onto the loop's connection queues.
struct ConnsOutlet<'a>(&'a mut Conns);

impl Outlet for ConnsOutlet<'_> {
    fn send(&mut self, to: u64, line: &[u8]) {
        self.0.send(to as Token, line);
    }
}

/// The chat protocol as a netcore service.
pub struct ChatService {
    room: Room,
    /// Indexed by token: the partial line of each connection.
    framers: Vec<Option<LineFramer>>,
    max_line: usize,
}

impl ChatService {
    pub fn new(max_line: usize, stats: Arc<Stats>) -> ChatService {
        ChatService {
            room: Room::new(max_line, stats),
            framers: Vec::new(),
            max_line,
        }
    }
}

/// The words added to a leave notice for each way a connection ends.
pub fn leave_note(reason: CloseReason) -> Option<&'static str> {
    match reason {
        CloseReason::PeerClosed | CloseReason::Requested | CloseReason::Shutdown => None,
        CloseReason::Idle => Some("idle"),
        CloseReason::SlowConsumer => Some("too slow"),
        CloseReason::Reset => Some("connection reset"),
        CloseReason::Error => Some("connection error"),
    }
}

impl Service for ChatService {
    fn on_open(&mut self, conns: &mut Conns, id: Token) {
        if self.framers.len() <= id {
            self.framers.resize_with(id + 1, || None);
        }
        self.framers[id] = Some(LineFramer::new(self.max_line));
        match conns.peer_name(id) {
            // Mutual TLS: the certificate's name is the nick.
            Some(name) => {
                if !self
                    .room
                    .join_certified(id as u64, &name, &mut ConnsOutlet(conns))
                {
                    conns.close(id);
                }
            }
            None => self.room.join(id as u64, &mut ConnsOutlet(conns)),
        }
    }

    fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]) {
        let Some(mut framer) = self.framers.get_mut(id).and_then(Option::take) else {
            return;
        };
        let room = &mut self.room;
        // The lines of one read relayed together: see `Room::begin_batch`.
        room.begin_batch();
        let _ = framer.feed(data, |frame| {
            let mut out = ConnsOutlet(conns);
            match frame {
                Frame::Line(line) => match room.handle_line(id as u64, line, &mut out) {
                    After::Continue => ControlFlow::Continue(()),
                    After::Quit => {
                        conns.close(id);
                        ControlFlow::Break(())
                    }
                },
                Frame::TooLong => {
                    room.line_too_long(id as u64, &mut out);
                    ControlFlow::Continue(())
                }
            }
        });
        room.end_batch(&mut ConnsOutlet(conns));
        self.framers[id] = Some(framer);
    }

    fn on_close(&mut self, conns: &mut Conns, id: Token, reason: CloseReason) {
        if reason == CloseReason::Idle {
            conns.send(id, b"! idle timeout, closing\n");
        }
        let announce = reason != CloseReason::Shutdown;
        self.room.leave(
            id as u64,
            leave_note(reason),
            announce,
            &mut ConnsOutlet(conns),
        );
        if let Some(f) = self.framers.get_mut(id) {
            *f = None;
        }
    }

    fn refusal(&self, why: &str) -> Vec<u8> {
        format!("! {why}\n").into_bytes()
    }

    fn on_shutdown(&mut self, conns: &mut Conns) {
        self.room
            .notice_all("server shutting down", &mut ConnsOutlet(conns));
    }
}

/// Serves the chat on `listeners` with `backend` until `waker` is woken. A TLS listener's
/// connections do their handshake in the loop, non-blocking, before they join the room.
pub fn run<B: Readiness>(
    backend: B,
    listeners: Vec<Listener>,
    waker: Arc<Waker>,
    opts: &ServeOptions,
    stats: Arc<Stats>,
) -> io::Result<()> {
    let mut service = ChatService::new(opts.max_line, stats.clone());
    let listeners = listeners
        .into_iter()
        .map(|(l, tls)| (l, tls.map(|t| Box::new(t) as Box<dyn Upgrade>)))
        .collect();
    let mut event_loop =
        EventLoop::with_listeners(backend, listeners, waker, opts.loop_config(), stats)?;
    event_loop.run(&mut service)
}
