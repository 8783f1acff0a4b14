/* Descriptor-creating calls servers use: eventfd, timerfd, signalfd, memfd, inotify,
   pidfd, plus utimensat. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (chdir(argc > 1 ? argv[1] : "/tmp") != 0) return 2;
    int e = eventfd(3, EFD_CLOEXEC | EFD_NONBLOCK);
    uint64_t v = 1;
    write(e, &v, sizeof v);
    read(e, &v, sizeof v);
    close(e);
    e = syscall(SYS_eventfd, 0);
    close(e);
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct itimerspec its = {{0, 0}, {100, 0}}, old;
    timerfd_settime(t, 0, &its, &old);
    timerfd_settime(t, TFD_TIMER_ABSTIME, &its, NULL);
    close(t);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    int s = signalfd(-1, &m, SFD_CLOEXEC | SFD_NONBLOCK);
    close(s);
    int mf = memfd_create("buffer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    close(mf);
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    int w = inotify_add_watch(in, ".", IN_MODIFY | IN_CREATE | IN_DELETE);
    inotify_rm_watch(in, w);
    close(in);
    int fd = open("f", O_CREAT | O_WRONLY, 0600);
    close(fd);
    utimensat(AT_FDCWD, "f", NULL, 0);
    struct timespec ts[2] = {{0, UTIME_NOW}, {12345, 678}};
    utimensat(AT_FDCWD, "f", ts, AT_SYMLINK_NOFOLLOW);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t p = fork();
    if (p == 0) _exit(9);
    int pfd = syscall(SYS_pidfd_open, p, 0);
    wait4(p, NULL, 0, NULL);
    close(pfd);
    return 0;
}
