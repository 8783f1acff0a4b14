//! `-e read=SET` / `-e write=SET`: the data a call read from or wrote to one of the
//! descriptors, dumped after its line as strace 6.1 dumps it (`dumpio`, `dumpstr`,
//! `dumpiov_upto`): 16 bytes a line, hex in two groups of 8 and the printable ones as
//! text,
//!
//! ```text
//!  | 00000  68 65 6c 6c 6f 0a                                 hello.           |
//! ```
//!
//! and each buffer of a vector announced by ` * N bytes in buffer I`. Written data is
//! dumped whatever the result (the length asked for); read data only on success (the
//! length returned).

use crate::decode::Call;
use crate::memory::Memory;
use crate::syscall_table;

/// How much of the tracee is read at a time.
const CHUNK: u64 = 1 << 16;

/// The most iovecs a call takes (`<linux/uio.h>`).
const UIO_MAXIOV: i32 = 1024;

/// The dump lines for `call` (at its exit), each ending in `\n`; empty when the call
/// moves no data on a dumped descriptor.
pub fn dump(
    call: &Call,
    read_fds: &crate::filter::NumberSet,
    write_fds: &crate::filter::NumberSet,
) -> String {
    let fd = call.args[0] as i32;
    if fd < 0 {
        return String::new();
    }
    let mut out = String::new();
    let name = syscall_table::name(call.nr);
    let i386 = syscall_table::is_i386(call.nr);
    // strace dumps with plain umoven: the iovecs and msghdrs are read whatever
    // `-e verbose=` says of the call.
    let mem = &call.mem.clone().with_structs(true);
    let a = &call.args;
    if write_fds.contains(fd as u64) {
        match &*name {
            "write" | "pwrite64" | "send" | "sendto" | "mq_timedsend" | "mq_timedsend_time64" => {
                dumpstr(&mut out, mem, call.pid, a[1], a[2])
            }
            "writev" | "pwritev" | "pwritev2" | "vmsplice" if !i386 => {
                dumpiov(&mut out, mem, call.pid, a[2] as i32, a[1], u64::MAX)
            }
            "sendmsg" if !i386 => dumpiov_in_msghdr(&mut out, mem, call.pid, a[1], u64::MAX),
            "sendmmsg" if !i386 && !call.failed() => {
                dumpiov_in_mmsghdr(&mut out, mem, call.pid, a[1], call.rval as u32)
            }
            _ => {}
        }
    }
    if call.failed() || !read_fds.contains(fd as u64) {
        return out;
    }
    let rval = call.rval as u64;
    match &*name {
        "read" | "pread64" | "recv" | "recvfrom" | "mq_timedreceive" | "mq_timedreceive_time64" => {
            dumpstr(&mut out, mem, call.pid, a[1], rval)
        }
        "readv" | "preadv" | "preadv2" if !i386 => {
            dumpiov(&mut out, mem, call.pid, a[2] as i32, a[1], rval)
        }
        "recvmsg" if !i386 => dumpiov_in_msghdr(&mut out, mem, call.pid, a[1], rval),
        "recvmmsg" | "recvmmsg_time64" if !i386 => {
            dumpiov_in_mmsghdr(&mut out, mem, call.pid, a[1], call.rval as u32)
        }
        _ => {}
    }
    out
}

/// strace's `dumpstr`: `len` bytes at `addr`.
fn dumpstr(out: &mut String, mem: &Memory, pid: i32, addr: u64, len: u64) {
    if len.checked_add(16).is_none() || addr.checked_add(len).is_none() {
        return;
    }
    // The offset column: 5 hex digits, more when the data needs them.
    let width = if len > 1 << 20 {
        1 + (63 - (len - 1).leading_zeros() as usize) / 4
    } else {
        5
    };
    let mut chunk: Vec<u8> = Vec::new();
    let mut chunk_start = 0u64;
    let mut i = 0u64;
    while i < len {
        if i % CHUNK == 0 {
            let want = (len - i).min(CHUNK);
            match mem.read(addr + i, want as usize) {
                Some(bytes) => {
                    chunk = bytes;
                    chunk_start = i;
                }
                None => {
                    if i > 0 {
                        out.push_str(&format!(
                            " | <Cannot fetch {want} byte{} from pid {pid} @{:#x}>\n",
                            if want == 1 { "" } else { "s" },
                            addr + i
                        ));
                    }
                    return;
                }
            }
        }
        let line_start = i;
        let mut hex = String::with_capacity(50);
        let mut text = String::with_capacity(16);
        for j in 0..16u64 {
            let at = line_start + j;
            if at < len {
                let b = chunk[(at - chunk_start) as usize];
                hex.push_str(&format!("{b:02x} "));
                text.push(if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                });
            } else {
                hex.push_str("   ");
                text.push(' ');
            }
            if j % 8 == 7 {
                hex.push(' ');
            }
        }
        out.push_str(&format!(" | {line_start:0width$x}  {hex}{text} |\n"));
        i = line_start + 16;
    }
}

