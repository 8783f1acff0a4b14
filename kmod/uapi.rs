// SPDX-License-Identifier: GPL-2.0

//! The device's interface to user space, in one place: limits, ioctl numbers and the
//! structures the ioctls copy, as `#[repr(C)]` types. `docs/mydevice.md` documents it for
//! people; the userland crate `devstats` (`devstats/src/uapi.rs`) defines the same types and
//! numbers for programs, with the same compile-time size and offset checks, and the VM suite
//! uses every ioctl through the userland side against this module.
//!
//! The structures are copied whole, with [`UserSliceReader::read`] and
//! [`UserSliceWriter::write`], which need the kernel's [`transmute::FromBytes`] and
//! [`transmute::AsBytes`]. (The unqualified `FromBytes` and `IntoBytes` below are zerocopy's
//! derives, from the prelude: they check the layout those unsafe impls rely on.) Every
//! field is an integer or an array of them, in an order that leaves no padding on any ABI
//! (each `u64` at a multiple of 8), so a 32-bit process gets the same layout as a 64-bit one.
//! Fields marked reserved must be zero in what user space passes in (`EINVAL` otherwise), so
//! that they can be given a meaning later; the module writes zero into them.
//!
//! The interface grows without breaking either side: what a module takes beyond the first
//! version it announces in [`Info::features`] (a field that older modules left reserved,
//! so zero), and a reader asks for a larger layout with a flag ([`SNAPSHOT_TLS`]) that older
//! modules refuse with `EINVAL`. A program that does not ask gets the first layouts.
//!
//! [`UserSliceReader::read`]: kernel::uaccess::UserSliceReader::read
//! [`UserSliceWriter::write`]: kernel::uaccess::UserSliceWriter::write

use core::mem::offset_of;
use kernel::{
    ioctl::{_IO, _IOR, _IOWR},
    prelude::*,
    transmute,
};

/// Version of the record format (the `v=` line of every write), and the longest source
/// name, in bytes: defined beside the record parser (`record_parse.rs`), which user space
/// compiles too. The binary structures below are identified by their ioctl numbers, which
/// encode their sizes: a program built against another layout gets `ENOTTY`, never a
/// misread structure.
pub(crate) use crate::record::{NAME_MAX, PROTOCOL_VERSION};

/// Longest record a write may carry, in bytes.
pub(crate) const RECORD_MAX: usize = 512;

/// The ioctl "type" byte of this device (free in `ioctl-number.rst`).
const IOC_MAGIC: u32 = 0xE7;

/// [`Info::features`]: records may carry the TLS gauges `conns_tls` and `conns_ktls`, and
/// [`SNAPSHOT_TLS`] is understood. Modules before 0.4.0 leave the field zero (it was
/// reserved), and refuse those keys and that flag with `EINVAL`.
pub(crate) const INFO_TLS: u32 = 1;

/// [`Snapshot::flags`]: the rows are [`RowTls`], not [`Row`].
pub(crate) const SNAPSHOT_TLS: u32 = 1;

/// [`RowTls::flags`]: the source reports TLS gauges (it sent `conns_tls` or `conns_ktls`).
pub(crate) const ROW_TLS: u32 = 1;

/// `struct mydevice_info`, what `MYDEVICE_IOC_INFO` fills in.
#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes)]
pub(crate) struct Info {
    /// [`PROTOCOL_VERSION`].
    pub(crate) protocol: u32,
    /// The `max_sources` parameter.
    pub(crate) max_sources: u32,
    /// [`RECORD_MAX`].
    pub(crate) record_max: u32,
    /// Sources registered now.
    pub(crate) sources: u32,
    /// The `max_sources_per_uid` parameter.
    pub(crate) max_sources_per_uid: u32,
    /// What this module takes beyond the first version of the protocol: [`INFO_TLS`].
    pub(crate) features: u32,
    /// Zero.
    pub(crate) reserved: [u32; 2],
}

/// `struct mydevice_snapshot`, the request and reply of `MYDEVICE_IOC_SNAPSHOT`.
#[repr(C)]
#[derive(Clone, Copy, Default, FromBytes, IntoBytes)]
pub(crate) struct Snapshot {
    /// In: user address of an array of `capacity` [`Row`]s.
    pub(crate) rows: u64,
    /// In: how many rows that array holds.
    pub(crate) capacity: u32,
    /// In: zero, or [`SNAPSHOT_TLS`] for rows of the [`RowTls`] layout.
    pub(crate) flags: u32,
    /// Out: rows written, `min(capacity, sources)`.
    pub(crate) count: u32,
    /// Out: sources registered (more than `count` when the array was too small).
    pub(crate) sources: u32,
    /// Out: [`PROTOCOL_VERSION`].
    pub(crate) protocol: u32,
    /// In: zero. Out: zero.
    pub(crate) reserved: u32,
    /// Out: milliseconds since the module was loaded.
    pub(crate) uptime_ms: u64,
    /// Out: the module's totals (see [`crate::table::Totals`]).
    pub(crate) opens: u64,
    pub(crate) writes_accepted: u64,
    pub(crate) writes_rejected: u64,
    pub(crate) reads: u64,
}

