// SPDX-License-Identifier: GPL-2.0

//! An open file of `/dev/mydevice`: what `open`, `read`, `write`, `ioctl` and `close` do.
//!
//! - `write`: one record per call (see [`crate::record`]); the first valid one registers a
//!   source tied to this file, later ones update it.
//! - `read`: the text table (see [`crate::table`]). The table is rendered when a read starts
//!   at offset 0 and kept with the file, so a reader taking it in small pieces gets the same
//!   bytes as one large read.
//! - `ioctl`: the limits, a binary snapshot, a reset (see [`crate::uapi`]).
//! - `close` (release of the last reference): the file's source disappears.

use crate::process::Process;
use crate::record;
use crate::registry::{self, Caller, SourceId, REGISTRY};
use crate::table::{self, Buffer, Header, Row};
use crate::uapi;
use kernel::{
    bindings,
    fs::{File, Kiocb},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    new_mutex,
    prelude::*,
    sync::Mutex,
    task::Kuid,
    uaccess::{UserPtr, UserSlice},
};

/// The per-file state.
struct FileState {
    /// The source this file registered, if any.
    source: Option<SourceId>,
    /// The table rendered for the read in progress.
    table: KVVec<u8>,
}

/// The private data of one open file.
#[pin_data]
pub(crate) struct OpenFile {
    #[pin]
    state: Mutex<FileState>,
}

/// Whether the calling task has capability `cap` in the initial user namespace (C's
/// `capable()`). Asked only when the answer matters, since it records the use of the
/// capability, or its denial.
fn capable(cap: u32) -> bool {
    let Ok(cap) = c_int::try_from(cap) else {
        return false;
    };
    // SAFETY: `capable` may be called from any process context, with any capability number.
    unsafe { bindings::capable(cap) }
}

/// A row as a binary snapshot carries it.
fn wire_row(row: &Row) -> uapi::Row {
    let mut name = [0u8; 32];
    let bytes = row.name.as_bytes();
    // Names are at most `NAME_MAX` (31) bytes, so one NUL at least follows.
    if let Some(dst) = name.get_mut(..bytes.len()) {
        dst.copy_from_slice(bytes);
    }
    uapi::Row {
        name,
        pid: u32::try_from(row.pid).unwrap_or(0),
        reserved: 0,
        uptime_ms: row.uptime_ms,
        idle_ms: row.idle_ms,
        counters: row.counters,
    }
}

/// A row as a binary snapshot asked for with `MYDEVICE_SNAPSHOT_TLS` carries it.
fn wire_row_tls(row: &Row) -> uapi::RowTls {
    uapi::RowTls {
        row: wire_row(row),
        flags: if row.tls.is_some() { uapi::ROW_TLS } else { 0 },
        reserved: 0,
        tls: row.tls.unwrap_or_default(),
    }
}

impl OpenFile {
    /// Renders the whole text table as it is now, as the calling reader sees it (PIDs in its
    /// pid namespace).
    fn render_table() -> Result<KVVec<u8>> {
        let task = kernel::current!();
        let snapshot = registry::snapshot(usize::MAX, task.active_pid_ns())?;
        let header = Header {
            version: crate::VERSION,
            protocol: uapi::PROTOCOL_VERSION,
            uptime_ms: snapshot.uptime_ms,
            sources: snapshot.sources,
            max_sources: crate::max_sources(),
            totals: snapshot.totals,
        };
        let mut out = KVVec::new();
        table::format(&mut Buffer(&mut out), &header, &snapshot.rows).map_err(|_| ENOMEM)?;
        Ok(out)
    }

    /// `MYDEVICE_IOC_INFO`: the limits.
    fn ioctl_info(arg: usize) -> Result<isize> {
        let sources = REGISTRY.lock().len();
        let info = uapi::Info {
            protocol: uapi::PROTOCOL_VERSION,
            max_sources: crate::max_sources(),
            record_max: uapi::RECORD_MAX as u32,
            sources: u32::try_from(sources).unwrap_or(u32::MAX),
            max_sources_per_uid: crate::max_sources_per_uid(),
            features: uapi::INFO_TLS,
            reserved: [0; 2],
        };
        UserSlice::new(UserPtr::from_addr(arg), size_of::<uapi::Info>())
            .writer()
            .write(&info)?;
        Ok(0)
    }

