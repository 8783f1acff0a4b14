//! The device's interface, as the kernel module defines it in `kmod/uapi.rs`: protocol
//! version, limits, ioctl numbers and the binary layouts, as `#[repr(C)]` structs.

/// Version of the record format and the binary layouts.
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
    pub protocol: u32,
    pub max_sources: u32,
    pub record_max: u32,
    pub sources: u32,
}

/// `struct mydevice_snapshot`: the request (`rows`, `capacity`) and reply of
/// `MYDEVICE_IOC_SNAPSHOT`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SnapshotHeader {
    /// In: address of an array of `capacity` [`Row`]s.
    pub rows: u64,
    /// In: number of rows the array holds.
    pub capacity: u32,
    /// Out: rows written.
    pub count: u32,
    /// Out: sources registered (may exceed `count`).
    pub sources: u32,
    /// Out: protocol version.
    pub protocol: u32,
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
    pub pid: u32,
    pub reserved: u32,
    pub uptime_ms: u64,
    pub idle_ms: u64,
    /// In [`FIELDS`] order.
    pub counters: [u64; 6],
}

/// `_IOR(0xE7, 1, struct mydevice_info)`
pub const MYDEVICE_IOC_INFO: u32 = ioc(IOC_READ, 1, size_of::<Info>());
/// `_IOWR(0xE7, 2, struct mydevice_snapshot)`
pub const MYDEVICE_IOC_SNAPSHOT: u32 = ioc(IOC_READ | IOC_WRITE, 2, size_of::<SnapshotHeader>());
/// `_IO(0xE7, 3)`
pub const MYDEVICE_IOC_RESET: u32 = ioc(IOC_NONE, 3, 0);

#[cfg(test)]
mod tests {
    use super::*;

    /// The sizes the kernel side encodes in its ioctl numbers.
    #[test]
    fn layouts_have_the_kernel_sizes() {
        assert_eq!(size_of::<Info>(), 16);
        assert_eq!(size_of::<SnapshotHeader>(), 64);
        assert_eq!(size_of::<Row>(), 104);
    }

    /// The numbers `_IOR`/`_IOWR`/`_IO` give in C for these sizes.
    #[test]
    fn ioctl_numbers_match_the_c_macros() {
        assert_eq!(MYDEVICE_IOC_INFO, 0x8010_e701);
        assert_eq!(MYDEVICE_IOC_SNAPSHOT, 0xc040_e702);
        assert_eq!(MYDEVICE_IOC_RESET, 0x0000_e703);
    }
}
