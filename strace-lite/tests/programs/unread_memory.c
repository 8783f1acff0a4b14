/* Memory strace 6.1 prints as an address where strace-lite decoded it, from its own tests
   (issue 21): a signal set whose size is not the kernel's, EPOLL_CTL_DEL's event, what a
   failed epoll_pwait2 was passed, the usage of a wait4 that reaped nothing. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    unsigned long set[2] = {0, 0};
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, set, set, 4);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, set, set, 16);
    syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, set, NULL, 8);
    syscall(SYS_rt_sigsuspend, set, 4);
    syscall(SYS_rt_sigpending, set, 4);
    syscall(SYS_rt_sigpending, set, 9);
    syscall(SYS_signalfd4, -1, set, 4, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, 0, &ev);
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, 0, &ev);
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, 0, NULL);
    struct epoll_event out[2];
    struct timespec ts = {0, 0};
    syscall(SYS_epoll_pwait2, -1, out, 2, &ts, set, 8);
    syscall(SYS_epoll_pwait2, ep, out, 2, &ts, set, 8);
    syscall(SYS_epoll_pwait, -1, out, 2, 0, set, 8);
    syscall(SYS_epoll_pwait, ep, out, 2, 0, set, 3);
    /* CPU sets: as far as the size goes, at most the kernel's set, `...` past it. */
    unsigned long cpus[64] = {0};
    long n = syscall(SYS_sched_getaffinity, 0, sizeof cpus, cpus);
    syscall(SYS_sched_setaffinity, 0, n, cpus);
    syscall(SYS_sched_setaffinity, 0, sizeof cpus, cpus);
    syscall(SYS_sched_setaffinity, 0, 0, cpus);
    syscall(SYS_sched_setaffinity, 0, 3, cpus);
    syscall(SYS_sched_setaffinity, 0, 8, NULL);
    syscall(SYS_sched_getaffinity, 0, 3, cpus);
    /* SIGCHLD blocked: its delivery would race with the wait4 calls in the trace. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int status = 0;
    struct rusage ru;
    syscall(SYS_wait4, child, &status, WNOHANG, &ru);
    kill(child, SIGKILL);
    syscall(SYS_wait4, child, &status, 0, NULL);
    syscall(SYS_wait4, child, &status, 0, &ru);
    return 0;
}
