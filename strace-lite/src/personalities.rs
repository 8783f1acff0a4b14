//! strace 6.1's system call tables of the other x86_64 personalities, for `-e trace=`:
//! every i386 call (its number, name and `%class`es: what `read@32`, `%file@32`, a
//! number and a `/regex` select), and the numbers the x32 table has (a number in
//! `-e trace=` is valid when any personality has it, as in strace). The i386 table is generated
//! (`crate::uapi`: strace 6.1's `linux/i386/syscallent.h`, numbers from `<asm/unistd_32.h>`);
//! the x32 numbers are strace 6.1's `linux/x32/syscallent.h`.

/// (number, name, classes) of every i386 call strace 6.1 knows (socket and ipc subcalls aside;
/// generated: `crate::uapi`).
pub static I386_CALLS: &[(u16, &str, u32)] = crate::uapi::syscalls::I386;

/// The numbers of strace 6.1's x32 table, as inclusive ranges.
pub static X32_NUMBERS: &[(u16, u16)] = &[(0, 334), (424, 450), (512, 547)];

/// The numbers of strace 6.1's x86_64 table, as inclusive ranges (strace-lite names
/// newer calls too, but a number strace 6.1 does not know is not valid in `-e trace=`).
pub static X86_64_NUMBERS: &[(u16, u16)] = &[(0, 334), (424, 450)];
