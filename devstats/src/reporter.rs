//! The background thread that pushes a server's counters to the device.
//!
//! It wakes every `interval`, and writes a record when the counters changed since the last
//! one (the row's LAST_UPDATE column then says how long the server has been quiet). The
//! server's threads only bump atomics; they never wait on the device or on this thread.
//! Stopping the reporter (or dropping it) pushes a last record and closes the device, which
//! removes the row.
//!
//! The TLS gauges go into the records when the server reports them and the module takes
//! them (`MYDEVICE_INFO_TLS`); a module before 0.4.0 would refuse such a record, so against
//! one the reporter says once that they are left out, and pushes the rest.

use crate::counters::{CounterSnapshot, Counters, TlsSnapshot};
use crate::device::Device;
use crate::record::encode_record_with_tls;
use crate::uapi;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A running reporter; stops when dropped.
#[derive(Debug)]
pub struct Reporter {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl Reporter {
    /// Starts pushing `counters` to [`DEVICE_PATH`](crate::DEVICE_PATH) as source `name`.
    pub fn start(name: &str, counters: Arc<Counters>, interval: Duration) -> Reporter {
        Self::start_at(crate::DEVICE_PATH, name, counters, interval)
    }

    /// Like [`start`](Self::start), with another device path.
    pub fn start_at(
        path: impl Into<PathBuf>,
        name: &str,
        counters: Arc<Counters>,
        interval: Duration,
    ) -> Reporter {
        let path = path.into();
        let device = Device::open(&path);
        Self::start_on(device, &path, name, counters, interval)
    }

    /// Like [`start_at`](Self::start_at), on a device the caller opened: a server that
    /// chroots or drops privileges opens the device first (`Device::open`), then starts
    /// the reporter. An `Err` (the open failed) is logged once, as a missing device is.
    pub fn start_on(
        device: std::io::Result<Device>,
        path: &std::path::Path,
        name: &str,
        counters: Arc<Counters>,
        interval: Duration,
    ) -> Reporter {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let device = match device {
            Ok(device) => Some(device),
            Err(e) => {
                eprintln!(
                    "{name}: statistics not pushed: cannot open {}: {e}",
                    path.display()
                );
                None
            }
        };
        let (path, owned_name, flag) = (path.to_owned(), name.to_owned(), Arc::clone(&stop));
        let thread = device.and_then(|device| {
            std::thread::Builder::new()
                .name("devstats".into())
                .spawn(move || run(device, &path, &owned_name, &counters, interval, &flag))
                .map_err(|e| eprintln!("{name}: cannot start the statistics thread: {e}"))
                .ok()
        });
        Reporter { stop, thread }
    }

    /// Pushes a last record and stops; the device file is closed, so the row disappears.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let (lock, cvar) = &*self.stop;
        if let Ok(mut stopped) = lock.lock() {
            *stopped = true;
        }
        cvar.notify_all();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn run(
    device: Device,
    path: &std::path::Path,
    name: &str,
    counters: &Counters,
    interval: Duration,
    stop: &(Mutex<bool>, Condvar),
) {
    // Whether the module takes the TLS gauges. Something that is not the device (a plain
    // file, for a look at the records) answers no ioctl, and takes any text.
    let takes_tls = match device.info() {
        Ok(info) => info.features & uapi::INFO_TLS != 0,
        Err(_) => true,
    };
    let mut tls_dropped = false;
    let mut last: Option<(CounterSnapshot, Option<TlsSnapshot>)> = None;
    // Writes a record if the counters changed; the first record names the source.
    let mut push = |last: &mut Option<(CounterSnapshot, Option<TlsSnapshot>)>| -> bool {
        let mut tls = counters.tls_snapshot();
        if tls.is_some() && !takes_tls {
            if !tls_dropped {
                eprintln!(
                    "{name}: TLS connection counts not pushed: {} is a module before 0.4.0",
                    path.display()
                );
                tls_dropped = true;
            }
            tls = None;
        }
        let now = (counters.snapshot(), tls);
        if *last == Some(now) {
            return true;
        }
        let record = encode_record_with_tls(last.is_none().then_some(name), &now.0, now.1);
        match device.write_record(record.as_bytes()) {
            Ok(()) => {
                *last = Some(now);
                true
            }
            Err(e) => {
                eprintln!(
                    "{name}: statistics no longer pushed: {}: {e}",
                    path.display()
                );
                false
            }
        }
    };
    let (lock, cvar) = stop;
    loop {
        if !push(&mut last) {
            return;
        }
        let Ok(guard) = lock.lock() else { return };
        let Ok((guard, _)) = cvar.wait_timeout_while(guard, interval, |stopped| !*stopped) else {
            return;
        };
        if *guard {
            // One last push, so the final figures are there until the file closes.
            drop(guard);
            push(&mut last);
            return;
        }
    }
}
