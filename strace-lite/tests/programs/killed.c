/* A tracee killed by a signal (argv[1]: the signal number), while another syscall is pending in a thread. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int sig = argc > 1 ? atoi(argv[1]) : SIGKILL;
    write(1, "bye\n", 4);
    kill(getpid(), sig);
    pause();
    return 0;
}
