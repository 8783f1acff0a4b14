//! The groups of upstream servers at run time: which server a client goes to (round-robin
//! or least-connections), how many connections each has, and whether it is out.
//!
//! A server is shared (`Rc`) by its group and by the connections on it, so a reload that
//! keeps a server (same group name, same address) keeps its counts and its health, and a
//! connection made before a reload still gives its count back when it ends ([`Lease`]).
//!
//! Health: `max_fails` failed connects in a row take a server out for `fail_timeout`
//! (passive); with active checks, `max_fails` failed checks in a row take it out until a
//! check succeeds. A server that is out is not chosen while another of its group is in; when
//! every one is out, they are all tried as if in, rather than every client refused until a
//! timer runs out.

use crate::config::{Balance, GroupConf, ProxyHeader};
use std::cell::Cell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Why a server is out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Out {
    /// Failed connects: back at this time.
    Until(Instant),
    /// Failed active checks: back when one succeeds.
    UntilCheck,
}

#[derive(Debug)]
pub(crate) struct Upstream {
    pub(crate) addr: SocketAddr,
    /// Connections on it now, connecting ones included (for least-connections).
    active: Cell<usize>,
    /// Connects (or checks) failed in a row.
    fails: Cell<u32>,
    out: Cell<Option<Out>>,
}

impl Upstream {
    fn new(addr: SocketAddr) -> Upstream {
        Upstream {
            addr,
            active: Cell::new(0),
            fails: Cell::new(0),
            out: Cell::new(None),
        }
    }

    pub(crate) fn active(&self) -> usize {
        self.active.get()
    }

    /// Whether it is out now; a passive time-out that has passed brings it back (logged).
    pub(crate) fn is_out(&self, now: Instant, group: &str) -> bool {
        match self.out.get() {
            None => false,
            Some(Out::UntilCheck) => true,
            Some(Out::Until(t)) if now < t => true,
            Some(Out::Until(_)) => {
                self.out.set(None);
                self.fails.set(0);
                super::log_line(format_args!(
                    "proxy: upstream {} of group {group} back in (fail_timeout passed)",
                    self.addr
                ));
                false
            }
        }
    }

    /// A connect (`check`: false) or a check succeeded: the failures in a row start again,
    /// and a server that was out is back (it was tried as a last resort, or checked).
    pub(crate) fn succeeded(&self, group: &str, check: bool) {
        self.fails.set(0);
        if self.out.take().is_some() {
            super::log_line(format_args!(
                "proxy: upstream {} of group {group} back in ({} succeeded)",
                self.addr,
                if check { "check" } else { "connect" }
            ));
        }
    }

    /// A connect (`check`: false) or a check failed; the `max_fails`th in a row takes it out.
    pub(crate) fn failed(&self, g: &Group, check: bool, now: Instant) {
        let n = self.fails.get().saturating_add(1);
        self.fails.set(n);
        if g.max_fails == 0 || n < g.max_fails || self.out.get().is_some() {
            return;
        }
        let (out, why) = if check {
            (Out::UntilCheck, "until a check succeeds".to_string())
        } else {
            (
                Out::Until(now + g.fail_timeout),
                format!("for {:?}", g.fail_timeout),
            )
        };
        self.out.set(Some(out));
        super::log_line(format_args!(
            "proxy: upstream {} of group {} out after {n} failed {} in a row, {why}",
            self.addr,
            g.name,
            if check { "checks" } else { "connects" },
        ));
    }
}

/// A connection's hold on a server: counted in its `active` while held.
#[derive(Debug)]
pub(crate) struct Lease(pub(crate) Rc<Upstream>);

impl Lease {
    fn new(u: &Rc<Upstream>) -> Lease {
        u.active.set(u.active.get() + 1);
        Lease(u.clone())
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.0.active.set(self.0.active.get().saturating_sub(1));
    }
}

#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) servers: Vec<Rc<Upstream>>,
    pub(crate) balance: Balance,
    pub(crate) max_fails: u32,
    pub(crate) fail_timeout: Duration,
    pub(crate) health_check: Option<Duration>,
    pub(crate) send_proxy: Option<ProxyHeader>,
    /// Where the next client's turn starts.
    next: Cell<usize>,
}

impl Group {
    /// The group of `conf`, keeping the servers (their counts and health) of `old` with the
    /// same address.
    pub(crate) fn new(conf: &GroupConf, old: Option<&Group>) -> Group {
        let servers = conf
            .servers
            .iter()
            .map(|&a| {
                old.and_then(|g| g.servers.iter().find(|u| u.addr == a).cloned())
                    .unwrap_or_else(|| Rc::new(Upstream::new(a)))
            })
            .collect();
        Group {
            name: conf.name.clone(),
            servers,
            balance: conf.balance,
            max_fails: conf.max_fails,
            fail_timeout: conf.fail_timeout,
            health_check: conf.health_check,
            send_proxy: conf.send_proxy,
            next: Cell::new(old.map_or(0, |g| g.next.get())),
        }
    }

