// SPDX-License-Identifier: GPL-2.0

//! `mydevice`: the misc device `/dev/mydevice`, where the toolkit's servers show their live
//! statistics.
//!
//! Servers write records of counters (see [`record`]); each open file that writes one
//! becomes a source, a row of the table that `cat /dev/mydevice` shows (see [`table`]), and
//! the row goes away when the file is closed. Programs get the same figures in binary form
//! through ioctls (see [`uapi`]). `docs/mydevice.md` is the protocol's documentation.
//!
//! The module is split by idea: [`uapi`] is the user-space interface, [`record`] parses
//! writes, [`table`] formats reads, [`registry`] holds the sources under one lock,
//! [`process`] identifies the process that owns a source, and [`file`] ties them to the file
//! operations.

mod file;
mod process;
mod record;
mod registry;
mod table;
mod uapi;

use kernel::{
    miscdevice::{MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
};

module! {
    type: MyDeviceModule,
    name: "mydevice",
    authors: ["OS-internals toolkit"],
    description: "Live statistics of the toolkit's servers, as a misc device",
    license: "GPL",
    params: {
        max_sources: u32 {
            default: 64,
            description: "Most sources (open files that registered) at once, 1 to 4096",
        },
        max_sources_per_uid: u32 {
            default: 16,
            description: "Most sources one uid may register, 1 to 4096 (CAP_SYS_RESOURCE is exempt)",
        },
    },
}

/// The module's version, shown in the table's header.
pub(crate) const VERSION: &str = "0.4.0";

/// Upper bound of the `max_sources` and `max_sources_per_uid` parameters.
const MAX_SOURCES_LIMIT: u32 = 4096;

/// The `max_sources` parameter (checked at load time to be within 1..=4096).
pub(crate) fn max_sources() -> u32 {
    module_parameters::max_sources.value()
}

/// The `max_sources_per_uid` parameter (checked at load time to be within 1..=4096).
pub(crate) fn max_sources_per_uid() -> u32 {
    module_parameters::max_sources_per_uid.value()
}

/// The registry's table of sources, allocated for `max_sources` when the module loads and
/// freed when it unloads, or when registering the device fails.
struct RegistryTable;

impl RegistryTable {
    /// Allocates the table (before taking the registry's lock) and hands it to the registry.
    fn start(limits: registry::Limits) -> Result<Self> {
        let table = KVVec::with_capacity(limits.max_sources, GFP_KERNEL)?;
        registry::REGISTRY.lock().start(table, limits);
        Ok(Self)
    }
}

impl Drop for RegistryTable {
    fn drop(&mut self) {
        // No file is open (each holds a reference on the module) and the device is gone, so
        // the table is empty. It is freed once the lock is released.
        let table = registry::REGISTRY.lock().take_memory();
        drop(table);
    }
}

/// The loaded module: owns the device registration, so unloading removes `/dev/mydevice`,
/// and then the registry's table (fields are dropped in this order).
#[pin_data(PinnedDrop)]
struct MyDeviceModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<file::OpenFile>,
    _table: RegistryTable,
}

impl kernel::InPlaceModule for MyDeviceModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: this is the only call of `init`, and it happens before the device exists,
        // so before any other use of the lock.
        unsafe { registry::REGISTRY.init() };

        let (limit, per_uid) = (max_sources(), max_sources_per_uid());
        pin_init::pin_init_scope(move || {
            for (name, value) in [("max_sources", limit), ("max_sources_per_uid", per_uid)] {
                if !(1..=MAX_SOURCES_LIMIT).contains(&value) {
                    pr_err!("{name}={value} is out of range (1 to {MAX_SOURCES_LIMIT})\n");
                    return Err(EINVAL);
                }
            }
            let limits = registry::Limits {
                max_sources: limit as usize,
                max_per_uid: per_uid as usize,
            };
            let options = MiscDeviceOptions { name: c"mydevice" };
            // The table first: the device can be opened as soon as it is registered.
            Ok(try_pin_init!(Self {
                _table: RegistryTable::start(limits)?,
                _miscdev <- MiscDeviceRegistration::register(options),
            }))
        })
        .pin_chain(move |_| {
            pr_info!(
                "loaded, version {VERSION}, protocol {}: /dev/mydevice, max_sources={limit}, \
                 max_sources_per_uid={per_uid}\n",
                uapi::PROTOCOL_VERSION
            );
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for MyDeviceModule {
    fn drop(self: Pin<&mut Self>) {
        pr_info!("unloaded\n");
    }
}
