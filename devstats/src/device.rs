//! `/dev/mydevice` itself: writing records, and the ioctls for the protocol information, a
//! binary snapshot and a reset.

use crate::counters::{CounterSnapshot, TlsSnapshot};
use crate::uapi::{self, Info, Row, RowTls, SnapshotHeader};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

/// An open file of the device. A source registered through it lives as long as it is open.
#[derive(Debug)]
pub struct Device {
    file: File,
}

/// One source, as a binary snapshot reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRow {
    pub name: String,
    pub pid: u32,
    pub uptime_ms: u64,
    pub idle_ms: u64,
    pub counters: CounterSnapshot,
    /// The TLS gauges, when the source reports them (and the module knows them).
    pub tls: Option<TlsSnapshot>,
}

/// A binary snapshot: the module's figures and every source.
#[derive(Clone, Debug)]
pub struct Snapshot {
    pub protocol: u32,
    pub uptime_ms: u64,
    pub opens: u64,
    pub writes_accepted: u64,
    pub writes_rejected: u64,
    pub reads: u64,
    pub rows: Vec<SourceRow>,
}

impl Device {
    /// Opens the device for reading and writing (close-on-exec, so a child process does not
    /// keep this file's source alive).
    pub fn open(path: impl AsRef<Path>) -> io::Result<Device> {
        let file = OpenOptions::new().read(true).write(true).open(path)?;
        Ok(Device { file })
    }

    /// Writes one record in one `write` call. The first valid record registers a source.
    pub fn write_record(&self, record: &[u8]) -> io::Result<()> {
        let n = (&self.file).write(record)?;
        if n != record.len() {
            return Err(io::Error::new(
                io::ErrorKind::WriteZero,
                format!("device took {n} of {} bytes", record.len()),
            ));
        }
        Ok(())
    }

    /// Reads the whole text table, as `cat` shows it. The device renders the table when a
    /// read starts at offset 0, so this reads through a fresh open file.
    pub fn read_table(path: impl AsRef<Path>) -> io::Result<String> {
        let mut table = String::new();
        File::open(path)?.read_to_string(&mut table)?;
        Ok(table)
    }

    /// `ioctl(fd, req, arg)`, as an `io::Result`.
    ///
    /// # Safety
    /// `arg` must be what `req` expects: a pointer to memory of the size encoded in `req`,
    /// valid for the reads and writes that request does, or null for a request without one.
    unsafe fn ioctl(&self, req: u32, arg: *mut libc::c_void) -> io::Result<()> {
        // SAFETY: the fd is open for the life of `self`; the caller vouches for `arg`.
        let rc = unsafe { libc::ioctl(self.file.as_raw_fd(), req as libc::Ioctl, arg) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    /// `MYDEVICE_IOC_INFO`: protocol version, limits and the number of sources.
    pub fn info(&self) -> io::Result<Info> {
        let mut info = Info::default();
        // SAFETY: MYDEVICE_IOC_INFO writes one `struct mydevice_info`, which `Info` is.
        unsafe { self.ioctl(uapi::MYDEVICE_IOC_INFO, (&raw mut info).cast())? };
        Ok(info)
    }

    /// `MYDEVICE_IOC_SNAPSHOT`: every source, retrying with a larger array if sources were
    /// registered between asking how many there are and taking the snapshot. The rows carry
    /// the TLS gauges when the module announces them ([`uapi::INFO_TLS`]).
    pub fn snapshot(&self) -> io::Result<Snapshot> {
        let info = self.info()?;
        if info.features & uapi::INFO_TLS != 0 {
            self.snapshot_of::<RowTls>(info, uapi::SNAPSHOT_TLS)
        } else {
            self.snapshot_of::<Row>(info, 0)
        }
    }

    /// A snapshot in rows of layout `R`, which `flags` asks for.
    fn snapshot_of<R: WireRow>(&self, info: Info, flags: u32) -> io::Result<Snapshot> {
        let mut capacity = info.sources as usize + 4;
        loop {
            let mut rows = vec![R::default(); capacity];
            let mut header = SnapshotHeader {
                rows: rows.as_mut_ptr() as u64,
                capacity: u32::try_from(capacity).unwrap_or(u32::MAX),
                flags,
                ..SnapshotHeader::default()
            };
            // SAFETY: MYDEVICE_IOC_SNAPSHOT reads and writes one `struct mydevice_snapshot`
            // (`SnapshotHeader`), and writes at most `capacity` rows to `header.rows`, which
            // points to `rows`, an array of that many rows of the layout `flags` asks for
            // (`WireRow`'s contract).
            unsafe { self.ioctl(uapi::MYDEVICE_IOC_SNAPSHOT, (&raw mut header).cast())? };
            if header.sources as usize > header.count as usize {
                capacity = header.sources as usize + 4;
                continue;
            }
            rows.truncate(header.count as usize);
            return Ok(Snapshot {
                protocol: header.protocol,
                uptime_ms: header.uptime_ms,
                opens: header.opens,
                writes_accepted: header.writes_accepted,
                writes_rejected: header.writes_rejected,
                reads: header.reads,
                rows: rows.iter().map(WireRow::source_row).collect(),
            });
        }
    }

    /// `MYDEVICE_IOC_RESET`: zeroes the module totals and this file's own source's counters.
    /// Only a process with `CAP_SYS_ADMIN` may reset (`EPERM` otherwise).
    pub fn reset(&self) -> io::Result<()> {
        // SAFETY: MYDEVICE_IOC_RESET takes no argument.
        unsafe { self.ioctl(uapi::MYDEVICE_IOC_RESET, std::ptr::null_mut()) }
    }

    /// Issues an arbitrary ioctl with a null argument (for tests of unknown requests).
    pub fn raw_ioctl_null(&self, req: u32) -> io::Result<()> {
        // SAFETY: a null argument is never dereferenced by a request the device does not
        // know, and the device's own requests check their pointers (EFAULT).
        unsafe { self.ioctl(req, std::ptr::null_mut()) }
    }

    /// The underlying file.
    pub fn file(&self) -> &File {
        &self.file
    }
}

/// A binary row layout: [`Row`], or [`RowTls`] (asked for with [`uapi::SNAPSHOT_TLS`]).
/// Only those two implement it, each passed with the flag that asks for it.
trait WireRow: Clone + Default {
    fn source_row(&self) -> SourceRow;
}

impl WireRow for Row {
    fn source_row(&self) -> SourceRow {
        SourceRow::from_raw(self, None)
    }
}

impl WireRow for RowTls {
    fn source_row(&self) -> SourceRow {
        let tls = (self.flags & uapi::ROW_TLS != 0).then_some(TlsSnapshot {
            conns_tls: self.tls[0],
            conns_ktls: self.tls[1],
        });
        SourceRow::from_raw(&self.row, tls)
    }
}

impl SourceRow {
    fn from_raw(row: &Row, tls: Option<TlsSnapshot>) -> SourceRow {
        let len = row
            .name
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(row.name.len());
        SourceRow {
            name: String::from_utf8_lossy(&row.name[..len]).into_owned(),
            pid: row.pid,
            uptime_ms: row.uptime_ms,
            idle_ms: row.idle_ms,
            counters: CounterSnapshot(row.counters),
            tls,
        }
    }
}