/// `struct mydevice_row`: one source in a binary snapshot.
#[repr(C)]
#[derive(Clone, Copy, FromBytes, IntoBytes)]
pub(crate) struct Row {
    /// The name, NUL-padded.
    pub(crate) name: [u8; 32],
    /// The writer's process id in the reader's pid namespace (0: not visible there).
    pub(crate) pid: u32,
    /// Zero.
    pub(crate) reserved: u32,
    /// Milliseconds since the source registered.
    pub(crate) uptime_ms: u64,
    /// Milliseconds since its last accepted write.
    pub(crate) idle_ms: u64,
    /// The counters, in [`crate::record::FIELDS`] order.
    pub(crate) counters: [u64; 6],
}

/// `struct mydevice_row_tls`: one source in a binary snapshot asked for with
/// [`SNAPSHOT_TLS`]: the [`Row`], then the TLS gauges.
#[repr(C)]
#[derive(Clone, Copy, FromBytes, IntoBytes)]
pub(crate) struct RowTls {
    /// As without the flag.
    pub(crate) row: Row,
    /// [`ROW_TLS`] when the source reports the gauges below; otherwise they are zero.
    pub(crate) flags: u32,
    /// Zero.
    pub(crate) reserved: u32,
    /// The TLS gauges, in [`crate::record::TLS_FIELDS`] order: live TLS connections, and
    /// those of them whose records the kernel does.
    pub(crate) tls: [u64; 2],
}

// What the eight unsafe impls below rely on: `Info`, `Snapshot`, `Row` and `RowTls` are
// `#[repr(C)]`
// structs of integers and arrays of integers, so every bit pattern is a valid value and
// nothing in them is interior-mutable (`FromBytes`); and they have no padding, so none of
// their bytes is uninitialised (`AsBytes`). zerocopy's `FromBytes` and `IntoBytes` derives
// above check both at compile time; the size and offset assertions below pin the layout.

// SAFETY: integers only, any bit pattern is valid (see above).
unsafe impl transmute::FromBytes for Info {}
// SAFETY: integers only, no padding (see above).
unsafe impl transmute::AsBytes for Info {}
// SAFETY: integers only, any bit pattern is valid (see above).
unsafe impl transmute::FromBytes for Snapshot {}
// SAFETY: integers only, no padding (see above).
unsafe impl transmute::AsBytes for Snapshot {}
// SAFETY: integers only, any bit pattern is valid (see above).
unsafe impl transmute::FromBytes for Row {}
// SAFETY: integers only, no padding (see above).
unsafe impl transmute::AsBytes for Row {}
// SAFETY: integers, arrays of them and a `Row`, any bit pattern is valid (see above).
unsafe impl transmute::FromBytes for RowTls {}
// SAFETY: integers, arrays of them and a `Row`, no padding (see above).
unsafe impl transmute::AsBytes for RowTls {}

// The layout is the ABI: the same sizes and offsets are asserted in `devstats/src/uapi.rs`.
kernel::static_assert!(size_of::<Info>() == 32);
kernel::static_assert!(offset_of!(Info, max_sources_per_uid) == 16);
kernel::static_assert!(offset_of!(Info, features) == 20);
kernel::static_assert!(size_of::<Snapshot>() == 72);
kernel::static_assert!(offset_of!(Snapshot, flags) == 12);
kernel::static_assert!(offset_of!(Snapshot, reserved) == 28);
kernel::static_assert!(offset_of!(Snapshot, uptime_ms) == 32);
kernel::static_assert!(offset_of!(Snapshot, reads) == 64);
kernel::static_assert!(size_of::<Row>() == 104);
kernel::static_assert!(offset_of!(Row, pid) == 32);
kernel::static_assert!(offset_of!(Row, uptime_ms) == 40);
kernel::static_assert!(offset_of!(Row, counters) == 56);
kernel::static_assert!(size_of::<RowTls>() == 128);
kernel::static_assert!(offset_of!(RowTls, flags) == 104);
kernel::static_assert!(offset_of!(RowTls, tls) == 112);
kernel::static_assert!(NAME_MAX < 32);

/// Returns the limits (`struct mydevice_info`).
pub(crate) const MYDEVICE_IOC_INFO: u32 = _IOR::<Info>(IOC_MAGIC, 1);
/// Fills a binary snapshot (`struct mydevice_snapshot` and its rows).
pub(crate) const MYDEVICE_IOC_SNAPSHOT: u32 = _IOWR::<Snapshot>(IOC_MAGIC, 2);
/// Zeroes the module totals (and the caller's own row); needs `CAP_SYS_ADMIN`. Its argument
/// is reserved: zero.
pub(crate) const MYDEVICE_IOC_RESET: u32 = _IO(IOC_MAGIC, 3);

// The numbers `_IOR`/`_IOWR`/`_IO` give in C, as docs/mydevice.md lists them.
kernel::static_assert!(MYDEVICE_IOC_INFO == 0x8020_e701);
kernel::static_assert!(MYDEVICE_IOC_SNAPSHOT == 0xc048_e702);
kernel::static_assert!(MYDEVICE_IOC_RESET == 0x0000_e703);
