//! Starting the traced command: find it on PATH, fork, let the child stop itself with
//! SIGSTOP, seize it, and let it continue into `execve` (strace's own sequence, so the
//! trace begins with the command's `execve`).

use super::ptrace;
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The signals (bit N for signal N) that were ignored when strace-lite started and that it
/// then handles itself: the command gets them ignored, as it would untraced (a command
/// started in the background by a shell ignores SIGINT and SIGQUIT; under `nohup`, SIGHUP).
pub(crate) static IGNORED_AT_START: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(0);

/// Resolve `program` like execvp: a name with a slash as is, else the first executable
/// match on PATH.
pub fn resolve(program: &OsStr) -> Option<PathBuf> {
    if program.as_bytes().contains(&b'/') {
        let p = PathBuf::from(program);
        return p.exists().then_some(p);
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The command's environment: ours, changed by each `-E` in turn as strace's `make_env`
/// changes it: `VAR=VAL` replaces the first entry named VAR (or is added at the end),
/// `VAR` removes every entry named VAR.
pub fn environment(changes: &[OsString]) -> Vec<Vec<u8>> {
    use std::os::unix::ffi::OsStrExt;
    let mut env: Vec<Vec<u8>> = Vec::new();
    // SAFETY: environ is a NULL-terminated array of C strings; the tracer is still one
    // thread, so nothing changes it while it is read.
    unsafe {
        extern "C" {
            static environ: *const *const libc::c_char;
        }
        let mut p = environ;
        while !p.is_null() && !(*p).is_null() {
            env.push(std::ffi::CStr::from_ptr(*p).to_bytes().to_vec());
            p = p.add(1);
        }
    }
    let named = |entry: &[u8], name: &[u8]| {
        entry.starts_with(name) && matches!(entry.get(name.len()), None | Some(b'='))
    };
    for change in changes {
        let change = change.as_bytes();
        match change.iter().position(|&b| b == b'=') {
            Some(eq) => {
                let name = &change[..eq];
                match env.iter().position(|e| named(e, name)) {
                    Some(i) => env[i] = change.to_vec(),
                    None => env.push(change.to_vec()),
                }
            }
            None => env.retain(|e| !named(e, change)),
        }
    }
    env
}

/// Fork and exec `command`, traced from its `execve` on; with `filter`, the command
/// installs that seccomp filter just before its `execve`. Returns the child's pid.
pub fn spawn(
    command: &[OsString],
    env_changes: &[OsString],
    options: libc::c_int,
    filter: Option<&[libc::sock_filter]>,
) -> Result<i32, String> {
    let program = command.first().ok_or("must have PROG [ARGS] or -p PID")?;
    let path = resolve(program).ok_or_else(|| {
        format!(
            "Can't stat '{}': No such file or directory",
            program.to_string_lossy()
        )
    })?;
    let c_path = CString::new(path.as_os_str().as_bytes()).map_err(|e| e.to_string())?;
    let c_args: Vec<CString> = command
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let mut argv: Vec<*const libc::c_char> = c_args.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let c_env: Vec<CString> = environment(env_changes)
        .into_iter()
        .filter_map(|v| CString::new(v).ok())
        .collect();
    let mut envp: Vec<*const libc::c_char> = c_env.iter().map(|v| v.as_ptr()).collect();
    envp.push(std::ptr::null());

    let prog = filter.map(|f| libc::sock_fprog {
        len: f.len() as u16,
        filter: f.as_ptr() as *mut libc::sock_filter,
    });
    let ignored = IGNORED_AT_START.load(std::sync::atomic::Ordering::Relaxed);
    // SAFETY: getpid has no preconditions.
    let tracer_pid = unsafe { libc::getpid() };
    // SAFETY: the child only calls async-signal-safe functions (prctl, signal, kill, execv,
    // write, _exit) on memory prepared before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(format!("fork: {}", io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: see above.
        unsafe {
            // Until the tracer has seized us (and PTRACE_O_EXITKILL covers us), its death
            // must not leave us stopped: die with it.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != tracer_pid {
                libc::_exit(1);
            }
            // The Rust runtime ignores SIGPIPE; the command must start with the default.
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            for sig in 1..64 {
                if ignored & (1 << sig) != 0 {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
            libc::kill(libc::getpid(), libc::SIGSTOP);
            // Seized now: undo the death signal, so a tracer that detaches (Ctrl-C) does
            // not take the command down with it.
            libc::prctl(libc::PR_SET_PDEATHSIG, 0);
            if let Some(prog) = &prog {
                // As strace: no_new_privs lets an unprivileged process install it.
                let installed = libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
                    && libc::prctl(
                        libc::PR_SET_SECCOMP,
                        libc::SECCOMP_MODE_FILTER,
                        prog as *const libc::sock_fprog,
                    ) == 0;
                if !installed {
                    let msg = b"strace-lite: cannot install the seccomp filter\n";
                    libc::write(2, msg.as_ptr().cast(), msg.len());
                    libc::_exit(1);
                }
            }
            libc::execve(c_path.as_ptr(), argv.as_ptr(), envp.as_ptr());
            let msg = b"strace-lite: exec failed\n";
            libc::write(2, msg.as_ptr().cast(), msg.len());
            libc::_exit(1);
        }
    }
    // Wait for the child to stop itself, seize it, and wake it up.
    let mut status = 0;
    // SAFETY: plain waitpid on our own child.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WSTOPPED) };
    if r != pid || !libc::WIFSTOPPED(status) {
        return Err("child did not stop before exec".to_string());
    }
    if let Err(e) = ptrace::seize(pid, options) {
        // The child is stopped and would stay so: end it before reporting.
        // SAFETY: killing and reaping our own child.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, &mut status, 0);
        }
        return Err(format!("ptrace(PTRACE_SEIZE, {pid}): {e}"));
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    Ok(pid)
}
