// SPDX-License-Identifier: GPL-2.0

//! The process behind a write: a counted reference on its thread group's `struct pid`.
//!
//! A source's owner is a process, not a thread: every thread of the process that registered
//! a row may update it. The module identifies the process as a pidfd does, by a counted
//! reference on the `struct pid` of its thread group id: while the reference is held, that
//! `struct pid` is not freed, so no other process can ever compare equal to it, and it
//! survives an `exec` from any thread. Its number is asked for in the namespace of whoever
//! reads the table.
//!
//! Everything here goes through the kernel's C functions (`get_task_pid`, `put_pid`,
//! `pid_nr_ns`, `pid_task`), never through a field of `struct task_struct` read from Rust.
//! On this kernel such reads are wrong: `Task::tgid()`, `Task::pid()` and
//! `CurrentTask::group_leader()` read `task_struct` at the offsets bindgen computed, and
//! without `CONFIG_SCHEDSTATS` the empty, cacheline-aligned `struct sched_statistics` gets
//! alignment 1 from bindgen, so every field after `task_struct::stats` is read 48 bytes too
//! early (`tgid()` reads 0, `group_leader()` the parent). The KUnit test
//! `task_fields_read_from_rust_match_c_only_if_bindgen_aligns_sched_statistics` in
//! `registry.rs` keeps that evidence.

use core::ptr::{self, NonNull};
use kernel::{
    bindings,
    pid_namespace::PidNamespace,
    prelude::*,
    sync::rcu,
    task::{Pid, Task},
};

/// A counted reference on a process's thread-group `struct pid`.
///
/// # Invariants
///
/// `self.0` points to a `struct pid` on which this value holds one reference.
pub(crate) struct Process(NonNull<bindings::pid>);

// SAFETY: a reference on a `struct pid` may be used and given back (`put_pid`) from any
// thread; the functions called on it synchronise with the rest of the kernel themselves.
unsafe impl Send for Process {}
// SAFETY: `&Process` only allows calls of `pid_nr_ns` and `pid_task` (under RCU), which may
// run on any thread at the same time.
unsafe impl Sync for Process {}

impl Process {
    /// Takes a reference on the thread-group pid of `task`. `ESRCH` if it has none (it has
    /// been released).
    ///
    /// # Safety
    ///
    /// `task` must point to a valid `struct task_struct` for the duration of the call.
    pub(crate) unsafe fn of_task(task: *mut bindings::task_struct) -> Result<Self> {
        // SAFETY: `task` is valid (the caller's promise); `get_task_pid` reads the pid under
        // RCU and returns it with a reference taken, or null.
        let pid = unsafe { bindings::get_task_pid(task, bindings::pid_type_PIDTYPE_TGID) };
        // INVARIANT: a non-null result carries the reference `get_task_pid` took.
        NonNull::new(pid).map(Self).ok_or(ESRCH)
    }

    /// The calling process.
    pub(crate) fn current() -> Result<Self> {
        // SAFETY: the current task is valid while it runs this.
        unsafe { Self::of_task(Task::current_raw()) }
    }

    /// The process's id as `ns` numbers it: 0 if it is not visible in `ns` (or `ns` is
    /// `None`), or if the process is gone (every thread exited and was reaped).
    pub(crate) fn nr_in(&self, ns: Option<&PidNamespace>) -> Pid {
        let ns = ns.map_or(ptr::null_mut(), PidNamespace::as_ptr);
        let guard = rcu::read_lock();
        // SAFETY: `self.0` is valid (type invariant), and `pid_task` is called under the RCU
        // read lock, as it requires; the task it returns is only compared with null.
        let task = unsafe { bindings::pid_task(self.0.as_ptr(), bindings::pid_type_PIDTYPE_TGID) };
        drop(guard);
        if task.is_null() {
            return 0;
        }
        // SAFETY: `self.0` is valid (type invariant); `ns` is a valid namespace or null, for
        // which `pid_nr_ns` returns 0.
        unsafe { bindings::pid_nr_ns(self.0.as_ptr(), ns) }
    }
}

impl PartialEq for Process {
    /// The same process: the same `struct pid`, which cannot be reused while either
    /// reference is held.
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for Process {}

impl Drop for Process {
    /// Gives the reference back. That frees the `struct pid` only if its process is gone and
    /// this was the last reference: never the case for the calling process's own.
    fn drop(&mut self) {
        // SAFETY: this value holds one reference on `self.0` (type invariant), given back
        // once, here.
        unsafe { bindings::put_pid(self.0.as_ptr()) };
    }
}
