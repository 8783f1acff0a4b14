//! The real `/dev/mydevice`, from user space. These tests need the module loaded, so they
//! are ignored by a plain `cargo test`; the VM suite (tests/vm) runs each of them in the
//! guest with `--ignored --exact NAME`, as root, after `insmod`.
//!
//! Each test cleans up after itself by closing its files (which removes their rows), so the
//! tests can run one after another in any order, but not at the same time: the table is
//! shared (`--test-threads=1`).

use devstats::uapi::{self, FIELDS};
use devstats::DEVICE_PATH;
use devstats::{encode_record, encode_record_with_tls, CounterSnapshot, Device, TlsSnapshot};
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

const NEEDS_DEVICE: &str = "needs /dev/mydevice: run in the VM by `make vm-test`";

fn open() -> Device {
    Device::open(DEVICE_PATH).expect("open /dev/mydevice")
}

fn errno(r: io::Result<()>) -> Option<i32> {
    r.err().and_then(|e| e.raw_os_error())
}

/// Registers a source named `name` with `counters` on a new open file.
fn register(name: &str, counters: [u64; 6]) -> Device {
    let dev = open();
    dev.write_record(encode_record(Some(name), &CounterSnapshot(counters)).as_bytes())
        .expect("register");
    dev
}

/// The table's row for `name`, split into its columns.
fn table_row(name: &str) -> Option<Vec<String>> {
    let table = Device::read_table(DEVICE_PATH).expect("read table");
    table
        .lines()
        .map(|l| l.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .find(|cols| cols.first().map(String::as_str) == Some(name))
}

/// Runs `body` in a child process that has dropped root for uid and gid `id` (no
/// supplementary groups), and returns the child's exit status (0: what it checked held;
/// `body` says what else means what). The child makes only system calls on data prepared
/// before the fork, so it may follow a fork from this multi-threaded process.
fn as_user(id: u32, body: impl FnOnce() -> i32) -> i32 {
    // SAFETY: the child runs `body` (system calls only, see above) and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        // SAFETY: plain system calls; `_exit` ends the child without running the parent's
        // destructors.
        unsafe {
            let dropped = libc::setgroups(0, std::ptr::null()) == 0
                && libc::setgid(id) == 0
                && libc::setuid(id) == 0;
            libc::_exit(if dropped { body() } else { 100 });
        }
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status),
        "child ended by a signal: {status:#x}"
    );
    libc::WEXITSTATUS(status)
}

