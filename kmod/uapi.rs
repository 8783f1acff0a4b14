// SPDX-License-Identifier: GPL-2.0

//! The device's interface to user space, in one place: protocol version, limits, ioctl
//! numbers and the byte layout of the binary snapshot. `docs/mydevice.md` documents it for
//! people; the userland crate `mydevice` defines the same numbers for programs, and the VM
//! suite proves that the two agree by using every ioctl through the userland side.

use kernel::ioctl::{_IO, _IOR, _IOWR};

/// Version of the record format and of the binary layouts below.
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// Longest record a write may carry, in bytes.
pub(crate) const RECORD_MAX: usize = 512;

/// Longest source name, in bytes.
pub(crate) const NAME_MAX: usize = 31;

/// The ioctl "type" byte of this device (free in `ioctl-number.rst`).
const IOC_MAGIC: u32 = 0xE7;

/// `struct mydevice_info`: `u32 protocol, max_sources, record_max, sources`.
pub(crate) const INFO_SIZE: usize = 16;

/// `struct mydevice_snapshot`, the request and reply header of a binary snapshot:
/// `u64 rows` (in: user address of `capacity` rows), `u32 capacity` (in),
/// `u32 count` (out: rows written), `u32 sources` (out: rows registered),
/// `u32 protocol` (out), `u64 uptime_ms`, `u64 opens`, `u64 writes_accepted`,
/// `u64 writes_rejected`, `u64 reads` (out: module uptime and totals).
pub(crate) const SNAPSHOT_SIZE: usize = 64;

/// `struct mydevice_row`: `char name[32]` (NUL-padded), `u32 pid`, `u32 reserved`,
/// `u64 uptime_ms`, `u64 idle_ms`, then the six counters in [`crate::record::FIELDS`] order.
pub(crate) const ROW_SIZE: usize = 104;

/// Returns protocol version and limits (`struct mydevice_info`).
pub(crate) const MYDEVICE_IOC_INFO: u32 = _IOR::<[u8; INFO_SIZE]>(IOC_MAGIC, 1);
/// Fills a binary snapshot (`struct mydevice_snapshot` and its rows).
pub(crate) const MYDEVICE_IOC_SNAPSHOT: u32 = _IOWR::<[u8; SNAPSHOT_SIZE]>(IOC_MAGIC, 2);
/// Resets the module totals, and the caller's own row's counters if this file registered one.
pub(crate) const MYDEVICE_IOC_RESET: u32 = _IO(IOC_MAGIC, 3);

/// Little helper to lay out the fixed binary structs field by field (native endianness).
pub(crate) struct Layout<'a> {
    buf: &'a mut [u8],
    at: usize,
}

impl<'a> Layout<'a> {
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Self { buf, at: 0 }
    }

    pub(crate) fn bytes(&mut self, field: &[u8]) -> &mut Self {
        let end = self.at + field.len();
        if let Some(dst) = self.buf.get_mut(self.at..end) {
            dst.copy_from_slice(field);
        }
        self.at = end;
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.bytes(&v.to_ne_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.bytes(&v.to_ne_bytes())
    }
}

/// Reads a native-endian `u64` at `at` of `buf` (zero past its end).
pub(crate) fn read_u64(buf: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(src) = buf.get(at..at + 8) {
        b.copy_from_slice(src);
    }
    u64::from_ne_bytes(b)
}

/// Reads a native-endian `u32` at `at` of `buf` (zero past its end).
pub(crate) fn read_u32(buf: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    if let Some(src) = buf.get(at..at + 4) {
        b.copy_from_slice(src);
    }
    u32::from_ne_bytes(b)
}
