//! `-p PID`: seize every thread of a running process (as listed in /proc/PID/task) and
//! interrupt it, so the tracer starts from a known stop.

use super::ptrace;

/// The thread ids of process `pid`.
pub fn threads_of(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    tids.sort_unstable();
    tids
}

/// Seize and interrupt every thread of `pid`; returns the threads attached.
pub fn attach_process(pid: i32, options: libc::c_int) -> Result<Vec<i32>, String> {
    let mut attached = Vec::new();
    // Threads can appear while we attach: repeat until a pass finds nothing new.
    loop {
        let mut new = 0;
        for tid in threads_of(pid) {
            if attached.contains(&tid) {
                continue;
            }
            match ptrace::seize(tid, options).and_then(|()| ptrace::interrupt(tid)) {
                Ok(()) => {
                    attached.push(tid);
                    new += 1;
                }
                Err(e) if tid == pid => {
                    return Err(format!("attach: ptrace(PTRACE_SEIZE, {pid}): {e}"))
                }
                Err(_) => {}
            }
        }
        if attached.is_empty() {
            return Err(format!(
                "attach: ptrace(PTRACE_SEIZE, {pid}): No such process"
            ));
        }
        if new == 0 {
            return Ok(attached);
        }
    }
}