/// `ioctl(fd, req, arg)` as the device's callers see it: `Ok` or the errno.
///
/// # Safety
/// `arg` must be what `req` expects (see `Device::ioctl`), or something the device refuses
/// before it uses it.
unsafe fn ioctl(fd: libc::c_int, req: u32, arg: *mut libc::c_void) -> Result<(), i32> {
    // SAFETY: the caller vouches for `arg`.
    let rc = unsafe { libc::ioctl(fd, req as libc::Ioctl, arg) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

fn snapshot_row(dev: &Device, name: &str) -> Option<devstats::SourceRow> {
    dev.snapshot()
        .expect("snapshot")
        .rows
        .into_iter()
        .find(|r| r.name == name)
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn info_reports_protocol_and_limits() {
    let info = open().info().expect("info ioctl");
    assert_eq!(info.protocol, uapi::PROTOCOL_VERSION);
    assert_eq!(info.max_sources, 64);
    assert_eq!(info.max_sources_per_uid, 16);
    assert_eq!(info.record_max as usize, uapi::RECORD_MAX);
    assert_eq!(info.features, uapi::INFO_TLS);
    assert_eq!(info.reserved, [0; 2]);
    let _ = NEEDS_DEVICE;
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn pushed_counters_show_exactly_in_table_and_snapshot() {
    let values = [3, 17, 1234, 98765, 4_294_967_296, 2];
    let dev = register("exact", values);
    let row = table_row("exact").expect("row in the table");
    // NAME PID UPTIME then the six counters, then LAST_UPDATE.
    assert_eq!(row[1], std::process::id().to_string());
    let shown: Vec<u64> = row[3..9].iter().map(|c| c.parse().unwrap()).collect();
    assert_eq!(shown, values);

    let snap = snapshot_row(&dev, "exact").expect("row in the snapshot");
    assert_eq!(snap.pid, std::process::id());
    assert_eq!(snap.counters, CounterSnapshot(values));

    // A partial record changes only what it names.
    dev.write_record(b"v=1\nrequests=1235\nerrors=3\n").unwrap();
    let snap = snapshot_row(&dev, "exact").unwrap();
    assert_eq!(snap.counters.0, [3, 17, 1235, 98765, 4_294_967_296, 3]);
}

/// `MYDEVICE_IOC_SNAPSHOT` with `flags` into an array of `rows.len() - 1` rows of `R`: the
/// header back, and the last row (which the module must not touch) as a guard.
fn raw_snapshot<R>(dev: &Device, flags: u32, rows: &mut [R]) -> uapi::SnapshotHeader {
    let mut h = uapi::SnapshotHeader {
        rows: rows.as_mut_ptr() as u64,
        capacity: (rows.len() - 1) as u32,
        flags,
        ..uapi::SnapshotHeader::default()
    };
    // SAFETY: a snapshot header, and an array of more than `capacity` rows of the layout
    // `flags` asks for (the callers pass `Row` with 0 and `RowTls` with SNAPSHOT_TLS).
    unsafe {
        ioctl(
            dev.file().as_raw_fd(),
            uapi::MYDEVICE_IOC_SNAPSHOT,
            (&raw mut h).cast(),
        )
    }
    .expect("snapshot ioctl");
    h
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn tls_gauges_show_in_table_and_both_snapshot_layouts() {
    let plain = register("no-tls", [1, 1, 1, 1, 1, 1]);
    let tls = open();
    let gauges = TlsSnapshot {
        conns_tls: 2,
        conns_ktls: 1,
    };
    let counters = CounterSnapshot([3, 5, 7, 9, 11, 0]);
    tls.write_record(encode_record_with_tls(Some("tls"), &counters, Some(gauges)).as_bytes())
        .expect("register with the TLS gauges");

    // The table: TLS and KTLS after ERRORS, `-` for a source without them, then LAST_UPDATE.
    let titles = Device::read_table(DEVICE_PATH).unwrap();
    let titles: Vec<&str> = titles.lines().nth(2).unwrap().split_whitespace().collect();
    assert_eq!(&titles[8..], ["ERRORS", "TLS", "KTLS", "LAST_UPDATE"]);
    let row = table_row("tls").expect("tls row");
    assert_eq!(&row[3..11], ["3", "5", "7", "9", "11", "0", "2", "1"]);
    assert!(row[11].ends_with('s'), "{row:?}");
    let row = table_row("no-tls").expect("no-tls row");
    assert_eq!(&row[8..11], ["1", "-", "-"]);

    // devstats' snapshot asks for the TLS layout, since the module announces it.
    let snap = snapshot_row(&tls, "tls").expect("tls in the snapshot");
    assert_eq!((snap.counters, snap.tls), (counters, Some(gauges)));
    assert_eq!(snapshot_row(&tls, "no-tls").expect("no-tls").tls, None);

    // The first layout, for programs that do not ask: 104-byte rows, not one byte more.
    let sources = tls.info().unwrap().sources as usize;
    let mut rows = vec![uapi::Row::default(); sources + 1];
    rows[sources].name = [0xAA; 32];
    let h = raw_snapshot(&tls, 0, &mut rows);
    assert_eq!((h.count as usize, h.flags), (sources, 0));
    assert_eq!(
        rows[sources].name, [0xAA; 32],
        "the module wrote past the array"
    );
    let old = rows
        .iter()
        .find(|r| r.name.starts_with(b"tls\0"))
        .expect("tls row");
    assert_eq!((old.counters, old.reserved), (counters.0, 0));

    // The TLS layout: the row, its flag, the gauges; zero for a source without them.
    let mut rows = vec![uapi::RowTls::default(); sources + 1];
    rows[sources].tls = [0xAAAA; 2];
    let h = raw_snapshot(&tls, uapi::SNAPSHOT_TLS, &mut rows);
    assert_eq!((h.count as usize, h.flags), (sources, uapi::SNAPSHOT_TLS));
    assert_eq!(
        rows[sources].tls, [0xAAAA; 2],
        "the module wrote past the array"
    );
    let find = |name: &[u8]| rows.iter().find(|r| r.row.name.starts_with(name)).unwrap();
    let with = find(b"tls\0");
    assert_eq!(
        (with.flags, with.reserved, with.tls),
        (uapi::ROW_TLS, 0, [2, 1])
    );
    assert_eq!(with.row.counters, counters.0);
    let without = find(b"no-tls\0");
    assert_eq!((without.flags, without.tls), (0, [0, 0]));

    // A record without the gauges keeps them; one gauge alone changes that one; and a source
    // that starts sending them shows them from then on.
    tls.write_record(b"v=1\nrequests=8\n").unwrap();
    tls.write_record(b"v=1\nconns_ktls=0\n").unwrap();
    plain.write_record(b"v=1\nconns_tls=4\n").unwrap();
    let gauges_of = |name| snapshot_row(&tls, name).and_then(|r| r.tls);
    let expect = |t, k| {
        Some(TlsSnapshot {
            conns_tls: t,
            conns_ktls: k,
        })
    };
    assert_eq!(gauges_of("tls"), expect(2, 0));
    assert_eq!(gauges_of("no-tls"), expect(4, 0));
    assert_eq!(&table_row("no-tls").unwrap()[9..11], ["4", "0"]);
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn closing_the_file_removes_the_row() {
    let dev = register("closing", [1, 1, 1, 1, 1, 1]);
    assert!(table_row("closing").is_some());
    drop(dev);
    assert!(table_row("closing").is_none());
}

/// Records that must be refused, each with its errno.
fn malformed_corpus() -> Vec<(Vec<u8>, i32)> {
    let mut corpus: Vec<(Vec<u8>, i32)> = [
        &b""[..],
        b"\n",
        b"v=1",
        b"v=2\nname=x\n",
        b"name=x\nv=1\n",
        b"v=1\n\n",
        b"v=1\nname=a\nname=a\n",
        b"v=1\nrequests=1\nrequests=1\n",
        b"v=1\nrequests=-1\n",
        b"v=1\nrequests=1.5\n",
        b"v=1\nrequests=18446744073709551616\n",
        b"v=1\nrequests=\n",
        b"v=1\nrequests\n",
        b"v=1\nbogus=1\n",
        b"v=1\nname=\n",
        b"v=1\nname=bad name\n",
        b"v=1\nname=bad\0name\n",
        b"v=1\nname=01234567890123456789012345678901\n",
        b"v=1\r\nrequests=1\r\n",
        b"\0\0\0\0",
    ]
    .iter()
    .map(|r| (r.to_vec(), libc::EINVAL))
    .collect();
    corpus.push((vec![b'x'; uapi::RECORD_MAX + 1], libc::EMSGSIZE));
    let mut big = b"v=1\nname=big\n".to_vec();
    big.resize(uapi::RECORD_MAX + 100, b'\n');
    corpus.push((big, libc::EMSGSIZE));
    corpus.push((vec![0xff; 64 * 1024], libc::EMSGSIZE));
    corpus
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn malformed_writes_get_their_errno_and_change_nothing() {
    let values = [1, 2, 3, 4, 5, 6];
    let dev = register("victim", values);
    let before = open().snapshot().unwrap();
    for (record, expected) in malformed_corpus() {
        // On the registered file (an update) and on a fresh one (a registration).
        assert_eq!(
            errno(dev.write_record(&record)),
            Some(expected),
            "update {:?}",
            String::from_utf8_lossy(&record)
        );
        let fresh = open();
        assert_eq!(
            errno(fresh.write_record(&record)),
            Some(expected),
            "registration {:?}",
            String::from_utf8_lossy(&record)
        );
    }
    // A registration must name the source.
    assert_eq!(
        errno(open().write_record(b"v=1\nrequests=1\n")),
        Some(libc::EINVAL)
    );

    let after = open().snapshot().unwrap();
    assert_eq!(after.rows.len(), before.rows.len());
    let victim = after.rows.iter().find(|r| r.name == "victim").unwrap();
    assert_eq!(victim.counters.0, values);
    assert!(after.writes_rejected >= before.writes_rejected + 2 * malformed_corpus().len() as u64);
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn random_writes_are_refused_without_harm() {
    let dev = register("random-victim", [9, 9, 9, 9, 9, 9]);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut buf = Vec::new();
    for _ in 0..2000 {
        let len = (next() % 700) as usize;
        buf.clear();
        buf.extend((0..len).map(|_| next() as u8));
        // Half the time start like a real record, so the parser goes further in.
        if next() % 2 == 0 && len > 4 {
            buf[..4].copy_from_slice(b"v=1\n");
        }
        match errno(dev.write_record(&buf)) {
            Some(libc::EINVAL) | Some(libc::EMSGSIZE) => {}
            other => panic!("random record of {len} bytes: {other:?}"),
        }
    }
    let row = snapshot_row(&dev, "random-victim").unwrap();
    assert_eq!(row.counters.0, [9; 6]);
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn bad_user_pointers_get_efault() {
    let dev = open();
    // write() from an address that is not mapped.
    // SAFETY: the kernel validates the buffer; nothing in this process reads it.
    let rc = unsafe { libc::write(dev.file().as_raw_fd(), 16 as *const libc::c_void, 20) };
    assert_eq!(rc, -1);
    assert_eq!(
        io::Error::last_os_error().raw_os_error(),
        Some(libc::EFAULT)
    );
    for req in [uapi::MYDEVICE_IOC_INFO, uapi::MYDEVICE_IOC_SNAPSHOT] {
        assert_eq!(
            errno(dev.raw_ioctl_null(req)),
            Some(libc::EFAULT),
            "ioctl {req:#x}"
        );
    }
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn unknown_ioctls_get_enotty() {
    let dev = open();
    // Another magic, another number on ours, our numbers with a wrong size: among them the
    // numbers of the first binary layouts (16-byte info, 64-byte snapshot), which a program
    // built against them still uses.
    for req in [0x5401, 0x0000_e704, 0x8008_e701, 0x8010_e701, 0xc040_e702] {
        assert_eq!(
            errno(dev.raw_ioctl_null(req)),
            Some(libc::ENOTTY),
            "ioctl {req:#x}"
        );
    }
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn too_many_sources_get_enospc() {
    let info = open().info().unwrap();
    let room = (info.max_sources - info.sources) as usize;
    let mut files: Vec<Device> = (0..room)
        .map(|i| register(&format!("fill-{i}"), [i as u64; 6]))
        .collect();
    let extra = open();
    let record = encode_record(Some("one-too-many"), &CounterSnapshot::default());
    assert_eq!(
        errno(extra.write_record(record.as_bytes())),
        Some(libc::ENOSPC)
    );
    // Rows already there still update; closing one makes room.
    files[0].write_record(b"v=1\nrequests=42\n").unwrap();
    files.pop();
    extra.write_record(record.as_bytes()).unwrap();
    assert!(snapshot_row(&extra, "one-too-many").is_some());
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn only_the_registering_process_may_update() {
    let dev = register("owned", [1, 1, 1, 1, 1, 1]);
    let record = b"v=1\nrequests=666\n";
    // SAFETY: the child only calls write and _exit, which are async-signal-safe.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        // SAFETY: as above; the buffer is valid for its length.
        let rc =
            unsafe { libc::write(dev.file().as_raw_fd(), record.as_ptr().cast(), record.len()) };
        let code = if rc == -1 && io::Error::last_os_error().raw_os_error() == Some(libc::EPERM) {
            0
        } else {
            1
        };
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child's write was not refused with EPERM"
    );
    assert_eq!(snapshot_row(&dev, "owned").unwrap().counters.0[2], 1);
    dev.write_record(record).unwrap();
    assert_eq!(snapshot_row(&dev, "owned").unwrap().counters.0[2], 666);
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn reset_zeroes_totals_and_the_callers_row() {
    let mine = register("resetme", [5, 5, 5, 5, 5, 5]);
    let other = register("notmine", [7, 7, 7, 7, 7, 7]);
    mine.reset().unwrap();
    let s = open().snapshot().unwrap();
    // The snapshot itself and the two opens above count after the reset at most.
    assert!(
        s.opens <= 1 && s.writes_accepted == 0 && s.writes_rejected == 0,
        "{s:?}"
    );
    assert_eq!(snapshot_row(&mine, "resetme").unwrap().counters.0, [0; 6]);
    assert_eq!(snapshot_row(&other, "notmine").unwrap().counters.0, [7; 6]);
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn only_cap_sys_admin_may_reset() {
    // The totals are everybody's: an unprivileged process may not zero them, not even on its
    // own file with its own row, nor on a file root opened.
    let root_file = register("root-row", [1; 6]);
    let before = open().snapshot().unwrap();
    assert!(before.writes_accepted > 0);
    let path = c"/dev/mydevice";
    let record = b"v=1\nname=nobody-reset\nrequests=5\n";
    let inherited = root_file.file().as_raw_fd();
    let code = as_user(65534, || {
        // SAFETY: open, write and ioctl on valid buffers; RESET takes no pointer.
        unsafe {
            let fd = libc::open(path.as_ptr(), libc::O_RDWR);
            if fd < 0 || libc::write(fd, record.as_ptr().cast(), record.len()) < 0 {
                return 1;
            }
            if ioctl(fd, uapi::MYDEVICE_IOC_RESET, std::ptr::null_mut()) != Err(libc::EPERM) {
                return 2;
            }
            if ioctl(inherited, uapi::MYDEVICE_IOC_RESET, std::ptr::null_mut()) != Err(libc::EPERM)
            {
                return 3;
            }
            0
        }
    });
    assert_eq!(
        code, 0,
        "1: no row, 2: own file not EPERM, 3: root's file not EPERM"
    );
    let after = open().snapshot().unwrap();
    assert!(after.writes_accepted > before.writes_accepted, "{after:?}");
    assert!(after.opens > before.opens, "{after:?}");
    assert_eq!(
        snapshot_row(&root_file, "root-row").unwrap().counters.0,
        [1; 6]
    );
    // Root may.
    root_file.reset().unwrap();
    assert_eq!(open().snapshot().unwrap().writes_accepted, 0);
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn reserved_fields_must_be_zero() {
    let dev = register("reserved", [4; 6]);
    let fd = dev.file().as_raw_fd();
    let before = dev.snapshot().unwrap();
    let mut rows = vec![uapi::Row::default(); 8];
    let (rows_addr, capacity) = (rows.as_mut_ptr() as u64, rows.len() as u32);
    let header = |flags: u32, reserved: u32| uapi::SnapshotHeader {
        rows: rows_addr,
        capacity,
        flags,
        reserved,
        ..uapi::SnapshotHeader::default()
    };
    // Flag 1 (MYDEVICE_SNAPSHOT_TLS) is defined; no other is.
    for (flags, reserved) in [
        (2, 0),
        (3, 0),
        (0x8000_0000, 0),
        (0, 1),
        (0, u32::MAX),
        (1, 1),
    ] {
        let mut h = header(flags, reserved);
        // SAFETY: a snapshot header, and an array of `capacity` rows it points to.
        let r = unsafe { ioctl(fd, uapi::MYDEVICE_IOC_SNAPSHOT, (&raw mut h).cast()) };
        assert_eq!(
            r,
            Err(libc::EINVAL),
            "flags {flags:#x} reserved {reserved:#x}"
        );
        assert_eq!(h.count, 0, "a refused snapshot wrote its reply");
    }
    assert!(
        rows.iter().all(|r| r.name == [0; 32]),
        "a refused snapshot wrote rows"
    );
    // RESET's argument is reserved too (and is checked before the caller's privilege).
    for arg in [1usize, 0x1000, usize::MAX] {
        // SAFETY: RESET never uses its argument as a pointer.
        let r = unsafe { ioctl(fd, uapi::MYDEVICE_IOC_RESET, arg as *mut libc::c_void) };
        assert_eq!(r, Err(libc::EINVAL), "RESET argument {arg:#x}");
    }
    // Nothing happened: no read counted, no reset.
    let after = dev.snapshot().unwrap();
    assert_eq!(after.reads, before.reads + 1, "{after:?}");
    assert_eq!(after.writes_accepted, before.writes_accepted, "{after:?}");
    // What the reply fields hold on the way in does not matter, and reserved fields come
    // back zero.
    let mut h = uapi::SnapshotHeader {
        count: 77,
        sources: 77,
        protocol: 77,
        uptime_ms: 77,
        reads: 77,
        ..header(0, 0)
    };
    // SAFETY: as above.
    unsafe { ioctl(fd, uapi::MYDEVICE_IOC_SNAPSHOT, (&raw mut h).cast()) }.unwrap();
    assert_eq!((h.flags, h.reserved), (0, 0));
    assert_eq!(h.protocol, uapi::PROTOCOL_VERSION);
    let mine = rows[..h.count as usize]
        .iter()
        .find(|r| r.name.starts_with(b"reserved\0"))
        .expect("row in the snapshot");
    assert_eq!(mine.reserved, 0);
    assert_eq!(mine.counters, [4; 6]);
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn one_uid_gets_at_most_its_share_of_sources() {
    let info = open().info().unwrap();
    let cap = info.max_sources_per_uid as usize;
    assert!(cap < 64, "{info:?}: the test holds at most 64 files");
    assert!(
        info.sources as usize + 2 * cap + 2 <= info.max_sources as usize,
        "{info:?}: no room for the test"
    );
    let path = c"/dev/mydevice";
    let records: Vec<Vec<u8>> = (0..=cap)
        .map(|i| encode_record(Some(&format!("quota-{i}")), &CounterSnapshot::default()).into())
        .collect();
    let (ready, go) = (pipe(), pipe());
    // uid 65534 registers its share, is refused one more, and keeps its rows until told.
    let records_ref = &records;
    // SAFETY: the child only makes system calls, on data prepared before the fork.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: as in `as_user`.
        unsafe {
            // Only the parent writes to `ready` and reads `go`: if it dies, `go` reads EOF.
            libc::close(ready.0);
            libc::close(go.1);
            let code = (|| {
                if libc::setgroups(0, std::ptr::null()) != 0
                    || libc::setgid(65534) != 0
                    || libc::setuid(65534) != 0
                {
                    return 100;
                }
                let mut fds = [-1; 64];
                for (i, record) in records_ref.iter().enumerate() {
                    fds[i] = libc::open(path.as_ptr(), libc::O_RDWR);
                    let rc = libc::write(fds[i], record.as_ptr().cast(), record.len());
                    let errno = io::Error::last_os_error().raw_os_error();
                    match (i < cap, rc) {
                        (true, rc) if rc == record.len() as isize => {}
                        (true, _) => return 1,
                        (false, -1) if errno == Some(libc::EDQUOT) => {}
                        (false, _) => return 2,
                    }
                }
                // A slot given back is the uid's again.
                libc::close(fds[0]);
                let last = &records_ref[cap];
                if libc::write(fds[cap], last.as_ptr().cast(), last.len()) != last.len() as isize {
                    return 3;
                }
                let byte = 1u8;
                libc::write(ready.1, (&raw const byte).cast(), 1);
                let mut buf = 0u8;
                libc::read(go.0, (&raw mut buf).cast(), 1);
                0
            })();
            libc::_exit(code);
        }
    }
    let mut byte = 0u8;
    // SAFETY: closes the child's ends, then reads one byte into `byte`.
    let n = unsafe {
        libc::close(ready.1);
        libc::close(go.0);
        libc::read(ready.0, (&raw mut byte).cast(), 1)
    };
    // While uid 65534 holds its share: the table says so, another uid still registers, and
    // root (CAP_SYS_RESOURCE) is not bound by the cap.
    let check = (|| {
        if n != 1 {
            return Err("the child never got its share".to_string());
        }
        let rows = open().snapshot().map_err(|e| e.to_string())?.rows;
        let held = rows.iter().filter(|r| r.pid == pid as u32).count();
        if held != cap {
            return Err(format!("uid 65534 holds {held} rows, not {cap}"));
        }
        let other = as_user(65533, || {
            // SAFETY: open and write on valid buffers.
            unsafe {
                let fd = libc::open(path.as_ptr(), libc::O_RDWR);
                let r = &records_ref[0];
                (libc::write(fd, r.as_ptr().cast(), r.len()) != r.len() as isize) as i32
            }
        });
        if other != 0 {
            return Err(format!("uid 65533 could not register: {other}"));
        }
        let mut root = Vec::new();
        for i in 0..=cap {
            let record = encode_record(Some(&format!("root-{i}")), &CounterSnapshot::default());
            let dev = open();
            dev.write_record(record.as_bytes())
                .map_err(|e| format!("root's registration {i} over the cap: {e}"))?;
            root.push(dev);
        }
        Ok(())
    })();
    // SAFETY: closes the write end the child reads; it exits on EOF.
    unsafe { libc::close(go.1) };
    let mut status = 0;
    // SAFETY: waits for the child forked above.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    check.unwrap();
    assert!(libc::WIFEXITED(status), "child killed: {status:#x}");
    assert_eq!(
        libc::WEXITSTATUS(status),
        0,
        "1: a registration within the share failed, 2: one over it was not EDQUOT, \
         3: a slot given back was not usable"
    );
    assert!(open()
        .snapshot()
        .unwrap()
        .rows
        .iter()
        .all(|r| !r.name.starts_with("quota-")));
}

/// A pipe: (read end, write end).
fn pipe() -> (libc::c_int, libc::c_int) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    (fds[0], fds[1])
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn threads_of_one_process_share_the_row() {
    // The registry's owner is the process (thread group): a row registered by one thread is
    // updated by the others, and shows the process id, not the id of the thread that wrote.
    let pid = std::process::id();
    let (dev, tid) = std::thread::spawn(|| {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() } as u32;
        (register("threads", [1; 6]), tid)
    })
    .join()
    .unwrap();
    assert_ne!(tid, pid, "the registering thread is the main thread");
    std::thread::scope(|s| {
        s.spawn(|| dev.write_record(b"v=1\nrequests=2\n"))
            .join()
            .unwrap()
    })
    .unwrap();
    dev.write_record(b"v=1\nerrors=3\n").unwrap();
    let row = snapshot_row(&dev, "threads").unwrap();
    assert_eq!(row.counters.0, [1, 1, 2, 1, 1, 3]);
    assert_eq!(row.pid, pid);
    assert_eq!(table_row("threads").unwrap()[1], pid.to_string());
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn large_table_reads_the_same_in_small_pieces() {
    // Enough rows for the table to span more than a page (the most a read hands out at once
    // for many readers, and what `cat` asks for).
    let _files: Vec<Device> = (0..60)
        .map(|i| register(&format!("a-long-source-name-number-{i:03}"), [i; 6]))
        .collect();
    let whole = Device::read_table(DEVICE_PATH).unwrap();
    assert!(whole.len() > 4096, "table is {} bytes", whole.len());
    let mut pieces = Vec::new();
    let file = std::fs::File::open(DEVICE_PATH).unwrap();
    let mut buf = [0u8; 7];
    loop {
        let n = std::io::Read::read(&mut &file, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        pieces.extend_from_slice(&buf[..n]);
    }
    let pieces = String::from_utf8(pieces).unwrap();
    // Two renderings differ only in their times (uptime and ages, `12.3s`) and in the
    // totals line, which counts the first read and open.
    let mask = |t: &str| -> Vec<String> {
        t.lines()
            .enumerate()
            .filter(|(i, _)| *i != 1)
            .map(|(_, line)| {
                line.split(' ')
                    .map(|w| {
                        // A time, also with the title's comma after it (`up 9.4s,`).
                        let t = w.strip_suffix(',').unwrap_or(w);
                        if t.ends_with('s') && t.contains('.') {
                            "T"
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    assert_eq!(mask(&pieces), mask(&whole));
    // Every line is as wide as the title line.
    let lines: Vec<&str> = whole.lines().skip(2).collect();
    assert!(
        lines.iter().all(|l| l.len() == lines[0].len()),
        "ragged table:\n{whole}"
    );
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn killed_writer_loses_its_row() {
    let ctl = std::env::var("MYDEVICE_CTL").unwrap_or_else(|_| "mydevice-ctl".into());
    /// Kills the writer however the test ends, so that it cannot keep the module busy.
    struct Writer(std::process::Child);
    impl Drop for Writer {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Writer(
        std::process::Command::new(ctl)
            .args(["push", "--name", "doomed", "1", "1", "1", "1", "1", "1"])
            .args(["--hold", "600"])
            .spawn()
            .expect("spawn mydevice-ctl"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while table_row("doomed").is_none() {
        assert!(Instant::now() < deadline, "row never appeared");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(table_row("doomed").unwrap()[1], child.0.id().to_string());
    child.0.kill().unwrap(); // SIGKILL
    child.0.wait().unwrap();
    assert!(
        table_row("doomed").is_none(),
        "row of a killed writer is still there"
    );
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn concurrent_writers_and_readers_see_whole_rows() {
    let seconds: u64 = std::env::var("STRESS_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let stop = Instant::now() + Duration::from_secs(seconds);
    std::thread::scope(|s| {
        let writers: Vec<_> = (0..16)
            .map(|w| {
                s.spawn(move || {
                    let dev = register(&format!("writer-{w}"), [0; 6]);
                    let mut i: u64 = 0;
                    while Instant::now() < stop {
                        i += 1;
                        // Every counter of a record has the same value: a torn row would not.
                        dev.write_record(encode_record(None, &CounterSnapshot([i; 6])).as_bytes())
                            .unwrap();
                    }
                    i
                })
            })
            .collect();
        let readers: Vec<_> = (0..4)
            .map(|r| {
                s.spawn(move || {
                    let dev = open();
                    let mut reads = 0u64;
                    while Instant::now() < stop {
                        if r % 2 == 0 {
                            for row in dev.snapshot().unwrap().rows {
                                if row.name.starts_with("writer-") {
                                    let c = row.counters.0;
                                    assert!(c.iter().all(|&v| v == c[0]), "torn row {row:?}");
                                }
                            }
                        } else {
                            let table = Device::read_table(DEVICE_PATH).unwrap();
                            for line in table.lines().filter(|l| l.starts_with("writer-")) {
                                let cols: Vec<&str> = line.split_whitespace().collect();
                                assert!(
                                    cols[3..9].iter().all(|&v| v == cols[3]),
                                    "torn line {line}"
                                );
                            }
                        }
                        reads += 1;
                    }
                    reads
                })
            })
            .collect();
        let writes: u64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
        let reads: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
        println!("{seconds} s: {writes} writes by 16 writers, {reads} reads by 4 readers");
        assert!(writes > 0 && reads > 0);
    });
    assert!(open()
        .snapshot()
        .unwrap()
        .rows
        .iter()
        .all(|r| !r.name.starts_with("writer-")));
}

#[test]
#[ignore = "needs /dev/mydevice: run in the VM by `make vm-test`"]
fn unprivileged_process_writes_its_own_row() {
    // The node is made 0666 by the udev rule (kmod/99-mydevice.rules); the VM does the same.
    // SAFETY: the child calls only async-signal-safe functions (setgroups, setgid, setuid,
    // open, write, close, _exit) on data prepared before the fork.
    let path = c"/dev/mydevice";
    let record = b"v=1\nname=nobody-row\nrequests=1\n";
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0);
    if pid == 0 {
        // SAFETY: see above.
        unsafe {
            let ok = libc::setgroups(0, std::ptr::null()) == 0
                && libc::setgid(65534) == 0
                && libc::setuid(65534) == 0;
            let fd = libc::open(path.as_ptr(), libc::O_RDWR);
            let wrote = fd >= 0
                && libc::write(fd, record.as_ptr().cast(), record.len()) == record.len() as isize;
            libc::_exit(if ok && wrote { 0 } else { 1 });
        }
    }
    let mut status = 0;
    // SAFETY: waits for the child just forked.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "uid 65534 could not write a row"
    );
    // The child exited, so its row is gone.
    assert!(table_row("nobody-row").is_none());
    let _ = FIELDS;
}
