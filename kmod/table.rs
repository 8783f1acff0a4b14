// SPDX-License-Identifier: GPL-2.0

//! The text table that `cat /dev/mydevice` shows: a header with the module's totals, then a
//! row per source, in columns as wide as their widest cell.
//!
//! ```text
//! mydevice 0.4.0, protocol 1, up 12.5s, 2/64 sources
//! totals: opens 5, writes accepted 10, writes rejected 2, reads 3
//! NAME   PID  UPTIME  CONNS  CONNS_TOTAL  REQUESTS  BYTES_IN  BYTES_OUT  ERRORS  TLS  KTLS  LAST_UPDATE
//! chat    41    9.1s      2            2        10       644       1288       0    1     1         0.2s
//! httpd   57    8.0s      1           12        12      1876     108254       0    -     -         0.1s
//! ```
//!
//! `TLS` and `KTLS` are the TLS gauges of the sources that report them, `-` for the others
//! (a server that speaks no TLS has no figure to give, which is not the same as 0).
//!
//! Formatting is pure: it takes plain values, so KUnit tests it without a device.

use crate::record::{Counters, Name, TlsCounters, FIELDS, TLS_FIELDS};
use core::fmt::{self, Write};
use kernel::prelude::*;

/// The module-wide figures of the header.
#[derive(Clone, Copy, Default, Debug)]
pub(crate) struct Totals {
    pub(crate) opens: u64,
    pub(crate) writes_accepted: u64,
    pub(crate) writes_rejected: u64,
    pub(crate) reads: u64,
}

/// Everything the header shows.
pub(crate) struct Header<'a> {
    pub(crate) version: &'a str,
    pub(crate) protocol: u32,
    pub(crate) uptime_ms: u64,
    pub(crate) sources: usize,
    pub(crate) max_sources: u32,
    pub(crate) totals: Totals,
}

/// One source as the table shows it: a copy taken under the registry's lock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    pub(crate) name: Name,
    /// The writer's process id in the reader's pid namespace (0: not visible there).
    pub(crate) pid: i32,
    pub(crate) uptime_ms: u64,
    pub(crate) idle_ms: u64,
    pub(crate) counters: Counters,
    /// The TLS gauges, if the source reports them.
    pub(crate) tls: Option<TlsCounters>,
}

/// Column titles: name, pid, uptime, the counters, the TLS gauges, age of the last update.
const TITLES: [&str; 12] = [
    "NAME",
    "PID",
    "UPTIME",
    "CONNS",
    "CONNS_TOTAL",
    "REQUESTS",
    "BYTES_IN",
    "BYTES_OUT",
    "ERRORS",
    "TLS",
    "KTLS",
    "LAST_UPDATE",
];
const _: () = assert!(TITLES.len() == FIELDS.len() + TLS_FIELDS.len() + 4);

/// A cell's text, formatted into a small stack buffer (the widest is a 20-digit number).
struct Cell {
    buf: [u8; 32],
    len: usize,
}

impl Cell {
    fn new() -> Self {
        Self {
            buf: [0; 32],
            len: 0,
        }
    }

    fn of(args: fmt::Arguments<'_>) -> Self {
        let mut cell = Self::new();
        // A cell that does not fit is cut short; none of ours is longer than 31 bytes.
        let _ = cell.write_fmt(args);
        cell
    }

    fn as_str(&self) -> &str {
        core::str::from_utf8(&self.buf[..self.len]).unwrap_or("?")
    }
}

impl Write for Cell {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// A duration in seconds with one decimal: `12.5s`.
fn seconds(ms: u64) -> Cell {
    Cell::of(format_args!("{}.{}s", ms / 1000, (ms % 1000) / 100))
}

/// A TLS gauge's cell: its value, or `-` for a source that reports none.
fn gauge(tls: Option<TlsCounters>, i: usize) -> Cell {
    match tls.as_ref().and_then(|t| t.get(i)) {
        Some(v) => Cell::of(format_args!("{v}")),
        None => Cell::of(format_args!("-")),
    }
}

/// The cells of one row, in [`TITLES`] order.
fn cells(row: &Row) -> [Cell; TITLES.len()] {
    let c = &row.counters;
    [
        Cell::of(format_args!("{}", row.name.as_str())),
        Cell::of(format_args!("{}", row.pid)),
        seconds(row.uptime_ms),
        Cell::of(format_args!("{}", c[0])),
        Cell::of(format_args!("{}", c[1])),
        Cell::of(format_args!("{}", c[2])),
        Cell::of(format_args!("{}", c[3])),
        Cell::of(format_args!("{}", c[4])),
        Cell::of(format_args!("{}", c[5])),
        gauge(row.tls, 0),
        gauge(row.tls, 1),
        seconds(row.idle_ms),
    ]
}

/// Appends formatted text to a growable kernel buffer.
pub(crate) struct Buffer<'a>(pub(crate) &'a mut KVVec<u8>);

impl Write for Buffer<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| fmt::Error)
    }
}

