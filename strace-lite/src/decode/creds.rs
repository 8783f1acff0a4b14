//! Credentials: set/get uid, gid, groups (what a server's privilege drop calls), and
//! capget/capset's header.

use super::{Call, Decoder, Step};

pub fn lookup(name: &str) -> Option<Decoder> {
    Some(match name {
        "setuid" | "setgid" | "setfsuid" | "setfsgid" => one_id,
        "setreuid" | "setregid" => two_ids,
        "setresuid" | "setresgid" => three_ids,
        "getresuid" | "getresgid" => get_three_ids,
        "getgroups" => getgroups,
        "setgroups" => setgroups,
        _ => return None,
    })
}

/// A uid/gid argument: `-1` for "unchanged" as strace shows it, else decimal.
fn id(c: &mut Call, i: usize) {
    let v = c.uint(i);
    if v == u32::MAX {
        c.push("-1");
    } else {
        c.push(&v.to_string());
    }
}

fn one_id(c: &mut Call) -> Step {
    id(c, 0);
    Step::Done
}

fn two_ids(c: &mut Call) -> Step {
    id(c, 0);
    c.sep();
    id(c, 1);
    Step::Done
}

fn three_ids(c: &mut Call) -> Step {
    two_ids(c);
    c.sep();
    id(c, 2);
    Step::Done
}

fn get_three_ids(c: &mut Call) -> Step {
    if !c.exiting {
        return Step::AtExit;
    }
    for i in 0..3 {
        if i > 0 {
            c.sep();
        }
        if c.failed() {
            c.p_ptr(i);
        } else {
            match c.mem.read_value::<u32>(c.arg(i)) {
                Some(v) => c.push(&format!("[{v}]")),
                None => c.p_ptr(i),
            }
        }
    }
    Step::Done
}

/// `[0, 4, 27]`, cut at `-s` elements.
fn print_groups(c: &mut Call, addr: u64, count: u64) {
    if addr == 0 {
        return c.push("NULL");
    }
    // More than NGROUPS_MAX: the kernel refuses it unread, and strace prints the address.
    if count > 65536 {
        return c.p_addr(addr);
    }
    let shown = count as usize;
    // Elements up to the first unreadable one, as strace's print_array reads them: a set that
    // runs into unmapped memory prints what precedes it, then `... /* ADDR */`.
    let (groups, unreadable) = match c.mem.read_array::<u32>(addr, shown) {
        Some(all) => (all, None),
        None => {
            // Past the `-s` limit strace prints `...` and reads no further.
            let wanted = shown.min(c.opts.string_limit.saturating_add(1));
            let mut some = Vec::new();
            let mut at = addr;
            while some.len() < wanted {
                let Some(g) = c.mem.read_value::<u32>(at) else {
                    break;
                };
                some.push(g);
                at += 4;
            }
            let cut = some.len() < wanted;
            (some, cut.then_some(at))
        }
    };
    if groups.is_empty() && unreadable.is_some() {
        return c.p_addr(addr);
    }
    c.push("[");
    for (i, g) in groups.iter().enumerate() {
        if i > 0 {
            c.sep();
        }
        if i >= c.opts.string_limit {
            c.push("...");
            break;
        }
        // (gid_t)-1 reads as -1, as strace's printuid shows it.
        if *g == u32::MAX {
            c.push("-1");
        } else {
            c.push(&g.to_string());
        }
    }
    if let Some(at) = unreadable {
        c.sep();
        c.push(&format!("... /* {at:#x} */"));
    }
    c.push("]");
}

fn getgroups(c: &mut Call) -> Step {
    if !c.exiting {
        c.p_int(0);
        c.sep();
        return Step::AtExit;
    }
    if c.failed() {
        c.p_ptr(1);
    } else {
        let n = if c.int(0) == 0 { 0 } else { c.rval as u64 };
        print_groups(c, c.arg(1), n);
    }
    Step::Done
}

fn setgroups(c: &mut Call) -> Step {
    c.p_int(0);
    c.sep();
    print_groups(c, c.arg(1), c.arg(0) & 0xffff_ffff);
    Step::Done
}
