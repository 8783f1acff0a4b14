/* Group-stop: a child stops itself with SIGSTOP; its parent sees the stop with
   wait4(WUNTRACED), exactly as without a tracer, and continues it with SIGCONT. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    pid_t child = fork();
    if (child == 0) {
        kill(getpid(), SIGSTOP);
        _exit(3);
    }
    int status;
    wait4(child, &status, WUNTRACED, NULL);
    kill(child, SIGCONT);
    wait4(child, &status, 0, NULL);
    return 0;
}
