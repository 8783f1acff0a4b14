//! `-c` / `-C`: calls, errors and time per syscall, printed as strace's table; with
//! `--latency`, a second table of each syscall's p50, p99 and maximum time.

use crate::cli::{SortKey, SummaryColumn};
use crate::latency::Histogram;
use crate::syscall_table;
use std::collections::HashMap;
use std::time::Duration;

/// Totals of one syscall.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    calls: u64,
    errors: u64,
    time: Duration,
    min: Option<Duration>,
    max: Duration,
}

impl Counts {
    /// strace's `time_avg`: the total divided by the calls, rounded to the nanosecond.
    fn avg(&self) -> Duration {
        match self.calls {
            0 => Duration::ZERO,
            n => Duration::from_nanos(
                ((self.time.as_nanos() + u128::from(n) / 2) / u128::from(n)) as u64,
            ),
        }
    }
}

/// The counts of every syscall seen.
#[derive(Debug, Default)]
pub struct Summary {
    by_nr: HashMap<u64, Counts>,
    /// `--latency`: every call's time, per syscall.
    latency: Option<HashMap<u64, Histogram>>,
    /// `-O`: taken off each call's time (never below zero).
    overhead: Duration,
}

impl Summary {
    /// An empty summary; `latency` keeps the distribution of times too.
    pub fn new(latency: bool) -> Self {
        Summary {
            by_nr: HashMap::new(),
            latency: latency.then(HashMap::new),
            overhead: Duration::ZERO,
        }
    }

    /// `-O`: the overhead taken off each call's time.
    pub fn with_overhead(mut self, overhead: Duration) -> Self {
        self.overhead = overhead;
        self
    }

    /// Count one completed call of `nr` that took `time`.
    pub fn record(&mut self, nr: u64, failed: bool, time: Duration) {
        let time = time.saturating_sub(self.overhead);
        let c = self.by_nr.entry(nr).or_default();
        c.calls += 1;
        c.errors += u64::from(failed);
        c.time += time;
        c.min = Some(c.min.map_or(time, |m| m.min(time)));
        c.max = c.max.max(time);
        if let Some(l) = &mut self.latency {
            l.entry(nr).or_default().record(time);
        }
    }

    /// The table, sorted by `sort`, with strace's default columns.
    #[cfg(test)]
    pub fn render(&self, sort: SortKey) -> String {
        self.render_columns(sort, &SummaryColumn::DEFAULT)
    }

