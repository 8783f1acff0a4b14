/* System calls whose `int` and `unsigned int` arguments carry junk in the upper half of
   the register (syscall(2) passes longs): the kernel looks at the lower 32 bits only, and
   strace prints only those. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define J 0xffffffff00000000UL
#define I(x) (J | (unsigned long)(unsigned int)(x))

int main(void) {
    int fds[2];
    syscall(SYS_pipe2, fds, I(O_NONBLOCK | O_CLOEXEC));
    syscall(SYS_dup3, I(fds[0]), I(10), I(O_CLOEXEC));
    syscall(SYS_fcntl, I(10), I(F_GETFD));
    syscall(SYS_fcntl, I(10), I(F_SETFD), I(FD_CLOEXEC));
    syscall(SYS_fcntl, I(10), I(F_SETFL), I(O_NONBLOCK));
    syscall(SYS_fcntl, I(10), I(F_DUPFD_CLOEXEC), I(20));
    syscall(SYS_close, I(20));
    syscall(SYS_umask, I(022));
    syscall(SYS_unlinkat, I(AT_FDCWD), "/nonexistent", I(AT_REMOVEDIR));
    syscall(SYS_faccessat, I(AT_FDCWD), "/", I(R_OK));
    void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    syscall(SYS_madvise, p, 4096, I(MADV_DONTNEED));
    syscall(SYS_wait4, I(-1), NULL, I(WNOHANG), NULL);
    struct rlimit rl;
    syscall(SYS_prlimit64, I(0), I(RLIMIT_NOFILE), NULL, &rl);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    syscall(SYS_epoll_ctl, I(ep), I(EPOLL_CTL_ADD), I(fds[0]), &ev);
    int in = syscall(SYS_inotify_init1, I(IN_CLOEXEC));
    int wd = syscall(SYS_inotify_add_watch, I(in), "/", I(IN_ACCESS | IN_ONLYDIR));
    syscall(SYS_inotify_rm_watch, I(in), I(wd));
    syscall(SYS_pidfd_open, I(getpid()), I(0));
    struct timespec ts = {0, 1000};
    syscall(SYS_clock_gettime, I(CLOCK_MONOTONIC), NULL);
    syscall(SYS_clock_getres, I(CLOCK_MONOTONIC), &ts);
    ts.tv_sec = 0;
    ts.tv_nsec = 1000;
    syscall(SYS_clock_nanosleep, I(CLOCK_MONOTONIC), I(0), &ts, NULL);
    struct itimerval it = {{0, 0}, {0, 0}};
    syscall(SYS_setitimer, I(ITIMER_REAL), &it, NULL);
    syscall(SYS_getitimer, I(ITIMER_REAL), &it);
    syscall(SYS_kill, I(getpid()), I(0));
    syscall(SYS_lseek, I(fds[0]), 0, I(SEEK_CUR));
    syscall(SYS_close, I(10));
    return 0;
}
