// SPDX-License-Identifier: GPL-2.0

//! `harness_selfcheck`: a deliberately bad module that makes the kernel report a problem,
//! so that the VM harness's self-test (tests/host/vm-harness.sh) can show the harness
//! failing on it. Never loaded outside that self-test.
//!
//! `insmod harness_selfcheck.ko fault=N` does, while loading:
//! - `fault=1`: a `WARN_ON`, the kernel's `WARNING:` report with a call trace;
//! - `fault=2`: takes two locks in one order and then in the other (AB then BA), which
//!   lockdep reports as a possible circular locking dependency; nothing deadlocks, since one
//!   thread takes them one pair at a time.
//!
//! Loading then succeeds, so the test itself passes: only the kernel log shows the problem.

use kernel::{
    prelude::*,
    sync::{new_mutex, Mutex},
};

module! {
    type: HarnessSelfcheck,
    name: "harness_selfcheck",
    authors: ["OS-internals toolkit"],
    description: "Makes the kernel report a problem, to test the test harness",
    license: "GPL",
    params: {
        fault: u32 {
            default: 0,
            description: "1: WARN_ON; 2: lockdep AB-BA report; 0: nothing",
        },
    },
}

struct HarnessSelfcheck;

/// Takes `first` then `second`, releasing both.
fn lock_in_order(first: &Mutex<u32>, second: &Mutex<u32>) {
    let _a = first.lock();
    let _b = second.lock();
}

impl kernel::Module for HarnessSelfcheck {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        match module_parameters::fault.value() {
            0 => {}
            1 => {
                pr_info!("planting a WARN_ON\n");
                kernel::warn_on!(true);
            }
            2 => {
                pr_info!("taking two locks in both orders\n");
                let a = KBox::pin_init(new_mutex!(0, "harness_selfcheck_a"), GFP_KERNEL)?;
                let b = KBox::pin_init(new_mutex!(0, "harness_selfcheck_b"), GFP_KERNEL)?;
                lock_in_order(&a, &b);
                lock_in_order(&b, &a);
            }
            other => {
                pr_err!("unknown fault {}\n", other);
                return Err(EINVAL);
            }
        }
        Ok(HarnessSelfcheck)
    }
}
