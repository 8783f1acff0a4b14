//! futex: the operation (`FUTEX_WAIT_PRIVATE`, `FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME`)
//! and the arguments that operation uses, as strace 6.1's `do_futex` prints them.

use super::time::timespec_text;
use super::{Call, Decoder, Step};
use crate::format::{self, Xlat};

pub fn lookup(name: &str) -> Option<Decoder> {
    match name {
        "futex" => Some(futex),
        _ => None,
    }
}

const PRIVATE: u64 = 128;
const CLOCK_REALTIME: u64 = 256;

/// strace's `futexops`: whole values, not flags, so an operation with an unexpected bit
/// (`FUTEX_LOCK_PI|FUTEX_CLOCK_REALTIME`) prints as `0x106 /* FUTEX_??? */`.
const OPS: &Xlat = &[
    (0, "FUTEX_WAIT"),
    (1, "FUTEX_WAKE"),
    (2, "FUTEX_FD"),
    (3, "FUTEX_REQUEUE"),
    (4, "FUTEX_CMP_REQUEUE"),
    (5, "FUTEX_WAKE_OP"),
    (6, "FUTEX_LOCK_PI"),
    (7, "FUTEX_UNLOCK_PI"),
    (8, "FUTEX_TRYLOCK_PI"),
    (9, "FUTEX_WAIT_BITSET"),
    (10, "FUTEX_WAKE_BITSET"),
    (11, "FUTEX_WAIT_REQUEUE_PI"),
    (12, "FUTEX_CMP_REQUEUE_PI"),
    (13, "FUTEX_LOCK_PI2"),
    (PRIVATE, "FUTEX_WAIT_PRIVATE"),
    (1 | PRIVATE, "FUTEX_WAKE_PRIVATE"),
    (2 | PRIVATE, "FUTEX_FD|FUTEX_PRIVATE_FLAG"),
    (3 | PRIVATE, "FUTEX_REQUEUE_PRIVATE"),
    (4 | PRIVATE, "FUTEX_CMP_REQUEUE_PRIVATE"),
    (5 | PRIVATE, "FUTEX_WAKE_OP_PRIVATE"),
    (6 | PRIVATE, "FUTEX_LOCK_PI_PRIVATE"),
    (7 | PRIVATE, "FUTEX_UNLOCK_PI_PRIVATE"),
    (8 | PRIVATE, "FUTEX_TRYLOCK_PI_PRIVATE"),
    (9 | PRIVATE, "FUTEX_WAIT_BITSET_PRIVATE"),
    (10 | PRIVATE, "FUTEX_WAKE_BITSET_PRIVATE"),
    (11 | PRIVATE, "FUTEX_WAIT_REQUEUE_PI_PRIVATE"),
    (12 | PRIVATE, "FUTEX_CMP_REQUEUE_PI_PRIVATE"),
    (13 | PRIVATE, "FUTEX_LOCK_PI2_PRIVATE"),
    (CLOCK_REALTIME, "FUTEX_WAIT|FUTEX_CLOCK_REALTIME"),
    (
        PRIVATE | CLOCK_REALTIME,
        "FUTEX_WAIT_PRIVATE|FUTEX_CLOCK_REALTIME",
    ),
    (9 | CLOCK_REALTIME, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME"),
    (
        9 | PRIVATE | CLOCK_REALTIME,
        "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME",
    ),
    (
        11 | CLOCK_REALTIME,
        "FUTEX_WAIT_REQUEUE_PI|FUTEX_CLOCK_REALTIME",
    ),
    (
        11 | PRIVATE | CLOCK_REALTIME,
        "FUTEX_WAIT_REQUEUE_PI_PRIVATE|FUTEX_CLOCK_REALTIME",
    ),
];

const BITSET: &Xlat = &[(0xffff_ffff, "FUTEX_BITSET_MATCH_ANY")];

/// The operations of FUTEX_WAKE_OP's `val3` (bits 28-30) and its comparisons (24-27).
const WAKE_OPS: &Xlat = &[
    (0, "FUTEX_OP_SET"),
    (1, "FUTEX_OP_ADD"),
    (2, "FUTEX_OP_OR"),
    (3, "FUTEX_OP_ANDN"),
    (4, "FUTEX_OP_XOR"),
];
const WAKE_CMPS: &Xlat = &[
    (0, "FUTEX_OP_CMP_EQ"),
    (1, "FUTEX_OP_CMP_NE"),
    (2, "FUTEX_OP_CMP_LT"),
    (3, "FUTEX_OP_CMP_LE"),
    (4, "FUTEX_OP_CMP_GT"),
    (5, "FUTEX_OP_CMP_GE"),
];

/// FUTEX_WAKE_OP's encoded operation:
/// `FUTEX_OP_OPARG_SHIFT<<28|FUTEX_OP_ADD<<28|0x1<<12|FUTEX_OP_CMP_GT<<24|0x2`.
pub fn wake_op_text(val3: u32) -> String {
    let mut s = String::new();
    if (val3 >> 28) & 8 != 0 {
        s.push_str("FUTEX_OP_OPARG_SHIFT<<28|");
    }
    let op = u64::from((val3 >> 28) & 7);
    match WAKE_OPS.iter().find(|(v, _)| *v == op) {
        Some((_, n)) => s.push_str(&format!("{n}<<28")),
        None => s.push_str(&format!("{}<<28 /* FUTEX_OP_??? */", format::hex(op))),
    }
    s.push_str(&format!(
        "|{}<<12|",
        format::hex(u64::from((val3 >> 12) & 0xfff))
    ));
    let cmp = u64::from((val3 >> 24) & 0xf);
    match WAKE_CMPS.iter().find(|(v, _)| *v == cmp) {
        Some((_, n)) => s.push_str(&format!("{n}<<24")),
        None => s.push_str(&format!("{}<<24 /* FUTEX_OP_CMP_??? */", format::hex(cmp))),
    }
    s.push_str(&format!("|{}", format::hex(u64::from(val3 & 0xfff))));
    s
}

fn futex(c: &mut Call) -> Step {
    // The operation is an `int`; strace prints its 32 bits (`0xbefeeded /* FUTEX_??? */`).
    let op = u64::from(c.uint(1));
    let cmd = op & 127;
    let val = c.uint(2);
    let val2 = c.uint(3);
    let val3 = c.uint(5);
    c.p_ptr(0);
    c.sep();
    let t = format::xlat(op, OPS, "FUTEX_???", c.style());
    c.push(&t);
    let timeout = |c: &mut Call| {
        let t = timespec_text(c, c.arg(3));
        c.push(&t);
    };
    let bitset = |c: &mut Call| {
        let t = format::xlat(u64::from(val3), BITSET, "", c.style());
        c.push(&t);
    };
    let items = |c: &mut Call, parts: &[&dyn Fn(&mut Call)]| {
        for p in parts {
            c.sep();
            p(c);
        }
    };
    let p_val = |c: &mut Call| c.push(&val.to_string());
    let p_val2 = |c: &mut Call| c.push(&val2.to_string());
    let p_val3 = |c: &mut Call| c.push(&val3.to_string());
    let p_uaddr2 = |c: &mut Call| c.p_ptr(4);
    match cmd {
        0 => items(c, &[&p_val, &timeout]),
        6 | 13 => items(c, &[&timeout]),
        9 => items(c, &[&p_val, &timeout, &bitset]),
        10 => items(c, &[&p_val, &bitset]),
        3 => items(c, &[&p_val, &p_val2, &p_uaddr2]),
        4 | 12 => items(c, &[&p_val, &p_val2, &p_uaddr2, &p_val3]),
        5 => {
            let wake = |c: &mut Call| c.push(&wake_op_text(val3));
            items(c, &[&p_val, &p_val2, &p_uaddr2, &wake])
        }
        11 => items(c, &[&p_val, &timeout, &p_uaddr2]),
        1 | 2 => items(c, &[&p_val]),
        7 | 8 => {}
        _ => {
            let p_timeout = |c: &mut Call| c.p_ptr(3);
            let p_val3x = |c: &mut Call| c.push(&format::hex(u64::from(val3)));
            items(c, &[&p_val, &p_timeout, &p_uaddr2, &p_val3x])
        }
    }
    Step::Done
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_op_as_strace_prints_it() {
        // FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 2) with the shift flag.
        let v = (8 | 1) << 28 | 4 << 24 | 1 << 12 | 2;
        assert_eq!(
            wake_op_text(v),
            "FUTEX_OP_OPARG_SHIFT<<28|FUTEX_OP_ADD<<28|0x1<<12|FUTEX_OP_CMP_GT<<24|0x2"
        );
        // Unknown operation and comparison, zero arguments.
        assert_eq!(
            wake_op_text(7 << 28 | 0xf << 24),
            "0x7<<28 /* FUTEX_OP_??? */|0<<12|0xf<<24 /* FUTEX_OP_CMP_??? */|0"
        );
    }

    #[test]
    fn unexpected_op_bits_are_unknown() {
        let style = crate::cli::XlatStyle::Abbrev;
        assert_eq!(
            format::xlat(6 | CLOCK_REALTIME, OPS, "FUTEX_???", style),
            "0x106 /* FUTEX_??? */"
        );
        assert_eq!(
            format::xlat(9 | PRIVATE | CLOCK_REALTIME, OPS, "FUTEX_???", style),
            "FUTEX_WAIT_BITSET_PRIVATE|FUTEX_CLOCK_REALTIME"
        );
    }
}