    /// `MYDEVICE_IOC_SNAPSHOT`: copies up to `capacity` rows to the caller's array and fills
    /// in the header. `count` says how many rows were written, `sources` how many exist. The
    /// rows are `struct mydevice_row`, or `struct mydevice_row_tls` if the caller set
    /// `MYDEVICE_SNAPSHOT_TLS` in `flags`.
    fn ioctl_snapshot(arg: usize) -> Result<isize> {
        let (mut reader, mut writer) =
            UserSlice::new(UserPtr::from_addr(arg), size_of::<uapi::Snapshot>()).reader_writer();
        let request: uapi::Snapshot = reader.read()?;
        if request.flags & !uapi::SNAPSHOT_TLS != 0 || request.reserved != 0 {
            return Err(EINVAL);
        }
        let with_tls = request.flags & uapi::SNAPSHOT_TLS != 0;
        let rows_addr = usize::try_from(request.rows).map_err(|_| EFAULT)?;
        let capacity = usize::try_from(request.capacity).unwrap_or(usize::MAX);

        let task = kernel::current!();
        let snapshot = registry::snapshot(capacity, task.active_pid_ns())?;
        let count = snapshot.rows.len();
        let row_size = if with_tls {
            size_of::<uapi::RowTls>()
        } else {
            size_of::<uapi::Row>()
        };
        let mut rows_out = UserSlice::new(UserPtr::from_addr(rows_addr), count * row_size).writer();
        for row in snapshot.rows.iter() {
            if with_tls {
                rows_out.write(&wire_row_tls(row))?;
            } else {
                rows_out.write(&wire_row(row))?;
            }
        }
        let t = snapshot.totals;
        let reply = uapi::Snapshot {
            rows: request.rows,
            capacity: request.capacity,
            flags: request.flags,
            count: u32::try_from(count).unwrap_or(u32::MAX),
            sources: u32::try_from(snapshot.sources).unwrap_or(u32::MAX),
            protocol: uapi::PROTOCOL_VERSION,
            reserved: 0,
            uptime_ms: snapshot.uptime_ms,
            opens: t.opens,
            writes_accepted: t.writes_accepted,
            writes_rejected: t.writes_rejected,
            reads: t.reads,
        };
        writer.write(&reply)?;
        Ok(0)
    }

    /// `MYDEVICE_IOC_RESET`: zeroes the module totals, which are everybody's, so it takes
    /// `CAP_SYS_ADMIN`; and the caller's own source's counters, if this file registered one.
    /// The argument is reserved: zero.
    fn ioctl_reset(&self, arg: usize) -> Result<isize> {
        if arg != 0 {
            return Err(EINVAL);
        }
        if !capable(bindings::CAP_SYS_ADMIN) {
            return Err(EPERM);
        }
        let process = Process::current()?;
        let source = self.state.lock().source;
        REGISTRY.lock().reset(source, &process);
        Ok(0)
    }
}

#[vtable]
impl MiscDevice for OpenFile {
    type Ptr = Pin<KBox<Self>>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<Pin<KBox<Self>>> {
        let file = KBox::try_pin_init(
            try_pin_init!(OpenFile {
                state <- new_mutex!(FileState {
                    source: None,
                    table: KVVec::new(),
                }),
            }),
            GFP_KERNEL,
        )?;
        REGISTRY.lock().count_open();
        Ok(file)
    }

    fn release(device: Pin<KBox<Self>>, _file: &File) {
        let source = device.state.lock().source;
        if let Some(id) = source {
            let removed = REGISTRY.lock().remove(id);
            // Dropped with the lock released: it may hold the last reference on the owner's
            // `struct pid`.
            drop(removed);
        }
    }

    fn read_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        let me = kiocb.file();
        let mut state = me.state.lock();
        if *kiocb.ki_pos_mut() == 0 {
            state.table = Self::render_table()?;
        }
        iov.simple_read_from_buffer(kiocb.ki_pos_mut(), &state.table)
    }

    fn write_iter(kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterSource<'_>) -> Result<usize> {
        let me = kiocb.file();
        let len = iov.len();
        let result = (|| {
            if len > uapi::RECORD_MAX {
                return Err(EMSGSIZE);
            }
            let mut buf = [0u8; uapi::RECORD_MAX];
            if iov.copy_from_iter(&mut buf[..len]) != len {
                return Err(EFAULT);
            }
            let record = record::parse(&buf[..len])?;
            // The writer is its process (every thread of it may update the row), charged to
            // its effective uid.
            let caller = Caller {
                process: Process::current()?,
                uid: Kuid::current_euid(),
            };
            let mut state = me.state.lock();
            REGISTRY
                .lock()
                .apply(&mut state.source, &record, caller, || {
                    capable(bindings::CAP_SYS_RESOURCE)
                })
        })();
        match result {
            Ok(()) => Ok(len),
            Err(e) => {
                REGISTRY.lock().count_rejected();
                Err(e)
            }
        }
    }

    fn ioctl(me: Pin<&OpenFile>, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            uapi::MYDEVICE_IOC_INFO => Self::ioctl_info(arg),
            uapi::MYDEVICE_IOC_SNAPSHOT => Self::ioctl_snapshot(arg),
            uapi::MYDEVICE_IOC_RESET => me.ioctl_reset(arg),
            _ => Err(ENOTTY),
        }
    }
}
