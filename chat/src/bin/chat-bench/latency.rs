//! Every delivery's latency, kept as runs of equal values so that the 99th percentile over
//! millions of deliveries is exact without storing one number per delivery.
//!
//! The deliveries one read completes share its time of receipt, and the messages one write
//! of the publisher completes share their time of sending, so a read's deliveries fall into
//! a few runs of one latency each: a run costs one entry, whatever its length. (One entry
//! per delivery was 8 bytes each, tens of MB per run, whose page faults alone cost the load
//! generator several ns per delivered message.)

/// Latencies in nanoseconds, as `(latency, deliveries)` runs.
#[derive(Default, Debug)]
pub struct Latencies {
    runs: Vec<(u64, u64)>,
}

impl Latencies {
    /// Records one delivery per element of `sent_at` (when each message was sent, in ns),
    /// all received at `now`.
    pub fn record(&mut self, now: u64, mut sent_at: &[u64]) {
        while let Some(&first) = sent_at.first() {
            let n = sent_at.iter().take_while(|&&t| t == first).count();
            let latency = now.saturating_sub(first);
            match self.runs.last_mut() {
                Some((l, count)) if *l == latency => *count += n as u64,
                _ => self.runs.push((latency, n as u64)),
            }
            sent_at = &sent_at[n..];
        }
    }

    /// Deliveries recorded.
    pub fn count(&self) -> u64 {
        self.runs.iter().map(|&(_, n)| n).sum()
    }

    /// The `pct` percentile (0..=100) of the recorded latencies, in nanoseconds: the
    /// smallest latency at least `pct` % of the deliveries had (rank rounded up).
    pub fn percentile(&mut self, pct: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64 * pct / 100.0).ceil() as u64).clamp(1, total);
        self.runs.sort_unstable_by_key(|&(l, _)| l);
        let mut seen = 0;
        for &(latency, n) in &self.runs {
            seen += n;
            if seen >= rank {
                return Some(latency);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Latencies recorded one delivery at a time.
    fn one_by_one(values: impl IntoIterator<Item = u64>) -> Latencies {
        let mut l = Latencies::default();
        for v in values {
            l.record(v, &[0]);
        }
        l
    }

    #[test]
    fn percentile_takes_the_rank_rounded_up() {
        let mut l = one_by_one((1..=100).rev());
        assert_eq!(l.percentile(99.0), Some(99));
        assert_eq!(l.percentile(100.0), Some(100));
        assert_eq!(l.percentile(50.0), Some(50));
        assert_eq!(one_by_one([7]).percentile(99.0), Some(7));
        assert_eq!(Latencies::default().percentile(99.0), None);
    }

    #[test]
    fn runs_count_each_delivery_once() {
        let mut l = Latencies::default();
        // Received at 100: three sent at 10, two at 40, one at 90.
        l.record(100, &[10, 10, 10, 40, 40, 90]);
        // Received at 101, sent at 91: latency 10, the last run's, which it joins.
        l.record(101, &[91]);
        assert_eq!(l.count(), 7);
        assert_eq!(l.runs, [(90, 3), (60, 2), (10, 2)]);
        // Sorted: 10 10 60 60 90 90 90.
        assert_eq!(l.percentile(50.0), Some(60));
        assert_eq!(l.percentile(25.0), Some(10));
        assert_eq!(l.percentile(60.0), Some(90));
        assert_eq!(l.percentile(100.0), Some(90));
    }

    #[test]
    fn runs_give_the_same_percentiles_as_every_value_kept() {
        // Sent in batches (equal stamps), received in reads that end mid-batch.
        let sent: Vec<u64> = (0..1000u64).map(|i| i / 7 * 13).collect();
        let mut runs = Latencies::default();
        let mut every = Vec::new();
        for (i, chunk) in sent.chunks(11).enumerate() {
            let now = chunk[chunk.len() - 1] + 17 * (i as u64 % 5);
            runs.record(now, chunk);
            every.extend(chunk.iter().map(|&t| now - t));
        }
        every.sort_unstable();
        for pct in [1.0, 50.0, 90.0, 99.0, 99.9, 100.0] {
            let rank = ((every.len() as f64 * pct / 100.0).ceil() as usize).clamp(1, every.len());
            assert_eq!(runs.percentile(pct), Some(every[rank - 1]), "{pct}");
        }
    }
}