/// strace's `dumpiov_upto`: the buffers of the `count` iovecs at `addr`, at most
/// `data_size` bytes in all.
fn dumpiov(out: &mut String, mem: &Memory, pid: i32, count: i32, addr: u64, data_size: u64) {
    // More than UIO_MAXIOV: the kernel refuses the call (EINVAL) and moves no data, and
    // reading such a vector whole would ask for up to 32 GiB.
    if count <= 0 || count > UIO_MAXIOV {
        return;
    }
    let Some(iov) = mem.read_array::<[u64; 2]>(addr, count as usize) else {
        return;
    };
    let mut left = data_size;
    for (i, [base, len]) in iov.into_iter().enumerate() {
        let len = len.min(left);
        if len == 0 {
            break;
        }
        left -= len;
        out.push_str(&format!(" * {len} bytes in buffer {i}\n"));
        dumpstr(out, mem, pid, base, len);
    }
}

/// The iovecs of the `struct msghdr` at `addr` (`msg_iov` at 16, `msg_iovlen` at 24).
fn dumpiov_in_msghdr(out: &mut String, mem: &Memory, pid: i32, addr: u64, data_size: u64) {
    if let Some(hdr) = mem.read_array::<u64>(addr, 7) {
        dumpiov(out, mem, pid, hdr[3] as i32, hdr[2], data_size);
    }
}

/// The first `count` `struct mmsghdr`s at `addr` (64 bytes each, `msg_len` at 56).
fn dumpiov_in_mmsghdr(out: &mut String, mem: &Memory, pid: i32, addr: u64, count: u32) {
    for i in 0..u64::from(count) {
        let Some(m) = addr
            .checked_add(64 * i)
            .and_then(|at| mem.read_array::<u64>(at, 8))
        else {
            break;
        };
        out.push_str(&format!(" = {} buffers in vector {i}\n", m[3]));
        dumpiov(out, mem, pid, m[3] as i32, m[2], m[7] & 0xffff_ffff);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A vector of more iovecs than the kernel takes is not read (it asked for up to 32 GiB
    /// at once, and aborted); one of at most 1024 is. Found by the fuzz target
    /// (`fuzz/corpus/strace_decode/writev-dump-huge-iovcnt`).
    #[test]
    fn a_vector_over_uio_maxiov_is_not_read() {
        let mut fake = crate::memory::FakeMemory::default();
        let iov: Vec<u8> = [0x2000u64, 2]
            .iter()
            .flat_map(|w| w.to_ne_bytes())
            .collect();
        fake.map(0x1000, &iov);
        fake.map(0x2000, b"hi");
        let mem = Memory::fake(std::sync::Arc::new(fake));
        let mut out = String::new();
        dumpiov(&mut out, &mem, 0, i32::MAX, 0x1000, u64::MAX);
        assert_eq!(out, "");
        dumpiov(&mut out, &mem, 0, 1, 0x1000, u64::MAX);
        assert!(
            out.starts_with(" * 2 bytes in buffer 0\n | 00000  68 69"),
            "{out}"
        );
    }

    #[test]
    fn straces_layout() {
        // Our own memory, through process_vm_readv on ourselves.
        let data = b"hello, world\n\x00\x01\xffabcdefghij";
        let mem = Memory::new(std::process::id() as i32);
        let mut out = String::new();
        dumpstr(&mut out, &mem, 0, data.as_ptr() as u64, data.len() as u64);
        assert_eq!(
            out,
            " | 00000  68 65 6c 6c 6f 2c 20 77  6f 72 6c 64 0a 00 01 ff  hello, world.... |\n \
             | 00010  61 62 63 64 65 66 67 68  69 6a                    abcdefghij       |\n"
        );
    }
}
