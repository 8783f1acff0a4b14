// SPDX-License-Identifier: GPL-2.0

//! An open file of `/dev/mydevice`: what `open`, `read`, `write`, `ioctl` and `close` do.
//!
//! - `write`: one record per call (see [`crate::record`]); the first valid one registers a
//!   source tied to this file, later ones update it.
//! - `read`: the text table (see [`crate::table`]). The table is rendered when a read starts
//!   at offset 0 and kept with the file, so a reader taking it in small pieces gets the same
//!   bytes as one large read.
//! - `ioctl`: protocol information, a binary snapshot, a reset (see [`crate::uapi`]).
//! - `close` (release of the last reference): the file's source disappears.

use crate::record;
use crate::registry::{Owner, SourceId, REGISTRY};
use crate::table::{self, Buffer, Header};
use crate::uapi::{self, Layout};
use kernel::{
    fs::{File, Kiocb},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    new_mutex,
    prelude::*,
    sync::Mutex,
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

/// The calling process, which owns the rows it registers: its thread group id as its own
/// pid namespace numbers it, and that namespace.
///
/// Both come through the kernel's C helpers (`task_tgid_nr_ns`, `task_active_pid_ns`):
/// `Task::tgid()` reads the field of `struct task_struct` at the offset bindgen computed,
/// and on this GCC-built kernel that offset is not GCC's (it reads -1).
fn caller() -> Owner {
    let task = kernel::current!();
    Owner {
        tgid: task.tgid_nr_ns(None),
        pid_ns: task.active_pid_ns().map_or(0, |ns| ns.as_ptr() as usize),
    }
}

impl OpenFile {
    /// Renders the whole text table as it is now.
    fn render_table() -> Result<KVVec<u8>> {
        let (snapshot, sources) = {
            let mut registry = REGISTRY.lock();
            registry.count_read();
            (registry.snapshot()?, registry.len())
        };
        let header = Header {
            version: crate::VERSION,
            protocol: uapi::PROTOCOL_VERSION,
            uptime_ms: snapshot.uptime_ms,
            sources,
            max_sources: crate::max_sources(),
            totals: snapshot.totals,
        };
        let mut out = KVVec::new();
        table::format(&mut Buffer(&mut out), &header, &snapshot.rows).map_err(|_| ENOMEM)?;
        Ok(out)
    }

    /// `MYDEVICE_IOC_INFO`: protocol version and limits.
    fn ioctl_info(arg: usize) -> Result<isize> {
        let sources = REGISTRY.lock().len();
        let mut info = [0u8; uapi::INFO_SIZE];
        Layout::new(&mut info)
            .u32(uapi::PROTOCOL_VERSION)
            .u32(crate::max_sources())
            .u32(uapi::RECORD_MAX as u32)
            .u32(u32::try_from(sources).unwrap_or(u32::MAX));
        UserSlice::new(UserPtr::from_addr(arg), uapi::INFO_SIZE)
            .writer()
            .write_slice(&info)?;
        Ok(0)
    }

    /// `MYDEVICE_IOC_SNAPSHOT`: copies up to `capacity` rows to the caller's array and fills
    /// in the header. `count` says how many rows were written, `sources` how many exist.
    fn ioctl_snapshot(arg: usize) -> Result<isize> {
        let (mut reader, mut writer) =
            UserSlice::new(UserPtr::from_addr(arg), uapi::SNAPSHOT_SIZE).reader_writer();
        let mut request = [0u8; uapi::SNAPSHOT_SIZE];
        reader.read_slice(&mut request)?;
        let rows_addr = usize::try_from(uapi::read_u64(&request, 0)).map_err(|_| EFAULT)?;
        let capacity = uapi::read_u32(&request, 8) as usize;

        let snapshot = {
            let mut registry = REGISTRY.lock();
            registry.count_read();
            registry.snapshot()?
        };
        let count = capacity.min(snapshot.rows.len());
        if count > 0 {
            let mut rows_out =
                UserSlice::new(UserPtr::from_addr(rows_addr), count * uapi::ROW_SIZE).writer();
            for row in snapshot.rows.iter().take(count) {
                let mut bytes = [0u8; uapi::ROW_SIZE];
                let mut name = [0u8; 32];
                name[..row.name.as_bytes().len()].copy_from_slice(row.name.as_bytes());
                let mut layout = Layout::new(&mut bytes);
                layout
                    .bytes(&name)
                    .u32(u32::try_from(row.pid).unwrap_or(0))
                    .u32(0)
                    .u64(row.uptime_ms)
                    .u64(row.idle_ms);
                for value in row.counters {
                    layout.u64(value);
                }
                rows_out.write_slice(&bytes)?;
            }
        }
        let t = snapshot.totals;
        let mut reply = [0u8; uapi::SNAPSHOT_SIZE];
        Layout::new(&mut reply)
            .u64(uapi::read_u64(&request, 0))
            .u32(uapi::read_u32(&request, 8))
            .u32(count as u32)
            .u32(u32::try_from(snapshot.rows.len()).unwrap_or(u32::MAX))
            .u32(uapi::PROTOCOL_VERSION)
            .u64(snapshot.uptime_ms)
            .u64(t.opens)
            .u64(t.writes_accepted)
            .u64(t.writes_rejected)
            .u64(t.reads);
        writer.write_slice(&reply)?;
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
            REGISTRY.lock().remove(id);
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
            let mut state = me.state.lock();
            REGISTRY.lock().apply(
                &mut state.source,
                &record,
                caller(),
                crate::max_sources() as usize,
            )
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
            uapi::MYDEVICE_IOC_RESET => {
                let source = me.state.lock().source;
                REGISTRY.lock().reset(source, caller());
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}
