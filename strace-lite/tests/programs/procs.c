/* Processes: fork with exit codes, vfork+exec, wait4, a child killed by a signal. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1) {
        write(1, "exec'd\n", 7);
        return atoi(argv[1]);
    }
    /* SIGCHLD stays blocked: its delivery would race with wait4 and make the trace
       depend on scheduling (signals.c covers SIGCHLD delivery deterministically). */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int status;
    pid_t p = fork();
    if (p == 0) {
        write(1, "child\n", 6);
        _exit(7);
    }
    wait4(p, &status, 0, NULL);
    p = vfork();
    if (p == 0) {
        char *args[] = {argv[0], "5", NULL};
        execve(argv[0], args, (char *[]){"A=1", NULL});
        _exit(127);
    }
    waitpid(p, &status, 0);
    p = fork();
    if (p == 0) {
        kill(getpid(), SIGKILL);
        _exit(0);
    }
    waitpid(p, &status, 0);
    execve("/nonexistent", (char *[]){"x", NULL}, (char *[]){NULL});
    write(1, "parent\n", 7);
    return 0;
}
