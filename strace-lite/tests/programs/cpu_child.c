/* A child that spends a quarter of a second of CPU time in user mode before it exits:
 * its SIGCHLD carries si_utime > 0, which strace prints with the seconds it makes in a
 * comment. SIGCHLD is blocked until sigsuspend waits for it. */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_chld(int sig) { (void)sig; }

static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_chld;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld, empty;
    sigemptyset(&chld);
    sigemptyset(&empty);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    if (fork() == 0) {
        volatile unsigned long spin = 0;
        while (cpu_seconds() < 0.25)
            for (int i = 0; i < 100000; i++)
                spin += i;
        _exit(0);
    }
    sigsuspend(&empty);
    wait4(-1, NULL, 0, NULL);
    return 0;
}
