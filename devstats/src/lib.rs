//! `devstats`: the user-space side of `/dev/mydevice`.
//!
//! Servers keep their counters in a [`Counters`] (atomics, cheap to bump from any thread)
//! and start a [`Reporter`], a background thread that writes them to the device at most
//! every so many milliseconds: the server's own threads never touch the device, so pushing
//! cannot block or slow its event loop. When the device is absent the reporter logs one
//! line and does nothing more.
//!
//! [`Device`] is the device itself: records, and the ioctls for the protocol version, a
//! binary snapshot and a reset. [`uapi`] defines the numbers and layouts (the kernel side
//! has its own definitions in `kmod/uapi.rs`; the VM suite proves the two agree).
//! `docs/mydevice.md` documents the protocol.

mod counters;
mod device;
#[doc(hidden)]
pub mod fuzzing;
mod record;
mod reporter;
pub mod uapi;

pub use counters::{CounterSnapshot, Counters, TlsSnapshot};
pub use device::{Device, Snapshot, SourceRow};
pub use record::{encode_record, encode_record_with_tls};
pub use reporter::Reporter;

/// Where the device lives.
pub const DEVICE_PATH: &str = "/dev/mydevice";