    /// strace's call_summary_pers: the table of `columns` (`-U`), sorted by `sort`, each
    /// column as wide as its header or its widest value.
    pub fn render_columns(&self, sort: SortKey, columns: &[SummaryColumn]) -> String {
        let mut rows: Vec<(String, Counts, u64)> = self
            .by_nr
            .iter()
            .map(|(&nr, &c)| (syscall_table::name(nr).into_owned(), c, nr))
            .collect();
        // strace sorts the table in syscall-number order with a stable sort (glibc's
        // qsort is a merge sort): calls that tie stay in number order; `nothing` is that
        // order itself.
        rows.sort_by_key(|r| r.2);
        use std::cmp::Reverse;
        match sort {
            SortKey::Time => rows.sort_by_key(|r| Reverse(r.1.time)),
            SortKey::MinTime => rows.sort_by_key(|r| Reverse(r.1.min.unwrap_or_default())),
            SortKey::MaxTime => rows.sort_by_key(|r| Reverse(r.1.max)),
            SortKey::AvgTime => rows.sort_by_key(|r| Reverse(r.1.avg())),
            SortKey::Calls => rows.sort_by_key(|r| Reverse(r.1.calls)),
            SortKey::Errors => rows.sort_by_key(|r| Reverse(r.1.errors)),
            SortKey::Name => rows.sort_by(|a, b| a.0.cmp(&b.0)),
            SortKey::Nothing => {}
        }
        let total_time: Duration = rows.iter().map(|r| r.1.time).sum();
        let total_calls: u64 = rows.iter().map(|r| r.1.calls).sum();
        let total_errors: u64 = rows.iter().map(|r| r.1.errors).sum();
        let min = rows
            .iter()
            .filter_map(|r| r.1.min)
            .min()
            .unwrap_or_default();
        let min_max = rows
            .iter()
            .filter_map(|r| r.1.min)
            .max()
            .unwrap_or_default();
        let max = rows.iter().map(|r| r.1.max).max().unwrap_or_default();
        let avg_max = rows.iter().map(|r| r.1.avg()).max().unwrap_or_default();
        let name_max = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        // strace's float seconds and its (uint64_t)(seconds * 1e6) microseconds.
        let secs = |d: Duration| d.as_secs() as f64 + f64::from(d.subsec_nanos()) / 1e9;
        let usecs = |d: Duration| (secs(d) * 1e6) as u64;
        let total_secs = secs(total_time);
        let width = |column: SummaryColumn| -> usize {
            use SummaryColumn::*;
            let (header, value) = match column {
                TimePercent => (6, "100.00".len()),
                TimeTotal => (11, format!("{total_secs:.6}").len()),
                TimeMin => (8, format!("{}.000000", min_max.as_secs()).len()),
                TimeMax => (7, format!("{}.000000", max.as_secs()).len()),
                TimeAvg => (11, usecs(avg_max).to_string().len()),
                Calls => (9, total_calls.to_string().len()),
                Errors => (9, total_errors.to_string().len()),
                Name => (16, name_max + 1),
            };
            header.max(value)
        };
        let last = columns.len().saturating_sub(1);
        let mut out = String::new();
        let line = |out: &mut String, cells: &[String]| {
            out.push_str(&cells.join(" "));
            out.push('\n');
        };
        let header: Vec<String> = columns
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let w = width(c);
                let text = match c {
                    SummaryColumn::TimePercent => "% time",
                    SummaryColumn::TimeTotal => "seconds",
                    SummaryColumn::TimeMin => "shortest",
                    SummaryColumn::TimeMax => "longest",
                    SummaryColumn::TimeAvg => "usecs/call",
                    SummaryColumn::Calls => "calls",
                    SummaryColumn::Errors => "errors",
                    SummaryColumn::Name => "syscall",
                };
                match c {
                    SummaryColumn::Name if i == last => text.to_string(),
                    SummaryColumn::Name => format!("{text:<w$}"),
                    _ => format!("{text:>w$}"),
                }
            })
            .collect();
        line(&mut out, &header);
        let dashes: Vec<String> = columns.iter().map(|&c| "-".repeat(width(c))).collect();
        line(&mut out, &dashes);
        let cells = |name: &str, c: &Counts, pct: f64, avg_us: u64, min: Duration| -> Vec<String> {
            columns
                .iter()
                .enumerate()
                .map(|(i, &col)| {
                    let w = width(col);
                    match col {
                        SummaryColumn::TimePercent => format!("{pct:w$.2}"),
                        SummaryColumn::TimeTotal => format!("{:w$.6}", secs(c.time)),
                        SummaryColumn::TimeMin => format!("{:w$.6}", secs(min)),
                        SummaryColumn::TimeMax => format!("{:w$.6}", secs(c.max)),
                        SummaryColumn::TimeAvg => format!("{avg_us:w$}"),
                        SummaryColumn::Calls => format!("{:w$}", c.calls),
                        // `%.0lu`: nothing for 0.
                        SummaryColumn::Errors if c.errors == 0 => " ".repeat(w),
                        SummaryColumn::Errors => format!("{:w$}", c.errors),
                        SummaryColumn::Name if i == last => name.to_string(),
                        SummaryColumn::Name => format!("{name:<w$}"),
                    }
                })
                .collect()
        };
        for (name, c, _) in &rows {
            // strace: 100 * time / total, left at 0 when 0 (the total can be 0 too).
            let pct = secs(c.time) * 100.0;
            let pct = if pct == 0.0 { 0.0 } else { pct / total_secs };
            let row = cells(name, c, pct, usecs(c.avg()), c.min.unwrap_or_default());
            line(&mut out, &row);
        }
        line(&mut out, &dashes);
        let total = Counts {
            calls: total_calls,
            errors: total_errors,
            time: total_time,
            min: Some(min),
            max,
        };
        let total_avg = (total_secs / total_calls as f64 * 1e6) as u64;
        line(&mut out, &cells("total", &total, 100.0, total_avg, min));
        if let Some(latency) = &self.latency {
            out.push_str(&latency_table(&rows, latency));
        }
        out
    }
}

