//! `strace-lite`: a ptrace syscall tracer with strace's flags and output format.
//!
//! `cli` reads the command line, `tracer` runs the ptrace loop, `decode` turns each
//! syscall's arguments into strace's text, `output` lays the lines out, `summary` counts
//! for `-c`. See README.md in this folder for what is covered.
//!
//! A library with the binary a line over it (`src/main.rs`), so that the fuzz targets in
//! `fuzz/` reach the decoders: everything is crate-private but `main` and `fuzzing`, the
//! bodies of those targets (hidden: neither is an API).

pub(crate) mod cli;
pub(crate) mod colors;
pub(crate) mod decode;
pub(crate) mod dump;
pub(crate) mod fdinfo;
pub(crate) mod filter;
pub(crate) mod format;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod json;
pub(crate) mod latency;
pub(crate) mod memory;
pub(crate) mod netlink;
pub(crate) mod output;
pub(crate) mod pathtrace;
pub(crate) mod personalities;
pub(crate) mod signals;
pub(crate) mod sock_diag;
pub(crate) mod stack;
pub(crate) mod summary;
pub(crate) mod syscall_table;
pub(crate) mod tracer;
pub(crate) mod uapi;
pub(crate) mod unix_diag;

use cli::Parsed;
use tracer::{Outcome, Tracer};

/// The `strace-lite` binary.
#[doc(hidden)]
pub fn main() {
    let opts = match cli::parse(std::env::args_os()) {
        Parsed::Run(opts) => opts,
        Parsed::Info(text) => {
            print!("{text}");
            std::process::exit(0);
        }
        Parsed::Usage(fail) => cli::usage_exit(&fail),
    };
    for warning in &opts.warnings {
        eprintln!("strace-lite: {warning}");
    }
    if std::env::var_os("STRACE_LITE_FORCE_PEEKDATA").is_some_and(|v| v == "1") {
        memory::force_peekdata();
    }
    let tracer = match Tracer::new(*opts) {
        Ok(t) => t,
        Err(message) => {
            eprintln!("strace-lite: {message}");
            std::process::exit(1);
        }
    };
    match tracer.run() {
        Ok(Some(Outcome::Exited(code))) => std::process::exit(code),
        Ok(Some(Outcome::Killed(sig))) => die_by_signal(sig),
        Ok(None) => std::process::exit(0),
        Err(message) => {
            eprintln!("strace-lite: {message}");
            std::process::exit(1);
        }
    }
}

/// End the tracer the way the command ended: by the same signal (without a core dump
/// of our own), else with 128+N.
fn die_by_signal(sig: i32) -> ! {
    // SAFETY: restoring the default action and raising the signal on ourselves.
    unsafe {
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig);
}
