/* Bad pointers and absurd lengths: every decoder must cope with memory it cannot read
   (strace prints the address) and never crash the tracer. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BAD ((long)8)
#define HIGH ((long)0x7ffffffff000)

int main(void) {
    static const long calls[] = {
        SYS_read, SYS_write, SYS_open, SYS_openat, SYS_stat, SYS_fstat, SYS_newfstatat, SYS_statx,
        SYS_readv, SYS_writev, SYS_pread64, SYS_pwrite64, SYS_access, SYS_pipe, SYS_pipe2,
        SYS_getdents64, SYS_readlink, SYS_getcwd, SYS_rename, SYS_mkdir, SYS_unlink,
        SYS_connect, SYS_bind, SYS_accept, SYS_accept4, SYS_sendto, SYS_recvfrom, SYS_sendmsg,
        SYS_recvmsg, SYS_setsockopt, SYS_getsockopt, SYS_getsockname, SYS_socketpair,
        SYS_epoll_ctl, SYS_epoll_wait, SYS_poll, SYS_ppoll, SYS_select, SYS_pselect6,
        SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigpending, SYS_sigaltstack,
        SYS_nanosleep, SYS_clock_gettime, SYS_clock_nanosleep, SYS_gettimeofday,
        SYS_execve, SYS_wait4, SYS_clone3, SYS_prlimit64, SYS_uname, SYS_sysinfo,
        SYS_getrandom, SYS_sched_getaffinity, SYS_statfs, SYS_fstatfs, SYS_getxattr,
        SYS_setitimer, SYS_getitimer, SYS_futex, SYS_openat2, SYS_utimensat,
        SYS_timerfd_settime, SYS_signalfd4, SYS_memfd_create, SYS_inotify_add_watch,
        SYS_getgroups, SYS_setgroups, SYS_getresuid, SYS_sendfile, SYS_ioctl, SYS_fcntl,
    };
    for (unsigned i = 0; i < sizeof calls / sizeof calls[0]; i++) {
        syscall(calls[i], BAD, BAD, BAD, BAD, BAD, BAD);
        syscall(calls[i], -1L, HIGH, HIGH, HIGH, HIGH, HIGH);
    }
    syscall(SYS_write, 1, HIGH - 4, 1L << 40);
    syscall(SYS_ioctl, 0, 0x5401, BAD);
    syscall(SYS_ioctl, 0, 0x5413, HIGH);
    syscall(SYS_fcntl, 0, 5, BAD);
    syscall(SYS_setsockopt, 0, 1, 13, BAD, 8);
    syscall(SYS_arch_prctl, 0x1003, BAD);
    /* A GS base of 0 reads as [NULL]; ARCH_GET_CPUID has no argument to print. */
    unsigned long gs = 0;
    syscall(SYS_arch_prctl, 0x1004, &gs);
    syscall(SYS_arch_prctl, 0x1011, 0);
    /* The XSAVE feature calls: a mask read back, a feature number, a failure on NULL. */
    unsigned long long xfeatures = 0;
    syscall(SYS_arch_prctl, 0x1021, &xfeatures);
    syscall(SYS_arch_prctl, 0x1022, &xfeatures);
    syscall(SYS_arch_prctl, 0x1024, 0);
    syscall(SYS_arch_prctl, 0x1023, 0xb);
    syscall(SYS_arch_prctl, 0x1023, 1);
    syscall(SYS_arch_prctl, 0x1026, 0);
    syscall(SYS_prctl, 16, BAD);
    syscall(SYS_kill, getpid(), 0);
    syscall(0x1ff, 1, 2, 3);
    return 0;
}
