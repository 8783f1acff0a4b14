//! The device's interface, as the kernel module defines it in `kmod/uapi.rs`: protocol
//! version, limits, ioctl numbers and the binary layouts, as `#[repr(C)]` structs. Both sides
//! assert the same sizes and offsets at compile time, and the ioctl numbers encode the sizes,
//! so a program built against another layout gets `ENOTTY` rather than a misread struct.
//!
//! Extensions are announced and asked for: [`Info::features`] says what a module takes
//! beyond the first version ([`INFO_TLS`]: the TLS gauges; a module before 0.4.0 leaves it
//! zero), and a snapshot carries them only when asked with [`SNAPSHOT_TLS`], in rows of the
//! larger [`RowTls`] layout (an older module refuses the flag with `EINVAL`).

/// Version of the record format (the `v=` line). The binary layouts are identified by their
/// ioctl numbers.
pub const PROTOCOL_VERSION: u32 = 1;
/// Longest record a write may carry, in bytes.
pub const RECORD_MAX: usize = 512;
/// Longest source name, in bytes.
pub const NAME_MAX: usize = 31;
/// The counters, in record, table and binary row order.
pub const FIELDS: [&str; 6] = [
    "conns_active",
    "conns_total",
    "requests",
    "bytes_in",
    "bytes_out",
    "errors",
];
/// The optional TLS gauges, in record and binary row order: live TLS connections, and those
/// of them whose records the kernel does (kTLS). Sent only by servers that serve TLS.
pub const TLS_FIELDS: [&str; 2] = ["conns_tls", "conns_ktls"];

/// [`Info::features`]: the module takes [`TLS_FIELDS`] in records and [`SNAPSHOT_TLS`].
pub const INFO_TLS: u32 = 1;
/// [`SnapshotHeader::flags`]: the rows are [`RowTls`].
pub const SNAPSHOT_TLS: u32 = 1;
/// [`RowTls::flags`]: the source reports the TLS gauges.
pub const ROW_TLS: u32 = 1;

/// The ioctl "type" byte of the device.
const IOC_MAGIC: u32 = 0xE7;

// The Linux `_IOC` encoding (x86_64 and most architectures): dir:2 size:14 type:8 nr:8.
const IOC_NONE: u32 = 0;
const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

const fn ioc(dir: u32, nr: u32, size: usize) -> u32 {
    (dir << 30) | ((size as u32) << 16) | (IOC_MAGIC << 8) | nr
}

/// `struct mydevice_info`: what `MYDEVICE_IOC_INFO` returns.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Info {
    /// [`PROTOCOL_VERSION`], the record format's version.
    pub protocol: u32,
    pub max_sources: u32,
    pub record_max: u32,
    /// Sources registered now.
    pub sources: u32,
    /// Most sources one uid may register (`CAP_SYS_RESOURCE` is exempt).
    pub max_sources_per_uid: u32,
    /// What the module takes beyond the first version: [`INFO_TLS`] (0 from modules before
    /// 0.4.0, where it was reserved).
    pub features: u32,
    /// Zero.
    pub reserved: [u32; 2],
}

/// `struct mydevice_snapshot`: the request (`rows`, `capacity`, and `flags` and `reserved`,
/// which must be zero) and reply of `MYDEVICE_IOC_SNAPSHOT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SnapshotHeader {
    /// In: address of an array of `capacity` [`Row`]s.
    pub rows: u64,
    /// In: number of rows the array holds.
    pub capacity: u32,
    /// In: zero, or [`SNAPSHOT_TLS`] for rows of the [`RowTls`] layout (any other bit gets
    /// `EINVAL`). Out: as it came in.
    pub flags: u32,
    /// Out: rows written.
    pub count: u32,
    /// Out: sources registered (may exceed `count`).
    pub sources: u32,
    /// Out: protocol version.
    pub protocol: u32,
    /// In: zero (`EINVAL` otherwise). Out: zero.
    pub reserved: u32,
    /// Out: milliseconds since the module was loaded.
    pub uptime_ms: u64,
    pub opens: u64,
    pub writes_accepted: u64,
    pub writes_rejected: u64,
    pub reads: u64,
}

/// `struct mydevice_row`: one source in a binary snapshot.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct Row {
    /// NUL-padded.
    pub name: [u8; 32],
    /// The writer's process id in the reader's pid namespace; 0 when it is not visible there.
    pub pid: u32,
    /// Zero.
    pub reserved: u32,
    pub uptime_ms: u64,
    pub idle_ms: u64,
    /// In [`FIELDS`] order.
    pub counters: [u64; 6],
}

/// `struct mydevice_row_tls`: one source in a snapshot asked for with [`SNAPSHOT_TLS`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct RowTls {
    /// As without the flag.
    pub row: Row,
    /// [`ROW_TLS`] when the source reports the gauges; otherwise they are zero.
    pub flags: u32,
    /// Zero.
    pub reserved: u32,
    /// In [`TLS_FIELDS`] order.
    pub tls: [u64; 2],
}

// The layouts the kernel side asserts in `kmod/uapi.rs`: the same sizes and offsets, checked
// at compile time on both sides.
const _: () = {
    use std::mem::offset_of;
    assert!(size_of::<Info>() == 32);
    assert!(offset_of!(Info, max_sources_per_uid) == 16);
    assert!(offset_of!(Info, features) == 20);
    assert!(size_of::<SnapshotHeader>() == 72);
    assert!(offset_of!(SnapshotHeader, flags) == 12);
    assert!(offset_of!(SnapshotHeader, reserved) == 28);
    assert!(offset_of!(SnapshotHeader, uptime_ms) == 32);
    assert!(offset_of!(SnapshotHeader, reads) == 64);
    assert!(size_of::<Row>() == 104);
    assert!(offset_of!(Row, pid) == 32);
    assert!(offset_of!(Row, uptime_ms) == 40);
    assert!(offset_of!(Row, counters) == 56);
    assert!(size_of::<RowTls>() == 128);
    assert!(offset_of!(RowTls, flags) == 104);
    assert!(offset_of!(RowTls, tls) == 112);
    assert!(NAME_MAX < 32);
};

/// `_IOR(0xE7, 1, struct mydevice_info)`
pub const MYDEVICE_IOC_INFO: u32 = ioc(IOC_READ, 1, size_of::<Info>());
/// `_IOWR(0xE7, 2, struct mydevice_snapshot)`
pub const MYDEVICE_IOC_SNAPSHOT: u32 = ioc(IOC_READ | IOC_WRITE, 2, size_of::<SnapshotHeader>());
/// `_IO(0xE7, 3)`; the argument is reserved and must be 0. Needs `CAP_SYS_ADMIN`.
pub const MYDEVICE_IOC_RESET: u32 = ioc(IOC_NONE, 3, 0);

// The numbers `_IOR`/`_IOWR`/`_IO` give in C for these sizes, as the kernel side asserts too.
const _: () = {
    assert!(MYDEVICE_IOC_INFO == 0x8020_e701);
    assert!(MYDEVICE_IOC_SNAPSHOT == 0xc048_e702);
    assert!(MYDEVICE_IOC_RESET == 0x0000_e703);
};
