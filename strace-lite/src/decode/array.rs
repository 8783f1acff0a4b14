//! strace's `print_array`: an array in the tracee's memory printed element by element,
//! the way every strace decoder of an array prints it. The rules are its own and show in
//! the tests: an array whose first element is unreadable prints as its address; one that
//! becomes unreadable part way prints what it read, then `... /* 0xADDR */`; past `-s`
//! elements (unless `-v`) it ends in `...`; a NULL pointer is `NULL` and a zero count `[]`;
//! a size that wraps the address space is printed as the address.

use super::Call;
use crate::format;

/// `[elem, elem, ...]` for `nmemb` elements of `elem_size` bytes at `addr`, each printed by
/// `print` from its bytes.
pub fn array_text(
    c: &Call,
    addr: u64,
    nmemb: u64,
    elem_size: usize,
    mut print: impl FnMut(&Call, &[u8]) -> String,
) -> String {
    if addr == 0 {
        return "NULL".to_string();
    }
    if nmemb == 0 {
        return "[]".to_string();
    }
    let size = nmemb.checked_mul(elem_size as u64);
    let end = size.and_then(|s| addr.checked_add(s));
    let Some(end) = end else {
        return format::pointer(addr);
    };
    let limit = c.opts.string_limit as u64;
    let abbrev_end = if !c.opts.verbose && limit < nmemb {
        addr + elem_size as u64 * limit
    } else {
        end
    };
    let mut out = String::new();
    let mut cur = addr;
    while cur < end {
        if cur != addr {
            out.push_str(", ");
        }
        let Some(bytes) = c.mem.read_struct(cur, elem_size) else {
            if cur == addr {
                return format::pointer(addr);
            }
            out.push_str(&format!("... /* {cur:#x} */"));
            break;
        };
        if cur == addr {
            out.insert(0, '[');
        }
        if cur >= abbrev_end {
            out.push_str("...");
            break;
        }
        out.push_str(&print(c, &bytes));
        cur += elem_size as u64;
    }
    out.push(']');
    out
}
