//! Calls that make special descriptors: eventfd, timerfd, signalfd, memfd, inotify,
//! pidfd.

use super::signal::print_sigset_at;
use super::{Call, Decoder, RetStyle, Step};
use crate::format;
use crate::uapi::xlat::fds::{INOTIFY_MASK, MFD_FLAGS};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "eventfd" => eventfd,
        "eventfd2" => eventfd2,
        "timerfd_create" => timerfd_create,
        "timerfd_settime" => timerfd_settime,
        "timerfd_gettime" => timerfd_gettime,
        "signalfd" | "signalfd4" => signalfd,
        "memfd_create" => memfd_create,
        "inotify_init" => inotify_init,
        "inotify_init1" => inotify_init1,
        "inotify_add_watch" => inotify_add_watch,
        "inotify_rm_watch" => inotify_rm_watch,
        "pidfd_open" => pidfd_open,
        _ => return None,
    })
}

const CLOEXEC: u64 = 0o2000000;
const NONBLOCK: u64 = 0o4000;

fn eventfd(c: &mut Call) -> Step {
    c.p_uint_arg(0);
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn eventfd2(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    c.p_uint_arg(0);
    c.sep();
    c.p_flags(
        1,
        &[
            (1, "EFD_SEMAPHORE"),
            (CLOEXEC, "EFD_CLOEXEC"),
            (NONBLOCK, "EFD_NONBLOCK"),
        ],
        "0",
    );
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn timerfd_create(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    super::time::clock_name(c, 0);
    c.sep();
    c.p_flags(
        1,
        &[(CLOEXEC, "TFD_CLOEXEC"), (NONBLOCK, "TFD_NONBLOCK")],
        "0",
    );
    c.ret_style = RetStyle::Fd;
    Step::Done
}

/// `{it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=1, tv_nsec=0}}`.
fn print_itimerspec(c: &mut Call, addr: u64) {
    if addr == 0 {
        return c.push("NULL");
    }
    // The seconds signed, the nanoseconds unsigned, as strace prints them.
    match c.mem.read_value::<[i64; 4]>(addr) {
        Some([is, ins, vs, vns]) => c.push(&format!(
            "{{it_interval={{tv_sec={is}, tv_nsec={}}}, it_value={{tv_sec={vs}, tv_nsec={}}}}}",
            ins as u64, vns as u64
        )),
        None => c.p_addr(addr),
    }
}

fn timerfd_settime(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        c.p_flags(
            1,
            &[
                (1, "TFD_TIMER_ABSTIME"),
                (2, "TFD_TIMER_CANCEL_ON_SET"),
                (CLOEXEC, "TFD_CLOEXEC"),
                (NONBLOCK, "TFD_NONBLOCK"),
            ],
            "0",
        );
        c.sep();
        print_itimerspec(c, c.arg(2));
        c.sep();
        return Step::AtExit;
    }
    c.p_out(3, print_itimerspec);
    Step::Done
}

fn timerfd_gettime(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_fd(0);
        c.sep();
        return Step::AtExit;
    }
    c.p_out(1, print_itimerspec);
    Step::Done
}

fn signalfd(c: &mut Call) -> Step {
    c.int_args(&[0, 3]);
    c.p_fd(0);
    c.sep();
    print_sigset_at(c, c.arg(1), c.arg(2));
    c.sep();
    c.p_ulong(2);
    if c.nr == 289 {
        c.sep();
        c.p_flags(
            3,
            &[(CLOEXEC, "SFD_CLOEXEC"), (NONBLOCK, "SFD_NONBLOCK")],
            "0",
        );
    }
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn memfd_create(c: &mut Call) -> Step {
    // The kernel reads at most MFD_NAME_MAX_LEN + 1 bytes of the name, and so does strace.
    c.p_cstring_bounded(c.arg(0), 255 - "memfd:".len() as u64 + 1);
    c.sep();
    // Bits 26..31 hold the huge page size, as a shift.
    let flags = c.arg(1) & 0xffff_ffff;
    let huge = (flags >> 26) & 0x3f;
    let rest = flags & !(0x3f << 26);
    let mut text = if rest != 0 || huge == 0 {
        format::flag_names(rest, MFD_FLAGS, "0")
    } else {
        String::new()
    };
    if huge != 0 {
        if !text.is_empty() {
            text.push('|');
        }
        text.push_str(&format!("{huge}<<MFD_HUGE_SHIFT"));
    }
    let t = format::styled(&format::hex(flags), &text, c.style());
    c.push(&t);
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn inotify_init(c: &mut Call) -> Step {
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn inotify_init1(c: &mut Call) -> Step {
    c.int_args(&[0]);
    c.p_flags(
        0,
        &[(NONBLOCK, "IN_NONBLOCK"), (CLOEXEC, "IN_CLOEXEC")],
        "0",
    );
    c.ret_style = RetStyle::Fd;
    Step::Done
}

fn inotify_add_watch(c: &mut Call) -> Step {
    c.int_args(&[0, 2]);
    c.p_fd(0);
    c.sep();
    c.p_path(1);
    c.sep();
    c.p_flags(2, INOTIFY_MASK, "0");
    Step::Done
}

fn inotify_rm_watch(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    c.p_fd(0);
    c.sep();
    c.p_int(1);
    Step::Done
}

fn pidfd_open(c: &mut Call) -> Step {
    c.int_args(&[0, 1]);
    c.p_int(0);
    c.sep();
    c.p_flags(1, &[(NONBLOCK, "PIDFD_NONBLOCK")], "0");
    c.ret_style = RetStyle::Fd;
    Step::Done
}
