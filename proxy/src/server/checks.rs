//! Active health checks: for each server of a group with `health_check INTERVAL`, a TCP
//! connect every interval. A connect that succeeds is a success (the socket is closed at
//! once); one refused, failed, or still under way when the next interval comes is a failure.
//! `max_fails` failures in a row take the server out until a check succeeds
//! ([`Upstream::failed`]).
//!
//! Check `i` is registered in epoll as `base + i` while its connect is under way, and has a
//! timer under the token the server gives it; both are dropped and made again on a reload.

use crate::server::upstreams::{Group, Upstream};
use netcore::reactor::backend::{Epoll, Readiness};
use netcore::reactor::connect::{self, Connecting};
use netcore::reactor::Reactor;
use netcore::Interest;
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::rc::Rc;
use std::time::{Duration, Instant};

struct Check {
    upstream: Rc<Upstream>,
    group: Rc<Group>,
    interval: Duration,
    /// The connect under way, registered for writability.
    pending: Option<TcpStream>,
}

/// The checks of every server of every group that asks for them.
pub(crate) struct Checks {
    list: Vec<Check>,
    /// The epoll token of check 0.
    base: usize,
    /// The timer token of check `i`.
    timer: fn(usize) -> usize,
}

impl Checks {
    /// The checks of `groups`, the first of each due now.
    pub(crate) fn new(
        groups: &[Rc<Group>],
        base: usize,
        timer: fn(usize) -> usize,
        reactor: &mut Reactor<Epoll>,
    ) -> Checks {
        let mut list = Vec::new();
        for g in groups {
            let Some(interval) = g.health_check else {
                continue;
            };
            for u in &g.servers {
                list.push(Check {
                    upstream: u.clone(),
                    group: g.clone(),
                    interval,
                    pending: None,
                });
            }
        }
        let now = Instant::now();
        for i in 0..list.len() {
            reactor.timers().set(timer(i), now);
        }
        Checks { list, base, timer }
    }

    /// Whether `token` is one of the checks' epoll tokens; its index.
    pub(crate) fn index(&self, token: usize) -> Option<usize> {
        token
            .checked_sub(self.base)
            .filter(|&i| i < self.list.len())
    }

    /// Stops every check: sockets closed, timers cancelled.
    pub(crate) fn clear(&mut self, reactor: &mut Reactor<Epoll>) {
        for i in 0..self.list.len() {
            self.drop_pending(i, reactor);
            reactor.timers().cancel((self.timer)(i));
        }
        self.list.clear();
    }

    fn drop_pending(&mut self, i: usize, reactor: &mut Reactor<Epoll>) {
        if let Some(s) = self.list[i].pending.take() {
            let _ = reactor.backend_mut().deregister(s.as_raw_fd());
        }
    }

    /// Check `i`'s interval came: a connect still under way failed; the next one starts.
    pub(crate) fn on_timer(&mut self, i: usize, reactor: &mut Reactor<Epoll>) {
        let Some(c) = self.list.get(i) else {
            return;
        };
        let now = Instant::now();
        if c.pending.is_some() {
            c.upstream.failed(&c.group, true, now);
            self.drop_pending(i, reactor);
        }
        let c = &mut self.list[i];
        reactor.timers().set((self.timer)(i), now + c.interval);
        match connect::connect(c.upstream.addr) {
            Ok(Connecting::Done(_)) => c.upstream.succeeded(&c.group.name, true),
            Ok(Connecting::InProgress(s)) => {
                match reactor.register(s.as_raw_fd(), self.base + i, Interest::WRITE) {
                    Ok(()) => c.pending = Some(s),
                    Err(_) => c.upstream.failed(&c.group, true, now),
                }
            }
            Err(_) => c.upstream.failed(&c.group, true, now),
        }
    }

    /// Check `i`'s connect is done, one way or the other.
    pub(crate) fn on_ready(&mut self, i: usize, reactor: &mut Reactor<Epoll>) {
        let Some(c) = self.list.get(i) else {
            return;
        };
        let Some(s) = &c.pending else {
            return;
        };
        match connect::finish_connect(s) {
            Ok(false) => return,
            Ok(true) => c.upstream.succeeded(&c.group.name, true),
            Err(_) => c.upstream.failed(&c.group, true, Instant::now()),
        }
        self.drop_pending(i, reactor);
    }
}
