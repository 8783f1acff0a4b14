// SPDX-License-Identifier: GPL-2.0

//! `mydevice`: the misc device `/dev/mydevice` through which the toolkit's servers show
//! their live statistics.
//!
//! At this stage the device only identifies itself: every read returns one version line,
//! `mydevice <version>\n`, honouring the file position so that small reads (`dd bs=1`)
//! see the same bytes as one large read. Loading and unloading each log one line.

use kernel::{
    fs::{File, Kiocb},
    iov::IovIterDest,
    miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration},
    prelude::*,
};

module! {
    type: MyDeviceModule,
    name: "mydevice",
    authors: ["OS-internals toolkit"],
    description: "Live statistics of the toolkit's servers, as a misc device",
    license: "GPL",
}

/// The module's version, as a macro so that it can be spliced into literals.
macro_rules! version {
    () => {
        "0.1.0"
    };
}

/// The line a read returns.
const VERSION_LINE: &str = concat!("mydevice ", version!(), "\n");

/// The loaded module: owns the device registration, so unloading removes `/dev/mydevice`.
#[pin_data(PinnedDrop)]
struct MyDeviceModule {
    #[pin]
    _miscdev: MiscDeviceRegistration<MyDeviceFile>,
}

impl kernel::InPlaceModule for MyDeviceModule {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        let options = MiscDeviceOptions {
            name: c"mydevice",
        };
        try_pin_init!(Self {
            _miscdev <- MiscDeviceRegistration::register(options),
        })
        .pin_chain(|_| {
            pr_info!("loaded, version {}: /dev/mydevice\n", version!());
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

/// The state of one open file of the device. Nothing yet: every reader sees the same line.
struct MyDeviceFile;

#[vtable]
impl MiscDevice for MyDeviceFile {
    type Ptr = KBox<Self>;

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        Ok(KBox::new(MyDeviceFile, GFP_KERNEL)?)
    }

    fn read_iter(mut kiocb: Kiocb<'_, Self::Ptr>, iov: &mut IovIterDest<'_>) -> Result<usize> {
        iov.simple_read_from_buffer(kiocb.ki_pos_mut(), VERSION_LINE.as_bytes())
    }
}
