//! `strace-lite`: a ptrace syscall tracer with strace's flags and output format.
//!
//! `cli` reads the command line, `tracer` runs the ptrace loop, `decode` turns each
//! syscall's arguments into strace's text, `output` lays the lines out, `summary` counts
//! for `-c`. See README.md in this folder for what is covered.

mod cli;
mod colors;
mod decode;
mod dump;
mod fdinfo;
mod filter;
mod format;
mod json;
mod latency;
mod memory;
mod output;
mod pathtrace;
mod personalities;
mod signals;
mod sock_diag;
mod stack;
mod summary;
mod syscall_table;
mod tracer;
mod uapi;
mod unix_diag;

use cli::Parsed;
use tracer::{Outcome, Tracer};

fn main() {
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
