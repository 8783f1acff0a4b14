//! The `pool` model: a fixed set of worker threads fed by a bounded queue.
//!
//! The main thread only accepts and puts sockets into a [`BoundedQueue`] (a `Mutex` around a
//! `VecDeque` and a `Condvar` that workers wait on). Each worker takes a socket and serves
//! that client with [`serve_client`] until it leaves, then takes the next. So at most
//! `workers` clients are served at once; up to `pool_queue` more wait in the queue (without a
//! greeting yet), and past that a new client gets "server full".

use crate::server::Listener;
use crate::threaded::{
    accept_one, lock, refuse_on, serve_client, wait_accept, Shared, CLIENT_STACK,
};
use crate::tls::TlsServer;
use netcore::reactor::signal::Waker;
use std::collections::VecDeque;
use std::io;
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;

/// A bounded multi-producer multi-consumer queue: `try_push` never blocks, `pop` blocks until
/// an item comes or the queue is closed.
#[derive(Debug)]
pub struct BoundedQueue<T> {
    state: Mutex<QueueState<T>>,
    not_empty: Condvar,
    capacity: usize,
}

#[derive(Debug)]
struct QueueState<T> {
    items: VecDeque<T>,
    closed: bool,
}

impl<T> BoundedQueue<T> {
    pub fn new(capacity: usize) -> BoundedQueue<T> {
        BoundedQueue {
            state: Mutex::new(QueueState {
                items: VecDeque::with_capacity(capacity),
                closed: false,
            }),
            not_empty: Condvar::new(),
            capacity,
        }
    }

    /// Adds `item`, or gives it back if the queue is full or closed.
    pub fn try_push(&self, item: T) -> Result<(), T> {
        let mut s = lock(&self.state);
        if s.closed || s.items.len() >= self.capacity {
            return Err(item);
        }
        s.items.push_back(item);
        drop(s);
        self.not_empty.notify_one();
        Ok(())
    }

    /// Takes the oldest item, waiting for one; `None` once closed and empty.
    pub fn pop(&self) -> Option<T> {
        let mut s = lock(&self.state);
        loop {
            if let Some(item) = s.items.pop_front() {
                return Some(item);
            }
            if s.closed {
                return None;
            }
            s = self.not_empty.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Closes the queue: waiting workers return `None`; the items still queued are returned.
    pub fn close(&self) -> Vec<T> {
        let mut s = lock(&self.state);
        s.closed = true;
        let left = s.items.drain(..).collect();
        drop(s);
        self.not_empty.notify_all();
        left
    }

    pub fn len(&self) -> usize {
        lock(&self.state).items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs the pool model until the signal waker fires.
pub fn serve_pool(
    listeners: Vec<Listener>,
    signals: Arc<Waker>,
    shared: Arc<Shared>,
) -> io::Result<()> {
    for (l, _) in &listeners {
        l.set_nonblocking(true)?;
    }
    // A client of the TLS port waits with its server's TLS context; its handshake is done
    // by the worker that takes it.
    type Waiting = (TcpStream, Option<TlsServer>);
    let queue: Arc<BoundedQueue<Waiting>> = Arc::new(BoundedQueue::new(shared.opts.pool_queue));
    let mut workers = Vec::new();
    for i in 0..shared.opts.workers.max(1) {
        let (q, sh) = (queue.clone(), shared.clone());
        let w = thread::Builder::new()
            .name(format!("chat-worker-{i}"))
            .stack_size(CLIENT_STACK)
            .spawn(move || {
                while let Some((stream, tls)) = q.pop() {
                    if sh.stopping() {
                        refuse_on(stream, tls.as_ref(), "server shutting down", &sh.stats);
                    } else {
                        serve_client(&sh, stream, tls.as_ref());
                    }
                    // Counted by the accepting thread when queued.
                    sh.active.fetch_sub(1, Ordering::Relaxed);
                }
            })?;
        workers.push(w);
    }
    while wait_accept(&listeners, &signals) {
        for (listener, tls) in &listeners {
            while let Some(stream) = accept_one(listener, &shared.stats) {
                // `active` counts clients queued or being served.
                if shared.active.load(Ordering::Relaxed) >= shared.opts.max_clients {
                    refuse_on(stream, tls.as_ref(), "server full", &shared.stats);
                    continue;
                }
                shared.active.fetch_add(1, Ordering::Relaxed);
                if let Err((stream, tls)) = queue.try_push((stream, tls.clone())) {
                    shared.active.fetch_sub(1, Ordering::Relaxed);
                    refuse_on(stream, tls.as_ref(), "server full", &shared.stats);
                }
            }
        }
    }
    drop(listeners);
    shared.begin_shutdown();
    for (stream, tls) in queue.close() {
        shared.active.fetch_sub(1, Ordering::Relaxed);
        refuse_on(stream, tls.as_ref(), "server shutting down", &shared.stats);
    }
    for w in workers {
        let _ = w.join();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_bounded_fifo_and_close_releases_waiters() {
        let q = Arc::new(BoundedQueue::new(2));
        q.try_push(1).unwrap();
        q.try_push(2).unwrap();
        assert_eq!(q.try_push(3), Err(3));
        assert_eq!(q.pop(), Some(1));
        let q2 = q.clone();
        let waiter = thread::spawn(move || {
            let mut got = Vec::new();
            while let Some(x) = q2.pop() {
                got.push(x);
            }
            got
        });
        q.try_push(4).unwrap();
        // Whatever the waiter has not taken comes back from close.
        let mut left = q.close();
        let mut got = waiter.join().unwrap();
        got.append(&mut left);
        got.sort();
        assert_eq!(got, [2, 4]);
        assert_eq!(q.try_push(5), Err(5));
    }
}
