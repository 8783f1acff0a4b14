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
//! writes, [`table`] formats reads, [`registry`] holds the sources under one lock, and
//! [`file`] ties them to the file operations.

mod file;
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
    },
}

/// The module's version, shown in the table's header.
pub(crate) const VERSION: &str = "0.2.0";

/// Upper bound of the `max_sources` parameter.
const MAX_SOURCES_LIMIT: u32 = 4096;

/// The `max_sources` parameter (checked at load time to be within 1..=4096).
pub(crate) fn max_sources() -> u32 {
    module_parameters::max_sources.value()
}

/// The loaded module: owns the device registration, so unloading removes `/dev/mydevice`.
#[pin_data(PinnedDrop)]
struct MyDeviceModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<file::OpenFile>,
}

impl kernel::InPlaceModule for MyDeviceModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        // SAFETY: this is the only call of `init`, and it happens before the device exists,
        // so before any other use of the lock.
        unsafe { registry::REGISTRY.init() };
        registry::REGISTRY.lock().start();

        let limit = max_sources();
        pin_init::pin_init_scope(move || {
            if !(1..=MAX_SOURCES_LIMIT).contains(&limit) {
                pr_err!("max_sources={limit} is out of range (1 to {MAX_SOURCES_LIMIT})\n");
                return Err(EINVAL);
            }
            let options = MiscDeviceOptions { name: c"mydevice" };
            Ok(try_pin_init!(Self {
                _miscdev <- MiscDeviceRegistration::register(options),
            }))
        })
        .pin_chain(move |_| {
            pr_info!(
                "loaded, version {VERSION}, protocol {}: /dev/mydevice, max_sources={limit}\n",
                uapi::PROTOCOL_VERSION
            );
            Ok(())
        })
    }
}

#[pinned_drop]
impl PinnedDrop for MyDeviceModule {
    fn drop(self: Pin<&mut Self>) {
        // No file is open (each holds a reference on the module), so the table is empty.
        registry::REGISTRY.lock().release_memory();
        pr_info!("unloaded\n");
    }
}