/// The `--latency` table: in the summary's row order, each syscall's nearest-rank p50
/// and p99 and its maximum, in microseconds.
fn latency_table(rows: &[(String, Counts, u64)], latency: &HashMap<u64, Histogram>) -> String {
    let us = |d: Duration| d.as_nanos() as f64 / 1000.0;
    let mut out = format!(
        "\n{:>11} {:>11} {:>11} {}\n",
        "p50 usecs", "p99 usecs", "max usecs", "syscall"
    );
    let dashes = "----------- ----------- ----------- ----------------\n";
    out.push_str(dashes);
    for (name, _, nr) in rows {
        let Some(h) = latency.get(nr) else {
            continue;
        };
        out.push_str(&format!(
            "{:11.1} {:11.1} {:11.1} {name}\n",
            us(h.percentile(50.0)),
            us(h.percentile(99.0)),
            us(h.max())
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_table_follows_the_summary() {
        let mut s = Summary::new(true);
        for us in [10, 20, 30, 40, 1000] {
            s.record(0, false, Duration::from_micros(us));
        }
        s.record(1, false, Duration::from_micros(5));
        let t = s.render(SortKey::Time);
        let plain = {
            let mut p = Summary::new(false);
            for us in [10, 20, 30, 40, 1000] {
                p.record(0, false, Duration::from_micros(us));
            }
            p.record(1, false, Duration::from_micros(5));
            p.render(SortKey::Time)
        };
        assert!(
            t.starts_with(&plain),
            "strace's table comes first, unchanged"
        );
        let extra: Vec<&str> = t[plain.len()..].lines().collect();
        assert_eq!(extra[0], "");
        assert_eq!(extra[1], "  p50 usecs   p99 usecs   max usecs syscall");
        assert_eq!(extra[3], "       30.0      1000.0      1000.0 read");
        assert_eq!(extra[4], "        5.0         5.0         5.0 write");
    }

    /// The keys differ on these calls: read (2 calls, 10 and 50 µs), write (1, 40 µs),
    /// open (3 calls, 1 µs each), close (1, 0 µs): ties stay in number order.
    #[test]
    fn sort_keys_and_overhead() {
        let mut s = Summary::new(false).with_overhead(Duration::from_micros(5));
        for (nr, us) in [(0, 15), (0, 55), (1, 45), (2, 6), (2, 6), (2, 6), (3, 2)] {
            s.record(nr, false, Duration::from_micros(us));
        }
        let order = |key| -> Vec<String> {
            s.render(key)
                .lines()
                .skip(2)
                .take(4)
                .map(|l| l.split_whitespace().last().unwrap_or("").to_string())
                .collect()
        };
        assert_eq!(order(SortKey::Time), ["read", "write", "open", "close"]);
        assert_eq!(order(SortKey::AvgTime), ["write", "read", "open", "close"]);
        assert_eq!(order(SortKey::MaxTime), ["read", "write", "open", "close"]);
        assert_eq!(order(SortKey::MinTime), ["write", "read", "open", "close"]);
        assert_eq!(order(SortKey::Calls), ["open", "read", "write", "close"]);
        assert_eq!(order(SortKey::Name), ["close", "open", "read", "write"]);
        assert_eq!(order(SortKey::Nothing), ["read", "write", "open", "close"]);
        // -O: 5 µs off each call, never below zero.
        let table = s.render(SortKey::Time);
        assert!(
            table.contains(" 0.000060          30         2           read\n"),
            "{table}"
        );
    }

    #[test]
    fn table_layout() {
        let mut s = Summary::default();
        s.record(0, false, Duration::from_micros(30));
        s.record(0, true, Duration::from_micros(10));
        s.record(1, false, Duration::from_micros(60));
        let t = s.render(SortKey::Time);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "% time     seconds  usecs/call     calls    errors syscall"
        );
        assert_eq!(
            lines[2],
            " 60.00    0.000060          60         1           write"
        );
        assert_eq!(
            lines[3],
            " 40.00    0.000040          20         2         1 read"
        );
        assert_eq!(
            lines[5],
            "100.00    0.000100          33         3         1 total"
        );
    }
}
