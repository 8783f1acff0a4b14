//! Deadlines by token: one per connection, kept in a min-heap so that a loop turn looks only
//! at the deadlines that are due, never at every connection.
//!
//! A server moves a connection's deadline on nearly every read (an idle timer restarts when
//! bytes arrive), and nearly always later. So moving a deadline later costs nothing here: the
//! token keeps its entry in the heap, and when that entry comes due the real deadline is
//! looked at and the entry pushed again for it (the "lazy" timers nginx also uses, there with
//! a red-black tree). Only a deadline moved earlier pushes a new entry; the old one is left
//! behind as stale and skipped when it comes up. Stale entries (also those of cancelled
//! timers) are swept out whenever they outnumber the live ones, so the heap stays within a
//! small multiple of the armed timers: O(log n) per arm and per expiry, amortised O(1) per move.
//!
//! Tokens index a table (they are slab indices, dense and reused), so a token's timer is
//! found without a hash; each heap entry carries a sequence number so that an entry left by
//! a closed connection never fires for the next connection given the same token.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Instant;

/// Deadlines by token, earliest first.
#[derive(Debug, Default)]
pub struct Timers {
    /// `(when, token, seq)`: look at `token` at `when`, if its `armed` is still `seq`.
    heap: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    slots: Vec<Slot>,
    next_seq: u64,
    /// Timers with a deadline (each has exactly one live heap entry).
    live: usize,
}

#[derive(Debug, Default, Clone, Copy)]
struct Slot {
    /// The token's deadline, if it has one.
    deadline: Option<Instant>,
    /// The live heap entry for the token: its time and sequence number.
    armed: Option<(Instant, u64)>,
}

impl Timers {
    pub fn new() -> Timers {
        Timers::default()
    }

    /// Sets `token`'s deadline to `when`, replacing any it had.
    pub fn set(&mut self, token: usize, when: Instant) {
        if token >= self.slots.len() {
            self.slots.resize(token + 1, Slot::default());
        }
        let slot = &mut self.slots[token];
        slot.deadline = Some(when);
        match slot.armed {
            // The entry in the heap comes due first and will be pushed again for `when`.
            Some((at, _)) if at <= when => {}
            armed => {
                if armed.is_none() {
                    self.live += 1;
                }
                self.next_seq += 1;
                slot.armed = Some((when, self.next_seq));
                self.heap.push(Reverse((when, token, self.next_seq)));
                self.compact_if_stale();
            }
        }
    }

    /// Removes `token`'s deadline (a closed connection; a connection without a timer).
    pub fn cancel(&mut self, token: usize) {
        if let Some(slot) = self.slots.get_mut(token) {
            slot.deadline = None;
            if slot.armed.take().is_some() {
                self.live -= 1;
                self.compact_if_stale();
            }
        }
    }

    /// `token`'s deadline.
    pub fn deadline(&self, token: usize) -> Option<Instant> {
        self.slots.get(token)?.deadline
    }

