//! futex: the operation (`FUTEX_WAIT_PRIVATE`, `FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME`)
//! and the arguments that operation uses.

use super::time::timespec_text;
use super::{Call, Decoder, Step};

pub fn lookup(name: &str) -> Option<Decoder> {
    match name {
        "futex" => Some(futex),
        _ => None,
    }
}

const OPS: [&str; 14] = [
    "FUTEX_WAIT",
    "FUTEX_WAKE",
    "FUTEX_FD",
    "FUTEX_REQUEUE",
    "FUTEX_CMP_REQUEUE",
    "FUTEX_WAKE_OP",
    "FUTEX_LOCK_PI",
    "FUTEX_UNLOCK_PI",
    "FUTEX_TRYLOCK_PI",
    "FUTEX_WAIT_BITSET",
    "FUTEX_WAKE_BITSET",
    "FUTEX_WAIT_REQUEUE_PI",
    "FUTEX_CMP_REQUEUE_PI",
    "FUTEX_LOCK_PI2",
];

const PRIVATE: u64 = 128;
const CLOCK_REALTIME: u64 = 256;

fn op_text(op: u64) -> String {
    let cmd = op & !(PRIVATE | CLOCK_REALTIME);
    let mut s = match OPS.get(cmd as usize) {
        Some(name) => name.to_string(),
        None => format!("{cmd:#x} /* FUTEX_??? */"),
    };
    if op & PRIVATE != 0 {
        s.push_str("_PRIVATE");
    }
    if op & CLOCK_REALTIME != 0 {
        s.push_str("|FUTEX_CLOCK_REALTIME");
    }
    s
}

fn bitset(c: &mut Call, i: usize) {
    let v = c.uint(i);
    if v == u32::MAX {
        c.push("FUTEX_BITSET_MATCH_ANY");
    } else {
        c.push(&format!("{v:#x}"));
    }
}

fn futex(c: &mut Call) -> Step {
    c.int_args(&[1, 2, 5]);
    let op = c.arg(1);
    let cmd = op & !(PRIVATE | CLOCK_REALTIME);
    c.p_ptr(0);
    c.sep();
    let t = crate::format::styled(&crate::format::hex(op), &op_text(op), c.style());
    c.push(&t);
    c.sep();
    match cmd {
        // WAIT: val, timeout
        0 => {
            c.p_uint_arg(2);
            c.sep();
            let t = timespec_text(c, c.arg(3));
            c.push(&t);
        }
        // WAIT_BITSET: val, timeout, bitset
        9 => {
            c.p_uint_arg(2);
            c.sep();
            let t = timespec_text(c, c.arg(3));
            c.push(&t);
            c.sep();
            bitset(c, 5);
        }
        // WAKE: val
        1 => c.p_int(2),
        // WAKE_BITSET: val, bitset
        10 => {
            c.p_int(2);
            c.sep();
            bitset(c, 5);
        }
        // REQUEUE / CMP_REQUEUE(_PI): val, val2, uaddr2[, val3]
        3 | 4 | 12 => {
            c.p_int(2);
            c.sep();
            c.p_uint_arg(3);
            c.sep();
            c.p_ptr(4);
            if cmd != 3 {
                c.sep();
                c.p_uint_arg(5);
            }
        }
        // LOCK_PI(2), WAIT_REQUEUE_PI: timeout
        6 | 13 => {
            let t = timespec_text(c, c.arg(3));
            c.push(&t);
        }
        7 | 8 => {}
        _ => {
            c.p_uint_arg(2);
            c.sep();
            c.p_ptr(3);
        }
    }
    if matches!(cmd, 7 | 8) {
        // UNLOCK_PI and TRYLOCK_PI take no more arguments; drop the trailing ", ".
        c.out.truncate(c.out.len() - 2);
    }
    Step::Done
}
