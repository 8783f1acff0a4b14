//! Nothing acknowledged is lost when the process dies: a writer records every write the
//! server acknowledged, the server is SIGKILLed at a random moment, restarted on the same
//! directory, and every acknowledged write must be there. (A kill loses the process, not
//! the page cache: this checks that a reply never leaves before its command is written; the
//! power-loss test in the VM checks the fsync.)

use crate::common::{start, Reply, Resp, TempDir};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A pseudo-random delay between 20 and 220 ms, different each call.
fn random_delay(seed: &mut u64) -> Duration {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    Duration::from_millis(20 + *seed % 200)
}

/// Writes `SET w:N N` and `INCR counter` in pipelined batches until the connection dies;
/// returns the highest N acknowledged and the counter's last acknowledged value.
fn write_until_killed(mut c: Resp, stop: Arc<AtomicBool>) -> (i64, i64) {
    let mut acked = -1;
    let mut counter = 0;
    let mut next = 0i64;
    while !stop.load(Ordering::Relaxed) {
        let batch: Vec<i64> = (next..next + 16).collect();
        let mut buf = Vec::new();
        for n in &batch {
            let v = n.to_string();
            buf.extend_from_slice(
                format!(
                    "*3\r\n$3\r\nSET\r\n${}\r\nw:{v}\r\n${}\r\n{v}\r\n",
                    v.len() + 2,
                    v.len()
                )
                .as_bytes(),
            );
            buf.extend_from_slice(b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n");
        }
        if c.reader.get_mut().write_all_nosignal(&buf).is_err() {
            break;
        }
        for n in &batch {
            match c.read() {
                Some(Reply::Simple(ok)) if ok == "OK" => acked = *n,
                _ => return (acked, counter),
            }
            match c.read() {
                Some(Reply::Int(v)) => counter = v,
                _ => return (acked, counter),
            }
        }
        next += 16;
    }
    (acked, counter)
}

trait WriteAllNoSignal {
    fn write_all_nosignal(&mut self, buf: &[u8]) -> std::io::Result<()>;
}

impl WriteAllNoSignal for std::net::TcpStream {
    /// `write_all` with MSG_NOSIGNAL: a server killed mid-write is an error, not a SIGPIPE.
    fn write_all_nosignal(&mut self, mut buf: &[u8]) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        while !buf.is_empty() {
            // SAFETY: sends from a live slice on our socket.
            let n = unsafe {
                libc::send(
                    self.as_raw_fd(),
                    buf.as_ptr() as *const libc::c_void,
                    buf.len(),
                    libc::MSG_NOSIGNAL,
                )
            };
            if n < 0 {
                let e = std::io::Error::last_os_error();
                if e.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            buf = &buf[n as usize..];
        }
        Ok(())
    }
}

fn kill_rounds(policy: &str, rounds: usize) {
    let args = ["--appendfsync", policy];
    kill_rounds_with(policy, &args, rounds, |_| {});
}

/// `rounds` of: start kv with `args`, write until it is SIGKILLed at a random moment,
/// `after_kill(dir)` on what the kill left, restart, every acknowledged write there.
pub(crate) fn kill_rounds_with(
    tag: &str,
    args: &[&str],
    rounds: usize,
    after_kill: impl Fn(&std::path::Path),
) {
    let dir = TempDir::new(&format!("kill-{tag}"));
    let mut seed =
        Instant::now().elapsed().as_nanos() as u64 ^ 0x9E37_79B9_7F4A_7C15 ^ (rounds as u64);
    seed |= 1;
    let mut total_acked = 0;
    for round in 0..rounds {
        let kv = start(dir.path(), args);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let c = kv.connect();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || write_until_killed(c, stop))
        };
        std::thread::sleep(random_delay(&mut seed));
        kv.kill9();
        stop.store(true, Ordering::Relaxed);
        let (acked, counter) = writer.join().unwrap();
        after_kill(dir.path());
        let kv = start(dir.path(), args);
        let mut c = kv.connect();
        for n in 0..=acked {
            assert_eq!(
                c.cmd(&["GET", &format!("w:{n}")]),
                Reply::bulk(&n.to_string()),
                "round {round} ({tag}): acknowledged write w:{n} lost (acknowledged up to {acked})"
            );
        }
        // A kill before the first INCR was acknowledged (a loaded machine) leaves no counter
        // to keep, rightly: it is checked only once one was acknowledged.
        let now: i64 = match c.cmd(&["GET", "counter"]) {
            Reply::Bulk(Some(now)) => String::from_utf8_lossy(&now).parse().unwrap(),
            _ if counter == 0 => 0,
            _ => panic!("round {round}: the counter is gone (acknowledged {counter})"),
        };
        assert!(
            now >= counter,
            "round {round}: counter {now} < acknowledged {counter}"
        );
        total_acked += acked + 1;
        // Start the next round from an empty data set, on the same log directory.
        assert_eq!(c.cmd(&["FLUSHALL"]), Reply::Simple("OK".into()));
        drop(c);
        kv.stop();
    }
    assert!(
        total_acked > 0,
        "no write was ever acknowledged: the test proved nothing"
    );
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_write_under_always() {
    kill_rounds("always", 8);
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_write_under_everysec() {
    kill_rounds("everysec", 8);
}
