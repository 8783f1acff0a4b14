//! Time: nanosleep, clock_nanosleep, clock_gettime/getres/settime, get/settimeofday; the
//! timespec and timeval printers the readiness calls share.

use super::{Call, Decoder, Step};
use crate::format;
use crate::uapi::xlat::time::{CLOCKS, ITIMERS};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "nanosleep" => nanosleep,
        "clock_nanosleep" => clock_nanosleep,
        "clock_gettime" | "clock_getres" => clock_gettime,
        "clock_settime" => clock_settime,
        "gettimeofday" => gettimeofday,
        "settimeofday" => settimeofday,
        "setitimer" => setitimer,
        "getitimer" => getitimer,
        "alarm" => alarm,
        _ => return None,
    })
}

/// strace's printclockname: `CLOCK_MONOTONIC` from the lower 32 bits of the argument (a
/// `clockid_t`). Debian's strace 6.1 is built without the kernel's CLOCKID_TO_FD, so a
/// CPU clock's negative id is an unknown one too: `0xfffffffa /* CLOCK_??? */`.
pub fn clock_name(c: &mut Call, i: usize) {
    let t = format::xlat(u64::from(c.uint(i)), CLOCKS, "CLOCK_???", c.style());
    c.push(&t);
}

/// `{tv_sec=1, tv_nsec=0}`, `NULL`, or the address when unreadable.
pub fn timespec_text(c: &Call, addr: u64) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    match c.mem.read_value::<[i64; 2]>(addr) {
        // strace prints tv_sec signed and tv_nsec unsigned (`PRINT_VAL_U`): a garbage
        // timespec shows `tv_nsec=13464652301697220333`, not a negative number.
        Some([s, ns]) => format!("{{tv_sec={s}, tv_nsec={}}}", ns as u64),
        None => format!("{addr:#x}"),
    }
}

/// `{tv_sec=1, tv_usec=0}`, `NULL`, or the address.
pub fn timeval_text(c: &Call, addr: u64) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    match c.mem.read_value::<[i64; 2]>(addr) {
        // tv_usec is unsigned in strace's output, as tv_nsec.
        Some([s, us]) => format!("{{tv_sec={s}, tv_usec={}}}", us as u64),
        None => format!("{addr:#x}"),
    }
}

/// The remaining time of an interrupted sleep: decoded only when the call was interrupted
/// (on success and other errors the kernel leaves it alone, and strace prints its address).
fn remaining(c: &mut Call, i: usize) {
    let addr = c.arg(i);
    if addr != 0 && c.is_erestart() {
        let t = timespec_text(c, addr);
        c.push(&t);
    } else {
        c.p_ptr(i);
    }
}

fn nanosleep(c: &mut Call) -> Step {
    if !c.exiting {
        let t = timespec_text(c, c.arg(0));
        c.push(&t);
        c.sep();
        return Step::AtExit;
    }
    remaining(c, 1);
    Step::Done
}

fn clock_nanosleep(c: &mut Call) -> Step {
    if !c.exiting {
        // The flags register as the kernel got it: strace decodes `remain` only when it is 0.
        c.saved[1] = c.arg(1);
    }
    c.int_args(&[0, 1]);
    if !c.exiting {
        clock_name(c, 0);
        c.sep();
        let t = format::flag_names_or(c.arg(1), &[(1, "TIMER_ABSTIME")], "0", "TIMER_???");
        let t = format::styled(&format::hex(c.arg(1)), &t, c.style());
        c.push(&t);
        c.sep();
        let t = timespec_text(c, c.arg(2));
        c.push(&t);
        c.sep();
        return Step::AtExit;
    }
    if c.saved[1] == 0 {
        remaining(c, 3);
    } else {
        // TIMER_ABSTIME (or junk): the kernel writes no remaining time.
        c.p_ptr(3);
    }
    Step::Done
}

fn clock_settime(c: &mut Call) -> Step {
    clock_name(c, 0);
    c.sep();
    let t = timespec_text(c, c.arg(1));
    c.push(&t);
    Step::Done
}

fn clock_gettime(c: &mut Call) -> Step {
    c.int_args(&[0]);
    if !c.exiting {
        clock_name(c, 0);
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(1);
    } else {
        let t = timespec_text(c, c.arg(1));
        c.push(&t);
    }
    Step::Done
}

/// `{tz_minuteswest=0, tz_dsttime=0}`, NULL, or the address (also at the exit of a
/// failed call, as strace's umove_or_printaddr).
fn timezone(c: &mut Call, i: usize) {
    let addr = c.arg(i);
    let read = if c.exiting && c.failed() {
        None
    } else {
        c.mem.read_value::<[i32; 2]>(addr)
    };
    match read {
        Some([west, dst]) => c.push(&format!("{{tz_minuteswest={west}, tz_dsttime={dst}}}")),
        None => c.p_ptr(i),
    }
}

fn gettimeofday(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(0);
    } else {
        let t = timeval_text(c, c.arg(0));
        c.push(&t);
    }
    c.sep();
    timezone(c, 1);
    Step::Done
}

fn settimeofday(c: &mut Call) -> Step {
    let t = timeval_text(c, c.arg(0));
    c.push(&t);
    c.sep();
    timezone(c, 1);
    Step::Done
}

/// `{it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=1, tv_usec=0}}`.
fn itimerval_text(c: &Call, addr: u64) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    // The seconds signed, the microseconds unsigned, as strace prints them.
    match c.mem.read_value::<[i64; 4]>(addr) {
        Some([is, ius, vs, vus]) => format!(
            "{{it_interval={{tv_sec={is}, tv_usec={}}}, it_value={{tv_sec={vs}, tv_usec={}}}}}",
            ius as u64, vus as u64
        ),
        None => format!("{addr:#x}"),
    }
}

fn setitimer(c: &mut Call) -> Step {
    c.int_args(&[0]);
    if !c.exiting {
        c.p_xlat(0, ITIMERS, "ITIMER_???");
        c.sep();
        let t = itimerval_text(c, c.arg(1));
        c.push(&t);
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(2);
    } else {
        let t = itimerval_text(c, c.arg(2));
        c.push(&t);
    }
    Step::Done
}

fn getitimer(c: &mut Call) -> Step {
    c.int_args(&[0]);
    if !c.exiting {
        c.p_xlat(0, ITIMERS, "ITIMER_???");
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(1);
    } else {
        let t = itimerval_text(c, c.arg(1));
        c.push(&t);
    }
    Step::Done
}

fn alarm(c: &mut Call) -> Step {
    c.p_uint_arg(0);
    Step::Done
}
