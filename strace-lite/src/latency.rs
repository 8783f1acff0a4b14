//! `-c --latency`: the distribution of each syscall's times, kept in a log-linear
//! histogram (64 sub-buckets per power of two: a percentile is exact to 1/64, about
//! 1.6 %, in bounded memory however many calls there are), with the exact maximum.

use std::time::Duration;

/// Sub-buckets per power of two.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;

/// The times of one syscall, in nanoseconds.
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
}

/// The bucket of `v`: values below 2·SUB have their own; above, SUB per power of two.
fn bucket(v: u64) -> usize {
    if v < 2 * SUB {
        return v as usize;
    }
    let top = 63 - v.leading_zeros(); // >= SUB_BITS + 1
    let shift = top - SUB_BITS;
    let mantissa = (v >> shift) - SUB; // 0..SUB
    (2 * SUB + u64::from(shift - 1) * SUB + mantissa) as usize
}

/// The smallest value in bucket `b`.
fn bucket_floor(b: usize) -> u64 {
    let b = b as u64;
    if b < 2 * SUB {
        return b;
    }
    let shift = (b - 2 * SUB) / SUB + 1;
    let mantissa = (b - 2 * SUB) % SUB;
    (SUB + mantissa) << shift
}

impl Histogram {
    pub fn record(&mut self, d: Duration) {
        let v = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        let b = bucket(v);
        if self.counts.len() <= b {
            self.counts.resize(b + 1, 0);
        }
        self.counts[b] += 1;
        self.total += 1;
        self.max = self.max.max(v);
    }

    /// The nearest-rank `p`-th percentile (0 < p ≤ 100): the smallest recorded time that
    /// at least p % of the calls did not exceed, as the floor of its bucket (at most
    /// 1/64 below it), or exactly the maximum when it falls in the maximum's bucket.
    pub fn percentile(&self, p: f64) -> Duration {
        if self.total == 0 {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (b, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                if b == bucket(self.max) {
                    return Duration::from_nanos(self.max);
                }
                return Duration::from_nanos(bucket_floor(b));
            }
        }
        Duration::from_nanos(self.max)
    }

    pub fn max(&self) -> Duration {
        Duration::from_nanos(self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_ordered_and_contain_their_values() {
        let mut last = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 20) + 12345, u64::MAX / 3, u64::MAX]) {
            let b = bucket(v);
            assert!(b >= last || v < 5000, "{v}");
            assert!(bucket_floor(b) <= v, "{v} below its bucket's floor");
            assert!(
                bucket(bucket_floor(b)) == b,
                "{v}: the floor is in the bucket"
            );
            if b > 0 {
                assert!(bucket_floor(b - 1) < bucket_floor(b), "{v}");
            }
            last = b;
        }
    }

    #[test]
    fn percentiles_within_a_sixty_fourth() {
        let mut h = Histogram::default();
        // 1..=1000 µs: p50 is 500 µs, p99 990 µs, max 1000 µs.
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        for (p, exact) in [(50.0, 500_000u64), (99.0, 990_000), (100.0, 1_000_000)] {
            let got = h.percentile(p).as_nanos() as u64;
            assert!(
                got <= exact && got >= exact - exact / 64,
                "p{p}: {got} vs {exact}"
            );
        }
        assert_eq!(h.max(), Duration::from_micros(1000));
        assert_eq!(Histogram::default().percentile(50.0), Duration::ZERO);
    }
}
