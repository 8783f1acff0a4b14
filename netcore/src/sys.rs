//! The few `libc` calls that std does not wrap, with errors turned into `io::Error`.

use std::io;
use std::os::fd::RawFd;

/// Turns a `-1` return value of a libc call into the `errno` error.
pub fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// [`cvt`], with the error prefixed by `what` (the call's name), for a message that says which
/// call failed: `chroot: Permission denied`.
pub fn cvt_named(ret: libc::c_int, what: &str) -> io::Result<libc::c_int> {
    cvt(ret).map_err(|e| io::Error::new(e.kind(), format!("{what}: {e}")))
}

/// Sets or clears `O_NONBLOCK` on a file descriptor.
pub fn set_nonblocking(fd: RawFd, nonblocking: bool) -> io::Result<()> {
    // SAFETY: fcntl on a descriptor we were given; an invalid one yields EBADF.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    let flags = if nonblocking {
        flags | libc::O_NONBLOCK
    } else {
        flags & !libc::O_NONBLOCK
    };
    // SAFETY: as above.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFL, flags) })?;
    Ok(())
}

/// Raises the soft `RLIMIT_NOFILE` to `wanted` (capped at the hard limit) if it is lower,
/// and returns the soft limit now in force. Servers with many clients need more than the
/// usual 1024 descriptors.
pub fn raise_fd_limit(wanted: u64) -> io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    cvt(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) })?;
    let target = wanted.min(lim.rlim_max);
    if lim.rlim_cur < target {
        lim.rlim_cur = target;
        // SAFETY: setrlimit reads the struct we own.
        cvt(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) })?;
    }
    Ok(lim.rlim_cur)
}

/// Reads the process's CPU time (user + system) from `/proc/PID/stat`, in seconds.
pub fn process_cpu_seconds(pid: u32) -> io::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name is in parentheses and may contain spaces: fields start after ')'.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed /proc stat"))?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')': state is field 3 of stat(5), so utime (14) and stime (15) are at 11 and 12.
    let parse = |i: usize| -> io::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed /proc stat"))
    };
    // SAFETY: sysconf has no memory effects.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    Ok((parse(11)? + parse(12)?) as f64 / ticks)
}

/// How many times the calling thread was switched out while it could have run on: preempted,
/// or it yielded (`sched_yield`) to another task (`getrusage(RUSAGE_THREAD)`'s `ru_nivcsw`).
pub fn involuntary_switches() -> io::Result<u64> {
    // SAFETY: all-zero is a valid `rusage` (integers and timevals).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage writes into the struct we own.
    cvt(unsafe { libc::getrusage(libc::RUSAGE_THREAD, &mut usage) })?;
    Ok(usage.ru_nivcsw as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fd_limit_is_at_least_what_was_asked_when_the_hard_limit_allows() {
        let now = raise_fd_limit(1024).unwrap();
        assert!(now >= 1024);
    }

    #[test]
    fn own_cpu_time_is_readable() {
        let cpu = process_cpu_seconds(std::process::id()).unwrap();
        assert!(cpu >= 0.0);
    }

    /// A thread that yields to another runnable one on its CPU is switched out: counted.
    #[test]
    fn a_yield_to_another_task_on_the_cpu_counts_as_an_involuntary_switch() {
        // Both threads on one CPU of those this process may use, so that the other one is
        // runnable there when this one yields.
        // SAFETY: all-zero is an empty CPU set; the calls read and write sets we own.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::cpu_set_t>();
        assert_eq!(unsafe { libc::sched_getaffinity(0, size, &mut set) }, 0);
        let cpu = (0..libc::CPU_SETSIZE as usize)
            .find(|&c| unsafe { libc::CPU_ISSET(c, &set) })
            .unwrap();
        let pin = move || {
            // SAFETY: as above.
            let mut one: libc::cpu_set_t = unsafe { std::mem::zeroed() };
            unsafe { libc::CPU_SET(cpu, &mut one) };
            assert_eq!(unsafe { libc::sched_setaffinity(0, size, &one) }, 0);
        };
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let spinning = std::sync::Arc::clone(&stop);
        let other = std::thread::spawn(move || {
            pin();
            while !spinning.load(std::sync::atomic::Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
        pin();
        let before = involuntary_switches().unwrap();
        // Until the spinner has had the CPU (at once, unless it has not started yet).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while involuntary_switches().unwrap() == before && std::time::Instant::now() < deadline {
            std::thread::yield_now();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        other.join().unwrap();
        assert!(involuntary_switches().unwrap() > before);
    }

    #[test]
    fn nonblocking_flag_round_trips() {
        use std::os::fd::AsRawFd;
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        set_nonblocking(a.as_raw_fd(), true).unwrap();
        let mut buf = [0u8; 1];
        let err = std::io::Read::read(&mut &a, &mut buf).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::WouldBlock);
        set_nonblocking(a.as_raw_fd(), false).unwrap();
    }
}
