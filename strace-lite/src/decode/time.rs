//! Time: time, nanosleep, clock_nanosleep, clock_gettime/getres/settime, get/settimeofday,
//! adjtimex/clock_adjtime; the timespec and timeval printers the readiness calls share.

use super::stat::date_text;
use super::{Call, Decoder, Step};
use crate::format;
use crate::uapi::xlat::time::{ADJTIMEX_MODES, ADJTIMEX_STATES, ADJTIMEX_STATUS, CLOCKS, ITIMERS};

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
        "adjtimex" => adjtimex,
        "time" => time,
        "clock_adjtime" => clock_adjtime,
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

/// `time(NULL) = 1796657285 (2026-12-07T15:28:05+0000)`, or `time([1796657285 /* date
/// */])`: the value the kernel stored and the one it returned, each with its date.
fn time(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    let addr = c.arg(0);
    let stored = if c.failed() {
        None
    } else {
        c.mem.read_value::<i64>(addr)
    };
    match stored {
        Some(t) => match date_text(t, 0) {
            Some(date) => c.push(&format!("[{t} /* {date} */]")),
            None => c.push(&format!("[{t}]")),
        },
        None => c.p_addr(addr),
    }
    if !c.failed() {
        c.ret_note = date_text(c.rval, 0).map(|date| format!("({date})"));
    }
    Step::Done
}

/// `adjtimex(timex)`: the struct as the kernel left it, at exit.
fn adjtimex(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    print_timex_result(c, c.arg(0));
    Step::Done
}

/// `clock_adjtime(clock, timex)`.
fn clock_adjtime(c: &mut Call) -> Step {
    if !c.exiting {
        clock_name(c, 0);
        c.sep();
        return Step::AtExit;
    }
    print_timex_result(c, c.arg(1));
    Step::Done
}

/// strace's do_adjtimex: the `struct timex` at `addr` (its address when the call failed
/// or it cannot be read), and then the clock state the call returned, `5 (TIME_ERROR)`.
fn print_timex_result(c: &mut Call, addr: u64) {
    let read = if c.failed() {
        None
    } else {
        c.mem.read_struct(addr, 208)
    };
    let Some(b) = read else {
        return c.p_addr(addr);
    };
    let i32_at = |o: usize| i32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let i64_at = |o: usize| i64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let style = c.style();
    // struct __kernel_timex on x86_64: the offsets of its fields.
    let mut s = format!(
        "{{modes={}, offset={}, freq={}, maxerror={}, esterror={}, status={}",
        format::flags(u64::from(i32_at(0) as u32), ADJTIMEX_MODES, "0", style),
        i64_at(8),
        i64_at(16),
        i64_at(24),
        i64_at(32),
        format::flags(u64::from(i32_at(40) as u32), ADJTIMEX_STATUS, "0", style),
    );
    s.push_str(&format!(
        ", constant={}, precision={}, tolerance={}, time={{tv_sec={}, tv_usec={}}}, tick={}",
        i64_at(48),
        i64_at(56),
        i64_at(64),
        i64_at(72),
        i64_at(80) as u64,
        i64_at(88),
    ));
    s.push_str(&format!(
        ", ppsfreq={}, jitter={}, shift={}, stabil={}, jitcnt={}, calcnt={}, errcnt={}, stbcnt={}, tai={}}}",
        i64_at(96),
        i64_at(104),
        i32_at(112),
        i64_at(120),
        i64_at(128),
        i64_at(136),
        i64_at(144),
        i64_at(152),
        i32_at(160),
    ));
    c.push(&s);
    if let Some((_, state)) = ADJTIMEX_STATES.iter().find(|(v, _)| *v == c.rval as u64) {
        c.ret_note = Some(format!("({state})"));
    }
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
