/* Signals: handlers, masks, delivery to self, restarted and interrupted syscalls. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pipe_fds[2];

static void on_alarm(int sig) {
    (void)sig;
    write(pipe_fds[1], "!", 1);
}

static void on_usr1(int sig) { (void)sig; }

static void on_chld(int sig) { (void)sig; }

/* SIGCHLD delivered at a known point: blocked until sigsuspend waits for it. */
static void child_signal(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld, empty;
    sigemptyset(&chld);
    sigemptyset(&empty);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    if (fork() == 0)
        _exit(4);
    sigsuspend(&empty);
    wait4(-1, NULL, 0, NULL);
}

static void arm_timer(void) {
    struct itimerval t = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &t, NULL);
}

int main(void) {
    pipe(pipe_fds);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    sa.sa_handler = on_usr1;
    sa.sa_flags = 0;
    sigaddset(&sa.sa_mask, SIGTERM);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, &old);
    sigprocmask(SIG_SETMASK, &old, NULL);
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR2);
    /* A read restarted after the handler ran (SA_RESTART): ERESTARTSYS, then the read again. */
    char c;
    arm_timer();
    read(pipe_fds[0], &c, 1);
    /* Without SA_RESTART the read fails with EINTR. */
    sa.sa_handler = on_alarm;
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    char two[2];
    arm_timer();
    read(pipe_fds[0], two, 2);
    read(pipe_fds[0], &c, 1);
    child_signal();
    /* A blocked signal stays pending. */
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGINT);
    sigset_t pending;
    sigpending(&pending);
    return 0;
}