    /// Where a new client's turn starts: one further each client.
    pub(crate) fn start(&self) -> usize {
        let i = self.next.get();
        self.next.set(i.wrapping_add(1));
        i
    }

    /// The server for a client whose turn starts at `first`, not one of `tried`: the first
    /// in turn that is in (round-robin) or the one with the fewest connections (ties in
    /// turn); servers out only when every untried one is. `None`: every one was tried.
    pub(crate) fn pick(&self, first: usize, tried: &[SocketAddr], now: Instant) -> Option<Lease> {
        let n = self.servers.len();
        let order = (0..n).map(|k| &self.servers[first.wrapping_add(k) % n]);
        let untried: Vec<&Rc<Upstream>> = order.filter(|u| !tried.contains(&u.addr)).collect();
        let inside: Vec<&Rc<Upstream>> = untried
            .iter()
            .copied()
            .filter(|u| !u.is_out(now, &self.name))
            .collect();
        let pool = if inside.is_empty() { untried } else { inside };
        let chosen = match self.balance {
            Balance::RoundRobin => pool.first().copied(),
            // `min_by_key` keeps the first of equals: ties go in turn.
            Balance::LeastConnections => pool.iter().copied().min_by_key(|u| u.active()),
        };
        chosen.map(Lease::new)
    }

    pub(crate) fn describe(&self) -> String {
        let v: Vec<String> = self.servers.iter().map(|u| u.addr.to_string()).collect();
        v.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::GroupConf;

    fn group(balance: Balance, ports: &[u16]) -> Group {
        let mut c = GroupConf::new("g");
        c.balance = balance;
        c.max_fails = 2;
        c.fail_timeout = Duration::from_secs(10);
        c.servers = ports
            .iter()
            .map(|p| SocketAddr::from(([127, 0, 0, 1], *p)))
            .collect();
        Group::new(&c, None)
    }

    #[test]
    fn round_robin_starts_in_turn_and_retries_move_on() {
        let g = group(Balance::RoundRobin, &[1, 2, 3]);
        let now = Instant::now();
        let port = |l: Option<Lease>| l.unwrap().0.addr.port();
        let first = g.start();
        assert_eq!(port(g.pick(first, &[], now)), 1);
        assert_eq!(port(g.pick(g.start(), &[], now)), 2);
        let tried = [g.servers[0].addr, g.servers[1].addr];
        assert_eq!(port(g.pick(first, &tried, now)), 3);
        let all: Vec<SocketAddr> = g.servers.iter().map(|u| u.addr).collect();
        assert!(g.pick(first, &all, now).is_none());
    }

    #[test]
    fn least_connections_takes_the_least_busy_and_leases_count() {
        let g = group(Balance::LeastConnections, &[1, 2]);
        let now = Instant::now();
        let a = g.pick(0, &[], now).unwrap();
        assert_eq!(a.0.addr.port(), 1);
        // Server 1 holds one: the next two clients, whatever their turn, go to 2, then ties.
        let b = g.pick(0, &[], now).unwrap();
        assert_eq!(b.0.addr.port(), 2);
        let c = g.pick(1, &[], now).unwrap();
        assert_eq!(c.0.addr.port(), 2);
        drop((a, b, c));
        assert!(g.servers.iter().all(|u| u.active() == 0));
    }

    #[test]
    fn failures_in_a_row_take_a_server_out_for_a_while() {
        let g = group(Balance::RoundRobin, &[1, 2]);
        let now = Instant::now();
        let one = &g.servers[0];
        one.failed(&g, false, now);
        one.succeeded("g", false);
        one.failed(&g, false, now);
        assert!(!one.is_out(now, "g"), "not two in a row");
        one.failed(&g, false, now);
        assert!(one.is_out(now, "g"));
        assert_eq!(g.pick(0, &[], now).unwrap().0.addr.port(), 2);
        // All out: tried anyway.
        let tried = [g.servers[1].addr];
        assert_eq!(g.pick(0, &tried, now).unwrap().0.addr.port(), 1);
        // Back after fail_timeout.
        assert!(!one.is_out(now + Duration::from_secs(11), "g"));
        // Out by checks: until a check succeeds, whatever the time.
        one.failed(&g, true, now);
        one.failed(&g, true, now);
        assert!(one.is_out(now + Duration::from_secs(3600), "g"));
        one.succeeded("g", false);
        assert!(!one.is_out(now, "g"));
    }

    #[test]
    fn a_reload_keeps_the_state_of_kept_servers() {
        let old = group(Balance::RoundRobin, &[1, 2]);
        let lease = old.pick(0, &[], Instant::now()).unwrap();
        let mut c = GroupConf::new("g");
        c.servers = vec![SocketAddr::from(([127, 0, 0, 1], 1))];
        let new = Group::new(&c, Some(&old));
        assert_eq!(new.servers[0].active(), 1);
        drop(lease);
        assert_eq!(new.servers[0].active(), 0);
    }
}