    /// The earliest instant at which [`expired`](Self::expired) may return a token: the time
    /// to wake up at. It may be earlier than any real deadline (an entry moved later or
    /// stale), which costs one early wake-up, never a late one.
    pub fn next_wake(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((when, _, _))| *when)
    }

    /// The next token whose deadline is at or before `now`, its deadline removed; `None` when
    /// no deadline is due. Call it until `None`.
    pub fn expired(&mut self, now: Instant) -> Option<usize> {
        while let Some(&Reverse((when, token, seq))) = self.heap.peek() {
            if when > now {
                return None;
            }
            self.heap.pop();
            let slot = &mut self.slots[token];
            if slot.armed.map(|(_, s)| s) != Some(seq) {
                continue; // stale: superseded or cancelled
            }
            match slot.deadline {
                Some(deadline) if deadline <= now => {
                    slot.deadline = None;
                    slot.armed = None;
                    self.live -= 1;
                    return Some(token);
                }
                Some(later) => {
                    // Moved later since the entry was pushed: push it for the real deadline.
                    self.next_seq += 1;
                    slot.armed = Some((later, self.next_seq));
                    self.heap.push(Reverse((later, token, self.next_seq)));
                }
                None => {
                    slot.armed = None;
                    self.live -= 1;
                }
            }
        }
        None
    }

    /// Timers with a deadline.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Drops the stale entries once they outnumber the live ones (and are more than a few),
    /// so closed connections do not keep the heap growing until their old deadlines pass.
    fn compact_if_stale(&mut self) {
        if self.heap.len() > 2 * self.live + 64 {
            let slots = &self.slots;
            self.heap.retain(|Reverse((_, token, seq))| {
                slots[*token].armed.map(|(_, s)| s) == Some(*seq)
            });
        }
    }

    #[cfg(test)]
    fn heap_len(&self) -> usize {
        self.heap.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(t0: Instant, ms: u64) -> Instant {
        t0 + Duration::from_millis(ms)
    }

    fn drain(t: &mut Timers, now: Instant) -> Vec<usize> {
        std::iter::from_fn(|| t.expired(now)).collect()
    }

    #[test]
    fn fires_in_deadline_order_and_only_when_due() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        t.set(3, at(t0, 30));
        t.set(1, at(t0, 10));
        t.set(2, at(t0, 20));
        assert_eq!(t.next_wake(), Some(at(t0, 10)));
        assert_eq!(drain(&mut t, at(t0, 5)), Vec::<usize>::new());
        assert_eq!(drain(&mut t, at(t0, 20)), vec![1, 2]);
        assert_eq!(t.len(), 1);
        assert_eq!(drain(&mut t, at(t0, 100)), vec![3]);
        assert!(t.is_empty() && t.next_wake().is_none());
    }

    #[test]
    fn a_deadline_moved_later_fires_at_the_new_time_without_a_second_entry() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        t.set(0, at(t0, 10));
        for ms in 11..1000 {
            t.set(0, at(t0, ms));
        }
        assert_eq!(t.heap_len(), 1, "moving later pushes nothing");
        assert_eq!(drain(&mut t, at(t0, 10)), Vec::<usize>::new());
        assert_eq!(
            t.next_wake(),
            Some(at(t0, 999)),
            "re-armed at the real deadline"
        );
        assert_eq!(drain(&mut t, at(t0, 999)), vec![0]);
    }

    #[test]
    fn a_deadline_moved_earlier_fires_early_and_once() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        t.set(0, at(t0, 100));
        t.set(0, at(t0, 10));
        assert_eq!(t.deadline(0), Some(at(t0, 10)));
        assert_eq!(drain(&mut t, at(t0, 10)), vec![0]);
        assert_eq!(
            drain(&mut t, at(t0, 200)),
            Vec::<usize>::new(),
            "the old entry is stale"
        );
    }

    #[test]
    fn a_cancelled_timer_and_a_reused_token_do_not_fire_for_the_old_owner() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        t.set(5, at(t0, 10));
        t.cancel(5);
        assert_eq!(drain(&mut t, at(t0, 50)), Vec::<usize>::new());
        // Token 5 closed with an entry at 60; a new connection on token 5 wants 100.
        t.set(5, at(t0, 60));
        t.cancel(5);
        t.set(5, at(t0, 100));
        assert_eq!(drain(&mut t, at(t0, 60)), Vec::<usize>::new());
        assert_eq!(drain(&mut t, at(t0, 100)), vec![5]);
    }

    #[test]
    fn stale_entries_are_swept_so_the_heap_stays_near_the_live_count() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        // A connection storm: 100k connections open with a 75 s timer and close at once.
        for i in 0..100_000 {
            let token = i % 8;
            t.set(token, at(t0, 75_000 + i as u64));
            t.cancel(token);
        }
        t.set(0, at(t0, 1));
        assert!(t.heap_len() <= 2 * t.len() + 65, "heap {}", t.heap_len());
        assert_eq!(drain(&mut t, at(t0, 1_000_000)), vec![0]);
    }

    #[test]
    fn many_timers_expire_exactly_once_each() {
        let t0 = Instant::now();
        let mut t = Timers::new();
        for token in 0..1000 {
            t.set(token, at(t0, (token * 7919 % 1000) as u64));
        }
        // Move half of them later, a quarter earlier.
        for token in (0..1000).step_by(2) {
            t.set(token, at(t0, 2000 + token as u64));
        }
        for token in (1..1000).step_by(4) {
            t.set(token, at(t0, 0));
        }
        let mut fired = drain(&mut t, at(t0, 999));
        fired.sort();
        let want: Vec<usize> = (1..1000).step_by(2).collect();
        assert_eq!(fired, want);
        let mut late = drain(&mut t, at(t0, 10_000));
        late.sort();
        assert_eq!(late, (0..1000).step_by(2).collect::<Vec<_>>());
        assert!(t.is_empty());
    }
}