/// Writes the whole table: the two header lines, the titles and a line per row. The name
/// column is left-aligned, all others right-aligned; columns are separated by two spaces.
pub(crate) fn format(out: &mut impl Write, header: &Header<'_>, rows: &[Row]) -> fmt::Result {
    writeln!(
        out,
        "mydevice {}, protocol {}, up {}, {}/{} sources",
        header.version,
        header.protocol,
        seconds(header.uptime_ms).as_str(),
        header.sources,
        header.max_sources
    )?;
    let t = &header.totals;
    writeln!(
        out,
        "totals: opens {}, writes accepted {}, writes rejected {}, reads {}",
        t.opens, t.writes_accepted, t.writes_rejected, t.reads
    )?;

    let mut widths = TITLES.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(cells(row).iter()) {
            *w = (*w).max(cell.len);
        }
    }
    let line = |out: &mut dyn Write, texts: &[&str]| -> fmt::Result {
        for (i, (text, width)) in texts.iter().zip(widths.iter()).enumerate() {
            match i {
                0 => write!(out, "{text:<width$}")?,
                _ => write!(out, "  {text:>width$}")?,
            }
        }
        writeln!(out)
    };
    // The last column's padding is kept so that every line of the table has one width.
    line(out, &TITLES)?;
    for row in rows {
        let cells = cells(row);
        let texts = cells.each_ref().map(Cell::as_str);
        line(out, &texts)?;
    }
    Ok(())
}

#[kunit_tests(mydevice_table)]
mod tests {
    use super::*;

    fn row(name: &[u8], pid: i32, counters: Counters, tls: Option<TlsCounters>) -> Option<Row> {
        Some(Row {
            name: Name::parse(name).ok()?,
            pid,
            uptime_ms: 9_150,
            idle_ms: 250,
            counters,
            tls,
        })
    }

    fn render(header: &Header<'_>, rows: &[Row]) -> Option<KVVec<u8>> {
        let mut buf = KVVec::new();
        format(&mut Buffer(&mut buf), header, rows).ok()?;
        Some(buf)
    }

    fn header(sources: usize) -> Header<'static> {
        Header {
            version: "0.2.0",
            protocol: 1,
            uptime_ms: 12_500,
            sources,
            max_sources: 64,
            totals: Totals {
                opens: 5,
                writes_accepted: 10,
                writes_rejected: 2,
                reads: 3,
            },
        }
    }

    #[test]
    fn empty_table_has_header_and_titles() {
        let expected = "mydevice 0.2.0, protocol 1, up 12.5s, 0/64 sources\n\
            totals: opens 5, writes accepted 10, writes rejected 2, reads 3\n\
            NAME  PID  UPTIME  CONNS  CONNS_TOTAL  REQUESTS  BYTES_IN  BYTES_OUT  ERRORS  TLS  KTLS  LAST_UPDATE\n";
        let out = render(&header(0), &[]);
        assert_eq!(out.as_deref(), Some(expected.as_bytes()));
    }

    #[test]
    fn columns_fit_their_widest_cell() {
        let rows = [
            row(b"chat", 41, [2, 2, 10, 644, 1288, 0], None),
            row(b"httpd-worker", 1234, [0, 7, 99_999_999_999, 1, 2, 3], None),
        ];
        assert!(rows.iter().all(Option::is_some));
        let [Some(a), Some(b)] = rows else {
            return;
        };
        let expected = "mydevice 0.2.0, protocol 1, up 12.5s, 2/64 sources\n\
            totals: opens 5, writes accepted 10, writes rejected 2, reads 3\n\
            NAME           PID  UPTIME  CONNS  CONNS_TOTAL     REQUESTS  BYTES_IN  BYTES_OUT  ERRORS  TLS  KTLS  LAST_UPDATE\n\
            chat            41    9.1s      2            2           10       644       1288       0    -     -         0.2s\n\
            httpd-worker  1234    9.1s      0            7  99999999999         1          2       3    -     -         0.2s\n";
        let out = render(&header(2), &[a, b]);
        assert_eq!(out.as_deref(), Some(expected.as_bytes()));
    }

    #[test]
    fn tls_gauges_show_where_reported_and_a_dash_elsewhere() {
        let rows = [
            row(b"chat-tls", 41, [3, 5, 10, 644, 1288, 0], Some([2, 1])),
            row(b"httpd", 57, [1, 12, 12, 1876, 108_254, 0], None),
            row(b"chat-plain", 60, [0, 0, 0, 0, 0, 0], Some([0, 0])),
            row(b"big", 61, [0, 0, 0, 0, 0, 0], Some([123_456, 0])),
        ];
        assert!(rows.iter().all(Option::is_some));
        let [Some(a), Some(b), Some(c), Some(d)] = rows else {
            return;
        };
        let expected = "mydevice 0.2.0, protocol 1, up 12.5s, 4/64 sources\n\
            totals: opens 5, writes accepted 10, writes rejected 2, reads 3\n\
            NAME        PID  UPTIME  CONNS  CONNS_TOTAL  REQUESTS  BYTES_IN  BYTES_OUT  ERRORS     TLS  KTLS  LAST_UPDATE\n\
            chat-tls     41    9.1s      3            5        10       644       1288       0       2     1         0.2s\n\
            httpd        57    9.1s      1           12        12      1876     108254       0       -     -         0.2s\n\
            chat-plain   60    9.1s      0            0         0         0          0       0       0     0         0.2s\n\
            big          61    9.1s      0            0         0         0          0       0  123456     0         0.2s\n";
        let out = render(&header(4), &[a, b, c, d]);
        assert_eq!(out.as_deref(), Some(expected.as_bytes()));
    }

    #[test]
    fn seconds_have_one_decimal() {
        assert_eq!(seconds(0).as_str(), "0.0s");
        assert_eq!(seconds(999).as_str(), "0.9s");
        assert_eq!(seconds(61_050).as_str(), "61.0s");
    }
}
