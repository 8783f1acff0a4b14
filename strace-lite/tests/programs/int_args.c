/* System calls whose `int` and `unsigned int` arguments carry junk in the upper half of
   the register (syscall(2) passes longs): the kernel looks at the lower 32 bits only, and
   strace prints only those. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
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
    /* PROT_SEM is 0x8 on x86 (<asm-generic/mman-common.h>); the table is generated from
       that header since a hand-written one said 0x10. */
    mprotect(p, 4096, PROT_READ | 0x8);
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
    /* Signals and pids (kill, tkill, tgkill), sockets, open flags, modes, fds. */
    syscall(SYS_kill, I(99999999), I(SIGTERM));
    syscall(SYS_tkill, I(99999999), I(SIGTERM));
    syscall(SYS_tgkill, I(99999999), I(99999999), I(SIGTERM));
    int s = syscall(SYS_socket, I(AF_INET), I(SOCK_STREAM | SOCK_CLOEXEC), IPPROTO_TCP);
    /* strace 6.1 picks the protocol's table by the whole register of the family: with
       junk there, the protocol is printed whole as an unsigned long (6, or
       18446744069414584337); with a clean family, from its lower 32 bits (IPPROTO_UDP). */
    syscall(SYS_socket, AF_INET, SOCK_DGRAM, I(IPPROTO_UDP));
    syscall(SYS_socket, I(AF_INET), I(SOCK_DGRAM), I(IPPROTO_UDP));
    syscall(SYS_socket, I(AF_INET), I(SOCK_DGRAM), 200);
    syscall(SYS_socket, I(AF_UNIX), I(SOCK_STREAM), I(0));
    int sv[2];
    syscall(SYS_socketpair, I(AF_UNIX), I(SOCK_STREAM), 0, sv);
    syscall(SYS_socketpair, I(AF_UNIX), I(SOCK_STREAM), I(0), sv);
    int one = 1;
    socklen_t len = sizeof one;
    syscall(SYS_setsockopt, I(s), I(SOL_SOCKET), I(SO_REUSEADDR), &one, I(sizeof one));
    syscall(SYS_getsockopt, I(s), I(SOL_SOCKET), I(SO_TYPE), &one, &len);
    syscall(SYS_listen, I(s), I(5));
    struct sockaddr_in sin = {.sin_family = AF_INET};
    syscall(SYS_bind, I(999), &sin, I(sizeof sin));
    syscall(SYS_connect, I(999), &sin, I(sizeof sin));
    syscall(SYS_accept4, I(999), NULL, NULL, I(SOCK_CLOEXEC));
    syscall(SYS_getsockname, I(999), NULL, NULL);
    char buf[64];
    syscall(SYS_sendto, I(sv[1]), "x", 1, I(MSG_DONTWAIT), NULL, I(0));
    syscall(SYS_recvfrom, I(sv[0]), buf, 1, I(MSG_DONTWAIT), NULL, NULL);
    struct msghdr mh = {0};
    syscall(SYS_sendmsg, I(999), &mh, I(MSG_DONTWAIT));
    syscall(SYS_shutdown, I(sv[0]), I(SHUT_WR));
    syscall(SYS_open, "/dev/null", I(O_RDONLY | O_CLOEXEC));
    syscall(SYS_open, "/nonexistent/x", I(O_WRONLY | O_CREAT), I(0644));
    syscall(SYS_openat, I(AT_FDCWD), "/nonexistent/x", I(O_WRONLY | O_CREAT), I(0644));
    syscall(SYS_creat, "/nonexistent/x", I(0644));
    syscall(SYS_mkdir, "/nonexistent/x", I(0755));
    syscall(SYS_mkdirat, I(AT_FDCWD), "/nonexistent/x", I(0755));
    syscall(SYS_chmod, "/nonexistent", I(0644));
    syscall(SYS_fchmod, I(999), I(0644));
    syscall(SYS_fchmodat, I(AT_FDCWD), "/nonexistent", I(0644));
    syscall(SYS_access, "/", I(R_OK));
    syscall(SYS_dup2, I(fds[0]), I(11));
    syscall(SYS_flock, I(fds[0]), I(LOCK_SH));
    syscall(SYS_fsync, I(fds[0]));
    syscall(SYS_fdatasync, I(fds[0]));
    int n;
    syscall(SYS_ioctl, I(fds[0]), I(FIONREAD), &n);
    /* readlink's bufsiz, an int, is printed whole by strace 6.1. */
    syscall(SYS_readlink, "/nonexistent", buf, I(10));
    syscall(SYS_renameat2, I(AT_FDCWD), "/nonexistent/a", I(AT_FDCWD), "/nonexistent/b",
            I(RENAME_NOREPLACE));
    syscall(SYS_linkat, I(AT_FDCWD), "/nonexistent/a", I(AT_FDCWD), "/nonexistent/b", I(0));
    syscall(SYS_close_range, I(1000), I(1001), I(0));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    syscall(SYS_rt_sigprocmask, I(SIG_BLOCK), &set, NULL, 8);
    struct sigaction sa;
    syscall(SYS_rt_sigaction, I(SIGUSR1), NULL, &sa, 8);
    syscall(SYS_signalfd4, I(-1), &set, 8, I(SFD_CLOEXEC));
    syscall(SYS_getrlimit, I(RLIMIT_NOFILE), &rl);
    syscall(SYS_getrandom, NULL, 0, I(GRND_NONBLOCK));
    struct stat st;
    syscall(SYS_newfstatat, I(AT_FDCWD), "/nonexistent", &st, I(AT_SYMLINK_NOFOLLOW));
    syscall(SYS_statx, I(AT_FDCWD), "/nonexistent", I(AT_SYMLINK_NOFOLLOW), I(0x7ff), buf);
    syscall(SYS_utimensat, I(AT_FDCWD), "/nonexistent", NULL, I(AT_SYMLINK_NOFOLLOW));
    char name[16];
    syscall(SYS_prctl, I(PR_GET_NAME), name, 0, 0, 0);
    /* PR_SET_PDEATHSIG's argument is an unsigned long: printed whole, as strace does. */
    syscall(SYS_prctl, I(PR_SET_PDEATHSIG), I(0), 0, 0, 0);
    syscall(SYS_arch_prctl, I(0x9999), 0);
    syscall(SYS_fadvise64, I(fds[0]), 0, 0, I(POSIX_FADV_SEQUENTIAL));
    syscall(SYS_fsetxattr, I(999), "user.x", "v", 1, I(XATTR_CREATE));
    syscall(SYS_setxattr, "/nonexistent", "user.x", "v", 1, I(XATTR_CREATE));
    unsigned int word = 0;
    syscall(SYS_futex, &word, I(FUTEX_WAKE_PRIVATE), I(1), NULL, NULL, I(0));
    syscall(SYS_futex, &word, I(FUTEX_WAKE_BITSET), I(1), NULL, NULL, I(FUTEX_BITSET_MATCH_ANY));
    syscall(SYS_msync, p, 4096, I(MS_ASYNC));
    syscall(SYS_sched_getaffinity, I(0), I(0), NULL);
    syscall(SYS_execveat, I(999), "", NULL, NULL, I(AT_EMPTY_PATH));
    syscall(SYS_close, I(10));
    syscall(SYS_exit_group, I(0));
    return 0;
}
