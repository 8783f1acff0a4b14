/* Group-stop: the process stops itself with SIGSTOP; a child (untraced without -f)
   continues it with SIGCONT once it is stopped. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int stopped(pid_t pid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && (p[2] == 'T' || p[2] == 't');
}

int main(void) {
    pid_t parent = getpid();
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    if (fork() == 0) {
        struct timespec ts = {0, 5000000};
        while (!stopped(parent))
            nanosleep(&ts, NULL);
        kill(parent, SIGCONT);
        _exit(0);
    }
    kill(parent, SIGSTOP);
    wait4(-1, NULL, 0, NULL);
    return 0;
}
